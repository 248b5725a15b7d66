"""How long an answer takes with the packaged small model here, against the extractive answer in the same run.

Run: .venv/bin/python bench/local_llm.py [--n 20] [--threads 1 2]   (needs `make local` and a built index)
Starts llama.cpp's OpenAI-compatible server with SmolLM2-135M-Instruct once per thread count, asks the first N
answerable dev questions through the whole chain (retrieval, streamed model answer, claim check) and prints the
median and p95 time to the first token and to the checked answer, the share that fell back to the extractive
answer, and the extractive chain's time on the same questions.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from helpers.local_llm import SPEC, LocalServer  # noqa: E402

from bot.answer.followup import stream_reply  # noqa: E402
from bot.answer.studybot import build_answering_with, build_bot  # noqa: E402
from bot.models import Answer  # noqa: E402
from bot.settings import Settings  # noqa: E402
from evals.gold_io import load_gold  # noqa: E402
from evals.metrics import percentile  # noqa: E402


def timed_model_answers(bot, questions: list[str]) -> tuple[list[float], list[float], int]:
    first_token, whole, fell_back = [], [], 0
    for question in questions:
        started, first = time.perf_counter(), None
        for item in stream_reply(bot, question):
            if not isinstance(item, Answer) and first is None:
                first = time.perf_counter() - started
            elif isinstance(item, Answer):
                fell_back += item.answerer != SPEC
        whole.append(time.perf_counter() - started)
        first_token.append(first if first is not None else whole[-1])
    return first_token, whole, fell_back


def row(name: str, seconds: list[float]) -> str:
    return f"{name:<34} median {statistics.median(seconds):6.2f} s   p95 {percentile(seconds, 95):6.2f} s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=20, help="dev questions asked")
    parser.add_argument("--threads", type=int, nargs="+", default=[1], help="llama.cpp threads to try")
    args = parser.parse_args()

    settings = Settings.from_env()
    dev = load_gold(ROOT / "evals" / "gold" / "dev.jsonl")
    gold = [g for g in dev if g["type"] not in ("unanswerable", "followup")]
    questions = [g["question"] for g in gold[:args.n]]
    extractive = build_bot(settings)
    for question in questions[:3]:
        extractive.ask(question)  # warm-up: model weights, caches
    plain = []
    for question in questions:
        began = time.perf_counter()
        extractive.ask(question)
        plain.append(time.perf_counter() - began)
    print(f"{len(questions)} dev questions, this machine: {os.cpu_count()} cores")
    print(row("extractive answer", plain))
    for threads in args.threads:
        with tempfile.TemporaryDirectory() as tmp:
            server = LocalServer(Path(tmp) / "server.log", threads=threads)
            try:
                bot = build_answering_with(replace(settings, llm=SPEC, llm_base_url=server.url), SPEC)
                first, whole, fell_back = timed_model_answers(bot, questions)
            finally:
                server.stop()
        print(f"SmolLM2-135M Q4_1, llama.cpp, {threads} thread(s):")
        print(row("  first token (draft starts)", first))
        print(row("  checked answer", whole))
        print(f"  fell back to the extractive answer: {fell_back}/{len(questions)}; checked answer / extractive "
              f"median: {statistics.median(whole) / statistics.median(plain):.0f}x")


if __name__ == "__main__":
    main()
