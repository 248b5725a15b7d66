"""A bot that follows the index: after an ingest flips the active collection, the app answers from the new one.

The app loads the index once at start. When `studybot ingest` (another process, or another machine in server
mode) writes a new collection and flips the pointer to it, the running bot notices on its next request (the
pointer is read at most every `index_check_seconds`), builds a bot on the new collection in the background and
swaps it in with one assignment. Until then the old bot keeps answering: its chunks and vectors are in memory,
so the old collection being dropped, or the server going away, does not stop it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from bot.answer import StudyBot

log = logging.getLogger(__name__)


class LiveBot:
    def __init__(self, bot: StudyBot, build: Callable[[], StudyBot], active: Callable[[], str | None],
                 every: float = 2.0, clock: Callable[[], float] = time.monotonic):
        self._bot = bot
        self._build = build
        self._active = active
        self._every = every
        self._clock = clock
        self._checked = clock()
        self._lock = threading.Lock()
        self._building: threading.Thread | None = None
        self.generation = 0  # swaps so far: caches built on a bot key on it
        self.problem = ""  # why the last check or rebuild failed, for the UI and the log

    @property
    def collection(self) -> str:
        store = self._bot.searcher.store
        return getattr(store, "generation", "") or getattr(store, "collection_name", "")

    def current(self) -> StudyBot:
        """The bot to answer with now; starts a rebuild in the background when the index has moved on."""
        if self._every >= 0 and self._clock() - self._checked >= self._every:
            self._maybe_rebuild()
        return self._bot

    def _maybe_rebuild(self) -> None:
        with self._lock:
            if self._clock() - self._checked < self._every or (self._building and self._building.is_alive()):
                return
            self._checked = self._clock()
        try:
            active = self._active()
        except Exception as err:  # server down, files being replaced: keep answering from memory
            self._note(f"cannot check the index for updates ({type(err).__name__}: {err})")
            return
        self.problem = ""
        if active and active != self.collection:
            self._building = threading.Thread(target=self._rebuild, args=(active,), name="index-swap", daemon=True)
            self._building.start()

    def _rebuild(self, active: str) -> None:
        try:
            fresh = self._build()
        except Exception as err:
            self._note(f"a new index ({active}) could not be loaded ({type(err).__name__}: {err})")
            return
        with self._lock:
            self._bot, self.problem = fresh, ""
            self.generation += 1
        log.info("now answering from %s", self.collection)

    def wait(self, timeout: float = 60.0) -> None:
        """Block until a rebuild under way has finished (tests, benchmarks)."""
        building = self._building
        if building:
            building.join(timeout)

    def _note(self, problem: str) -> None:
        if problem != self.problem:
            log.warning("%s; still answering from %s", problem, self.collection)
        self.problem = problem


def live_bot(bot: StudyBot, settings, answerer_spec: str | None = None) -> LiveBot:
    """A LiveBot over `bot` that rebuilds the same kind of bot (extractive or with the same chat model)."""
    from bot.answer import build_bot
    from bot.index import active_collection
    from bot.llm import check_spec, with_llm

    def build() -> StudyBot:
        fresh = build_bot(settings)
        return with_llm(fresh, answerer_spec) if answerer_spec and check_spec(answerer_spec) else fresh

    return LiveBot(bot, build, lambda: active_collection(settings), settings.index_check_seconds)
