"""How ingest, index size, start-up, memory and query latency grow with the corpus.

    .venv/bin/python bench/scale.py                      # 1x and 10x, embedded and server mode
    .venv/bin/python bench/scale.py --factors 1 10 100   # 100x embeds ~150k chunks: over an hour on 2 cores
    .venv/bin/python bench/scale.py --factors 100 --random-vectors   # 100x without the embedding (see below)

A corpus of N x is the five documents N times over; every copy after the first has its headings numbered
and one word in ten dropped (seeded per copy), so no chunk repeats and every one is embedded. For each size
and mode: ingest time and chunks/s, index size, then a fresh process that loads the bot as the app does
(time to ready and resident memory) and asks 40 questions (warm p50 / p95). In server mode two such workers
run against one `chroma run` and must give the same answers.

--random-vectors stores random unit vectors instead of embedding the chunks: the ingest then measures chunking
and Chroma's writes only (its chunks/s is not the embedding rate), while index size, start-up, memory and query
latency (questions are embedded by the real model) are measured as they are. Answers are meaningless then.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.load import free_port  # noqa: E402
from bot.settings import Settings  # noqa: E402

QUESTIONS = [
    "What is the max message size in SQS?", "How long can data stay in a Kinesis data stream?",
    "What does AWS Glue job bookmarks do?", "What is Redshift Spectrum?", "How do DynamoDB global tables work?",
    "What is the difference between EBS and instance store?", "What is S3 Intelligent-Tiering?",
    "How many shards can a Kinesis stream have?",
] * 5
_HEADING = re.compile(r"^(#+\s+.*|Section \d+:.*|\d+(?:\.\d+)*\.?\s+\S.*)$")

WORKER = """
import json, statistics, sys, time
started = time.perf_counter()
from bot.answer.studybot import build_bot
bot = build_bot()
bot.ask("warm up")
ready = time.perf_counter() - started
questions = json.loads(sys.argv[1])
times, answers = [], []
for q in questions:
    t = time.perf_counter()
    answers.append(bot.ask(q).text)
    times.append((time.perf_counter() - t) * 1000)
q = statistics.quantiles(times, n=20)
# peak resident memory of this process since its exec (ru_maxrss would include the parent's at fork)
peak = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:")) / 1024
print(json.dumps({"torch": "torch" in sys.modules, "ready_s": ready, "rss_mb": peak,
                  "p50_ms": statistics.median(times), "p95_ms": q[18], "answers": answers}))
"""


def scaled_corpus(source: Path, target: Path, factor: int) -> None:
    manifest = json.loads((source / "manifest.json").read_text())
    target.mkdir(parents=True)
    entries = []
    for entry in manifest:
        text = (source / entry["file"]).read_text(encoding="utf-8")
        copies = [text] + [_perturbed(text, copy) for copy in range(1, factor)]
        (target / entry["file"]).write_text("\n\n".join(copies), encoding="utf-8")
        entries.append(entry)
    (target / "manifest.json").write_text(json.dumps(entries), encoding="utf-8")


def _perturbed(text: str, copy: int) -> str:
    rng = random.Random(copy)
    lines = []
    for line in text.splitlines():
        if _HEADING.match(line.strip()):
            lines.append(f"{line} (part {copy})")
        else:
            words = line.split(" ")
            lines.append(" ".join(w for w in words if len(words) < 4 or rng.random() >= 0.1))
    return "\n".join(lines)


def folder_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 2**20


def run_worker(env: dict) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", WORKER, json.dumps(QUESTIONS)], env=env, cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def result_of(process: subprocess.Popen) -> dict:
    out, err = process.communicate(timeout=3600)
    if process.returncode:
        raise RuntimeError(err[-2000:])
    return json.loads(out.strip().splitlines()[-1])


def random_vectors(texts: list[str]) -> list[list[float]]:
    import numpy as np

    # seeded by the batch's own text: each batch gets its own vectors (a seed per batch size repeated the
    # same 32 vectors ~4,400 times at 100x, which no real index holds and which HNSW searches badly)
    rng = np.random.default_rng(zlib.crc32("\n".join(texts).encode()))
    vectors = rng.standard_normal((len(texts), 384)).astype(np.float32)
    return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).tolist()


def measure(factor: int, mode: str, work: Path, fake: bool = False) -> dict:
    from bot.ingest.index import ingest

    corpus, index = work / f"corpus-{factor}", work / f"index-{factor}-{mode}"
    if not corpus.exists():
        scaled_corpus(Settings().corpus_dir, corpus, factor)
    env = os.environ | {"STUDYBOT_CORPUS_DIR": str(corpus), "STUDYBOT_INDEX_DIR": str(index),
                        "STUDYBOT_MODEL_CACHE_DIR": str(Settings().model_cache_dir), "HF_HUB_OFFLINE": "1"}
    server = None
    overrides = {"corpus_dir": corpus, "index_dir": index}
    if mode == "server":
        port = free_port()
        server = subprocess.Popen([str(Path(sys.executable).parent / "chroma"), "run", "--path", str(index),
                                   "--host", "127.0.0.1", "--port", str(port)],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _wait_for(port)
        env |= {"STUDYBOT_CHROMA_HOST": "127.0.0.1", "STUDYBOT_CHROMA_PORT": str(port)}
        overrides |= {"chroma_host": "127.0.0.1", "chroma_port": port}
    try:
        report = ingest(Settings.from_env({}, **overrides), progress=False, embed=random_vectors if fake else None)
        workers = [run_worker(env) for _ in range(2 if mode == "server" else 1)]
        results = [result_of(w) for w in workers]
    finally:
        if server:
            server.terminate()
            server.wait(timeout=60)
    first = results[0]
    return {"factor": factor, "mode": mode, "chunks": report.total, "ingest_s": report.seconds,
            "chunks_per_s": report.embedded / report.seconds, "index_mb": folder_mb(index),
            "ready_s": first["ready_s"], "rss_mb": first["rss_mb"], "p50_ms": first["p50_ms"],
            "p95_ms": first["p95_ms"], "workers_agree": all(r["answers"] == first["answers"] for r in results)}


def _wait_for(port: int, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise TimeoutError(f"chroma server on {port} did not start")


def _share(rate: float, floor: float | None) -> str:
    return f" ({rate / floor:.0%} of floor)" if floor else ""


def embedding_floor(sample: int = 1000) -> float:
    """Chunks per second of the embedding model alone (one call, no Chroma, no chunking) on `sample` chunks
    of the real notes: the rate an ingest cannot beat on this machine, measured in the same run."""
    from bot.ingest.embed import embeddings
    from bot.ingest.index import current_chunks

    settings = Settings()
    chunks, _ = current_chunks(settings)
    texts = [c.embedding_text() for c in chunks][:sample]
    model = embeddings(settings)
    model.embed_documents(texts[:32])  # load and warm the session
    started = time.perf_counter()
    model.embed_documents(texts)
    return len(texts) / (time.perf_counter() - started)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--factors", type=int, nargs="+", default=[1, 10])
    parser.add_argument("--modes", nargs="+", default=["embedded", "server"], choices=["embedded", "server"])
    parser.add_argument("--random-vectors", action="store_true", help="skip the embedding (see the docstring)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="studybot-scale-"))
    floor = None if args.random_vectors else embedding_floor()
    if floor:
        print(f"embedding floor (the model alone, 1,000 chunks of the notes): {floor:.1f} chunks/s\n")
    print("| corpus | mode | chunks | ingest | chunks/s | index | start-up | RSS | query p50 | p95 | workers agree |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    try:
        for factor in args.factors:
            for mode in args.modes:
                r = measure(factor, mode, work, args.random_vectors)
                agree = "yes" if r["workers_agree"] else "NO"
                label = f"{factor}x" + (" (random vectors)" if args.random_vectors else "")
                rate = f"{r['chunks_per_s']:.1f}{_share(r['chunks_per_s'], floor)}"
                print(f"| {label} | {mode} | {r['chunks']:,} | {r['ingest_s']:.0f} s | {rate} | "
                      f"{r['index_mb']:.0f} MB | {r['ready_s']:.1f} s | {r['rss_mb']:.0f} MB | "
                      f"{r['p50_ms']:.0f} ms | {r['p95_ms']:.0f} ms | {agree if mode == 'server' else '-'} |",
                      flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
