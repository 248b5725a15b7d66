"""A timed practice exam: questions drawn by the exam guide's domain weights, no feedback until the end, then a
score on the 100–1000 scale with the pass line, a per-domain breakdown and every miss linked to its section.

Attempts are kept per profile (bot.quiz.progress) so they can be plotted over time. An exam is a measurement:
its answers do not move the FSRS schedule of the cards.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from bot.quiz.cards import Card
from bot.quiz.deck import CHOICE_KINDS, QuizInputError
from bot.quiz.domains import ExamGuide
from bot.quiz.grading import grade

MAX_QUESTIONS = 200
MAX_MINUTES = 600


@dataclass(frozen=True)
class Paper:
    exam: str
    cards: tuple[Card, ...]
    domains: dict[str, str] = field(hash=False)  # card id -> domain
    minutes: int = 130
    pass_score: int = 720
    started: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def deadline(self) -> datetime:
        return self.started + timedelta(minutes=self.minutes)

    def seconds_left(self, now: datetime) -> int:
        return max(0, int((self.deadline - now).total_seconds()))


@dataclass(frozen=True)
class Miss:
    card_id: str
    prompt: str
    expected: str
    given: str  # "" when not answered
    doc_id: str
    doc_title: str
    section: str


@dataclass(frozen=True)
class Result:
    exam: str
    started: datetime
    finished: datetime
    total: int
    correct: int
    score: int  # 100-1000
    pass_score: int
    by_domain: tuple[tuple[str, int, int], ...]  # (domain, right, asked)
    missed: tuple[Miss, ...]
    timed_out: bool = False

    @property
    def passed(self) -> bool:
        return self.score >= self.pass_score


def check_size(n, minutes) -> tuple[int, int]:
    try:
        n, minutes = int(n), int(minutes)
    except (TypeError, ValueError):
        raise QuizInputError("questions and minutes are whole numbers") from None
    if not 1 <= n <= MAX_QUESTIONS:
        raise QuizInputError(f"an exam has 1 to {MAX_QUESTIONS} questions (got {n})")
    if not 1 <= minutes <= MAX_MINUTES:
        raise QuizInputError(f"an exam lasts 1 to {MAX_MINUTES} minutes (got {minutes})")
    return n, minutes


def allocate(guide: ExamGuide, available: dict[str, int], n: int) -> dict[str, int]:
    """Questions per domain: n × weight, leftovers to the largest remainders (Hamilton's method), never more
    than a domain has; what a small domain cannot fill goes to the others by weight."""
    wanted = {d.name: 0 for d in guide.domains}
    left = min(n, sum(available.get(d.name, 0) for d in guide.domains))
    while left > 0:
        room = {d.name: available.get(d.name, 0) - wanted[d.name] for d in guide.domains}
        open_domains = [d for d in guide.domains if room[d.name] > 0]
        total_weight = sum(d.weight for d in open_domains) or 1
        shares = {d.name: left * d.weight / total_weight for d in open_domains}
        add = {name: min(int(share), room[name]) for name, share in shares.items()}
        spare = left - sum(add.values())
        for name in sorted(shares, key=lambda name: shares[name] - int(shares[name]), reverse=True):
            if spare and add[name] < room[name]:
                add[name] += 1
                spare -= 1
        for name, count in add.items():
            wanted[name] += count
        left = spare
    return wanted


def exam_form(card: Card) -> tuple[bool, bool]:
    """Sorts questions by how close they are to the exam's own: scenarios first, then other choice cards."""
    return card.family != "scenario", card.kind not in CHOICE_KINDS


def draw_paper(guide: ExamGuide, cards: list[Card], domain_of, n: int, minutes: int,
               seed: int | None = None, now: datetime | None = None) -> Paper:
    """n questions of `guide`'s exam from `cards`, by domain weight; scenario and choice questions first (the
    exam's form), typed ones where a domain has too few."""
    n, minutes = check_size(n, minutes)
    pools: dict[str, list[Card]] = {}
    for card in cards:
        pools.setdefault(domain_of(card), []).append(card)
    if not pools:
        raise QuizInputError(f"no quiz cards for {guide.code}: no document of the corpus is for this exam")
    rng = random.Random(seed)
    for pool in pools.values():
        rng.shuffle(pool)
        pool.sort(key=exam_form)  # stable: shuffled scenarios, then shuffled choice cards, then typed ones
    counts = allocate(guide, {name: len(pool) for name, pool in pools.items()}, n)
    chosen = [card for name, count in counts.items() for card in _pick(pools.get(name, []), count, rng)]
    if not chosen:
        raise QuizInputError(f"no quiz cards in the domains of {guide.code}")
    rng.shuffle(chosen)
    return Paper(guide.code, tuple(chosen), {c.id: domain_of(c) for c in chosen}, minutes, guide.pass_score,
                 now or datetime.now(UTC))


VARIETY = 0.5  # a domain's questions come from its best (count x 1.5) candidates, so attempts differ


def _pick(ordered: list[Card], count: int, rng: random.Random) -> list[Card]:
    """`count` cards from the front of a domain's pool (scenarios first), drawn from a window a half larger so two
    attempts do not repeat the same scenarios."""
    window = ordered[: count + int(count * VARIETY)]
    return rng.sample(window, min(count, len(window)))


def scaled_score(correct: int, total: int) -> int:
    """AWS reports 100-1000; here linear in the share right (the real exam's scaling is not published)."""
    return 100 + round(900 * correct / total) if total else 100


def score_paper(paper: Paper, answers: dict[str, str], finished: datetime | None = None) -> Result:
    """Grade every question (unanswered ones are wrong); answers given after the deadline do not count."""
    finished = finished or datetime.now(UTC)
    timed_out = finished > paper.deadline
    right: dict[str, int] = {}
    asked: dict[str, int] = {}
    missed = []
    for card in paper.cards:
        domain = paper.domains.get(card.id, "")
        asked[domain] = asked.get(domain, 0) + 1
        given = (answers.get(card.id) or "").strip()
        correct = False
        if given:
            try:
                result = grade(card, given)
                correct, given = result.correct, result.chosen or given  # a letter shown as its option
            except QuizInputError:
                correct = False  # an unusable answer ("E" for a four-option question) scores as wrong
        if correct:
            right[domain] = right.get(domain, 0) + 1
        else:
            missed.append(Miss(card.id, card.prompt, card.expected, given, card.doc_id, card.doc_title, card.section))
    total, correct_count = len(paper.cards), len(paper.cards) - len(missed)
    by_domain = tuple((d, right.get(d, 0), asked[d]) for d in asked)
    return Result(paper.exam, paper.started, finished, total, correct_count, scaled_score(correct_count, total),
                  paper.pass_score, by_domain, tuple(missed), timed_out)
