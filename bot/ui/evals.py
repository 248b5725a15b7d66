"""Evals tab: how good the bot is, from the latest `studybot eval` results, and a button to measure it now.

The eval code (which questions, where results live) is in the `evals` package, imported inside the
handlers: this package never reads the question set itself, and building the app reads nothing.
Handlers are plain functions returning a `Panel` (tested without a browser); `build` maps it onto the
components. `paths` is an `evals.harness.EvalPaths` (None: the defaults, evals/reports/latest).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import gradio as gr
import pandas as pd

from bot.index import IndexUnavailable
from bot.settings import ROOT
from bot.ui.context import AppContext
from bot.ui.render import PATH_SEPARATOR, escape, notice_html, section_label

TITLE = "Evals"
TAB_ID = "evals"
INTRO = (
    "How well the bot does on the dev question set: is the passage holding the answer retrieved, does the "
    "answer contain the expected facts, are off-topic questions refused, and how fast. "
    "**Run eval now** measures the bot as loaded in this app (seconds when it quotes passages, longer with a "
    "chat model); the naive baseline is the plain RAG it has to beat."
)
NO_RESULTS = "No eval results yet."
MAX_FAILURES = 200
SHOWN_ANSWER_CHARS = 600
SHOWN_PASSAGE_CHARS = 240
MEANING = {  # what each headline metric measures
    "hit@1": "the passage holding the answer is retrieved first",
    "hit@{k}": "the passage holding the answer is among the {k} retrieved",
    "mrr@{k}": "mean of 1 / rank of that passage (0 when missed)",
    "fact_recall": "share of the expected facts found in the answer",
    "all_facts": "answers holding every expected fact",
    "citation_accuracy": "answers whose citations include the passage holding the answer",
    "refusal_recall": "off-topic questions refused (higher is better)",
    "false_refusal": "answerable questions refused (lower is better)",
    "latency_p50_ms": "milliseconds per question, median (lower is better)",
    "latency_p95_ms": "milliseconds per question, 95th percentile (lower is better)",
}
GROUP_COLUMNS = ("questions", "hit@1", "hit@{k}", "fact recall", "refused")

Progress = Callable[[int, int, str], None]  # (done, total, what is running)


@dataclass(frozen=True)
class Panel:
    """What the tab shows: a status (HTML), the metric tables (None: hidden) and the failed questions (HTML)."""

    status: str
    headline: pd.DataFrame | None = None
    by_type: pd.DataFrame | None = None
    by_doc: pd.DataFrame | None = None
    failures: str = ""


def _when(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp).strftime("%Y-%m-%d %H:%M")


def _shown_path(path: Path) -> str:
    try:
        return path.resolve().relative_to(ROOT).as_posix()
    except ValueError:
        return str(path)


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit].rstrip() + " …"


def no_results_html() -> str:
    return (
        f'<div class="notice"><strong>{escape(NO_RESULTS)}</strong> Run <code>make eval</code> in the project '
        "folder (the bot and the naive baseline on the dev set), or press "
        "<strong>Run eval now</strong> above.</div>"
    )


def headline_frame(results) -> pd.DataFrame:
    k = results.k
    meaning = {name.format(k=k): text.format(k=k) for name, text in MEANING.items()}
    columns = ["metric", "ours"] + (["baseline", "ratio"] if results.baseline else []) + ["what it measures"]
    rows = [[*row, meaning.get(row[0], "")] for row in results.headline()]
    return pd.DataFrame(rows, columns=columns)


def group_frame(results, key: str, label: str, names: dict[str, str] | None = None) -> pd.DataFrame:
    """The per-group breakdown (`by_type`, `by_doc`); `names` maps a group to what is shown for it."""
    names = names or {}
    columns = [label] + [c.format(k=results.k) for c in GROUP_COLUMNS]
    rows = [[names.get(name, name), *rest] for name, *rest in results.breakdown(key)]
    return pd.DataFrame(rows, columns=columns)


def status_html(results) -> str:
    overall = results.ours["overall"]
    parts = [
        f"Latest run {_when(results.finished)}: {overall['items']} questions "
        f"({overall['answerable']} answerable), {results.k} passages retrieved per question."
    ]
    if results.baseline:
        parts.append(f"Baseline run {_when(results.baseline_finished)}.")
        if results.baseline["overall"].get("items") != overall["items"]:
            theirs = results.baseline["overall"].get("items")
            parts.append(f"The baseline ran on {theirs} questions: compare with care.")
    else:
        parts.append("No baseline run: tick the baseline box above (or run make eval) to compare with the naive RAG.")
    report = results.out / "report.html"
    text = escape(" ".join(parts))
    if report.exists():
        text += f" Full report with plots: <code>{escape(_shown_path(report))}</code>."
    return f'<div class="eval-status">{text}</div>'


def failures_html(failures: list[dict], total: int, sections: dict[str, str] | None = None) -> str:
    """The failed questions as an HTML table; every piece of text escaped. `sections`: passage -> its section."""
    sections = sections or {}
    if not failures:
        return f'<div class="notice">{escape(f"No failed questions out of {total}.")}</div>'
    cell = 'style="border:1px solid var(--border-color-primary);padding:6px;vertical-align:top"'
    rows = []
    for f in failures[:MAX_FAILURES]:
        retrieved = "".join(
            f'<li><div class="src-path">{escape(sections.get(c, "section not in the current index"))}</div>'
            f"<small>{escape(_cut(c, SHOWN_PASSAGE_CHARS))}</small></li>"
            for c in f["contexts"]
        )
        rows.append(
            f"<tr><td {cell}>{escape(f['question'] or '(question not in the current set)')}"
            f"<br><small>{escape(f['id'])} · {escape(f['type'])}</small></td>"
            f"<td {cell}><strong>{escape(f['why'])}</strong></td>"
            f"<td {cell}>{escape(f['answer'])}</td>"
            f"<td {cell}>{escape(_cut(f['our_answer'], SHOWN_ANSWER_CHARS))}</td>"
            f"<td {cell}><ol style=\"margin:0;padding-left:1.2em\">{retrieved}</ol></td></tr>"
        )
    head = "".join(f"<th {cell}>{escape(h)}</th>" for h in
                   ("question", "why it failed", "expected", "our answer", "retrieved (top 3)"))
    more = len(failures) - MAX_FAILURES
    tail = f"<p>{escape(f'{more} more in the report.')}</p>" if more > 0 else ""
    summary = escape(f"{len(failures)} of {total} questions failed.")
    return (f'<div class="eval-failures"><p><strong>{summary}</strong></p>'
            f'<table style="border-collapse:collapse;font-size:0.9em"><tr>{head}</tr>{"".join(rows)}</table>'
            f"{tail}</div>")


def results_panel(paths=None, doc_titles: dict[str, str] | None = None, sections: dict[str, str] | None = None,
                  notice: str = "") -> Panel:
    """The latest results in `paths.out`, or what to run when there are none; `notice` (HTML) shown first."""
    from evals.harness import ResultsError, latest_results

    try:
        results = latest_results(paths)
    except ResultsError as err:
        return Panel(notice + notice_html(str(err), "error") + no_results_html())
    if results is None:
        return Panel(notice + no_results_html())
    names = {doc_id: f"{doc_id} · {title}" for doc_id, title in (doc_titles or {}).items()}
    names.setdefault("none", "none (off-topic questions)")
    return Panel(
        notice + status_html(results),
        headline_frame(results),
        group_frame(results, "by_type", "question type"),
        group_frame(results, "by_doc", "document", names),
        failures_html(results.failures, results.ours["overall"]["items"], sections),
    )


def run_now(bot, baseline: bool = False, paths=None, progress: Progress | None = None,
            doc_titles: dict[str, str] | None = None, sections: dict[str, str] | None = None) -> Panel:
    """Run the eval on the dev set with `bot`, write the results to `paths.out` and show them."""
    from evals.harness import run_dev_eval

    try:
        run_dev_eval(bot, bot.settings.k, baseline, progress, paths)
    except (IndexUnavailable, OSError, ValueError) as err:
        failed = notice_html(f"The eval could not run: {err}", "error")
        return results_panel(paths, doc_titles, sections, failed)
    return results_panel(paths, doc_titles, sections)


def passage_sections(bot) -> dict[str, str]:
    """Passage text -> "document › section" for every passage of the bot's index."""
    return {c.text: f"{c.doc_title}{PATH_SEPARATOR}{section_label(c.section_path)}"
            for c in getattr(bot.searcher, "chunks", [])}


def show_panel(panel: Panel) -> tuple[Any, ...]:
    """Updates for (status, headline, by type, by document, failures box, failures)."""

    def table(frame: pd.DataFrame | None):
        return gr.Dataframe(value=frame, visible=True) if frame is not None else gr.Dataframe(visible=False)

    return (panel.status, table(panel.headline), table(panel.by_type), table(panel.by_doc),
            gr.Accordion(visible=bool(panel.failures)), panel.failures)


@dataclass(frozen=True)
class EvalsView:
    baseline: gr.Checkbox
    run: gr.Button
    reload: gr.Button
    status: gr.HTML
    headline: gr.Dataframe
    by_type: gr.Dataframe
    by_doc: gr.Dataframe
    failures_box: gr.Accordion
    failures: gr.HTML

    @property
    def panel(self) -> list:
        """The components a Panel is shown on, in `show_panel` order."""
        return [self.status, self.headline, self.by_type, self.by_doc, self.failures_box, self.failures]


def build(ctx: AppContext, paths=None) -> EvalsView:
    gr.Markdown(INTRO, elem_id="evals-intro")
    with gr.Row(equal_height=True):
        baseline = gr.Checkbox(False, label="Also run the naive baseline (slower; its own index is built once)",
                               elem_id="evals-baseline", scale=3)
        run = gr.Button("Run eval now", variant="primary", elem_id="evals-run", scale=1, min_width=140)
        reload = gr.Button("Reload results", elem_id="evals-reload", scale=1, min_width=140)
    status = gr.HTML(elem_id="evals-status", padding=True)

    def table(label: str, elem_id: str) -> gr.Dataframe:
        return gr.Dataframe(label=label, interactive=False, wrap=True, visible=False, elem_id=elem_id,
                            max_height=420)

    headline = table("Headline metrics", "evals-headline")
    by_type = table("By question type (refused: wanted near 1 for unanswerable, near 0 for the rest)",
                    "evals-by-type")
    by_doc = table("By document", "evals-by-doc")
    with gr.Accordion("Failed questions", open=True, visible=False) as failures_box:
        failures = gr.HTML(elem_id="evals-failures", max_height=700)
    view = EvalsView(baseline, run, reload, status, headline, by_type, by_doc, failures_box, failures)

    doc_titles = {d.doc_id: d.title for d in ctx.library.docs}
    sections: dict[str, str] = {}

    def known_sections() -> dict[str, str]:
        if not sections:
            sections.update(passage_sections(ctx.bot))
        return sections

    def on_show():
        return show_panel(results_panel(paths, doc_titles, known_sections()))

    def on_run(with_baseline: bool, progress=gr.Progress()):  # noqa: B008 (how Gradio hands in its tracker)
        def report(done: int, total: int, what: str) -> None:
            progress((done, total), desc=f"Eval: {what}")

        return show_panel(run_now(ctx.bot, bool(with_baseline), paths, report, doc_titles, known_sections()))

    gr.on(None, on_show, None, view.panel, show_progress="hidden")  # on every page load
    reload.click(on_show, None, view.panel, show_progress="hidden")
    run.click(on_run, baseline, view.panel, concurrency_limit=1, concurrency_id="evals-run", trigger_mode="once")
    return view
