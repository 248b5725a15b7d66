"""`studybot quiz`: a round of cards in the terminal, graded and scheduled per profile."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path

from bot.quiz.deck import Deck, QuizInputError
from bot.quiz.domains import DomainTagger
from bot.quiz.grading import describe, grade_pairs, is_command
from bot.quiz.progress import ProgressError
from bot.quiz.session import Feedback, QuizService, check_round, stats_lines, wait_text
from bot.quiz.show import card_record, header, option_lines
from bot.quiz.stored import load_deck
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
    p.add_argument("--by-domain", action="store_true",
                   help="draw new cards by the exam guide's domain weights (e.g. 34%% ingestion for DEA-C01)")
    p.add_argument("--stats", action="store_true", help="print mastery, due count and streak, then exit")
    p.add_argument("--card", help="ask this one card (by id)")
    p.add_argument("--export", type=Path, metavar="FILE.jsonl", help="write every card as shown, then exit")
    p.add_argument("--grade-file", type=Path, metavar="FILE",
                   help="grade expected/typed pairs with the quiz's grader and print the agreement with 'accept'")
    p.set_defaults(run=run_command)


def _round_size(text: str) -> int:
    try:
        return check_round(text)
    except QuizInputError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def run_command(args, settings: Settings, ask: Callable[[str], str] = input, out: Callable[[str], None] = print) -> int:
    if args.grade_file:
        return grade_file(args.grade_file, out)
    try:
        if args.export:
            deck = load_deck(settings)
            try:
                written = export_deck(deck, args.export)
            except OSError as err:
                print(f"error: cannot write {args.export}: {err.strerror or err}", file=sys.stderr)
                return 2
            out(f"wrote {written} cards to {args.export}")
            return 0
        service = QuizService.from_settings(settings)
        if args.stats:
            stats = service.stats(args.profile, args.doc)
            out("\n".join(stats_lines(stats, service.deck.docs)))
            return 0
        if args.card:
            cards = [service.deck.card(args.card)]
        else:
            scope = service.deck.scope(args.doc, args.section)
            plan = service.plan(args.profile, args.doc, args.section, args.n, by_domain=args.by_domain)
            cards = list(plan.cards)
            if not cards:
                out(wait_text(service.next_due(args.profile, scope)))
                return 0
            out(f"{len(cards)} cards for {args.profile}: {plan.due} due for review, {plan.new} new.")
        return run_quiz(service, args.profile, cards, ask, out)
    except (QuizInputError, ProgressError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2


def grade_file(path: Path, out: Callable[[str], None] = print) -> int:
    """Grade every {"expected", "typed", "accept"} line of `path`; print each disagreement and the agreement."""
    try:
        pairs = read_pairs(path)
    except (OSError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    agreed, disagreements = grade_pairs(pairs)
    for pair, result in disagreements:
        verdict = "accepts" if result.correct else "rejects"
        note = f" ({result.note})" if result.note else ""
        out(f"grader {verdict}{note}: expected {pair['expected']!r}, typed {pair['typed']!r}")
    out(f"agreement: {agreed}/{len(pairs)}")
    return 0


def read_pairs(path: Path) -> list[dict]:
    pairs = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            pair = json.loads(line)
        except json.JSONDecodeError as err:
            raise ValueError(f"{path}:{number}: not JSON ({err.msg})") from None
        if not isinstance(pair, dict) or not {"expected", "typed", "accept"} <= pair.keys():
            raise ValueError(f"{path}:{number}: a pair needs \"expected\", \"typed\" and \"accept\"")
        if not isinstance(pair["accept"], bool):
            raise ValueError(f"{path}:{number}: \"accept\" must be true or false")
        pairs.append(pair)
    if not pairs:
        raise ValueError(f"{path} holds no pairs")
    return pairs


def export_deck(deck: Deck, path: Path) -> int:
    """Every card as a person sees it (bot.quiz.show), one JSON object per line, written atomically."""
    tagger = DomainTagger()
    lines = [json.dumps(card_record(c, deck.exam(c), tagger.domain(c, deck.exam(c)),
                                    tagger.home_topic(c, deck.exam(c))), ensure_ascii=False)
             for c in deck.cards]
    path = Path(path)
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text("\n".join(lines) + "\n", encoding="utf-8")
    partial.replace(path)
    return len(lines)


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


def read_line(ask, prompt: str, quit_words: tuple[str, ...] = ("q", "quit", "exit")) -> str | None:
    """What the person typed, or None when they quit (a quit word, or the end of the input)."""
    try:
        text = ask(prompt)
    except EOFError:
        return None
    return None if is_command(text, *quit_words) else text


def _answer(service: QuizService, profile: str, card, ask, out):
    while True:
        text = read_line(ask, "> ")
        if text is None:
            return QUIT
        if is_command(text, "s", "skip"):
            return SKIP
        try:
            return service.answer(profile, card.id, text)
        except QuizInputError as err:
            out(f"  {err}")


def _after_feedback(service: QuizService, feedback: Feedback, ask, out):
    text = read_line(ask, "  (Enter = next, o = open the section, q = quit) ")
    if text is None:
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
