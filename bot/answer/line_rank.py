"""Learned answer lines: features of each line of the retrieved passages, scored by trees trained on `dev`.

In training, a line is a positive when it holds the evidence span of a `dev` question. The model (bot/data/lines.json,
made by `make train` with the passage ranker) replaces the hand-set line score (term fit + a prior for the passage's
rank + the answer-kind bonus) for every kind of question but definitions and numbers, so an answer may quote the 2nd
or 3rd passage when that is where the fact is.
"""

from __future__ import annotations

import json
import logging
import re
from functools import lru_cache
from pathlib import Path

import numpy as np

from bot.answer.lines import BULLET
from bot.models import Hit
from bot.search.query import query_weights
from bot.search.rank import INTENTS, RARE_TERMS, LearnedRanker
from bot.text import term_coverage, term_set

log = logging.getLogger(__name__)
MODEL_FILE = Path(__file__).parent.parent / "data" / "lines.json"
_LABEL = re.compile(r"^\s*(?:[-*•+▪◦]\s+)?\**[A-Z][\w /()&+-]{0,40}?\**\s*(?::|\s[-–]\s)")

LINE_FEATURES = (
    "fit", "fit_gap", "fit_order", "bonus", "misses_focus", "passage_position", "passage_similarity",
    "passage_coverage", "line_order", "first_line", "length", "has_digit", "has_quantity", "bullet", "label",
    "own_coverage", "rare_coverage", "context_coverage", "lines_in_passage", *(f"intent_{name}" for name in INTENTS),
)


def line_features(question: str, context: str, intent: str, hits: list[Hit], lines_per_hit: list[list],
                  idf: dict[str, float], quantity: re.Pattern) -> np.ndarray:
    """One row of LINE_FEATURES per line, hit by hit in the hits' order, each hit's lines in passage order.
    `lines_per_hit[i]`: the answer stage's line scores of hit i (order, text, fit, bonus, misses_focus)."""
    own = query_weights(idf, question)
    carried = {t: w for t, w in query_weights(idf, question, context).items() if t not in own}
    rare = dict(sorted(own.items(), key=lambda pair: -pair[1])[:RARE_TERMS])
    flat = [(i, n, line) for i, lines in enumerate(lines_per_hit) for n, line in enumerate(lines)]
    best_fit = max((line.fit for _, _, line in flat), default=0.0)
    by_fit = sorted(range(len(flat)), key=lambda j: (-flat[j][2].fit, j))
    fit_order = {j: place for place, j in enumerate(by_fit)}
    rows = []
    for j, (i, n, line) in enumerate(flat):
        present = term_set(line.text)
        rows.append([
            line.fit, line.fit - best_fit, min(fit_order[j], 20), line.bonus, float(line.misses_focus), i,
            hits[i].similarity, hits[i].coverage, n, float(n == 0), len(line.text) / 100,
            float(any(c.isdigit() for c in line.text)), float(bool(quantity.search(line.text))),
            float(bool(BULLET.match(line.text))), float(bool(_LABEL.match(line.text))),
            term_coverage(own, present), term_coverage(rare, present),
            term_coverage(carried, present) if carried else 0.0, len(lines_per_hit[i]),
            *(float(intent == name) for name in INTENTS),
        ])
    return np.asarray(rows, dtype=np.float64).reshape(len(flat), len(LINE_FEATURES))


@lru_cache(maxsize=1)
def shipped_line_model() -> LearnedRanker | None:
    """The line model in bot/data; None (the hand-set line score, with a warning) when missing or stale."""
    try:
        return LearnedRanker(json.loads(MODEL_FILE.read_text(encoding="utf-8")), LINE_FEATURES)
    except (OSError, ValueError, KeyError, TypeError) as err:
        log.warning("learned answer lines unavailable (%s); choosing lines by the hand-set score", err)
        return None
