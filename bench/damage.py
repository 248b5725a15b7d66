"""Random damage to a real index, 100 cases: no crash and no wrong answer, only right answers or the fix.

Run: .venv/bin/python bench/damage.py [--cases 100] [--seed 29]   (copies the built index: `make index`)

Each case copies the index, damages one file of the store, its snapshot or the index folder in one of six ways
(random bytes over the file or a region of it, the same keeping the file's size and modification time, truncation,
zeroes, deletion) and runs `studybot ask` in its own process, as a person would. A case is
- "answered right": exit 0 and the same answer as the undamaged index gives;
- "clear message": exit 2, one line naming the fix (ingest or rebuild, the disk, the server), no traceback;
- "WRONG ANSWER": exit 0 with another answer than the undamaged index's (the damage reached the text shown);
- "CRASH": a signal (segmentation fault), a traceback, a hang past the time limit or any other exit.
Prints the table by outcome and by damaged file, and exits 1 when any case crashed or answered wrongly.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from bot.ingest.index import CURRENT_FILE, PROBE_FILE, store_dir
from bot.settings import ROOT, Settings

QUESTIONS = ["What is the max message size in SQS?", "How many shards can a Kinesis data stream have?",
             "What is the default retention period of a Kinesis data stream?"]
KINDS = ("random bytes", "random region", "same size and time", "truncated", "zeroed", "deleted")
ADVICE = ("studybot ingest", "free some space", "read-only", "check the server")  # `ingest` covers `--rebuild`
TIME_LIMIT = 300


def ask(env: dict, question: str) -> subprocess.CompletedProcess | None:
    try:
        return subprocess.run([sys.executable, "-m", "bot.cli", "ask", question], env=env, capture_output=True,
                              text=True, timeout=TIME_LIMIT)
    except subprocess.TimeoutExpired:
        return None


def damage(path: Path, kind: str, rng: random.Random) -> None:
    size = path.stat().st_size
    if kind == "deleted":
        path.unlink()
        return
    if kind == "truncated":
        os.truncate(path, rng.randrange(size) if size else 0)
        return
    before = path.stat()
    start, length = 0, size
    if kind in ("random region", "same size and time") and size > 1:
        start = rng.randrange(size)
        length = rng.randint(1, min(size - start, 65536))
    with open(path, "r+b") as handle:
        handle.seek(start)
        handle.write(b"\0" * length if kind == "zeroed" else rng.randbytes(length))
    if kind == "same size and time":
        os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))


def damageable(index: Path, settings: Settings) -> list[Path]:
    """Every file of the active store (database, HNSW files, start-up snapshot) and the index's CURRENT pointer."""
    files = [p for p in store_dir(settings).rglob("*") if p.is_file() and p.name != PROBE_FILE]
    return files + [p for p in [index / CURRENT_FILE] if p.exists()]


def judge(done: subprocess.CompletedProcess | None, expected: str) -> str:
    if done is None:
        return "CRASH"
    if done.returncode == 0:
        return "answered right" if done.stdout == expected else "WRONG ANSWER"
    message = done.stderr.strip()
    if done.returncode == 2 and "Traceback" not in message and any(a in message.lower() for a in ADVICE):
        return "clear message"
    return "CRASH"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100)
    parser.add_argument("--seed", type=int, default=29)
    args = parser.parse_args()
    source = Settings.from_env()
    if not (Path(source.index_dir) / "chroma").exists() and not (Path(source.index_dir) / CURRENT_FILE).exists():
        sys.exit("no index to damage: run `make index` first")
    rng = random.Random(args.seed)
    work = Path(tempfile.mkdtemp(prefix="studybot-damage-"))
    base_env = os.environ | {"PYTHONPATH": str(ROOT), "STUDYBOT_CORPUS_DIR": str(source.corpus_dir)}
    pristine = work / "pristine"
    shutil.copytree(source.index_dir, pristine, ignore=shutil.ignore_patterns("models", "baseline", ".ingest*"))
    expected = {}
    for question in QUESTIONS:
        done = ask(base_env | {"STUDYBOT_INDEX_DIR": str(pristine)}, question)
        assert done is not None and done.returncode == 0, done and done.stderr
        expected[question] = done.stdout
    outcomes, by_file, problems = Counter(), Counter(), []
    started = time.perf_counter()
    try:
        for case in range(args.cases):
            index = work / f"case-{case}"
            shutil.copytree(pristine, index)
            settings = Settings.from_env({"STUDYBOT_INDEX_DIR": str(index)})
            target = rng.choice(damageable(index, settings))
            kind = rng.choice(KINDS)
            damage(target, kind, rng)
            question = rng.choice(QUESTIONS)
            done = ask(base_env | {"STUDYBOT_INDEX_DIR": str(index)}, question)
            outcome = judge(done, expected[question])
            outcomes[outcome] += 1
            by_file[(target.name, outcome)] += 1
            if outcome in ("CRASH", "WRONG ANSWER"):
                said = "timed out" if done is None else f"exit {done.returncode}: {done.stderr.strip()[-300:]}"
                problems.append(f"case {case}: {kind} in {target.relative_to(index)} -> {outcome} ({said})")
            shutil.rmtree(index, ignore_errors=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"{args.cases} damage cases (seed {args.seed}) in {time.perf_counter() - started:.0f} s\n")
    print("| outcome | cases |\n|---|---|")
    for outcome in ("answered right", "clear message", "WRONG ANSWER", "CRASH"):
        print(f"| {outcome} | {outcomes[outcome]} |")
    print("\n| damaged file | outcome | cases |\n|---|---|---|")
    for (name, outcome), count in sorted(by_file.items()):
        print(f"| {name} | {outcome} | {count} |")
    for problem in problems:
        print(problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
