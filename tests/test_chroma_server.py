"""The index through a real `chroma run` server (STUDYBOT_CHROMA_HOST), not only the embedded store."""

import shutil
import socket
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import cli_env

from bot.answer.studybot import build_bot
from bot.ingest.index import IndexUnavailable, ingest, open_store

CHROMA = Path(sys.executable).parent / "chroma"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(port: int, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise TimeoutError(f"chroma server on {port} did not start")


@pytest.fixture
def chroma_server(tmp_path):
    if not CHROMA.exists() and not shutil.which("chroma"):
        pytest.fail("the chroma CLI ships with chromadb and should be in the venv")
    port = free_port()
    process = subprocess.Popen(
        [str(CHROMA if CHROMA.exists() else shutil.which("chroma")), "run", "--path", str(tmp_path / "server"),
         "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(port)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_ingest_and_answer_through_a_chroma_server(tiny_settings, chroma_server):
    from bot.ingest.index import index_exists

    settings = replace(tiny_settings, chroma_host="127.0.0.1", chroma_port=chroma_server)
    assert not index_exists(settings)  # the app builds one at start when the server has none
    first = ingest(settings, progress=False)
    assert index_exists(settings)
    assert ingest(settings, progress=False).unchanged
    assert len(open_store(settings).chunks) == first.total
    answer = build_bot(settings).ask("What is the max message size in SQS?")
    assert "256 KB" in answer.text and answer.citations
    assert not (tiny_settings.index_dir / "chroma").exists()  # nothing written to the embedded store
    rebuilt = ingest(settings, rebuild=True, progress=False)  # on a server: a new collection, every chunk embedded
    assert (rebuilt.collection, rebuilt.embedded, rebuilt.reused) == ("studybot-chunks-2", first.total, 0)

    from bot.ingest.index import _set_pointer, make_client

    _set_pointer(make_client(settings), "studybot-chunks-9", first.total, None)  # a lost collection
    with pytest.raises(IndexUnavailable, match=r"cannot be read \(NotFoundError: .*\)\. Check the server\.$"):
        open_store(settings)


def test_stopped_server_is_a_clear_message(tiny_settings, tmp_path):
    port = free_port()
    process = subprocess.Popen([str(CHROMA), "run", "--path", str(tmp_path / "s"), "--port", str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for(port)
    process.terminate()
    process.wait(timeout=20)
    settings = replace(tiny_settings, chroma_host="127.0.0.1", chroma_port=port)
    with pytest.raises(IndexUnavailable, match="cannot reach the Chroma server at 127.0.0.1:[0-9]+ .*Start it"):
        ingest(settings, progress=False)


def test_a_running_app_answers_through_a_server_outage_and_uses_the_server_again(tiny_settings, tmp_path, caplog):
    """The server stops while the app runs: answers go on from the vectors loaded at start; the update check
    names the server; once `chroma run` is back on the same data, searches go to it again by themselves."""
    from bot.answer.live import live_bot

    port = free_port()
    command = [str(CHROMA), "run", "--path", str(tmp_path / "data"), "--host", "127.0.0.1", "--port", str(port)]
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(port)
        settings = replace(tiny_settings, chroma_host="127.0.0.1", chroma_port=port, index_check_seconds=0.0)
        ingest(settings, progress=False)
        live = live_bot(build_bot(settings), settings)
        assert "256 KB" in live.current().ask("What is the max message size in SQS?").text
        server.terminate()
        server.wait(timeout=20)

        during = live.current().ask("What is the max message size in SQS?")
        assert not during.refused and "256 KB" in during.text
        live.current()
        live.wait()
        assert live.current().searcher.chroma_failing and f"127.0.0.1:{port}" in live.problem.replace("'", "")
        assert caplog.text.count("Chroma search failed") == 1

        server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(port)
        after = live.current().ask("What is the max message size in SQS?")
        live.current()
        live.wait()
        assert "256 KB" in after.text and not live.current().searcher.chroma_failing and not live.problem
        assert live.generation == 0  # same data: nothing to reload
    finally:
        server.terminate()
        server.wait(timeout=20)


def test_every_app_worker_follows_an_ingest_into_the_server(tiny_settings, chroma_server):
    """Two app workers on one `chroma run`: after an ingest of a changed corpus both answer from the new data."""
    from bot.answer.live import live_bot

    settings = replace(tiny_settings, chroma_host="127.0.0.1", chroma_port=chroma_server, index_check_seconds=0.0)
    ingest(settings, progress=False)
    workers = [live_bot(build_bot(settings), settings) for _ in range(2)]
    assert all("256 KB" in w.current().ask("What is the max message size in SQS?").text for w in workers)
    queues = settings.corpus_dir / "queues.md"
    queues.write_text(queues.read_text().replace("256 KB", "1 MiB"))
    ingest(settings, progress=False)
    for worker in workers:
        worker.current()
        worker.wait()
        assert worker.generation == 1 and "1 MiB" in worker.current().ask("What is the max message size in SQS?").text


def _ask_in_a_child(settings, port: int, seconds: float = 1.0) -> subprocess.CompletedProcess:
    env = cli_env(settings) | {"STUDYBOT_CHROMA_HOST": "127.0.0.1", "STUDYBOT_CHROMA_PORT": str(port),
                               "STUDYBOT_CHROMA_TIMEOUT": str(seconds)}
    return subprocess.run([sys.executable, "-m", "bot.cli", "ask", "What is the max message size in SQS?"],
                          env=env, capture_output=True, text=True, timeout=120)


def test_a_port_that_accepts_and_never_answers_is_named_and_exits_2(tiny_settings):
    """A silent listener: the connection is accepted (by the kernel) but nothing is ever sent back."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        port = listener.getsockname()[1]
        started = time.monotonic()
        result = _ask_in_a_child(tiny_settings, port)
        took = time.monotonic() - started
        settings = replace(tiny_settings, chroma_host="127.0.0.1", chroma_port=port, chroma_timeout=0.5)
        with pytest.raises(IndexUnavailable, match=r"^the Chroma server at 127\.0\.0\.1:\d+ does not answer "
                                                   r"\(nothing within 0\.5 s\)"):
            ingest(settings, progress=False)
    assert result.returncode == 2, result.stderr
    assert f"the Chroma server at 127.0.0.1:{port} does not answer" in result.stderr
    assert "Traceback" not in result.stderr and took < 60  # not the minutes a client without a limit waits


def test_a_frozen_server_is_treated_like_a_stopped_one(tiny_settings, tmp_path, caplog, monkeypatch):
    """`chroma run` stopped with SIGSTOP mid-session: questions go on from the vectors in memory with one warning,
    only the first pays the time limit, the CLI says the server does not answer, and after SIGCONT searches go to
    the server again."""
    import signal

    from bot.search import retrieve

    monkeypatch.setattr(retrieve, "RETRY_CAP_SECONDS", 2.0)
    port = free_port()
    server = subprocess.Popen([str(CHROMA), "run", "--path", str(tmp_path / "data"), "--host", "127.0.0.1",
                               "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(port)
        settings = replace(tiny_settings, chroma_host="127.0.0.1", chroma_port=port, chroma_timeout=1.0)
        ingest(settings, progress=False)
        bot = build_bot(settings)
        assert "256 KB" in bot.ask("What is the max message size in SQS?").text
        server.send_signal(signal.SIGSTOP)

        started = time.monotonic()
        during = bot.ask("What is the max message size in SQS?")
        first = time.monotonic() - started
        started = time.monotonic()
        again = bot.ask("How long can a message stay in an SQS queue?")
        second = time.monotonic() - started
        assert "256 KB" in during.text and not again.refused and bot.searcher.chroma_failing
        assert 1.0 <= first < 10 and second < 1.0  # one time limit, then the vectors in memory without waiting
        assert caplog.text.count("Chroma search failed (ReadTimeout") == 1

        result = _ask_in_a_child(settings, port)
        assert result.returncode == 2 and f"127.0.0.1:{port} does not answer" in result.stderr, result.stderr

        server.send_signal(signal.SIGCONT)
        time.sleep(2.0)
        bot.ask("What is the max message size in SQS?")
        assert not bot.searcher.chroma_failing and "Chroma answers again" in caplog.text
    finally:
        server.send_signal(signal.SIGCONT)
        server.terminate()
        server.wait(timeout=20)
