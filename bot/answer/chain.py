"""The study chain as a LangChain Runnable: a typed question (with chat history) in, the cited `Answer` out.

`StudyBot.as_runnable()` returns it. It reads a turn the way the chat does (`bot.answer.followup`: spelling, follow-ups
read with their conversation, a chat model's rewrite kept only when it retrieves as well), and shows LangChain
what happens inside: retrieval and answering are child runs named "retrieve" and "answer", so a tracer (LangSmith,
a callback handler) sees retrieve → answer under the chain's own run. `.stream()` / `.astream()` yield a chat
model's tokens as they arrive, then the checked `Answer`; the extractive answerer yields its `Answer` at once.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator, Mapping
from functools import partial
from typing import Any

from langchain_core.callbacks import AsyncCallbackManagerForChainRun, CallbackManagerForChainRun
from langchain_core.messages import BaseMessage
from langchain_core.runnables import Runnable, RunnableConfig
from langchain_core.runnables.config import run_in_executor
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from typing_extensions import TypedDict  # pydantic needs this one on Python < 3.12

from bot.answer.followup import ConversationBot, Reading, answer_items, retrieve_reading, stream_reply
from bot.models import Answer, Hit
from bot.search.question import QuestionError
from bot.search.retrieve import hit_to_document

RETRIEVE, ANSWER = "retrieve", "answer"  # the child runs' names, as tracers show them
_FINISHED = object()


class ChatTurn(TypedDict):
    """One earlier turn as chat UIs and OpenAI-style APIs keep it."""

    role: str  # "user" or "assistant"
    content: str


class StudyQuestion(BaseModel):
    """The chain's input: one turn of a study conversation."""

    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True, frozen=True)

    question: str = Field(description="The question as typed.")
    history: list[ChatTurn | tuple[str, str] | BaseMessage] = Field(
        default_factory=list,
        description="Earlier turns, oldest first: {'role', 'content'} dicts, (role, text) pairs or LangChain "
                    "messages. A follow-up ('and how long are they kept?') is read with them.")
    doc_id: str | None = Field(None, description="Search only this document of the index (its id in the manifest).")


def study_question(payload: StudyQuestion | Mapping[str, Any] | str | None) -> StudyQuestion:
    """The chain's input from a plain string, a dict or a `StudyQuestion`.

    An empty or missing question is left for `clean_question`, which says what to type; anything else that does
    not fit raises QuestionError saying what the chain takes.
    """
    if isinstance(payload, StudyQuestion):
        return payload
    if payload is None or isinstance(payload, str):
        payload = {"question": payload}
    if not isinstance(payload, Mapping):
        raise QuestionError(f"The study chain takes a question (text) or {{'question', 'history', 'doc_id'}}, "
                            f"not {type(payload).__name__}.")
    try:
        return StudyQuestion.model_validate({**payload, "question": payload.get("question") or ""})
    except ValidationError as err:
        problem = err.errors()[0]
        where = ".".join(str(part) for part in problem["loc"])
        raise QuestionError(f"The study chain takes 'question', 'history' and 'doc_id'; {where}: {problem['msg']}."
                            ) from err


def conversation_turns(history: list[ChatTurn | tuple[str, str] | BaseMessage]) -> list:
    """LangChain messages as the (role, content) turns the conversation layer reads; other turns as they are."""
    return [(_role(item), item.content) if isinstance(item, BaseMessage) else item for item in history]


def _role(message: BaseMessage) -> str:
    return "user" if message.type == "human" else message.type  # "ai" reads as the assistant


class StudyChain(Runnable[StudyQuestion | Mapping[str, Any] | str, Answer]):
    """`bot` as a LangChain Runnable: `.invoke`, `.batch`, `.stream`, `.astream` (and their async forms)."""

    def __init__(self, bot: ConversationBot, k: int | None = None, name: str = "studybot"):
        self.bot = bot
        self.k = k  # passages per answer (None: the settings' k)
        self.name = name

    @property
    def InputType(self) -> type[StudyQuestion]:  # noqa: N802 (LangChain's name)
        return StudyQuestion

    @property
    def OutputType(self) -> type[Answer]:  # noqa: N802 (LangChain's name)
        return Answer

    def invoke(self, input: StudyQuestion | Mapping[str, Any] | str, config: RunnableConfig | None = None,
               **kwargs: Any) -> Answer:
        return self._call_with_config(self._final_answer, input, config, run_type="chain")

    def stream(self, input: StudyQuestion | Mapping[str, Any] | str, config: RunnableConfig | None = None,
               **kwargs: Any) -> Iterator[str | Answer]:
        """The model's tokens (str) as they arrive, then the checked `Answer` (always last)."""
        yield from self._transform_stream_with_config(iter([input]), self._turns, config, run_type="chain")

    async def astream(self, input: StudyQuestion | Mapping[str, Any] | str, config: RunnableConfig | None = None,
                      **kwargs: Any) -> AsyncIterator[str | Answer]:
        async def one_input():
            yield input

        async for item in self._atransform_stream_with_config(one_input(), self._aturns, config, run_type="chain"):
            yield item

    def _final_answer(self, payload, run_manager: CallbackManagerForChainRun) -> Answer:
        *_, answer = self._turn(payload, run_manager)
        return answer

    def _turns(self, inputs: Iterator, run_manager: CallbackManagerForChainRun) -> Iterator[str | Answer]:
        for payload in inputs:
            yield from self._turn(payload, run_manager)

    async def _aturns(self, inputs: AsyncIterator, run_manager: AsyncCallbackManagerForChainRun,
                      config: RunnableConfig) -> AsyncIterator[str | Answer]:
        # Search, embedding and the model's stream block: each step runs in a worker thread, the loop stays free.
        async for payload in inputs:
            items = self._turn(payload, run_manager.get_sync())
            try:
                while (item := await run_in_executor(config, next, items, _FINISHED)) is not _FINISHED:
                    yield item
            finally:  # a consumer that stops early ends the turn (and a model's stream) now, not at garbage collection
                with contextlib.suppress(ValueError):  # cancelled mid-step: still running in its thread, ends there
                    items.close()

    def _turn(self, payload, run: CallbackManagerForChainRun) -> Iterator[str | Answer]:
        """One chat turn as the chat takes it (`bot.answer.followup.stream_reply`), its two steps reported as runs."""
        asked = study_question(payload)
        yield from stream_reply(
            self.bot, asked.question, conversation_turns(asked.history), asked.doc_id, k=self.k,
            retrieve_step=partial(self._retrieve, parent=run), answer_step=partial(self._answer, parent=run))

    @staticmethod
    def _retrieve(bot: ConversationBot, reading: Reading, text: str, turns: list, doc_id: str | None, k: int | None, *,
                  parent: CallbackManagerForChainRun) -> tuple[Reading, list[Hit]]:
        """`retrieve_reading` as a retriever run named "retrieve" (its documents are the passages)."""
        run = parent.get_child().on_retriever_start(None, reading.query, name=RETRIEVE)
        try:
            reading, hits = retrieve_reading(bot, reading, text, turns, doc_id, k)
        except BaseException as err:
            run.on_retriever_error(err)
            raise
        run.on_retriever_end([hit_to_document(h) for h in hits])
        return reading, hits

    @staticmethod
    def _answer(bot: ConversationBot, reading: Reading, hits: list[Hit], rewrite_error: str, *,
                parent: CallbackManagerForChainRun) -> Iterator[str | Answer]:
        """`answer_items` as a chain run named "answer" whose output is the checked `Answer`."""
        run = parent.get_child().on_chain_start(
            None, {"question": reading.query, "context": reading.context, "passages": len(hits)}, name=ANSWER)
        final = None
        try:
            for item in answer_items(bot, reading, hits, rewrite_error):
                final = item if isinstance(item, Answer) else final
                yield item
        except BaseException as err:  # GeneratorExit too: a consumer that stops reading ends the run
            run.on_chain_error(err)
            raise
        run.on_chain_end({"output": final})
