"""Answers on the real corpus and model: disagreements, misspellings, intents, refusals and follow-ups."""

import re

import pytest

from bot.answer.extractive import NOT_IN_MATERIAL
from bot.answer.followup import Reading, ask_in_conversation, heuristic_read

pytestmark = pytest.mark.slow

KINESIS_RETENTION = "How long can data stay in a Kinesis data stream?"
DYNAMODB_ITEM = "What is the max item size in DynamoDB?"


def first_line_citation(answer):
    marker = int(re.search(r"\[(\d+)\]", answer.text.splitlines()[0]).group(1))
    return next(c for c in answer.citations if c.marker == marker)


@pytest.mark.parametrize("question, values", [
    (KINESIS_RETENTION, ("365 days", "7 days")),
    ("What is the default retention period for SQS messages?", ("4 days", "3 days")),
    ("What is the maximum storage size of an Aurora database?", ("64 TB", "128 TB")),
])
def test_the_answer_says_when_the_notes_disagree(real_bot, question, values):
    answer = real_bot.ask(question)
    assert not answer.refused
    disagreement = next(line for line in answer.text.splitlines() if line.startswith("The notes disagree"))
    assert all(value in disagreement for value in values), answer.text
    assert len({c.doc_id for c in answer.citations}) >= 2


def test_a_misspelled_service_is_answered(real_bot):
    answer = real_bot.ask("What is the max item size in DynamoBD?")
    assert not answer.refused
    assert "dynamodb" in answer.question and "DynamoBD" not in answer.question
    assert "400" in answer.text


def test_a_misspelled_feature_finds_its_section(real_bot):
    answer = real_bot.ask("kinesis firehouse buffering")
    assert not answer.refused and answer.question == "kinesis firehose buffering"
    assert any("firehose" in c.section.lower() for c in answer.citations), [c.section for c in answer.citations]


def test_a_list_question_names_the_items(real_bot):
    answer = real_bot.ask("What are the Redshift distribution styles?")
    assert not answer.refused
    assert all(re.search(rf"\b{style}\b", answer.text) for style in ("KEY", "EVEN", "ALL")), answer.text


def test_a_howto_question_gets_the_advice(real_bot):
    answer = real_bot.ask("How can I make Athena queries cheaper?")
    assert not answer.refused
    assert re.search(r"partition|columnar|parquet", answer.text, re.IGNORECASE), answer.text


def test_a_definition_opens_with_the_subjects_own_section(real_bot):
    answer = real_bot.ask("What is Lake Formation used for?")
    assert not answer.refused
    assert "lake formation" in first_line_citation(answer).section.lower()
    assert "data lake" in answer.text.splitlines()[0].lower()


@pytest.mark.parametrize("question", [
    "What is AWS Control Tower Account Factory used for?",
    "How does Amazon Lightsail pricing work?",
])
def test_services_the_notes_never_name_are_refused(real_bot, question):
    answer = real_bot.ask(question)
    assert answer.refused and answer.text == NOT_IN_MATERIAL and not answer.citations


def test_a_turn_refused_as_read_is_judged_with_its_conversation(real_bot):
    """"is it meant for people who write code?" names nothing; read with the earlier turn at a lower weight it covers
    too little of any passage, and the second try, with the conversation's terms counted in full, answers it."""
    from dataclasses import replace

    from bot.answer.followup import reading_with_history
    from bot.answer.studybot import StudyBot

    first = "What is Glue DataBrew?"
    history = [("user", first), ("assistant", real_bot.ask(first).text)]
    question = "is it meant for people who write code?"
    once = StudyBot(real_bot.searcher, real_bot.answerer, replace(real_bot.settings, retry_with_history=False))
    assert ask_in_conversation(once, question, history).refused
    answer = ask_in_conversation(real_bot, question, history)
    assert not answer.refused and "databrew" in answer.text.lower()
    assert reading_with_history(question, history).context == first
    assert reading_with_history(question, []) is None
    never = "What does Amazon Lightsail cost?"  # a service the notes never name stays refused with any history
    assert ask_in_conversation(real_bot, never, history).refused


def test_a_follow_up_keeps_the_earlier_subject(real_bot):
    first = "What is the maximum message size in SQS?"
    history = [("user", first), ("assistant", real_bot.ask(first).text)]
    answer = ask_in_conversation(real_bot, "and how long are messages kept?", history)
    assert not answer.refused
    assert "(about: sqs)" in answer.question
    assert "14 days" in answer.text


def test_an_off_topic_question_after_a_topic_is_refused_as_typed(real_bot):
    first = "What are the Redshift distribution styles?"
    history = [("user", first), ("assistant", real_bot.ask(first).text)]
    answer = ask_in_conversation(real_bot, "Who won the 2018 World Cup?", history)
    assert answer.refused and answer.text == NOT_IN_MATERIAL
    assert answer.question == "Who won the 2018 World Cup?"


def test_a_question_naming_its_own_subject_is_read_unchanged(real_bot):
    history = [("user", KINESIS_RETENTION), ("assistant", real_bot.ask(KINESIS_RETENTION).text)]
    assert heuristic_read(DYNAMODB_ITEM, history) == Reading(DYNAMODB_ITEM)
    answer = ask_in_conversation(real_bot, DYNAMODB_ITEM, history)
    assert not answer.refused and answer.question == DYNAMODB_ITEM
    assert re.search(r"400\s?KB", answer.text), answer.text
    assert "kinesis" not in answer.text.splitlines()[0].lower()


def test_a_worked_example_is_no_disagreement(real_bot):
    answer = real_bot.ask(DYNAMODB_ITEM)
    assert "The notes disagree" not in answer.text, answer.text


def test_an_ordinary_word_is_not_spelled_into_another(real_bot):
    question = "What is AWS Control Tower Account Factory used for?"
    assert real_bot.spelled(question) == question


def test_the_max_message_size_of_sqs_is_answered(real_bot):
    answer = real_bot.ask("What is the maximum message size in SQS?")
    assert re.search(r"256\s?kb", answer.text, re.IGNORECASE), answer.text
