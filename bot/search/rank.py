"""The learned re-ranker: features of each candidate passage, scored by gradient-boosted trees trained on `dev`.

The trees are trained by `make train` (`evals/train.py`) and shipped as plain JSON in `bot/data/ranker.json`,
evaluated here with numpy: no training library and no pickle at run time. The file names the features it was
trained on and the hash of the data and code that made it (`tests/test_ranker.py` checks it is current).
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from bot.amounts import measures
from bot.models import Hit
from bot.search.query import COMPARISON, DEFINITION, HOWTO, LIST, NUMBER, comparison_sides, intent_of, query_weights
from bot.text import term_coverage, term_set, terms

log = logging.getLogger(__name__)
MODEL_FILE = Path(__file__).parent.parent / "data" / "ranker.json"
MISSING_RANK = 40  # a candidate one retriever did not return sits below everything it did
INTENTS = (DEFINITION, NUMBER, COMPARISON, LIST, HOWTO)
_BULLET = re.compile(r"^\s*(?:[-*•+▪◦]|\d{1,2}[.)])\s+", re.MULTILINE)


@dataclass(frozen=True)
class LineSignals:
    """How well a passage's best line answers the question (from the answer stage's line scoring)."""

    fit: float = 0.0  # the question's terms in the best line
    bonus: float = 0.0  # the kind of answer asked, found in a line
    best: float = 0.0  # the best line's whole score
    names_focus: bool = False  # a line or the section path names what the question is about


FEATURES = (
    "fused", "fused_gap", "position", "similarity", "similarity_gap", "lexical", "coverage", "coverage_gap",
    "title", "names_missed", "dense_rank", "lexical_rank", "line_fit", "line_bonus", "line_best", "line_best_gap",
    "names_focus", "own_coverage", "own_title", "context_coverage", "has_context", "answer_type_found",
    "section_depth", "length", "starts_section", "rare_coverage", "rare_in_title", "similarity_order",
    "coverage_order", "line_order", *(f"intent_{name}" for name in INTENTS),
)
RARE_TERMS = 2  # the question's rarest terms: what it is about more than what it asks


def features(question: str, context: str, hits: list[Hit], lines: list[LineSignals], idf: dict[str, float],
             starts_section) -> np.ndarray:
    """One row of FEATURES per hit, in the hits' order (the fused order)."""
    weights = query_weights(idf, question, context)
    own = query_weights(idf, question)
    carried = {t: w for t, w in weights.items() if t not in own}
    intent = intent_of(question)
    sides = [set(terms(side)) for side in comparison_sides(question)] if intent == COMPARISON else []
    top_fused = max((h.score for h in hits), default=0.0)
    top_similarity = max((h.similarity for h in hits), default=0.0)
    top_coverage = max((h.coverage for h in hits), default=0.0)
    top_line = max((line.best for line in lines), default=0.0)
    rare = dict(sorted(own.items(), key=lambda pair: -pair[1])[:RARE_TERMS])
    similarity_order = _order([h.similarity for h in hits])
    coverage_order = _order([h.coverage for h in hits])
    line_order = _order([line.best for line in lines])
    rows = []
    for position, (hit, line) in enumerate(zip(hits, lines, strict=True)):
        chunk = hit.chunk
        passage, title = term_set(chunk.embedding_text()), term_set(" ".join(chunk.section_path))
        rows.append([
            hit.score, hit.score - top_fused, position, hit.similarity, hit.similarity - top_similarity,
            hit.lexical, hit.coverage, hit.coverage - top_coverage, hit.title, float(hit.names_missed),
            _rank(hit.dense_rank), _rank(hit.lexical_rank), line.fit, line.bonus, line.best, line.best - top_line,
            float(line.names_focus), term_coverage(own, passage), term_coverage(own, title),
            term_coverage(carried, passage) if carried else 0.0, float(bool(carried)),
            _answer_type_found(intent, chunk.text, passage, sides), len(chunk.section_path), len(chunk.text) / 1000,
            float(starts_section(chunk)), term_coverage(rare, passage), term_coverage(rare, title),
            similarity_order[position], coverage_order[position], line_order[position],
            *(float(intent == name) for name in INTENTS),
        ])
    return np.asarray(rows, dtype=np.float64).reshape(len(hits), len(FEATURES))


def _order(values: list[float]) -> list[int]:
    """Each value's place among the candidates, 0 for the largest (ties by position)."""
    order = sorted(range(len(values)), key=lambda i: (-values[i], i))
    places = [0] * len(values)
    for place, i in enumerate(order):
        places[i] = place
    return places


def _rank(rank: int | None) -> float:
    return float(min(rank, MISSING_RANK) if rank is not None else MISSING_RANK)


def _answer_type_found(intent: str, text: str, passage: frozenset[str], sides: list[set[str]]) -> float:
    """Whether the passage holds the kind of answer asked: an amount, both sides of a comparison, a list."""
    if intent == NUMBER:
        return float(bool(measures(text)) or any(c.isdigit() for c in text))
    if intent == COMPARISON and len(sides) == 2:
        return sum(bool(side) and side <= passage for side in sides) / 2
    if intent == LIST:
        return min(len(_BULLET.findall(text)), 6) / 6
    return 0.0


class LearnedRanker:
    """Gradient-boosted regression trees (log-odds of "this passage holds the answer") read from JSON."""

    def __init__(self, model: dict, expected: tuple[str, ...] = FEATURES):
        if tuple(model["features"]) != expected:
            raise ValueError("the model was trained on other features than this code computes: run `make train`")
        self.model = model
        self.base = float(model["base"])
        self.rate = float(model["learning_rate"])
        self.trees = [{key: np.asarray(values) for key, values in tree.items()} for tree in model["trees"]]

    @classmethod
    def load(cls, path: Path | None = None) -> LearnedRanker:
        return cls(json.loads((path or MODEL_FILE).read_text(encoding="utf-8")))

    def scores(self, rows: np.ndarray) -> np.ndarray:
        total = np.full(len(rows), self.base)
        for tree in self.trees:
            total += self.rate * _tree_values(tree, rows)
        return total


def _tree_values(tree: dict[str, np.ndarray], rows: np.ndarray) -> np.ndarray:
    node = np.zeros(len(rows), dtype=np.int64)
    while True:
        inner = tree["left"][node] >= 0
        if not inner.any():
            return tree["value"][node]
        at = node[inner]
        goes_left = rows[inner, tree["feature"][at]] <= tree["threshold"][at]
        node[inner] = np.where(goes_left, tree["left"][at], tree["right"][at])


@lru_cache(maxsize=1)
def shipped_ranker() -> LearnedRanker | None:
    """The model in bot/data; None (the hand-set order, with a warning) when it is missing or was trained on other
    features than this code computes (a change not followed by `make train`)."""
    try:
        return LearnedRanker.load()
    except (OSError, ValueError, KeyError, TypeError) as err:
        log.warning("learned ranker unavailable (%s); ranking by the hand-set weights", err)
        return None


def source_hash(root: Path, paths: list[Path]) -> str:
    """sha256 over the named files (paths relative to `root`, names included), in the order given."""
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.as_posix().encode())
        digest.update(b"\0")
        digest.update((root / path).read_bytes())
    return digest.hexdigest()
