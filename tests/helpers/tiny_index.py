"""The tiny corpus of conftest as a built index, for tests that share one across a module."""

from pathlib import Path

from conftest import tiny_settings_at

from bot.settings import Settings


def tiny_index(folder: Path) -> Settings:
    """Writes the tiny corpus under `folder`, ingests it there and returns the settings that open it."""
    from bot.ingest.index import ingest

    settings = tiny_settings_at(folder)
    ingest(settings, progress=False)
    return settings
