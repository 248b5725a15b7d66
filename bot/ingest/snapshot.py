"""A copy of the active collection's passages, vectors and word statistics, for a fast start.

At 100x the notes (~140k passages) an app spent most of a minute reading every passage and vector back
from Chroma and deriving BM25 and the speller's tables from the text again. An ingest now also writes
those as plain files (JSON and numpy arrays), named by the build id it writes into the pointer; opening
the index reads them instead. Chroma stays the source of truth: a snapshot that is missing, of another
build, or fails its checksums is ignored (with a warning) and made again from the collection.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bot import text
from bot.ingest import lexicon
from bot.ingest.lexicon import Lexicon
from bot.models import Chunk
from bot.settings import Settings

log = logging.getLogger(__name__)
FORMAT = 1  # bump when the files change meaning: older snapshots are then made again
STALE_PARTIAL_SECONDS = 3600  # a partial folder this old is the debris of a killed writer
SNAPSHOTS = "snapshots"
META = "meta.json"


@dataclass
class Snapshot:
    chunks: list[Chunk]  # in document order
    vectors: np.ndarray  # float32, one normalised row per chunk
    lexicon: Lexicon


def new_build_id() -> str:
    return uuid.uuid4().hex[:16]


def snapshot_root(settings: Settings, store: Path) -> Path:
    """Where snapshots live: in the local store folder, or (server mode) under the index folder per server."""
    if settings.chroma_host:
        return Path(settings.index_dir) / SNAPSHOTS / f"{settings.chroma_host}-{settings.chroma_port}"
    return store / SNAPSHOTS


def in_document_order(chunks: list[Chunk]) -> list[int]:
    """Positions of `chunks` sorted by document and position: the order the searcher's rows follow."""
    return sorted(range(len(chunks)), key=lambda j: (chunks[j].doc_id, chunks[j].position))


def lexicon_code() -> str:
    """Changes with the code that derives the word statistics (tokenising, stemming, names): a snapshot made by
    other code is made again rather than searched with postings that no longer match the questions' terms."""
    digest = hashlib.sha256()
    for module in (text, lexicon):
        digest.update(Path(module.__file__).read_bytes())
    return digest.hexdigest()[:16]


def write_snapshot(root: Path, build: str, snapshot: Snapshot, prune: bool = False) -> None:
    """Write the snapshot of `build` (atomically: a folder renamed into place); with `prune` (the ingest that
    made the build), drop the others. Best effort: without a snapshot an app only starts slower."""
    target = root / build
    partial = root / f".{build}.{os.getpid()}.partial"
    try:
        root.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(partial, ignore_errors=True)
        partial.mkdir()
        files = [_write_chunks(partial / "chunks.json", snapshot.chunks), partial / "vectors.npy"]
        with open(files[1], "wb") as handle:
            np.save(handle, np.ascontiguousarray(snapshot.vectors, dtype=np.float32), allow_pickle=False)
        files += snapshot.lexicon.save(partial)
        meta = {"format": FORMAT, "build": build, "count": len(snapshot.chunks), "code": lexicon_code(),
                "sha256": {f.name: _digest(f) for f in files}}
        (partial / META).write_text(json.dumps(meta), encoding="utf-8")
        shutil.rmtree(target, ignore_errors=True)  # a damaged copy of the same build
        os.replace(partial, target)
    except OSError as err:
        log.warning("could not write the start-up snapshot in %s (%s); the app will start slower", root, err)
        shutil.rmtree(partial, ignore_errors=True)
        return
    if prune:
        _prune(root, keep=build)


def _prune(root: Path, keep: str) -> None:
    """Other builds' snapshots, and partial folders old enough to be a killed writer's (not a running one's)."""
    now = time.time()
    for other in root.iterdir():
        partial = other.name.startswith(".")
        if other.name != keep and (not partial or now - other.stat().st_mtime > STALE_PARTIAL_SECONDS):
            shutil.rmtree(other, ignore_errors=True)


def read_snapshot(root: Path, build: str, count: int) -> Snapshot | None:
    """The snapshot of `build` with `count` chunks, or None (missing, another build, or damaged)."""
    folder = root / build
    if not (folder / META).exists():
        return None
    try:
        meta = json.loads((folder / META).read_text(encoding="utf-8"))
        if meta.get("format") != FORMAT or meta.get("build") != build or meta.get("count") != count:
            raise ValueError(f"it is of another build or format ({meta.get('build')}, {meta.get('format')})")
        if meta.get("code") != lexicon_code():
            raise ValueError("it was made by other tokenising code")
        for name, digest in meta["sha256"].items():
            if _digest(folder / name) != digest:
                raise ValueError(f"{name} does not match its checksum")
        chunks = _read_chunks(folder / "chunks.json")
        # mapped: Chroma holds the vectors too, and searches touch only their candidates' rows (the checksum above
        # has read the file once; it stays in the page cache rather than in this process's memory)
        vectors = np.load(folder / "vectors.npy", mmap_mode="r", allow_pickle=False)
        lexicon = Lexicon.load(folder)
        if not len(chunks) == len(vectors) == len(lexicon.postings.lengths) == count:
            raise ValueError("its parts do not have one row per chunk")
    except (OSError, ValueError, KeyError, TypeError) as err:
        log.warning("ignoring the start-up snapshot in %s (%s); reading the index instead", folder, err)
        return None
    return Snapshot(chunks, vectors, lexicon)


def _write_chunks(path: Path, chunks: list[Chunk]) -> Path:
    rows = [[c.id, c.doc_id, c.doc_title, list(c.section_path), c.text, c.position, c.start_line] for c in chunks]
    path.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
    return path


def _read_chunks(path: Path) -> list[Chunk]:
    rows = json.loads(path.read_text(encoding="utf-8"))
    return [Chunk(i, doc, title, tuple(section), text, position, line)
            for i, doc, title, section, text, position, line in rows]


def _digest(path: Path) -> str:
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()
