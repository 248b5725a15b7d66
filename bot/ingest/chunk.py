"""Split sections into passages that never cross a section boundary."""

from __future__ import annotations

import hashlib
import re

from bot.models import Chunk, Section

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z(\"'])")
_MIN_WORDS = 3


def chunk_id(doc_id: str, section_path: tuple[str, ...], text: str) -> str:
    digest = hashlib.sha256("\x1f".join((doc_id, *section_path, text)).encode("utf-8")).hexdigest()
    return f"{doc_id}-{digest[:16]}"


def _pieces(lines: tuple[str, ...], size: int) -> list[str]:
    """Lines, with any line longer than `size` broken at sentence ends."""
    pieces: list[str] = []
    for line in lines:
        if len(line) <= size:
            pieces.append(line)
            continue
        current = ""
        for sentence in _SENTENCE_END.split(line):
            if current and len(current) + len(sentence) + 1 > size:
                pieces.append(current)
                current = sentence
            else:
                current = f"{current} {sentence}".strip()
        pieces.append(current)
    return pieces


def split_section(lines: tuple[str, ...], size: int, overlap_lines: int) -> list[str]:
    """Greedy packing of whole lines up to `size` characters; the last `overlap_lines` carry over."""
    texts: list[str] = []
    window: list[str] = []
    length = 0
    fresh = 0  # lines in the window not already emitted
    for piece in _pieces(lines, size):
        if window and fresh and length + len(piece) + 1 > size:
            texts.append("\n".join(window).strip())
            window = [w for w in window[-overlap_lines:] if w.strip()] if overlap_lines else []
            length = sum(len(w) + 1 for w in window)
            fresh = 0
        window.append(piece)
        length += len(piece) + 1
        fresh += 1
    if fresh:
        texts.append("\n".join(window).strip())
    return [t for t in texts if len(t.split()) >= _MIN_WORDS]


def chunk_sections(sections: list[Section], size: int, overlap_lines: int) -> list[Chunk]:
    """Chunks of one document in reading order; exact repeats within a document are dropped."""
    chunks: list[Chunk] = []
    seen: set[str] = set()
    for section in sections:
        for text in split_section(section.lines, size, overlap_lines):
            key = " ".join(text.split()).lower()
            if key in seen:
                continue
            seen.add(key)
            chunks.append(
                Chunk(
                    id=chunk_id(section.doc_id, section.path, text),
                    doc_id=section.doc_id,
                    doc_title=section.doc_title,
                    section_path=section.path,
                    text=text,
                    position=len(chunks),
                    start_line=section.start_line,
                )
            )
    return chunks
