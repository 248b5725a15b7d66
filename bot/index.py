"""Build and open the persisted Chroma index.

An ingest writes every current chunk into a fresh collection (reusing the stored vectors of
unchanged chunks, embedding only new ones), then flips one pointer record to it. A crash before
the flip leaves the previous collection, still pointed at, answering as before.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from bot.chunk import chunk_sections
from bot.embed import embeddings
from bot.load import LoadProblem, load_corpus
from bot.models import Chunk
from bot.settings import Settings

os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

log = logging.getLogger(__name__)
POINTER_COLLECTION = "studybot-pointer"
COLLECTION_PREFIX = "studybot-chunks-"
EMBED_BATCH = 32
WRITE_BATCH = 1000


class IndexUnavailable(Exception):
    """The index is missing, corrupt or unreachable; the message says what to do."""


def make_client(settings: Settings):
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    try:
        if settings.chroma_host:
            return chromadb.HttpClient(host=settings.chroma_host, port=settings.chroma_port, settings=chroma_settings)
        path = settings.index_dir / "chroma"
        path.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(path), settings=chroma_settings)
    except Exception as err:  # chroma raises many types for an unreachable server or broken files
        where = f"{settings.chroma_host}:{settings.chroma_port}" if settings.chroma_host else settings.index_dir
        raise IndexUnavailable(
            f"cannot open the Chroma index at {where} ({type(err).__name__}: {err}). "
            "Start the server, or rebuild with `studybot ingest --rebuild`."
        ) from err


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
    try:
        record = client.get_collection(POINTER_COLLECTION).get(ids=["active"], include=["metadatas"])
    except Exception:  # a missing pointer collection means: never built
        return None
    return record["metadatas"][0] if record["ids"] else None


def _set_pointer(client, collection_name: str, settings: Settings, count: int) -> None:
    pointer = client.get_or_create_collection(POINTER_COLLECTION, embedding_function=None)
    pointer.upsert(
        ids=["active"],
        documents=["active chunk collection"],
        embeddings=[[0.0, 0.0]],
        metadatas=[{"collection": collection_name, "count": count, "chunk_size": settings.chunk_size}],
    )


def _stored_vectors(client, name: str | None, wanted: set[str]) -> dict[str, list[float]]:
    if not name or not wanted:
        return {}
    try:
        collection = client.get_collection(name)
        got = collection.get(ids=sorted(wanted), include=["embeddings"])
    except Exception as err:
        log.warning("cannot reuse stored vectors of %s: %s", name, err)
        return {}
    return {i: list(map(float, e)) for i, e in zip(got["ids"], got["embeddings"], strict=True)}


def _batches(items: list, size: int) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def embed_texts(texts: list[str], embed: Callable[[list[str]], list[list[float]]], progress: bool) -> list:
    from tqdm import tqdm

    vectors: list[list[float]] = []
    with tqdm(total=len(texts), desc="embedding", unit="chunk", disable=not progress or not texts) as bar:
        for batch in _batches(texts, EMBED_BATCH):
            vectors.extend(embed(batch))
            bar.update(len(batch))
    return vectors


def ingest(settings: Settings, *, rebuild: bool = False, progress: bool = True, embed=None) -> IngestReport:
    """Bring the index in line with the corpus; only new or changed chunks are embedded."""
    started = time.perf_counter()
    if rebuild:
        wipe(settings)
    chunks, problems = current_chunks(settings)
    if not chunks:
        raise IndexUnavailable(f"no usable documents in {settings.corpus_dir}; nothing to index")
    client = make_client(settings)
    active = _pointer(client)
    old_name = active["collection"] if active else None
    old_ids = _collection_ids(client, old_name)
    new_ids = [c.id for c in chunks]
    if old_name and set(new_ids) == old_ids:
        return IngestReport(old_name, len(chunks), 0, len(chunks), 0, time.perf_counter() - started, True, problems)

    vectors = _stored_vectors(client, old_name, set(new_ids) & old_ids)
    missing = [c for c in chunks if c.id not in vectors]
    embed = embed or embeddings(settings).embed_documents
    fresh = embed_texts([c.embedding_text() for c in missing], embed, progress)
    vectors.update({c.id: v for c, v in zip(missing, fresh, strict=True)})

    name = _next_collection_name(client, old_name)
    collection = client.create_collection(
        name, configuration={"hnsw": {"space": "cosine"}}, embedding_function=None
    )
    for batch in _batches(chunks, min(WRITE_BATCH, client.get_max_batch_size())):
        texts, metadatas = zip(*(chunk_to_record(c) for c in batch), strict=True)
        collection.add(
            ids=[c.id for c in batch],
            embeddings=[vectors[c.id] for c in batch],
            documents=list(texts),
            metadatas=list(metadatas),
        )
    _set_pointer(client, name, settings, len(chunks))
    _drop_stale_collections(client, keep=name)
    removed = len(old_ids - set(new_ids))
    return IngestReport(
        name, len(chunks), len(missing), len(chunks) - len(missing), removed, time.perf_counter() - started,
        problems=problems,
    )


def _collection_ids(client, name: str | None) -> set[str]:
    if not name:
        return set()
    try:
        return set(client.get_collection(name).get(include=[])["ids"])
    except Exception:
        return set()


def _next_collection_name(client, old_name: str | None) -> str:
    existing = {c.name if hasattr(c, "name") else str(c) for c in client.list_collections()}
    number = int(old_name.rsplit("-", 1)[1]) + 1 if old_name else 1
    if f"{COLLECTION_PREFIX}{number}" in existing:
        client.delete_collection(f"{COLLECTION_PREFIX}{number}")  # debris of a crashed ingest
    return f"{COLLECTION_PREFIX}{number}"


def _drop_stale_collections(client, keep: str) -> None:
    for collection in client.list_collections():
        name = collection.name if hasattr(collection, "name") else str(collection)
        if name.startswith(COLLECTION_PREFIX) and name != keep:
            client.delete_collection(name)


def wipe(settings: Settings) -> None:
    """Remove the index entirely (the corpus is the source of truth and can always rebuild it)."""
    if settings.chroma_host:
        client = make_client(settings)
        for collection in client.list_collections():
            name = collection.name if hasattr(collection, "name") else str(collection)
            if name.startswith(COLLECTION_PREFIX) or name == POINTER_COLLECTION:
                client.delete_collection(name)
        return
    shutil.rmtree(settings.index_dir / "chroma", ignore_errors=True)
    _clear_client_cache()


def _clear_client_cache() -> None:
    """Chroma caches one system per path; after deleting the files it must forget it."""
    try:
        from chromadb.api.shared_system_client import SharedSystemClient

        SharedSystemClient.clear_system_cache()
    except Exception as err:  # older/newer chroma layouts: nothing cached to clear
        log.debug("no chroma system cache to clear: %s", err)


@dataclass
class Store:
    """The active collection, its chunks in memory (for BM25 and citations) and its LangChain store."""

    chunks: list[Chunk]
    vectorstore: object
    collection_name: str
    vectors: object = None  # normalised embeddings, one row per chunk in `chunks` order


def require_index(settings: Settings) -> None:
    """Raise IndexUnavailable when there is plainly no local index, without creating an empty one there."""
    if not settings.chroma_host and not (Path(settings.index_dir) / "chroma" / "chroma.sqlite3").exists():
        raise IndexUnavailable(
            f"no index in {settings.index_dir} yet: build it with `studybot ingest` (about a minute)."
        )


def active_collection(settings: Settings) -> str | None:
    """The collection the pointer names now (None before the first ingest): how a running app sees an ingest."""
    require_index(settings)
    record = make_client(settings).get_collection(POINTER_COLLECTION).get(ids=["active"], include=["metadatas"])
    return record["metadatas"][0]["collection"] if record["ids"] else None


def open_store(settings: Settings) -> Store:
    from langchain_chroma import Chroma

    require_index(settings)
    client = make_client(settings)
    try:
        active = _pointer(client)
        if not active:
            raise IndexUnavailable(
                f"no index in {settings.index_dir} yet: build it with `studybot ingest` (about a minute)."
            )
        name = active["collection"]
        records = client.get_collection(name).get(include=["documents", "metadatas", "embeddings"])
        rows = zip(records["ids"], records["documents"], records["metadatas"], records["embeddings"], strict=True)
        pairs = sorted(
            ((record_to_chunk(i, d, m), e) for i, d, m, e in rows), key=lambda p: (p[0].doc_id, p[0].position)
        )
    except IndexUnavailable:
        raise
    except Exception as err:
        raise IndexUnavailable(
            f"the index in {settings.index_dir} cannot be read ({type(err).__name__}: {err}). "
            "Rebuild it with `studybot ingest --rebuild`."
        ) from err
    if not pairs:
        raise IndexUnavailable("the index is empty: rebuild it with `studybot ingest --rebuild`.")
    import numpy as np

    chunks = [c for c, _ in pairs]
    vectors = np.asarray([e for _, e in pairs], dtype=np.float32)
    vectorstore = Chroma(client=client, collection_name=name, embedding_function=embeddings(settings))
    return Store(chunks, vectorstore, name, vectors)


def index_exists(settings: Settings) -> bool:
    if not settings.chroma_host and not (Path(settings.index_dir) / "chroma").exists():
        return False
    try:
        return _pointer(make_client(settings)) is not None
    except IndexUnavailable:
        return False
