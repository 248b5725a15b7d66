"""A running app keeps answering through an ingest by another process and then answers from the new index."""

import subprocess
import sys
import time
from types import SimpleNamespace

import pytest
from conftest import cli_env

from bot.answer.live import LiveBot, live_bot
from bot.answer.studybot import build_bot
from bot.ingest.index import ingest
from bot.ui.context import AppContext, Library

QUESTION = "What is the max message size in SQS?"


def _ingest_elsewhere(settings) -> None:
    """`studybot ingest` as its own process, as a person would run it beside the app."""
    done = subprocess.run([sys.executable, "-m", "bot.cli", "ingest", "--quiet"], env=cli_env(settings),
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr


def _wait_for_swap(live: LiveBot, old: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while live.collection == old and time.monotonic() < deadline:
        live.current()
        live.wait()
        time.sleep(0.05)


@pytest.mark.spawns
def test_the_app_follows_an_ingest_without_a_restart(tiny_settings, caplog):
    settings = tiny_settings.__class__(**{**tiny_settings.__dict__, "index_check_seconds": 0.0})
    ingest(settings, progress=False)
    start_bot = build_bot(settings)
    live = live_bot(start_bot, settings)
    ctx = AppContext(start_bot, settings, Library.from_settings(settings, lambda: live.generation), live=live)
    assert "256 KB" in ctx.bot.ask(QUESTION).text
    assert "256 KB" in _browse_text(ctx, QUEUES_SECTION)
    old = ctx.live.collection

    queues = settings.corpus_dir / "queues.md"
    queues.write_text(queues.read_text().replace("256 KB", "1 MiB"))
    _ingest_elsewhere(settings)

    # the old collection is gone now; the bot loaded before answers on (from memory) until the swap lands
    stale = ctx.start_bot.ask(QUESTION)
    assert not stale.refused and "256 KB" in stale.text
    assert "searching the vectors loaded at start" in caplog.text  # Chroma no longer has that collection
    _wait_for_swap(ctx.live, old)
    assert ctx.live.collection != old and ctx.live.generation == 1
    fresh = ctx.bot.ask(QUESTION)
    assert "1 MiB" in fresh.text and "256 KB" not in fresh.text
    assert ctx.bot_for("none") is ctx.bot  # answerer bots are rebuilt on the new index too
    assert "1 MiB" in _browse_text(ctx, QUEUES_SECTION)  # Browse reads the sections again after the swap


QUEUES_SECTION = ("Messaging", "Amazon SQS")


def _browse_text(ctx: AppContext, path: tuple[str, ...]) -> str:
    from bot.ui import browse

    return browse.show(ctx.library, "100", path)[2]


def _loaded_bot():
    """A stand-in with the one attribute LiveBot reads: the collection its store was opened on."""
    store = SimpleNamespace(collection_name="studybot-chunks-1")
    return SimpleNamespace(searcher=SimpleNamespace(store=store))


def test_a_failed_check_keeps_the_bot_and_says_why():
    def unreachable():
        raise ConnectionError("chroma at 10.0.0.9:8000 refused")

    bot = _loaded_bot()
    live = LiveBot(bot, build=lambda: pytest.fail("nothing to rebuild"), active=unreachable, every=0.0)
    assert live.current() is bot
    live.wait()
    assert "10.0.0.9:8000" in live.problem
    live = LiveBot(bot, build=lambda: pytest.fail("no check yet"), active=lambda: "studybot-chunks-2", every=3600)
    assert live.current() is bot  # checks are rate-limited: not on every request


def test_a_new_index_that_cannot_be_loaded_leaves_the_old_bot_answering():
    def broken():
        raise RuntimeError("database disk image is malformed")

    bot = _loaded_bot()
    attempts = []
    live = LiveBot(bot, build=lambda: attempts.append(1) or broken(), active=lambda: "studybot-chunks-2", every=0.0)
    for _ in range(3):
        live.current()
        live.wait()
    assert live.current() is bot and "malformed" in live.problem and live.generation == 0
    assert len(attempts) == 1  # the same broken index is not loaded again and again


def test_the_in_memory_search_finds_what_chroma_finds(tiny_settings):
    ingest(tiny_settings, progress=False)
    searcher = build_bot(tiny_settings).searcher
    vector = searcher.embed_query(QUESTION)
    for doc_id in (None, "101"):
        chroma = searcher.dense(QUESTION, 5, doc_id, vector)
        memory = searcher.dense_in_memory(vector, 5, doc_id)
        assert [r.chunk_id for r in memory] == [r.chunk_id for r in chroma]
        assert [r.similarity for r in memory] == pytest.approx([r.similarity for r in chroma], abs=1e-4)
        assert doc_id is None or {searcher.by_id[r.chunk_id].doc_id for r in memory} == {doc_id}
