import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import cli_env
from helpers.lock_holder import hold_the_ingest_lock

from bot.answer.studybot import build_bot
from bot.ingest.index import IndexUnavailable, index_exists, ingest, open_store


def _empty_the_active_collection(settings) -> Path:
    """Delete every chunk of the active collection (as damage would leave it); the store's folder."""
    from bot.ingest.index import _forget_client, _pointer, make_client, store_dir

    folder = store_dir(settings)
    client = make_client(settings)
    collection = client.get_collection(_pointer(client)["collection"])
    collection.delete(ids=collection.get(include=[])["ids"])
    _forget_client(folder)
    return folder


def _list_a_missing_document(settings) -> None:
    """The manifest names a file the corpus does not have (numbered.txt listed as gone.txt)."""
    manifest = settings.corpus_dir / "manifest.json"
    manifest.write_text(manifest.read_text().replace('"numbered.txt"', '"gone.txt"'))


def test_ingest_is_idempotent(tiny_settings):
    first = ingest(tiny_settings, progress=False)
    second = ingest(tiny_settings, progress=False)
    assert first.total == second.total > 0
    assert second.unchanged and second.embedded == 0
    assert len(open_store(tiny_settings).chunks) == first.total


def test_ingest_is_incremental_and_removes_deleted_documents(tiny_settings):
    first = ingest(tiny_settings, progress=False)
    queues = tiny_settings.corpus_dir / "queues.md"
    queues.write_text(queues.read_text() + "\n## Amazon MQ\n\nAmazon MQ is a managed broker for ActiveMQ.\n")
    second = ingest(tiny_settings, progress=False)
    assert second.embedded == 1  # only the new section
    assert second.reused == first.total
    store = open_store(tiny_settings)
    assert any("ActiveMQ" in c.text for c in store.chunks)

    _list_a_missing_document(tiny_settings)
    third = ingest(tiny_settings, progress=False)
    assert third.embedded == 0 and third.removed > 0
    assert {c.doc_id for c in open_store(tiny_settings).chunks} == {"100", "101"}
    assert third.problems and "cannot read" in third.problems[0].message


def test_incremental_ingests_reclaim_the_vector_folders_of_the_collections_they_drop(tiny_settings):
    """Chroma deletes a dropped collection's rows and leaves its vector folder: without reclaiming, the store grew by
    a folder per ingest until a rebuild."""
    import sqlite3

    from bot.ingest.index import SEGMENT_NAME, store_dir

    ingest(tiny_settings, progress=False)
    queues = tiny_settings.corpus_dir / "queues.md"
    for size in ("1 MiB", "2 MiB", "3 MiB"):
        queues.write_text(re.sub(r"256 KB|\d MiB", size, queues.read_text()))
        ingest(tiny_settings, progress=False)
        folder = store_dir(tiny_settings)
        with sqlite3.connect(folder / "chroma.sqlite3") as db:
            live = {row[0] for row in db.execute("SELECT id FROM segments")}
        vector_folders = {p.name for p in folder.iterdir() if p.is_dir() and SEGMENT_NAME.fullmatch(p.name)}
        assert vector_folders and vector_folders <= live
        assert size in build_bot(tiny_settings).ask("What is the max message size in SQS?").text


def stored_texts(settings) -> list[str]:
    """Every document text in every collection of the store: what a re-ingest leaves behind, wherever."""
    from bot.ingest.index import make_client

    client = make_client(settings)
    texts = []
    for listed in client.list_collections():
        collection = client.get_collection(getattr(listed, "name", listed))
        texts += [t for t in collection.get(include=["documents"])["documents"] if t]
    return texts


def test_an_edit_leaves_no_trace_of_the_old_text_in_the_store_or_the_answers(tiny_settings):
    """Issue 15: "256 KB" edited to "1 MB" must be gone from every collection, the start-up snapshot, the
    retrieved passages and the answer, not only joined by the new text."""
    ingest(tiny_settings, progress=False)
    assert any("256 KB" in t for t in stored_texts(tiny_settings))
    queues = tiny_settings.corpus_dir / "queues.md"
    queues.write_text(queues.read_text().replace("256 KB", "1 MB"))
    report = ingest(tiny_settings, progress=False)
    assert report.embedded >= 1 and report.removed >= 1
    texts = stored_texts(tiny_settings)
    assert any("1 MB" in t for t in texts) and not any("256 KB" in t for t in texts)
    assert not any("256 KB" in c.text for c in open_store(tiny_settings).chunks)  # the snapshot the app starts from
    answer = build_bot(tiny_settings).ask("What is the max message size in SQS?")
    assert "1 MB" in answer.text and "256 KB" not in answer.text
    assert not any("256 KB" in hit.chunk.text for hit in answer.hits)


def test_crash_mid_ingest_leaves_previous_index_answering(tiny_settings):
    ingest(tiny_settings, progress=False)
    before = build_bot(tiny_settings).ask("What is the max message size in SQS?")
    queues = tiny_settings.corpus_dir / "queues.md"
    queues.write_text(queues.read_text().replace("256 KB", "1 MB") + "\n## New\n\nA new section of notes.\n")

    def crash(texts):
        raise RuntimeError("power cut while embedding")

    with pytest.raises(RuntimeError):
        ingest(tiny_settings, progress=False, embed=crash)
    after = build_bot(tiny_settings).ask("What is the max message size in SQS?")
    assert "256 KB" in after.text and after.text == before.text
    assert ingest(tiny_settings, progress=False).embedded > 0  # the next ingest completes the change
    assert "1 MB" in build_bot(tiny_settings).ask("What is the max message size in SQS?").text


def test_missing_index_gives_a_clear_message(tiny_settings):
    assert not index_exists(tiny_settings)
    with pytest.raises(IndexUnavailable, match="studybot ingest"):
        open_store(tiny_settings)


def test_corrupt_index_gives_a_clear_message_and_rebuild_recovers(tiny_settings):
    ingest(tiny_settings, progress=False)
    from bot.ingest.index import _forget_client, store_dir

    _forget_client(store_dir(tiny_settings))  # as a new process would: nothing of the store cached
    for path in (tiny_settings.index_dir / "chroma").rglob("*"):
        if path.is_file():
            path.write_bytes(b"garbage" * 10)
    with pytest.raises(IndexUnavailable, match="--rebuild"):
        open_store(tiny_settings)
    _forget_client(store_dir(tiny_settings))
    report = ingest(tiny_settings, rebuild=True, progress=False)
    assert report.total > 0 and len(open_store(tiny_settings).chunks) == report.total


def test_empty_corpus_is_refused_without_touching_the_index(tiny_settings):
    ingest(tiny_settings, progress=False)
    for name in ("queues.md", "slides.txt", "numbered.txt"):
        (tiny_settings.corpus_dir / name).write_text("")
    with pytest.raises(IndexUnavailable, match="no usable documents"):
        ingest(tiny_settings, progress=False)
    assert len(open_store(tiny_settings).chunks) > 0


def test_an_unreachable_chroma_server_has_no_index_to_open(tiny_settings):
    """The app then offers to build one, and that ingest says the server cannot be reached."""
    from dataclasses import replace

    assert not index_exists(replace(tiny_settings, chroma_host="127.0.0.1", chroma_port=9))


def test_unreachable_chroma_server_gives_a_clear_message(tiny_settings):
    from dataclasses import replace

    settings = replace(tiny_settings, chroma_host="127.0.0.1", chroma_port=9)
    with pytest.raises(IndexUnavailable, match="cannot reach the Chroma server at 127.0.0.1:[0-9]+ .*Start it"):
        open_store(settings)


def test_the_index_is_read_back_page_by_page_in_document_order(tiny_settings):
    """A large collection cannot be read in one `get` (SQLite's variable limit at ~150k chunks): pages of any size
    give the same chunks and vectors, in document order."""
    import numpy as np

    from bot.ingest.index import _pointer, _read_collection, _stored_vectors, make_client

    ingest(tiny_settings, progress=False)
    client = make_client(tiny_settings)
    collection = client.get_collection(_pointer(client)["collection"])
    whole, vectors = _read_collection(collection)
    paged, paged_vectors = _read_collection(collection, page=3)
    assert len(whole) == collection.count() > 6 and paged == whole
    assert np.array_equal(paged_vectors, vectors) and vectors.dtype == np.float32
    assert [(c.doc_id, c.position) for c in whole] == sorted((c.doc_id, c.position) for c in whole)
    stored = _stored_vectors(client, collection.name, {c.id for c in whole})
    assert len(stored) == len(whole) and np.allclose(stored[whole[0].id], vectors[0])


def test_the_active_collection_names_what_the_index_serves_and_changes_with_an_ingest(tiny_settings):
    from bot.ingest.index import active_collection

    with pytest.raises(IndexUnavailable, match="no index in .* yet: build it with `studybot ingest`"):
        active_collection(tiny_settings)
    ingest(tiny_settings, progress=False)
    first = active_collection(tiny_settings)
    assert first == open_store(tiny_settings).generation == "chroma/studybot-chunks-1"  # store folder/collection
    ingest(tiny_settings, progress=False)
    assert active_collection(tiny_settings) == first  # nothing changed: the same collection
    queues = tiny_settings.corpus_dir / "queues.md"
    queues.write_text(queues.read_text() + "\n## Amazon MQ\n\nAmazon MQ is a managed broker for ActiveMQ.\n")
    ingest(tiny_settings, progress=False)
    assert active_collection(tiny_settings) not in ("", first)


def test_an_opened_store_names_the_collection_it_serves(tiny_settings):
    ingest(tiny_settings, progress=False, embed=_unit_vectors)
    assert open_store(tiny_settings).collection_name == "studybot-chunks-1"
    queues = tiny_settings.corpus_dir / "queues.md"
    queues.write_text(queues.read_text().replace("256 KB", "1 MB"))
    ingest(tiny_settings, progress=False, embed=_unit_vectors)
    assert open_store(tiny_settings).collection_name == "studybot-chunks-2"


def test_the_probe_passes_a_healthy_store_and_names_an_empty_one(tiny_settings):
    """The child process of `verify_store` runs this; called here in-process on a good store and an emptied one."""
    from bot.ingest.index import probe_store, store_dir

    ingest(tiny_settings, progress=False)
    assert probe_store(str(store_dir(tiny_settings))) is None
    folder = _empty_the_active_collection(tiny_settings)
    with pytest.raises(SystemExit, match="^the index is empty$"):
        probe_store(str(folder))


def test_verifying_a_store_probes_it_in_a_child_and_names_what_is_wrong(tiny_settings):
    from bot.ingest.index import PROBE_FILE, verify_store

    ingest(tiny_settings, progress=False, embed=_unit_vectors)
    folder = _empty_the_active_collection(tiny_settings)
    (folder / PROBE_FILE).unlink()  # never probed since: the next open reads the store in a child process
    with pytest.raises(IndexUnavailable) as damaged:
        verify_store(tiny_settings)
    assert str(damaged.value) == (f"the index in {folder} is damaged: the index is empty. "
                                  "Rebuild it with `studybot ingest --rebuild` (about a minute).")
    assert not (folder / PROBE_FILE).exists()


@pytest.mark.parametrize(("reader", "why"), [
    ("import os, signal; os.kill(os.getpid(), signal.SIGSEGV)", "reading it crashed the reader (signal 11)"),
    ("import sys; print('a warning first', file=sys.stderr); sys.exit('the reason')", "the reason"),
    ("import sys; sys.exit('x' * 400)", "x" * 300),
    ("import sys; sys.exit(3)", ""),
])
def test_a_failing_store_reader_is_reported_by_its_signal_or_its_last_line(tiny_settings, monkeypatch, reader, why):
    """What the person reads when the child that reads the store fails: the crash's signal, or the last line
    the reader wrote (cut at 300 characters). The reader here stands in for Chroma's native code failing."""
    import bot.ingest.index
    from bot.ingest.index import PROBE_FILE, store_dir, verify_store

    ingest(tiny_settings, progress=False, embed=_unit_vectors)
    (store_dir(tiny_settings) / PROBE_FILE).unlink()
    monkeypatch.setattr(bot.ingest.index, "_PROBE", reader)
    with pytest.raises(IndexUnavailable) as damaged:
        verify_store(tiny_settings)
    assert str(damaged.value) == (f"the index in {store_dir(tiny_settings)} is damaged: {why}. "
                                  "Rebuild it with `studybot ingest --rebuild` (about a minute).")


class RecordingCollection:
    """A Chroma collection that records the probe's gets and searches; `lose` searches miss their own vector."""

    def __init__(self, collection, calls, lose):
        self.collection, self.calls, self.lose = collection, calls, lose

    def __getattr__(self, name):
        return getattr(self.collection, name)

    def get(self, **options):
        got = self.collection.get(**options)
        self.calls.append(("get", options, got["ids"]))
        return got

    def query(self, **options):
        self.calls.append(("query", {k: v for k, v in options.items() if k != "query_embeddings"}, None))
        found = self.collection.query(**options)
        found["ids"] = [[] if n < self.lose else near for n, near in enumerate(found["ids"])]
        return found


def probe_recorded(settings, monkeypatch, lose=0):
    """Runs probe_store in-process on the built tiny index with a recording client: (exit message, calls)."""
    import chromadb

    from bot.ingest.index import _forget_client, probe_store, store_dir

    folder = store_dir(settings)
    _forget_client(folder)
    calls, real_client = [], chromadb.PersistentClient

    def recording_client(*args, **kwargs):
        client = real_client(*args, **kwargs)
        get_collection = client.get_collection
        client.get_collection = lambda name, **kw: RecordingCollection(get_collection(name, **kw), calls, lose)
        return client

    with monkeypatch.context() as patch:
        patch.setattr(chromadb, "PersistentClient", recording_client)
        try:
            probe_store(str(folder))
        except SystemExit as stop:
            return stop.code, calls
        finally:
            _forget_client(folder)
    return None, calls


def test_the_probe_reads_a_spread_sample_and_searches_three_nearest(tiny_settings, monkeypatch):
    """The probe must stay cheap on a big index: one vector per get at offsets spread over the collection, and
    one search of the sample for its three nearest ids without payloads."""
    from bot.ingest.index import PROBE_SAMPLES, current_chunks

    ingest(tiny_settings, progress=False)
    count = len(current_chunks(tiny_settings)[0])
    problem, calls = probe_recorded(tiny_settings, monkeypatch)
    assert problem is None
    gets = [(options, ids) for kind, options, ids in calls if kind == "get" and "offset" in options]
    offsets = sorted({count * i // PROBE_SAMPLES for i in range(PROBE_SAMPLES)})
    assert [options["offset"] for options, _ in gets] == offsets
    assert all(options["limit"] == 1 and options["include"] == ["embeddings"] and len(ids) == 1
               for options, ids in gets)
    assert len({ids[0] for _, ids in gets}) == len(offsets)  # distinct vectors, not the first one again
    assert [options for kind, options, _ in calls if kind == "query"] == [{"n_results": 3, "include": []}]


def test_the_probe_fails_when_more_than_a_quarter_of_the_sample_does_not_find_itself(tiny_settings, monkeypatch):
    """Damaged graph files give wrong results without a crash: a quarter of misses is allowed (the search is
    approximate), one more is damage. Eight samples: 2 misses pass, 3 fail with the count in the message."""
    import bot.ingest.index

    ingest(tiny_settings, progress=False)
    monkeypatch.setattr(bot.ingest.index, "PROBE_SAMPLES", 8)
    assert probe_recorded(tiny_settings, monkeypatch, lose=2)[0] is None
    problem, _ = probe_recorded(tiny_settings, monkeypatch, lose=3)
    assert problem == "searches give wrong results (3 of 8 stored vectors do not find themselves)"


def test_the_probe_names_a_store_with_no_active_collection(tmp_path):
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    from bot.ingest.index import _forget_client, probe_store

    chromadb.PersistentClient(path=str(tmp_path), settings=ChromaSettings(anonymized_telemetry=False))
    _forget_client(tmp_path)
    with pytest.raises(SystemExit, match="^the index has no active collection$"):
        probe_store(str(tmp_path))


def test_chunks_read_back_are_the_chunks_written_a_page_per_get(tiny_settings):
    from bot.ingest.index import _pointer, _read_collection, current_chunks, make_client, where

    ingest(tiny_settings, progress=False)
    written, _ = current_chunks(tiny_settings)
    collection = make_client(tiny_settings).get_collection(_pointer(make_client(tiny_settings))["collection"])

    class Counting:
        gets = 0

        def count(self):
            return collection.count()

        def get(self, **options):
            Counting.gets += 1
            return collection.get(**options)

    read, _ = _read_collection(Counting(), page=4)
    assert sorted(read, key=lambda c: c.id) == sorted(written, key=lambda c: c.id)
    assert Counting.gets == -(-len(written) // 4)  # one `get` per page of 4
    assert where(tiny_settings) == str(tiny_settings.index_dir)


def test_a_store_with_no_active_collection_says_there_is_no_index_yet(tiny_settings):
    from bot.ingest.index import _forget_client, active_collection, make_client, store_dir, where

    make_client(tiny_settings)  # the store's files exist, no collection was ever made active
    _forget_client(store_dir(tiny_settings))
    with pytest.raises(IndexUnavailable) as raised:
        active_collection(tiny_settings)
    assert str(raised.value) == f"no index at {where(tiny_settings)} yet: build it with `studybot ingest`."


def test_an_empty_collection_reads_as_no_chunks_and_an_empty_float32_matrix(tiny_settings):
    from bot.ingest.index import _read_collection, make_client

    collection = make_client(tiny_settings).get_or_create_collection("empty")
    chunks, vectors = _read_collection(collection)
    assert chunks == [] and vectors.shape == (0, 0) and vectors.dtype.name == "float32"


def test_a_rebuild_embeds_with_the_given_model_shows_progress_makes_its_folders_and_lets_go_of_its_store(
        tiny_settings, tmp_path, capsys):
    from dataclasses import replace

    from chromadb.api.shared_system_client import SharedSystemClient

    from bot.ingest.index import COLLECTION_PREFIX, store_dir

    settings = replace(tiny_settings, index_dir=tmp_path / "not" / "yet" / "index")
    embedded: list[str] = []

    def embed(texts: list[str]) -> list[list[float]]:
        embedded.extend(texts)
        return _unit_vectors(texts)

    report = ingest(settings, rebuild=True, progress=True, embed=embed)
    assert len(embedded) == report.embedded == report.total > 0
    assert (report.collection, report.reused, report.removed, report.unchanged, report.problems) == (
        f"{COLLECTION_PREFIX}1", 0, 0, False, [])
    assert 0 < report.seconds < 600
    assert "embedding" in capsys.readouterr().err  # the progress bar the CLI shows
    assert str(store_dir(settings)) not in SharedSystemClient._identifier_to_system  # closed once written


def _unit_vectors(texts: list[str]) -> list[list[float]]:
    """A stand-in for the model where it does not matter: a unit vector per text, far from the others' (the
    store's probe checks that each stored vector finds itself)."""
    import hashlib

    import numpy as np

    vectors = []
    for text in texts:
        seed = int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")
        vector = np.random.default_rng(seed).standard_normal(384)
        vectors.append((vector / np.linalg.norm(vector)).tolist())
    return vectors


def test_a_rebuild_removes_the_store_it_replaces_and_killed_rebuilds_debris_and_nothing_else(tiny_settings, tmp_path):
    """Old store folders are closed and deleted; a folder it cannot delete (a link named like a store) is left
    without failing the rebuild, and what it points to is untouched."""
    from chromadb.api.shared_system_client import SharedSystemClient

    from bot.ingest.index import make_client, store_dir

    ingest(tiny_settings, rebuild=True, progress=False, embed=_unit_vectors)
    index, first = tiny_settings.index_dir, store_dir(tiny_settings)
    make_client(tiny_settings)  # the store in use, open in this process
    assert str(first) in SharedSystemClient._identifier_to_system
    debris = index / "chroma-20260101-000000-1"
    debris.mkdir()
    (debris / "chroma.sqlite3").write_text("half written")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "keep.txt").write_text("not ours")
    (index / "chroma-20260101-000000-2").symlink_to(elsewhere, target_is_directory=True)
    (index / "models").mkdir()

    ingest(tiny_settings, rebuild=True, progress=False, embed=_unit_vectors)
    second = store_dir(tiny_settings)
    assert sorted(p.name for p in index.iterdir()) == sorted(
        [".ingest.lock", "CURRENT", second.name, "chroma-20260101-000000-2", "models"])
    assert str(first) not in SharedSystemClient._identifier_to_system
    assert (elsewhere / "keep.txt").read_text() == "not ours"


def test_a_rebuild_within_the_same_second_gets_a_store_folder_of_its_own(tmp_path, monkeypatch):
    import os

    from bot.ingest import index as index_module

    monkeypatch.setattr(index_module.time, "strftime", lambda pattern: "20261201-061500")
    names = []
    for _ in range(3):
        fresh = index_module._fresh_store(tmp_path)
        fresh.mkdir()
        names.append(fresh.name)
    stem = f"chroma-20261201-061500-{os.getpid()}"
    assert names == [stem, f"{stem}-1", f"{stem}-2"]
    assert all(index_module.STORE_NAME.fullmatch(name) for name in names)
    assert not index_module.STORE_NAME.fullmatch(f"{stem}-x")


def _open_files_under(folder) -> list[str]:
    import os

    found = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:  # closed while listing
            continue
        if target.startswith(str(folder)):
            found.append(target)
    return found


def test_a_replaced_store_is_closed_not_only_forgotten(tiny_settings):
    """Its database stays open otherwise: a deleted file held for the process's life."""
    from bot.ingest.index import make_client, store_dir

    ingest(tiny_settings, rebuild=True, progress=False, embed=_unit_vectors)
    first = store_dir(tiny_settings)
    make_client(tiny_settings).list_collections()
    assert _open_files_under(first)  # the open store holds its database
    ingest(tiny_settings, rebuild=True, progress=False, embed=_unit_vectors)
    assert _open_files_under(first) == []


def test_forgetting_a_store_whose_chroma_will_not_stop_logs_it_and_goes_on(tmp_path, caplog):
    from chromadb.api.shared_system_client import SharedSystemClient

    from bot.ingest.index import _forget_client

    class Stuck:
        def stop(self):
            raise RuntimeError("still busy")

    SharedSystemClient._identifier_to_system[str(tmp_path)] = Stuck()
    with caplog.at_level("DEBUG", logger="bot.ingest.index"):
        _forget_client(tmp_path)
    assert str(tmp_path) not in SharedSystemClient._identifier_to_system
    assert caplog.messages == [f"no chroma system to forget for {tmp_path}: still busy"]
    caplog.clear()
    with caplog.at_level("DEBUG", logger="bot.ingest.index"):
        _forget_client(tmp_path / "never-opened")  # nothing to forget is no trouble
    assert caplog.messages == []


def test_an_index_that_cannot_be_stamped_still_opens_and_says_why_at_debug_level(tiny_settings, caplog):
    from bot.ingest.index import PROBE_FILE, store_dir

    ingest(tiny_settings, rebuild=True, progress=False, embed=_unit_vectors)
    (store_dir(tiny_settings) / PROBE_FILE).with_suffix(".tmp").mkdir()  # where the stamp is written first
    with caplog.at_level("DEBUG", logger="bot.ingest.index"):
        report = ingest(tiny_settings, progress=False, embed=_unit_vectors)
    assert report.unchanged
    assert any(m.startswith(f"cannot stamp {tiny_settings.index_dir}: ") and "Is a directory" in m
               for m in caplog.messages)


def test_a_chroma_servers_index_generation_is_its_collection_whatever_the_local_folder_holds(tiny_settings):
    from dataclasses import replace

    from bot.ingest.index import _generation

    ingest(tiny_settings, rebuild=True, progress=False, embed=_unit_vectors)  # a local store named in CURRENT
    assert _generation(replace(tiny_settings, chroma_host="localhost"), "studybot-chunks-3") == "studybot-chunks-3"
    assert _generation(tiny_settings, "studybot-chunks-3").endswith("/studybot-chunks-3")


def test_the_store_starts_from_its_snapshot_and_an_index_without_one_from_the_collection(tiny_settings):
    """The snapshot's vectors are mapped from its file (the collection's would be read into memory); a pointer
    from before snapshots (no build id) is read from the collection, without failing."""
    import shutil

    import numpy as np

    from bot.ingest.index import _pointer, _set_pointer, make_client, open_store, store_dir
    from bot.ingest.snapshot import snapshot_root

    ingest(tiny_settings, rebuild=True, progress=False, embed=_unit_vectors)
    store = open_store(tiny_settings)
    assert isinstance(store.vectors, np.memmap) and store.chunks
    assert len(store.vectorstore.similarity_search_by_vector_with_relevance_scores(store.vectors[0].tolist(), k=3)) == 3

    client = make_client(tiny_settings)
    shutil.rmtree(snapshot_root(tiny_settings, store_dir(tiny_settings)) / _pointer(client)["build"])
    read_back = open_store(tiny_settings)  # the snapshot lost: from the collection, and written again
    assert not isinstance(read_back.vectors, np.memmap) and read_back.lexicon is not None
    assert [c.id for c in read_back.chunks] == [c.id for c in store.chunks]
    assert np.allclose(read_back.vectors, store.vectors, atol=1e-6)
    assert isinstance(open_store(tiny_settings).vectors, np.memmap)

    active = _pointer(client)
    _set_pointer(client, active["collection"], active["count"], None)  # None deletes the build id
    assert "build" not in _pointer(client)
    from_collection = open_store(tiny_settings)
    assert not isinstance(from_collection.vectors, np.memmap)
    assert [c.id for c in from_collection.chunks] == [c.id for c in store.chunks]


def test_opening_a_store_whose_pointer_is_gone_says_there_is_no_index_yet(tiny_settings):
    from bot.ingest.index import POINTER_COLLECTION, make_client, where

    ingest(tiny_settings, progress=False, embed=_unit_vectors)  # stamped: the next open does not probe again
    make_client(tiny_settings).get_collection(POINTER_COLLECTION).delete(ids=["active"])
    with pytest.raises(IndexUnavailable) as gone:
        open_store(tiny_settings)
    assert str(gone.value) == (f"no index at {where(tiny_settings)} yet: build it with `studybot ingest` "
                               "(about a minute).")


def test_opening_a_store_whose_pointer_names_a_lost_collection_says_to_rebuild(tiny_settings):
    from bot.ingest.index import _pointer, _set_pointer, make_client, where

    ingest(tiny_settings, progress=False, embed=_unit_vectors)  # stamped: the next open does not probe again
    client = make_client(tiny_settings)
    count = _pointer(client)["count"]
    _set_pointer(client, "studybot-chunks-9", count, None)
    with pytest.raises(IndexUnavailable) as lost:
        open_store(tiny_settings)
    assert str(lost.value).startswith(f"the index at {where(tiny_settings)} cannot be read (NotFoundError: ")
    assert str(lost.value).endswith("). Rebuild it with `studybot ingest --rebuild`.")

    client.create_collection("studybot-chunks-8", embedding_function=None)
    _set_pointer(client, "studybot-chunks-8", count, None)
    with pytest.raises(IndexUnavailable) as empty:
        open_store(tiny_settings)
    assert str(empty.value) == "the index is empty: rebuild it with `studybot ingest --rebuild`."


def test_a_rebuild_reports_the_documents_it_could_not_read(tiny_settings):
    _list_a_missing_document(tiny_settings)
    report = ingest(tiny_settings, rebuild=True, progress=False, embed=_unit_vectors)
    assert len(report.problems) == 1 and "cannot read" in report.problems[0].message
    assert {c.doc_id for c in open_store(tiny_settings).chunks} == {"100", "101"}


def test_stored_vectors_are_read_only_for_the_wanted_chunks(tiny_settings, caplog):
    from bot.ingest.index import _pointer, _stored_vectors, make_client

    ingest(tiny_settings, progress=False, embed=_unit_vectors)
    client = make_client(tiny_settings)
    name = _pointer(client)["collection"]
    every = client.get_collection(name).get(include=[])["ids"]
    with caplog.at_level("WARNING", logger="bot.ingest.index"):
        assert set(_stored_vectors(client, name, set(every[:2]))) == set(every[:2])
        assert _stored_vectors(client, None, set(every)) == {}  # no earlier collection: nothing to reuse, no warning
        assert _stored_vectors(client, name, set()) == {}
    assert caplog.messages == []
    with caplog.at_level("WARNING", logger="bot.ingest.index"):
        assert _stored_vectors(client, "studybot-chunks-9", set(every)) == {}
    assert len(caplog.messages) == 1
    assert caplog.messages[0].startswith("cannot reuse stored vectors of studybot-chunks-9: ")
    assert "studybot-chunks-9" in caplog.messages[0].split(": ", 1)[1]  # Chroma's own error names it too


def test_the_chunk_ids_of_a_lost_collection_are_none_with_a_warning(tiny_settings, caplog):
    from bot.ingest.index import _collection_ids, _pointer, make_client

    ingest(tiny_settings, progress=False, embed=_unit_vectors)
    client = make_client(tiny_settings)
    assert len(_collection_ids(client, _pointer(client)["collection"])) == len(open_store(tiny_settings).chunks)
    with caplog.at_level("WARNING", logger="bot.ingest.index"):
        assert _collection_ids(client, None) == set()
        assert caplog.messages == []
        assert _collection_ids(client, "studybot-chunks-9") == set()
    assert len(caplog.messages) == 1
    assert caplog.messages[0].startswith("cannot list the chunks of studybot-chunks-9: ")
    assert "studybot-chunks-9" in caplog.messages[0].split(": ", 1)[1]


def test_a_missing_collection_is_told_by_its_error_class_or_its_message():
    from chromadb.errors import NotFoundError

    from bot.ingest.index import _is_missing

    assert _is_missing(NotFoundError("gone"))
    assert _is_missing(ValueError("Collection studybot-pointer does not exist."))  # another class, Chroma's words
    assert not _is_missing(ValueError("database disk image is malformed"))


def test_an_ingest_replaces_the_debris_of_one_that_crashed_while_writing(tiny_settings):
    from bot.ingest.index import COLLECTION_PREFIX, _pointer, make_client

    ingest(tiny_settings, progress=False, embed=_unit_vectors)
    client = make_client(tiny_settings)
    number = int(_pointer(client)["collection"].rsplit("-", 1)[1]) + 1
    debris = client.create_collection(f"{COLLECTION_PREFIX}{number}", embedding_function=None)
    debris.add(ids=["half-written"], embeddings=[[1.0, 0.0]], documents=["a chunk of the crashed ingest"])
    queues = tiny_settings.corpus_dir / "queues.md"
    queues.write_text(queues.read_text().replace("256 KB", "1 MB"))
    report = ingest(tiny_settings, progress=False, embed=_unit_vectors)
    assert report.collection == f"{COLLECTION_PREFIX}{number}" and report.embedded >= 1
    texts = [c.text for c in open_store(tiny_settings).chunks]
    assert any("1 MB" in t for t in texts) and not any("crashed ingest" in t for t in texts)


def test_the_corpus_is_chunked_with_the_overlap_setting(tiny_settings):
    from dataclasses import replace

    from bot.ingest.index import current_chunks

    def shared_lines(overlap: int) -> int:
        chunks, _ = current_chunks(replace(tiny_settings, chunk_size=80, chunk_overlap=overlap))
        pairs = zip(chunks, chunks[1:], strict=False)
        return sum(a.section_path == b.section_path and a.text.splitlines()[-1] == b.text.splitlines()[0]
                   for a, b in pairs)

    assert shared_lines(0) == 0 < shared_lines(1)


def test_the_stored_records_carry_each_chunk_s_document_and_section(tiny_settings):
    """What a LangChain user of the store sees in a Document's metadata (and can filter on)."""
    from bot.ingest.index import _pointer, make_client, record_to_chunk

    ingest(tiny_settings, progress=False, embed=_unit_vectors)
    client = make_client(tiny_settings)
    got = client.get_collection(_pointer(client)["collection"]).get(include=["documents", "metadatas"])
    chunks = {c.id: c for c in open_store(tiny_settings).chunks}
    for chunk_id, text, metadata in zip(got["ids"], got["documents"], got["metadatas"], strict=True):
        assert record_to_chunk(chunk_id, text, metadata) == chunks[chunk_id]
        assert (metadata["doc_title"], metadata["section"]) == (chunks[chunk_id].doc_title, chunks[chunk_id].section)


def test_embedding_shows_a_bar_of_chunks_only_when_asked_and_only_with_texts(capsys):
    from bot.ingest.index import embed_texts

    embed_texts(["one text", "two texts"], _unit_vectors, progress=True)
    bar = capsys.readouterr().err.replace("\r", "\n").splitlines()[-1]
    assert bar.startswith("embedding: 100%") and "2/2" in bar and "chunk/s" in bar
    embed_texts(["one text"], _unit_vectors, progress=False)
    embed_texts([], _unit_vectors, progress=True)
    assert capsys.readouterr().err == ""


def test_an_ingest_shows_its_progress_unless_told_not_to(tiny_settings, capsys):
    ingest(tiny_settings, embed=_unit_vectors)
    assert "embedding: 100%" in capsys.readouterr().err


def test_texts_are_embedded_in_batches_of_similar_length_and_each_vector_goes_back_to_its_text():
    from bot.ingest.index import EMBED_BATCH, embed_texts

    texts = [f"text {'x' * ((i * 37) % 101)} {i}" for i in range(EMBED_BATCH * 2 + 5)]
    batches = []

    def recording(batch):
        batches.append(batch)
        return _unit_vectors(batch)

    vectors = embed_texts(texts, recording, progress=False)
    assert [len(b) for b in batches] == [EMBED_BATCH, EMBED_BATCH, 5]
    flat = [t for b in batches for t in b]
    assert [len(t) for t in flat] == sorted(len(t) for t in texts)  # padding costs the longest of a batch
    assert vectors == _unit_vectors(texts)


def test_an_embedder_that_returns_too_few_vectors_fails_the_ingest():
    from bot.ingest.index import embed_texts

    with pytest.raises(ValueError):
        embed_texts(["a", "b"], lambda batch: _unit_vectors(batch)[:1], progress=False)


def test_an_ingest_into_a_store_the_child_cannot_read_says_to_rebuild(tiny_settings):
    from bot.ingest.index import PROBE_FILE

    ingest(tiny_settings, progress=False, embed=_unit_vectors)
    (_empty_the_active_collection(tiny_settings) / PROBE_FILE).unlink()
    with pytest.raises(IndexUnavailable, match="is damaged: the index is empty. Rebuild it"):
        ingest(tiny_settings, progress=False, embed=_unit_vectors)


def test_an_unchanged_ingest_gives_an_index_from_before_snapshots_one_without_embedding(tiny_settings):
    import numpy as np

    from bot.ingest.index import _pointer, _set_pointer, make_client, read_snapshot, snapshot_root, store_dir

    first = ingest(tiny_settings, progress=False, embed=_unit_vectors)
    before = open_store(tiny_settings)
    client = make_client(tiny_settings)
    _set_pointer(client, first.collection, first.total, None)  # as an index written before snapshots existed

    def must_not_embed(texts):
        raise AssertionError("an unchanged corpus needs no embedding")

    started = time.perf_counter()
    report = ingest(tiny_settings, progress=False, embed=must_not_embed)
    assert (report.collection, report.total, report.embedded, report.reused, report.removed, report.unchanged) == (
        first.collection, first.total, 0, first.total, 0, True)
    assert report.problems == [] and 0 <= report.seconds <= time.perf_counter() - started
    active = _pointer(client)
    assert active["collection"] == first.collection and active["build"]
    snapshot = read_snapshot(snapshot_root(tiny_settings, store_dir(tiny_settings)), active["build"], first.total)
    assert [c.id for c in snapshot.chunks] == [c.id for c in before.chunks]
    assert np.allclose(np.asarray(snapshot.vectors), np.asarray(before.vectors), atol=1e-6)  # the stored ones


def test_an_ingest_into_a_malformed_database_says_it_is_damaged_and_to_rebuild(tiny_settings):
    import sqlite3

    from bot.ingest.index import _forget_client, store_dir, where

    ingest(tiny_settings, progress=False, embed=_unit_vectors)
    _forget_client(store_dir(tiny_settings))
    with sqlite3.connect(store_dir(tiny_settings) / "chroma.sqlite3") as db:
        db.execute("DROP TABLE embedding_metadata")  # the vector files unchanged: the child is not asked again
    with pytest.raises(IndexUnavailable) as damaged:
        ingest(tiny_settings, progress=False, embed=_unit_vectors)
    cause = damaged.value.__cause__
    assert "no such table: embedding_metadata" in str(cause)
    assert str(damaged.value) == (f"the index at {where(tiny_settings)} is damaged ({type(cause).__name__}: {cause})."
                                  " Rebuild it with `studybot ingest --rebuild`.")
    _forget_client(store_dir(tiny_settings))
    assert ingest(tiny_settings, rebuild=True, progress=False, embed=_unit_vectors).total > 0


def test_an_unchanged_ingest_keeps_the_snapshot_it_has(tiny_settings):
    """A no-op: the snapshot (and its build id, which the app watches) stays as it is."""
    from bot.ingest.index import _pointer, make_client

    ingest(tiny_settings, progress=False, embed=_unit_vectors)
    build = _pointer(make_client(tiny_settings))["build"]
    assert ingest(tiny_settings, progress=False, embed=_unit_vectors).unchanged
    assert _pointer(make_client(tiny_settings))["build"] == build


def test_a_changed_ingest_reports_what_it_embedded_reused_and_removed(tiny_settings):
    first = ingest(tiny_settings, progress=False, embed=_unit_vectors)
    queues = tiny_settings.corpus_dir / "queues.md"
    queues.write_text(queues.read_text().replace("256 KB", "1 MB"))
    started = time.perf_counter()
    report = ingest(tiny_settings, progress=False, embed=_unit_vectors)
    assert (report.collection, report.total, report.embedded, report.reused, report.removed, report.unchanged) == (
        "studybot-chunks-2", first.total, 1, first.total - 1, 1, False)
    assert report.problems == [] and 0 <= report.seconds <= time.perf_counter() - started


def test_an_unchanged_ingest_still_reports_the_documents_it_could_not_read(tiny_settings):
    _list_a_missing_document(tiny_settings)
    ingest(tiny_settings, progress=False, embed=_unit_vectors)
    report = ingest(tiny_settings, progress=False, embed=_unit_vectors)
    assert report.unchanged and len(report.problems) == 1 and "cannot read" in report.problems[0].message


def test_an_ingest_that_changes_the_index_drops_the_old_start_up_snapshot(tiny_settings):
    from bot.ingest.index import _pointer, make_client, snapshot_root, store_dir

    ingest(tiny_settings, progress=False, embed=_unit_vectors)
    queues = tiny_settings.corpus_dir / "queues.md"
    queues.write_text(queues.read_text().replace("256 KB", "1 MB"))
    ingest(tiny_settings, progress=False, embed=_unit_vectors)
    root = snapshot_root(tiny_settings, store_dir(tiny_settings))
    assert [p.name for p in root.iterdir()] == [_pointer(make_client(tiny_settings))["build"]]


def test_a_current_file_that_names_no_store_folder_says_to_rebuild_and_a_rebuild_mends_it(tiny_settings):
    from bot.ingest.index import CURRENT_FILE

    tiny_settings.index_dir.mkdir(parents=True)
    current = tiny_settings.index_dir / CURRENT_FILE
    current.write_text("../../elsewhere" + "x" * 60 + "\n")
    with pytest.raises(IndexUnavailable) as wrong:
        open_store(tiny_settings)
    assert str(wrong.value) == (f"{current} names no store folder ({('../../elsewhere' + 'x' * 60)[:40]!r}): "
                                "rebuild with `studybot ingest --rebuild`.")
    report = ingest(tiny_settings, rebuild=True, progress=False, embed=_unit_vectors)
    assert len(open_store(tiny_settings).chunks) == report.total


def test_garbage_in_the_current_file_says_damaged_and_a_rebuild_mends_it(tiny_settings):
    from bot.ingest.index import CURRENT_FILE

    tiny_settings.index_dir.mkdir(parents=True)
    current = tiny_settings.index_dir / CURRENT_FILE
    current.write_bytes(b"\xff\xfe\x00garbage\x81")
    with pytest.raises(IndexUnavailable, match=r"CURRENT is damaged \(UnicodeDecodeError\): rebuild with "
                                               r"`studybot ingest --rebuild`"):
        open_store(tiny_settings)
    report = ingest(tiny_settings, rebuild=True, progress=False, embed=_unit_vectors)
    assert len(open_store(tiny_settings).chunks) == report.total


def test_a_second_ingest_says_who_holds_the_index_and_stops(tiny_settings):
    from bot.ingest.index import IngestBusy

    child = hold_the_ingest_lock(tiny_settings.index_dir, 30)
    try:
        with pytest.raises(IngestBusy, match=rf"another ingest \(pid {child.pid}\) is running on .*"
                                             r"or run `studybot ingest --wait`"):
            ingest(tiny_settings, progress=False, embed=_unit_vectors)
        assert not (tiny_settings.index_dir / "chroma").exists()  # nothing was written meanwhile
    finally:
        child.kill()
        child.wait()
    report = ingest(tiny_settings, progress=False, embed=_unit_vectors)  # the dead holder's lock is gone
    assert report.total and (tiny_settings.index_dir / ".ingest.lock").read_text().strip() != str(child.pid)


def test_ingest_wait_runs_once_the_other_has_finished(tiny_settings):
    child = hold_the_ingest_lock(tiny_settings.index_dir, 1.5)
    started = time.perf_counter()
    report = ingest(tiny_settings, progress=False, embed=_unit_vectors, wait=True)
    assert report.total and child.wait(timeout=10) == 0 and time.perf_counter() - started >= 1.0


def test_an_index_folder_that_cannot_be_made_gives_a_clear_message(tiny_settings):
    from dataclasses import replace

    from bot.ingest.index import make_client

    blocker = tiny_settings.index_dir.parent / "a-file"
    blocker.write_text("not a folder")
    settings = replace(tiny_settings, index_dir=blocker / "index")
    with pytest.raises(IndexUnavailable) as cannot:
        make_client(settings)
    cause = cannot.value.__cause__
    assert str(cannot.value) == (f"cannot open the index in {blocker / 'index'} ({type(cause).__name__}: {cause}). "
                                 "Rebuild it with `studybot ingest --rebuild`.")


def test_an_unreachable_server_s_message_names_the_error_and_both_ways_out(tiny_settings):
    from dataclasses import replace

    from bot.ingest.index import make_client

    settings = replace(tiny_settings, chroma_host="127.0.0.1", chroma_port=9)
    with pytest.raises(IndexUnavailable) as unreachable:
        make_client(settings)
    cause = unreachable.value.__cause__
    assert str(unreachable.value) == (
        f"cannot reach the Chroma server at 127.0.0.1:9 ({type(cause).__name__}: {cause}). Start it, or unset "
        "STUDYBOT_CHROMA_HOST to use the local index.")


def test_the_probe_stamp_lists_each_vector_file_with_its_size_time_and_digest(tiny_settings):
    import hashlib

    from bot.ingest.index import _vector_files, store_dir

    ingest(tiny_settings, progress=False, embed=_unit_vectors)
    folder = store_dir(tiny_settings)
    listed = _vector_files(folder)
    assert listed and listed == sorted(listed)
    for name, size, mtime, digest in listed:
        path = folder / name
        assert path.parent.parent == folder and (size, mtime) == (path.stat().st_size, path.stat().st_mtime_ns)
        assert digest == hashlib.blake2b(path.read_bytes()).hexdigest()[:32]


def test_opening_the_store_reads_current_once(tiny_settings, monkeypatch):
    """Every step of an open (is there an index, was it probed, the client, the snapshot, the stamp, the name of
    the generation) uses the one folder CURRENT named when the open began: a rebuild flipping it meanwhile
    cannot give a store read half from one folder and half from the other."""
    import bot.ingest.index as index_module

    ingest(tiny_settings, rebuild=True, progress=False, embed=_unit_vectors)
    reads = []
    real = index_module.store_dir
    monkeypatch.setattr(index_module, "store_dir", lambda settings: reads.append(1) or real(settings))
    store = open_store(tiny_settings)
    assert len(reads) == 1
    assert store.generation.startswith(real(tiny_settings).name + "/")


def _as_another_user(command: list[str], env: dict, home: Path) -> subprocess.CompletedProcess:
    """Run `command` as a user who does not own the index: root may write anywhere, so as root it runs as nobody
    (uid 65534, through util-linux's setpriv, which can still reach the interpreter under /root)."""
    if os.geteuid() == 0:
        command = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", *command]
    return subprocess.run(command, env=env | {"HOME": str(home)}, capture_output=True, text=True, timeout=300)


def test_a_read_only_index_is_named_as_such_by_every_command_and_ingest_stops_before_embedding(tiny_settings):
    """Before: `ask` said the index was damaged and to rebuild, and `--rebuild` embedded for minutes before failing."""
    ingest(tiny_settings, progress=False)
    shared = Path(tempfile.mkdtemp(prefix="studybot-read-only-"))
    shutil.copytree(tiny_settings.corpus_dir, shared / "corpus")
    shutil.copytree(tiny_settings.index_dir, shared / "index")
    settings = replace(tiny_settings, corpus_dir=shared / "corpus", index_dir=shared / "index")
    (shared / "home").mkdir()
    for path in [shared, *shared.rglob("*")]:
        mode = 0o777 if path == shared / "home" else (0o555 if path.is_dir() else 0o444)
        path.chmod(mode)  # readable by anyone, writable by nobody but root
    try:
        cli = [sys.executable, "-m", "bot.cli"]
        asked = _as_another_user([*cli, "ask", "What is the max message size in SQS?"], cli_env(settings),
                                 shared / "home")
        assert asked.returncode == 2, asked.stderr
        assert f"the index in {settings.index_dir / 'chroma'} is read-only for this user" in asked.stderr
        assert "damaged" not in asked.stderr and "Traceback" not in asked.stderr
        for rebuild in ([], ["--rebuild"]):
            built = _as_another_user([*cli, "ingest", *rebuild], cli_env(settings), shared / "home")
            assert built.returncode == 2 and "cannot write the index folder" in built.stderr, built.stderr
            assert "embedding" not in built.stderr  # refused before the long work
    finally:
        for path in [shared, *shared.rglob("*")]:
            path.chmod(0o755)
        shutil.rmtree(shared)


def test_a_full_disk_is_found_before_embedding_and_one_filling_up_mid_write_leaves_the_index_as_it_was(tmp_path):
    """On a 6 MB tmpfs in a private mount namespace (real ENOSPC from SQLite): too little space is refused before
    anything is embedded or created; a disk filled during a rebuild's embedding fails its new store with one line
    and no partial folder, during an incremental one it is found before writing; the old index answers once
    space is freed. Steps: tests/helpers/full_disk.py."""
    index = tmp_path / "index"
    index.mkdir()
    namespace = ["unshare", "--mount"] if os.geteuid() == 0 else ["unshare", "--user", "--map-root-user", "--mount"]
    helper = Path(__file__).parent / "helpers" / "full_disk.py"
    done = subprocess.run(
        [*namespace, "sh", "-c", 'mount -t tmpfs -o size=6m tmpfs "$1" && exec "$2" "$3" "$4"', "sh", str(index),
         sys.executable, str(helper), str(tmp_path)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["short_of_space"].startswith(f"not enough free disk space for the index in {index}: about 2.2 MB")
    assert report["embedded_when_short"] == 0
    assert report["first"] == "ok" and report["folders_before"] == [".ingest.lock", "chroma"]
    assert report["rebuild"].startswith(f"the disk holding {index} filled up while the index was written")
    assert "database or disk is full" in report["rebuild"] and "as it was" in report["rebuild"]
    # an incremental ingest looks again after embedding, before its open client writes on a full disk
    assert report["incremental"].startswith(f"not enough free disk space for the index in {index}")
    assert report["embedded_in_all"] > 0
    assert report["folders_after_rebuild"] == report["folders_before"]  # the partial store is gone
    assert "damaged" not in report["opening_on_a_full_disk"]
    assert "256 KB" in report["answer_after_rebuild"] and "256 KB" in report["answer_after_incremental"]
    assert report["once_freed"] == "ok" and "1 MiB" in report["answer_once_freed"]
