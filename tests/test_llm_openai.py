"""The real langchain-openai client over HTTP against a stub OpenAI-compatible server on 127.0.0.1.

The model comes from the one string ("openai:stub-model" with OPENAI_BASE_URL), exactly as a user sets it up.
"""

import socket
import time
from dataclasses import replace

import langchain_openai  # noqa: F401  (the [openai] extra: missing must fail, not skip)
import pytest
from stub_openai import PASSAGES, StubOpenAI, sample_hits

from bot.answer.llm import LLMAnswerer, make_answerer
from bot.models import Answer
from bot.settings import Settings


@pytest.fixture
def stub(monkeypatch):
    with StubOpenAI() as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.url)
        monkeypatch.delenv("OPENAI_API_KEY", raising=False)
        monkeypatch.delenv("OPENAI_API_BASE", raising=False)
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
        yield server


def openai_answerer(hits, timeout=2.0, total=30.0) -> LLMAnswerer:
    from stub_openai import extractive_for

    settings = Settings.from_env({}, llm_idle_timeout=timeout, llm_timeout=total)
    answerer = make_answerer("openai:stub-model", settings, fallback=extractive_for(hits, settings))
    assert isinstance(answerer, LLMAnswerer)
    return answerer


def run(answerer, question, hits):
    started = time.perf_counter()
    items = list(answerer.stream(question, hits))
    assert isinstance(items[-1], Answer)
    return [i for i in items if isinstance(i, str)], items[-1], time.perf_counter() - started


def test_streams_over_http_and_sends_the_grounded_prompt(stub):
    stub.reply = "Each shard supports 1MB/s input [1]. Data retention is configurable up to 365 days [2]."
    hits = sample_hits(5)
    tokens, answer, _ = run(openai_answerer(hits), "Kinesis shard throughput and retention?", hits)
    assert len(tokens) >= 10 and "".join(tokens) == stub.reply
    assert answer.text == stub.reply and answer.answerer == "openai:stub-model" and not answer.note
    assert [c.marker for c in answer.citations] == [1, 2]
    request = stub.requests[-1]
    assert request["model"] == "stub-model" and request["stream"] is True and request["temperature"] == 0
    system, user = request["messages"]
    assert system["role"] == "system" and "only the numbered passages" in system["content"]
    for number, (section, _) in enumerate(PASSAGES, start=1):
        assert f'<passage n="{number}" source="Doc 100 > {section}">\n' in user["content"]
    assert user["content"].endswith("Question: Kinesis shard throughput and retention?\n"
                                    "Answer from the passages only, with [n] after each claim:")


def test_a_citation_of_passage_9_of_5_is_removed(stub):
    stub.reply = "Messages are kept up to 14 days [3][9]."
    hits = sample_hits(5)
    _, answer, _ = run(openai_answerer(hits), "How long does SQS keep messages?", hits)
    assert answer.text == "Messages are kept up to 14 days [3]."
    assert [c.marker for c in answer.citations] == [3] and answer.citations[0].section == "Messaging > Amazon SQS"
    assert answer.note == "removed [9]: the model was shown only 5 passages"


def test_a_server_error_is_a_message_and_the_extractive_answer(stub):
    stub.mode, stub.status = "error", 500
    hits = sample_hits(5)
    tokens, answer, seconds = run(openai_answerer(hits), "How long does SQS keep messages?", hits)
    assert tokens == []
    assert answer.note == "LLM openai:stub-model failed: server error (HTTP 500) — showing the extractive answer"
    assert answer.answerer == "extractive" and "14 days" in answer.text and len(stub.requests) == 1  # no retries


def test_a_rate_limit_is_a_message(stub):
    stub.mode, stub.status = "error", 429
    hits = sample_hits(5)
    _, answer, _ = run(openai_answerer(hits), "How long does SQS keep messages?", hits)
    assert "rate limited by the provider (HTTP 429)" in answer.note and answer.answerer == "extractive"


def test_a_slow_server_times_out_within_the_configured_timeout(stub):
    stub.mode, stub.delay = "slow", 20.0
    hits = sample_hits(5)
    _, answer, seconds = run(openai_answerer(hits, timeout=0.5), "How long does SQS keep messages?", hits)
    assert seconds < 10  # generous for a loaded machine, far below the server's 20 s: the 0.5 s limit ended it
    assert "timeout" in answer.note and answer.answerer == "extractive" and "14 days" in answer.text


def test_a_stream_that_stalls_midway_times_out_too(stub):
    stub.mode, stub.delay, stub.reply = "stall", 20.0, "Messages are kept up to 14 days [3]."
    hits = sample_hits(5)
    tokens, answer, seconds = run(openai_answerer(hits, timeout=0.5), "How long does SQS keep messages?", hits)
    assert tokens == ["Messages "] and seconds < 10  # far below the 20 s stall (generous for a loaded machine)
    assert "timeout" in answer.note and answer.answerer == "extractive"


def test_a_malformed_response_is_a_message(stub):
    stub.mode = "garbage"
    hits = sample_hits(5)
    _, answer, _ = run(openai_answerer(hits), "How long does SQS keep messages?", hits)
    assert "malformed or unexpected response" in answer.note and answer.answerer == "extractive"


def test_an_unreachable_server_is_a_message(monkeypatch):
    with socket.socket() as probe:  # a port that was free a moment ago: nothing listens there
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("OPENAI_BASE_URL", f"http://127.0.0.1:{port}/v1")
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    hits = sample_hits(5)
    _, answer, seconds = run(openai_answerer(hits), "How long does SQS keep messages?", hits)
    assert seconds < 10  # a refused connection is not retried until some long client timeout (generous bound)
    assert "cannot reach the server" in answer.note and answer.answerer == "extractive"


def test_a_follow_up_on_a_hung_server_waits_one_timeout_not_two(stub):
    from types import SimpleNamespace

    from bot.answer.followup import stream_reply
    from bot.answer.studybot import StudyBot
    from bot.search.query import Speller

    stub.mode, stub.delay = "slow", 20.0
    hits = sample_hits(5)
    answerer = openai_answerer(hits, timeout=0.5)
    searcher = SimpleNamespace(search=lambda query, k, doc_id, context="": hits, speller=Speller([]),
                               vocabulary=frozenset())
    bot = StudyBot(searcher, answerer, replace(answerer.settings, ranker="weights"))  # a searcher without BM25
    history = [("user", "What is the maximum message size in SQS?"), ("assistant", "256 KB [1]")]
    started = time.perf_counter()
    items = list(stream_reply(bot, "and how long are messages kept?", history))
    # one request (the rewrite's) proves the answer's was never sent; the time, far below the server's 20 s,
    # that the rewrite's own limit ended the wait (generous for a loaded machine)
    assert len(stub.requests) == 1 and time.perf_counter() - started < 10
    answer = items[-1]
    assert answer.question == "and how long are messages kept? (about: sqs)"  # the heuristic took over
    assert "timeout" in answer.note and answer.answerer == "extractive" and "14 days" in answer.text


# --- every sentence shown is supported by a passage it cites -------------------------------------------

INVENTED = "Deleted messages go to S3 Glacier for 10 years"


def test_a_mixed_answer_keeps_the_supported_sentence_and_drops_the_invented_one(stub):
    stub.reply = f"Max message size is 256 KB [3]. {INVENTED} [9]."
    hits = sample_hits(5)
    _, answer, _ = run(openai_answerer(hits), "What is the max SQS message size?", hits)
    assert answer.text == "Max message size is 256 KB [3]." and answer.answerer == "openai:stub-model"
    assert "10 years" not in answer.text and answer.dropped == (f"{INVENTED}.",)
    assert "removed 1 sentence no cited passage supports" in answer.note and "removed [9]" in answer.note
    assert [c.marker for c in answer.citations] == [3]


def test_an_invented_claim_cited_to_a_real_passage_is_not_shown(stub):
    stub.reply = "Kinesis keeps data for up to 10 years and costs nothing [2]."
    hits = sample_hits(5)
    _, answer, _ = run(openai_answerer(hits), "How long does Kinesis keep data?", hits)
    assert "10 years" not in answer.text and "costs nothing" not in answer.text
    assert answer.answerer == "extractive" and answer.fallback.startswith("no sentence of the answer")
    assert "365 days" in answer.text  # the extractive answer from the same passages


def test_a_refusal_that_cites_a_passage_is_still_a_refusal(stub):
    stub.reply = "That is not in the study material [1]."
    hits = sample_hits(5)
    _, answer, _ = run(openai_answerer(hits), "How long does Kinesis keep data?", hits)
    assert answer.refused and not answer.citations and answer.answerer == "openai:stub-model"


def test_a_model_that_trickles_tokens_is_cut_off_by_the_total_limit(stub):
    stub.mode, stub.delay, stub.reply = "trickle", 0.9, "Messages are kept up to 14 days by default in SQS [3]."
    hits = sample_hits(5)
    tokens, answer, seconds = run(openai_answerer(hits, timeout=2.0, total=1.0), "How long are messages kept?",
                                  hits)
    # no gap reached the 2 s idle limit; the 1 s total did: a few words of eleven, and far less than the ~10 s the
    # whole trickle takes (generous for a loaded machine)
    assert 0 < len(tokens) < 4 and seconds < 6
    assert "total time limit" in answer.note and answer.answerer == "extractive" and "14 days" in answer.text
