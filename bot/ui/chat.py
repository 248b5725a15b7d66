"""Chat tab: questions in, answers with openable [n] citations out, and the sources of the last answer."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import gradio as gr

from bot.answer import QuestionError, StudyBot, clean_question
from bot.followup import stream_reply
from bot.index import IndexUnavailable
from bot.models import Answer, Chunk, SourceDoc
from bot.ui import browse
from bot.ui.context import AppContext
from bot.ui.render import (
    PATH_SEPARATOR,
    answer_html,
    closest_sections,
    notice_html,
    question_html,
    refusal_html,
    section_label,
    sources_html,
    streaming_html,
)

TITLE = "Chat"
TAB_ID = "chat"
ALL_DOCS = "all"
SHOWN_QUESTION_CHARS = 600  # a pasted wall of text is echoed shortened
EXAMPLES = (
    "How long can data stay in a Kinesis data stream?",
    "How do Glue job bookmarks work?",
    "Which file formats make Athena queries cheaper?",
    "What does Lake Formation do?",
)
PLACEHOLDER = (
    "**Ask about the study material.** Every answer quotes the cheat sheets; "
    "click a **[1]** to read the passage it came from."
)
PENDING = {"role": "assistant", "content": "", "metadata": {"title": "Searching the study material…",
                                                           "status": "pending"}}


@dataclass(frozen=True)
class SourceLink:
    """A passage the person can follow into the Browse tab."""

    label: str
    doc_id: str
    path: tuple[str, ...]
    text: str

    @classmethod
    def of(cls, chunk: Chunk, prefix: str = "") -> SourceLink:
        label = f"{prefix}{chunk.doc_title}{PATH_SEPARATOR}{section_label(chunk.section_path)}"
        return cls(label, chunk.doc_id, chunk.section_path, chunk.text)


@dataclass(frozen=True)
class Turn:
    """One finished exchange: its chat messages, the answer (None when the question was unusable), what
    the sources panel can open, and the plain-text exchange that later follow-up questions are read against."""

    messages: list[dict]
    answer: Answer | None = None
    links: list[SourceLink] = field(default_factory=list)
    exchange: list[tuple[str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class ChatView:
    question: gr.Textbox
    chatbot: gr.Chatbot
    sources: gr.HTML
    follow: gr.Column
    link_choice: gr.Radio
    open_button: gr.Button
    links: gr.State
    conversation: gr.State


def doc_choices(docs: list[SourceDoc]) -> list[tuple[str, str]]:
    return [("All documents", ALL_DOCS)] + [(d.title, d.doc_id) for d in docs]


def user_message(question: str) -> dict:
    shown = question.strip()
    if len(shown) > SHOWN_QUESTION_CHARS:
        shown = shown[:SHOWN_QUESTION_CHARS] + " …"
    return {"role": "user", "content": question_html(shown)}


def bot_message(content: str) -> dict:
    return {"role": "assistant", "content": content}


def source_links(answer: Answer) -> list[SourceLink]:
    """The cited passages, or for a refusal the nearest sections, as things to open in Browse."""
    if answer.refused:
        return [SourceLink.of(h.chunk) for h in closest_sections(answer.hits)]
    chunks = {h.chunk.id: h.chunk for h in answer.hits}
    return [SourceLink.of(chunks[c.chunk_id], f"[{c.marker}] ") for c in answer.citations if c.chunk_id in chunks]


def reply_stream(
    bot: StudyBot, question: str, conversation: list[tuple[str, str]], doc_choice: str | None
) -> Iterator[str | Turn]:
    """HTML of the partial reply while a chat model streams, then the finished Turn (always last).

    Follow-ups ("and its max size?") are read against `conversation` before retrieval (bot.followup).
    """
    doc_id = None if doc_choice in (None, "", ALL_DOCS) else doc_choice
    asked = user_message(question)
    answer, streamed = None, ""
    try:
        for item in stream_reply(bot, question, conversation, doc_id):
            if isinstance(item, Answer):
                answer = item
            else:
                streamed += item
                yield streaming_html(streamed)
    except QuestionError as err:
        yield Turn([asked, bot_message(notice_html(str(err)))])
        return
    except IndexUnavailable as err:
        yield Turn([asked, bot_message(notice_html(str(err), "error"))])
        return
    yield finished_turn(bot, question, asked, answer)


def finished_turn(bot: StudyBot, question: str, asked: dict, answer: Answer) -> Turn:
    standalone = clean_question(question, bot.settings.max_question_chars)
    read_as = answer.question if answer.question != standalone else ""
    content = refusal_html(answer, read_as) if answer.refused else answer_html(answer, read_as)
    exchange = [("user", standalone), ("assistant", answer.text)]
    return Turn([asked, bot_message(content)], answer, source_links(answer), exchange)


def answer_turn(bot: StudyBot, question: str, doc_choice: str | None, conversation=()) -> Turn:
    *_, turn = reply_stream(bot, question, list(conversation), doc_choice)
    return turn


def follow_updates(links: list[SourceLink], refused: bool = False) -> tuple[Any, Any]:
    choices = [(link.label, str(i)) for i, link in enumerate(links)]
    label = "Nearest sections" if refused else "Read a source in its full section"
    return gr.Column(visible=bool(links)), gr.Radio(choices, value=choices[0][1] if choices else None, label=label)


def respond(
    bot: StudyBot, question: str, history: list | None, conversation: list | None, doc_choice: str | None
) -> Iterator[tuple]:
    """Outputs: (question box, chat, sources panel, follow column, link choice, links, conversation)."""
    history, conversation = list(history or []), list(conversation or [])
    keep = (gr.skip(),) * 5
    if not (question or "").strip():
        yield "", history, *keep
        return
    asked = user_message(question)
    yield "", history + [asked, PENDING], *keep
    for item in reply_stream(bot, question, conversation, doc_choice):
        if isinstance(item, str):
            yield "", history + [asked, bot_message(item)], *keep
            continue
        if item.answer is None:
            yield "", history + item.messages, *keep
            return
        follow = follow_updates(item.links, item.answer.refused)
        yield "", history + item.messages, sources_html(item.answer), *follow, item.links, conversation + item.exchange


def clear() -> tuple:
    return [], sources_html(None), *follow_updates([]), [], []


def pick_example(event: gr.SelectData) -> str:
    return event.value["text"]


def build(ctx: AppContext) -> ChatView:
    with gr.Row(equal_height=False):
        with gr.Column(scale=3, min_width=420):
            doc = gr.Dropdown(doc_choices(ctx.library.docs), value=ALL_DOCS, label="Search in", elem_id="doc-filter")
            chatbot = gr.Chatbot(
                label="Study chat", elem_id="chat", height=560, latex_delimiters=[], buttons=[],
                feedback_options=None, placeholder=PLACEHOLDER, examples=[{"text": q} for q in EXAMPLES],
            )
            with gr.Row():
                question = gr.Textbox(
                    placeholder="Ask about the study material…", show_label=False, container=False, scale=6,
                    max_lines=6, elem_id="question", autofocus=True,
                )
                ask = gr.Button("Ask", variant="primary", scale=1, min_width=80, elem_id="ask")
                new = gr.Button("Clear", scale=1, min_width=80, elem_id="clear")
        with gr.Column(scale=2, min_width=300):
            sources = gr.HTML(sources_html(None), elem_id="sources", padding=True)
            with gr.Column(visible=False) as follow:
                link_choice = gr.Radio([], label="Read a source in its full section", elem_id="source-choice")
                open_button = gr.Button("Open in Browse", elem_id="open-in-browse")
    links, conversation = gr.State([]), gr.State([])
    view = ChatView(question, chatbot, sources, follow, link_choice, open_button, links, conversation)

    def on_ask(question_text, history, turns, doc_choice):
        yield from respond(ctx.bot, question_text, history, turns, doc_choice)

    asking = (
        [question, chatbot, conversation, doc],
        [question, chatbot, sources, follow, link_choice, links, conversation],
    )
    gr.on([question.submit, ask.click], on_ask, *asking, show_progress="hidden")
    chatbot.example_select(pick_example, None, question, queue=False).then(on_ask, *asking, show_progress="hidden")
    clearing = [chatbot, sources, follow, link_choice, links, conversation]
    gr.on([new.click, chatbot.clear], clear, None, clearing, queue=False, show_progress="hidden")
    return view


def wire(ctx: AppContext) -> None:
    """Open in Browse: show the chosen source in its section, highlighted, and switch to that tab."""
    target = ctx.views.get(browse.TAB_ID)
    if target is None:
        return
    view: ChatView = ctx.views[TAB_ID]

    def open_link(choice: str | None, links: list[SourceLink]):
        if choice is None or not links:
            return gr.skip(), gr.skip(), gr.skip(), gr.skip()
        link = links[int(choice)]
        return *browse.open_at(ctx.library, link.doc_id, link.path, link.text), gr.Tabs(selected=browse.TAB_ID)

    view.open_button.click(
        open_link, [view.link_choice, view.links], [target.doc, target.tree, target.text, ctx.tabs],
        show_progress="hidden",
    )
