"""Hybrid retrieval: dense (Chroma) and lexical (BM25) rankings fused by reciprocal rank."""

from __future__ import annotations

import logging
import math
import time
from collections import defaultdict
from dataclasses import dataclass

import numpy as np
from langchain_core.callbacks import AsyncCallbackManagerForRetrieverRun, CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from langchain_core.runnables.config import run_in_executor
from pydantic import ConfigDict, Field

from bot.ingest.lexicon import Lexicon, Postings
from bot.models import Chunk, Hit
from bot.search.query import CONTEXT_WEIGHT, Speller, query_weights
from bot.search.question import known_document
from bot.settings import Settings
from bot.text import question_terms, stem, term_coverage, term_set, terms, words

RETRY_CAP_SECONDS = 60.0  # longest pause before a failing Chroma server is asked again
SLOW_FAILURE_SECONDS = 0.5  # a failed search that took this long waited on a hung server
NAME_MAX_SHARE = 0.05  # a "name" in more than this share of passages (Data, AWS) tells nothing


log = logging.getLogger(__name__)


class BM25:
    """Okapi BM25 over `Postings`: one numpy pass per query term scores every passage."""

    def __init__(self, texts: list[str] | None = None, k1: float = 1.2, b: float = 0.75,
                 postings: Postings | None = None):
        p = postings if postings is not None else Postings.of(texts or [])
        self.k1, self.b = k1, b
        self.postings = p
        self.term_ids = {term: i for i, term in enumerate(p.terms)}
        self.size = len(p.lengths)
        n = self.size  # math.log per term, as before the arrays: the same idf to the last bit on any build
        idf = [math.log(1 + (n - f + 0.5) / (f + 0.5)) for f in np.diff(p.starts).tolist()]
        self.term_idf = np.asarray(idf, dtype=np.float64)
        self.idf = dict(zip(p.terms, idf, strict=True))
        average = float(p.lengths.mean()) if self.size else 1.0
        self.norm = k1 * (1 - b + b * p.lengths.astype(np.float64) / (average or 1.0))

    def scores(self, query: str) -> np.ndarray:
        """One score per passage (0 where no query term occurs)."""
        scores = np.zeros(self.size, dtype=np.float64)
        p = self.postings
        # Each term once, in the question's order: a set's order follows the hash seed, and float sums in another
        # order differ in the last bits, enough to flip a tie between two runs of the same question.
        for term in dict.fromkeys(question_terms(query)):
            t = self.term_ids.get(term)
            if t is None:
                continue
            rows, counts = p.rows[p.starts[t]:p.starts[t + 1]], p.counts[p.starts[t]:p.starts[t + 1]]
            scores[rows] += self.term_idf[t] * counts * (self.k1 + 1) / (counts + self.norm[rows])
        return scores

    def top(self, scores: np.ndarray, limit: int, allowed: np.ndarray | None = None) -> list[tuple[int, float]]:
        """The `limit` best-scoring passages as (row, score), best first, ties to the earlier row; only rows
        that hold a query term, and only `allowed` ones (a boolean mask) when given."""
        if limit <= 0:
            return []
        candidates = np.flatnonzero(scores > 0 if allowed is None else (scores > 0) & allowed)
        if len(candidates) > limit:  # keep every row that ties with the last one kept, then order exactly
            cut = np.partition(scores[candidates], len(candidates) - limit)[len(candidates) - limit]
            candidates = candidates[scores[candidates] >= cut]
        order = np.lexsort((candidates, -scores[candidates]))[:limit]
        return [(int(candidates[i]), float(scores[candidates[i]])) for i in order]


@dataclass(frozen=True)
class Ranked:
    chunk_id: str
    rank: int
    similarity: float = 0.0


def reciprocal_rank_fusion(rankings: list[tuple[list[Ranked], float]], rrf_k: int) -> list[tuple[str, float]]:
    """Weighted RRF: score(d) = sum over rankings of weight / (rrf_k + rank)."""
    fused: dict[str, float] = defaultdict(float)
    for ranking, weight in rankings:
        for item in ranking:
            fused[item.chunk_id] += weight / (rrf_k + item.rank)
    return sorted(fused.items(), key=lambda pair: (-pair[1], pair[0]))


class HybridSearcher:
    """Plain-Python search over a Store; `HybridRetriever` is its LangChain face.

    Dense candidates come from Chroma, lexical ones from BM25; the union is ranked either by a
    weighted score (cosine + normalised BM25 + idf-weighted term coverage of the passage and of its
    section path) or by reciprocal rank fusion (`STUDYBOT_FUSION`).
    """

    def __init__(self, store, settings: Settings, embed_query=None):
        self.store = store
        self.settings = settings
        self.chunks: list[Chunk] = store.chunks
        self.by_id = {c.id: c for c in self.chunks}
        self.position = {c.id: i for i, c in enumerate(self.chunks)}
        lexicon = store.lexicon if store.lexicon is not None else Lexicon.of_chunks(self.chunks)
        self.bm25 = BM25(postings=lexicon.postings)
        self.doc_rows = {d: np.array([c.doc_id == d for c in self.chunks]) for d in {c.doc_id for c in self.chunks}}
        self.speller = Speller.from_counts(lexicon.word_counts, lexicon.capitalised)
        self.name_terms = self._name_terms()
        self.all_name_terms = all_name_terms(self.speller, lexicon)
        self.vocabulary = frozenset(self.bm25.idf) | self.speller.known  # every word the notes use
        self.section_starts = _section_starts(self.chunks)
        self.vectors = store.vectors
        self.chroma_failing = False  # searches go to the vectors in memory until Chroma answers again
        self.chroma_retry_at = 0.0  # while failing, Chroma is not asked again before this (monotonic) time
        self.embed_query = embed_query or store.vectorstore.embeddings.embed_query
        self.embed_documents = store.vectorstore.embeddings.embed_documents  # the claim checker's sentences

    def lexical(self, query: str, limit: int, doc_id: str | None = None, scores=None) -> list[Ranked]:
        scores = self.bm25.scores(query) if scores is None else scores
        allowed = None if doc_id is None else self.doc_rows.get(doc_id, np.zeros(len(self.chunks), dtype=bool))
        top = self.bm25.top(scores, limit, allowed)
        return [Ranked(self.chunks[i].id, rank) for rank, (i, _) in enumerate(top, start=1)]

    def dense(self, query: str, limit: int, doc_id: str | None = None, vector=None) -> list[Ranked]:
        vector = self.embed_query(query) if vector is None else vector
        if self.chroma_failing and time.monotonic() < self.chroma_retry_at:
            return self.dense_in_memory(vector, limit, doc_id)
        started = time.monotonic()
        try:
            found = self.store.vectorstore.similarity_search_by_vector_with_relevance_scores(
                vector, k=limit, filter={"doc_id": doc_id} if doc_id else None
            )
        except Exception as err:  # collection dropped by an ingest, server gone or hung: the vectors are in memory
            if not self.chroma_failing:  # once per outage, not once per question
                log.warning("Chroma search failed (%s: %s); searching the vectors loaded at start",
                            type(err).__name__, err)
            self.chroma_failing = True
            self.chroma_retry_at = time.monotonic() + _pause_after(time.monotonic() - started)
            return self.dense_in_memory(vector, limit, doc_id)
        if self.chroma_failing:
            log.warning("Chroma answers again")
            self.chroma_failing = False
        return [Ranked(doc.id, rank, 1.0 - distance) for rank, (doc, distance) in enumerate(found, start=1)]

    def dense_in_memory(self, vector, limit: int, doc_id: str | None = None) -> list[Ranked]:
        """Exact cosine search over the loaded vectors (normalised, so a dot product)."""
        similarities = self.vectors @ np.asarray(vector, dtype=np.float32)
        order = np.argsort(-similarities, kind="stable")
        picked = [i for i in order if doc_id is None or self.chunks[i].doc_id == doc_id][:limit]
        return [Ranked(self.chunks[i].id, rank, float(similarities[i])) for rank, i in enumerate(picked, start=1)]

    def search(self, query: str, k: int | None = None, doc_id: str | None = None, context: str = "") -> list[Hit]:
        """Top-k passages for `query`; `context` (earlier turns of a conversation) joins the search at a lower
        weight, so a follow-up keeps its subject without the earlier question's own ask taking over."""
        k = k or self.settings.k
        limit = max(self.settings.fetch_k, k)
        joined = f"{query} {context}".strip()
        vector = self.embed_query(joined)
        dense = self.dense(joined, limit, doc_id, vector)
        bm25 = self.bm25.scores(joined)
        lexical = self.lexical(joined, limit, doc_id, bm25)
        if self.settings.fusion == "rrf":
            fused = [(chunk_id, score, Signals()) for chunk_id, score in reciprocal_rank_fusion(
                [(dense, self.settings.dense_weight), (lexical, self.settings.lexical_weight)], self.settings.rrf_k
            )]
        else:
            fused = self.score_fusion(query_weights(self.bm25.idf, query, context), bm25, vector, dense, lexical)
        dense_by_id = {r.chunk_id: r for r in dense}
        lexical_by_id = {r.chunk_id: r for r in lexical}
        hits = []
        for chunk_id, score, signals in fused[:k]:
            d, lex = dense_by_id.get(chunk_id), lexical_by_id.get(chunk_id)
            similarity = d.similarity if d else self.similarity(vector, chunk_id)
            hits.append(Hit(self.by_id[chunk_id], score, similarity, d.rank if d else None, lex.rank if lex else None,
                            signals.lexical, signals.coverage, signals.title, signals.names_missed))
        return hits

    def _name_terms(self) -> frozenset[str]:
        """Terms the notes write as names (services, features), minus the few that are everywhere."""
        common = len(self.chunks) * NAME_MAX_SHARE
        document_frequency = self.bm25.postings.document_frequency()
        names = {stem(n) for n in self.speller.names}
        return frozenset(n for n in names if 0 < document_frequency.get(n, 0) <= common)

    def mentions(self, phrase: str) -> bool:
        """Whether one passage says `phrase` (word for word, any case)."""
        wanted = words(phrase)
        if not wanted:
            return False
        needle = f" {' '.join(wanted)} "
        return any(needle in f" {' '.join(words(self.chunks[row].embedding_text()))} "
                   for row in self._rows_with(terms(phrase)))

    def _rows_with(self, wanted_terms: list[str]):
        """Rows whose passage holds every term (all rows when there is none): the only ones a phrase can be in."""
        p = self.bm25.postings
        found = None
        for term in sorted(set(wanted_terms), key=lambda t: self.bm25.idf.get(t, math.inf), reverse=True):
            t = self.bm25.term_ids.get(term)
            if t is None:
                return []
            rows = p.rows[p.starts[t]:p.starts[t + 1]]
            found = rows if found is None else np.intersect1d(found, rows, assume_unique=True)
        return range(len(self.chunks)) if found is None else found.tolist()

    def is_name(self, word: str) -> bool:
        """A word the notes write as a name: capitalised mid-sentence, or an acronym they use ("EMR")."""
        lowered = word.lower()
        return lowered in self.speller.names or (word.isupper() and len(word) >= 2 and self.mentions(word))

    def starts_section(self, chunk: Chunk) -> bool:
        """True for the first passage of its section (where notes define their subject)."""
        return chunk.id in self.section_starts

    def similarity(self, vector, chunk_id: str) -> float:
        return float(self.vectors[self.position[chunk_id]] @ np.asarray(vector))

    def score_fusion(self, weights: dict[str, float], bm25: np.ndarray, vector, dense: list[Ranked],
                     lexical: list[Ranked]) -> list[tuple[str, float, Signals]]:
        top_bm25 = float(bm25.max(initial=0.0)) or 1.0
        similarities = {r.chunk_id: r.similarity for r in dense}
        floor = max(weights.values(), default=0.0) * CONTEXT_WEIGHT  # a name the question itself asks about
        named = {t for t, w in weights.items() if t in self.name_terms and w >= floor}
        s = self.settings
        scored = []
        for chunk_id in dict.fromkeys([r.chunk_id for r in dense] + [r.chunk_id for r in lexical]):
            i = self.position[chunk_id]
            chunk = self.chunks[i]
            passage, title = term_set(chunk.embedding_text()), term_set(" ".join(chunk.section_path))
            similarity = similarities.get(chunk_id)
            if similarity is None:
                similarity = self.similarity(vector, chunk_id)
            signals = Signals(float(bm25[i]) / top_bm25, term_coverage(weights, passage),
                              term_coverage(weights, title), bool(named and not named & (passage | title)))
            score = (
                s.dense_weight * similarity
                + s.lexical_weight * signals.lexical
                + s.coverage_weight * signals.coverage
                + s.title_weight * signals.title
            )
            if signals.names_missed:
                score -= s.name_miss_penalty  # a passage that never names what the question is about
            scored.append((chunk_id, score, signals))
        return sorted(scored, key=lambda item: (-item[1], item[0]))


@dataclass(frozen=True)
class Signals:
    """What the weighted fusion read from one passage; the learned ranker reads it too."""

    lexical: float = 0.0
    coverage: float = 0.0
    title: float = 0.0
    names_missed: bool = False


def _pause_after(failure_took: float) -> float:
    """How long to search in memory before asking a failing Chroma again. A refused connection costs nothing to
    retry, so the next question does; a hung server costs its whole time limit, so the next try waits ten times
    as long as the failed one took (at most RETRY_CAP_SECONDS)."""
    return 0.0 if failure_took < SLOW_FAILURE_SECONDS else min(RETRY_CAP_SECONDS, 10 * failure_took)


def all_name_terms(speller: Speller, lexicon: Lexicon) -> frozenset[str]:
    """Every name the notes use, as search terms: the words they capitalise mid-sentence and their acronyms."""
    return frozenset({stem(n) for n in speller.names} | lexicon.acronyms)


def _section_starts(chunks: list[Chunk]) -> frozenset[str]:
    first: dict[tuple[str, tuple[str, ...]], Chunk] = {}
    for chunk in chunks:
        key = (chunk.doc_id, chunk.section_path)
        if key not in first or chunk.position < first[key].position:
            first[key] = chunk
    return frozenset(c.id for c in first.values())


def hit_to_document(hit: Hit) -> Document:
    chunk = hit.chunk
    metadata = {
        "doc_id": chunk.doc_id,
        "doc_title": chunk.doc_title,
        "section": chunk.section,
        "position": chunk.position,
        "score": hit.score,
        "similarity": hit.similarity,
    }
    return Document(page_content=chunk.text, metadata=metadata, id=chunk.id)


class HybridRetriever(BaseRetriever):
    """LangChain retriever over the hybrid search, optionally limited to one document.

    `k` and the document can also be chosen per call, as LangChain's standard retriever tests expect:
    `retriever.invoke(query, k=1)`, `retriever.invoke(query, doc_id="101")` or `filter={"doc_id": "101"}`.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)
    searcher: HybridSearcher
    k: int = Field(5, gt=0)
    doc_id: str | None = None

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun,
                                k: int | None = None, doc_id: str | None = None,
                                filter: dict | None = None) -> list[Document]:
        count = self.k if k is None else self.positive_count(k)
        document = known_document(self.document_of(doc_id, filter) or self.doc_id, self.searcher.doc_rows)
        return [hit_to_document(h) for h in self.searcher.search(query, count, document)]

    async def _aget_relevant_documents(self, query: str, *, run_manager: AsyncCallbackManagerForRetrieverRun,
                                       **options) -> list[Document]:
        # BaseRetriever's own async path would not pass the per-call options on
        return await run_in_executor(None, self._get_relevant_documents, query, run_manager=run_manager.get_sync(),
                                     **options)

    @staticmethod
    def positive_count(k) -> int:
        if isinstance(k, bool) or not isinstance(k, int) or k < 1:
            raise ValueError(f"k must be a whole number of passages, 1 or more (got {k!r})")
        return k

    @staticmethod
    def document_of(doc_id: str | None, filter: dict | None) -> str | None:
        """The one document a call asks for: `doc_id="101"` or `filter={"doc_id": "101"}` (Chroma's form)."""
        if not filter:
            return doc_id
        if set(filter) != {"doc_id"} or not isinstance(filter["doc_id"], str):
            raise ValueError(f"HybridRetriever filters by one document only, e.g. filter={{'doc_id': '101'}} "
                             f"(got {filter!r})")
        if doc_id is not None and doc_id != filter["doc_id"]:
            raise ValueError(f"doc_id={doc_id!r} and filter={filter!r} ask for different documents")
        return filter["doc_id"]
