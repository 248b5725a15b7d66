"""Evals tab: how good the bot is, from the latest `studybot eval` results, and a button to measure it now.

The eval code (which questions, where results live) is in the `evals` package, imported inside the
handlers: this package never reads the question set itself, and building the app reads nothing.
Handlers are plain functions returning a `Panel` (tested without a browser); `build` maps it onto the
components. `paths` is an `evals.harness.EvalPaths` (None: the defaults, evals/reports/latest); the held-out
test split's results, when `make eval` wrote them, are in the folder beside it (evals/reports/test).
"""

from __future__ import annotations

import math
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import gradio as gr
import pandas as pd

from bot.ingest.index import IndexUnavailable
from bot.text import breadcrumb
from bot.ui.context import AppContext
from bot.ui.render import escape, notice_html

if TYPE_CHECKING:  # for annotations only: importing the app must not import the eval code
    from evals.harness import EvalPaths, Results

TITLE = "Evals"
TAB_ID = "evals"
INTRO = (
    "How well the bot does on the dev question set: is the passage holding the answer retrieved, does the "
    "answer contain the expected facts, are off-topic questions refused, and how fast. "
    "**Run eval now** measures the bot as loaded in this app (seconds when it quotes passages, longer with a "
    "chat model); the naive baseline is the plain RAG it has to beat. Once `make eval` has also run the held-out "
    "test set (reported, never tuned on), its numbers and plots are shown beside dev's."
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
TEST_SPLIT = "test"  # the folder `make eval` writes the held-out split's results to, beside dev's
SHOWN_GROUP_CHARS = 32  # a plot's x labels

Progress = Callable[[int, int, str], None]  # (done, total, what is running)


@dataclass(frozen=True)
class SplitPlots:
    """One split's plot data (None: no plot; columns as `evals.report.bar_frame`'s, or ms) and its HTML report."""

    by_type: pd.DataFrame | None = None
    by_doc: pd.DataFrame | None = None
    latency: pd.DataFrame | None = None
    latency_step: float = 1.0  # the histogram's bin width, ms
    report: Path | None = None  # None: no report written


@dataclass(frozen=True)
class Panel:
    """What the tab shows: a status (HTML), the metric tables (None: hidden), the failed questions (HTML), the
    headline plot's data and each split's plots (None: that split has no results; test only beside dev)."""

    status: str
    headline: pd.DataFrame | None = None
    by_type: pd.DataFrame | None = None
    by_doc: pd.DataFrame | None = None
    failures: str = ""
    headline_plot: pd.DataFrame | None = None
    dev: SplitPlots | None = None
    test: SplitPlots | None = None


def _when(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp).strftime("%Y-%m-%d %H:%M")


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


def splits_headline_frame(splits: dict[str, Results]) -> pd.DataFrame:
    """The headline tables of several splits side by side: 'ours · dev', 'baseline · dev', …, 'ours · test', …"""
    frames = {name: headline_frame(results).set_index("metric") for name, results in splits.items()}
    numbers = [f.drop(columns="what it measures").add_suffix(f" · {name}") for name, f in frames.items()]
    joined = pd.concat(numbers, axis=1).fillna("-")  # a metric one split lacks (another k)
    meaning = {metric: text for f in reversed(frames.values()) for metric, text in f["what it measures"].items()}
    return joined.assign(**{"what it measures": joined.index.map(meaning)}).reset_index()


def _overall_rates(metrics: dict, k: int) -> dict[str, dict]:
    """The headline metrics that are rates (milliseconds are on another scale), as `bar_frame` groups."""
    from evals.tables import HEADLINE

    names = [h.format(k=k) for h in HEADLINE if not h.startswith("latency")]
    return {name: {"value": metrics["overall"].get(name)} for name in names}


def headline_plot_frame(splits: dict[str, Results]) -> pd.DataFrame:
    """The headline rates of each split, ours and the baseline's (columns group, system, value); the split's name
    is added to the system when there are two splits."""
    from evals.report import bar_frame

    frames = []
    for name, results in splits.items():
        theirs = _overall_rates(results.baseline, results.k) if results.baseline else None
        frame = bar_frame(_overall_rates(results.ours, results.k), "value", theirs)
        frames.append(frame.assign(system=frame["system"] + f" · {name}") if len(splits) > 1 else frame)
    return pd.concat(frames, ignore_index=True).dropna()


def group_plot_frame(results: Results, key: str, names: dict[str, str] | None = None) -> pd.DataFrame:
    """hit@k and fact recall per group of `results.ours[key]` (by_type, by_doc), ours and the baseline's."""
    from evals.report import bar_frame

    names = names or {}
    theirs = results.baseline.get(key) if results.baseline else None
    frames = []
    for metric, shown in ((f"hit@{results.k}", f"hit@{results.k}"), ("fact_recall", "fact recall")):
        frame = bar_frame(results.ours[key], metric, theirs)
        frames.append(frame.assign(system=f"{shown} · " + frame["system"]))
    frame = pd.concat(frames, ignore_index=True).dropna()  # a group the baseline lacks: no point rather than 0
    return frame.assign(group=[_cut(names.get(g, g), SHOWN_GROUP_CHARS) for g in frame["group"]])


def latency_step(ms: pd.Series) -> float:
    """A round bin width (1, 2 or 5 times a power of ten) giving about as many bins as the report's histogram."""
    from evals.report import LATENCY_BINS

    wanted = float(ms.max() - ms.min()) / LATENCY_BINS
    if not wanted > 0:
        return 1.0
    power = 10 ** math.floor(math.log10(wanted))
    return next(round(m * power, 12) for m in (1, 2, 5, 10) if m * power >= wanted)


def split_plots(results: Results, names: dict[str, str] | None = None) -> SplitPlots:
    from evals.report import latency_frame

    latency = latency_frame(results.out)
    report = results.out / "report.html"
    return SplitPlots(group_plot_frame(results, "by_type"), group_plot_frame(results, "by_doc", names), latency,
                      latency_step(latency["ms"]) if not latency.empty else 1.0, report if report.exists() else None)


def held_out_folder(paths: EvalPaths | None = None) -> Path | None:
    """Where `make eval` writes the test split's results: beside dev's folder (None when that is the folder)."""
    from evals.harness import EvalPaths

    out = (paths or EvalPaths()).out
    folder = out.parent / TEST_SPLIT
    return None if folder.resolve() == out.resolve() else folder


def held_out_results(paths: EvalPaths | None = None) -> tuple[Results | None, str]:
    """The test split's results (None: not run) and, when they cannot be read, an error notice (HTML)."""
    from evals.harness import EvalPaths, ResultsError, latest_results

    folder = held_out_folder(paths)
    if folder is None:
        return None, ""
    try:
        # Its failures get matched against dev's question set here; they are never shown: the held-out split
        # is reported, not studied.
        return latest_results(replace(paths or EvalPaths(), out=folder)), ""
    except ResultsError as err:
        return None, notice_html(f"Test split: {err}", "error")


def downloadable(report: Path) -> Path:
    """`report`, or a copy of it in the temp folder when the app runs from another folder: Gradio hands out only
    files under the working directory or the temp folder, and refuses the whole update otherwise."""
    temp = Path(tempfile.gettempdir())
    if any(report.resolve().is_relative_to(p.resolve()) for p in (Path.cwd(), temp)):
        return report
    copy = temp / "studybot-reports" / report.parent.name / report.name
    if not copy.exists() or copy.stat().st_mtime != report.stat().st_mtime:  # copy2 keeps the time: once per run
        copy.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(report, copy)
    return copy


def status_html(results: Results, test: Results | None = None) -> str:
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
    if test is not None:
        parts.append(f"Test split (held out: reported, never tuned on) run {_when(test.finished)}: "
                     f"{test.ours['overall']['items']} questions, shown beside dev.")
    return f'<div class="eval-status">{escape(" ".join(parts))}</div>'


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
    test, test_error = held_out_results(paths)
    splits = {"dev": results} | ({"test": test} if test is not None else {})
    names = {doc_id: f"{doc_id} · {title}" for doc_id, title in (doc_titles or {}).items()}
    names.setdefault("none", "none (off-topic questions)")
    return Panel(
        notice + status_html(results, test) + test_error,
        headline_frame(results) if test is None else splits_headline_frame(splits),
        group_frame(results, "by_type", "question type"),
        group_frame(results, "by_doc", "document", names),
        failures_html(results.failures, results.ours["overall"]["items"], sections),
        headline_plot_frame(splits),
        split_plots(results, names),
        split_plots(test, names) if test is not None else None,
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
    return {c.text: breadcrumb(c.doc_title, c.section_path)
            for c in getattr(bot.searcher, "chunks", [])}


def show_panel(panel: Panel) -> tuple[Any, ...]:
    """Updates for (status, headline, by type, by document, failures box, failures)."""

    def table(frame: pd.DataFrame | None):
        return gr.Dataframe(value=frame, visible=True) if frame is not None else gr.Dataframe(visible=False)

    return (panel.status, table(panel.headline), table(panel.by_type), table(panel.by_doc),
            gr.Accordion(visible=bool(panel.failures)), panel.failures)


def _has_rows(frame: pd.DataFrame | None) -> bool:
    return frame is not None and not frame.empty


# A plot with nothing to draw gets no data and is hidden: an empty frame makes Vega-Lite warn of an infinite extent.
def _dots(frame: pd.DataFrame | None) -> gr.ScatterPlot:
    if not _has_rows(frame):
        return gr.ScatterPlot(value=None, visible=False)
    return gr.ScatterPlot(value=frame, visible=True, sort=list(dict.fromkeys(frame["group"])))


def _histogram(frame: pd.DataFrame | None, step: float) -> gr.BarPlot:
    if not _has_rows(frame):
        return gr.BarPlot(value=None, visible=False)
    return gr.BarPlot(value=frame, visible=True, x_bin=step)


def _download(report: Path | None) -> dict:
    # gr.update, not a new DownloadButton: constructing one copies the file into Gradio's cache on top of the update's
    # own copy.
    if report is None:
        return gr.update(value=None, visible=False)
    return gr.update(value=str(downloadable(report)), visible=True)


def _split_updates(split: SplitPlots | None) -> tuple[Any, ...]:
    plots = split or SplitPlots()
    return (gr.Column(visible=split is not None), _dots(plots.by_type), _dots(plots.by_doc),
            _histogram(plots.latency, plots.latency_step), _download(plots.report))


def show_plots(panel: Panel) -> tuple[Any, ...]:
    """Updates for (headline plot, then for dev and for test: column, by type, by document, latency, report)."""
    return (_dots(panel.headline_plot), *_split_updates(panel.dev), *_split_updates(panel.test))


def show(panel: Panel) -> tuple[Any, ...]:
    return (*show_panel(panel), *show_plots(panel))


@dataclass(frozen=True)
class SplitView:
    column: gr.Column
    by_type: gr.ScatterPlot
    by_doc: gr.ScatterPlot
    latency: gr.BarPlot
    report: gr.DownloadButton

    @property
    def outputs(self) -> list:
        return [self.column, self.by_type, self.by_doc, self.latency, self.report]


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
    headline_plot: gr.ScatterPlot
    dev: SplitView
    test: SplitView

    @property
    def panel(self) -> list:
        """The components a Panel is shown on, in `show` order."""
        return [self.status, self.headline, self.by_type, self.by_doc, self.failures_box, self.failures,
                self.headline_plot, *self.dev.outputs, *self.test.outputs]


def _dot_plot(label: str, x_title: str, elem_id: str) -> gr.ScatterPlot:
    """Rates (0 to 1) per group, one colour per series: dots, since Gradio's bars stack rather than group. No fixed
    height: with one, the legend is cut off."""
    return gr.ScatterPlot(x="group", y="value", color="system", y_lim=[0, 1], x_title=x_title, y_title="rate",
                          color_title="", x_label_angle=-20, label=label, elem_id=elem_id, visible=False)


def _split_column(title: str, split: str) -> SplitView:
    with gr.Column(visible=False, elem_id=f"evals-{split}") as column:
        gr.Markdown(f"#### {title}")
        by_type = _dot_plot("By question type", "question type", f"evals-{split}-by-type-plot")
        by_doc = _dot_plot("By document", "document", f"evals-{split}-by-doc-plot")
        latency = gr.BarPlot(x="ms", y="ms", y_aggregate="count", x_title="ms per question (retrieve + answer)",
                             y_title="questions", label="Latency", elem_id=f"evals-{split}-latency", visible=False)
        report = gr.DownloadButton(f"Download the {split} report (HTML: every plot and failure)", visible=False,
                                   elem_id=f"evals-{split}-report")
    return SplitView(column, by_type, by_doc, latency, report)


def build(ctx: AppContext, paths=None) -> EvalsView:
    paths = paths if paths is not None else ctx.eval_paths
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
    headline_plot = _dot_plot("Headline rates (false_refusal: lower is better)", "metric", "evals-headline-plot")
    by_type = table("By question type, dev set (refused: wanted near 1 for unanswerable, near 0 for the rest)",
                    "evals-by-type")
    by_doc = table("By document, dev set", "evals-by-doc")
    with gr.Row():
        dev = _split_column("Dev set", "dev")
        test = _split_column("Test set (held out: reported, never tuned on)", "test")
    with gr.Accordion("Failed questions (dev)", open=True, visible=False) as failures_box:
        failures = gr.HTML(elem_id="evals-failures", max_height=700)
    view = EvalsView(baseline, run, reload, status, headline, by_type, by_doc, failures_box, failures, headline_plot,
                     dev, test)

    doc_titles = {d.doc_id: d.title for d in ctx.library.docs}
    sections: dict[str, str] = {}

    def known_sections() -> dict[str, str]:
        if not sections:
            sections.update(passage_sections(ctx.bot))
        return sections

    def on_show():
        return show(results_panel(paths, doc_titles, known_sections()))

    def on_run(with_baseline: bool, progress=gr.Progress()):  # noqa: B008 (how Gradio hands in its tracker)
        def report(done: int, total: int, what: str) -> None:
            progress((done, total), desc=f"Eval: {what}")

        return show(run_now(ctx.bot, bool(with_baseline), paths, report, doc_titles, known_sections()))

    gr.on(None, on_show, None, view.panel, show_progress="hidden")  # on every page load
    reload.click(on_show, None, view.panel, show_progress="hidden")
    run.click(on_run, baseline, view.panel, concurrency_limit=1, concurrency_id="evals-run", trigger_mode="once")
    return view
