"""What every tab is built from: the bot, the settings and the documents it answers from."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.answer import StudyBot
from bot.load import read_manifest, read_text, sections_of
from bot.models import Section, SourceDoc
from bot.settings import Settings


class Library:
    """The manifest's documents and, read on first use, their cleaned sections."""

    def __init__(self, docs: list[SourceDoc]):
        self.docs = docs
        self._sections: dict[str, list[Section]] = {}

    @classmethod
    def from_settings(cls, settings: Settings) -> Library:
        return cls(read_manifest(settings.corpus_dir))

    def doc(self, doc_id: str | None) -> SourceDoc | None:
        return next((d for d in self.docs if d.doc_id == doc_id), None)

    def sections(self, doc: SourceDoc) -> list[Section]:
        """Raises CorpusError when the file cannot be read."""
        if doc.doc_id not in self._sections:
            self._sections[doc.doc_id] = sections_of(doc, read_text(doc))
        return self._sections[doc.doc_id]


@dataclass
class AppContext:
    bot: StudyBot
    settings: Settings
    library: Library
    tabs: Any = None  # the gr.Tabs, for handlers that switch tab
    views: dict[str, Any] = field(default_factory=dict)  # TAB_ID -> what that tab's build() returned
