"""A damaged, half-built or vanished index never crashes a command: exit 2 with the fix, and the fix works.

Every command here runs as its own process, as a person runs it: a damaged vector file crashes the process
that loads it into Chroma's native code, and a test process must survive to report that.
"""

import os
import random
import shutil
import signal
import subprocess
import sys
import time

import pytest
from conftest import TINY, cli_env, tiny_docs, write_corpus

from bot.ingest.index import ingest, store_dir
from bot.settings import Settings

pytestmark = pytest.mark.spawns

QUESTION = "What is the max message size in SQS?"


FILLER_SECTIONS = 1200  # Chroma writes its HNSW files (the ones whose damage crashes a reader) past ~1,000 vectors


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The tiny corpus plus a filler document big enough for Chroma to persist a real HNSW graph. The filler's
    vectors are random unit vectors (its text is never asked about); everything else gets the real model's."""
    import numpy as np

    from bot.ingest.embed import embeddings

    root = tmp_path_factory.mktemp("damage")
    filler = "\n\n".join(f"## Filler topic {i}\nPadding text number {i} for the index size."
                         for i in range(FILLER_SECTIONS))
    docs = tiny_docs() | {"199": ("filler.md", "markdown", f"# Filler\n\n{filler}\n")}
    settings = Settings.from_env({}, corpus_dir=write_corpus(root / "corpus", docs), index_dir=root / "index",
                                 **TINY)
    model = embeddings(settings)
    rng = np.random.default_rng(0)

    def embed(texts):
        real = model.embed_documents([t for t in texts if "Padding text" not in t])
        out = []
        for text in texts:
            if "Padding text" in text:
                vector = rng.standard_normal(384)
                out.append(list(vector / np.linalg.norm(vector)))
            else:
                out.append(real.pop(0))
        return out

    ingest(settings, progress=False, embed=embed)
    return settings


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    root = tmp_path_factory.mktemp("small")
    settings = Settings.from_env({}, corpus_dir=write_corpus(root / "corpus", tiny_docs()), index_dir=root / "index",
                                 **TINY)
    ingest(settings, progress=False)
    return settings


def _copy(settings, tmp_path):
    index = tmp_path / "index"
    shutil.copytree(settings.index_dir, index)
    return settings.__class__(**{**settings.__dict__, "index_dir": index})


def run(settings, *argv, timeout=300):
    return subprocess.run([sys.executable, "-m", "bot.cli", *argv], env=cli_env(settings), capture_output=True,
                          text=True, timeout=timeout)


def damage(path, rng: random.Random) -> None:
    """Random bytes over the whole file; the database keeps its head and loses a third in the middle."""
    size = path.stat().st_size
    start, length = (size // 3, size // 3) if path.suffix == ".sqlite3" else (0, size)
    with open(path, "r+b") as handle:
        handle.seek(start)
        handle.write(rng.randbytes(length))


def test_each_damaged_index_file_is_a_clear_message(built, tmp_path):
    names = sorted({p.name for p in store_dir(built).rglob("*") if p.is_file()} - {".probed.json"})
    assert {"chroma.sqlite3", "data_level0.bin", "header.bin", "length.bin", "link_lists.bin"} <= set(names)
    assert {"chunks.json", "vectors.npy", "lexicon.npz", "lexicon.json", "meta.json"} <= set(names)  # snapshot
    for name in names:
        settings = _copy(built, tmp_path / name)
        for path in store_dir(settings).rglob(name):
            damage(path, random.Random(name))
        done = run(settings, "ask", QUESTION)
        assert done.returncode in (0, 2), (name, done.returncode, done.stderr[-2000:])
        assert "Traceback" not in done.stderr, (name, done.stderr[-2000:])
        if done.returncode == 0:  # bytes a search never reads (padding, unused links): it must still answer right
            assert "256 KB" in done.stdout, (name, done.stdout)
        else:
            assert "studybot ingest --rebuild" in done.stderr, (name, done.stderr)


def test_damage_that_keeps_the_size_and_the_time_is_found_by_content(built, tmp_path):
    """The start-up probe used to be skipped when the HNSW files kept their size and modification time: the CLI
    then died of a segmentation fault. Now the files' digests tell, and the child process takes the crash. Every
    file of the store and its snapshot, damaged in place with its size and time kept."""
    names = sorted({p.name for p in store_dir(built).rglob("*") if p.is_file()} - {".probed.json"})
    assert {"data_level0.bin", "header.bin", "length.bin", "link_lists.bin", "vectors.npy"} <= set(names)
    for name in names:
        settings = _copy(built, tmp_path / name)
        for path in store_dir(settings).rglob(name):
            before = path.stat()
            damage(path, random.Random(name))
            os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
            assert path.stat().st_size == before.st_size and path.stat().st_mtime_ns == before.st_mtime_ns
        done = run(settings, "ask", QUESTION)
        assert done.returncode in (0, 2), (name, done.returncode, done.stderr[-2000:])  # never a signal
        assert "Traceback" not in done.stderr, (name, done.stderr[-2000:])
        if done.returncode == 0:
            assert "256 KB" in done.stdout, (name, done.stdout)
        else:
            assert "studybot ingest --rebuild" in done.stderr, (name, done.stderr)


def test_a_rebuild_recovers_a_crashing_index_without_reading_it(built, tmp_path):
    settings = _copy(built, tmp_path)
    for path in store_dir(settings).rglob("data_level0.bin"):
        damage(path, random.Random(1))
    assert run(settings, "ask", QUESTION).returncode == 2
    assert run(settings, "ingest", "--quiet").returncode == 2  # a plain ingest would read it: it says so instead
    rebuilt = run(settings, "ingest", "--rebuild", "--quiet")
    assert rebuilt.returncode == 0, rebuilt.stderr[-2000:]
    answered = run(settings, "ask", QUESTION)
    assert answered.returncode == 0 and "256 KB" in answered.stdout
    assert [p.name for p in settings.index_dir.iterdir() if p.name.startswith("chroma")] == [store_dir(settings).name]


def test_killing_a_rebuild_at_any_moment_leaves_an_index_that_answers(small, tmp_path):
    settings = _copy(small, tmp_path)
    started = time.monotonic()
    full = run(settings, "ingest", "--rebuild", "--quiet")
    assert full.returncode == 0
    whole = time.monotonic() - started
    for share in (0.3, 0.7, 0.95):  # spread over the run: loading, embedding, writing, flipping
        process = subprocess.Popen([sys.executable, "-m", "bot.cli", "ingest", "--rebuild", "--quiet"],
                                   env=cli_env(settings), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(whole * share)
        process.send_signal(signal.SIGKILL)
        process.wait()
        answered = run(settings, "ask", QUESTION)
        assert answered.returncode == 0 and "256 KB" in answered.stdout, (share, answered.stderr[-2000:])
    assert run(settings, "ingest", "--rebuild", "--quiet").returncode == 0
    assert len([p for p in settings.index_dir.iterdir() if p.name.startswith("chroma")]) == 1  # debris cleared


def test_a_healthy_store_is_probed_once_not_at_every_start(built, tmp_path, monkeypatch):
    """Each process that opens a store rewrites some of Chroma's files (the pointer's segment, the vectors an
    ingest left in the log): the probe must not take that for damage, or every start of a large index pays for
    a probe (seconds at 100x)."""
    from bot.ingest import index

    settings = _copy(built, tmp_path)
    for _ in range(2):  # the first start after an ingest may probe; the second must not
        asked = run(settings, "ask", QUESTION)
        assert asked.returncode == 0 and "256 KB" in asked.stdout, asked.stderr[-2000:]

    def no_probe(*args, **kwargs):
        raise AssertionError(f"probed again: {args}")

    monkeypatch.setattr(index.subprocess, "run", no_probe)
    index.verify_store(settings)
