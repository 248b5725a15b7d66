import json
import os
import shutil
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

from bot.settings import ROOT, Settings  # noqa: E402

DATA = Path(__file__).parent / "data"


def write_corpus(folder: Path, docs: dict[str, tuple[str, str, str]], exam: str = "") -> Path:
    """docs: id -> (file name, kind, text). Writes the files and a manifest (every document for `exam`)."""
    folder.mkdir(parents=True, exist_ok=True)
    manifest = []
    for doc_id, (name, kind, text) in docs.items():
        (folder / name).write_text(text, encoding="utf-8")
        manifest.append({"id": doc_id, "file": name, "title": f"Doc {doc_id}", "kind": kind, "origin": "test"}
                        | ({"exam": exam} if exam else {}))
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return folder


def tiny_docs() -> dict[str, tuple[str, str, str]]:
    return {
        "100": ("queues.md", "markdown", (DATA / "queues.md").read_text()),
        "101": ("slides.txt", "slides", (DATA / "slides.txt").read_text()),
        "102": ("numbered.txt", "numbered", (DATA / "numbered.txt").read_text()),
    }


def cli_env(settings: Settings) -> dict[str, str]:
    """The environment under which `python -m bot.cli` in a child process uses `settings`' corpus and index."""
    return os.environ | {"STUDYBOT_CORPUS_DIR": str(settings.corpus_dir), "STUDYBOT_INDEX_DIR": str(settings.index_dir),
                         "STUDYBOT_CHUNK_SIZE": str(settings.chunk_size), "STUDYBOT_RANKER": settings.ranker,
                         "STUDYBOT_LINES": settings.lines}


# The tiny corpora pin the hand-set rules; the learned ranker was trained on the real notes and is tested there.
TINY = {"chunk_size": 300, "ranker": "weights", "lines": "weights"}


def tiny_settings_at(folder: Path) -> Settings:
    """The tiny corpus written under `folder`, and settings for an index beside it (not built)."""
    corpus = write_corpus(folder / "corpus", tiny_docs())
    return Settings.from_env({}, corpus_dir=corpus, index_dir=folder / "index", **TINY)


@pytest.fixture
def tiny_settings(tmp_path) -> Settings:
    return tiny_settings_at(tmp_path)


@pytest.fixture(scope="session")
def real_settings(tmp_path_factory) -> Settings:
    """The real corpus indexed once per test session into a temporary folder."""
    from bot.ingest.index import ingest

    index_dir = tmp_path_factory.mktemp("real-index")
    settings = Settings.from_env({}, index_dir=index_dir)
    ingest(settings, progress=False)
    return settings


@pytest.fixture(scope="session")
def real_bot(real_settings):
    from bot.answer.studybot import build_bot

    return build_bot(real_settings)


@pytest.fixture
def copy_of_corpus(tmp_path) -> Path:
    target = tmp_path / "corpus"
    shutil.copytree(ROOT / "corpus", target)
    return target


@pytest.fixture(scope="session")
def llama_server(tmp_path_factory):
    """The [local] extra's small model behind llama.cpp's OpenAI-compatible server, once per session."""
    from helpers.local_llm import LocalServer

    server = LocalServer(tmp_path_factory.mktemp("llama") / "server.log")
    yield server
    server.stop()
