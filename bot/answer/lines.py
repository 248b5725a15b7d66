"""A passage's answerable lines: a line with its sub-bullets, the sentences of a long line, the bullets of a list.

`Unit` is one such line as an answer holds it: the extractive answerer chooses units, the disagreement check
compares them, and the answer quotes them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

MAX_UNIT_CHARS = 300
MAX_ITEM_CHARS = 100
_SENTENCE_SPLIT = re.compile(r"(?<=[.!?])\s+(?=[A-Z(])")
BULLET = re.compile(r"^\s*(?:[-*•+▪◦]|\d{1,2}[.)])\s+")


@dataclass(frozen=True)
class Unit:
    hit_index: int
    order: int
    text: str  # what the answer shows
    score: float
    quote: str = ""  # the verbatim passage text behind it, when `text` is a condensed form

    @property
    def source(self) -> str:
        return self.quote or self.text


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" \t"))


@lru_cache(maxsize=4096)
def passage_units(text: str) -> tuple[tuple[int, str], ...]:
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
        units.extend(_SENTENCE_SPLIT.split(line) if len(line) > 220 else [line])
        parent_indent = _indent(raw)
    return tuple(enumerate(units))


def list_blocks(text: str) -> list[tuple[int, str, list[str]]]:
    """(order, label, items): runs of 2+ bullets at one indent, with the line before them as the label."""
    blocks = []
    lines = [line for line in text.split("\n") if line.strip()]
    i = 0
    while i < len(lines):
        if not BULLET.match(lines[i]):
            i += 1
            continue
        indent, start = _indent(lines[i]), i
        items = []
        while i < len(lines) and (not BULLET.match(lines[i]) or _indent(lines[i]) >= indent):
            if BULLET.match(lines[i]) and _indent(lines[i]) == indent:
                items.append(lines[i].strip())
            elif not BULLET.match(lines[i]) and _indent(lines[i]) <= indent:
                break
            i += 1
        label = lines[start - 1].strip() if start > 0 and not BULLET.match(lines[start - 1]) else ""
        if len(items) >= 2:
            blocks.append((start, label, items))
    return blocks


def condensed(item: str) -> str:
    """A list item cut to its label or first clause: '- **EVEN:** Rows are evenly…' → 'EVEN: Rows are evenly…'."""
    item = BULLET.sub("", item).replace("**", "").strip()
    if len(item) <= MAX_ITEM_CHARS:
        return item
    cut = item[:MAX_ITEM_CHARS]
    for stop in (". ", "; ", ", "):
        if stop in cut[30:]:
            return cut[: cut.rindex(stop)].rstrip(" .;,") + "…"
    return cut.rsplit(" ", 1)[0] + "…"
