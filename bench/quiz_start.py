"""Start-up of `studybot quiz --stats` (and so of `quiz` and `exam`, which load the same deck): deck built vs read back.

Run: .venv/bin/python bench/quiz_start.py [--runs 3]
Each run is a fresh process, as a person starts it. "built" starts with no stored deck (removed before each
run); "stored" reads the deck `bot/quiz/stored.py` kept from the run before. Prints the median wall time of
each and their ratio, measured in the same run.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bot.settings import Settings


def start_seconds(env: dict) -> float:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "bot.cli", "quiz", "--stats", "--profile", "bench"], env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="studybot-quiz-start-"))
    env = os.environ | {"STUDYBOT_INDEX_DIR": str(work / "index"), "STUDYBOT_DATA_DIR": str(work / "data"),
                        "STUDYBOT_MODEL_CACHE_DIR": str(Settings.from_env().model_cache_dir)}
    try:
        built, kept = [], []
        for _ in range(args.runs):
            shutil.rmtree(work / "index" / "decks", ignore_errors=True)
            built.append(start_seconds(env))
            kept.append(start_seconds(env))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    b, k = statistics.median(built), statistics.median(kept)
    print(f"studybot quiz --stats, median of {args.runs} fresh processes each")
    print("| deck | start-up |\n|---|---|")
    print(f"| built (nothing stored) | {b:.2f} s |\n| read back (stored) | {k:.2f} s |")
    print(f"ratio stored / built: {k / b:.2f}")


if __name__ == "__main__":
    main()
