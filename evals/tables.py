"""An eval's metrics as tables: the headline (ours against the baseline), breakdowns by group, the fallback warning.

Shared by the terminal (`studybot eval`), the HTML report and the app's Evals tab.
"""

from __future__ import annotations

HEADLINE = ("hit@1", "hit@{k}", "mrr@{k}", "fact_recall", "all_facts", "citation_accuracy",
            "refusal_recall", "false_refusal", "latency_p50_ms", "latency_p95_ms")


def fallback_warning(metrics: dict) -> str:
    """A sentence when most answers fell back to the extractive answerer ('' otherwise)."""
    a = metrics.get("answering", {})
    if a.get("fallback_rate", 0) <= 0.5:
        return ""
    reasons = "; ".join(f"{n}× {why}" for why, n in a.get("fallback_reasons", {}).items())
    return (f"{a['fallback_rate']:.0%} of the answers fell back to the extractive answerer ({reasons}): these "
            "scores are mostly the extractive answerer's, not the model's.")


def headline_rows(ours: dict, baseline: dict | None, k: int) -> list[tuple[str, ...]]:
    """(metric, ours) per headline metric, plus (baseline, ratio) when there is a baseline; values formatted."""
    rows = []
    for name in (h.format(k=k) for h in HEADLINE):
        mine = ours["overall"].get(name)
        row: tuple[str, ...] = (name, fmt(mine))
        if baseline:
            theirs = baseline["overall"].get(name)
            ratio = f"{mine / theirs:.2f}x" if mine is not None and theirs else "-"
            row += (fmt(theirs), ratio)
        rows.append(row)
    return rows


def format_table(ours: dict, baseline: dict | None, k: int) -> str:
    header = f"{'metric':<20}{'ours':>10}" + (f"{'baseline':>10}{'ratio':>8}" if baseline else "")
    rows = [header, "-" * len(header)]
    for name, mine, *theirs in headline_rows(ours, baseline, k):
        row = f"{name:<20}{mine:>10}"
        if theirs:
            row += f"{theirs[0]:>10}{theirs[1]:>8}"
        rows.append(row)
    return "\n".join(rows)


def fmt(value) -> str:
    return "-" if value is None else f"{value:.3f}" if value <= 1 else f"{value:.1f}"  # rates vs. milliseconds


def breakdown_rows(metrics: dict, key: str, k: int) -> list[tuple]:
    """(group, items, hit@1, hit@k, fact recall, refusals) per group of `metrics[key]` (by_type, by_doc).

    Refusals are the refusal recall of the unanswerable group and the false-refusal rate of the others.
    """
    rows = []
    for name, m in metrics[key].items():
        refuse = m["refusal_recall"] if name == "unanswerable" else m["false_refusal"]
        rows.append((name, m["items"], fmt(m["hit@1"]), fmt(m[f"hit@{k}"]), fmt(m["fact_recall"]), fmt(refuse)))
    return rows


def format_breakdown(metrics: dict, key: str, k: int) -> str:
    rows = [f"{key:<14}{'n':>4}{'hit@1':>8}{f'hit@{k}':>8}{'facts':>8}{'refuse':>8}"]
    for name, items, hit1, hitk, facts, refuse in breakdown_rows(metrics, key, k):
        rows.append(f"{name:<14}{items:>4}{hit1:>8}{hitk:>8}{facts:>8}{refuse:>8}")
    return "\n".join(rows)
