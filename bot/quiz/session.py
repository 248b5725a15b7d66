"""The quiz as a service shared by the command line and the app: plan a round, grade an answer, stats."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime

from bot.quiz.cards import Card
from bot.quiz.deck import Deck, QuizInputError
from bot.quiz.domains import DomainTagger
from bot.quiz.exam import Paper, Result, draw_paper, score_paper
from bot.quiz.grading import Grade, clean_response, grade
from bot.quiz.progress import CardState, Progress, Stats, check_profile
from bot.quiz.stored import load_deck
from bot.settings import Settings

MAX_ROUND = 100


@dataclass(frozen=True)
class Plan:
    cards: tuple[Card, ...]
    due: int  # how many of them are reviews that were due
    new: int


@dataclass(frozen=True)
class Feedback:
    card: Card
    grade: Grade
    state: CardState
    now: datetime

    @property
    def source(self) -> str:
        return f"{self.card.doc_title} — {self.card.section}"

    @property
    def next_review(self) -> str:
        return f"next review {until(self.state.due, self.now)}"


def until(moment: datetime, now: datetime) -> str:
    """'in 10 minutes', 'in 3 days': when a card comes back."""
    seconds = max((moment - now).total_seconds(), 0)
    for size, unit in ((86400, "day"), (3600, "hour"), (60, "minute")):
        if seconds >= size:
            count = round(seconds / size)
            return f"in {count} {unit}{'s' if count != 1 else ''}"
    return "now"


def check_round(n) -> int:
    try:
        value = int(n)
    except (TypeError, ValueError):
        raise QuizInputError(f"the number of cards must be a whole number, not {n!r}") from None
    if not 1 <= value <= MAX_ROUND:
        raise QuizInputError(f"ask for 1 to {MAX_ROUND} cards per round (got {value})")
    return value


class QuizService:
    def __init__(self, deck: Deck, progress: Progress):
        self.deck = deck
        self.progress = progress
        self.tagger = DomainTagger()
        self.domains = {c.id: self.tagger.domain(c, deck.exam(c)) for c in deck.cards}

    def domain_key(self, card: Card) -> tuple[str, str]:
        """(exam, domain) of a card: what mastery per domain and exam-weighted rounds group by."""
        return self.deck.exam(card), self.domains.get(card.id, "")

    @classmethod
    def from_settings(cls, settings: Settings, **progress_options) -> QuizService:
        return cls(load_deck(settings), Progress(settings.data_dir, **progress_options))

    def plan(self, profile: str, doc_id: str | None = None, section: str | None = None, n: int = 10,
             now: datetime | None = None, seed: int | None = None, by_domain: bool = False) -> Plan:
        """Due cards first, then new ones toward weak sections; `by_domain`: new cards drawn so each exam domain
        gets its exam-guide weight of the round."""
        profile, n = check_profile(profile), check_round(n)
        now = now or datetime.now(UTC)
        scope = self.deck.scope(doc_id or None, section or None)
        prior = self.domain_weights(scope) if by_domain else None
        cards = self.progress.next_cards(profile, scope, n, now, seed, prior)
        states = self.progress.states(profile)
        due = sum(c.id in states for c in cards)
        return Plan(tuple(cards), due, len(cards) - due)

    def answer(self, profile: str, card_id: str, response: str | None, now: datetime | None = None) -> Feedback:
        """Grade and store one answer; raises QuizInputError (nothing stored) for unusable input."""
        profile = check_profile(profile)
        card = self.deck.card(card_id)
        result = grade(card, clean_response(response))  # a blank answer asks again here: nothing is stored
        now = now or datetime.now(UTC)
        state = self.progress.record(profile, card, result, now)
        return Feedback(card, result, state, now)

    def exams(self) -> list[str]:
        """Exam codes the corpus has documents (and the data file has a guide) for."""
        return sorted({self.deck.exam(c) for c in self.deck.cards} & set(self.tagger.guides))

    def start_exam(self, exam: str, n: int | None = None, minutes: int | None = None, seed: int | None = None,
                   now: datetime | None = None) -> Paper:
        """A practice exam of `exam` (defaults: the guide's question count and minutes)."""
        exam = (exam or "").strip().upper()
        if exam not in self.exams():
            raise QuizInputError(f"unknown exam {exam!r}; known: {', '.join(self.exams()) or 'none'}")
        guide = self.tagger.guides[exam]
        cards = self.exam_cards(exam)
        domains = {c.id: self.tagger.domain(c, exam) for c in cards}
        return draw_paper(guide, cards, lambda c: domains[c.id], guide.questions if n is None else n,
                          guide.minutes if minutes is None else minutes, seed, now)

    def exam_cards(self, exam: str) -> list[Card]:
        """What a student of `exam` is examined on: its notes' cards, and other notes' cards on its topics."""
        return [c for c in self.deck.cards if self.tagger.studies_for(c, self.deck.exam(c), exam)]

    def finish_exam(self, profile: str, paper: Paper, answers: dict[str, str], now: datetime | None = None) -> Result:
        """Score the paper and keep the attempt in the profile's history."""
        profile = check_profile(profile)
        result = score_paper(paper, answers, now)
        self.progress.save_attempt(profile, result)
        return result

    def domain_weights(self, cards: list[Card]) -> dict[str, float]:
        """Per card: its domain's exam weight shared among the domain's cards in scope."""
        guides = self.tagger.guides
        counts = Counter(self.domain_key(c) for c in cards)
        weights = {}
        for card in cards:
            exam, domain = self.domain_key(card)
            weight = guides[exam].domain(domain).weight if exam in guides and domain else 1.0
            weights[card.id] = weight / counts[exam, domain]
        return weights

    def stats(self, profile: str, doc_id: str | None = None, now: datetime | None = None, tz=None) -> Stats:
        return self.progress.stats(profile, self.deck.scope(doc_id or None), now, tz, self.domain_key)

    def next_due(self, profile: str, cards: list[Card]) -> datetime | None:
        states = self.progress.states(profile)
        dues = [states[c.id].due for c in cards if c.id in states]
        return min(dues) if dues else None


def mastery_bar(share: float, width: int = 10) -> str:
    filled = round(max(0.0, min(share, 1.0)) * width)
    return "█" * filled + "░" * (width - filled)


def stats_lines(stats: Stats, docs: dict[str, str], sections: int = 8) -> list[str]:
    lines = [
        f"Profile {stats.profile}: {stats.seen} of {stats.total} cards seen, {stats.due} due now, "
        f"{stats.reviews} answers ({stats.accuracy:.0%} right), streak {stats.streak_days} "
        f"day{'s' if stats.streak_days != 1 else ''}",
        "Mastery by document (of the cards you studied: the chance you would recall them in a week):",
    ]
    for row in stats.by_doc:
        lines.append(f"  {row.doc_id} {_mastery_text(row)}  {docs.get(row.doc_id, '')} "
                     f"({row.seen} studied, {row.unseen} not yet)")
    if any(r.seen for r in stats.by_domain):
        lines.append("Mastery by exam domain:")
        lines.extend(f"  {_mastery_text(r)}  {r.doc_id} {r.section} ({r.seen} studied, {r.unseen} not yet)"
                     for r in sorted(stats.by_domain, key=lambda r: (r.doc_id, r.section)))
    weakest = stats.weakest(sections)
    if weakest:
        lines.append("Weakest sections you studied:")
        lines.extend(f"  {_mastery_text(r)}  {r.doc_id} {r.section} ({r.wrong} wrong of {r.reviews})" for r in weakest)
    return lines


def _mastery_text(row) -> str:
    return f"{mastery_bar(row.mastery)} {row.mastery:4.0%}" if row.seen else f"{'·' * 10}    –"


def wait_text(moment: datetime | None, now: datetime | None = None) -> str:
    if moment is None:
        return "Nothing to review in this scope yet."
    return f"Nothing due in this scope; the next card comes back {until(moment, now or datetime.now(UTC))}."

