"""The practice-exam tab's screens, driven without a browser (the browser test drives the real page)."""

from datetime import UTC, datetime, timedelta

import pytest
from helpers.quiz_docs import small_deck

from bot.quiz.progress import Progress
from bot.quiz.session import QuizService
from bot.ui import exam as tab

T0 = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


@pytest.fixture
def service(tmp_path):
    deck = small_deck()
    deck.exams.update({d: "DEA-C01" for d in deck.docs})
    return QuizService(deck, Progress(tmp_path / "data"))


def right(card) -> str:
    return f"{'ABCD'[card.choices.index(card.answer)]}) {card.answer}" if card.kind == "mcq" else card.answer


def test_an_exam_runs_without_feedback_then_scores_and_keeps_the_attempt(service):
    screen = tab.start_exam(service, "alice", "DEA-C01", 3, 10, T0, seed=2)
    assert screen.running and "Question 1 of 3" in screen.status and "10:00 left" in screen.status
    paper = screen.state["paper"]
    for i, card in enumerate(paper.cards):
        given = right(card) if i < 2 else None
        screen = tab.answer(service, screen.state, given, given, T0 + timedelta(minutes=i + 1))
        if i < 2:
            assert screen.running and not screen.result  # no feedback before the end
    assert not screen.running and "Score 700 / 1000" in screen.status and "not yet a pass" in screen.status
    assert "2 of 3 right" in screen.result and "not answered" in screen.result
    assert paper.cards[2].doc_title in screen.result  # the miss links its section
    history = tab.attempts_html(service, "alice", "DEA-C01")
    assert history.count('class="attempt fail"') == 1 and ">700<" in history and 'title="pass line 720"' in history
    assert "No attempts yet" in tab.attempts_html(service, "nobody", "DEA-C01")


def test_end_now_and_the_deadline_finish_the_exam(service):
    screen = tab.start_exam(service, "bob", "DEA-C01", 3, 1, T0, seed=2)
    ended = tab.finish(service, screen.state, T0 + timedelta(seconds=20))
    assert "Score 100 / 1000" in ended.status and "0 of 3 right" in ended.result
    screen = tab.start_exam(service, "bob", "DEA-C01", 3, 1, T0, seed=2)
    card = screen.state["paper"].cards[0]
    late = tab.answer(service, screen.state, right(card), right(card), T0 + timedelta(minutes=2))
    assert not late.running and "Time ran out" in late.result and "0 of 3 right" in late.result


@pytest.mark.parametrize(("profile", "exam", "n", "message"), [
    ("../x", "DEA-C01", 3, "A profile name"), ("alice", "NOPE", 3, "unknown exam"), ("alice", "DEA-C01", 0, "1 to 200"),
])
def test_bad_settings_get_a_message_and_no_exam(service, profile, exam, n, message):
    screen = tab.start_exam(service, profile, exam, n, 10, T0)
    assert not screen.running and message in screen.result and screen.state == {}


def test_a_bad_letter_is_explained_and_the_question_stays(service):
    screen = tab.start_exam(service, "carol", "DEA-C01", 3, 10, T0, seed=5)
    mcq = next((i for i, c in enumerate(screen.state["paper"].cards) if c.kind == "mcq"), None)
    assert mcq is not None
    state = {**screen.state, "i": mcq}
    again = tab.answer(service, state, None, "E) nothing", T0)
    assert again.running and "Pick one of" in again.result and again.state["i"] == mcq


def test_a_tick_updates_each_output_of_the_screen_once(service):
    outputs = len(tab.show(tab.start_exam(service, "tick", "DEA-C01", 2, 1, T0)))
    assert outputs >= 3 and len(tab.tick_updates(None, outputs)) == outputs
    running = tab.tick(service, tab.start_exam(service, "tick", "DEA-C01", 2, 1, T0).state, T0 + timedelta(seconds=5))
    updates = tab.tick_updates(running, outputs)
    assert len(updates) == outputs and updates[1] == running.status
    over = tab.tick(service, running.state, T0 + timedelta(seconds=61))
    assert len(tab.tick_updates(over, outputs)) == outputs


def test_the_clock_counts_down_and_the_deadline_ends_the_exam(service):
    assert tab.tick(service, {}, T0) is None  # no exam: nothing to update
    screen = tab.start_exam(service, "gus", "DEA-C01", 3, 1, T0, seed=2)
    assert "0:30 left" in tab.tick(service, screen.state, T0 + timedelta(seconds=30)).status
    over = tab.tick(service, screen.state, T0 + timedelta(seconds=61))
    assert not over.running and "Score 100 / 1000" in over.status and "Time ran out" in over.result
    assert [a.total for a in service.progress.attempts("gus")] == [3]
    assert tab.show(screen)[-1].active and not tab.show(over)[-1].active  # the clock runs only during an exam


def test_flagged_questions_come_back_after_the_last_and_next_keeps_the_answer(service):
    screen = tab.start_exam(service, "alice", "DEA-C01", 3, 30, T0, seed=2)
    cards = screen.state["paper"].cards
    at = T0 + timedelta(minutes=1)
    screen = tab.answer(service, screen.state, right(cards[0]), right(cards[0]), at, flag=True)
    assert "1 flagged" in screen.status and "Question 2 of 3" in screen.status
    screen = tab.answer(service, screen.state, None, None, at, flag=True)  # left blank, flagged
    screen = tab.answer(service, screen.state, right(cards[2]), right(cards[2]), at)
    assert screen.running and "Review 1 of 2" in screen.status and "question 1, flagged" in screen.status
    assert screen.state["review"] == [0, 1] and screen.state["i"] == 0
    screen = tab.answer(service, screen.state, None, None, at)  # Next with nothing: the earlier answer stays
    assert "Review 2 of 2" in screen.status and "your answer: blank" in screen.status
    screen = tab.answer(service, screen.state, right(cards[1]), right(cards[1]), at)
    assert not screen.running and "3 of 3 right" in screen.result
