"""Hybrid retrieval: dense (Chroma) and lexical (BM25) rankings fused by reciprocal rank."""

from __future__ import annotations

import logging
import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass

import numpy as np
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from bot.models import Chunk, Hit
from bot.query import CONTEXT_WEIGHT, Speller, query_weights
from bot.settings import Settings
from bot.text import question_terms, stem, term_coverage, terms, words

NAME_MAX_SHARE = 0.05  # a "name" in more than this share of passages (Data, AWS) tells nothing


log = logging.getLogger(__name__)


class BM25:
    """Okapi BM25 over an inverted index; small enough to rebuild at start-up in milliseconds."""

    def __init__(self, texts: list[str], k1: float = 1.2, b: float = 0.75):
        self.k1, self.b = k1, b
        self.postings: dict[str, list[tuple[int, int]]] = defaultdict(list)
        self.lengths = []
        for index, text in enumerate(texts):
            counts = Counter(terms(text))
            self.lengths.append(sum(counts.values()))
            for term, count in counts.items():
                self.postings[term].append((index, count))
        self.average = sum(self.lengths) / max(len(self.lengths), 1)
        n = len(texts)
        self.idf = {t: math.log(1 + (n - len(p) + 0.5) / (len(p) + 0.5)) for t, p in self.postings.items()}

    def scores(self, query: str) -> dict[int, float]:
        scores: dict[int, float] = defaultdict(float)
        for term in set(question_terms(query)):
            idf = self.idf.get(term)
            if idf is None:
                continue
            for index, count in self.postings[term]:
                norm = self.k1 * (1 - self.b + self.b * self.lengths[index] / self.average)
                scores[index] += idf * count * (self.k1 + 1) / (count + norm)
        return scores


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
        self.bm25 = BM25([c.embedding_text() for c in self.chunks])
        self.terms = [frozenset(terms(c.embedding_text())) for c in self.chunks]
        self.title_terms = [frozenset(terms(" ".join(c.section_path))) for c in self.chunks]
        self.speller = Speller([c.embedding_text() for c in self.chunks])
        self.name_terms = self._name_terms()
        self.all_name_terms = frozenset({stem(n) for n in self.speller.names} | _acronyms(self.chunks))
        self.vocabulary = frozenset(self.bm25.idf) | self.speller.known  # every word the notes use
        self._corpus_words = " " + " ".join(" ".join(words(c.embedding_text())) for c in self.chunks) + " "
        self.section_starts = _section_starts(self.chunks)
        self.vectors = store.vectors
        self.chroma_failing = False  # searches go to the vectors in memory until Chroma answers again
        self.embed_query = embed_query or store.vectorstore.embeddings.embed_query

    def lexical(self, query: str, limit: int, doc_id: str | None = None) -> list[Ranked]:
        scores = self.bm25.scores(query)
        ranked = sorted(scores.items(), key=lambda pair: (-pair[1], pair[0]))
        ids = [self.chunks[i].id for i, _ in ranked if doc_id is None or self.chunks[i].doc_id == doc_id]
        return [Ranked(chunk_id, rank) for rank, chunk_id in enumerate(ids[:limit], start=1)]

    def dense(self, query: str, limit: int, doc_id: str | None = None, vector=None) -> list[Ranked]:
        vector = self.embed_query(query) if vector is None else vector
        try:
            found = self.store.vectorstore.similarity_search_by_vector_with_relevance_scores(
                vector, k=limit, filter={"doc_id": doc_id} if doc_id else None
            )
        except Exception as err:  # collection dropped by an ingest, server gone: the vectors are in memory too
            if not self.chroma_failing:  # once per outage, not once per question
                log.warning("Chroma search failed (%s: %s); searching the vectors loaded at start",
                            type(err).__name__, err)
            self.chroma_failing = True
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
        lexical = self.lexical(joined, limit, doc_id)
        if self.settings.fusion == "rrf":
            fused = reciprocal_rank_fusion(
                [(dense, self.settings.dense_weight), (lexical, self.settings.lexical_weight)], self.settings.rrf_k
            )
        else:
            fused = self.score_fusion(query_weights(self.bm25.idf, query, context), joined, vector, dense, lexical)
        dense_by_id = {r.chunk_id: r for r in dense}
        lexical_by_id = {r.chunk_id: r for r in lexical}
        hits = []
        for chunk_id, score in fused[:k]:
            d, lex = dense_by_id.get(chunk_id), lexical_by_id.get(chunk_id)
            similarity = d.similarity if d else self.similarity(vector, chunk_id)
            hits.append(Hit(self.by_id[chunk_id], score, similarity, d.rank if d else None, lex.rank if lex else None))
        return hits

    def _name_terms(self) -> frozenset[str]:
        """Terms the notes write as names (services, features), minus the few that are everywhere."""
        common = len(self.chunks) * NAME_MAX_SHARE
        document_frequency = {t: len(p) for t, p in self.bm25.postings.items()}
        names = {stem(n) for n in self.speller.names}
        return frozenset(n for n in names if 0 < document_frequency.get(n, 0) <= common)

    def mentions(self, phrase: str) -> bool:
        """Whether the notes say `phrase` anywhere (word for word, any case)."""
        return f" {' '.join(words(phrase))} " in self._corpus_words

    def is_name(self, word: str) -> bool:
        """A word the notes write as a name: capitalised mid-sentence, or an acronym they use ("EMR")."""
        lowered = word.lower()
        return lowered in self.speller.names or (word.isupper() and len(word) >= 2 and self.mentions(word))

    def starts_section(self, chunk: Chunk) -> bool:
        """True for the first passage of its section (where notes define their subject)."""
        return chunk.id in self.section_starts

    def similarity(self, vector, chunk_id: str) -> float:
        return float(self.vectors[self.position[chunk_id]] @ np.asarray(vector))

    def score_fusion(self, weights: dict[str, float], query: str, vector, dense: list[Ranked],
                     lexical: list[Ranked]) -> list[tuple[str, float]]:
        bm25 = self.bm25.scores(query)
        top_bm25 = max(bm25.values(), default=0.0) or 1.0
        similarities = {r.chunk_id: r.similarity for r in dense}
        floor = max(weights.values(), default=0.0) * CONTEXT_WEIGHT  # a name the question itself asks about
        named = {t for t, w in weights.items() if t in self.name_terms and w >= floor}
        s = self.settings
        scored = []
        for chunk_id in dict.fromkeys([r.chunk_id for r in dense] + [r.chunk_id for r in lexical]):
            i = self.position[chunk_id]
            similarity = similarities.get(chunk_id)
            if similarity is None:
                similarity = self.similarity(vector, chunk_id)
            score = (
                s.dense_weight * similarity
                + s.lexical_weight * bm25.get(i, 0.0) / top_bm25
                + s.coverage_weight * term_coverage(weights, self.terms[i])
                + s.title_weight * term_coverage(weights, self.title_terms[i])
            )
            if named and not named & (self.terms[i] | self.title_terms[i]):
                score -= s.name_miss_penalty  # a passage that never names what the question is about

            scored.append((chunk_id, score))
        return sorted(scored, key=lambda pair: (-pair[1], pair[0]))


def _acronyms(chunks: list[Chunk], at_least: int = 3) -> set[str]:
    """Acronyms the notes use as names (SQS, EMR, KMS), lower case."""
    counts = Counter(m.group(0).lower() for c in chunks for m in re.finditer(r"\b[A-Z][A-Z0-9]{1,5}\b", c.text))
    return {term for term, n in counts.items() if n >= at_least and not term.isdigit()}


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
    """LangChain retriever over the hybrid search, optionally limited to one document."""

    model_config = ConfigDict(arbitrary_types_allowed=True)
    searcher: HybridSearcher
    k: int = 5
    doc_id: str | None = None

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        return [hit_to_document(h) for h in self.searcher.search(query, self.k, self.doc_id)]
