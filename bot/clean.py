"""Turn raw document text into sections: one parser per document kind, pure functions only.

Every parser takes the raw text and returns (section path, [(line number, cleaned line)]) pairs;
`bot.load` wraps them into `Section`s.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

Line = tuple[int, str]
RawSection = tuple[tuple[str, ...], list[Line]]

_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]]*)\]\((?:[^)(]|\([^)]*\))*\)")
_AUTOLINK = re.compile(r"<(https?://[^>\s]+)>")
_BREAK_TAG = re.compile(r"<br\s*/?\s*>", re.I)
_HTML_TAG = re.compile(r"</?[a-zA-Z][^<>]*>")
_EMPHASIS = re.compile(r"\*\*|__")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u200b\ufeff]")
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")


def clean_line(line: str) -> str:
    """Markup-free text of one line; tables stay rows with ' | ' between cells."""
    line = _CONTROL.sub("", line.replace("\u00a0", " "))
    line = _IMAGE.sub("", line)
    line = _LINK.sub(r"\1", line)
    line = _AUTOLINK.sub(r"\1", line)
    line = _BREAK_TAG.sub("; ", line)
    line = _HTML_TAG.sub("", line)
    line = _EMPHASIS.sub("", line)
    if "\t" in line:
        line = " | ".join(cell.strip() for cell in line.split("\t") if cell.strip())
    return line.rstrip()


def _heading_text(text: str) -> str:
    return re.sub(r"\s+", " ", clean_line(text)).strip(" #*:")


def _compact(lines: Iterable[Line]) -> list[Line]:
    """Drop blank runs at the edges and collapse inner ones to a single blank line."""
    out: list[Line] = []
    for number, text in lines:
        if not text.strip():
            if out and out[-1][1]:
                out.append((number, ""))
            continue
        out.append((number, text))
    while out and not out[-1][1]:
        out.pop()
    return out


# --- markdown -------------------------------------------------------------------------------

_MD_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_FENCE = re.compile(r"^\s*(```|~~~)")
_SKIPPED_SECTIONS = {"table of contents", "contents"}


def _strip_front_matter(lines: list[str]) -> int:
    if lines and lines[0].strip() == "---":
        for i in range(1, min(len(lines), 60)):
            if lines[i].strip() == "---":
                return i + 1
    return 0


def parse_markdown(text: str, doc_title: str) -> list[RawSection]:
    lines = text.splitlines()
    sections: list[RawSection] = []
    stack: list[tuple[int, str]] = []
    body: list[Line] = []
    in_fence = False

    def flush() -> None:
        path = tuple(title for _, title in stack) or (doc_title,)
        if not any(p.lower() in _SKIPPED_SECTIONS for p in path):
            sections.append((path, body.copy()))
        body.clear()

    for i in range(_strip_front_matter(lines), len(lines)):
        raw = lines[i]
        if _FENCE.match(raw):
            in_fence = not in_fence
            continue
        heading = None if in_fence else _MD_HEADING.match(raw)
        if heading and _heading_text(heading.group(2)):
            flush()
            level = len(heading.group(1))
            stack = [(lv, t) for lv, t in stack if lv < level]
            stack.append((level, _heading_text(heading.group(2))))
            continue
        if not in_fence and (raw.strip() in {"---", "***", "___"} or _TABLE_RULE.match(raw)):
            continue
        cleaned = clean_line(raw)
        if not in_fence and cleaned.lstrip().startswith("|"):
            cleaned = cleaned.strip().strip("|").strip()
        body.append((i + 1, cleaned))
    flush()
    return [(path, _compact(body)) for path, body in sections if _compact(body)]


# --- slide deck (PDF extraction) ------------------------------------------------------------

_SLIDE_BREAK = re.compile(r"\n(?:[ \t]*\n){3,}")
_DECORATION = re.compile(r"^(?:[\d\s.\-]*|VS|vs\.?)$")
_SCREENSHOT = re.compile(r"^The screenshot shows\b")
_COURSE_SECTION = re.compile(r"^Section\s+(\d+)\s*:\s*(.*)$")
_BULLET = re.compile(r"^\s*(?:[-*•◦▪–]|\d+[.)])\s")


def _is_noise(line: str) -> bool:
    stripped = line.strip()
    return bool(_DECORATION.match(stripped) or _SCREENSHOT.match(stripped))


def _looks_like_title(line: str) -> bool:
    stripped = line.strip()
    return (
        0 < len(stripped) <= 60
        and len(stripped.split()) <= 9
        and not _BULLET.match(line)
        and "|" not in stripped
        and stripped[-1] not in ":.,;?!"
        and stripped[0].isalnum()
        and not stripped.startswith(("http", "{", "SELECT", "select"))
    )


def _normal_title(title: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"\s*[-–—:]\s*", " - ", title)).strip().lower()


def _slide_blocks(text: str) -> list[list[Line]]:
    """Slides are separated by runs of three or more blank lines; decoration lines are dropped."""
    blocks: list[list[Line]] = [[]]
    blank_run = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            blank_run += 1
            continue
        if blank_run >= 3 and blocks[-1]:
            blocks.append([])
        blank_run = 0
        if not _is_noise(raw) and not _FENCE.match(raw):
            blocks[-1].append((number, clean_line(raw)))
    return [b for b in blocks if b]


def parse_slides(text: str, doc_title: str) -> list[RawSection]:
    sections: list[RawSection] = []
    course, course_no, title = doc_title, None, ""
    for block in _slide_blocks(text):
        first = block[0][1].strip()
        course_match = _COURSE_SECTION.match(first)
        if course_match:
            rest = [t for _, t in block[1:] if _looks_like_title(t)]
            name = _heading_text(course_match.group(2)) or (rest[0].strip() if rest else "")
            if course_match.group(1) != course_no:
                course_no, course, title = course_match.group(1), f"Section {course_match.group(1)}: {name}", ""
            continue
        title_lines = [t.strip() for _, t in block if _looks_like_title(t)]
        if len(title_lines) == len(block) and len(block) <= 3:
            title = _heading_text(" - ".join(dict.fromkeys(title_lines)))
            continue
        body = block
        if _looks_like_title(first):
            title, body = _heading_text(first), block[1:]
        path = (course, title) if title else (course,)
        if sections and sections[-1][0] and _same_section(sections[-1][0], path):
            sections[-1][1].extend([(body[0][0], "")] + body if body else [])
        elif body:
            sections.append((path, list(body)))
    return [(path, _compact(lines)) for path, lines in sections if _compact(lines)]


def _same_section(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    return [_normal_title(x) for x in a] == [_normal_title(x) for x in b]


# --- numbered notes (PDF extraction) --------------------------------------------------------

_NUMBERED = re.compile(r"^(\d{1,2})(?:\.(\d{1,2}))?\.?\s+([A-Za-z][^:]{1,50})$")


def _heading_number(line: str, major: int, minor: int) -> tuple[int, int, str] | None:
    """(major, minor, title) when the line is the next heading in sequence, else None.

    Only the next number in order is accepted: that keeps look-alikes such as
    "3 types of customer master keys (CMK)" out, and reads a lost dot ("43 Athena") as 4.3.
    """
    match = _NUMBERED.match(line.strip())
    if not match or not match.group(3)[0].isupper():
        return None
    a, b, title = int(match.group(1)), match.group(2), match.group(3).strip()
    if b is not None:
        numbers = (a, int(b))
    elif a == major + 1:
        numbers = (a, 0)
    elif a >= 10 and divmod(a, 10) == (major, minor + 1):
        numbers = divmod(a, 10)
    else:
        return None
    if numbers in {(major + 1, 0), (major + 1, 1), (major, minor + 1)}:
        return numbers[0], numbers[1], title
    return None


def parse_numbered(text: str, doc_title: str) -> list[RawSection]:
    lines = text.splitlines()
    sections: list[RawSection] = [((doc_title,), [])]
    major = minor = 0
    chapter = ""
    seen_first_heading = False
    for i, raw in enumerate(lines):
        if raw.lstrip().startswith("- ") and not seen_first_heading:
            continue  # the table of contents lists every heading as a bullet
        found = _heading_number(raw, major, minor)
        if found:
            seen_first_heading = True
            major, minor, title = found
            if minor == 0:
                chapter = f"{major}. {title}"
                path: tuple[str, ...] = (chapter,)
            else:
                path = (chapter, f"{major}.{minor} {title}") if chapter else (f"{major}.{minor} {title}",)
            sections.append((path, []))
            continue
        sections[-1][1].append((i + 1, clean_line(raw)))
    return [(path, _compact(body)) for path, body in sections if _compact(body)]


PARSERS = {"markdown": parse_markdown, "slides": parse_slides, "numbered": parse_numbered}
