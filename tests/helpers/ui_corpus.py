"""The tiny corpus of conftest plus a document holding markup: what the app and browser tests serve."""

from pathlib import Path

from conftest import TINY, tiny_docs, write_corpus

from bot.settings import Settings

# Cleaning strips tags once, so this line reaches the index as `<script>alert('xss')</script>`.
UNSAFE_DOC = """Section 1: Web consoles



CloudFront console

- The CloudFront console prints <<b>script>alert('xss')<</b>/script> as plain text and never runs it.
- CloudFront edge locations cache static objects for 24 hours by default.
- An <img src=x onerror=alert('img') tag left open is only text too.
"""
SCRIPT = "<script>alert('xss')</script>"


def write_ui_corpus(folder: Path, **overrides) -> Settings:
    """The tiny corpus of conftest plus a document holding markup."""
    docs = tiny_docs() | {"103": ("web.txt", "slides", UNSAFE_DOC)}
    corpus = write_corpus(folder / "corpus", docs, exam="DEA-C01")
    return Settings.from_env(
        {}, corpus_dir=corpus, index_dir=folder / "index", data_dir=folder / "data", **(TINY | overrides)
    )
