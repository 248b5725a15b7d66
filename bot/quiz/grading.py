"""Grading: multiple choice by letter, number or option text; typed answers by normalised match.

The rating is what the scheduler learns from (FSRS: 1 Again, 2 Hard, 3 Good): a close spelling of the
right name is still Good (spelling is not memory), the right number without its unit is Hard.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from bot.amounts import Amount, amounts, spelled_amounts
from bot.quiz.cards import Card
from bot.quiz.choices import term_variants
from bot.quiz.deck import QuizInputError
from bot.quiz.kinds import CATALOGUE, mentions
from bot.quiz.show import LETTERS
from bot.quiz.text import GENERIC_WORDS, name_key, similar_names
from bot.search.query import load_aliases

MAX_ANSWER_CHARS = 300
AGAIN, HARD, GOOD = 1, 2, 3


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
    """An empty answer is graded, not accepted (a file of answers grades on); an over-long one raises."""
    if not " ".join(str(response or "").split()):
        return Grade(card.id, "", False, AGAIN, card.expected, note="no answer")
    text = clean_response(response)
    if card.kind == "mcq":
        return _grade_choice(card, text)
    if card.kind == "multi":
        return _grade_choices(card, text)
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
    named = [i for i, c in enumerate(card.choices) if name_key(text) in {name_key(f) for f in answer_forms(c)}]
    for found in (exact, close, within, named):  # the first way that singles out one option ("Elastic File
        # System" names the option "Amazon EFS")
        if len(found) == 1:
            return found[0]
    letters = "/".join(LETTERS[: len(card.choices)])
    raise QuizInputError(f"Pick one of {letters} (or type the option's text).")


def _grade_choice(card: Card, text: str) -> Grade:
    chosen = card.choices[choice_index(card, text)]
    right = chosen == card.answer
    return Grade(card.id, text, right, GOOD if right else AGAIN, card.answer, chosen=chosen)


def chosen_options(card: Card, text: str) -> list[str]:
    """The options a multiple-response answer picks: letters ("A C", "a,c", "AC"), numbers or options' texts
    separated by commas, semicolons or "and"."""
    compact = re.sub(r"[\s,;&+/]|\band\b", "", text, flags=re.I).upper()
    letters = LETTERS[: len(card.choices)]
    if compact and len(compact) <= len(letters) and all(c in letters for c in compact):
        parts = list(compact)
    else:
        parts = [p for p in re.split(r"\s*(?:[,;&+/]|\band\b)\s*", text, flags=re.I) if p.strip()]
    picked = [card.choices[choice_index(card, part)] for part in parts]
    return list(dict.fromkeys(picked))


def _grade_choices(card: Card, text: str) -> Grade:
    picked = chosen_options(card, text)
    wanted = len(card.right_options)
    right = set(picked) == set(card.right_options)
    note = "" if right or len(picked) == wanted else f"choose {wanted}: you chose {len(picked)}"
    shown = " and ".join(picked)
    return Grade(card.id, text, right, GOOD if right else AGAIN, card.expected, note=note, chosen=shown)


def _grade_quantity(card: Card, text: str) -> Grade:
    expected = amounts(spelled_amounts(card.answer))[0]
    given = _distinct(amounts(spelled_amounts(text, percent=_is_percent(expected)), typed=True))
    if len(given) > 1:
        return Grade(card.id, text, False, AGAIN, card.answer, note="one answer, please: several values were given")
    if not given:
        return Grade(card.id, text, False, AGAIN, card.answer)
    typed = given[0]
    if typed.same_as(expected):
        return Grade(card.id, text, True, GOOD, card.answer)
    if expected.high is not None and typed.high is None and any(typed.same_as(Amount(q)) for q in
                                                                 (expected.low, expected.high)):
        return Grade(card.id, text, False, AGAIN, card.answer, note=f"give both ends: {card.answer}")
    if _same_without_unit(typed, expected):
        if _is_percent(expected) or not any(q.measured for q in (expected.low, expected.high) if q):
            return Grade(card.id, text, True, GOOD, card.answer)  # "75" for 75%, a count ("3 nodes")
        # "256" for "256 KB" is not the fact, but the number was remembered: Hard, not Again
        return Grade(card.id, text, False, HARD, card.answer, note=f"{UNIT_NUDGE}: {card.answer}")
    if _same_count(typed, expected):
        return Grade(card.id, text, True, GOOD, card.answer)  # "20 GSIs" for 20: the number with its noun
    return Grade(card.id, text, False, AGAIN, card.answer)


UNIT_NUDGE = "right number; give the unit too"


def _is_percent(amount: Amount) -> bool:
    return amount.low.unit == "%"


def _same_count(typed: Amount, expected: Amount) -> bool:
    """A bare expected count typed with the thing counted: both ends equal, the typed unit a noun, not a measure."""
    return _each_end(typed, expected, lambda t, e: not e.unit and bool(t.unit) and not t.measured
                     and math.isclose(t.value, e.value))


def _each_end(typed: Amount, expected: Amount, same) -> bool:
    """Both amounts have the same ends (a value, or a range's two), and `same` holds for each pair of them."""
    ends = [(typed.low, expected.low), (typed.high, expected.high)]
    return all((t is None and e is None) or (t is not None and e is not None and same(t, e)) for t, e in ends)


def _distinct(found: tuple[Amount, ...]) -> list[Amount]:
    kept: list[Amount] = []
    for amount in found:
        if not any(amount.same_as(k) for k in kept):
            kept.append(amount)
    return kept


def _same_without_unit(typed: Amount, expected: Amount) -> bool:
    return _each_end(typed, expected, lambda t, e: not t.unit and math.isclose(t.value, e.value))


_ALTERNATIVES = re.compile(r"\s+(?:or|and/or)\s+|\s*/\s*|\s*,\s*|\s*;\s*", re.I)
_FILLER = frozenset("it its s is was the a an i think answer maybe probably that thats this called".split())


def _grade_name(card: Card, text: str) -> Grade:
    forms = answer_forms(card.answer, card.accepted)
    match = _name_match(text, forms, card.answer)
    parts = [p for p in _ALTERNATIVES.split(text) if p.strip()]
    if match is None and len(parts) > 1:
        named = [_name_match(p, forms, card.answer) for p in parts]
        if None in named:
            return Grade(card.id, text, False, AGAIN, card.answer, note="one answer, please: several names were given")
        match = next((note for note in named if note), "")  # each part names the answer ("Firehose / KDF")
    if match is None:
        return Grade(card.id, text, False, AGAIN, card.answer)
    return Grade(card.id, text, True, GOOD, card.answer, note=match)


def _name_match(text: str, forms: tuple[str, ...], answer: str) -> str | None:
    """'' for the name as the card has it, a note for a close spelling or a short form, None if not it."""
    wanted = {w for f in forms for w in name_key(f).split()}
    said = [w for w in name_key(text).split() if w not in _FILLER]
    plain = [w for w in said if w in wanted or w not in GENERIC_WORDS]  # "the WAF service"
    for key in dict.fromkeys(" ".join(words) for words in (said, plain) if words):
        if any(key == name_key(f) for f in forms):
            return ""
        if any(similar_names(key, f) for f in forms):
            return f"spelled {answer}"
        if any(_short_form(key, f) for f in forms):
            return f"in full: {answer}"
    return None


def _short_form(key: str, form: str) -> bool:
    """'firehose' for 'Kinesis Data Firehose', 'glacier' for 'S3 Glacier': a part of the name that still
    names only it — no other service in the catalogue has all those words ('kinesis' alone does not)."""
    typed, full = key.split(), name_key(form).split()
    if not typed or len(typed) >= len(full) or not set(typed) <= set(full):
        return False
    if all(w in GENERIC_WORDS or w.isdigit() for w in typed):
        return False
    form_key = name_key(form)
    return not any(set(typed) <= set(name_key(n).split()) for s in CATALOGUE for n in s.names
                   if form_key not in {name_key(m) for m in s.names})


def answer_forms(answer: str, accepted: tuple[str, ...] = ()) -> tuple[str, ...]:
    """The answer, its accepted spellings, and every name the catalogue and the alias file give the same thing."""
    forms = [answer, *accepted, *term_variants(answer)]
    for service, start, end in mentions(answer):
        if name_key(answer[start:end]) == name_key(answer):  # the answer is that service, not a part of it
            forms.extend(service.names)
    keys = {name_key(f) for f in forms}
    forms.extend(alias for alias, full in load_aliases().items() if name_key(full) in keys)
    return tuple(dict.fromkeys(f for f in forms if f))


def typed_card(expected: str) -> Card:
    """A typed card for a bare expected answer (grading pairs): a quantity, a service or another name."""
    family = "number" if amounts(expected) and re.match(r"\s*\d", expected) else "name"
    return Card("pair", "cloze", family, "", expected, (), (), "", "", (), expected)


def grade_pairs(pairs: list[dict]) -> tuple[int, list[tuple[dict, Grade]]]:
    """How many pairs the grader judges as the person did, and the pairs it does not."""
    disagreements = []
    for pair in pairs:
        card = typed_card(str(pair["expected"]))
        try:
            result = grade(card, str(pair["typed"]))
        except QuizInputError as err:  # an answer nobody could grade is not accepted; the file grades on
            result = Grade(card.id, str(pair["typed"]), False, AGAIN, card.answer, note=str(err))
        if result.correct != bool(pair["accept"]):
            disagreements.append((pair, result))
    return len(pairs) - len(disagreements), disagreements


def describe(grade: Grade) -> str:
    """One line of feedback: right or wrong, and the right answer."""
    if grade.correct:
        head = "Right" if not grade.note else f"Right ({grade.note})"
        return f"{head}: {grade.expected}"
    picked = f" — you chose {grade.chosen}" if grade.chosen else ""
    why = f" ({grade.note})" if grade.note else ""
    return f"Not quite{picked}{why}. The answer is {grade.expected}"


def is_command(text: str, *names: str) -> bool:
    return re.sub(r"\W", "", text.strip().lower()) in names
