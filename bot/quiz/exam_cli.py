"""`studybot exam`: a timed practice exam in the terminal, scored at the end, attempts kept per profile."""

from __future__ import annotations

import argparse
import os
import selectors
import sys
from collections.abc import Callable
from datetime import UTC, datetime

from bot.quiz.cli import read_line
from bot.quiz.deck import QuizInputError
from bot.quiz.domains import load_guides
from bot.quiz.exam import Paper, Result
from bot.quiz.grading import choice_index, chosen_options, clean_response, is_command
from bot.quiz.progress import Attempt, ProgressError
from bot.quiz.session import QuizService
from bot.quiz.show import header, option_lines
from bot.settings import Settings

HELP = ("No feedback until the end. Type a letter (or the answer for typed questions); Enter = leave it blank, "
        "'flag' = see it again before the end, 'end' = finish now.")


def add_command(sub) -> None:
    p = sub.add_parser("exam", help="take a timed practice exam (scored 100-1000, kept in your history)")
    p.add_argument("--exam", default="DEA-C01", help="DEA-C01 (default), SAA-C03 or DAS-C01")
    p.add_argument("--n", type=int, help="questions (default: the real exam's 65)")
    p.add_argument("--minutes", type=int, help="time limit (default: the real exam's, e.g. 130 for DEA-C01)")
    p.add_argument("--profile", default=os.environ.get("STUDYBOT_PROFILE", "default"), help="whose history")
    p.add_argument("--history", action="store_true", help="print your earlier attempts, then exit")
    p.add_argument("--seed", type=int, help=argparse.SUPPRESS)  # a fixed draw, for tests and comparisons
    p.set_defaults(run=run_command)


def run_command(args, settings: Settings, ask: Callable[[str], str] = input, out: Callable[[str], None] = print,
                clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> int:
    try:
        service = QuizService.from_settings(settings)
        if args.history:
            out("\n".join(history_lines(service.progress.attempts(args.profile, args.exam.upper()))))
            return 0
        paper = service.start_exam(args.exam, args.n, args.minutes, args.seed, clock())
        answers = take(paper, ask, out, clock)
        result = service.finish_exam(args.profile, paper, answers, clock())
    except (QuizInputError, ProgressError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    out("\n".join(result_lines(result)))
    return 0


class TimeUp(Exception):
    """The exam's deadline passed while it waited for an answer."""


def timed_input(prompt: str, seconds: float) -> str:
    """`input` that gives up at the deadline: the terminal exam ends by itself instead of waiting for a line."""
    print(prompt, end="", flush=True)
    with selectors.DefaultSelector() as waiting:  # epoll/kqueue: no 1024-descriptor limit as select() has
        waiting.register(sys.stdin, selectors.EVENT_READ)
        ready = waiting.select(max(seconds, 0))
    if not ready:
        print()
        raise TimeUp
    line = sys.stdin.readline()
    if not line:
        raise EOFError
    return line.rstrip("\n")


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def take(paper: Paper, ask, out, clock) -> dict[str, str]:
    """Ask every question in turn, then the ones flagged for review, until 'end' or the deadline; returns the
    answers given in time. With the terminal's own `input`, a question left waiting ends the exam at the
    deadline by itself."""
    if ask is input:  # the real terminal (tests pass their own `ask`)
        ask = lambda prompt: timed_input(prompt, paper.seconds_left(clock()))  # noqa: E731
    guide = load_guides().get(paper.exam)
    note = guide.retirement_note() if guide else ""
    if note:
        out(note)
    out(f"{paper.exam} practice exam: {plural(len(paper.cards), 'question')}, {plural(paper.minutes, 'minute')}. "
        f"{HELP}")
    answers: dict[str, str] = {}
    flagged: list[int] = []
    numbered = list(enumerate(paper.cards, start=1))
    if _ask_each(paper, numbered, answers, flagged, ask, out, clock) and flagged:
        out("")
        out(f"Review: {plural(len(flagged), 'flagged question')}. Enter keeps your answer; type another to change it.")
        _ask_each(paper, [numbered[i - 1] for i in flagged], answers, [], ask, out, clock, reviewing=True)
    return answers


def _ask_each(paper: Paper, numbered, answers: dict, flagged: list[int], ask, out, clock,
              reviewing: bool = False) -> bool:
    """Ask `numbered` (number, card) in turn into `answers`; False when the exam ended (deadline or 'end')."""
    for number, card in numbered:
        left = paper.seconds_left(clock())
        if left == 0:
            out("Time is up.")
            return False
        out("")
        out(f"[{number}/{len(paper.cards)}] {left // 60}:{left % 60:02d} left · {header(card, paper.exam)}")
        out(card.prompt)
        for line in option_lines(card):
            out(f"   {line}")
        if reviewing:
            out(f"   your answer: {answers.get(card.id) or '(blank)'}")
        try:
            given = _ask_one(card, ask, out, flag=None if reviewing else lambda n=number: _flag(n, flagged, out))
        except TimeUp:
            out("Time is up.")
            return False
        if given is None:
            return False
        if clock() > paper.deadline:
            out("Time is up: that answer came after the end and does not count.")
            return False
        if given:
            answers[card.id] = given
    return True


def _flag(number: int, flagged: list[int], out) -> None:
    if number not in flagged:
        flagged.append(number)
    out(f"  Question {number} is flagged: you will see it again before the end. Your answer now?")


def _ask_one(card, ask, out, flag=None) -> str | None:
    """The answer ('' for blank), or None to end the exam. `flag`: called when the person types 'flag'."""
    while True:
        text = read_line(ask, "> ", ("end", "q", "quit"))
        if text is None:
            return None
        if not text.strip():
            return ""
        if flag is not None and is_command(text, "f", "flag"):
            flag()
            continue
        try:
            clean_response(text)
            if card.kind == "mcq":
                choice_index(card, text)
            elif card.kind == "multi":
                chosen_options(card, text)
            return text
        except QuizInputError as err:
            out(f"  {err}")


def result_lines(result: Result) -> list[str]:
    verdict = "PASS" if result.passed else "not yet a pass"
    lines = ["", f"Score {result.score} / 1000 (pass line {result.pass_score}): {verdict}. "
                 f"{result.correct} of {result.total} right" + (" (time ran out)" if result.timed_out else "") + ".",
             "By domain:"]
    for domain, right, asked in result.by_domain:
        lines.append(f"  {right:>3} / {asked:<3} {right / asked:4.0%}  {domain}")
    if result.missed:
        lines.append("Missed (review these sections):")
        for miss in result.missed:
            given = f"you: {miss.given!r}" if miss.given else "not answered"
            lines.append(f"  - {miss.prompt}\n    answer: {miss.expected} ({given})\n"
                         f"    section: {miss.doc_title} — {miss.section}")
    return lines


def history_lines(attempts: list[Attempt]) -> list[str]:
    if not attempts:
        return ["No practice exams yet: `studybot exam` starts one."]
    lines = ["Your practice exams (score, with the pass line at |):"]
    for attempt in attempts:
        bar_width = round(attempt.score / 1000 * 40)
        mark = round(attempt.pass_score / 1000 * 40)
        bar = "".join("|" if i == mark else "█" if i < bar_width else " " for i in range(41))
        lines.append(f"  {attempt.finished:%Y-%m-%d %H:%M}  {attempt.exam}  {attempt.score:>4}  {bar}  "
                     f"{attempt.correct} of {plural(attempt.total, 'question')} right"
                     f"{'  pass' if attempt.passed else ''}")
    return lines
