"""The tiny corpus of conftest as a built index, for tests that share one across a module."""

from pathlib import Path

from conftest import tiny_docs, write_corpus

from bot.settings import Settings


def tiny_index(folder: Path) -> Settings:
    """Writes the tiny corpus under `folder`, ingests it there and returns the settings that open it."""
    from bot.index import ingest

    corpus = write_corpus(folder / "corpus", tiny_docs())
    settings = Settings.from_env({}, corpus_dir=corpus, index_dir=folder / "index", chunk_size=300)
    ingest(settings, progress=False)
    return settings
