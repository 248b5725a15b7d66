"""The study chain from LangChain's side: typed input, invoke/batch/stream/astream, named child runs in callbacks.

The chat model is LangChain's fake (the network edge); everything else is the real bot over the tiny index.
"""

import pytest
from helpers.tiny_index import tiny_index
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, HumanMessage
from langchain_core.runnables import RunnableLambda

from bot.answer.chain import StudyChain, StudyQuestion
from bot.answer.followup import ask_in_conversation
from bot.answer.studybot import build_bot, with_llm
from bot.models import Answer
from bot.search.question import QuestionError

SQS = "What is the max message size in SQS?"
FOLLOW_UP = "and how long are messages kept?"
HISTORY = [{"role": "user", "content": SQS}, {"role": "assistant", "content": "256 KB [1]"}]
REPLY = "Messages are kept for 4 days by default, up to 14 days [1]."


@pytest.fixture(scope="module")
def bot(tmp_path_factory):
    return build_bot(tiny_index(tmp_path_factory.mktemp("tiny")))


def llm_bot(bot, *replies: str):
    """The same bot answering with LangChain's fake chat model, which replies `replies` in turn."""
    return with_llm(bot, "fake:model", GenericFakeChatModel(messages=iter(replies)))


class RunRecorder(BaseCallbackHandler):
    """Records every run start and end LangChain reports, in order, as a tracer would see them."""

    def __init__(self):
        self.events: list[tuple] = []

    def on_chain_start(self, serialized, inputs, *, run_id, parent_run_id=None, **kwargs):
        self.events.append(("start", kwargs["name"], "chain", run_id, parent_run_id, kwargs.get("tags")))

    def on_retriever_start(self, serialized, query, *, run_id, parent_run_id=None, **kwargs):
        self.events.append(("start", kwargs["name"], "retriever", run_id, parent_run_id, kwargs.get("tags")))

    def on_chain_end(self, outputs, *, run_id, **kwargs):
        self.events.append(("end", outputs, run_id))

    def on_retriever_end(self, documents, *, run_id, **kwargs):
        self.events.append(("end", documents, run_id))

    def on_chain_error(self, error, *, run_id, **kwargs):
        self.events.append(("error", error, run_id))

    def on_retriever_error(self, error, *, run_id, **kwargs):
        self.events.append(("error", error, run_id))

    def started(self, name: str) -> tuple:
        return next(e for e in self.events if e[0] == "start" and e[1] == name)

    def outcome(self, run_id) -> tuple:
        return next(e for e in self.events if e[0] != "start" and e[2] == run_id)

    def children(self, parent_id) -> list[tuple[str, str]]:
        return [(e[1], e[2]) for e in self.events if e[0] == "start" and e[4] == parent_id]

    def order(self) -> list[tuple[str, str]]:
        names = {e[3]: e[1] for e in self.events if e[0] == "start"}
        return [(e[0], e[1] if e[0] == "start" else names[e[2]]) for e in self.events]


def same_answer(a: Answer, b: Answer) -> bool:
    return (a.question, a.text, a.citations, a.refused, a.answerer, [h.chunk.id for h in a.hits]) == (
        b.question, b.text, b.citations, b.refused, b.answerer, [h.chunk.id for h in b.hits])


def test_the_input_is_typed_and_the_output_is_the_answer(bot):
    chain = bot.as_runnable()
    assert isinstance(chain, StudyChain) and chain.get_name() == "studybot"
    schema = chain.get_input_schema().model_json_schema()
    assert set(schema["properties"]) == {"question", "history", "doc_id"} and schema["required"] == ["question"]
    assert chain.get_input_schema() is StudyQuestion and chain.OutputType is Answer
    typed = chain.invoke(StudyQuestion(question=FOLLOW_UP, history=HISTORY, doc_id="100"))
    assert typed.question == f"{FOLLOW_UP} (about: sqs)" and "14 days" in typed.text


def test_it_answers_as_the_conversation_layer_does(bot):
    chain = bot.as_runnable()
    assert same_answer(chain.invoke({"question": FOLLOW_UP, "history": HISTORY}),
                       ask_in_conversation(bot, FOLLOW_UP, HISTORY))
    alone = chain.invoke(SQS)
    assert same_answer(alone, ask_in_conversation(bot, SQS)) and alone.text == bot.ask(SQS).text
    assert set(alone.timings_ms) == {"rewrite", "retrieve", "answer", "total"}


def test_a_model_rewrite_and_answer_match_the_conversation_layer(bot):
    replies = ("How long does SQS keep messages?", REPLY)
    answer = llm_bot(bot, *replies).as_runnable().invoke({"question": "and how long are they kept?",
                                                          "history": HISTORY})
    assert answer.question == "How long does SQS keep messages?" and answer.answerer == "fake:model"
    assert answer.text == REPLY and answer.citations[0].doc_id == "100"
    assert same_answer(answer, ask_in_conversation(llm_bot(bot, *replies), "and how long are they kept?", HISTORY))


def test_history_as_langchain_messages_or_pairs_reads_like_role_dicts(bot):
    chain = bot.as_runnable()
    expected = chain.invoke({"question": FOLLOW_UP, "history": HISTORY})
    for history in ([HumanMessage(SQS), AIMessage("256 KB [1]")], [("user", SQS), ("assistant", "256 KB [1]")]):
        assert same_answer(chain.invoke({"question": FOLLOW_UP, "history": history}), expected)


def test_the_number_of_passages_can_be_set_for_the_chain(bot):
    assert len(bot.as_runnable(k=2).invoke(SQS).hits) == 2
    assert len(bot.as_runnable().invoke(SQS).hits) == bot.settings.k


def test_batch_gives_what_invoke_gives(bot):
    chain = bot.as_runnable()
    inputs = [SQS, {"question": "kinesis shard capacity", "doc_id": "101"}, {"question": FOLLOW_UP,
                                                                           "history": HISTORY}]
    for batched, one in zip(chain.batch(inputs), [chain.invoke(i) for i in inputs], strict=True):
        assert same_answer(batched, one)


def test_doc_id_keeps_to_one_document_and_an_unknown_one_says_which_exist(bot):
    chain = bot.as_runnable()
    answer = chain.invoke({"question": "kinesis shard capacity", "doc_id": "101"})
    assert answer.hits and {h.chunk.doc_id for h in answer.hits} == {"101"}
    with pytest.raises(QuestionError, match="unknown document '999' in the index; known: 100, 101, 102"):
        chain.invoke({"question": SQS, "doc_id": "999"})


@pytest.mark.parametrize("payload, message", [
    ("", "type a question"), ("  \n ", "type a question"), (None, "type a question"), ({}, "type a question"),
    ({"question": None}, "type a question"), ({"question": "x" * 3000}, "3,000 characters"),
    ({"query": SQS}, "'question', 'history' and 'doc_id'; query: Extra inputs are not permitted"),
    ({"question": SQS, "history": "earlier"}, "history: Input should be a valid list"),
    (42, "not int"),
])
def test_input_it_cannot_read_raises_the_bots_clear_errors(bot, payload, message):
    chain = bot.as_runnable()
    with pytest.raises(QuestionError, match=message):
        chain.invoke(payload)
    with pytest.raises(QuestionError, match=message):
        next(chain.stream(payload))


def test_the_extractive_answerer_streams_its_answer_at_once(bot):
    items = list(bot.as_runnable().stream(SQS))
    assert len(items) == 1 and isinstance(items[0], Answer) and "256 KB" in items[0].text


def test_a_chat_model_streams_its_tokens_then_the_checked_answer(bot):
    items = list(llm_bot(bot, REPLY).as_runnable().stream({"question": "How long does SQS keep messages?"}))
    tokens, answer = items[:-1], items[-1]
    assert len(tokens) > 1 and all(isinstance(t, str) for t in tokens) and "".join(tokens) == REPLY
    assert isinstance(answer, Answer) and answer.answerer == "fake:model" and answer.text == REPLY
    assert answer.citations and answer.citations[0].section == "Messaging > Amazon SQS"


def test_an_unsupported_model_answer_streams_its_draft_then_the_extractive_answer(bot):
    draft = "SQS keeps messages for 90 years [1]."
    *tokens, answer = llm_bot(bot, draft).as_runnable().stream("How long does SQS keep messages?")
    assert "".join(tokens) == draft and answer.answerer == "extractive" and "90 years" not in answer.text
    assert answer.fallback and "14 days" in answer.text


async def test_astream_ainvoke_and_abatch_work_from_async_code(bot):
    question = {"question": "How long does SQS keep messages?"}
    items = [item async for item in llm_bot(bot, REPLY).as_runnable().astream(question)]
    assert "".join(items[:-1]) == REPLY and isinstance(items[-1], Answer) and items[-1].text == REPLY
    chain = bot.as_runnable()
    streamed = [item async for item in chain.astream(SQS)]
    assert len(streamed) == 1 and same_answer(streamed[0], chain.invoke(SQS))
    assert same_answer(await chain.ainvoke(SQS), chain.invoke(SQS))
    batched = await chain.abatch([SQS, {"question": FOLLOW_UP, "history": HISTORY}])
    assert "256 KB" in batched[0].text and "14 days" in batched[1].text


@pytest.mark.parametrize("call", ["invoke", "stream", "astream"])
async def test_retrieval_then_answering_show_as_named_child_runs(bot, call):
    recorder = RunRecorder()
    chain = llm_bot(bot, REPLY).as_runnable()
    config = {"callbacks": [recorder], "tags": ["my-app"]}
    question = {"question": "How long does SQS keep messages?"}
    if call == "invoke":
        answer = chain.invoke(question, config)
    elif call == "stream":
        *_, answer = chain.stream(question, config)
    else:
        answer = [item async for item in chain.astream(question, config)][-1]
    root = recorder.started("studybot")
    assert root[4] is None and recorder.children(root[3]) == [("retrieve", "retriever"), ("answer", "chain")]
    assert recorder.order() == [("start", "studybot"), ("start", "retrieve"), ("end", "retrieve"),
                                ("start", "answer"), ("end", "answer"), ("end", "studybot")]
    retrieved = recorder.outcome(recorder.started("retrieve")[3])[1]
    assert [d.id for d in retrieved] == [h.chunk.id for h in answer.hits]
    assert recorder.outcome(recorder.started("answer")[3])[1]["output"].text == answer.text == REPLY
    assert all("my-app" in recorder.started(name)[5] for name in ("retrieve", "answer"))  # the caller's tags reach them


def test_a_failing_retrieval_ends_its_run_with_the_error_and_nothing_is_answered(bot):
    recorder = RunRecorder()
    with pytest.raises(QuestionError):
        bot.as_runnable().invoke({"question": SQS, "doc_id": "999"}, {"callbacks": [recorder]})
    assert recorder.order() == [("start", "studybot"), ("start", "retrieve"), ("error", "retrieve"),
                                ("error", "studybot")]


def test_it_composes_with_other_runnables(bot):
    ask_about_slides = RunnableLambda(lambda text: {"question": text, "doc_id": "101"})
    pipeline = ask_about_slides | bot.as_runnable() | RunnableLambda(lambda answer: answer.citations[0].doc_id)
    assert pipeline.invoke("kinesis shard capacity") == "101"
    streamed = list((ask_about_slides | llm_bot(bot, "Each shard gets 1MB/s in [1].").as_runnable()).stream(
        "kinesis shard capacity"))
    assert "".join(streamed[:-1]) == "Each shard gets 1MB/s in [1]." and streamed[-1].citations[0].doc_id == "101"
