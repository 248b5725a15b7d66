"""Answers, citations and passages as HTML.

Corpus text and questions are data: every piece of them goes through `html.escape` here, and the
markup around them is ours. Messages are written as one line starting with `<div>` so the chat's
markdown renderer passes them through untouched (no `*`, `_` or `|` in a passage becomes formatting).
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence

from bot.models import Answer, Citation, Hit
from bot.text import PATH_SEPARATOR

MARKER = re.compile(r"\[(\d+)\]")


def escape(text: str) -> str:
    """Text as HTML that shows exactly these characters, line breaks included."""
    return html.escape(text, quote=True).replace("\r\n", "\n").replace("\n", "<br>")


def section_label(path: Sequence[str] | str) -> str:
    parts = path.split(" > ") if isinstance(path, str) else list(path)
    return PATH_SEPARATOR.join(p for p in parts if p)


def quote_spans(text: str, quote: str) -> list[tuple[int, int]]:
    """Where the pieces of `quote` (joined by " … ") occur in `text`, whitespace-insensitive, merged."""
    spans = []
    for piece in quote.split(" … "):
        words = piece.split()
        if not words:
            continue
        found = re.search(r"\s+".join(map(re.escape, words)), text)
        if found:
            spans.append(found.span())
    return _merge(sorted(spans))


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def highlighted(text: str, quote: str) -> str:
    """The passage as HTML with the quoted parts in <mark>."""
    parts, position = [], 0
    for start, end in quote_spans(text, quote):
        parts.append(escape(text[position:start]))
        parts.append(f"<mark>{escape(text[start:end])}</mark>")
        position = end
    parts.append(escape(text[position:]))
    return "".join(parts)


def source_card(citation: Citation, tag: str = "div") -> str:
    """Title, section path and passage (quote highlighted) of one citation."""
    return (
        f'<{tag} class="source-card">'
        f'<{tag} class="src-title">{escape(citation.doc_title)}</{tag}>'
        f'<{tag} class="src-path">{escape(section_label(citation.section))}</{tag}>'
        f'<{tag} class="src-text">{highlighted(citation.text, citation.quote)}</{tag}>'
        f"</{tag}>"
    )


def marker_html(citation: Citation) -> str:
    """An inline [n] that opens to its passage: a <details>, so it works without any script."""
    return (
        f'<details class="cite"><summary title="Show source {citation.marker}">[{citation.marker}]</summary>'
        f"{source_card(citation, 'span')}</details>"
    )


def answer_html(answer: Answer, read_as: str = "", disagreement: str = "") -> str:
    """The answer, each [n] an openable citation; `read_as` is the standalone question a follow-up became;
    `disagreement` a line on what the notes disagree about."""
    by_marker = {c.marker: c for c in answer.citations}
    lines = "".join(_line_html(line, by_marker) for line in answer.text.split("\n") if line.strip())
    extra = f'<div class="disagree-note">{escape(disagreement)}</div>' if disagreement else ""
    return f'<div class="answer">{_read_as(read_as)}{lines}{extra}{_note(answer.note)}{answered_by_html(answer)}</div>'


def answered_by_html(answer: Answer, refusal: bool = False) -> str:
    """Which answerer wrote the reply (a refusal names only a chat model; the extractive one is the default)."""
    if answer.answerer in ("", "extractive"):
        return "" if refusal else '<div class="answer-note answered-by">extractive answer (quoted from the notes)</div>'
    return f'<div class="answer-note answered-by">answered by {escape(answer.answerer)}</div>'


def streaming_html(partial: str) -> str:
    """A chat model's reply while it streams: plain text until the checked answer replaces it."""
    return ('<div class="answer streaming"><div class="answer-note">draft — being checked against the passages'
            f'</div>{escape(partial)}</div>')


def _read_as(query: str) -> str:
    return f'<div class="read-as">Read as: {escape(query)}</div>' if query else ""


def _note(note: str) -> str:
    return f'<div class="answer-note">{escape(note)}</div>' if note else ""


def _line_html(line: str, by_marker: dict[int, Citation]) -> str:
    parts, position = [], 0
    for found in MARKER.finditer(line):
        citation = by_marker.get(int(found.group(1)))
        if citation is None:
            continue
        parts.append(escape(line[position : found.start()]))
        parts.append(marker_html(citation))
        position = found.end()
    parts.append(escape(line[position:]))
    return f'<div class="unit">{"".join(parts)}</div>'


def closest_sections(hits: Iterable[Hit], limit: int = 3) -> list[Hit]:
    """The best hit of each of the first `limit` distinct sections."""
    seen: dict[tuple[str, tuple[str, ...]], Hit] = {}
    for hit in hits:
        seen.setdefault((hit.chunk.doc_id, hit.chunk.section_path), hit)
    return list(seen.values())[:limit]


def refusal_html(answer: Answer, read_as: str = "") -> str:
    return (
        f'<div class="refusal">{_read_as(read_as)}<div class="refusal-title">Not in the study material</div>'
        "<div>None of the documents covers this closely enough to answer without guessing. "
        f"Try naming the AWS service, or another document in “Search in”.</div>{_note(answer.note)}"
        f"{answered_by_html(answer, refusal=True)}</div>"
    )


def question_html(question: str) -> str:
    return f'<div class="question">{escape(question.strip())}</div>'


def notice_html(message: str, kind: str = "notice") -> str:
    return f'<div class="{kind}">{escape(message)}</div>'


def sources_html(answer: Answer | None) -> str:
    """The sources panel: every citation of the answer in full, or why there are none."""
    if answer is None:
        return _panel("Sources", '<div class="empty">The passages behind your next answer appear here.</div>')
    if answer.refused:
        body = '<div class="refusal-title">Not in the study material</div>'
        if answer.hits:
            body += '<div class="near">The nearest sections (not close enough to answer from) are below.</div>'
        return _panel("Sources", body)
    cards = "".join(
        f'<div class="source"><span class="src-marker">[{c.marker}]</span>{source_card(c)}</div>'
        for c in answer.citations
    )
    return _panel("Sources of the last answer", cards)


def _panel(title: str, body: str) -> str:
    return f'<div class="sources"><div class="sources-head">{escape(title)}</div>{body}</div>'
