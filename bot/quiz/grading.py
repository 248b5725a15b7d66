"""Grading: multiple choice by letter, number or option text; typed answers by normalised match.

The rating is what the scheduler learns from (FSRS: 1 Again, 2 Hard, 3 Good): a close spelling of the
right name is still Good (spelling is not memory), the right number without its unit is Hard.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.quiz.cards import Card
from bot.quiz.deck import QuizInputError
from bot.quiz.text import name_key, quantities, similar_names

MAX_ANSWER_CHARS = 300
AGAIN, HARD, GOOD = 1, 2, 3
LETTERS = "ABCD"


@dataclass(frozen=True)
class Grade:
    card_id: str
    response: str
    correct: bool
    rating: int  # 1 Again, 2 Hard, 3 Good
    expected: str
    note: str = ""  # why a right answer was not plain right ("spelled …", "give the unit")
    chosen: str = ""  # mcq: the option picked


def clean_response(response: str | None, max_chars: int = MAX_ANSWER_CHARS) -> str:
    text = " ".join(str(response or "").split())
    if not text:
        raise QuizInputError("Type an answer (or skip the card).")
    if len(text) > max_chars:
        raise QuizInputError(f"That answer is {len(text):,} characters long; answers are at most {max_chars}.")
    return text


def grade(card: Card, response: str | None) -> Grade:
    text = clean_response(response)
    if card.kind == "mcq":
        return _grade_choice(card, text)
    if card.family == "number":
        return _grade_quantity(card, text)
    return _grade_name(card, text)


def choice_index(card: Card, text: str) -> int:
    """Which option `text` means: a letter (a-d), a number (1-4) or the option's own text."""
    key = text.strip().strip(".)").upper()
    if len(key) == 1 and key in LETTERS[: len(card.choices)]:
        return LETTERS.index(key)
    if key.isdigit() and 1 <= int(key) <= len(card.choices):
        return int(key) - 1
    typed = set(name_key(text).split())
    exact = [i for i, c in enumerate(card.choices) if name_key(c) == name_key(text)]
    close = [i for i, c in enumerate(card.choices) if similar_names(text, c)]
    within = [i for i, c in enumerate(card.choices) if typed and typed <= set(name_key(c).split())]
    for found in (exact, close, within):  # the first way that singles out one option
        if len(found) == 1:
            return found[0]
    letters = "/".join(LETTERS[: len(card.choices)])
    raise QuizInputError(f"Pick one of {letters} (or type the option's text).")


def _grade_choice(card: Card, text: str) -> Grade:
    chosen = card.choices[choice_index(card, text)]
    right = chosen == card.answer
    return Grade(card.id, text, right, GOOD if right else AGAIN, card.answer, chosen=chosen)


def _grade_quantity(card: Card, text: str) -> Grade:
    expected = quantities(card.answer)[0]
    given = quantities(text)[:2]  # a list of numbers is not an answer
    if any(g.same_as(expected) for g in given):
        return Grade(card.id, text, True, GOOD, card.answer)
    if any(not g.unit and abs(g.value - expected.value) < 1e-9 for g in given):
        if expected.measured:
            return Grade(card.id, text, True, HARD, card.answer, note=f"give the unit too: {card.answer}")
        return Grade(card.id, text, True, GOOD, card.answer)
    return Grade(card.id, text, False, AGAIN, card.answer)


def _grade_name(card: Card, text: str) -> Grade:
    forms = (card.answer, *card.accepted)
    if any(name_key(text) == name_key(f) for f in forms):
        return Grade(card.id, text, True, GOOD, card.answer)
    if any(similar_names(text, f) for f in forms):
        return Grade(card.id, text, True, GOOD, card.answer, note=f"spelled {card.answer}")
    return Grade(card.id, text, False, AGAIN, card.answer)


def describe(grade: Grade) -> str:
    """One line of feedback: right or wrong, and the right answer."""
    if grade.correct:
        head = "Right" if not grade.note else f"Right ({grade.note})"
        return f"{head}: {grade.expected}"
    picked = f" — you chose {grade.chosen}" if grade.chosen else ""
    return f"Not quite{picked}. The answer is {grade.expected}"


def option_lines(card: Card) -> list[str]:
    return [f"{LETTERS[i]}) {choice}" for i, choice in enumerate(card.choices)]


def is_command(text: str, *names: str) -> bool:
    return re.sub(r"\W", "", text.strip().lower()) in names
