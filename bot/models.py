"""Frozen dataclasses passed between the stages."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class SourceDoc:
    doc_id: str
    title: str
    kind: str  # "markdown", "slides" or "numbered"
    origin: str
    path: Path
    exam: str = ""  # the certification exam the document prepares for (DEA-C01, SAA-C03, DAS-C01)


@dataclass(frozen=True)
class Section:
    doc_id: str
    doc_title: str
    path: tuple[str, ...]
    lines: tuple[str, ...]
    start_line: int  # 1-based line of the section in the source file

    @property
    def heading(self) -> str:
        return self.path[-1] if self.path else ""

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


@dataclass(frozen=True)
class Chunk:
    id: str
    doc_id: str
    doc_title: str
    section_path: tuple[str, ...]
    text: str
    position: int  # order of the chunk within its document
    start_line: int

    @property
    def section(self) -> str:
        return " > ".join(self.section_path)

    def embedding_text(self) -> str:
        """What is embedded and searched: the section path gives short passages their topic."""
        return f"{self.doc_title} | {self.section}\n{self.text}"


@dataclass(frozen=True)
class Hit:
    chunk: Chunk
    score: float  # fused score
    similarity: float  # cosine similarity of the dense match (0 when only BM25 found it)
    dense_rank: int | None = None
    lexical_rank: int | None = None
    lexical: float = 0.0  # BM25 score over the best one's
    coverage: float = 0.0  # idf-weighted share of the question's terms in the passage
    title: float = 0.0  # the same share in the section path
    names_missed: bool = False  # names none of the names the question asks about


@dataclass(frozen=True)
class Citation:
    marker: int
    chunk_id: str
    doc_id: str
    doc_title: str
    section: str
    text: str
    quote: str = ""  # the part of the passage the answer used


@dataclass(frozen=True)
class Answer:
    question: str
    text: str
    citations: tuple[Citation, ...] = ()
    refused: bool = False
    hits: tuple[Hit, ...] = ()
    timings_ms: dict[str, float] = field(default_factory=dict)
    answerer: str = "extractive"
    note: str = ""  # e.g. why an LLM answer fell back to the extractive one
    fallback: str = ""  # why a chat model's answer was not used (empty: it was, or none was asked)
    dropped: tuple[str, ...] = ()  # the model's sentences removed because no cited passage supports them

    def to_dict(self) -> dict:
        return {
            "question": self.question,
            "answer": self.text,
            "refused": self.refused,
            "answerer": self.answerer,
            "note": self.note,
            "fallback": self.fallback,
            "dropped_sentences": len(self.dropped),  # how many; their text is kept for evals, never shown
            "citations": [c.__dict__ for c in self.citations],
            "contexts": [
                {"doc_id": h.chunk.doc_id, "section": h.chunk.section, "text": h.chunk.text, "score": h.score}
                for h in self.hits
            ],
            "timings_ms": self.timings_ms,
        }
