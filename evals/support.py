"""Precision and recall of the claim checker (`bot.answer.support`) on hand-labelled sentence/passage pairs.

    .venv/bin/python -m evals.support            # report with the thresholds in bot/answer/support.py
    .venv/bin/python -m evals.support --tune     # search thresholds on the tuning half, report both halves

Each pair of evals/support/pairs.jsonl quotes a line of the notes and a sentence a model might write about it,
labelled supported or not (kinds: paraphrase, wrong number, wrong service, added claim, negation, …). The
checker sees the whole indexed passage that holds the quote, as it would when a model cites that passage.
Pairs with an odd number tune the thresholds; the even ones only report. "Precision" is the share of
sentences the checker lets through that are supported: the one that protects a student.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from dataclasses import dataclass
from pathlib import Path

from bot.answer.support import Support, SupportChecker, Thresholds
from bot.settings import Settings

PAIRS = Path(__file__).parent / "support" / "pairs.jsonl"


@dataclass(frozen=True)
class Pair:
    id: str
    doc_id: str
    passage: str
    sentence: str
    supported: bool
    kind: str

    @property
    def tunes(self) -> bool:
        return int(self.id.lstrip("s")) % 2 == 1


def load_pairs(path: Path = PAIRS) -> list[Pair]:
    return [Pair(**json.loads(line)) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def cited_passages(pairs: list[Pair], chunks: list) -> dict[str, tuple[str, str]]:
    """pair id → (section, text) of the chunk holding its quote; the quote itself when it spans two chunks."""
    found = {}
    for pair in pairs:
        quote = " ".join(pair.passage.split())
        holder = next(((c.section, c.text) for c in chunks
                       if c.doc_id == pair.doc_id and quote in " ".join(c.text.split())), ("", pair.passage))
        found[pair.id] = holder
    return found


def scores(judged: list[tuple[Pair, Support]]) -> dict:
    passed = [p for p, s in judged if s.supported]
    true = [p for p in passed if p.supported]
    labelled = [p for p, _ in judged if p.supported]
    return {"pairs": len(judged), "precision": len(true) / len(passed) if passed else 1.0,
            "recall": len(true) / len(labelled) if labelled else 1.0,
            "unsupported_shown": len(passed) - len(true)}


def judge_all(checker: SupportChecker, pairs: list[Pair],
              passages: dict[str, tuple[str, str]]) -> list[tuple[Pair, Support]]:
    return [(p, checker.support(p.sentence, [passages[p.id]])) for p in pairs]


def tune(checker: SupportChecker, pairs: list[Pair], passages: dict[str, tuple[str, str]],
         min_recall: float) -> Thresholds:
    """The thresholds with the best precision (fewest unsupported sentences shown) that still keep `min_recall`
    of the supported ones on `pairs`; features computed once."""
    features = [(p, checker.windows(p.sentence, passages[p.id][1], passages[p.id][0])) for p in pairs]
    best, best_key = Thresholds(), (-1.0, -1.0)
    grid = [x / 20 for x in range(4, 21)]
    for words, meaning, both in itertools.product(grid, grid, grid):
        if both > words:
            continue
        t = Thresholds(words, meaning, both)
        judged = [(p, Support(_passes(windows, t), 0.0, 0.0)) for p, windows in features]
        result = scores(judged)
        key = (result["precision"], result["recall"]) if result["recall"] >= min_recall else (-1.0, -1.0)
        if key > best_key:
            best, best_key = t, key
    return best


def _passes(windows: list[tuple[str, float, float]], t: Thresholds) -> bool:
    return any(not rule and (share >= t.words or (similarity >= t.meaning and share >= t.words_with_meaning))
               for rule, share, similarity in windows)


def main(argv: list[str] | None = None) -> int:
    from bot.ingest.embed import embeddings
    from bot.ingest.index import current_chunks
    from bot.ingest.lexicon import Lexicon
    from bot.search.query import Speller
    from bot.search.retrieve import BM25, all_name_terms

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tune", action="store_true", help="search thresholds on the tuning half")
    parser.add_argument("--min-recall", type=float, default=0.7,
                        help="share of supported sentences the tuned thresholds must keep")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args(argv)
    settings = Settings.from_env()
    pairs = load_pairs()
    chunks, _ = current_chunks(settings)
    passages = cited_passages(pairs, chunks)
    lexicon = Lexicon.of_chunks(chunks)
    names = all_name_terms(Speller.from_counts(lexicon.word_counts, lexicon.capitalised), lexicon)
    checker = SupportChecker(embeddings(settings).embed_documents, BM25(postings=lexicon.postings).idf,
                             names=names)
    if args.tune:
        checker.thresholds = tune(checker, [p for p in pairs if p.tunes], passages, args.min_recall)
    results = {"thresholds": checker.thresholds.__dict__}
    judged = judge_all(checker, pairs, passages)
    for name, keep in (("tuning half", lambda p: p.tunes), ("report half", lambda p: not p.tunes),
                       ("all", lambda p: True)):
        results[name] = scores([(p, s) for p, s in judged if keep(p)])
    kinds = sorted({p.kind for p in pairs})
    results["by_kind"] = {kind: {"pairs": sum(p.kind == kind for p, _ in judged),
                                 "judged_supported": sum(p.kind == kind and s.supported for p, s in judged)}
                          for kind in kinds}
    results["missed"] = [{"id": p.id, "kind": p.kind, "why": s.why} for p, s in judged
                         if s.supported != p.supported]
    if args.json:
        print(json.dumps(results, indent=1))
        return 0
    print(f"thresholds: {results['thresholds']}")
    for name in ("tuning half", "report half", "all"):
        r = results[name]
        print(f"{name:12} pairs {r['pairs']:4}  precision {r['precision']:.3f}  recall {r['recall']:.3f}  "
              f"unsupported shown {r['unsupported_shown']}")
    for kind, counts in results["by_kind"].items():
        print(f"  {kind:14} {counts['judged_supported']:3} of {counts['pairs']:3} judged supported")
    for miss in results["missed"]:
        print(f"  {miss['id']} {miss['kind']:14} {miss['why'] or 'passed, but unsupported'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
