"""Build and open the persisted Chroma index.

An ingest writes every current chunk into a fresh collection (reusing the stored vectors of
unchanged chunks, embedding only new ones), then flips one pointer record to it. A crash before
the flip leaves the previous collection, still pointed at, answering as before.

`--rebuild` does not touch the store in use at all (it may be damaged): it builds a new store folder
beside it and then flips the `CURRENT` file (one atomic rename) to name it. A kill at any moment leaves
either the old store or the new one answering. Before a local store is opened, its vector files are
probed in a child process once per change: a damaged HNSW file crashes that child, not the app.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import logging
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import NoReturn

from bot.ingest.chunk import chunk_sections
from bot.ingest.embed import embeddings
from bot.ingest.lexicon import Lexicon
from bot.ingest.load import LoadProblem, load_corpus
from bot.ingest.snapshot import (
    Snapshot,
    in_document_order,
    new_build_id,
    read_snapshot,
    snapshot_root,
    write_snapshot,
)
from bot.models import Chunk
from bot.settings import ROOT, Settings

os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

log = logging.getLogger(__name__)
POINTER_COLLECTION = "studybot-pointer"
CURRENT_FILE = "CURRENT"
DEFAULT_STORE = "chroma"
STORE_NAME = re.compile(r"chroma(?:-[0-9]{8}-[0-9]{6}-[0-9]+(?:-[0-9]+)?)?")
PROBE_SAMPLES = 20  # stored vectors searched for by the probe, spread over the collection
PROBE_MAY_MISS = 0.25  # share of them allowed not to find themselves (HNSW search is approximate)
PROBE_FILE = ".probed.json"  # in a store folder: the vector files as they were when a child process last read them
COLLECTION_PREFIX = "studybot-chunks-"
EMBED_BATCH = 32
WRITE_BATCH = 1000
READ_PAGE = 5000  # chunks per `get` when reading a collection back
ID_BATCH = 500  # ids per `get(ids=…)`: SQLite limits the variables of one statement
SEGMENT_NAME = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")  # a vector folder
LOCK_POLL_SECONDS = 0.5  # how often `ingest --wait` looks whether the other ingest has finished
# Disk a store takes: ~9 KB a chunk measured at 1x, 10x and 100x (docs/results.md, scale); twice that and a base
# leave room for SQLite's journal and for the old collection, which stays until the new one is complete
DISK_PER_CHUNK = 20_000
DISK_BASE = 2_000_000


class IndexUnavailable(Exception):
    """The index is missing, corrupt or unreachable; the message says what to do."""


def where(settings: Settings) -> str:
    """The index as messages name it: the Chroma server, or the local folder."""
    return f"the Chroma server at {settings.chroma_host}:{settings.chroma_port}" if settings.chroma_host else \
        f"{settings.index_dir}"


def store_dir(settings: Settings) -> Path:
    """The local store folder in use: the one `CURRENT` names (after a rebuild), else index/chroma."""
    index = Path(settings.index_dir)
    try:
        name = (index / CURRENT_FILE).read_text(encoding="utf-8").strip()
    except (FileNotFoundError, NotADirectoryError):  # no CURRENT, or no index folder at all (a file in its way)
        return index / DEFAULT_STORE
    except (UnicodeDecodeError, OSError) as err:  # garbage bytes, a folder in its place
        raise IndexUnavailable(f"{index / CURRENT_FILE} is damaged ({type(err).__name__}): "
                               "rebuild with `studybot ingest --rebuild`.") from err
    if not STORE_NAME.fullmatch(name):
        raise IndexUnavailable(f"{index / CURRENT_FILE} names no store folder ({name[:40]!r}): "
                               "rebuild with `studybot ingest --rebuild`.")
    return index / name


def make_client(settings: Settings, path: Path | None = None):
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    try:
        if settings.chroma_host:
            _require_answer(settings)
            return _timed(chromadb.HttpClient(host=settings.chroma_host, port=settings.chroma_port,
                                              settings=chroma_settings), settings.chroma_timeout)
        path = path or store_dir(settings)
        path.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(path), settings=chroma_settings)
    except IndexUnavailable:
        raise
    except Exception as err:  # chroma raises many types for an unreachable server or broken files
        if settings.chroma_host:
            raise IndexUnavailable(
                f"cannot reach {where(settings)} ({type(err).__name__}: {err}). Start it, or unset "
                "STUDYBOT_CHROMA_HOST to use the local index."
            ) from err
        advice = "Free some space; the index itself is fine" if is_full_disk(str(err)) else \
            "Rebuild it with `studybot ingest --rebuild`"
        raise IndexUnavailable(
            f"cannot open the index in {settings.index_dir} ({type(err).__name__}: {err}). {advice}."
        ) from err


def _require_answer(settings: Settings) -> None:
    """A server that accepts connections but never replies (frozen, or not Chroma at all) is found here, in
    `chroma_timeout` seconds, rather than hanging the client's own first calls, which have no time limit."""
    import httpx

    url = f"http://{settings.chroma_host}:{settings.chroma_port}/api/v2/heartbeat"
    try:
        httpx.get(url, timeout=settings.chroma_timeout)
    except httpx.TimeoutException as err:
        raise IndexUnavailable(
            f"{where(settings)} does not answer (nothing within {settings.chroma_timeout:g} s). Check the server, "
            "or unset STUDYBOT_CHROMA_HOST to use the local index."
        ) from err


def _timed(client, seconds: float):
    """Every later call of `client` gets the time limit too (chromadb builds its HTTP session without one)."""
    import httpx

    client._server._session.timeout = httpx.Timeout(seconds)
    return client


def chunk_to_record(chunk: Chunk) -> tuple[str, dict]:
    metadata = {
        "doc_id": chunk.doc_id,
        "doc_title": chunk.doc_title,
        "section": chunk.section,
        "section_path": json.dumps(chunk.section_path),
        "position": chunk.position,
        "start_line": chunk.start_line,
    }
    return chunk.text, metadata


def record_to_chunk(chunk_id: str, text: str, metadata: dict) -> Chunk:
    return Chunk(
        id=chunk_id,
        doc_id=metadata["doc_id"],
        doc_title=metadata["doc_title"],
        section_path=tuple(json.loads(metadata["section_path"])),
        text=text,
        position=int(metadata["position"]),
        start_line=int(metadata["start_line"]),
    )


@dataclass
class IngestReport:
    collection: str
    total: int
    embedded: int
    reused: int
    removed: int
    seconds: float
    unchanged: bool = False
    problems: list[LoadProblem] = field(default_factory=list)

    def summary(self) -> str:
        if self.unchanged:
            head = f"index up to date: {self.total} chunks"
        else:
            head = (
                f"indexed {self.total} chunks ({self.embedded} embedded, {self.reused} reused, "
                f"{self.removed} removed) in {self.seconds:.1f}s"
            )
        return "\n".join([head] + [f"warning: {p.message}" for p in self.problems])


def current_chunks(settings: Settings) -> tuple[list[Chunk], list[LoadProblem]]:
    loaded, problems = load_corpus(settings.corpus_dir)
    chunks: list[Chunk] = []
    for sections in loaded.values():
        chunks.extend(chunk_sections(sections, settings.chunk_size, settings.chunk_overlap))
    return chunks, problems


def _pointer(client) -> dict | None:
    """The pointer record; None when there is none yet. Anything else that fails is damage, not absence."""
    try:
        collection = client.get_collection(POINTER_COLLECTION)
    except Exception as err:
        if _is_missing(err):
            return None
        raise
    record = collection.get(ids=["active"], include=["metadatas"])
    return record["metadatas"][0] if record["ids"] else None


def _is_missing(err: Exception) -> bool:
    from chromadb.errors import NotFoundError

    return isinstance(err, NotFoundError) or "does not exist" in str(err)


def _set_pointer(client, collection_name: str, count: int, build: str | None) -> None:
    """The one record naming the active collection; a build of None removes the build id (Chroma merges metadata)."""
    pointer = client.get_or_create_collection(POINTER_COLLECTION, embedding_function=None)
    pointer.upsert(ids=["active"], embeddings=[[0.0, 0.0]],
                   metadatas=[{"collection": collection_name, "count": count, "build": build}])


def _stored_vectors(client, name: str | None, wanted: set[str]) -> dict[str, list[float]]:
    if not name or not wanted:
        return {}
    found: dict[str, list[float]] = {}
    try:
        collection = client.get_collection(name)
        for batch in _batches(sorted(wanted), ID_BATCH):  # one id per SQL variable: a few hundred at a time
            got = collection.get(ids=batch, include=["embeddings"])
            found.update((i, list(map(float, e))) for i, e in zip(got["ids"], got["embeddings"], strict=True))
    except Exception as err:
        log.warning("cannot reuse stored vectors of %s: %s", name, err)
        return {}
    return found


def _batches(items: list, size: int) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def embed_texts(texts: list[str], embed: Callable[[list[str]], list[list[float]]], progress: bool) -> list:
    from tqdm import tqdm

    # batches of similar length: a batch is padded to its longest text, so mixing lengths wastes most of the work
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    vectors: list = [None] * len(texts)
    with tqdm(total=len(texts), desc="embedding", unit="chunk", disable=not progress or not texts) as bar:
        for batch in _batches(order, EMBED_BATCH):
            for i, vector in zip(batch, embed([texts[i] for i in batch]), strict=True):
                vectors[i] = vector
            bar.update(len(batch))
    return vectors


class IngestBusy(IndexUnavailable):
    """Another ingest holds the index's lock."""


@contextmanager
def ingest_lock(settings: Settings, wait: bool = False) -> Iterator[None]:
    """One ingest at a time per index: an advisory lock on a file in the index folder that holds its holder's pid.
    The operating system releases the lock when its holder dies, so a lock left by a killed ingest is stale by
    construction: the next ingest takes it (and writes its own pid) without asking anyone to delete a file."""
    index = Path(settings.index_dir)
    suffix = f"-{settings.chroma_host}-{settings.chroma_port}" if settings.chroma_host else ""
    path = index / f".ingest{suffix}.lock"
    try:  # before any embedding: a folder that cannot be written says so at once
        index.mkdir(parents=True, exist_ok=True)
        handle = open(path, "a+", encoding="utf-8")
    except OSError as err:
        raise IndexUnavailable(f"cannot write the index folder {index} ({type(err).__name__}: "
                               f"{err.strerror or err}).") from err
    with handle:
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if not wait:
                    raise IngestBusy(f"another ingest (pid {_lock_holder(path)}) is running on {where(settings)}; "
                                     "let it finish, or run `studybot ingest --wait`.") from None
                time.sleep(LOCK_POLL_SECONDS)
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        yield  # closing the file releases the lock


def _lock_holder(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8").strip() or "unknown"
    except OSError:
        return "unknown"


def ingest(settings: Settings, *, rebuild: bool = False, progress: bool = True, embed=None,
           wait: bool = False) -> IngestReport:
    """Bring the index in line with the corpus; only new or changed chunks are embedded (all with `rebuild`).
    One ingest at a time: another one running makes this raise IngestBusy, or wait for it with `wait`."""
    with ingest_lock(settings, wait):
        return _ingest(settings, rebuild, progress, embed)


def _ingest(settings: Settings, rebuild: bool, progress: bool, embed) -> IngestReport:
    started = time.perf_counter()
    chunks, problems = current_chunks(settings)
    if not chunks:
        raise IndexUnavailable(f"no usable documents in {settings.corpus_dir}; nothing to index")
    if not settings.chroma_host:  # before Chroma creates or opens anything: a store begun on a full disk is debris
        require_free_space(Path(settings.index_dir), len(chunks))
    if rebuild and not settings.chroma_host:
        return _rebuild_beside(settings, chunks, problems, embed, progress, started)
    if not rebuild:
        verify_store(settings)
    client = make_client(settings)
    try:
        active = _pointer(client)
        old_name = active["collection"] if active else None
        old_ids = set() if rebuild else _collection_ids(client, old_name)
    except Exception as err:  # a malformed database: the advice is a rebuild, which does not read it
        raise IndexUnavailable(f"the index at {where(settings)} is damaged ({type(err).__name__}: {err}). "
                               "Rebuild it with `studybot ingest --rebuild`.") from err
    new_ids = [c.id for c in chunks]
    if old_name and set(new_ids) == old_ids:
        if not active.get("build"):  # an index from before start-up snapshots: give it one, no embedding
            stored = _stored_vectors(client, old_name, old_ids)
            root = snapshot_root(settings, store_dir(settings))
            _snapshot_and_point(client, old_name, chunks, stored, root)
        _restamp(settings)
        return IngestReport(old_name, len(chunks), 0, len(chunks), 0, time.perf_counter() - started, True, problems)

    vectors = _stored_vectors(client, old_name, set(new_ids) & old_ids)
    missing = [c for c in chunks if c.id not in vectors]
    vectors.update(_embed_chunks(missing, settings, embed, progress))
    if not settings.chroma_host:  # again: an open Chroma client that meets a full disk can wait forever inside
        require_free_space(Path(settings.index_dir), len(chunks))  # its native pool (seen on create_collection)
    name = _next_collection_name(client, old_name)
    try:
        _write_collection(client, name, chunks, vectors, snapshot_root(settings, store_dir(settings)))
    except Exception as err:  # the pointer still names the old collection: the index is as it was
        _drop_partial_collection(client, name)
        _raise_write_failure(settings, err)
    _drop_stale_collections(client, keep=name)
    if not settings.chroma_host:
        folder = store_dir(settings)
        _reclaim_dropped_segments(folder)
        _stamp(folder)
    removed = len(old_ids - set(new_ids))
    return IngestReport(
        name, len(chunks), len(missing), len(chunks) - len(missing), removed, time.perf_counter() - started,
        problems=problems,
    )


def _embed_chunks(chunks: list[Chunk], settings: Settings, embed, progress: bool) -> dict[str, list[float]]:
    embed = embed or embeddings(settings).embed_documents
    fresh = embed_texts([c.embedding_text() for c in chunks], embed, progress)
    return {c.id: v for c, v in zip(chunks, fresh, strict=True)}


def _write_collection(client, name: str, chunks: list[Chunk], vectors: dict, snapshots: Path) -> None:
    """Every chunk into a new collection and its start-up snapshot beside, then the pointer flipped to it."""
    collection = client.create_collection(name, configuration={"hnsw": {"space": "cosine"}}, embedding_function=None)
    for batch in _batches(chunks, min(WRITE_BATCH, client.get_max_batch_size())):
        texts, metadatas = zip(*(chunk_to_record(c) for c in batch), strict=True)
        collection.add(
            ids=[c.id for c in batch],
            embeddings=[vectors[c.id] for c in batch],
            documents=list(texts),
            metadatas=list(metadatas),
        )
    _snapshot_and_point(client, name, chunks, vectors, snapshots)


def _snapshot_and_point(client, name: str, chunks: list[Chunk], vectors: dict, snapshots: Path) -> None:
    """The start-up snapshot of collection `name` under a new build id, then the pointer flipped to both."""
    build = new_build_id()
    write_snapshot(snapshots, build, _snapshot_of(chunks, vectors), prune=True)
    _set_pointer(client, name, len(chunks), build)


def _snapshot_of(chunks: list[Chunk], vectors: dict) -> Snapshot:
    import numpy as np

    ordered = [chunks[j] for j in in_document_order(chunks)]
    return Snapshot(ordered, np.asarray([vectors[c.id] for c in ordered], dtype=np.float32),
                    Lexicon.of_chunks(ordered))


def _rebuild_beside(settings: Settings, chunks, problems, embed, progress: bool, started: float) -> IngestReport:
    """A new store folder, written while the old one stays in use; `CURRENT` flips to it when it is complete."""
    index = Path(settings.index_dir)
    index.mkdir(parents=True, exist_ok=True)
    fresh = _fresh_store(index)
    vectors = _embed_chunks(chunks, settings, embed, progress)
    name = f"{COLLECTION_PREFIX}1"
    try:
        _write_collection(make_client(settings, fresh), name, chunks, vectors, snapshot_root(settings, fresh))
    except Exception as err:  # CURRENT still names the old store: remove the partial one, keep the old
        _forget_client(fresh)
        shutil.rmtree(fresh, ignore_errors=True)
        _raise_write_failure(settings, err)
    _forget_client(fresh)
    _stamp(fresh)
    _flip_current(index, fresh.name)
    _remove_other_stores(index, keep=fresh.name)
    return IngestReport(name, len(chunks), len(chunks), 0, 0, time.perf_counter() - started, problems=problems)


def require_free_space(index: Path, chunks: int) -> None:
    """Refuse before the long work (embedding) when the index's disk cannot hold the store to be written."""
    needed = DISK_BASE + DISK_PER_CHUNK * chunks
    free = shutil.disk_usage(index).free
    if free < needed:
        raise IndexUnavailable(
            f"not enough free disk space for the index in {index}: about {_megabytes(needed)} needed for "
            f"{chunks:,} passages, {_megabytes(free)} free. Free some space (or set STUDYBOT_INDEX_DIR to a "
            "bigger disk) and run the ingest again; the index is as it was."
        )


def _megabytes(size: int) -> str:
    return f"{size / 1e6:,.1f} MB"


_FULL_DISK = ("database or disk is full", "no space left", "file too large", "disk quota")


def is_full_disk(message: str) -> bool:
    """Whether an error's text says the disk (or the user's quota) is full, as SQLite and the OS word it."""
    return any(words in message.lower() for words in _FULL_DISK)


def _raise_write_failure(settings: Settings, err: Exception) -> NoReturn:
    """Writing the new collection failed (its debris is gone): a full disk is one line; anything else is raised
    as it was, since a traceback is the honest report of a fault nobody foresaw."""
    cause = err.__cause__ if isinstance(err, IndexUnavailable) and err.__cause__ else err  # opening the new store
    full = getattr(cause, "errno", None) in (errno.ENOSPC, errno.EFBIG, errno.EDQUOT) or is_full_disk(str(cause))
    if not full:
        raise err
    raise IndexUnavailable(
        f"the disk holding {where(settings)} filled up while the index was written ({type(cause).__name__}: "
        f"{str(cause)[:160]}). The partial index was removed and the index is as it was: free some space and run "
        "the ingest again."
    ) from err


def _drop_partial_collection(client, name: str) -> None:
    try:
        client.delete_collection(name)
    except Exception as err:  # a full disk may refuse even this: the next ingest removes it (_next_collection_name)
        log.warning("could not remove the partial collection %s yet (%s)", name, err)


def _fresh_store(index: Path) -> Path:
    """A folder name no store has: the time and process, and a count when this process rebuilt within the second."""
    name = f"{DEFAULT_STORE}-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}"
    fresh, taken = index / name, 0
    while fresh.exists():
        taken += 1
        fresh = index / f"{name}-{taken}"
    return fresh


def _flip_current(index: Path, store: str) -> None:
    """Point CURRENT at `store` with one rename, durable before anything old is removed."""
    temporary = index / f"{CURRENT_FILE}.tmp"
    with open(temporary, "w", encoding="utf-8") as handle:
        handle.write(store + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, index / CURRENT_FILE)
    directory = os.open(index, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def _remove_other_stores(index: Path, keep: str) -> None:
    """Old store folders and the debris of killed rebuilds (a running app answers from memory meanwhile)."""
    for folder in index.iterdir():
        if folder.is_dir() and folder.name != keep and STORE_NAME.fullmatch(folder.name):
            _forget_client(folder)
            shutil.rmtree(folder, ignore_errors=True)


def _collection_ids(client, name: str | None) -> set[str]:
    if not name:
        return set()
    try:
        return {i for page in _pages(client.get_collection(name), include=[]) for i in page["ids"]}
    except Exception as err:
        log.warning("cannot list the chunks of %s: %s", name, err)
        return set()


def _next_collection_name(client, old_name: str | None) -> str:
    existing = {c.name for c in client.list_collections()}
    number = int(old_name.rsplit("-", 1)[1]) + 1 if old_name else 1
    if f"{COLLECTION_PREFIX}{number}" in existing:
        client.delete_collection(f"{COLLECTION_PREFIX}{number}")  # debris of a crashed ingest
    return f"{COLLECTION_PREFIX}{number}"


def _drop_stale_collections(client, keep: str) -> None:
    for collection in client.list_collections():
        if collection.name.startswith(COLLECTION_PREFIX) and collection.name != keep:
            client.delete_collection(collection.name)


def _reclaim_dropped_segments(folder: Path) -> None:
    """Remove the vector folders of collections this ingest dropped: Chroma deletes their rows but leaves their
    files (a few MB per ingest, kept until a rebuild). A folder is removed only when it is named like a segment
    and the store's own list of segments, read just now, lacks it; when that list cannot be read, nothing is."""
    import sqlite3

    try:
        with closing(sqlite3.connect(f"file:{folder / 'chroma.sqlite3'}?mode=ro", uri=True)) as db:
            live = {row[0] for row in db.execute("SELECT id FROM segments")}
    except sqlite3.Error as err:
        log.warning("left the old vector folders in %s (cannot list the live ones: %s)", folder, err)
        return
    for entry in folder.iterdir():
        if entry.is_dir() and SEGMENT_NAME.fullmatch(entry.name) and entry.name not in live:
            shutil.rmtree(entry, ignore_errors=True)


def _forget_client(folder: Path) -> None:
    """Chroma keeps one open system per path for the process's life: close the one of a folder we are done with."""
    try:
        from chromadb.api.shared_system_client import SharedSystemClient

        system = SharedSystemClient._identifier_to_system.pop(str(folder), None)
        if system is not None:
            system.stop()
    except Exception as err:  # other chroma layouts: nothing to forget
        log.debug("no chroma system to forget for %s: %s", folder, err)


@dataclass
class Store:
    """The active collection, its chunks in memory (for BM25 and citations) and its LangChain store."""

    chunks: list[Chunk]
    vectorstore: object
    collection_name: str
    vectors: object = None  # normalised embeddings, one row per chunk in `chunks` order
    generation: str = ""  # store folder and collection: changes with every ingest that changed something
    lexicon: Lexicon | None = None  # the passages' word statistics, when a snapshot had them ready


def require_index(settings: Settings, folder: Path | None = None) -> None:
    """Raise IndexUnavailable when there is plainly no local index, without creating an empty one there."""
    if not settings.chroma_host and not index_exists(settings, folder):
        raise IndexUnavailable(
            f"no index in {settings.index_dir} yet: build it with `studybot ingest` (about a minute)."
        )


def active_collection(settings: Settings) -> str:
    """What the index serves now, as `Store.generation` names it: how a running app sees an ingest or rebuild."""
    require_index(settings)
    active = _pointer(make_client(settings))
    if not active:
        raise IndexUnavailable(f"no index at {where(settings)} yet: build it with `studybot ingest`.")
    return _generation(settings, active["collection"])


def _generation(settings: Settings, collection: str, folder: Path | None = None) -> str:
    return collection if settings.chroma_host else f"{(folder or store_dir(settings)).name}/{collection}"


# --- damage ---------------------------------------------------------------------------------------

_PROBE = "import sys; from bot.ingest.index import probe_store; probe_store(sys.argv[1])"


def verify_store(settings: Settings, folder: Path | None = None) -> None:
    """Read the local store's vector files in a child process, once per change of those files.

    Random bytes in an HNSW file make Chroma's native code crash the process that loads it (a segmentation
    fault, no message); here that process is a child, and the person gets the fix instead.
    """
    if settings.chroma_host:
        return
    folder = folder or store_dir(settings)
    if not (folder / "chroma.sqlite3").exists():
        return
    stamp = folder / PROBE_FILE
    try:
        if json.loads(stamp.read_text(encoding="utf-8")) == _vector_files(folder):
            return
    except (OSError, ValueError):
        pass  # never probed, or the stamp itself damaged: probe
    env = os.environ | {"PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    done = subprocess.run([sys.executable, "-c", _PROBE, str(folder)], capture_output=True, text=True, env=env,
                          timeout=600)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or [""])[-1][:300]
        why = f"reading it crashed the reader (signal {-done.returncode})" if done.returncode < 0 else last
        if is_full_disk(last):
            raise IndexUnavailable(f"the disk holding {folder} is full: Chroma cannot open the index ({last}). "
                                   "Free some space; the index itself is fine.")
        raise IndexUnavailable(f"the index in {folder} is damaged: {why}. "
                               "Rebuild it with `studybot ingest --rebuild` (about a minute).")
    _stamp(folder)


def _restamp(settings: Settings, folder: Path | None = None) -> None:
    """Opening a store rewrites some of Chroma's files (the pointer's segment): remember them as this process,
    which probed them or found them probed, left them, or every start would probe again (seconds at 100x)."""
    if settings.chroma_host:
        return
    try:
        _stamp(folder or store_dir(settings))
    except OSError as err:  # a read-only index: the next start probes again, nothing worse
        log.debug("cannot stamp %s: %s", settings.index_dir, err)


def _stamp(folder: Path) -> None:
    """Remember the vector files as read back whole (by the probe, or by the ingest that just wrote them)."""
    stamp = folder / PROBE_FILE
    temporary = stamp.with_suffix(".tmp")
    temporary.write_text(json.dumps(_vector_files(folder)), encoding="utf-8")
    os.replace(temporary, stamp)


def _vector_files(folder: Path) -> list:
    """Size, modification time and a digest of each file of the store's segment folders (the native HNSW files):
    bytes changed in place with the size and time kept (a bad disk, a restore) must still lead to the probe, as
    those bytes can crash the native reader. The digest reads the files once per open (milliseconds here, about
    a second at 100x the notes)."""
    return sorted([str(p.relative_to(folder)), p.stat().st_size, p.stat().st_mtime_ns, _file_digest(p)]
                  for p in folder.glob("*/*") if p.is_file())


def _file_digest(path: Path) -> str:
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "blake2b").hexdigest()[:32]


def probe_store(path: str) -> None:
    """In the child: open the store and search the active collection as the app would; exit non-zero if it fails."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    client = chromadb.PersistentClient(path=path, settings=ChromaSettings(anonymized_telemetry=False))
    active = _pointer(client)
    if not active:
        sys.exit("the index has no active collection")
    collection = client.get_collection(active["collection"])
    count = collection.count()
    if not count:
        sys.exit("the index is empty")
    ids, vectors = [], []
    for offset in sorted({count * i // PROBE_SAMPLES for i in range(PROBE_SAMPLES)}):
        got = collection.get(limit=1, offset=offset, include=["embeddings"])
        ids.extend(got["ids"])
        vectors.extend(list(map(float, e)) for e in got["embeddings"])
    found = collection.query(query_embeddings=vectors, n_results=min(3, count), include=[])["ids"]
    lost = [i for i, near in zip(ids, found, strict=True) if i not in near]
    # damaged graph files can give wrong results without a crash: stored vectors then stop finding themselves.
    # The search is approximate, so a few may miss in a healthy index too (random vectors at 140k: 3 of 20)
    if len(lost) > len(ids) * PROBE_MAY_MISS:
        sys.exit(f"searches give wrong results ({len(lost)} of {len(ids)} stored vectors do not find themselves)")


def open_store(settings: Settings) -> Store:
    from langchain_chroma import Chroma

    folder = None if settings.chroma_host else store_dir(settings)  # CURRENT read once: a rebuild may flip it
    require_index(settings, folder)
    if folder is not None:
        _require_writable(folder)
    verify_store(settings, folder)
    client = make_client(settings, folder)
    try:
        active = _pointer(client)
        if not active:
            raise IndexUnavailable(
                f"no index at {where(settings)} yet: build it with `studybot ingest` (about a minute)."
            )
        name = active["collection"]
        snapshot = _start_up_snapshot(settings, client, active, folder)
    except IndexUnavailable:
        raise
    except Exception as err:
        hint = "Check the server" if settings.chroma_host else "Rebuild it with `studybot ingest --rebuild`"
        raise IndexUnavailable(
            f"the index at {where(settings)} cannot be read ({type(err).__name__}: {err}). {hint}."
        ) from err
    if not snapshot.chunks:
        raise IndexUnavailable("the index is empty: rebuild it with `studybot ingest --rebuild`.")
    _restamp(settings, folder)
    vectorstore = Chroma(client=client, collection_name=name, embedding_function=embeddings(settings))
    return Store(snapshot.chunks, vectorstore, name, snapshot.vectors, _generation(settings, name, folder),
                 snapshot.lexicon)


def _require_writable(folder: Path) -> None:
    """Chroma writes to its database even to answer a search, so a read-only store fails deep inside it with
    "attempt to write a readonly database"; said here instead, with what to do, and not as damage."""
    blocked = [p for p in (folder, folder / "chroma.sqlite3") if p.exists() and not os.access(p, os.W_OK)]
    if blocked:
        raise IndexUnavailable(
            f"the index in {folder} is read-only for this user: {blocked[0]} cannot be written, and Chroma writes "
            "to its database even to answer. Make it writable (chmod -R u+w), or copy the index folder somewhere "
            "writable and set STUDYBOT_INDEX_DIR to the copy."
        )


def _start_up_snapshot(settings: Settings, client, active: dict, folder: Path | None = None) -> Snapshot:
    """The active collection's chunks, vectors and lexicon: from its snapshot when there is a good one, else
    read from the collection (and the snapshot written for the next start)."""
    build, root = active.get("build"), snapshot_root(settings, folder or store_dir(settings))
    found = read_snapshot(root, build, int(active.get("count", -1))) if build else None
    if found:
        return found
    chunks, vectors = _read_collection(client.get_collection(active["collection"]))
    snapshot = Snapshot(chunks, vectors, Lexicon.of_chunks(chunks))
    if build and chunks:  # an index from before snapshots has no build id to name one by
        write_snapshot(root, build, snapshot)
    return snapshot


def _read_collection(collection, page: int = READ_PAGE):
    """Every chunk and its vector (float32 rows), in document order. Read a page at a time: one `get` of a
    large collection fails ("too many SQL variables" at ~150k chunks) and holds every vector as Python floats."""
    import numpy as np

    chunks: list[Chunk] = []
    blocks = []
    for got in _pages(collection, ["documents", "metadatas", "embeddings"], page):
        chunks.extend(record_to_chunk(i, d, m) for i, d, m in zip(got["ids"], got["documents"], got["metadatas"],
                                                                  strict=True))
        blocks.append(np.asarray(got["embeddings"], dtype=np.float32))
    if not chunks:
        return [], np.zeros((0, 0), dtype=np.float32)
    order = in_document_order(chunks)
    return [chunks[j] for j in order], np.vstack(blocks)[order]


def _pages(collection, include: list[str], page: int = READ_PAGE) -> Iterator[dict]:
    """The collection, `page` records per `get`."""
    for offset in range(0, collection.count(), page):
        yield collection.get(limit=page, offset=offset, include=include)


def index_exists(settings: Settings, folder: Path | None = None) -> bool:
    """Is there an index to open? A damaged local one counts: opening it says what is wrong and what to do."""
    if not settings.chroma_host:
        return ((folder or store_dir(settings)) / "chroma.sqlite3").exists()
    try:
        return _pointer(make_client(settings)) is not None
    except Exception:  # an unreachable server: the ingest that follows says so
        return False
