"""Warm query latency: retrieve + extractive answer over the dev gold questions, ours vs. other settings.

Run: .venv/bin/python bench/latency.py [--rounds 3]   (needs a built index: `make index`)
Prints p50/p95 per stage and the ratio against, measured in the same run: the chain before issue 28 (hand-set answer
lines, no retry with the conversation), the learned passage ranker, the RRF fusion, the chain
without the question reading (spelling, expansions) and the line re-rank, i.e. what they cost, and the
question embedded by sentence-transformers (PyTorch) instead of the ONNX export.
"""

from __future__ import annotations

import argparse
import statistics
import time
from dataclasses import replace

from bot.answer.studybot import StudyBot, build_bot
from bot.ingest.embed import torch_embeddings
from bot.search.retrieve import HybridSearcher
from bot.settings import ROOT, Settings
from evals.gold_io import load_gold
from evals.metrics import percentile


def measure(bot: StudyBot, questions: list[str], rounds: int) -> dict[str, list[float]]:
    for question in questions[:5]:
        bot.ask(question)  # warm-up: model weights, caches
    stages: dict[str, list[float]] = {"retrieve": [], "answer": [], "total": []}
    for _ in range(rounds):
        for question in questions:
            started = time.perf_counter()
            answer = bot.ask(question)
            wall = (time.perf_counter() - started) * 1000
            stages["retrieve"].append(answer.timings_ms["retrieve"])
            stages["answer"].append(answer.timings_ms["answer"])
            stages["total"].append(wall)
    return stages


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    questions = [g["question"] for g in load_gold(ROOT / "evals" / "gold" / "dev.jsonl")]
    settings = Settings.from_env()
    ours = build_bot(settings)
    rrf_settings = replace(settings, fusion="rrf", lexical_weight=1.0)
    rrf = StudyBot(HybridSearcher(ours.searcher.store, rrf_settings), None, rrf_settings)
    plain_settings = replace(settings, spelling=False, expansions=False, line_weight=0.0)
    plain = StudyBot(HybridSearcher(ours.searcher.store, plain_settings), None, plain_settings)
    torch_query = torch_embeddings().embed_query
    on_torch = StudyBot(HybridSearcher(ours.searcher.store, settings, embed_query=torch_query), None, settings)
    hand_settings = replace(settings, lines="weights", retry_with_history=False)
    hand = StudyBot(HybridSearcher(ours.searcher.store, hand_settings), None, hand_settings)
    learned_settings = replace(settings, ranker="learned")
    learned = StudyBot(HybridSearcher(ours.searcher.store, learned_settings), None, learned_settings)
    results = {"score fusion (default)": measure(ours, questions, args.rounds),
               "before issue 28": measure(hand, questions, args.rounds),
               "learned ranker": measure(learned, questions, args.rounds),
               "torch query embedding": measure(on_torch, questions, args.rounds),
               "rrf fusion": measure(rrf, questions, args.rounds),
               "no reading / re-rank": measure(plain, questions, args.rounds)}
    print(f"{len(questions)} questions x {args.rounds} rounds, warm, {settings.k} passages")
    print(f"{'setting':<24}{'stage':<10}{'p50 ms':>9}{'p95 ms':>9}{'mean':>9}")
    for name, stages in results.items():
        for stage, values in stages.items():
            print(f"{name:<24}{stage:<10}{percentile(values, 50):>9.1f}{percentile(values, 95):>9.1f}"
                  f"{statistics.mean(values):>9.1f}")
    ours_p50 = percentile(results["score fusion (default)"]["total"], 50)
    for other in ("before issue 28", "learned ranker", "torch query embedding", "rrf fusion", "no reading / re-rank"):
        print(f"p50 ratio default/{other}: {ours_p50 / percentile(results[other]['total'], 50):.2f}x")


if __name__ == "__main__":
    main()
