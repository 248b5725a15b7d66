"""Load and memory of the running app, driven through its public API with gradio_client.

    .venv/bin/python bench/load.py                                  # 20 clients for 60 s, then 5,000 sessions
    .venv/bin/python bench/load.py --clients 50 --seconds 30 --sessions 0

Starts `app.py` on a free port as its own process (the real index in index/), then:
1. load: N concurrent clients, each its own browser session, ask questions back to back for T seconds;
   prints requests, errors, and latency p50 / p95 / max as a client sees it (queue wait included);
2. memory: S sessions one after another (each a new session, like a new browser tab, asking one question and
   its follow-up); prints the app's resident memory every S/10 sessions and the growth per session.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
QUESTIONS = [
    "What is the max message size in SQS?",
    "How long can data stay in a Kinesis data stream?",
    "What does AWS Glue job bookmarks do?",
    "What is Redshift Spectrum?",
    "How do DynamoDB global tables work?",
    "What is the difference between EBS and instance store?",
]
ALL_DOCUMENTS = "all"  # the value of the "Search in" dropdown for every document


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_app(port: int) -> subprocess.Popen:
    env = os.environ | {"STUDYBOT_PORT": str(port), "STUDYBOT_HOST": "127.0.0.1", "HF_HUB_OFFLINE": "1"}
    process = subprocess.Popen([sys.executable, str(ROOT / "app.py")], env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    for line in process.stdout:
        if "Study app on" in line:
            threading.Thread(target=lambda: [None for _ in process.stdout], daemon=True).start()  # drain
            return process
    raise RuntimeError(f"app.py exited with {process.wait()} before serving")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def ask(client, question: str) -> None:
    client.predict(question, [], ALL_DOCUMENTS, api_name="/on_ask")


def load(url: str, clients: int, seconds: float) -> None:
    from gradio_client import Client

    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def worker(number: int) -> None:
        client = Client(url, verbose=False)
        i = number
        while time.monotonic() < deadline:
            started = time.perf_counter()
            try:
                ask(client, QUESTIONS[i % len(QUESTIONS)])
                with lock:
                    latencies.append(time.perf_counter() - started)
            except Exception as err:  # counted, not raised: the point is how many fail
                with lock:
                    errors.append(f"{type(err).__name__}: {err}"[:200])
            i += 1

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    q = statistics.quantiles(latencies, n=20) if len(latencies) >= 20 else [float("nan")] * 19
    print(f"load: {clients} clients x {seconds:.0f} s: {len(latencies)} answers, {len(errors)} errors, "
          f"{len(latencies) / seconds:.1f} answers/s; latency p50 {statistics.median(latencies):.2f} s, "
          f"p95 {q[18]:.2f} s, max {max(latencies):.2f} s")
    for error in sorted(set(errors))[:5]:
        print("  error:", error)


def memory(url: str, pid: int, sessions: int) -> None:
    from gradio_client import Client

    client = Client(url, verbose=False)
    ask(client, QUESTIONS[0])  # warm: the first answer loads lazy parts
    start = rss_mb(pid)
    print(f"memory: app RSS {start:.0f} MB before {sessions:,} sessions")
    step = max(sessions // 10, 1)
    started = time.perf_counter()
    for n in range(1, sessions + 1):
        client.session_hash = uuid.uuid4().hex[:11]  # a new browser session, as a new tab would be
        ask(client, QUESTIONS[n % len(QUESTIONS)])
        if n % step == 0:
            now = rss_mb(pid)
            print(f"  after {n:>6,} sessions: RSS {now:7.0f} MB ({(now - start) * 1024 / n:6.1f} KB per session)"
                  f"  [{time.perf_counter() - started:.0f} s]", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--sessions", type=int, default=5000)
    args = parser.parse_args()
    port = free_port()
    process = start_app(port)
    url = f"http://127.0.0.1:{port}/"
    try:
        print(f"app.py pid {process.pid} on {url}; RSS {rss_mb(process.pid):.0f} MB")
        if args.clients and args.seconds:
            load(url, args.clients, args.seconds)
        if args.sessions:
            memory(url, process.pid, args.sessions)
    finally:
        process.terminate()
        process.wait(timeout=30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
