"""`studybot quiz`: a round of cards in the terminal, graded and scheduled per profile."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable

from bot.quiz.deck import QuizInputError
from bot.quiz.grading import describe, is_command, option_lines
from bot.quiz.progress import ProgressError
from bot.quiz.session import Feedback, QuizService, check_round, stats_lines, wait_text
from bot.quiz.show import header
from bot.settings import Settings

HELP = "Type your answer (a letter for choices). s = skip, q = quit; after the feedback, o opens the section."
QUIT, SKIP = object(), object()
MAX_SECTION_LINES = 60


def add_command(sub) -> None:
    p = sub.add_parser("quiz", help="quiz yourself on the study material (spaced repetition)")
    p.add_argument("--doc", help="only this document id (000-004)")
    p.add_argument("--section", help="only sections whose path contains this text")
    p.add_argument("--n", type=_round_size, default=10, help="cards in this round (default 10)")
    p.add_argument("--profile", default=os.environ.get("STUDYBOT_PROFILE", "default"),
                   help="whose progress (default: $STUDYBOT_PROFILE or 'default')")
    p.add_argument("--stats", action="store_true", help="print mastery, due count and streak, then exit")
    p.add_argument("--card", help="ask this one card (by id)")
    p.set_defaults(run=run_command)


def _round_size(text: str) -> int:
    try:
        return check_round(text)
    except QuizInputError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def run_command(args, settings: Settings, ask: Callable[[str], str] = input, out: Callable[[str], None] = print) -> int:
    try:
        service = QuizService.from_settings(settings)
        if args.stats:
            stats = service.stats(args.profile, args.doc)
            out("\n".join(stats_lines(stats, service.deck.docs)))
            return 0
        if args.card:
            cards = [service.deck.card(args.card)]
        else:
            scope = service.deck.scope(args.doc, args.section)
            plan = service.plan(args.profile, args.doc, args.section, args.n)
            cards = list(plan.cards)
            if not cards:
                out(wait_text(service.next_due(args.profile, scope)))
                return 0
            out(f"{len(cards)} cards for {args.profile}: {plan.due} due for review, {plan.new} new.")
        return run_quiz(service, args.profile, cards, ask, out)
    except (QuizInputError, ProgressError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2


def run_quiz(service: QuizService, profile: str, cards: list, ask=input, out=print) -> int:
    """Ask each card, grade, store and show feedback; every answer is saved as soon as it is given."""
    out(HELP)
    answered = right = 0
    for number, card in enumerate(cards, start=1):
        out("")
        out(f"[{number}/{len(cards)}] {header(card, service.deck.exam(card))}")
        out(card.prompt)
        for line in option_lines(card):
            out(f"   {line}")
        feedback = _answer(service, profile, card, ask, out)
        if feedback is QUIT:
            break
        if feedback is SKIP:
            continue
        answered += 1
        right += feedback.grade.correct
        out("\n".join(feedback_lines(feedback)))
        if _after_feedback(service, feedback, ask, out) is QUIT:
            break
    out("")
    out(f"Done: {right} of {answered} right." if answered else "No answers given.")
    if answered:
        stats = service.stats(profile)
        out(f"Due now: {stats.due}. Streak: {stats.streak_days} day{'s' if stats.streak_days != 1 else ''}.")
    return 0


def _answer(service: QuizService, profile: str, card, ask, out):
    while True:
        try:
            text = ask("> ")
        except EOFError:
            return QUIT
        if is_command(text, "q", "quit", "exit"):
            return QUIT
        if is_command(text, "s", "skip"):
            return SKIP
        try:
            return service.answer(profile, card.id, text)
        except QuizInputError as err:
            out(f"  {err}")


def _after_feedback(service: QuizService, feedback: Feedback, ask, out):
    try:
        text = ask("  (Enter = next, o = open the section, q = quit) ")
    except EOFError:
        return QUIT
    if is_command(text, "q", "quit", "exit"):
        return QUIT
    if is_command(text, "o", "open"):
        out(f"--- {feedback.source} ---")
        out("\n".join(section_excerpt(service.deck.section_text(feedback.card), feedback.card.passage)))
        out("---")
    return None


def section_excerpt(text: str, passage: str, size: int = MAX_SECTION_LINES) -> list[str]:
    """Up to `size` lines of the section around the card's passage, the passage marked with '>'."""
    lines = text.splitlines()
    key = passage[:25]
    where = next((i for i, line in enumerate(lines) if key and key in line), 0)
    start = max(0, min(where - size // 4, len(lines) - size))
    shown = [("> " if i == where else "  ") + lines[i] for i in range(start, min(start + size, len(lines)))]
    return (["  …"] if start else []) + shown + (["  …"] if start + size < len(lines) else [])


def feedback_lines(feedback: Feedback) -> list[str]:
    mark = "✓" if feedback.grade.correct else "✗"
    return [
        f"{mark} {describe(feedback.grade)}",
        f"  Source: {feedback.source}",
        f"  “{feedback.card.passage}”",
        f"  ({feedback.next_review}; card {feedback.card.id})",
    ]
