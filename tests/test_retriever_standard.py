"""`HybridRetriever` by LangChain's rules: the standard retriever suite of langchain-tests, and per-call options."""

import pytest
from helpers.tiny_index import tiny_index
from langchain_core.documents import Document
from langchain_tests.integration_tests import RetrieversIntegrationTests

from bot.ingest.index import open_store
from bot.search.question import QuestionError
from bot.search.retrieve import HybridRetriever, HybridSearcher

QUESTION = "What is the max SQS message size?"


@pytest.fixture(scope="module")
def searcher(tmp_path_factory) -> HybridSearcher:
    settings = tiny_index(tmp_path_factory.mktemp("tiny"))
    return HybridSearcher(open_store(settings), settings)


class TestHybridRetrieverStandard(RetrieversIntegrationTests):
    """langchain-tests' own tests, unchanged: k in the constructor and per call, invoke and ainvoke."""

    @pytest.fixture(autouse=True)
    def _index(self, searcher):
        self.searcher = searcher  # the suite builds retrievers from properties, which cannot take fixtures

    @property
    def retriever_constructor(self) -> type[HybridRetriever]:
        return HybridRetriever

    @property
    def retriever_constructor_params(self) -> dict:
        return {"searcher": self.searcher, "k": 2}

    @property
    def retriever_query_example(self) -> str:
        return QUESTION


def ids(documents: list[Document]) -> list[str]:
    return [d.id for d in documents]


def test_per_call_k_and_document_do_not_change_the_retriever(searcher):
    retriever = HybridRetriever(searcher=searcher, k=4)
    assert ids(retriever.invoke(QUESTION, k=1)) == [h.chunk.id for h in searcher.search(QUESTION, 1)]
    only = retriever.invoke(QUESTION, doc_id="102")
    assert len(only) == 4 and {d.metadata["doc_id"] for d in only} == {"102"}
    assert ids(retriever.invoke(QUESTION)) == [h.chunk.id for h in searcher.search(QUESTION, 4)]


def test_a_chroma_style_filter_picks_the_document_and_overrides_the_constructors(searcher):
    retriever = HybridRetriever(searcher=searcher, k=2, doc_id="100")
    assert {d.metadata["doc_id"] for d in retriever.invoke(QUESTION)} == {"100"}
    chosen = retriever.invoke(QUESTION, filter={"doc_id": "101"})
    assert ids(chosen) == ids(retriever.invoke(QUESTION, doc_id="101")) == ids(
        HybridRetriever(searcher=searcher, k=2, doc_id="101").invoke(QUESTION))
    assert {d.metadata["doc_id"] for d in chosen} == {"101"}


async def test_async_calls_take_the_same_per_call_options(searcher):
    retriever = HybridRetriever(searcher=searcher)
    found = await retriever.ainvoke(QUESTION, k=3, doc_id="102")
    assert ids(found) == ids(retriever.invoke(QUESTION, k=3, doc_id="102"))
    assert len(found) == 3 and {d.metadata["doc_id"] for d in found} == {"102"}
    batched = await retriever.abatch([QUESTION, "kinesis shard capacity"], k=1)
    assert [len(documents) for documents in batched] == [1, 1]


def test_an_unknown_document_is_an_error_naming_the_known_ones(searcher):
    retriever = HybridRetriever(searcher=searcher)
    for call in (lambda: retriever.invoke(QUESTION, doc_id="999"), lambda: retriever.invoke(QUESTION, filter={
            "doc_id": "999"}), lambda: HybridRetriever(searcher=searcher, doc_id="999").invoke(QUESTION)):
        with pytest.raises(QuestionError, match=r"unknown document '999' in the index; known: 100, 101, 102"):
            call()


@pytest.mark.parametrize("options, message", [
    ({"k": 0}, "k must be a whole number of passages, 1 or more"),
    ({"k": 2.5}, "k must be a whole number"),
    ({"k": True}, "k must be a whole number"),
    ({"filter": {"section": "SQS"}}, "filters by one document only"),
    ({"filter": {"doc_id": {"$in": ["100"]}}}, "filters by one document only"),
    ({"doc_id": "100", "filter": {"doc_id": "101"}}, "ask for different documents"),
])
def test_options_it_cannot_honour_are_refused_not_ignored(searcher, options, message):
    with pytest.raises(ValueError, match=message):
        HybridRetriever(searcher=searcher).invoke(QUESTION, **options)


def test_a_zero_k_is_refused_at_construction(searcher):
    with pytest.raises(ValueError, match="greater than 0"):
        HybridRetriever(searcher=searcher, k=0)
