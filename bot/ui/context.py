"""What every tab is built from: the bot, the settings and the documents it answers from."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bot.answer.disagree import Disagreement, notes_disagreements
from bot.answer.live import LiveBot
from bot.answer.llm import parse_spec
from bot.answer.studybot import StudyBot, with_llm
from bot.ingest.load import CorpusError, read_manifest, read_text, sections_of
from bot.models import Section, SourceDoc
from bot.settings import Settings


class Library:
    """The manifest's documents and, read on first use, their cleaned sections.

    With `generation` (the live bot's swap count), an ingest that the app follows also renews what Browse shows:
    at the next use after a swap the manifest is read again and the sections on their next use."""

    def __init__(self, docs: list[SourceDoc], reload: Callable[[], list[SourceDoc]] | None = None,
                 generation: Callable[[], int] = lambda: 0):
        self._docs = docs
        self._reload = reload
        self._generation = generation
        self._seen = generation()
        self._sections: dict[str, list[Section]] = {}
        self._disagreements: list[Disagreement] | None = None

    @classmethod
    def from_settings(cls, settings: Settings, generation: Callable[[], int] = lambda: 0) -> Library:
        return cls(read_manifest(settings.corpus_dir), lambda: read_manifest(settings.corpus_dir), generation)

    @property
    def docs(self) -> list[SourceDoc]:
        self._follow()
        return self._docs

    def _follow(self) -> None:
        now = self._generation()
        if now == self._seen or self._reload is None:
            return
        try:
            docs = self._reload()
        except CorpusError:
            return  # a manifest being rewritten: the documents as they were, and the next use tries again
        self._docs, self._sections, self._disagreements, self._seen = docs, {}, None, now

    def doc(self, doc_id: str | None) -> SourceDoc | None:
        return next((d for d in self.docs if d.doc_id == doc_id), None)

    def sections(self, doc: SourceDoc) -> list[Section]:
        """Raises CorpusError when the file cannot be read."""
        self._follow()
        if doc.doc_id not in self._sections:
            self._sections[doc.doc_id] = sections_of(doc, read_text(doc))
        return self._sections[doc.doc_id]

    def disagreements(self) -> list[Disagreement]:
        """Facts two documents give different values for (bot.answer.disagree), over every readable document."""
        self._follow()
        if self._disagreements is None:
            from bot.search.query import load_service_names

            readable = {}
            for doc in self.docs:
                try:
                    readable[doc] = self.sections(doc)
                except CorpusError:
                    continue
            self._disagreements = notes_disagreements(readable, load_service_names())
        return self._disagreements


@dataclass
class AppContext:
    start_bot: StudyBot  # the bot loaded at start; `bot` follows the index from there when `live` is set
    settings: Settings
    library: Library
    tabs: Any = None  # the gr.Tabs, for handlers that switch tab
    app: Any = None  # the gr.Blocks, for handlers that run when a page loads
    eval_paths: Any = None  # the Evals tab's question set and results folder (evals.harness.EvalPaths; None: defaults)
    views: dict[str, Any] = field(default_factory=dict)  # TAB_ID -> what that tab's build() returned
    live: LiveBot | None = None
    bots: dict[str, StudyBot] = field(default_factory=dict, init=False, repr=False)  # spec -> bot (bot_for)
    _bots_lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False, compare=False)
    _bots_generation: int = field(default=0, init=False, repr=False)

    @property
    def bot(self) -> StudyBot:
        """The bot to answer with now: after an ingest, the one on the new index."""
        return self.live.current() if self.live else self.start_bot

    @property
    def default_answerer(self) -> str:
        """The spec of the answerer the app was started with: 'none' or STUDYBOT_LLM's 'provider:model'."""
        return answerer_key(self.bot.answerer.name)

    def bot_for(self, spec: str) -> StudyBot:
        """A bot answering with `spec` ('none': extractive), sharing the index and searcher of `self.bot`.

        One bot per spec, built on first use; a bad spec raises LLMConfigError (nothing is cached).
        """
        key = answerer_key(spec)
        generation = self.live.generation if self.live else 0  # read before the bot: a swap may land between
        bot = self.bot
        with self._bots_lock:
            if generation != self._bots_generation:  # the index moved on: bots on the old one are dropped
                self.bots.clear()
                self._bots_generation = generation
            if not self.bots:
                self.bots[self.default_answerer] = bot
            if key not in self.bots:
                bot = with_llm(bot, key)
                if len(self.bots) >= MAX_CACHED_BOTS:  # someone tried many names: forget the oldest choice
                    del self.bots[next(k for k in self.bots if k != self.default_answerer)]
                self.bots[key] = bot
            return self.bots[key]


MAX_CACHED_BOTS = 8


def answerer_key(spec: str | None) -> str:
    """'none' for the extractive answerer, else 'provider:model' as bot.answer.llm names it ('Ollama: x' -> 'ollama:x').

    Raises LLMConfigError for a string that is neither.
    """
    parsed = parse_spec(spec or "")
    return "none" if parsed is None else f"{parsed[0]}:{parsed[1]}"
