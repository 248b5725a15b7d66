"""Read the corpus manifest and documents, and turn each document into sections."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

from bot.ingest.clean import PARSERS
from bot.models import Section, SourceDoc
from bot.text import folded

log = logging.getLogger(__name__)
MANIFEST = "manifest.json"


class CorpusError(Exception):
    """The corpus folder or its manifest cannot be used; the message says why."""


@dataclass(frozen=True)
class LoadProblem:
    doc_id: str
    message: str


def read_manifest(corpus_dir: Path) -> list[SourceDoc]:
    path = corpus_dir / MANIFEST
    try:
        entries = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as err:
        raise CorpusError(f"no {MANIFEST} in {corpus_dir}") from err
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise CorpusError(f"{path} is not valid JSON: {err}") from err
    if not isinstance(entries, list):
        raise CorpusError(f"{path} must hold a list of documents")
    docs = [_source_doc(entry, corpus_dir, path) for entry in entries]
    ids = [d.doc_id for d in docs]
    if len(set(ids)) != len(ids):
        raise CorpusError(f"{path} lists a document id twice: {sorted(ids)}")
    return docs


def _source_doc(entry: dict, corpus_dir: Path, manifest: Path) -> SourceDoc:
    try:
        kind = entry.get("kind", "markdown")
        if kind not in PARSERS:
            raise CorpusError(f"{manifest}: unknown kind {kind!r} (known: {', '.join(PARSERS)})")
        return SourceDoc(
            doc_id=str(entry["id"]),
            title=str(entry["title"]),
            kind=kind,
            origin=str(entry.get("origin", "")),
            path=_inside(corpus_dir, entry["file"], manifest, entry["id"]),
            exam=str(entry.get("exam", "")),
        )
    except (KeyError, TypeError, AttributeError) as err:
        raise CorpusError(f"{manifest}: every entry needs id, title and file ({entry!r})") from err


def _inside(corpus_dir: Path, file: str, manifest: Path, doc_id) -> Path:
    """The entry's file, which must lie inside the corpus folder: a shared notes pack must not pull in any file the
    user can read (an absolute path, a `..`, or a link that leads out is refused, naming the entry)."""
    if not isinstance(file, str) or not file.strip():
        raise TypeError("file must be a path")
    relative = Path(file)
    path = corpus_dir / relative
    escapes = relative.is_absolute() or ".." in relative.parts or relative.drive
    if not escapes:
        try:
            path.resolve().relative_to(corpus_dir.resolve())
        except ValueError:
            escapes = True
    if escapes:
        raise CorpusError(f"{manifest}: entry {doc_id!r} names {file!r}, which is outside the corpus folder "
                          f"{corpus_dir}; list only files inside it")
    return path


def read_text(doc: SourceDoc) -> str:
    """The document's text; raises CorpusError with a readable reason when it cannot be used."""
    try:
        raw = doc.path.read_bytes()
    except OSError as err:
        raise CorpusError(f"{doc.doc_id}: cannot read {doc.path}: {err.strerror or err}") from err
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise CorpusError(f"{doc.doc_id}: {doc.path.name} is not UTF-8 text (byte {err.start})") from err
    if not text.strip():
        raise CorpusError(f"{doc.doc_id}: {doc.path.name} is empty")
    return text


def sections_of(doc: SourceDoc, text: str) -> list[Section]:
    raw_sections = PARSERS[doc.kind](text, doc.title)
    return [
        Section(doc.doc_id, doc.title, _below_title(path, doc.title), tuple(t for _, t in lines), lines[0][0])
        for path, lines in raw_sections
        if lines
    ]


def _below_title(path: tuple[str, ...], doc_title: str) -> tuple[str, ...]:
    """The path without a top heading that only repeats the document's title (a markdown file's "# Title"):
    every breadcrumb starts with the title already."""
    if len(path) > 1 and folded(path[0]) == folded(doc_title):
        return path[1:]
    return path


def load_corpus(corpus_dir: Path) -> tuple[dict[SourceDoc, list[Section]], list[LoadProblem]]:
    """Sections of every readable document; unreadable ones are reported, never fatal."""
    loaded: dict[SourceDoc, list[Section]] = {}
    problems: list[LoadProblem] = []
    for doc in read_manifest(corpus_dir):
        try:
            sections = sections_of(doc, read_text(doc))
        except CorpusError as err:
            problems.append(LoadProblem(doc.doc_id, str(err)))
            log.warning("skipping %s", err)
            continue
        if not sections:
            problems.append(LoadProblem(doc.doc_id, f"{doc.doc_id}: no text left after cleaning"))
            continue
        loaded[doc] = sections
    return loaded, problems


def section_tree(sections: list[Section]) -> list[str]:
    """Indented outline of the section paths, each heading printed once."""
    lines: list[str] = []
    previous: tuple[str, ...] = ()
    for section in sections:
        common = 0
        while common < min(len(previous), len(section.path)) and previous[common] == section.path[common]:
            common += 1
        for depth in range(common, len(section.path)):
            lines.append("  " * depth + section.path[depth])
        previous = section.path
    return lines
