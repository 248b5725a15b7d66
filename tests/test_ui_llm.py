"""The Chat tab's answerer selector, handler-level (no browser): per-session choice, bad specs, the stub server.

The LLM choices talk to tests/stub_openai.py on 127.0.0.1 through the real langchain-openai client, set up
from the one string "openai:stub-model" with OPENAI_BASE_URL, as a user would.
"""

from __future__ import annotations

import html
import importlib.util

import gradio as gr
import langchain_openai  # noqa: F401  (the [openai] extra: missing must fail, not skip)
import pytest
from helpers.ui_corpus import write_ui_corpus
from stub_openai import StubOpenAI

from bot.answer.llm import provider_modules
from bot.answer.studybot import build_bot
from bot.ingest.index import ingest
from bot.settings import Settings
from bot.ui import build_app
from bot.ui.chat import NO_LLM, answerer_choices, choose_answerer, respond_in_session
from bot.ui.context import AppContext, Library

STUB = "openai:stub-model"
QUESTION = "What is the max message size in SQS?"


@pytest.fixture(scope="module")
def settings(tmp_path_factory) -> Settings:
    settings = write_ui_corpus(tmp_path_factory.mktemp("ui-llm"))
    ingest(settings, progress=False)
    return settings


@pytest.fixture(scope="module")
def extractive_bot(settings):
    return build_bot(settings)


@pytest.fixture
def ctx(extractive_bot, settings) -> AppContext:
    """A fresh context per test: its cached bots hold clients made with that test's environment."""
    return AppContext(extractive_bot, settings, Library.from_settings(settings))


@pytest.fixture
def stub(monkeypatch):
    with StubOpenAI() as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.url)
        monkeypatch.setenv("OPENAI_API_KEY", "dummy")
        monkeypatch.delenv("OPENAI_API_BASE", raising=False)
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
        yield server


def chat(ctx: AppContext, spec: str, question: str = QUESTION) -> tuple[list[str], str]:
    """One question in a session whose answerer is `spec`: the streamed partial replies and the final one."""
    updates = list(respond_in_session(ctx, spec, question, [], [], "all"))
    replies = [u[1][-1]["content"] for u in updates[1:]]
    return replies[:-1], replies[-1]


def test_none_is_offered_with_the_configured_model_and_answers_extractively(ctx, settings):
    assert answerer_choices(ctx) == [("none (extractive, offline)", NO_LLM)]
    configured = AppContext(ctx.bot, Settings.from_env({"STUDYBOT_LLM": "ollama:llama3.2"}), ctx.library)
    assert [value for _, value in answerer_choices(configured)] == [NO_LLM, "ollama:llama3.2"]

    spec, selector, status = choose_answerer(ctx, "none (extractive, offline)", STUB)
    assert spec == NO_LLM and selector["value"] == NO_LLM and 'class="answerer-ok"' in status
    assert ctx.bot_for(spec) is ctx.bot
    partials, reply = chat(ctx, spec)
    assert partials == [] and "256 KB" in reply and "extractive answer" in reply and "answered by" not in reply


def test_a_bad_spec_is_a_message_and_the_previous_answerer_stays(ctx, monkeypatch):
    missing = sorted(p for p, m in provider_modules().items() if importlib.util.find_spec(m) is None)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    cases = {"nosuch:model": "unknown LLM provider 'nosuch'", "llama3.2": "must be 'none' or 'provider:model'",
             "openai:gpt-4o-mini": "OPENAI_API_KEY"}
    if missing:
        cases[f"{missing[0]}:some-model"] = "pip install"
    for bad, reason in cases.items():
        spec, selector, status = choose_answerer(ctx, bad, NO_LLM)
        assert spec == NO_LLM and selector["value"] == NO_LLM, bad
        assert status.startswith('<div class="error">') and reason in html.unescape(status), status
        assert "Still answering with extractive quotes from the notes (offline)." in status
    assert set(ctx.bots) == {NO_LLM}  # nothing half-built was kept
    _, reply = chat(ctx, spec)
    assert "256 KB" in reply  # the chat keeps working


def test_markup_in_a_spec_is_shown_as_text(ctx, stub):
    spec, _, status = choose_answerer(ctx, "<b>bad</b>:<img src=x onerror=alert(1)>", NO_LLM)
    assert spec == NO_LLM and "&lt;b&gt;bad&lt;/b&gt;" in status and "<b>" not in status and "<img" not in status
    weird = "openai:<img src=x onerror=alert(1)>"  # a valid provider: the stub answers whatever the model name
    spec, _, status = choose_answerer(ctx, weird, NO_LLM)
    assert spec == weird and "<img" not in status and "&lt;img src=x" in status
    stub.reply = "Max message size is 256 KB [1]."
    _, reply = chat(ctx, spec)
    assert "answered by openai:&lt;img src=x onerror=alert(1)&gt;" in reply and "<img" not in reply


def test_a_model_on_the_stub_server_streams_then_the_checked_answer_says_who_answered(ctx, stub):
    stub.reply = "SQS messages can be <b>256 KB</b> at most [1]."
    spec, selector, status = choose_answerer(ctx, f"  {STUB} ", NO_LLM)
    assert spec == STUB and selector["value"] == STUB and f"Answering with {STUB}" in status
    assert ctx.bot_for(STUB).searcher is ctx.bot.searcher and ctx.bot.answerer.name == "extractive"

    partials, reply = chat(ctx, spec)
    assert len(partials) > 2 and all('class="answer streaming"' in p for p in partials)
    assert "&lt;b&gt;256" in partials[-1] and "<b>" not in partials[-1]
    assert '<details class="cite">' in reply and "at most" in reply and "&lt;b&gt;256 KB&lt;/b&gt;" in reply
    assert f'<div class="answer-note answered-by">answered by {STUB}</div>' in reply
    assert "extractive answer" not in reply
    assert len(stub.requests) == 1 and stub.requests[0]["model"] == "stub-model"


def test_a_failing_model_shows_the_fallback_note_and_the_extractive_answer(ctx, stub):
    stub.mode, stub.status = "error", 500
    spec, *_ = choose_answerer(ctx, STUB, NO_LLM)
    partials, reply = chat(ctx, spec)
    assert partials == [] and "256 KB" in reply and "extractive answer" in reply
    assert f"LLM {STUB} failed: server error (HTTP 500) — showing the extractive answer" in reply
    assert f"answered by {STUB}" not in reply and len(stub.requests) == 1


def test_a_bad_choice_after_a_good_one_keeps_the_good_one(ctx, stub):
    stub.reply = "Max message size is 256 KB [1]."
    spec, *_ = choose_answerer(ctx, STUB, NO_LLM)
    spec, selector, status = choose_answerer(ctx, "nosuch:model", spec)
    assert spec == STUB and selector["value"] == STUB and f"Still answering with {STUB}." in status
    _, reply = chat(ctx, spec)
    assert f"answered by {STUB}" in reply


def test_two_sessions_with_different_answerers_do_not_affect_each_other(ctx, stub):
    stub.reply = "Max message size is 256 KB [1]."
    first, *_ = choose_answerer(ctx, STUB, ctx.default_answerer)
    second, *_ = choose_answerer(ctx, NO_LLM, ctx.default_answerer)
    first_again, *_ = choose_answerer(ctx, "nosuch:model", first)  # a bad choice in one session
    assert (first, second, first_again) == (STUB, NO_LLM, STUB)

    _, in_second = chat(ctx, second)
    _, in_first = chat(ctx, first)
    _, in_second_again = chat(ctx, second)
    assert f"answered by {STUB}" in in_first and len(stub.requests) == 1
    assert "extractive answer" in in_second and "extractive answer" in in_second_again
    assert "answered by" not in in_second + in_second_again
    assert ctx.bot.answerer.name == "extractive" and set(ctx.bots) == {NO_LLM, STUB}  # one bot per spec


def test_the_chat_tab_has_the_selector_and_asks_with_the_session_answerer(extractive_bot, settings):
    app = build_app(extractive_bot, settings)
    selector = next(b for b in app.blocks.values() if isinstance(b, gr.Dropdown) and b.elem_id == "answerer")
    assert selector.allow_custom_value and selector.value == NO_LLM
    state = next(b for b in app.blocks.values() if isinstance(b, gr.State) and b.value == NO_LLM)
    chooses = [d for d in app.fns.values() if any(t[0] == selector._id and t[1] == "input" for t in d.targets)]
    assert len(chooses) == 1 and state._id in [b._id for b in chooses[0].outputs]
    asks = [d for d in app.fns.values() if getattr(d.fn, "__name__", "") == "on_ask"]  # Ask, Enter, examples
    assert len(asks) == 2 and all(state._id in [b._id for b in d.inputs] for d in asks)
    # The wired handlers themselves, as the app calls them: a bad choice, then a question in that session.
    spec, _, status = chooses[0].fn("nosuch:model", NO_LLM)
    assert spec == NO_LLM and 'class="error"' in status
    *_, (box, history, *_) = asks[0].fn(QUESTION, [], [], "all", spec)
    assert box == "" and "256 KB" in history[-1]["content"] and "extractive answer" in history[-1]["content"]
