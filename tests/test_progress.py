"""Progress in SQLite with FSRS: persistence, isolation, concurrency, crash safety and what comes next."""

import sqlite3
import threading
from datetime import UTC, date, datetime, timedelta

import pytest
from fsrs import Scheduler
from helpers.quiz_docs import small_deck

from bot.quiz.deck import QuizInputError
from bot.quiz.grading import AGAIN, GOOD, grade
from bot.quiz.progress import Progress, ProgressError, check_profile, section_weakness, streak, weighted_sample
from bot.quiz.session import QuizService

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def deck():
    return small_deck()


def progress(path) -> Progress:
    return Progress(path, scheduler=Scheduler(enable_fuzzing=False))


def answer(p: Progress, profile: str, card, correct: bool, when=T0):
    result = grade(card, _response(card, correct))
    assert result.correct is correct
    return p.record(profile, card, result, when)


def _response(card, correct: bool) -> str:
    if card.kind == "mcq":
        wanted = card.answer if correct else card.distractors[0]
        return "ABCD"[card.choices.index(wanted)]
    return card.answer if correct else "no idea at all"


def test_progress_survives_a_restart(tmp_path, deck):
    card = deck.cards[0]
    answer(progress(tmp_path), "alice", card, True)
    reopened = progress(tmp_path)
    state = reopened.states("alice")[card.id]
    assert state.reviews == 1 and state.lapses == 0 and state.due > T0
    stats = reopened.stats("alice", list(deck.cards), T0)
    assert (stats.seen, stats.reviews, stats.correct, stats.total) == (1, 1, 1, len(deck.cards))


def test_two_profiles_do_not_mix(tmp_path, deck):
    p = progress(tmp_path)
    answer(p, "alice", deck.cards[0], True)
    answer(p, "bob", deck.cards[1], False)
    assert set(p.states("alice")) == {deck.cards[0].id}
    assert set(p.states("bob")) == {deck.cards[1].id}
    assert p.review_counts("alice") == (1, 1) and p.review_counts("bob") == (1, 0)
    assert p.profiles() == ["alice", "bob"]


def test_concurrent_answers_from_two_sessions_lose_nothing(tmp_path, deck):
    sessions = [progress(tmp_path), progress(tmp_path)]  # two connections, as two app users or two terminals
    card = deck.cards[0]
    errors = []

    def work(p: Progress, correct: bool):
        try:
            for i in range(15):
                answer(p, "alice", card, correct, T0 + timedelta(seconds=i))
        except Exception as err:  # surfaced below: a thread's failure must fail the test
            errors.append(err)

    threads = [threading.Thread(target=work, args=(s, i == 0)) for i, s in enumerate(sessions)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    state = progress(tmp_path).states("alice")[card.id]
    assert (state.reviews, state.lapses) == (30, 15)
    assert progress(tmp_path).review_counts("alice") == (30, 15)


def test_a_crash_mid_answer_loses_only_that_answer(tmp_path, deck, monkeypatch):
    p = progress(tmp_path)
    first, second = deck.cards[0], deck.cards[1]
    answer(p, "alice", first, True)

    def crash(*args, **kwargs):
        raise RuntimeError("power cut")

    monkeypatch.setattr(p.scheduler, "review_card", crash)
    with pytest.raises(RuntimeError):
        answer(p, "alice", second, True)
    reopened = progress(tmp_path)
    assert set(reopened.states("alice")) == {first.id}
    assert reopened.review_counts("alice") == (1, 1)


def test_due_cards_come_first_then_new_ones(tmp_path, deck):
    p = progress(tmp_path)
    cards = list(deck.cards)
    missed, known = cards[0], cards[1]
    answer(p, "alice", missed, False)  # Again: back in a minute
    answer(p, "alice", known, True)  # Good on a new card: back in ten minutes
    soon = p.next_cards("alice", cards, 3, T0 + timedelta(minutes=2), seed=1)
    assert soon[0] == missed and known not in soon and len(soon) == 3
    later = p.next_cards("alice", cards, 3, T0 + timedelta(hours=1), seed=1)
    assert later[:2] == [missed, known]  # the most overdue first
    assert all(c.id not in p.states("alice") for c in later[2:])


def test_new_cards_lean_toward_the_weakest_sections(tmp_path, deck):
    p = progress(tmp_path)
    cards = list(deck.cards)
    weak_section = cards[0].section
    strong = [c for c in cards if c.section != weak_section][:3]
    answer(p, "alice", cards[0], False)
    answer(p, "alice", cards[0], False, T0 + timedelta(minutes=5))
    for c in strong:
        answer(p, "alice", c, True)
    weakness = section_weakness(p.states("alice"))
    assert weakness[(cards[0].doc_id, weak_section)] == 3 / 4
    assert weakness[(strong[0].doc_id, strong[0].section)] < 0.5
    fresh = [c for c in cards if c.id not in p.states("alice")]
    from_weak = sum(
        c.section == weak_section
        for seed in range(300)
        for c in p.next_cards("alice", fresh, 1, T0, seed=seed)
    )
    share_weak = sum(c.section == weak_section for c in fresh) / len(fresh)
    assert from_weak / 300 > share_weak * 1.2  # drawn more often than its share of the new cards


def test_weighted_sample_is_deterministic_and_without_repeats():
    items = list(range(20))
    first = weighted_sample(items, [1.0] * 20, 5, seed=3)
    assert first == weighted_sample(items, [1.0] * 20, 5, seed=3)
    assert len(set(first)) == 5
    assert weighted_sample(items, [1.0] * 20, 0, seed=3) == []


def test_mastery_and_streak(tmp_path, deck):
    p = progress(tmp_path)
    card = deck.cards[0]
    for day in range(3):
        answer(p, "alice", card, True, T0 + timedelta(days=day))
    stats = p.stats("alice", list(deck.cards), T0 + timedelta(days=2, hours=1), tz=UTC)
    assert stats.streak_days == 3
    row = next(r for r in stats.by_section if r.section == card.section)
    members = sum(c.section == card.section and c.doc_id == card.doc_id for c in deck.cards)
    # over the studied card only (unseen cards are counted apart), its chance of recall a week from now
    assert 0.5 < row.mastery < 1 and row.seen == 1 and row.total == members and row.unseen == members - 1
    doc_row = next(r for r in stats.by_doc if r.doc_id == card.doc_id)
    assert doc_row.mastery == pytest.approx(row.mastery) and doc_row.seen == 1


def test_a_miss_lowers_mastery_at_once_and_a_hit_does_not(tmp_path, deck):
    p = progress(tmp_path)
    missed, known = deck.cards[0], next(c for c in deck.cards if c.section != deck.cards[0].section)
    answer(p, "alice", missed, False, T0)
    answer(p, "alice", known, True, T0)
    stats = p.stats("alice", list(deck.cards), T0 + timedelta(minutes=1), tz=UTC)
    rows = {r.section: r for r in stats.by_section}
    assert rows[missed.section].mastery == 0.0 and rows[known.section].mastery > 0.3
    assert [r.section for r in stats.weakest(5)][0] == missed.section
    assert all(r.seen for r in stats.weakest(5))  # sections never studied are not "weakest"
    answer(p, "alice", missed, True, T0 + timedelta(minutes=10))  # answered right again: back up
    later = p.stats("alice", list(deck.cards), T0 + timedelta(minutes=11), tz=UTC)
    assert next(r for r in later.by_section if r.section == missed.section).mastery > 0


def test_streak_counts_back_from_today_or_yesterday():
    today = date(2026, 11, 5)
    assert streak([date(2026, 11, 3), date(2026, 11, 4), today], today) == 3
    assert streak([date(2026, 11, 3), date(2026, 11, 4)], today) == 2
    assert streak([date(2026, 11, 1), date(2026, 11, 2)], today) == 0
    assert streak([], today) == 0


@pytest.mark.parametrize("name", ["", "   ", "x" * 65, "a/b", "../etc", None])
def test_bad_profile_names_get_a_clear_message(name):
    with pytest.raises(QuizInputError, match="A profile name is 1-64 letters"):
        check_profile(name)


def test_an_unknown_card_id_is_refused_and_nothing_is_stored(tmp_path, deck):
    service = QuizService(deck, progress(tmp_path))
    with pytest.raises(QuizInputError, match="unknown card id"):
        service.answer("alice", "900-doesnotexist", "256 KB", T0)
    with pytest.raises(QuizInputError, match="Type an answer"):
        service.answer("alice", deck.cards[0].id, "   ", T0)
    assert service.progress.review_counts("alice") == (0, 0)


def test_a_corrupt_database_gives_a_clear_message(tmp_path):
    (tmp_path / "progress.sqlite3").write_bytes(b"this is not a database" * 100)
    with pytest.raises(ProgressError, match="progress.sqlite3.*move the file away"):
        progress(tmp_path)


def test_grades_are_stored_with_their_rating(tmp_path, deck):
    p = progress(tmp_path)
    card = deck.cards[0]
    answer(p, "alice", card, False)
    answer(p, "alice", card, True, T0 + timedelta(minutes=2))
    with sqlite3.connect(p.path) as db:
        rows = db.execute("SELECT rating, correct FROM review_log ORDER BY id").fetchall()
    assert rows == [(AGAIN, 0), (GOOD, 1)]
