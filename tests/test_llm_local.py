"""The generative path end to end with a real model: SmolLM2-135M-Instruct (the [local] extra's packaged GGUF)
behind llama.cpp's OpenAI-compatible server on 127.0.0.1, through the real langchain-openai client, the real index,
the real retrieval and the real claim checker. A 135M model answers badly: these tests check the path, not the
model's answers (`studybot eval --llm` measures those, see docs/generative-answers.md).
"""

from __future__ import annotations

import subprocess
import sys
import time
from dataclasses import replace

import llama_cpp  # noqa: F401  (the [local] extra: missing must fail, not skip)
import pytest
from conftest import cli_env
from helpers.local_llm import SPEC, LocalServer

from bot.answer.followup import heuristic_read, normalize_history, retrieve_reading, rewriter_for, stream_reply
from bot.answer.studybot import build_answering_with
from bot.answer.support import split_claims
from bot.models import Answer

pytestmark = [pytest.mark.slow, pytest.mark.spawns]  # a real model server and the real index

GENEROUS = dict(llm_timeout=120.0, llm_idle_timeout=60.0)  # a busy 2-core machine: the model is never cut short


def local_bot(real_settings, server, **limits):
    settings = replace(real_settings, llm=SPEC, llm_base_url=server.url, **(GENEROUS | limits))
    return build_answering_with(settings, SPEC)


def reply(bot, question, history=None):
    started = time.perf_counter()
    items = list(stream_reply(bot, question, history))
    assert isinstance(items[-1], Answer)
    return [i for i in items if isinstance(i, str)], items[-1], time.perf_counter() - started


@pytest.fixture(scope="module")
def bot(real_settings, llama_server):
    return local_bot(real_settings, llama_server)


def test_the_model_streams_and_every_sentence_shown_is_supported_by_a_passage_it_cites(bot, llama_server):
    asked = llama_server.completions()
    tokens, answer, _ = reply(bot, "What is the maximum size of a message in Amazon SQS?")
    assert len(tokens) >= 3  # a real stream: the draft arrives piece by piece
    assert llama_server.completions() == asked + 1
    checker, hits = bot.answerer.checker, answer.hits
    if answer.answerer == SPEC:  # the model's checked answer: each sentence shown is supported by what it cites
        for claim in split_claims(answer.text):
            passages = [(hits[n - 1].chunk.section, hits[n - 1].chunk.text) for n in claim.cited]
            assert claim.cited and checker.support(claim.plain, passages).supported, claim.plain
        assert not set(answer.dropped) & {c.plain for c in split_claims(answer.text)}
    else:  # nothing the model wrote survived the check: the extractive answer, with why
        assert answer.answerer == "extractive" and answer.note.endswith("showing the extractive answer")
        assert answer.fallback and answer.citations
    shown = " ".join(c.plain for c in split_claims(answer.text))
    assert all(dropped not in shown for dropped in answer.dropped)


def test_a_question_the_notes_do_not_cover_never_reaches_the_model(bot, llama_server):
    asked = llama_server.completions()
    tokens, answer, _ = reply(bot, "How do I bake sourdough bread at home?")
    assert answer.refused and tokens == []
    assert "the model was not asked" in answer.note
    time.sleep(0.5)  # the access log is written as a request ends
    assert llama_server.completions() == asked


def test_the_models_rewrite_of_a_follow_up_is_used_only_when_it_retrieves_as_well(bot, llama_server):
    history = [("user", "What is the maximum message size in Amazon SQS?"), ("assistant", "256 KB [1]")]
    question, turns = "and how long are messages kept by default?", normalize_history(history)
    asked = llama_server.completions()
    rewriter = rewriter_for(bot)
    reading = rewriter.read(question, turns)
    assert llama_server.completions() == asked + 1  # the real model was asked for a standalone question
    chosen, hits = retrieve_reading(bot, reading, question, turns, None, None)
    heuristic = heuristic_read(question, turns)
    heuristic_hits = bot.retrieve(heuristic.query, None, None, heuristic.context)
    best = max(h.score for h in hits)
    assert best >= max(h.score for h in heuristic_hits)  # never a worse passage than the heuristic reading finds
    if reading.by_model and chosen != reading:  # the rewrite retrieved worse: the heuristic reading took over
        assert chosen == heuristic
    _, answer, _ = reply(bot, question, history)
    assert answer.question in (reading.shown, heuristic.shown)


def test_a_server_killed_mid_answer_gives_the_extractive_answer_with_one_note(real_settings, tmp_path):
    server = LocalServer(tmp_path / "server.log")
    try:
        bot = local_bot(real_settings, server)
        tokens, answer = [], None
        for item in stream_reply(bot, "How long does Kinesis Data Streams keep records by default?"):
            if isinstance(item, Answer):
                answer = item
            else:
                tokens.append(item)
                if len(tokens) == 1:
                    server.kill()  # gone with the answer half written
    finally:
        server.stop()
    assert tokens and answer is not None
    assert answer.answerer == "extractive" and answer.citations and not answer.refused
    assert answer.note.count("LLM openai:smollm2 failed") == 1 and answer.note.endswith("showing the extractive answer")


def test_the_idle_limit_holds_while_a_real_model_reads_its_prompt(real_settings, llama_server):
    bot = local_bot(real_settings, llama_server, llm_idle_timeout=0.3)
    # five passages take the 1-thread model seconds to read before its first token (a question no other test asks:
    # the server keeps the last prompt, which would make the first token quick)
    tokens, answer, seconds = reply(bot, "Which Redshift distribution style copies the whole table to every node?")
    assert tokens == [] and "no reply within 0.3 s (timeout)" in answer.note and answer.answerer == "extractive"
    assert seconds < 5  # the wait ended at the limit, not when the model finished (generous for a loaded machine)


def test_the_total_limit_cuts_a_real_model_off_mid_answer(real_settings, llama_server):
    bot = local_bot(real_settings, llama_server, llm_timeout=4.0, llm_max_tokens=2000)
    tokens, answer, seconds = reply(bot, "Explain every way to encrypt data in Amazon S3 and when to use each.")
    assert "no complete answer within 4 s (total time limit)" in answer.note and answer.answerer == "extractive"
    assert seconds < 12  # 4 s, then the extractive answer; far below the minute 2000 tokens take on 1 thread


def test_the_cli_streams_the_draft_to_stderr_and_prints_the_checked_answer(real_settings, llama_server):
    env = cli_env(real_settings) | {"STUDYBOT_LLM_BASE_URL": llama_server.url, "NO_PROXY": "127.0.0.1",
                                    "STUDYBOT_LLM_TIMEOUT": "120", "STUDYBOT_LLM_IDLE_TIMEOUT": "60"}  # GENEROUS
    env.pop("OPENAI_API_KEY", None)
    asked = llama_server.completions()
    shown = subprocess.run([sys.executable, "-m", "bot.cli", "ask", "--llm", SPEC,
                            "What is the maximum size of a message in Amazon SQS?"],
                           env=env, capture_output=True, text=True, timeout=300)
    assert shown.returncode == 0, shown.stderr[-2000:]
    draft = shown.stderr.split(f"Draft from {SPEC} (being checked against the passages):\n", 1)
    assert len(draft) == 2 and "Checked answer:" in draft[1] and draft[1].split("Checked answer:")[0].strip()
    assert "Sources:" in shown.stdout and "Draft from" not in shown.stdout
    assert llama_server.completions() == asked + 1

