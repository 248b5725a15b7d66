"""One settings object, read from STUDYBOT_* environment variables."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _setting(default, description: str):
    return field(default=default, metadata={"description": description})


@dataclass(frozen=True)
class Settings:
    corpus_dir: Path = _setting(ROOT / "corpus", "Folder with the documents and manifest.json.")
    index_dir: Path = _setting(ROOT / "index", "Folder of the persisted Chroma index.")
    model_cache_dir: Path = _setting(ROOT / "index" / "models", "Where the one-time ONNX export of the model is kept.")
    embedding_runtime: str = _setting("onnx", "Embedding runtime: 'onnx' (exported once, faster) or 'torch'.")
    chroma_host: str = _setting("", "Chroma server host; empty means the embedded store in index_dir.")
    chroma_port: int = _setting(8000, "Chroma server port (with chroma_host).")
    chroma_timeout: float = _setting(5.0, "Seconds any call to the Chroma server may take; a server that does not "
                                          "answer in time is treated as stopped.")
    chunk_size: int = _setting(700, "Target chunk length in characters.")
    chunk_overlap: int = _setting(1, "Lines repeated from the previous chunk of the same section.")
    k: int = _setting(5, "Passages retrieved per question.")
    fetch_k: int = _setting(30, "Candidates taken from each retriever before fusion.")
    fusion: str = _setting("score", "How dense and BM25 candidates are ranked: 'score' or 'rrf'.")
    rrf_k: int = _setting(60, "Reciprocal-rank-fusion constant (fusion=rrf).")
    dense_weight: float = _setting(1.0, "Weight of the cosine similarity (or dense ranking for rrf).")
    lexical_weight: float = _setting(0.0, "Weight of the max-normalised BM25 score (or BM25 ranking for rrf).")
    coverage_weight: float = _setting(1.0, "Weight of the idf-weighted share of question terms in a passage.")
    title_weight: float = _setting(0.25, "Weight of the share of question terms in the section path.")
    rerank_k: int = _setting(15, "Fused candidates re-ranked (by the learned ranker or their best answer line).")
    line_weight: float = _setting(0.3, "Weight of a passage's best answer line when re-ranking (0: off).")
    lines: str = _setting("learned", "How the answer's lines are chosen: 'learned' (bot/data/lines.json, made by `make "
                                     "train`) or 'weights' (the hand-set line score).")
    ranker: str = _setting("weights", "How the fused candidates are re-ranked: 'weights' (line_weight by hand) or "
                                      "'learned' (bot/data/ranker.json; it ties the hand-set order on dev, see "
                                      "docs/results.md).")
    conversation: bool = _setting(True, "Read a follow-up with the earlier turns of its conversation.")
    retry_with_history: bool = _setting(True, "A turn refused as read is tried once more with the conversation's "
                                              "latest questions as context before it is refused.")
    spelling: bool = _setting(True, "Fix misspelled names against the corpus's own names before searching.")
    expansions: bool = _setting(True, "Search abbreviations and everyday words as the notes write them too.")
    name_miss_penalty: float = _setting(0.15, "Subtracted from a passage that names none of the question's names.")
    min_similarity: float = _setting(0.4, "Below this cosine similarity of the best passage, refuse.")
    min_coverage: float = _setting(0.3, "Below this idf-weighted share of question terms in every passage, refuse.")
    max_question_chars: int = _setting(2000, "Longer questions are rejected with a message.")
    llm: str = _setting("none", "Answerer: 'none' (extractive) or a LangChain 'provider:model'.")
    llm_base_url: str = _setting("", "Server of an 'openai:' or 'ollama:' model (http://127.0.0.1:8080/v1 for "
                                     "llama.cpp, http://127.0.0.1:11434 for Ollama); '': the provider's default.")
    llm_max_tokens: int = _setting(400, "Longest answer a chat model may write, in tokens.")
    llm_timeout: float = _setting(30.0, "Seconds a chat model may take for a whole answer before falling back.")
    llm_idle_timeout: float = _setting(15.0, "Seconds a chat model may go without a token before falling back.")
    index_check_seconds: float = _setting(2.0, "How often the app looks for a newer index (an ingest); -1: never.")
    data_dir: Path = _setting(Path.home() / ".studybot", "Per-person quiz progress (SQLite).")
    max_turns: int = _setting(50, "Exchanges a chat session keeps (older ones are dropped).")
    max_sessions: int = _setting(500, "Browser sessions the app keeps in memory; the least recently used go.")
    host: str = _setting("127.0.0.1", "Address the app binds to.")
    port: int = _setting(7860, "Port the app listens on.")
    auth: str = _setting("", "user:password (12+ characters) required by the app when bound beyond localhost.")
    allowed_hosts: str = _setting("", "Extra host names the app answers to, comma-separated (a proxy's name).")

    def __post_init__(self) -> None:
        """Values out of range are refused at start, with the valid ones, rather than misbehaving later."""
        for name, allowed in _CHOICES.items():
            if getattr(self, name) not in allowed:
                raise ValueError(f"STUDYBOT_{name.upper()}={getattr(self, name)!r} is not one of: "
                                 f"{', '.join(repr(a) for a in allowed)}")
        for name, lowest in _AT_LEAST.items():
            if getattr(self, name) < lowest:
                raise ValueError(f"STUDYBOT_{name.upper()}={getattr(self, name)!r} is out of range: "
                                 f"it must be {lowest} or more")
        for name in ("llm_timeout", "llm_idle_timeout", "chroma_timeout"):
            if not getattr(self, name) > 0:
                raise ValueError(f"STUDYBOT_{name.upper()}={getattr(self, name)!r} must be a number of seconds "
                                 "above 0")
        if self.index_check_seconds < 0 and self.index_check_seconds != -1:
            raise ValueError(f"STUDYBOT_INDEX_CHECK_SECONDS={self.index_check_seconds!r} must be 0 or more, "
                             "or -1 (never)")
        for name in ("port", "chroma_port"):
            if not 0 <= getattr(self, name) <= 65535:
                raise ValueError(f"STUDYBOT_{name.upper()}={getattr(self, name)!r} is not a port (0-65535)")

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None, **overrides) -> Settings:
        env = os.environ if env is None else env
        values = {}
        for f in fields(cls):
            raw = env.get(f"STUDYBOT_{f.name.upper()}")
            if raw is not None and raw != "":
                values[f.name] = _convert(f.default, raw, f.name)
        if "data_dir" not in values and env.get("STUDYBOT_DATA"):  # the name the quiz docs use
            values["data_dir"] = _convert(Path(), env["STUDYBOT_DATA"], "data")
        values.update(overrides)
        return cls(**values)


_CHOICES = {"fusion": ("score", "rrf"), "ranker": ("weights", "learned"), "lines": ("learned", "weights"),
            "embedding_runtime": ("onnx", "torch")}
_AT_LEAST = {"k": 1, "fetch_k": 1, "rerank_k": 1, "rrf_k": 1, "chunk_size": 1, "chunk_overlap": 0,
             "max_question_chars": 1, "max_turns": 1, "max_sessions": 1, "min_similarity": -1.0, "min_coverage": 0.0,
             "llm_max_tokens": 1}


def _convert(default, raw: str, name: str):
    try:
        if isinstance(default, Path):
            return Path(raw).expanduser()
        if isinstance(default, bool):
            return _boolean(raw)
        return type(default)(raw)
    except ValueError as err:
        raise ValueError(f"STUDYBOT_{name.upper()}={raw!r} is not a valid {type(default).__name__}") from err


def _boolean(raw: str) -> bool:
    lowered = raw.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ValueError(raw)


def describe() -> list[tuple[str, str, str]]:
    """(env var, default, description) for every setting: the table in docs/operations.md is checked against it."""
    rows = []
    for f in fields(Settings):
        default = f.default
        if isinstance(default, Path):
            default = default.as_posix().replace(ROOT.as_posix(), ".").replace(Path.home().as_posix(), "~")
        rows.append((f"STUDYBOT_{f.name.upper()}", str(default), f.metadata["description"]))
    return rows
