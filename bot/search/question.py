"""Reading the question as typed: printable text of a sensible length, and a document filter the index knows."""

from __future__ import annotations

import re
import unicodedata

from bot.text import terms


class QuestionError(ValueError):
    """The question cannot be asked as typed; the message tells the person what to change."""


EMPTY_QUESTION = "Please type a question about the study material."


def known_document(doc_id: str | None, known) -> str | None:
    """`doc_id` when the index holds it; an unknown one is an error naming the known ones, not no passages."""
    if doc_id is not None and doc_id not in known:
        raise QuestionError(f"unknown document {doc_id!r} in the index; known: {', '.join(sorted(known))}")
    return doc_id


def clean_question(question: str | None, max_chars: int) -> str:
    text = " ".join(_printable(str(question or "")).split())
    if not text:
        raise QuestionError(EMPTY_QUESTION)
    if len(text) > max_chars:
        raise QuestionError(f"That question is {len(text):,} characters long; please keep it under {max_chars:,}.")
    if not terms(text):
        raise QuestionError("Please ask with a few words about an AWS topic, e.g. 'What is Kinesis shard throughput?'")
    return text


# Terminal colour and cursor codes ("\x1b[1;31m"): pasted from a coloured shell, they are not words.
_ANSI = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[@-Z\\-_])")


def _printable(text: str) -> str:
    """NFKC text without terminal escape codes, control and format characters turned into spaces (case kept)."""
    text = unicodedata.normalize("NFKC", _ANSI.sub("", text))
    return "".join(ch if unicodedata.category(ch)[0] != "C" else " " for ch in text)
