"""Answer a question from retrieved passages: extractive by default, a chat model when configured."""

from __future__ import annotations

import re
import time
import unicodedata
from dataclasses import dataclass, replace
from typing import Protocol

from bot.models import Answer, Citation, Hit
from bot.settings import Settings
from bot.text import STOPWORDS, normalize, question_terms, stem, term_coverage, terms, words

NOT_IN_MATERIAL = "That is not in the study material."
_UNIT_SPLIT = re.compile(r"(?<=[.!?])\s+(?=[A-Z(])")
_NUMBER_CUES = ("how many", "how much", "how long", "max", "min", "limit", "size", "largest", "biggest",
                "smallest", "maximum", "minimum", "retention", "how big", "how fast", "latency", "throughput",
                "what percentage", "default")
_NUMBER = re.compile(r"\d")
MAX_UNITS = 4
MAX_ANSWER_CHARS = 450
MAX_UNIT_CHARS = 300
RANK_PRIOR = 0.3  # preference for lines of the better-ranked passages (measured on the dev set)


class QuestionError(ValueError):
    """The question cannot be asked as typed; the message tells the person what to change."""


def clean_question(question: str | None, max_chars: int) -> str:
    text = " ".join(_printable(str(question or "")).split())
    if not text:
        raise QuestionError("Please type a question about the study material.")
    if len(text) > max_chars:
        raise QuestionError(f"That question is {len(text):,} characters long; please keep it under {max_chars:,}.")
    if not terms(text):
        raise QuestionError("Please ask with a few words about an AWS topic, e.g. 'What is Kinesis shard throughput?'")
    return text


def _printable(text: str) -> str:
    """NFKC text with control and format characters turned into spaces (case kept for display)."""
    text = unicodedata.normalize("NFKC", text)
    return "".join(ch if unicodedata.category(ch)[0] != "C" else " " for ch in text)


class Answerer(Protocol):
    name: str

    def answer(self, question: str, hits: list[Hit]) -> Answer: ...


@dataclass(frozen=True)
class Unit:
    hit_index: int
    order: int
    text: str
    score: float


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" \t"))


def _units(text: str) -> list[tuple[int, str]]:
    """Answerable pieces of a passage: a line with its indented sub-bullets (a header ending in ':'
    takes the next line too); long lines split into sentences."""
    units: list[str] = []
    parent_indent = None
    for raw in text.split("\n"):
        line = raw.strip()
        if not line:
            parent_indent = None
            continue
        joins_parent = units and (
            (parent_indent is not None and _indent(raw) > parent_indent) or (units[-1].endswith(":"))
        )
        if joins_parent and len(units[-1]) + len(line) < MAX_UNIT_CHARS:
            units[-1] = f"{units[-1]} {line}"
            continue
        units.extend(_UNIT_SPLIT.split(line) if len(line) > 220 else [line])
        parent_indent = _indent(raw)
    return list(enumerate(units))


def _weights(question: str, idf: dict[str, float]) -> dict[str, float]:
    return {t: idf.get(t, 0.0) for t in set(question_terms(question))}


def _unit_score(unit: str, weights: dict[str, float], wants_number: bool) -> float:
    """Question coverage, plus credit for saying something beyond the question's own words."""
    present = set(terms(unit))
    score = term_coverage(weights, present)
    novel = len(present - weights.keys())
    score += 0.15 * min(novel, 8) / 8
    if wants_number and _NUMBER.search(unit):
        score += 0.15
    if novel < 2:
        score -= 0.3  # a heading or a bare list item restates the question without answering it
    return score


_NAME = re.compile(r"\b[A-Z][A-Za-z0-9]*(?:[ -][A-Z][A-Za-z0-9]*)*")
_NOT_NAMES = STOPWORDS | {"will", "under", "where", "each", "account", "users", "analysts", "once", "ten", "aws",
                          "amazon", "company", "team", "teams", "vs"}


def missing_names(question: str, passage_terms: list[frozenset[str]]) -> list[str]:
    """Words of capitalised names in the question (services, features) that no passage mentions.

    Exam-style questions about things the notes never cover name them ("Storage Lens",
    "Entity Resolution"); nearby passages then match every other word but not the name.
    """
    present = set().union(*passage_terms)
    wanted = {stem(w) for m in _NAME.finditer(question) for w in words(m.group(0)) if len(w) >= 3}
    return sorted(w for w in wanted - present if w not in _NOT_NAMES)


class ExtractiveAnswerer:
    """Picks the lines of the top passages that best cover the question; no model, no network."""

    name = "extractive"

    def __init__(self, idf: dict[str, float], settings: Settings):
        self.idf = idf
        self.settings = settings

    def should_refuse(self, question: str, hits: list[Hit]) -> bool:
        if not hits:
            return True
        best_similarity = max(h.similarity for h in hits)
        weights = _weights(question, self.idf)
        passage_terms = [frozenset(terms(h.chunk.embedding_text())) for h in hits]
        best_coverage = max(term_coverage(weights, present) for present in passage_terms)
        return (
            best_similarity < self.settings.min_similarity
            or best_coverage < self.settings.min_coverage
            or bool(missing_names(question, passage_terms))
        )

    def answer(self, question: str, hits: list[Hit]) -> Answer:
        if self.should_refuse(question, hits):
            return Answer(question, NOT_IN_MATERIAL, refused=True, hits=tuple(hits), answerer=self.name)
        chosen = self.pick_units(question, hits)
        return compose(question, hits, chosen, self.name)

    def pick_units(self, question: str, hits: list[Hit]) -> list[Unit]:
        weights = _weights(question, self.idf)
        wants_number = any(cue in normalize(question) for cue in _NUMBER_CUES)
        units = [
            Unit(i, order, text, _unit_score(text, weights, wants_number) + RANK_PRIOR / (i + 1))
            for i, hit in enumerate(hits)
            for order, text in _units(hit.chunk.text)
        ]
        if not units:
            return []
        units.sort(key=lambda u: -u.score)
        best = units[0].score
        chosen: list[Unit] = []
        length = 0
        for unit in units:
            if len(chosen) == MAX_UNITS or unit.score < 0.6 * best or length + len(unit.text) > MAX_ANSWER_CHARS:
                if chosen:
                    break
            if any(unit.text == c.text for c in chosen):
                continue
            chosen.append(unit)
            length += len(unit.text)
        return sorted(chosen, key=lambda u: (u.hit_index, u.order))


def compose(question: str, hits: list[Hit], units: list[Unit], answerer: str) -> Answer:
    """Answer text with [n] markers; n numbers the cited passages in order of first use."""
    markers: dict[int, int] = {}
    quotes: dict[int, list[str]] = {}
    parts = []
    for unit in units:
        first_from_passage = unit.hit_index not in markers
        marker = markers.setdefault(unit.hit_index, len(markers) + 1)
        quotes.setdefault(unit.hit_index, []).append(unit.text)
        label = _label(hits[unit.hit_index].chunk.section_path, unit.text) if first_from_passage else ""
        parts.append(f"{label}{unit.text} [{marker}]")
    citations = tuple(
        citation_for(hits[hit_index], marker, " … ".join(quotes[hit_index])) for hit_index, marker in markers.items()
    )
    return Answer(question, "\n".join(parts), citations, hits=tuple(hits), answerer=answerer)


def _label(section_path: tuple[str, ...], text: str) -> str:
    """'Heading: ' before a quoted line that does not name its topic ("Managed document database…"
    only makes sense as an answer under "Amazon DocumentDB")."""
    if not section_path:
        return ""
    heading = section_path[-1]
    if set(terms(heading)) <= set(terms(text)):
        return ""
    return f"{heading}: "


def citation_for(hit: Hit, marker: int, quote: str = "") -> Citation:
    chunk = hit.chunk
    return Citation(marker, chunk.id, chunk.doc_id, chunk.doc_title, chunk.section, chunk.text, quote)


class StudyBot:
    """Question in, cited `Answer` out: the one chain that the UI, the CLI and the evals share."""

    def __init__(self, searcher, answerer: Answerer | None = None, settings: Settings | None = None):
        self.searcher = searcher
        self.settings = settings or searcher.settings
        self.answerer = answerer or ExtractiveAnswerer(searcher.bm25.idf, self.settings)

    def ask(self, question: str, doc_id: str | None = None, k: int | None = None) -> Answer:
        started = time.perf_counter()
        text = clean_question(question, self.settings.max_question_chars)
        hits = self.searcher.search(text, k or self.settings.k, doc_id)
        retrieved = time.perf_counter()
        answer = self.answerer.answer(text, hits)
        done = time.perf_counter()
        timings = {"retrieve": (retrieved - started) * 1000, "answer": (done - retrieved) * 1000,
                   "total": (done - started) * 1000}
        return replace(answer, timings_ms=timings)

    def as_runnable(self):
        """The chain as a LangChain Runnable: {"question", "doc_id"?} or a plain string in, Answer out."""
        from langchain_core.runnables import RunnableLambda

        def run(payload):
            if isinstance(payload, str):
                return self.ask(payload)
            return self.ask(payload["question"], payload.get("doc_id"))

        return RunnableLambda(run, name="studybot")


def build_bot(settings: Settings | None = None, answerer: Answerer | None = None) -> StudyBot:
    from bot.index import open_store
    from bot.retrieve import HybridSearcher

    settings = settings or Settings.from_env()
    searcher = HybridSearcher(open_store(settings), settings)
    return StudyBot(searcher, answerer, settings)
