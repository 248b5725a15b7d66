"""Chat tab: questions in, answers with openable [n] citations out, and the sources of the last answer."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import gradio as gr

from bot.answer.disagree import Disagreement, wanted_kind
from bot.answer.followup import stream_reply
from bot.answer.llm import LLMConfigError
from bot.answer.studybot import StudyBot
from bot.ingest.index import IndexUnavailable
from bot.models import Answer, Chunk, SourceDoc
from bot.search.question import EMPTY_QUESTION, QuestionError, clean_question
from bot.text import breadcrumb
from bot.ui import browse
from bot.ui.context import AppContext, answerer_key
from bot.ui.render import (
    answer_html,
    closest_sections,
    escape,
    notice_html,
    question_html,
    refusal_html,
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
NO_LLM = "none"
NO_LLM_LABEL = "none (extractive, offline)"
ANSWERER_LABEL = "Answerer (none, or type provider:model)"
STATUS_CSS = "div { font-size: .9em; margin: -.3em 0 .4em; } .answerer-ok { color: var(--body-text-color-subdued); }"
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
        label = f"{prefix}{breadcrumb(chunk.doc_title, chunk.section_path)}"
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
    answerer_choice: gr.Dropdown | None = None
    answerer_status: gr.HTML | None = None
    answerer: gr.State | None = None  # the answerer spec of this browser session ("none" or "provider:model")


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
    bot: StudyBot, question: str, conversation: list[tuple[str, str]], doc_choice: str | None,
    known: Sequence[Disagreement] = (),
) -> Iterator[str | Turn]:
    """HTML of the partial reply while a chat model streams, then the finished Turn (always last).

    Follow-ups ("and its max size?") are read against `conversation` before retrieval (bot.answer.followup).
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
    yield finished_turn(bot, question, asked, answer, known)


def finished_turn(bot: StudyBot, question: str, asked: dict, answer: Answer,
                  known: Sequence[Disagreement] = ()) -> Turn:
    standalone = clean_question(question, bot.settings.max_question_chars)
    read_as = answer.question if answer.question != standalone else ""
    if answer.refused:
        content = refusal_html(answer, read_as)
    else:
        content = answer_html(answer, read_as, disagreement_note(answer, known))
    exchange = [("user", standalone), ("assistant", answer.text)]
    return Turn([asked, bot_message(content)], answer, source_links(answer), exchange)


def answer_turn(bot: StudyBot, question: str, doc_choice: str | None, conversation=(),
                known: Sequence[Disagreement] = ()) -> Turn:
    *_, turn = reply_stream(bot, question, list(conversation), doc_choice, known)
    return turn


def disagreement_note(answer: Answer, known: Sequence[Disagreement]) -> str:
    """A line naming a disagreement of the Browse list when the answer quotes one side of it for an amount of
    that kind (unless the answer says already that the notes disagree)."""
    if answer.refused or "The notes disagree" in answer.text:
        return ""
    kind = wanted_kind(answer.question)
    for item in known:
        sides = (item.first, item.second)
        if (kind == item.kind and any(side.amount in answer.text for side in sides)
                and any(item.about(c.text) for c in answer.citations)):
            first, second = (f"{s.amount} in {s.doc_title}" for s in sides)
            return (f"The notes disagree on {item.subject} {item.measure}: {first}, but {second}. "
                    "Browse › Where the notes disagree lists both passages.")
    return ""


def follow_updates(links: list[SourceLink], refused: bool = False) -> tuple[Any, Any]:
    choices = [(link.label, str(i)) for i, link in enumerate(links)]
    label = "Nearest sections" if refused else "Read a source in its full section"
    return gr.Column(visible=bool(links)), gr.Radio(choices, value=choices[0][1] if choices else None, label=label)


def respond(
    bot: StudyBot, question: str, history: list | None, conversation: list | None, doc_choice: str | None,
    known: Sequence[Disagreement] = (),
) -> Iterator[tuple]:
    """Outputs: (question box, chat, sources panel, follow column, link choice, links, conversation).

    A session keeps its last `max_turns` exchanges (and their messages): memory per tab stays bounded however
    long someone studies, and a follow-up only ever needs the last few turns."""
    kept = 2 * max(bot.settings.max_turns - 1, 0)  # entries of earlier exchanges: a user and an answer each
    history, conversation = _last(list(history or []), kept), _last(list(conversation or []), kept)
    keep = (gr.skip(),) * 5
    if not (question or "").strip():
        gr.Info(EMPTY_QUESTION)  # a note that fades, as the CLI prints it; the chat itself stays as it was
        yield "", history, *keep
        return
    asked = user_message(question)
    yield "", history + [asked, PENDING], *keep
    for item in reply_stream(bot, question, conversation, doc_choice, known):
        if isinstance(item, str):
            yield "", history + [asked, bot_message(item)], *keep
            continue
        if item.answer is None:
            yield "", history + item.messages, *keep
            return
        follow = follow_updates(item.links, item.answer.refused)
        yield "", history + item.messages, sources_html(item.answer), *follow, item.links, conversation + item.exchange


def _last(items: list, n: int) -> list:
    return items[len(items) - n:] if n > 0 else []


def answerer_choices(ctx: AppContext) -> list[tuple[str, str]]:
    """'none' and the answerer the app was started with (STUDYBOT_LLM); any other provider:model can be typed."""
    choices = [(NO_LLM_LABEL, NO_LLM)]
    for spec in (ctx.default_answerer, ctx.settings.llm):
        try:
            key = answerer_key(spec)
        except LLMConfigError:
            continue
        if key not in {value for _, value in choices}:
            choices.append((key, key))
    return choices


def answerer_name(spec: str) -> str:
    return "extractive quotes from the notes (offline)" if spec == NO_LLM else spec


def answerer_status_html(message: str, ok: bool = True) -> str:
    return f'<div class="{"answerer-ok" if ok else "error"}">{escape(message)}</div>'


def choose_answerer(ctx: AppContext, choice: str | None, current: str | None) -> tuple[str, Any, str]:
    """The selector: outputs (the session's answerer spec, the selector, the status line).

    A choice that cannot be set up (unknown provider, package not installed, no API key) keeps `current`.
    """
    current = current or ctx.default_answerer
    text = (choice or "").strip()
    text = NO_LLM if text in ("", NO_LLM_LABEL) else text
    try:
        ctx.bot_for(text)
        chosen = answerer_key(text)
    except Exception as err:  # LLMConfigError, or an integration failing its own way: the chat keeps working
        problem = str(err).strip() or type(err).__name__
        if not isinstance(err, LLMConfigError):
            problem = f"cannot set up LLM {text!r}: {problem.splitlines()[0]}"
        message = f"{problem.rstrip('.')}. Still answering with {answerer_name(current)}."
        return current, gr.update(value=current), answerer_status_html(message, ok=False)
    if chosen == NO_LLM:
        message = "Answering with extractive quotes from the notes (offline), in this browser tab."
    else:
        message = (f"Answering with {chosen} in this browser tab; if it fails, the extractive answer is shown "
                   "with a note.")
    return chosen, gr.update(value=chosen), answerer_status_html(message)


def session_bot(ctx: AppContext, spec: str | None) -> StudyBot:
    """The bot of the session's answerer; the app's own bot if it can no longer be set up (replies say which)."""
    try:
        return ctx.bot_for(spec or ctx.default_answerer)
    except Exception:  # e.g. its credentials were removed since it was chosen
        return ctx.bot


def respond_in_session(
    ctx: AppContext, spec: str | None, question: str, history: list | None, conversation: list | None,
    doc_choice: str | None,
) -> Iterator[tuple]:
    """`respond` with the answerer this browser session chose."""
    yield from respond(session_bot(ctx, spec), question, history, conversation, doc_choice,
                       ctx.library.disagreements())


def clear() -> tuple:
    return [], sources_html(None), *follow_updates([]), [], []


def pick_example(event: gr.SelectData) -> str:
    return event.value["text"]


def build(ctx: AppContext) -> ChatView:
    with gr.Row(equal_height=False):
        with gr.Column(scale=3, min_width=420):
            with gr.Row(equal_height=True):
                doc = gr.Dropdown(doc_choices(ctx.library.docs), value=ALL_DOCS, label="Search in",
                                  elem_id="doc-filter", scale=1)
                choice = gr.Dropdown(answerer_choices(ctx), value=ctx.default_answerer, allow_custom_value=True,
                                     label=ANSWERER_LABEL, elem_id="answerer", scale=1)
            status = gr.HTML("", elem_id="answerer-status", css_template=STATUS_CSS)
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
    links, conversation, answerer = gr.State([]), gr.State([]), gr.State(ctx.default_answerer)
    view = ChatView(question, chatbot, sources, follow, link_choice, open_button, links, conversation,
                    choice, status, answerer)

    def on_ask(question_text, history, turns, doc_choice, spec):
        yield from respond_in_session(ctx, spec, question_text, history, turns, doc_choice)

    def on_choose(chosen, current):
        return choose_answerer(ctx, chosen, current)

    # .input, not .change: resetting the selector after a bad choice must not choose again.
    choice.input(on_choose, [choice, answerer], [answerer, choice, status], show_progress="minimal")
    asking = (
        [question, chatbot, conversation, doc, answerer],
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
