"""What each generalisation lever gives: the whole chain with one lever switched off at a time, dev and test.

Run: .venv/bin/python bench/levers.py [--sets dev test] [--only NAME ...]
Prints one markdown row per (lever, set). Every row is the real chain over the built index; only settings differ.
"""

from __future__ import annotations

import argparse
import time

from bot.answer.studybot import StudyBot
from bot.ingest.index import open_store
from bot.search.retrieve import HybridSearcher
from bot.settings import ROOT, Settings
from evals.gold_io import load_gold
from evals.harness import bot_system, run_gold
from evals.metrics import summarize

LEVERS = {
    "all levers (default)": {},
    "(on) learned passage ranker": {"ranker": "learned"},
    "hand-set answer lines": {"lines": "weights"},
    "no retry with the conversation": {"retry_with_history": False},
    "before issue 28 (hand-set lines, no retry)": {"lines": "weights", "retry_with_history": False},
    "no line re-rank": {"line_weight": 0.0},
    "no spelling fix": {"spelling": False},
    "no alias / concept expansion": {"expansions": False},
    "no name-miss penalty": {"name_miss_penalty": 0.0},
    "no conversation reading": {"conversation": False},
}
COLUMNS = ("hit@1", "hit@5", "mrr@5", "fact_recall", "citation_accuracy", "refusal_recall", "false_refusal")


def measure(store, overrides: dict, gold: list[dict]) -> tuple[dict, dict]:
    settings = Settings.from_env(**overrides)
    bot = StudyBot(HybridSearcher(store, settings), settings=settings)
    _, scores = run_gold(bot_system(bot), gold, 5)
    summary = summarize(scores, 5)
    return summary["overall"], summary["by_style"]


def row(lever: str, name: str, overall: dict, by_style: dict) -> str:
    cells = [f"{overall[c]:.3f}" if overall[c] is not None else "-" for c in COLUMNS]
    follow = by_style.get("followup", {}).get("hit@5")
    follow_refused = by_style.get("followup", {}).get("false_refusal")
    switch = by_style.get("switch", {}).get("hit@5")
    typo = by_style.get("typo", {}).get("hit@1")
    extra = [f"{v:.3f}" if v is not None else "-" for v in (follow, follow_refused, switch, typo)]
    return f"| {lever} | {name} | " + " | ".join(cells + extra) + " |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sets", nargs="+", default=["dev", "test"])
    parser.add_argument("--only", nargs="*", help="lever names to run (default: all)")
    args = parser.parse_args()
    store = open_store(Settings.from_env())
    golds = {name: load_gold(ROOT / "evals" / "gold" / f"{name}.jsonl") for name in args.sets}
    print("| lever | set | " + " | ".join(COLUMNS) + " | follow-up hit@5 | follow-up false ref. | switch hit@5 | "
          "typo hit@1 |")
    print("|---|---|" + "---|" * (len(COLUMNS) + 4))
    started = time.perf_counter()
    for lever, overrides in LEVERS.items():
        if args.only and lever not in args.only:
            continue
        for name, gold in golds.items():
            overall, by_style = measure(store, overrides, gold)
            print(row(lever, name, overall, by_style), flush=True)
    print(f"\n({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
