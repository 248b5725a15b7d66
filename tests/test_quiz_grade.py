"""Grading: choices by letter, number or text; typed answers tolerant of case, units and spelling."""

import pytest

from bot.quiz.cards import Card
from bot.quiz.deck import QuizInputError
from bot.quiz.grading import AGAIN, GOOD, HARD, MAX_ANSWER_CHARS, choice_index, describe, grade


def card(kind="cloze", family="number", answer="256 KB", accepted=(), choices=()):
    return Card("900-abc", kind, family, "Amazon SQS: Max message size is ____.", answer, accepted, choices,
                "900", "Queue notes", ("Messaging", "Amazon SQS"), f"Max message size is {answer}.")


SIZE = card()
NAME = card(family="service", answer="Amazon Kinesis Data Firehose", accepted=("Kinesis Data Firehose", "KDF"))
CHOICE = card(kind="mcq", family="definition", answer="S3 One Zone-IA",
              choices=("S3 Standard", "S3 One Zone-IA", "S3 Glacier Deep Archive", "S3 Intelligent-Tiering"))


@pytest.mark.parametrize("typed", ["256 KB", "256KB", "256 kb.", "  256   Kilobytes ", "256 KB!", "0.25 MB",
                                   "262144 bytes"])
def test_quantities_match_whatever_the_case_spacing_or_unit_spelling(typed):
    result = grade(SIZE, typed)
    assert (result.correct, result.rating, result.note) == (True, GOOD, "")


@pytest.mark.parametrize("typed", ["256 MB", "265 KB", "25 KB", "1 2 3 256", "two hundred"])
def test_wrong_quantities_are_wrong(typed):
    assert (grade(SIZE, typed).correct, grade(SIZE, typed).rating) == (False, AGAIN)


def test_the_right_number_without_its_unit_is_right_but_hard():
    result = grade(SIZE, "256")
    assert (result.correct, result.rating, result.note) == (True, HARD, "give the unit too: 256 KB")


def test_counted_things_need_no_unit_and_spelled_numbers_count():
    replicas = card(answer="15 read replicas")
    assert grade(replicas, "15").rating == GOOD
    assert grade(card(answer="14 days"), "fourteen days").correct
    assert grade(card(answer="14 days"), "2 weeks").correct


@pytest.mark.parametrize("typed", ["amazon kinesis data firehose", "Kinesis Data Firehose", "kdf", "KDF.",
                                   "AWS Kinesis Data Firehose"])
def test_names_and_their_accepted_variants(typed):
    assert grade(NAME, typed).rating == GOOD and grade(NAME, typed).note == ""


def test_close_spellings_pass_with_a_note_but_different_names_do_not():
    result = grade(NAME, "Kinesis Data Firehos")
    assert result.correct and result.note == "spelled Amazon Kinesis Data Firehose"
    assert not grade(NAME, "Kinesis Data Streams").correct
    sse = card(family="definition", answer="SSE-S3")
    assert not grade(sse, "SSE-S2").correct  # digits must match exactly
    assert not grade(card(family="service", answer="EBS"), "EFS").correct  # too short to guess at


@pytest.mark.parametrize("typed", ["b", "B", "b)", "2", "S3 One Zone-IA", "s3 one zone ia", "One Zone-IA",
                                   "S3 One Zone IA"])
def test_a_choice_by_letter_number_or_text(typed):
    assert choice_index(CHOICE, typed) == 1
    assert grade(CHOICE, typed).correct


def test_a_wrong_choice_names_what_was_picked():
    result = grade(CHOICE, "a")
    assert (result.correct, result.chosen, result.rating) == (False, "S3 Standard", AGAIN)
    assert describe(result) == "Not quite — you chose S3 Standard. The answer is S3 One Zone-IA"


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ("", "Type an answer"),
        ("   \n\t ", "Type an answer"),
        (None, "Type an answer"),
        ("x" * (MAX_ANSWER_CHARS + 1), f"answers are at most {MAX_ANSWER_CHARS}"),
    ],
)
def test_unusable_answers_get_a_clear_message(given, message):
    for target in (SIZE, NAME, CHOICE):
        with pytest.raises(QuizInputError, match=message):
            grade(target, given)


def test_an_unknown_choice_says_what_to_type():
    with pytest.raises(QuizInputError, match=r"Pick one of A/B/C/D"):
        grade(CHOICE, "e")
    with pytest.raises(QuizInputError, match=r"Pick one of A/B/C/D"):
        grade(CHOICE, "S3 Standard-IA Express")
