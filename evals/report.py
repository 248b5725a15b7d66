"""A self-contained HTML report: headline table, plots (PNG inlined) and the failed items."""

from __future__ import annotations

import base64
import html
import io
import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from evals.tables import HEADLINE, fallback_warning, fmt  # noqa: E402

LATENCY_BINS = 30  # bins of the latency histogram; the app's Evals tab aims at as many


def _png(fig) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    plt.close(fig)
    return f'<img alt="plot" src="data:image/png;base64,{base64.b64encode(buffer.getvalue()).decode()}">'


def bar_frame(groups: dict, metric: str, baseline_groups: dict | None = None) -> pd.DataFrame:
    """`metric` per group, ours and (with `baseline_groups`) the baseline's: columns group, system, value.

    A group whose `metric` is None in our run is left out (e.g. no hit@k for unanswerable items); a group the
    baseline lacks has no baseline value (NaN). The report's bar charts and the app's Evals tab draw this.
    """
    names = [n for n in groups if groups[n].get(metric) is not None]
    rows = [(n, "ours", groups[n][metric]) for n in names]
    if baseline_groups:
        rows += [(n, "baseline", (baseline_groups.get(n) or {}).get(metric)) for n in names]
    return pd.DataFrame(rows, columns=["group", "system", "value"]).astype({"value": float})


def latency_frame(out: Path) -> pd.DataFrame:
    """Milliseconds per question of the run in `out` (run.jsonl), in run order: column ms."""
    runs = [json.loads(line) for line in (out / "run.jsonl").read_text().splitlines() if line]
    return pd.DataFrame({"ms": [r["ms"] for r in runs]}, dtype=float)


def _bars(groups: dict, metric: str, baseline_groups: dict | None, title: str) -> str:
    frame = bar_frame(groups, metric, baseline_groups)
    names = list(dict.fromkeys(frame["group"]))
    values = {system: rows.set_index("group")["value"].reindex(names).fillna(0).tolist()
              for system, rows in frame.groupby("system", sort=False)}
    baseline = values.get("baseline")
    fig, ax = plt.subplots(figsize=(7, 3))
    width = 0.4 if baseline else 0.8
    xs = range(len(names))
    ax.bar([x - (width / 2 if baseline else 0) for x in xs], values.get("ours", []), width, label="ours")
    if baseline:
        ax.bar([x + width / 2 for x in xs], baseline, width, label="baseline")
    ax.set_xticks(list(xs), names, rotation=20)
    ax.set_ylim(0, 1.05)
    ax.set_title(title)
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))  # beside the plot, never over a bar
    return _png(fig)


def _latency_histogram(out: Path) -> str:
    fig, ax = plt.subplots(figsize=(7, 3))
    ax.hist(latency_frame(out)["ms"], bins=LATENCY_BINS)
    ax.set_xlabel("ms per question (retrieve + answer)")
    ax.set_title("Latency")
    return _png(fig)


def _headline(ours: dict, baseline: dict | None, k: int) -> str:
    rows = []
    for name in (h.format(k=k) for h in HEADLINE):
        theirs = f"<td>{fmt(baseline['overall'].get(name))}</td>" if baseline else ""
        rows.append(f"<tr><td>{name}</td><td>{fmt(ours['overall'].get(name))}</td>{theirs}</tr>")
    head = "<tr><th>metric</th><th>ours</th>" + ("<th>baseline</th>" if baseline else "") + "</tr>"
    return f"<table>{head}{''.join(rows)}</table>"


def _answering(ours: dict) -> str:
    """Who answered, when a chat model was asked: the fallback and dropped-claim rates, and a warning when most
    answers fell back (the scores are then the extractive answerer's)."""
    a = ours.get("answering")
    if not a or (set(a["by_answerer"]) <= {"extractive", ""} and not a["fallback_rate"]):
        return ""  # no chat model was asked
    warning = fallback_warning(ours)
    shown = f'<p style="color:#b00;font-weight:bold">{html.escape(warning)}</p>' if warning else ""
    return (f"{shown}<p>answered by: {html.escape(str(a['by_answerer']))} · fallback rate {a['fallback_rate']:.3f} · "
            f"dropped-claim rate {a['dropped_claim_rate']:.3f}</p>")


def failed_items(out: Path, gold: list[dict]) -> list[dict]:
    """The items of the run in `out` that failed, in run order: the question set's item (id, type, question,
    answer, evidence, doc, section), why it failed, our answer and the top 3 retrieved passages.

    An id missing from `gold` (results of another question set) keeps its id and type, with empty texts.
    """
    scores = json.loads((out / "scores.json").read_text())
    runs = {r["id"]: r for r in (json.loads(line) for line in (out / "run.jsonl").read_text().splitlines() if line)}
    items = {item["id"]: item for item in gold}
    failed = []
    for s in scores:
        reason = _failure_reason(s)
        if not reason:
            continue
        item, run = items.get(s["id"], {}), runs[s["id"]]
        failed.append({
            "id": s["id"], "type": item.get("type", s["type"]), "question": item.get("question", ""),
            "answer": item.get("answer", ""), "evidence": item.get("evidence", ""), "doc": item.get("doc", ""),
            "section": item.get("section", ""), "why": reason, "our_answer": run["answer"],
            "contexts": run["contexts"][:3],
        })
    return failed


def _failures(out: Path, gold: list[dict]) -> str:
    rows = []
    for f in failed_items(out, gold):
        contexts = "".join(f"<li>{html.escape(c[:300])}</li>" for c in f["contexts"])
        rows.append(
            f"<tr><td>{html.escape(f['id'])}<br><small>{html.escape(f['type'])}</small></td>"
            f"<td>{html.escape(f['question'])}</td><td>{html.escape(f['why'])}</td>"
            f"<td>{html.escape(f['answer'])}<br><small>evidence: {html.escape(f['evidence'])}"
            f"<br>section: {html.escape(f['doc'])} {html.escape(f['section'])}</small></td>"
            f"<td>{html.escape(f['our_answer'])}</td><td><ol>{contexts}</ol></td></tr>"
        )
    head = "<tr><th>id</th><th>question</th><th>why</th><th>gold</th><th>our answer</th><th>retrieved (top 3)</th></tr>"
    return f"<p>{len(rows)} failed items.</p><table class=f>{head}{''.join(rows)}</table>"


def _failure_reason(score: dict) -> str:
    if not score["answerable"]:
        return "" if score["refused"] else "answered an unanswerable question"
    if score["refused"]:
        return "refused an answerable question"
    if score["rank"] is None:
        return "evidence not retrieved"
    if score["fact_recall"] is not None and score["fact_recall"] < 1:
        return f"facts missing (recall {score['fact_recall']:.2f})"
    if score["citation_ok"] is False:
        return "citations miss the evidence"
    return ""


def write_report(out: Path, gold: list[dict], ours: dict, baseline: dict | None) -> Path:
    k = ours["k"]
    base_types = baseline["by_type"] if baseline else None
    base_docs = baseline["by_doc"] if baseline else None

    parts = [
        "<h1>Study bot eval</h1>", _answering(ours), _headline(ours, baseline, k),
        "<h2>Retrieval by question type</h2>", _bars(ours["by_type"], f"hit@{k}", base_types, f"hit@{k} by type"),
        "<h2>Retrieval by document</h2>", _bars(ours["by_doc"], f"hit@{k}", base_docs, f"hit@{k} by document"),
        "<h2>Answers</h2>", _bars(ours["by_type"], "fact_recall", base_types, "fact recall by type"),
        _bars(ours["by_doc"], "fact_recall", base_docs, "fact recall by document"),
        "<h2>Refusals</h2>",
        _bars({"unanswerable": {"rate": ours["overall"]["refusal_recall"]},
               "answerable": {"rate": ours["overall"]["false_refusal"]}}, "rate",
              {"unanswerable": {"rate": baseline["overall"]["refusal_recall"]},
               "answerable": {"rate": baseline["overall"]["false_refusal"]}} if baseline else None,
              "share refused (want high for unanswerable, low for answerable)"),
        "<h2>Latency</h2>", _latency_histogram(out),
        "<h2>Failures</h2>", _failures(out, gold),
    ]
    style = ("body{font-family:sans-serif;max-width:1200px;margin:auto}table{border-collapse:collapse}"
             "td,th{border:1px solid #ccc;padding:4px;vertical-align:top;font-size:13px}")
    page = f"<!doctype html><meta charset=utf-8><title>Eval report</title><style>{style}</style>{''.join(parts)}"
    path = out / "report.html"
    path.write_text(page, encoding="utf-8")
    return path
