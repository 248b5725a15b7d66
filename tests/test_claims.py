"""A model's answer is shown only sentence by sentence as its cited passages support it, and a refused question,
a bad rewrite or a missing API key never gets as far as the model or the index."""

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import cli_env
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from stub_openai import StubOpenAI, extractive_for, sample_hits

from bot.answer.followup import ask_in_conversation
from bot.answer.llm import LLMAnswerer
from bot.answer.studybot import build_bot
from bot.answer.support import (
    Claim,
    SupportChecker,
    check_citations,
    join_claims,
    numbers_in,
    says_not_covered,
    split_claims,
)
from bot.ingest.embed import embeddings
from bot.ingest.index import ingest
from bot.settings import ROOT, Settings

SQS = ("Messaging > Amazon SQS", "Max message size is 256 KB.\nMessages are kept for 4 days by default, up to 14 days.")


@pytest.fixture(scope="module")
def checker():
    settings = Settings.from_env({})
    return SupportChecker(embeddings(settings).embed_documents, {})


def test_an_answer_splits_into_sentences_with_their_markers():
    claims = split_claims("Max size is 256 KB [1]. Retention is 4 days by default [2][3].\n- Up to 14 days. [2]")
    assert [(c.text, c.cited, c.line) for c in claims] == [
        ("Max size is 256 KB [1].", (1,), 0), ("Retention is 4 days by default [2][3].", (2, 3), 0),
        ("- Up to 14 days. [2]", (2,), 1)]
    assert claims[1].plain == "Retention is 4 days by default."
    assert join_claims([claims[0], claims[2]]) == "Max size is 256 KB [1].\n- Up to 14 days. [2]"
    assert [c.text for c in split_claims("It holds 99.99% of e.g. logs [1]. Done [1].")] == [
        "It holds 99.99% of e.g. logs [1].", "Done [1]."]


@pytest.mark.parametrize("reply", [
    "That is not in the study material [1].", "The passages do not mention Route 53 pricing.",
    "I could not find this in the notes.", "The notes don't cover Control Tower [2]."])
def test_refusals_in_any_wording_are_recognised(reply):
    assert says_not_covered(reply)


@pytest.mark.parametrize("reply", ["Compute Savings Plans do not cover RDS instances [1].",
                                   "A Glacier vault does not contain folders [2]."])
def test_a_fact_worded_with_does_not_cover_is_no_refusal(reply):
    assert not says_not_covered(reply)


def test_numbers_are_compared_as_numbers_not_as_names():
    assert numbers_in("six copies, 1,000 records and 2.5 GB in S3 on EC2") == {"6", "1000", "2.5"}


@pytest.mark.parametrize("sentence, supported", [
    ("SQS messages can be at most 256 KB.", True),  # a paraphrase with the passage's number
    ("Messages stay 4 days unless configured, and at most 14 days.", True),
    ("Max message size is 512 KB.", False),  # a number the passage does not give
    ("Max message size in SNS is 256 KB.", False),  # a name the passage does not use
    ("Messages are not kept for 4 days by default.", False),  # a negation the passage does not make
    ("Deleted messages go to S3 Glacier for 10 years.", False),  # nothing of it is there
    ("SNS messages can be at most 256 KB.", False),  # a service name as the first word counts too
])
def test_the_checker_judges_support_against_the_cited_passage(checker, sentence, supported):
    assert checker.support(sentence, [SQS]).supported is supported


def test_a_negated_passage_does_not_support_the_positive_claim(checker):
    passage = ("Amazon S3 Glacier", "Glacier does not support instant retrieval.\nRetrievals take minutes to hours.")
    assert not checker.support("Glacier supports instant retrieval.", [passage]).supported
    assert checker.support("Glacier can’t do instant retrieval.", [passage]).supported  # a curly apostrophe


def test_a_failing_check_falls_back_instead_of_leaving_the_draft():
    hits = sample_hits(5)
    settings = Settings.from_env({})

    def broken(texts):
        raise RuntimeError("embedding service gone")

    answerer = LLMAnswerer(GenericFakeChatModel(messages=iter(["Max message size is 256 KB [3]."])), "fake:model",
                           settings, extractive_for(hits, settings), SupportChecker(broken, {}))
    final = list(answerer.stream("What is the max SQS message size?", hits))[-1]
    assert final.answerer == "extractive" and "checking the answer of fake:model failed" in final.fallback


def test_a_question_the_extractive_checks_refuse_never_reaches_the_model():
    hits = sample_hits(5)
    model = GenericFakeChatModel(messages=iter(["Account Factory provisions accounts [1]."]))
    settings = Settings.from_env({})
    answerer = LLMAnswerer(model, "fake:model", settings, extractive_for(hits, settings))
    items = list(answerer.stream("What is the Account Factory in AWS Control Tower used for?", hits))
    assert len(items) == 1 and items[0].refused and items[0].answerer == "extractive"
    assert "model was not asked" in items[0].note
    assert next(model.messages) == "Account Factory provisions accounts [1]."  # still unread: no call was made


@pytest.fixture
def tiny_bot(tiny_settings):
    ingest(tiny_settings, progress=False)
    return build_bot(tiny_settings)


HISTORY = [("user", "What is the max message size in SQS?"), ("assistant", "256 KB [1]")]


@pytest.mark.parametrize("rewrite", ["I could not find this in the study material.", "Tell me about baking bread."])
def test_a_rewrite_that_refuses_or_retrieves_worse_is_not_used(tiny_bot, rewrite):
    model = GenericFakeChatModel(messages=iter([rewrite, "Messages are kept for 4 days by default [1]."]))
    tiny_bot.answerer = LLMAnswerer(model, "fake:model", tiny_bot.settings, tiny_bot.answerer)
    answer = ask_in_conversation(tiny_bot, "and how long are messages kept?", HISTORY)
    assert answer.question == "and how long are messages kept? (about: sqs)"  # the heuristic reading
    assert answer.hits[0].chunk.section == "Messaging > Amazon SQS"


def _stub_env(settings, server):
    return cli_env(settings) | {"OPENAI_BASE_URL": server.url, "NO_PROXY": "127.0.0.1", "OPENAI_API_KEY": "dummy"}


@pytest.mark.spawns
def test_the_cli_marks_the_draft_on_stderr_and_prints_only_checked_sentences(tiny_settings):
    ingest(tiny_settings, progress=False)
    reply = "Max message size is 256 KB [1]. Deleted messages go to S3 Glacier for 10 years [9]."
    question = ["ask", "--llm", "openai:stub-model", "What is the max message size in SQS?"]
    with StubOpenAI(reply=reply) as server:
        env = _stub_env(tiny_settings, server)
        shown = subprocess.run([sys.executable, "-m", "bot.cli", *question], env=env, capture_output=True,
                               text=True, timeout=300)
        as_json = subprocess.run([sys.executable, "-m", "bot.cli", *question, "--json"], env=env,
                                 capture_output=True, text=True, timeout=300)
    assert shown.returncode == 0, shown.stderr[-2000:]
    assert "Draft from openai:stub-model (being checked against the passages):\n" in shown.stderr
    assert "10 years" in shown.stderr and shown.stderr.rstrip().endswith("Checked answer:")  # the marked draft
    checked = shown.stdout
    assert checked.startswith("Max message size is 256 KB [1].\n") and "10 years" not in checked
    assert "removed 1 sentence no cited passage supports" in checked and "Sources:" in checked
    answer = json.loads(as_json.stdout)
    assert answer["answer"] == "Max message size is 256 KB [1]." and "10 years" not in answer["answer"]
    assert answer["dropped_sentences"] == 1 and "Glacier" not in as_json.stdout


@pytest.mark.spawns
def test_a_missing_api_key_is_reported_before_the_index_is_looked_at(tmp_path):
    settings = Settings.from_env({}, index_dir=tmp_path / "no-index-here")
    env = {k: v for k, v in cli_env(settings).items() if not k.startswith("OPENAI_")}
    done = subprocess.run([sys.executable, "-m", "bot.cli", "ask", "--llm", "openai:gpt-4o-mini", "What is SQS?"],
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "OPENAI_API_KEY" in done.stderr and "no index" not in done.stderr
    assert not (tmp_path / "no-index-here").exists()


def test_the_answerers_do_not_import_the_conversation_layer():
    """bot.answer.followup (rewrites, chat turns) sits above both answerers; neither imports it back."""
    for module in ("llm", "extractive", "support", "prompt"):
        tree = ast.parse(Path(ROOT / "bot" / "answer" / f"{module}.py").read_text())
        imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
        imported |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        assert "bot.answer.followup" not in imported, module


def test_the_app_shows_only_the_checked_sentences(tmp_path, monkeypatch):
    from helpers.ui_corpus import write_ui_corpus

    from bot.ui.chat import respond_in_session
    from bot.ui.context import AppContext, Library

    settings = write_ui_corpus(tmp_path)
    ingest(settings, progress=False)
    reply = "Max message size is 256 KB [1]. Deleted messages go to S3 Glacier for 10 years [9]."
    with StubOpenAI(reply=reply) as server:
        for name, value in {"OPENAI_BASE_URL": server.url, "OPENAI_API_KEY": "dummy", "NO_PROXY": "127.0.0.1"}.items():
            monkeypatch.setenv(name, value)
        ctx = AppContext(build_bot(settings), settings, Library.from_settings(settings))
        updates = list(respond_in_session(ctx, "openai:stub-model", "What is the max message size in SQS?", [], [],
                                          "all"))
    drafts, final = [u[1][-1]["content"] for u in updates[1:-1]], updates[-1][1][-1]["content"]
    assert drafts and all("draft — being checked against the passages" in d for d in drafts)
    answer_part = final.split('<div class="answer-note')[0]
    assert "256 KB" in answer_part and "10 years" not in answer_part
    assert "removed 1 sentence no cited passage supports" in final and "answered by openai:stub-model" in final


@pytest.mark.parametrize(("written", "numbers"), [
    ("[6-8]", (6, 7, 8)),  # a range is expanded whatever its numbers add up to
    ("[3-1]", (3, 1)),  # backwards: two markers, not an empty range
    ("[1-11]", tuple(range(1, 12))),  # ten apart: still a range
    ("[1-12]", (1, 12)),  # further apart: two markers (a year, a size), not eleven
])
def test_marker_ranges_expand_only_forwards_and_up_to_ten_apart(written, numbers):
    assert check_citations(f"Fact {written}.", 12).valid == numbers


def test_refusals_with_a_typographic_apostrophe_are_recognised():
    assert says_not_covered("I couldn’t find that in the notes.")
    assert says_not_covered("The passages don’t mention it.")


def test_a_line_of_bare_markers_is_no_claim():
    assert split_claims("SQS holds 256 KB [1].\n[2]") == [Claim("SQS holds 256 KB [1].", (1,), 0)]
