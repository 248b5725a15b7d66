"""Turn raw document text into sections: one parser per document kind, pure functions only.

Every parser takes the raw text and returns (section path, [(line number, cleaned line)]) pairs;
`bot.ingest.load` wraps them into `Section`s.
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
# A PDF's hollow bullet glyph read as a letter: "- o Returns up to 1MB" (an "o" or "·" after the list marker).
_BULLET_GLYPH = re.compile(r"^(\s*(?:[-*+]\s+)?)(?:o|·)\s+(?=\S)")
_EMPTY_BULLET = re.compile(r"^\s*[-*+•]\s*$")
# Inline LaTeX from the PDF converters: "$6 \text{ DPU} * 1/4 \text{ hour} * \$0.44 = \$0.66.$"
_MATH_SPAN = re.compile(r"(?<!\\)\$(?=\S)((?:[^$]|\\\$)*?\\[A-Za-z]+(?:[^$]|\\\$)*?)(?<!\\)\$")
_FRAC = re.compile(r"\\frac\{([^{}]*)\}\{([^{}]*)\}")
_TEXT_COMMAND = re.compile(r"\\(?:text|mathrm|mathbf|textbf)\{([^{}]*)\}")
_SYMBOLS = {"\\Rightarrow": "⇒", "\\rightarrow": "→", "\\times": "×", "\\cdot": "×", "\\approx": "≈"}


def clean_line(line: str) -> str:
    """Markup-free text of one line; tables stay rows with ' | ' between cells."""
    line = _CONTROL.sub("", line.replace("\u00a0", " "))
    line = _IMAGE.sub("", line)
    line = _LINK.sub(r"\1", line)
    line = _AUTOLINK.sub(r"\1", line)
    line = _BREAK_TAG.sub("; ", line)
    line = _HTML_TAG.sub("", line)
    line = _EMPHASIS.sub("", line)
    line = _BULLET_GLYPH.sub(r"\1", plain_math(line))
    if _EMPTY_BULLET.match(line):
        return ""  # a list marker with nothing after it: an empty stub, not content
    if "\t" in line:
        line = " | ".join(cell.strip() for cell in line.split("\t") if cell.strip())
    return line.rstrip()


def plain_math(line: str) -> str:
    """LaTeX written as plain text: "$6 \\text{ DPU} * 1/4 h$" -> "6 DPU × 1/4 h", "\\$0.44" -> "$0.44"."""
    line = _MATH_SPAN.sub(lambda m: _math_text(m.group(1)), line)
    for command, symbol in _SYMBOLS.items():
        line = re.sub(re.escape(command) + r"\b", symbol, line)
    return line.replace("\\$", "$")


def _math_text(math: str) -> str:
    math = _TEXT_COMMAND.sub(lambda m: m.group(1).strip(), math)
    math = _FRAC.sub(lambda m: f"{m.group(1).strip()} / {m.group(2).strip()}", math)
    math = re.sub(r"\s*\*\s*", " × ", math)
    return re.sub(r"\s+", " ", math).strip()


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
        if not in_fence and (raw.strip() in {"***", "___"} or _TABLE_RULE.match(raw)):  # "---" is a table rule
            continue
        cleaned = clean_line(raw)
        if not in_fence and cleaned.lstrip().startswith("|"):
            cleaned = cleaned.strip().strip("|").strip()
        body.append((i + 1, cleaned))
    flush()
    return [(path, kept) for path, body in sections if (kept := _compact(body))]


# --- slide deck (PDF extraction) ------------------------------------------------------------

_SLIDE_BREAK = re.compile(r"\n(?:[ \t]*\n){3,}")
_DECORATION = re.compile(r"^(?:[\d\s.\-]*|VS|vs\.?)$")
_SCREENSHOT = re.compile(r"^The screenshot shows\b")
_COURSE_SECTION = re.compile(r"^Section\s+(\d+)\s*:\s*(.*)$")
_BULLET = re.compile(r"^\s*(?:[-*•◦▪–]|\d+[.)])\s")
_CSV_ROW = re.compile(r"\w,\w+,\w")
_SPLIT_WORD = re.compile(r"(?<![\w-])([A-Za-z]+)-$")
_CONTINUATION = re.compile(r"^\s*([a-z]+)")


def _is_noise(line: str) -> bool:
    stripped = line.strip()
    return bool(_DECORATION.match(stripped) or _SCREENSHOT.match(stripped))


def _looks_like_title(raw: str) -> bool:
    stripped = raw.strip()
    return (
        0 < len(stripped) <= 60
        and "\t" not in raw  # a one-cell table row, not a title
        and len(stripped.split()) <= 9
        and not _BULLET.match(raw)
        and stripped[-1] not in ":.,;?!"
        and stripped[0].isalnum()
        and not re.search(r"\b(is|are)\b", stripped)  # a sentence, not a title
        and not stripped.startswith(("http", "SELECT", "select"))  # "{…}" fails the isalnum test above
        and not _CSV_ROW.search(stripped)
    )


# Slide titles that only make sense under the topic before them ("Use Cases" of Object Lambda).
_GENERIC_TITLES = {
    "use cases", "use case", "overview", "pricing", "cost", "costs", "benefits", "advantages", "features",
    "key features", "example", "examples", "summary", "introduction", "components", "how it works",
    "limitations", "security", "performance", "architecture", "considerations", "best practices", "demo",
    "key concepts", "concepts", "integration", "integrations", "monitoring", "encryption", "scaling",
}


def _normal_title(title: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"\s*[-–—:]\s*", " - ", title)).strip().lower()


def _slide_blocks(text: str) -> list[list[Line]]:
    """Raw lines of each slide (slides are separated by runs of three or more blank lines)."""
    blocks: list[list[Line]] = [[]]
    blank_run = 0
    in_fence = after_fence = starts_in_code = False
    for number, raw in enumerate(join_split_words(text.splitlines()), start=1):
        if not raw.strip():
            blank_run += 1
            continue
        if _FENCE.match(raw):
            in_fence, after_fence = not in_fence, in_fence
            continue
        # a slide that opens with a code sample (a CSV file) has its title after the code, if anywhere
        if blocks[-1] and (blank_run >= 3 or (after_fence and starts_in_code)):
            blocks.append([])
        if not blocks[-1]:
            starts_in_code = in_fence
        blank_run, after_fence = 0, False
        if not _is_noise(raw):
            blocks[-1].append((number, raw))
    return [b for b in blocks if b]


def _slide_title(block: list[Line]) -> tuple[str | None, list[Line]]:
    """(title, remaining lines): a block of only short lines is a title slide; otherwise the first line."""
    if len(block) <= 3 and all(_looks_like_title(raw) for _, raw in block):
        return _heading_text(" - ".join(dict.fromkeys(raw.strip() for _, raw in block))), []
    if _looks_like_title(block[0][1]):
        return _heading_text(block[0][1]), block[1:]
    return None, block


def parse_slides(text: str, doc_title: str) -> list[RawSection]:
    sections: list[RawSection] = []
    course, course_no, title, topic = doc_title, None, "", ""
    after_title_slide = False
    for block in _slide_blocks(text):
        course_match = _COURSE_SECTION.match(block[0][1].strip())
        if course_match:
            rest = [raw.strip() for _, raw in block[1:] if _looks_like_title(raw)]
            name = _heading_text(course_match.group(2)) or (rest[0] if rest else "")
            if course_match.group(1) != course_no:
                course_no = course_match.group(1)
                course = f"Section {course_no}: {name}" if name else f"Section {course_no}"
                title = topic = ""
            after_title_slide = False
            continue
        new_title, body = _slide_title(block)
        if new_title and not body and after_title_slide and sections:
            # consecutive title-only slides are one slide built up in steps: later ones are its text
            sections[-1][1].extend((number, clean_line(raw)) for number, raw in block)
            continue
        after_title_slide = bool(new_title and not body)
        if new_title:
            if _normal_title(new_title) in _GENERIC_TITLES and topic:
                new_title = f"{topic} - {new_title}"
            elif _normal_title(new_title) != _normal_title(title):
                topic = new_title
            title = new_title
        path = (course, title) if title else (course,)
        lines = [(number, clean_line(raw)) for number, raw in body]
        if sections and _same_section(sections[-1][0], path):
            sections[-1][1].extend([(block[0][0], "")] + lines)
        else:
            # the title opens the section's text too: a title slide's words are content, not decoration
            heading = [(block[0][0], title)] if title else []
            sections.append((path, heading + lines))
    sections = [(path, without_repeated_heading(path[-1], lines)) for path, lines in sections]
    # a titled section holding only its heading line is a title slide with nothing under it; untitled text stays
    return [(path, kept) for path, lines in sections if len(kept := _compact(lines)) > 1 or len(path) == 1]


def without_repeated_heading(heading: str, lines: list[Line]) -> list[Line]:
    """The section's lines with its heading kept once, as the first line: slides built up in steps and
    continued slides repeat their title 2–4 times ("Glue Costs" / "Glue Costs")."""
    names = {_normal_title(heading), _normal_title(heading.rpartition(" - ")[2])}
    kept = [line for line in lines[1:] if _normal_title(line[1]) not in names]
    return lines[:1] + kept


def join_split_words(lines: list[str]) -> list[str]:
    """Words a PDF broke over a line end ("to de-" / "" / "duplicate on …") joined on the first line.

    The continuation's line becomes blank, so line numbers stay those of the file. The hyphen goes when the
    document writes the joined word elsewhere ("deduplicate"), and stays otherwise ("Formation-managed")."""
    vocabulary = set(re.findall(r"[a-z]+", "\n".join(lines).lower()))
    out = list(lines)
    for i, line in enumerate(out):
        head = _SPLIT_WORD.search(line.rstrip())
        if not head:
            continue
        nxt = next((j for j in range(i + 1, min(i + 6, len(out))) if out[j].strip()), None)
        tail = _CONTINUATION.match(out[nxt]) if nxt is not None else None
        if not tail:
            continue
        joined = head.group(1) + tail.group(1)
        glue = "" if joined.lower() in vocabulary else "-"
        out[i] = line.rstrip()[: -1] + glue + out[nxt].strip()
        out[nxt] = ""
    return out


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


def _is_list_label(lines: list[str], i: int) -> bool:
    """A short plain line after a blank line and before a bullet list ("Consumers", "Capacity mode:")."""
    line = lines[i].strip()
    if not (2 < len(line) <= 40) or "\t" in lines[i] or _BULLET.match(lines[i]) or line[-1] in ".,;?!":
        return False
    if i == 0 or lines[i - 1].strip():
        return False
    following = next((nxt for nxt in lines[i + 1 :] if nxt.strip()), "")
    return bool(_BULLET.match(following))


def _ends_label_list(current: tuple[str, ...], heading_path: tuple[str, ...], raw: str) -> bool:
    """Inside a list-label subsection, a plain (non-bullet, unindented) line closes the list."""
    return len(current) > len(heading_path) and bool(raw.strip()) and raw[0] not in " \t" and not _BULLET.match(raw)


def parse_numbered(text: str, doc_title: str) -> list[RawSection]:
    lines = join_split_words(text.splitlines())
    sections: list[RawSection] = [((doc_title,), [])]
    major = minor = 0
    heading_path: tuple[str, ...] = (doc_title,)
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
                heading_path = (chapter,)
            else:
                heading_path = (chapter, f"{major}.{minor} {title}") if chapter else (f"{major}.{minor} {title}",)
            sections.append((heading_path, []))
            continue
        if seen_first_heading and _is_list_label(lines, i):
            sections.append((heading_path + (_heading_text(raw),), [(i + 1, clean_line(raw))]))
            continue
        if _ends_label_list(sections[-1][0], heading_path, raw):
            sections.append((heading_path, []))  # prose after the list belongs to the section again
        sections[-1][1].append((i + 1, clean_line(raw)))
    return [(path, kept) for path, body in sections if (kept := _compact(body))]


PARSERS = {"markdown": parse_markdown, "slides": parse_slides, "numbered": parse_numbered}
