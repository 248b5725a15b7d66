"""The quiz deck: cards generated from the corpus sections, filtered, scoped and looked up.

Generation is deterministic and needs neither the index nor a model: the corpus is the source of
truth, and a card's id hashes (doc, section path, prompt, answer), so regenerating after a corpus
change keeps the progress of every card whose text did not change.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from bot.ingest.chunk import chunk_sections
from bot.models import Chunk, Section
from bot.quiz.cards import BLANK, Card, number_cards
from bot.quiz.choices import (
    corpus_services,
    definition_cards,
    disguised,
    family_cards,
    family_of,
    heading_cards,
    service_cards,
    without_family_name,
)
from bot.quiz.kinds import is_aws_term, retired_in
from bot.quiz.scenario import scenario_cards, service_lines
from bot.quiz.show import gives_away, where
from bot.quiz.text import answer_visible, content_words, leaks, name_key
from bot.search.query import DATA
from bot.search.retrieve import BM25
from bot.settings import Settings

ERRATA_FILE = DATA / "errata.tsv"
CHOICE_KINDS = ("mcq", "multi")  # one right option, or several ("choose two")
SPECIFIC_TOP = 5  # a prompt must find its own section among this many passages (lexical search)


class QuizInputError(ValueError):
    """Input the quiz cannot use (unknown document or card, empty answer …); the message says what to do."""


@dataclass(frozen=True)
class Rejected:
    card: Card
    reason: str


@dataclass(frozen=True)
class Deck:
    cards: tuple[Card, ...]
    texts: dict[tuple[str, tuple[str, ...]], str] = field(default_factory=dict, hash=False)  # section texts
    docs: dict[str, str] = field(default_factory=dict, hash=False)  # doc id -> title
    exams: dict[str, str] = field(default_factory=dict, hash=False)  # doc id -> exam code ("" if none)
    rejected: tuple[Rejected, ...] = ()
    seconds: float = 0.0

    def exam(self, card: Card) -> str:
        return self.exams.get(card.doc_id, "")

    @property
    def by_id(self) -> dict[str, Card]:
        return {c.id: c for c in self.cards}

    def card(self, card_id: str) -> Card:
        found = self.by_id.get(str(card_id).strip())
        if found is None:
            raise QuizInputError(f"unknown card id {card_id!r}: the deck has no such card (it may have changed)")
        return found

    def section_text(self, card: Card) -> str:
        return self.texts.get((card.doc_id, card.section_path), card.passage)

    def scope(self, doc_id: str | None = None, section: str | None = None) -> list[Card]:
        """Cards of one document and/or of the sections whose path contains `section` (any case)."""
        cards = list(self.cards)
        if doc_id:
            if doc_id not in self.docs:
                known = ", ".join(f"{i} ({t})" for i, t in self.docs.items())
                raise QuizInputError(f"unknown document {doc_id!r}; known: {known}")
            cards = [c for c in cards if c.doc_id == doc_id]
        if section and section.strip():
            wanted = section.strip().lower()
            cards = [c for c in cards if wanted in c.section.lower()]
            if not cards:
                raise QuizInputError(f"no quiz cards in a section matching {section.strip()!r}")
        return cards


# --- filters --------------------------------------------------------------------------------------


# A definition list under one of these headings names situations or qualities in the notes' own words ("Gaming",
# "Cron Replacement", "Improved Performance"): knowing those labels is not knowing AWS
LABEL_HEADING = re.compile(r"\b(?:use cases?|features?|benefits?|advantages?|guidelines?|best practices?|"
                           r"considerations?|pros and cons)\b", re.I)


def problem(card: Card) -> str | None:
    """Why a card is bad, or None. Each check is one sentence of the quality bar."""
    forms = [f for f in (*card.right_options, *card.accepted) if f]
    if card.family != "number" and not content_words(card.answer) and not card.answer.isupper():
        return "blank on a stop word"  # "ALL" is a Redshift distribution style, "all" is not a fact
    if card.family == "number" and _bare_blank(card.prompt):
        return "too few words around the blank to say what it is about"
    if not any(answer_visible(f, card.passage) for f in forms):
        return "source passage lacks the answer"
    if any(answer_visible(f, card.prompt) for f in forms):
        return "answer visible in the prompt"
    if gives_away(card, without_family_name(card, "\n".join([*where(card), card.prompt]))):
        return "answer given away by a word of the prompt"
    if card.kind in CHOICE_KINDS and not _fair_choices(card):
        return "distractors not four distinct things"
    if card.family == "definition" and _another_fits(card):
        return "another option fits the description too"
    if card.family == "definition" and card.section_path and LABEL_HEADING.search(card.section_path[-1]):
        return "tests a label of the notes (a list of use cases, features or benefits), not an AWS term"
    if card.family == "definition" and family_of(card) is None and \
            not all(is_aws_term(c, " ".join(card.section_path)) for c in card.choices):
        return "an option is a label of the notes, not an AWS term (bot/data/aws_terms.txt)"
    retired = retired_service(card)
    if retired:
        return f"about a service AWS has discontinued ({retired})"
    erratum = erratum_for(card)
    if erratum:
        return f"the notes are {erratum.status} here: {erratum.now}"
    return None


@dataclass(frozen=True)
class Erratum:
    """A line of the notes that AWS has changed since, or that was never right (bot/data/errata.tsv)."""

    doc_id: str
    notes_text: str
    status: str  # "outdated" or "wrong"
    now: str  # what is true today
    source: str  # where that is written


@lru_cache(maxsize=1)
def load_errata(path: Path = ERRATA_FILE) -> tuple[Erratum, ...]:
    errata = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            doc_id, notes_text, status, now, source = line.split("\t")
            errata.append(Erratum(doc_id, _squeezed(notes_text), status, now, source))
    return tuple(errata)


def erratum_for(card: Card) -> Erratum | None:
    """The erratum whose text the card's source line holds, if any."""
    passage = _squeezed(card.passage)
    return next((e for e in load_errata() if e.doc_id == card.doc_id and e.notes_text in passage), None)


def _squeezed(text: str) -> str:
    return " ".join(text.split()).lower()


def retired_service(card: Card) -> str | None:
    """A discontinued service (bot/data/retired.tsv) the card asks about: its answer, section or prompt names it."""
    return retired_in("\n".join((card.answer, *card.section_path, card.prompt)))


def _bare_blank(prompt: str) -> bool:
    """The words after the last label or heading hold fewer than three words besides the blank ("Default: 4 MB/s or
    ____"): the fact's subject and mode live in a heading the card cannot show whole."""
    body = re.split(r"[›:]\s", prompt)[-1]
    return len([w for w in re.findall(r"[A-Za-z][A-Za-z-]+", body) if len(w) > 2]) < 3


def _another_fits(card: Card) -> bool:
    """A list item is a card only when its description points at it alone: no wrong option's own words in it
    ("Enables safe data transfer between SaaS apps …" fits "SaaS Integration" as well as the answer)."""
    quoted = re.search(r"“(.*)”", card.prompt)
    description = quoted.group(1) if quoted else card.prompt
    return any(leaks(d, description, [c for c in card.choices if c != d]) for d in card.distractors)


def _fair_choices(card: Card) -> bool:
    keys = [name_key(c) for c in card.choices]
    return (
        len(card.choices) == 4 and len(set(keys)) == 4 and set(card.right_options) <= set(card.choices)
        and not any(disguised(right, d) for right in card.right_options for d in card.distractors)
    )


def search_text(card: Card) -> str:
    """What a card asks, as a search query: the prompt without blanks and quote marks."""
    return re.sub(r"\s+", " ", card.prompt.replace(BLANK, " ").replace("“", " ").replace("”", " ")).strip()


def vague_cards(cards: list[Card], chunks: list[Chunk], top: int = SPECIFIC_TOP) -> set[str]:
    """Ids of cards whose prompt, searched with the bot's BM25, does not find its own section in `top`."""
    bm25 = BM25([c.embedding_text() for c in chunks])
    vague = set()
    for card in cards:
        best = bm25.top(bm25.scores(search_text(card)), top)
        if not any(_same_section(chunks[i], card) for i, _ in best):
            vague.add(card.id)
    return vague


def _same_section(chunk: Chunk, card: Card) -> bool:
    return chunk.doc_id == card.doc_id and chunk.section_path == card.section_path


SAME_ASK = 2  # scenarios asking for one service by one verb ("monitor … -> CloudWatch"): more only repeat it


def _same_ask(card: Card) -> tuple[str, str]:
    """A scenario's answer and the verb of its need ("needs to monitor …")."""
    verb = re.search(r"\bneeds to (\w+)", card.prompt)
    return card.expected, verb.group(1).lower() if verb else ""


def _dedupe_key(card: Card) -> tuple:
    return card.doc_id, card.section_path, name_key(card.answer), " ".join(card.passage.split()).lower()


# --- generation -----------------------------------------------------------------------------------


def candidate_cards(sections: list[Section], known_services: dict[str, str]) -> list[Card]:
    """Every card the sections give; a scenario comes before the plain card of its line, which is then a duplicate."""
    cards: list[Card] = []
    lines = service_lines([line for section in sections for line in section.lines])
    for section in sections:
        cards.extend(scenario_cards(section, known_services, lines))
        cards.extend(number_cards(section))
        cards.extend(definition_cards(section))
        cards.extend(family_cards(section))
        cards.extend(service_cards(section, known_services))
    cards.extend(heading_cards(sections))
    return cards


def generate(loaded: dict, settings: Settings) -> tuple[list[Card], list[Rejected]]:
    """Cards for every loaded document ({SourceDoc: [Section]}), and the candidates dropped, with why."""
    all_sections = [s for sections in loaded.values() for s in sections]
    known = corpus_services(all_sections)
    kept: list[Card] = []
    rejected: list[Rejected] = []
    seen: set = set()
    asked: Counter = Counter()
    for card in candidate_cards(all_sections, known):
        reason = problem(card)
        key, prompt_key = _dedupe_key(card), " ".join(card.prompt.lower().split())
        if reason is None and (key in seen or prompt_key in seen):
            reason = "duplicate"
        if reason is None and card.family == "scenario":
            ask_key = _same_ask(card)
            asked[ask_key] += 1
            if asked[ask_key] > SAME_ASK:
                reason = f"the same need and answer as {SAME_ASK} other scenarios"
        if reason:
            rejected.append(Rejected(card, reason))
            continue
        seen.update((key, prompt_key))
        kept.append(card)
    chunks = [c for sections in loaded.values() for c in chunk_sections(sections, settings.chunk_size,
                                                                          settings.chunk_overlap)]
    vague = vague_cards(kept, chunks)
    rejected.extend(Rejected(c, "too vague to find its section") for c in kept if c.id in vague)
    return [c for c in kept if c.id not in vague], rejected


def build_deck(settings: Settings) -> Deck:
    from bot.ingest.load import load_corpus

    started = time.perf_counter()
    loaded, _ = load_corpus(Path(settings.corpus_dir))
    cards, rejected = generate(loaded, settings)
    docs = {doc.doc_id: doc.title for doc in loaded}
    exams = {doc.doc_id: doc.exam for doc in loaded}
    return Deck(tuple(cards), section_texts(loaded), docs, exams, tuple(rejected), time.perf_counter() - started)


def section_texts(loaded: dict) -> dict[tuple[str, tuple[str, ...]], str]:
    """Text per (doc, section path); a path used twice (a slide title repeated apart) gets both texts."""
    texts: dict[tuple[str, tuple[str, ...]], list[str]] = {}
    for sections in loaded.values():
        for section in sections:
            texts.setdefault((section.doc_id, section.path), []).append(section.text)
    return {key: "\n\n".join(parts) for key, parts in texts.items()}
