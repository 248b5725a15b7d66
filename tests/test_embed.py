"""The ONNX runtime path computes what sentence-transformers computes, is exported once, and falls back."""

import logging
from pathlib import Path

import numpy as np
import pytest

from bot.ingest import embed
from bot.settings import Settings

pytestmark = pytest.mark.slow

TEXTS = [
    "How long can data stay in a Kinesis data stream?",
    "Redshift distribution styles: AUTO, KEY, EVEN and ALL",
    "ＳＱＳ max message size — ünïcode",
    "shard " * 400,  # beyond 256 tokens: both truncate at the model's limit
    "",
]


@pytest.fixture(scope="module")
def onnx_model():
    return embed.embeddings(Settings.from_env(embedding_runtime="onnx"))


def test_onnx_vectors_match_sentence_transformers(onnx_model):
    assert isinstance(onnx_model, embed.OnnxMiniLM)
    ours = np.asarray(onnx_model.embed_documents(TEXTS))
    reference = np.asarray(embed.torch_embeddings().embed_documents(TEXTS))
    assert ours.shape == reference.shape == (len(TEXTS), 384)
    assert np.abs(ours - reference).max() < 1e-4
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)


def test_a_query_embeds_like_the_same_text_in_a_batch(onnx_model):
    batch = onnx_model.embed_documents(TEXTS)
    assert np.abs(np.asarray(onnx_model.embed_query(TEXTS[1])) - np.asarray(batch[1])).max() < 1e-5


def test_the_export_is_made_once_and_reused(onnx_model):
    exported = list(Settings.from_env().model_cache_dir.glob("all-MiniLM-L6-v2-*.onnx"))
    assert len(exported) >= 1
    stamp = {path: path.stat().st_mtime_ns for path in exported}
    embed.onnx_embeddings(Settings.from_env().model_cache_dir)
    assert {path: path.stat().st_mtime_ns for path in exported} == stamp
    assert not list(Settings.from_env().model_cache_dir.glob("*.partial"))


def test_a_failed_export_falls_back_to_sentence_transformers(tmp_path, monkeypatch, caplog):
    def broken_export(source, target):
        raise ModuleNotFoundError("No module named 'onnx'")

    monkeypatch.setattr(embed, "export_onnx", broken_export)
    with caplog.at_level(logging.WARNING, logger="bot.ingest.embed"):
        model = embed.embeddings(Settings.from_env(model_cache_dir=tmp_path / "models"))
    assert model is embed.torch_embeddings()
    assert "using sentence-transformers" in caplog.text
    assert not (tmp_path / "models").exists() or not list((tmp_path / "models").iterdir())


def test_the_torch_runtime_and_a_bad_runtime_name():
    assert embed.embeddings(Settings.from_env(embedding_runtime="torch")) is embed.torch_embeddings()
    with pytest.raises(ValueError, match="STUDYBOT_EMBEDDING_RUNTIME"):
        embed.embeddings(Settings.from_env(embedding_runtime="gpu"))


def test_a_failed_export_leaves_no_partial_file(tmp_path, monkeypatch):
    import torch

    written = []

    def crash_halfway(model, args, path, **options):
        Path(path).write_bytes(b"half an onnx file")
        written.append(path)
        raise RuntimeError("exporter crashed")

    monkeypatch.setattr(torch.onnx, "export", crash_halfway)
    with pytest.raises(RuntimeError, match="exporter crashed"):
        embed.export_onnx(embed.model_dir(), tmp_path / "models" / "m.onnx")
    assert written and list((tmp_path / "models").iterdir()) == []
