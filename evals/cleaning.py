"""How clean is the study text? Counts of the extraction leftovers people saw in the Browse tab.

    python -m evals.cleaning            # one row per leftover, one column per document, on corpus/

Every count should be zero; tests/test_cleaning_real.py holds them there. The cleaning table of docs/results.md
shows these counts before and after the cleaning of issue 14.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from pathlib import Path

from bot.ingest.load import load_corpus
from bot.models import Section, SourceDoc
from bot.text import PATH_SEPARATOR, breadcrumb, folded

_GLYPH_BULLET = re.compile(r"^\s*(?:[-*+]\s+)?(?:o|·)\s+\S")
_ENDS_SPLIT = re.compile(r"[A-Za-z]-$")
_STARTS_LOWER = re.compile(r"^\s*[a-z]")
_CSV_HEADER = re.compile(r"\w,\w+,\w")
_LATEX = re.compile(r"\\[A-Za-z]+\{|\\(?:Rightarrow|rightarrow|times|cdot|approx)\b|\\\$|\$\\")


def repeated_heading_lines(doc: SourceDoc, section: Section) -> int:
    """Lines after the first that repeat the section's heading."""
    heading = folded(section.path[-1])
    return sum(folded(line) == heading for line in section.lines[1:])


def bullet_glyph_lines(doc: SourceDoc, section: Section) -> int:
    return sum(bool(_GLYPH_BULLET.match(line)) for line in section.lines)


def latex_lines(doc: SourceDoc, section: Section) -> int:
    return sum(bool(_LATEX.search(line)) for line in section.lines)


def csv_titles(doc: SourceDoc, section: Section) -> int:
    return sum(bool(_CSV_HEADER.search(part)) for part in section.path)


def split_words(doc: SourceDoc, sections: list[Section]) -> int:
    """A line ending in "word-" whose next non-blank line goes on in lower case ("to de-" / "duplicate"),
    also when a section boundary fell between the two."""
    lines = [line for section in sections for line in section.lines if line.strip()]
    pairs = zip(lines, lines[1:], strict=False)
    return sum(bool(_ENDS_SPLIT.search(a.rstrip()) and _STARTS_LOWER.match(b)) for a, b in pairs)


def empty_sections(doc: SourceDoc, section: Section) -> int:
    """A section with no letter or digit in its text (a heading over "-")."""
    return int(not any(re.search(r"[A-Za-z0-9]", line) for line in section.lines))


def doubled_breadcrumbs(doc: SourceDoc, section: Section) -> int:
    """A breadcrumb that names the same heading twice in a row, or a path that starts with the document's
    title above its own headings (every breadcrumb names the document already)."""
    parts = [folded(p) for p in breadcrumb(doc.title, section.path).split(PATH_SEPARATOR)]
    title_in_path = len(section.path) > 1 and folded(section.path[0]) == folded(doc.title)
    return int(title_in_path or any(a == b for a, b in zip(parts, parts[1:], strict=False)))


def _per_section(check: Callable[[SourceDoc, Section], int]) -> Callable[[SourceDoc, list[Section]], int]:
    return lambda doc, sections: sum(check(doc, section) for section in sections)


CHECKS: dict[str, Callable[[SourceDoc, list[Section]], int]] = {
    "repeated-heading lines": _per_section(repeated_heading_lines),
    "stray bullet glyphs (o, ·)": _per_section(bullet_glyph_lines),
    "LaTeX markup lines": _per_section(latex_lines),
    "CSV header as section title": _per_section(csv_titles),
    "words split over lines": split_words,
    "empty sections": _per_section(empty_sections),
    "breadcrumbs with the title twice": _per_section(doubled_breadcrumbs),
}


def leftovers(corpus_dir: Path) -> dict[str, dict[str, int]]:
    """{check: {doc id: count}} for every document that loads."""
    loaded, _ = load_corpus(corpus_dir)
    return {
        name: {doc.doc_id: check(doc, sections) for doc, sections in loaded.items()}
        for name, check in CHECKS.items()
    }


def main(argv: list[str] | None = None) -> int:
    corpus = Path(argv[0]) if argv else Path("corpus")
    table = leftovers(corpus)
    docs = sorted({d for row in table.values() for d in row})
    print("| leftover | " + " | ".join(docs) + " | total |")
    print("|---|" + "---|" * (len(docs) + 1))
    for name, row in table.items():
        print(f"| {name} | " + " | ".join(str(row.get(d, 0)) for d in docs) + f" | {sum(row.values())} |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
