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

from bot.answer.studybot import StudyBot

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
        self._failed = ""  # a generation that could not be loaded
        self.generation = 0  # swaps so far: caches built on a bot key on it
        self.problem = ""  # why the last check or rebuild failed, for the UI and the log

    @property
    def collection(self) -> str:
        store = self._bot.searcher.store
        return getattr(store, "generation", "") or getattr(store, "collection_name", "")

    def current(self) -> StudyBot:
        """The bot to answer with now. At most every `every` seconds, a background thread checks whether the
        index has moved on (and loads it): a request never waits for the check, a slow server included."""
        if self._every >= 0 and self._clock() - self._checked >= self._every:
            with self._lock:
                due = self._clock() - self._checked >= self._every and not (
                    self._building and self._building.is_alive())
                if due:
                    self._checked = self._clock()
                    self._building = threading.Thread(target=self._follow, name="index-follow", daemon=True)
                    self._building.start()
        return self._bot

    def _follow(self) -> None:
        try:
            active = self._active()
        except Exception as err:  # server down, files being replaced: keep answering from memory
            self._note(f"cannot check the index for updates ({type(err).__name__}: {err})")
            return
        if not active or active == self.collection:
            self.problem = ""
            return
        if active == self._failed:
            return  # that index failed to load already: not again every few seconds, only once it changes
        try:
            fresh = self._build()
        except Exception as err:
            self._failed = active
            self._note(f"a new index ({active}) could not be loaded ({type(err).__name__}: {err})")
            return
        with self._lock:
            self._bot, self.problem = fresh, ""
            self.generation += 1
        log.info("now answering from %s", self.collection)

    def wait(self, timeout: float = 60.0) -> None:
        """Block until a check (and the load it started) has finished (tests, benchmarks)."""
        building = self._building
        if building:
            building.join(timeout)

    def _note(self, problem: str) -> None:
        if problem != self.problem:
            log.warning("%s; still answering from %s", problem, self.collection)
        self.problem = problem


def live_bot(bot: StudyBot, settings, answerer_spec: str | None = None) -> LiveBot:
    """A LiveBot over `bot` that rebuilds the same kind of bot (extractive or with the same chat model)."""
    from bot.answer.studybot import build_answering_with
    from bot.ingest.index import active_collection

    return LiveBot(bot, lambda: build_answering_with(settings, answerer_spec), lambda: active_collection(settings),
                   settings.index_check_seconds)
