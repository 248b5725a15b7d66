"""The bot: question in, cited answer out, over one searcher and one answerer (extractive or a chat model)."""

from __future__ import annotations

import time
from dataclasses import replace
from functools import cached_property

from bot.answer.chain import StudyChain
from bot.answer.extractive import Answerer, ExtractiveAnswerer, answer_with
from bot.answer.llm import LLMAnswerer, chat_model, check_spec, make_answerer
from bot.answer.support import SupportChecker
from bot.models import Answer, Hit
from bot.search.query import expansions, intent_of
from bot.search.question import clean_question, known_document
from bot.search.rank import features, shipped_ranker
from bot.settings import Settings


class StudyBot:
    """Question in, cited `Answer` out: the one chain that the UI, the CLI and the evals share."""

    def __init__(self, searcher, answerer: Answerer | None = None, settings: Settings | None = None):
        self.searcher = searcher
        self.settings = settings or searcher.settings
        self.ranker = shipped_ranker() if self.settings.ranker == "learned" else None
        self.ranking_log: list | None = None  # `make train` reads what the ranker sees
        self.answerer = answerer or ExtractiveAnswerer(
            searcher.bm25.idf, self.settings, searcher.starts_section, searcher.mentions, searcher.is_name,
            searcher.all_name_terms)

    @cached_property
    def doc_ids(self) -> frozenset[str]:
        return frozenset(c.doc_id for c in self.searcher.chunks)

    def spelled(self, question: str) -> str:
        """The question with misspelled names fixed against the corpus ("DynamoBD" → "dynamodb")."""
        return self.searcher.speller.correct(question)[0] if self.settings.spelling else question

    def retrieve(self, query: str, doc_id: str | None = None, k: int | None = None, context: str = "") -> list[Hit]:
        """Top passages for `query`; `context` (earlier turns, what abbreviations and everyday words stand for)
        joins the search at a lower weight. The best candidates are re-ranked by their best answer line at a
        hand-set weight, or by the learned ranker with STUDYBOT_RANKER=learned."""
        k = k or self.settings.k
        if doc_id:
            known_document(doc_id, self.doc_ids)
        context = self.context_for(query, context)
        hits = self.searcher.search(query, max(k, self.settings.rerank_k), doc_id, context)
        chooser = getattr(self.answerer, "chooser", None) or getattr(getattr(self.answerer, "fallback", None),
                                                                       "chooser", None)
        if chooser is None or not hits:
            return hits[:k]
        if self.ranker is not None:
            return self.learned_order(self.ranker, chooser, query, context, hits)[:k]
        if self.settings.line_weight == 0:
            return hits[:k]
        lines = chooser.best_unit_scores(query, intent_of(query), hits, context)
        order = sorted(range(len(hits)), key=lambda i: -(hits[i].score + self.settings.line_weight * lines[i]))
        return [replace(hits[i], score=hits[i].score + self.settings.line_weight * lines[i]) for i in order[:k]]

    def learned_order(self, ranker, chooser, query: str, context: str, hits: list[Hit]) -> list[Hit]:
        lines = chooser.best_lines(query, intent_of(query), hits, context)
        rows = features(query, context, hits, lines, self.searcher.bm25.idf, self.searcher.starts_section)
        if self.ranking_log is not None:
            self.ranking_log.append((query, context, hits, rows))
        scores = ranker.scores(rows)
        order = sorted(range(len(hits)), key=lambda i: (-scores[i], i))
        return [replace(hits[i], score=float(scores[i])) for i in order]

    def context_for(self, query: str, context: str = "") -> str:
        extra = expansions(query, self.searcher.vocabulary) if self.settings.expansions else ""
        return " ".join(part for part in (context, extra) if part)

    def ask(self, question: str, doc_id: str | None = None, k: int | None = None) -> Answer:
        started = time.perf_counter()
        query = self.spelled(clean_question(question, self.settings.max_question_chars))
        hits = self.retrieve(query, doc_id, k)
        retrieved = time.perf_counter()
        answer = answer_with(self.answerer, query, hits, self.context_for(query))
        done = time.perf_counter()
        timings = {"retrieve": (retrieved - started) * 1000, "answer": (done - retrieved) * 1000,
                   "total": (done - started) * 1000}
        return replace(answer, timings_ms=timings)

    def as_runnable(self, k: int | None = None):
        """The chain as a LangChain Runnable (`bot.answer.chain.StudyChain`): a plain string or {"question",
        "history"?, "doc_id"?} in, the cited Answer out; `.stream()` yields a chat model's tokens first."""
        return StudyChain(self, k)


def build_bot(settings: Settings | None = None, answerer: Answerer | None = None) -> StudyBot:
    from bot.ingest.index import open_store
    from bot.search.retrieve import HybridSearcher

    settings = settings or Settings.from_env()
    searcher = HybridSearcher(open_store(settings), settings)
    return StudyBot(searcher, answerer)  # StudyBot takes the searcher's settings


def build_answering_with(settings: Settings, spec: str | None):
    """The bot the CLI and the app use: extractive, or answering with `spec` ('provider:model'). A bad spec,
    a missing package or a missing API key fails before the index is opened."""
    model = chat_model(spec, settings) if check_spec(spec or "") is not None else None
    bot = build_bot(settings)
    return bot if model is None else with_llm(bot, spec, model)


def with_llm(bot, spec: str, model=None):
    """A StudyBot answering with `spec` ('none': extractive) that shares `bot`'s index and searcher."""
    current = bot.answerer
    extractive = current.fallback if isinstance(current, LLMAnswerer) else current
    checker = SupportChecker(bot.searcher.embed_documents, bot.searcher.bm25.idf,
                             names=bot.searcher.all_name_terms)
    answerer = make_answerer(spec, bot.settings, fallback=extractive, model=model, checker=checker)
    return StudyBot(bot.searcher, answerer, bot.settings)
