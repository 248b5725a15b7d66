"""LLM-free answer-quality metrics over gold items and run records (pure functions)."""

from __future__ import annotations

import math
import statistics
from collections import defaultdict

from bot.text import words

RELEVANCE_SHARE = 0.8  # a passage is relevant when it holds this share of the evidence's words in order


def in_order_share(evidence: str, passage: str) -> float:
    """Longest common subsequence of word tokens, as a share of the evidence's words."""
    needle, hay = words(evidence), words(passage)
    if not needle:
        return 0.0
    previous = [0] * (len(needle) + 1)
    for token in hay:
        current = [0]
        for j, wanted in enumerate(needle, start=1):
            current.append(previous[j - 1] + 1 if token == wanted else max(previous[j], current[j - 1]))
        previous = current
    return previous[-1] / len(needle)


def is_relevant(evidence: str, passage: str) -> bool:
    return bool(evidence) and in_order_share(evidence, passage) >= RELEVANCE_SHARE


def _contains_phrase(answer_tokens: list[str], phrase: str) -> bool:
    needle = words(phrase)
    if not needle:
        return False
    n = len(needle)
    return any(answer_tokens[i : i + n] == needle for i in range(len(answer_tokens) - n + 1))


def fact_found(answer: str, fact: str) -> bool:
    tokens = words(answer)
    return any(_contains_phrase(tokens, spelling) for spelling in fact.split("|"))


def first_relevant_rank(evidence: str, contexts: list[str], k: int) -> int | None:
    for rank, passage in enumerate(contexts[:k], start=1):
        if is_relevant(evidence, passage):
            return rank
    return None


def score_item(gold: dict, run: dict, k: int) -> dict:
    """Per-item scores; retrieval and fact scores are None for unanswerable items."""
    answerable = gold["type"] != "unanswerable"
    scores = {"id": gold["id"], "type": gold["type"], "doc": gold.get("doc") or "none", "answerable": answerable,
              "style": gold.get("style") or ("conversation" if gold.get("history") else "unmarked"),
              "refused": bool(run["refused"]), "ms": float(run.get("ms", 0.0))}
    if not answerable:
        return scores | {"rank": None, "fact_recall": None, "all_facts": None, "citation_ok": None}
    rank = first_relevant_rank(gold["evidence"], run["contexts"], k)
    facts = gold.get("facts") or []
    found = [fact_found(run["answer"], f) for f in facts] if not run["refused"] else [False] * len(facts)
    cited = run.get("cited") or []
    citation_ok = None if run["refused"] or not cited else any(is_relevant(gold["evidence"], c) for c in cited)
    return scores | {
        "rank": rank,
        "fact_recall": sum(found) / len(found) if found else None,
        "all_facts": all(found) if found else None,
        "citation_ok": citation_ok,
    }


def _mean(values) -> float | None:
    values = [float(v) for v in values if v is not None]
    return sum(values) / len(values) if values else None


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    index = max(0, math.ceil(q / 100 * len(ordered)) - 1)
    return ordered[index]


def aggregate(scores: list[dict], k: int) -> dict:
    answerable = [s for s in scores if s["answerable"]]
    unanswerable = [s for s in scores if not s["answerable"]]
    ranks = [s["rank"] for s in answerable]
    latencies = [s["ms"] for s in scores]
    return {
        "items": len(scores),
        "answerable": len(answerable),
        "hit@1": _mean(r == 1 for r in ranks),
        f"hit@{k}": _mean(r is not None for r in ranks),
        f"mrr@{k}": _mean(1 / r if r else 0.0 for r in ranks),
        "fact_recall": _mean(s["fact_recall"] for s in answerable),
        "all_facts": _mean(s["all_facts"] for s in answerable),
        "citation_accuracy": _mean(s["citation_ok"] for s in answerable),
        "refusal_recall": _mean(s["refused"] for s in unanswerable),
        "false_refusal": _mean(s["refused"] for s in answerable),
        "latency_p50_ms": percentile(latencies, 50),
        "latency_p95_ms": percentile(latencies, 95),
    }


def breakdown(scores: list[dict], key: str, k: int) -> dict[str, dict]:
    groups: dict[str, list[dict]] = defaultdict(list)
    for s in scores:
        groups[s[key]].append(s)
    return {name: aggregate(items, k) for name, items in sorted(groups.items())}


def summarize(scores: list[dict], k: int) -> dict:
    return {
        "overall": aggregate(scores, k),
        "by_type": breakdown(scores, "type", k),
        "by_doc": breakdown(scores, "doc", k),
        "by_style": breakdown([s for s in scores if "style" in s], "style", k),
        "latency_median_ms": statistics.median([s["ms"] for s in scores]) if scores else None,
    }
