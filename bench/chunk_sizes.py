"""Choose chunk size/overlap by measurement: build an index per setting and score retrieval on the dev set.

Run: .venv/bin/python bench/chunk_sizes.py [--sizes 400 700 1000] [--overlaps 0 1]
Each setting embeds the corpus once into a temporary folder (about a minute each on 2 cores).
"""

from __future__ import annotations

import argparse
import itertools
import tempfile
from pathlib import Path

from bot.answer.studybot import build_bot
from bot.ingest.index import ingest
from bot.settings import ROOT, Settings
from evals.gold_io import load_gold
from evals.harness import bot_system, run_gold
from evals.metrics import summarize


def score(settings: Settings, gold: list[dict]) -> tuple[dict, int, float]:
    report = ingest(settings, progress=False)
    _, scores = run_gold(bot_system(build_bot(settings)), gold, 5)
    return summarize(scores, 5)["overall"], report.total, report.seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[400, 700, 1000])
    parser.add_argument("--overlaps", type=int, nargs="+", default=[1])
    args = parser.parse_args()
    gold = load_gold(ROOT / "evals" / "gold" / "dev.jsonl")
    print(f"{'size':>6}{'overlap':>8}{'chunks':>8}{'ingest s':>10}{'hit@1':>8}{'hit@5':>8}{'mrr@5':>8}"
          f"{'facts':>8}{'cite':>8}")
    for size, overlap in itertools.product(args.sizes, args.overlaps):
        with tempfile.TemporaryDirectory() as folder:
            settings = Settings.from_env(index_dir=Path(folder), chunk_size=size, chunk_overlap=overlap)
            m, chunks, seconds = score(settings, gold)
        print(f"{size:>6}{overlap:>8}{chunks:>8}{seconds:>10.0f}{m['hit@1']:>8.3f}{m['hit@5']:>8.3f}"
              f"{m['mrr@5']:>8.3f}{m['fact_recall']:>8.3f}{m['citation_accuracy']:>8.3f}", flush=True)


if __name__ == "__main__":
    main()
