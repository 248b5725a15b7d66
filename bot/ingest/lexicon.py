"""The word statistics search needs, read from the passages in one pass and kept as arrays.

`Postings` is BM25's inverted index in compressed sparse rows (term → passages and counts); `Lexicon` adds
what the speller and the refusal rules learn from the notes (how often each name-like word is written and
how often capitalised mid-sentence, the acronyms the notes use). Building them reads every passage (about
a minute at 150k passages); `save` and `load` keep them beside the index so an app starts without that.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bot.models import Chunk
from bot.text import terms

NAME_TOKEN = re.compile(r"\b[A-Za-z][A-Za-z0-9]{3,}\b")
_ACRONYM = re.compile(r"\b[A-Z][A-Z0-9]{1,5}\b")
ACRONYM_MIN_COUNT = 3  # an acronym written fewer times is a slip or a one-off, not a name of the notes


@dataclass
class Postings:
    """term → the passages (row numbers) holding it and how often: rows[starts[t]:starts[t + 1]]."""

    terms: list[str]
    starts: np.ndarray  # int64, one more than terms
    rows: np.ndarray  # int32 passage numbers, ascending within a term
    counts: np.ndarray  # int32 occurrences of the term in that passage
    lengths: np.ndarray  # int32 terms per passage

    @classmethod
    def of(cls, texts: list[str]) -> Postings:
        return postings_of([terms(text) for text in texts])

    def document_frequency(self) -> dict[str, int]:
        return dict(zip(self.terms, np.diff(self.starts).tolist(), strict=True))


def postings_of(passages: list[list[str]]) -> Postings:
    by_term: dict[str, list[tuple[int, int]]] = {}
    lengths = np.zeros(len(passages), dtype=np.int32)
    for row, passage_terms in enumerate(passages):
        lengths[row] = len(passage_terms)
        for term, count in Counter(passage_terms).items():
            by_term.setdefault(term, []).append((row, count))
    vocabulary = sorted(by_term)
    sizes = np.fromiter((len(by_term[t]) for t in vocabulary), dtype=np.int64, count=len(vocabulary))
    starts = np.zeros(len(vocabulary) + 1, dtype=np.int64)
    np.cumsum(sizes, out=starts[1:])
    flat = [pair for term in vocabulary for pair in by_term[term]]
    pairs = np.asarray(flat, dtype=np.int32).reshape(-1, 2)
    return Postings(vocabulary, starts, pairs[:, 0].copy(), pairs[:, 1].copy(), lengths)


@dataclass
class Lexicon:
    """Everything search derives from the passages' words; one row per passage, in the store's order."""

    postings: Postings
    word_counts: dict[str, int]  # name-like words (4+ letters), lower case: how often the notes write them
    capitalised: dict[str, int]  # … and how often capitalised where a sentence does not start
    acronyms: frozenset[str]  # acronyms the notes use as names (SQS, EMR), lower case

    @classmethod
    def build(cls, texts: list[str], raw_texts: list[str] | None = None) -> Lexicon:
        """`texts` are what is searched (a passage with its section path); acronyms are counted in `raw_texts`
        (the passages alone: a heading repeated in every passage's path would count as many uses)."""
        passages = []
        word_counts: Counter[str] = Counter()
        capitalised: Counter[str] = Counter()
        for text in texts:
            passages.append(terms(text))
            count_names(text, word_counts, capitalised)
        acronyms = Counter(m.group(0).lower() for text in (raw_texts if raw_texts is not None else texts)
                           for m in _ACRONYM.finditer(text))
        return cls(postings_of(passages), dict(word_counts), dict(capitalised),
                   frozenset(a for a, n in acronyms.items() if n >= ACRONYM_MIN_COUNT and not a.isdigit()))

    @classmethod
    def of_chunks(cls, chunks: list[Chunk]) -> Lexicon:
        return cls.build([c.embedding_text() for c in chunks], [c.text for c in chunks])

    def save(self, folder: Path) -> list[Path]:
        """Two files in `folder` (arrays and word tables); returns them."""
        arrays, tables = folder / "lexicon.npz", folder / "lexicon.json"
        p = self.postings
        with open(arrays, "wb") as handle:
            np.savez(handle, starts=p.starts, rows=p.rows, counts=p.counts, lengths=p.lengths)
        tables.write_text(json.dumps({"terms": p.terms, "word_counts": self.word_counts,
                                      "capitalised": self.capitalised, "acronyms": sorted(self.acronyms)}),
                          encoding="utf-8")
        return [arrays, tables]

    @classmethod
    def load(cls, folder: Path) -> Lexicon:
        with np.load(folder / "lexicon.npz", allow_pickle=False) as arrays:
            starts, rows, counts, lengths = (arrays[k] for k in ("starts", "rows", "counts", "lengths"))
        tables = json.loads((folder / "lexicon.json").read_text(encoding="utf-8"))
        postings = Postings(tables["terms"], starts, rows, counts, lengths)
        if len(starts) != len(postings.terms) + 1 or starts[-1] != len(rows) or len(rows) != len(counts):
            raise ValueError("lexicon arrays do not fit together")
        return cls(postings, tables["word_counts"], tables["capitalised"], frozenset(tables["acronyms"]))


def count_names(text: str, counts: Counter, capitalised: Counter) -> None:
    """Count the name-like words of `text` and their capitalised uses where no sentence starts."""
    for match in NAME_TOKEN.finditer(text):
        token = match.group(0)
        lowered = token.lower()
        counts[lowered] += 1
        if token[0].isupper() and not starts_sentence(text, match.start()):
            capitalised[lowered] += 1


_BEFORE_A_WORD = frozenset(" \t*_#>-•([\"'")  # bullets, emphasis, brackets, quotes


def starts_sentence(text: str, at: int) -> bool:
    """Whether position `at` opens a sentence, line or list item (where any word is capitalised)."""
    at -= 1
    while at >= 0 and text[at] in _BEFORE_A_WORD:
        at -= 1
    return at < 0 or text[at] in ".!?:\n|"
