"""`make train`: the learned re-ranker, rebuilt from the repo's data with a fixed seed.

    .venv/bin/python -m evals.train                 # fit on dev, print the cross-validated and test tables
    .venv/bin/python -m evals.train --check         # only say whether bot/data/ranker.json is current

Each answerable `dev` question is asked as the harness asks it (conversations turn by turn); every candidate list
the bot re-ranks for the scored turn is one group, a candidate is positive when it holds the gold evidence. The
models are compared by 5-fold cross-validation grouped by question; the best is fitted on all of `dev` and written
to bot/data/ranker.json with the hash of the data and code that made it. `test` is only scored, never fitted.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bot.answer.extract import FOCUS_MISS, RANK_PRIOR
from bot.answer.line_rank import LINE_FEATURES
from bot.answer.line_rank import MODEL_FILE as LINES_FILE
from bot.search.rank import FEATURES, MODEL_FILE, LearnedRanker, source_hash
from bot.settings import ROOT, Settings
from evals.gold_io import load_gold
from evals.metrics import in_order_share, is_relevant

SEED = 20261207
FOLDS = 5
LINE_SHARE = 0.8  # a line is a positive when it holds this share of the evidence's words in order
DEV = ROOT / "evals" / "gold" / "dev.jsonl"
TEST = ROOT / "evals" / "gold" / "test.jsonl"
CODE = ("bot/search/rank.py", "bot/search/retrieve.py", "bot/answer/extract.py", "bot/answer/line_rank.py",
        "evals/train.py")


def sources() -> list[Path]:
    """What the model is made from: the training questions, the notes and the code that turns them into features."""
    corpus = sorted(p.relative_to(ROOT) for p in (ROOT / "corpus").iterdir() if p.is_file())
    return [DEV.relative_to(ROOT), *corpus, *(Path(c) for c in CODE)]


def current_hash() -> str:
    return source_hash(ROOT, sources())


@dataclass
class Group:
    """One candidate list the bot re-ranked for a question's scored turn."""

    item_id: str
    rows: np.ndarray
    labels: np.ndarray
    query: str = ""
    chunk_ids: tuple[str, ...] = ()


class HandOrder:
    """The hand-set re-rank the learned one replaces: fused score + line_weight × the best line's score."""

    def __init__(self, line_weight: float):
        self.line_weight = line_weight

    def scores(self, rows: np.ndarray) -> np.ndarray:
        return rows[:, FEATURES.index("fused")] + self.line_weight * rows[:, FEATURES.index("line_best")]


def collect(bot, items: list[dict], k: int = 5) -> tuple[list[Group], list[Group]]:
    """The passage groups and the line groups of every answerable item, asked the way the harness asks it (under
    the hand-set order and line choice)."""
    from bot.answer.followup import ask_in_conversation
    from bot.search.question import QuestionError

    bot.ranker = HandOrder(bot.settings.line_weight)
    chooser = bot.answerer.chooser
    chooser.line_model = None  # features under the hand-set choice, as the passages are under the hand-set order
    exact_dense_search(bot.searcher)
    groups, lines = [], []
    for item in items:
        if item["type"] == "unanswerable":
            continue
        bot.ranking_log = None
        turns = []
        for earlier in item.get("history") or []:
            try:
                reply = ask_in_conversation(bot, earlier, turns, k=k).text
            except QuestionError as err:
                reply = str(err)
            turns += [("user", earlier), ("assistant", reply)]
        bot.ranking_log, chooser.line_log = [], []
        try:
            ask_in_conversation(bot, item["question"], turns, k=k)
        except QuestionError:
            continue
        for query, _context, hits, rows in bot.ranking_log:
            labels = np.array([is_relevant(item["evidence"], h.chunk.text) for h in hits], dtype=bool)
            groups.append(Group(item["id"], rows, labels, query, tuple(h.chunk.id for h in hits)))
        if chooser.line_log:  # the lines the scored answer chose from (a list question may use none)
            _hits, flat, rows = chooser.line_log[-1]
            labels = np.array([in_order_share(item["evidence"], line.text) >= LINE_SHARE for _, line in flat])
            lines.append(Group(item["id"], rows, labels))
    bot.ranking_log = chooser.line_log = None
    return groups, lines


def exact_dense_search(searcher) -> None:
    """Dense candidates by exact cosine over the loaded vectors, not Chroma's approximate graph: two runs of the
    graph search may order near-ties differently, and `make train` must give the same model byte for byte."""
    def dense(query: str, limit: int, doc_id: str | None = None, vector=None):
        return searcher.dense_in_memory(searcher.embed_query(query) if vector is None else vector, limit, doc_id)

    searcher.dense = dense


def ranking_scores(groups: list[Group], score) -> dict[str, float]:
    """hit@1, hit@5 and MRR@5 of each group's order under `score` (rows → scores); ties keep the fused order."""
    hit1 = hit5 = reciprocal = 0.0
    for group in groups:
        scores = score(group.rows)
        order = sorted(range(len(scores)), key=lambda i: (-scores[i], i))
        ranks = [r for r, i in enumerate(order[:5], start=1) if group.labels[i]]
        hit1 += bool(ranks and ranks[0] == 1)
        hit5 += bool(ranks)
        reciprocal += 1 / ranks[0] if ranks else 0.0
    n = len(groups) or 1
    return {"hit@1": hit1 / n, "hit@5": hit5 / n, "mrr@5": reciprocal / n}


def stack(groups: list[Group]) -> tuple[np.ndarray, np.ndarray]:
    return np.vstack([g.rows for g in groups]), np.concatenate([g.labels for g in groups])


def fit_trees(groups: list[Group], seed: int = SEED):
    from sklearn.ensemble import GradientBoostingClassifier

    rows, labels = stack([g for g in groups if g.labels.any()])
    # chosen by the cross-validated hit@1 on dev among 150-400 trees of depth 2-3 (docs/results.md)
    model = GradientBoostingClassifier(n_estimators=100, max_depth=2, learning_rate=0.1, subsample=0.8,
                                       min_samples_leaf=20, random_state=seed)
    return model.fit(rows, labels)


def trees_json(model, features: tuple[str, ...] = FEATURES) -> dict:
    """The fitted trees as plain lists, read back by `bot.search.rank.LearnedRanker`."""
    trees = []
    for estimator in model.estimators_[:, 0]:
        t = estimator.tree_
        trees.append({"feature": t.feature.tolist(), "threshold": t.threshold.tolist(),
                      "left": t.children_left.tolist(), "right": t.children_right.tolist(),
                      "value": t.value[:, 0, 0].tolist()})
    base = float(model._raw_predict_init(np.zeros((1, len(features))))[0, 0])
    return {"kind": "trees", "features": list(features), "base": base, "learning_rate": model.learning_rate,
            "trees": trees}


def cross_validated(groups: list[Group], fit, features: tuple[str, ...] = FEATURES, score=None,
                    seed: int = SEED) -> dict[str, float]:
    """Scores of `fit` on each fold's held-out questions (folds split by question, never within one)."""
    ids = sorted({g.item_id for g in groups})
    rng = np.random.default_rng(seed)
    fold_of = {item_id: fold for item_id, fold in zip(rng.permutation(ids), np.arange(len(ids)) % FOLDS,
                                                      strict=True)}
    held_out_scores = []
    for fold in range(FOLDS):
        train = [g for g in groups if fold_of[g.item_id] != fold]
        held = [g for g in groups if fold_of[g.item_id] == fold]
        ranker = LearnedRanker(trees_json(fit(train), features), features)
        held_out_scores.append((len(held), (score or ranking_scores)(held, ranker.scores)))
    total = sum(n for n, _ in held_out_scores)
    return {key: sum(n * s[key] for n, s in held_out_scores) / total for key in held_out_scores[0][1]}


def table(rows: list[tuple[str, dict[str, float]]]) -> str:
    lines = ["| ranking | hit@1 | hit@5 | MRR@5 |", "|---|---|---|---|"]
    lines += [f"| {name} | {s['hit@1']:.3f} | {s['hit@5']:.3f} | {s['mrr@5']:.3f} |" for name, s in rows]
    return "\n".join(lines)


class HandLines:
    """The hand-set line score the learned one replaces: fit + rank prior + answer-kind bonus - focus miss."""

    def scores(self, rows: np.ndarray) -> np.ndarray:
        column = {name: rows[:, i] for i, name in enumerate(LINE_FEATURES)}
        return (column["fit"] + RANK_PRIOR / (column["passage_position"] + 1) + column["bonus"]
                - FOCUS_MISS * column["misses_focus"])


def line_scores(groups: list[Group], score) -> dict[str, float]:
    """line@1 (the best-scored line holds the evidence) and line@3 over every answer's candidate lines."""
    at1 = at3 = 0.0
    for group in groups:
        scores = score(group.rows)
        order = sorted(range(len(scores)), key=lambda i: (-scores[i], i))
        at1 += bool(group.labels[order[0]]) if order else 0.0
        at3 += any(group.labels[i] for i in order[:3])
    n = len(groups) or 1
    return {"line@1": at1 / n, "line@3": at3 / n}


def line_table(rows: list[tuple[str, dict[str, float]]]) -> str:
    lines = ["| answer lines | line@1 | line@3 |", "|---|---|---|"]
    return "\n".join(lines + [f"| {name} | {s['line@1']:.3f} | {s['line@3']:.3f} |" for name, s in rows])


def write_model(model: dict, out: Path) -> None:
    model |= {"seed": SEED, "trained_on": "evals/gold/dev.jsonl", "source_hash": current_hash()}
    out.write_text(json.dumps(model, indent=None, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"wrote {out} ({out.stat().st_size // 1024} KB, source hash {model['source_hash'][:12]})")


def train(settings: Settings, out_dir: Path = MODEL_FILE.parent, show_test: bool = True) -> tuple[dict, list[Group]]:
    """Fit both models on dev and write them into `out_dir`; returns the passage model and its dev groups."""
    from bot.answer.studybot import build_bot

    bot = build_bot(settings)
    dev, dev_lines = collect(bot, load_gold(DEV))
    hand, hand_lines = HandOrder(settings.line_weight), HandLines()
    print(f"dev: {len({g.item_id for g in dev})} questions, {len(dev)} candidate lists "
          f"({sum(int(g.labels.sum()) for g in dev)} positive passages), {len(dev_lines)} answers' lines "
          f"({sum(int(g.labels.sum()) for g in dev_lines)} positive lines)")
    print("\n5-fold cross-validation on dev (grouped by question):")
    print(table([("hand-set weights", ranking_scores(dev, hand.scores)),
                 ("learned (gradient-boosted trees)", cross_validated(dev, fit_trees))]))
    print()
    print(line_table([("hand-set line score", line_scores(dev_lines, hand_lines.scores)),
                      ("learned (gradient-boosted trees)",
                       cross_validated(dev_lines, fit_trees, LINE_FEATURES, line_scores))]))
    print()
    model = trees_json(fit_trees(dev))
    write_model(model, out_dir / MODEL_FILE.name)
    line_model = trees_json(fit_trees(dev_lines), LINE_FEATURES)
    write_model(line_model, out_dir / LINES_FILE.name)
    if show_test:
        test, test_lines = collect(bot, load_gold(TEST))
        print("\ntest (scored only, never fitted):")
        print(table([("hand-set weights", ranking_scores(test, hand.scores)),
                     ("learned", ranking_scores(test, LearnedRanker(model).scores))]))
        print()
        print(line_table([("hand-set line score", line_scores(test_lines, hand_lines.scores)),
                          ("learned", line_scores(test_lines, LearnedRanker(line_model, LINE_FEATURES).scores))]))
    return model, dev


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evals.train", description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check that the shipped model is current")
    parser.add_argument("--no-test", action="store_true", help="skip the test table")
    args = parser.parse_args(argv)
    if args.check:
        stale = [path.name for path in (MODEL_FILE, LINES_FILE)
                 if json.loads(path.read_text(encoding="utf-8")).get("source_hash") != current_hash()]
        print(f"stale (the data or code that made them changed; run `make train`): {', '.join(stale)}" if stale
              else "bot/data/ranker.json and lines.json are current")
        return 1 if stale else 0
    train(Settings.from_env(), show_test=not args.no_test)
    return 0


if __name__ == "__main__":
    sys.exit(main())
