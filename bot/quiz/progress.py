"""Per-person quiz progress in SQLite, scheduled with FSRS (the `fsrs` package, as in Anki).

One database file under the data directory holds every profile. Each answer is one transaction
(read the card's state, schedule, write state and log, commit), taken with BEGIN IMMEDIATE so two
sessions answering at once queue up instead of overwriting each other; a crash loses at most the
answer in flight.
"""

from __future__ import annotations

import json
import math
import random
import re
import sqlite3
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path

from fsrs import Card as FsrsCard
from fsrs import Rating, Scheduler

from bot.quiz.cards import Card
from bot.quiz.deck import QuizInputError
from bot.quiz.grading import Grade

DB_NAME = "progress.sqlite3"
UNSEEN_WEAKNESS = 0.5  # what section_weakness gives a section with no answers yet
_PROFILE = re.compile(r"^[\w][\w .@-]{0,63}$")
SCHEMA = """
CREATE TABLE IF NOT EXISTS card_state (
    profile TEXT NOT NULL, card_id TEXT NOT NULL, doc_id TEXT NOT NULL, section TEXT NOT NULL,
    fsrs TEXT NOT NULL, due TEXT NOT NULL, reviews INTEGER NOT NULL, lapses INTEGER NOT NULL,
    PRIMARY KEY (profile, card_id)
);
CREATE TABLE IF NOT EXISTS review_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT, profile TEXT NOT NULL, card_id TEXT NOT NULL,
    rating INTEGER NOT NULL, correct INTEGER NOT NULL, response TEXT NOT NULL, reviewed_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS review_log_profile ON review_log (profile, reviewed_at);
CREATE TABLE IF NOT EXISTS exam_attempt (
    id INTEGER PRIMARY KEY AUTOINCREMENT, profile TEXT NOT NULL, exam TEXT NOT NULL, started_at TEXT NOT NULL,
    finished_at TEXT NOT NULL, total INTEGER NOT NULL, correct INTEGER NOT NULL, score INTEGER NOT NULL,
    pass_score INTEGER NOT NULL, detail TEXT NOT NULL
);
"""  # CREATE … IF NOT EXISTS: a database from an earlier version gains the new table and keeps its data


class ProgressError(Exception):
    """The progress database cannot be used; the message says where it is and what to do."""


@dataclass(frozen=True)
class CardState:
    card_id: str
    fsrs: FsrsCard
    due: datetime
    reviews: int
    lapses: int
    doc_id: str = ""
    section: str = ""
    last_correct: bool = True


MASTERY_HORIZON = timedelta(days=7)


@dataclass(frozen=True)
class Mastery:
    doc_id: str  # for a domain row: the exam code
    section: str  # "" for a whole document; the domain name for a domain row
    mastery: float  # over the studied cards only: mean chance of recalling each a week from now, 0 if last missed
    seen: int
    total: int
    reviews: int
    wrong: int

    @property
    def unseen(self) -> int:
        return self.total - self.seen


@dataclass(frozen=True)
class Stats:
    profile: str
    total: int
    seen: int
    due: int
    reviews: int
    correct: int
    streak_days: int
    by_doc: tuple[Mastery, ...]
    by_section: tuple[Mastery, ...]
    by_domain: tuple[Mastery, ...] = ()

    def weakest(self, n: int) -> list[Mastery]:
        """Studied sections, most missed and least recalled first."""
        studied = [r for r in self.by_section if r.seen]
        return sorted(studied, key=lambda r: (r.mastery - r.wrong / max(r.reviews, 1), -r.wrong, r.section))[:n]

    @property
    def accuracy(self) -> float:
        return self.correct / self.reviews if self.reviews else 0.0


@dataclass(frozen=True)
class Attempt:
    exam: str
    finished: datetime
    total: int
    correct: int
    score: int
    pass_score: int

    @property
    def passed(self) -> bool:
        return self.score >= self.pass_score


def check_profile(name: str | None) -> str:
    text = (name or "").strip()
    if not _PROFILE.match(text):
        raise QuizInputError("A profile name is 1-64 letters, digits, spaces or . _ @ - (e.g. 'alice').")
    return text


def _utc(moment: datetime | None) -> datetime:
    moment = moment or datetime.now(UTC)
    if moment.tzinfo is None:
        raise ValueError("times must be timezone-aware")
    return moment.astimezone(UTC)


class Progress:
    """Progress of every profile in `data_dir`; safe to use from several threads and processes."""

    def __init__(self, data_dir: Path, *, scheduler: Scheduler | None = None):
        self.path = Path(data_dir).expanduser() / DB_NAME
        self.scheduler = scheduler or Scheduler()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self._connect() as db:
                db.execute("PRAGMA journal_mode=WAL")
                db.executescript(SCHEMA)
        except (OSError, sqlite3.Error) as err:
            raise ProgressError(f"cannot use the progress database {self.path}: {err}. "
                                "Set STUDYBOT_DATA to a writable folder, or move the file away.") from err

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        # a connection per operation: cheap in SQLite, and handlers may run on any thread
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        try:
            yield db
        finally:
            db.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._connect() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    def record(self, profile: str, card: Card, grade: Grade, now: datetime | None = None) -> CardState:
        """Store one answer and reschedule the card; returns its new state."""
        profile, now = check_profile(profile), _utc(now)
        if grade.card_id != card.id:
            raise QuizInputError(f"grade for {grade.card_id!r} given for card {card.id!r}")
        with self._transaction() as db:
            row = db.execute("SELECT fsrs, reviews, lapses FROM card_state WHERE profile=? AND card_id=?",
                             (profile, card.id)).fetchone()
            before = FsrsCard.from_json(row[0]) if row else FsrsCard(card_id=_fsrs_id(card.id), due=now)
            after, _ = self.scheduler.review_card(before, Rating(grade.rating), review_datetime=now)
            reviews, lapses = (row[1] if row else 0) + 1, (row[2] if row else 0) + (not grade.correct)
            db.execute(
                "INSERT INTO card_state VALUES (?,?,?,?,?,?,?,?) ON CONFLICT(profile, card_id) DO UPDATE SET "
                "fsrs=excluded.fsrs, due=excluded.due, reviews=excluded.reviews, lapses=excluded.lapses",
                (profile, card.id, card.doc_id, card.section, after.to_json(), after.due.isoformat(), reviews, lapses),
            )
            db.execute(
                "INSERT INTO review_log (profile, card_id, rating, correct, response, reviewed_at) "
                "VALUES (?,?,?,?,?,?)",
                (profile, card.id, grade.rating, int(grade.correct), grade.response, now.isoformat()),
            )
        return CardState(card.id, after, after.due, reviews, lapses, card.doc_id, card.section)

    def states(self, profile: str) -> dict[str, CardState]:
        profile = check_profile(profile)
        with self._connect() as db:
            rows = db.execute(
                "SELECT card_id, fsrs, reviews, lapses, doc_id, section, (SELECT correct FROM review_log r "
                "WHERE r.profile=c.profile AND r.card_id=c.card_id ORDER BY r.id DESC LIMIT 1) "
                "FROM card_state c WHERE profile=?", (profile,)).fetchall()
        states = {}
        for card_id, blob, reviews, lapses, doc_id, section, last_correct in rows:
            fsrs_card = FsrsCard.from_json(blob)
            states[card_id] = CardState(card_id, fsrs_card, fsrs_card.due, reviews, lapses, doc_id, section,
                                        last_correct != 0)
        return states

    def responses(self, profile: str, card_id: str) -> list[str]:
        """What was typed for one card, oldest first."""
        with self._connect() as db:
            rows = db.execute("SELECT response FROM review_log WHERE profile=? AND card_id=? ORDER BY id",
                              (check_profile(profile), card_id)).fetchall()
        return [r[0] for r in rows]

    def save_attempt(self, profile: str, result) -> None:
        """Keep one practice-exam result (bot.quiz.exam.Result)."""
        detail = json.dumps({"by_domain": result.by_domain, "missed": [m.card_id for m in result.missed],
                             "timed_out": result.timed_out})
        with self._transaction() as db:
            db.execute("INSERT INTO exam_attempt (profile, exam, started_at, finished_at, total, correct, score, "
                       "pass_score, detail) VALUES (?,?,?,?,?,?,?,?,?)",
                       (check_profile(profile), result.exam, _utc(result.started).isoformat(),
                        _utc(result.finished).isoformat(), result.total, result.correct, result.score,
                        result.pass_score, detail))

    def attempts(self, profile: str, exam: str | None = None) -> list[Attempt]:
        """Practice-exam attempts, oldest first."""
        query = "SELECT exam, finished_at, total, correct, score, pass_score FROM exam_attempt WHERE profile=?"
        params: tuple = (check_profile(profile),)
        if exam:
            query, params = query + " AND exam=?", (*params, exam)
        with self._connect() as db:
            rows = db.execute(query + " ORDER BY id", params).fetchall()
        return [Attempt(e, datetime.fromisoformat(f), t, c, s, p) for e, f, t, c, s, p in rows]

    def profiles(self) -> list[str]:
        with self._connect() as db:
            return [r[0] for r in db.execute("SELECT DISTINCT profile FROM review_log ORDER BY profile")]

    def review_days(self, profile: str, tz: tzinfo | None = None) -> list:
        with self._connect() as db:
            rows = db.execute("SELECT reviewed_at FROM review_log WHERE profile=?", (check_profile(profile),))
            stamps = [datetime.fromisoformat(r[0]) for r in rows]
        return sorted({s.astimezone(tz).date() for s in stamps})

    def review_counts(self, profile: str) -> tuple[int, int]:
        with self._connect() as db:
            row = db.execute("SELECT COUNT(*), COALESCE(SUM(correct), 0) FROM review_log WHERE profile=?",
                             (check_profile(profile),)).fetchone()
        return row[0], row[1]

    # --- what to ask next, and how well it is known ---------------------------------------------

    def next_cards(self, profile: str, cards: list[Card], n: int, now: datetime | None = None,
                   seed: int | None = None, prior: dict[str, float] | None = None) -> list[Card]:
        """Due cards first (most overdue first), then new cards drawn toward the weakest sections (and, with
        `prior`, in proportion to each card's prior weight: its exam domain's share)."""
        now, states = _utc(now), self.states(profile)
        due = sorted((c for c in cards if c.id in states and states[c.id].due <= now),
                     key=lambda c: (states[c.id].due, c.id))
        fresh = [c for c in cards if c.id not in states]
        weakness = section_weakness(states)
        weights = [weakness.get((c.doc_id, c.section), UNSEEN_WEAKNESS) * (prior or {}).get(c.id, 1.0) for c in fresh]
        picked = weighted_sample(fresh, weights, n - len(due[:n]), seed)
        return due[:n] + picked

    def stats(self, profile: str, cards: list[Card], now: datetime | None = None, tz: tzinfo | None = None,
              domain_of=None) -> Stats:
        """Counts, streak and mastery by document, section and (with `domain_of(card) -> (exam, domain)`) domain."""
        now, states = _utc(now), self.states(profile)
        deck_states = {c.id: states[c.id] for c in cards if c.id in states}
        reviews, correct = self.review_counts(profile)
        return Stats(
            profile=check_profile(profile),
            total=len(cards),
            seen=len(deck_states),
            due=sum(s.due <= now for s in deck_states.values()),
            reviews=reviews,
            correct=correct,
            streak_days=streak(self.review_days(profile, tz), now.astimezone(tz).date()),
            by_doc=tuple(self.mastery(cards, states, now, lambda c: (c.doc_id, ""))),
            by_section=tuple(self.mastery(cards, states, now, lambda c: (c.doc_id, c.section))),
            by_domain=tuple(self.mastery(cards, states, now, domain_of)) if domain_of else (),
        )

    def mastery(self, cards: list[Card], states: dict[str, CardState], now: datetime, key) -> list[Mastery]:
        groups: dict[tuple[str, str], list[Card]] = defaultdict(list)
        for card in cards:
            groups[key(card)].append(card)
        rows = []
        for (doc_id, section), members in groups.items():
            seen = [states[c.id] for c in members if c.id in states]
            recall = sum(self.card_mastery(s, now) for s in seen)
            rows.append(Mastery(doc_id, section, recall / len(seen) if seen else 0.0, len(seen), len(members),
                                sum(s.reviews for s in seen), sum(s.lapses for s in seen)))
        return rows

    def card_mastery(self, state: CardState, now: datetime) -> float:
        """0 right after a miss; else the chance of recalling the card a week from now. (Recall probability
        *now* is 1.0 for a day after any answer, right or wrong, so it cannot tell a miss from a hit.)"""
        if not state.last_correct:
            return 0.0
        return self.scheduler.get_card_retrievability(state.fsrs, now + MASTERY_HORIZON)


def section_weakness(states: dict[str, CardState]) -> dict[tuple[str, str], float]:
    """Share of wrong answers per (doc, section) answered so far, smoothed: (wrong + 1) / (answers + 2).

    Counted over every answered card of the section, whatever the current scope, so a section the
    person keeps missing pulls its new cards forward; a section never answered sits at 0.5.
    """
    wrong: dict[tuple[str, str], int] = defaultdict(int)
    total: dict[tuple[str, str], int] = defaultdict(int)
    for state in states.values():
        wrong[state.doc_id, state.section] += state.lapses
        total[state.doc_id, state.section] += state.reviews
    return {key: (wrong[key] + 1) / (total[key] + 2) for key in total}


def weighted_sample(items: list, weights: list[float], n: int, seed: int | None = None) -> list:
    """n items without replacement, each drawn with probability proportional to its weight."""
    rng = random.Random(seed)
    # Efraimidis–Spirakis: the n largest u^(1/w) keys form a weighted sample
    keyed = [(math.log(rng.random() or 1e-300) / max(w, 1e-9), i) for i, w in enumerate(weights)]
    keyed.sort(reverse=True)
    return [items[i] for _, i in keyed[: max(n, 0)]]


def streak(days: list, today) -> int:
    """Consecutive study days ending today (or yesterday, when today has no answer yet)."""
    studied = set(days)
    day = today if today in studied else today - timedelta(days=1)
    count = 0
    while day in studied:
        count += 1
        day -= timedelta(days=1)
    return count


def _fsrs_id(card_id: str) -> int:
    return int(card_id.rsplit("-", 1)[-1][:12], 16)
