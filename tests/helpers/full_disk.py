"""Ingests on a disk that fills up, run by tests/test_index.py inside a private mount namespace (`unshare --mount`)
whose index folder is a small tmpfs: a real ENOSPC from SQLite and the HNSW writer, not a simulated error.

Usage: python tests/helpers/full_disk.py WORKDIR — prints one JSON line of what each step gave.
"""

import json
import os
import sys
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from conftest import tiny_settings_at  # noqa: E402

from bot.answer.studybot import build_bot  # noqa: E402
from bot.ingest.embed import embeddings  # noqa: E402
from bot.ingest.index import IndexUnavailable, ingest  # noqa: E402

QUESTION = "What is the max message size in SQS?"


def fill(filler: Path, leave: int = 0) -> None:
    """Write `filler` until the disk is full, then give back `leave` bytes."""
    with open(filler, "wb") as handle:
        try:
            while True:
                handle.write(b"\0" * 65536)
                handle.flush()
        except OSError:
            pass
    if leave:
        os.truncate(filler, max(filler.stat().st_size - leave, 0))


def fill_then_embed(settings, filler: Path, calls: list):
    """The real model's embedding, after the disk has been filled (as another program might meanwhile)."""
    model = embeddings(settings).embed_documents

    def embed(texts):
        calls.append(len(texts))
        if not filler.exists():
            fill(filler)
        return model(texts)

    return embed


def attempt(settings, **kwargs) -> str:
    try:
        ingest(settings, progress=False, **kwargs)
        return "ok"
    except IndexUnavailable as err:
        return str(err)


def opening(settings) -> str:
    try:
        build_bot(settings)
        return "opened"
    except IndexUnavailable as err:
        return str(err)


def main(work: Path) -> None:
    settings = replace(tiny_settings_at(work), index_dir=work / "index")
    filler, calls = settings.index_dir / "filler", []
    listing = lambda: sorted(p.name for p in settings.index_dir.iterdir() if p != filler)  # noqa: E731
    answer = lambda: build_bot(settings).ask(QUESTION).text  # noqa: E731
    report = {}
    fill(filler, leave=1_000_000)
    report["short_of_space"] = attempt(settings, embed=fill_then_embed(settings, filler, calls))
    report["embedded_when_short"] = len(calls)
    filler.unlink()
    report["first"], report["folders_before"] = attempt(settings), listing()
    report["rebuild"] = attempt(settings, rebuild=True, embed=fill_then_embed(settings, filler, calls))
    report["folders_after_rebuild"] = listing()
    report["opening_on_a_full_disk"] = opening(settings)
    filler.unlink()
    report["answer_after_rebuild"] = answer()
    queues = settings.corpus_dir / "queues.md"
    queues.write_text(queues.read_text().replace("256 KB", "1 MiB"))
    report["incremental"] = attempt(settings, embed=fill_then_embed(settings, filler, calls))
    filler.unlink()
    report["answer_after_incremental"], report["embedded_in_all"] = answer(), len(calls)
    report["once_freed"], report["answer_once_freed"] = attempt(settings), answer()
    print(json.dumps(report))


if __name__ == "__main__":
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    main(Path(sys.argv[1]))
