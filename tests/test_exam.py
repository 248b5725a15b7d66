"""The practice exam: drawn by domain weight, scored at the end on 100-1000, attempts kept, in the terminal."""

import sqlite3
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from helpers.quiz_docs import small_deck

from bot.quiz.cards import Card
from bot.quiz.deck import QuizInputError
from bot.quiz.domains import Domain, ExamGuide
from bot.quiz.exam import allocate, draw_paper, scaled_score, score_paper
from bot.quiz.exam_cli import history_lines, run_command
from bot.quiz.progress import Progress
from bot.quiz.session import QuizService

T0 = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
GUIDE = ExamGuide("TST-C01", "Test exam", "1.0", 65, 130, 720, (
    Domain("Ingest", 50, ("Ingest data",), ("kinesis",)), Domain("Store", 30, ("Store data",), ("s3",)),
    Domain("Secure", 20, ("Secure data",), ("iam",))))


def card(i: int, kind: str = "mcq") -> Card:
    choices = ("right", "w1", "w2", "w3") if kind == "mcq" else ()
    return Card(f"900-{i:012x}", kind, "definition" if kind == "mcq" else "number", f"question {i}",
                "right" if kind == "mcq" else "5 GB", (), choices, "900", "Doc", ("Part", f"S{i}"), "line")


def test_allocate_follows_the_weights_and_moves_what_a_small_domain_cannot_fill():
    assert allocate(GUIDE, {"Ingest": 99, "Store": 99, "Secure": 99}, 10) == {"Ingest": 5, "Store": 3, "Secure": 2}
    assert allocate(GUIDE, {"Ingest": 99, "Store": 99, "Secure": 1}, 10) == {"Ingest": 6, "Store": 3, "Secure": 1}
    assert allocate(GUIDE, {"Ingest": 2, "Store": 1, "Secure": 0}, 10) == {"Ingest": 2, "Store": 1, "Secure": 0}
    assert sum(allocate(GUIDE, {"Ingest": 9, "Store": 9, "Secure": 9}, 2).values()) == 2


def test_a_paper_is_drawn_by_domain_choice_questions_first_and_is_reproducible():
    cards = [card(i) for i in range(30)] + [card(100 + i, "cloze") for i in range(30)]
    domain_of = {c.id: ("Ingest", "Store", "Secure")[int(c.id[-2:], 16) % 3] for c in cards}.get
    paper = draw_paper(GUIDE, cards, lambda c: domain_of(c.id), 12, 20, seed=4, now=T0)
    assert len(paper.cards) == 12 and paper.minutes == 20 and paper.deadline == T0 + timedelta(minutes=20)
    assert sorted(paper.domains.values()) == ["Ingest"] * 6 + ["Secure"] * 2 + ["Store"] * 4  # 6, 3.6, 2.4
    assert all(c.kind == "mcq" for c in paper.cards)  # enough choice questions in every domain
    again = draw_paper(GUIDE, cards, lambda c: domain_of(c.id), 12, 20, seed=4, now=T0)
    assert [c.id for c in again.cards] == [c.id for c in paper.cards]
    with pytest.raises(QuizInputError, match="1 to 200 questions"):
        draw_paper(GUIDE, cards, lambda c: "Ingest", 0, 20)
    with pytest.raises(QuizInputError, match="1 to 600 minutes"):
        draw_paper(GUIDE, cards, lambda c: "Ingest", 5, 0)


def test_scoring_counts_blanks_and_bad_input_as_wrong_and_scales_to_1000():
    cards = [card(1), card(2), card(3, "cloze"), card(4, "cloze")]
    paper = draw_paper(GUIDE, cards, lambda c: "Ingest", 4, 10, seed=1, now=T0)
    answers = {cards[0].id: "A" if paper.cards else "", cards[2].id: "5 gigabytes", cards[3].id: "5 TB",
               cards[1].id: "E"}
    answers[cards[0].id] = "ABCD"[cards[0].choices.index("right")]
    result = score_paper(paper, answers, T0 + timedelta(minutes=5))
    assert (result.correct, result.total, result.score) == (2, 4, 550) and not result.passed
    assert {m.card_id for m in result.missed} == {cards[1].id, cards[3].id}
    assert result.by_domain == (("Ingest", 2, 4),) and not result.timed_out
    assert scaled_score(0, 65) == 100 and scaled_score(65, 65) == 1000 and scaled_score(52, 65) == 820


def test_attempts_are_kept_and_an_older_database_is_migrated(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    old = sqlite3.connect(data / "progress.sqlite3")  # the schema before practice exams existed
    old.executescript("CREATE TABLE review_log (id INTEGER PRIMARY KEY AUTOINCREMENT, profile TEXT NOT NULL, "
                      "card_id TEXT NOT NULL, rating INTEGER NOT NULL, correct INTEGER NOT NULL, response TEXT NOT "
                      "NULL, reviewed_at TEXT NOT NULL); INSERT INTO review_log (profile, card_id, rating, correct, "
                      "response, reviewed_at) VALUES ('alice', '900-x', 3, 1, '5 GB', '2026-11-01T09:00:00+00:00');")
    old.commit()
    old.close()
    progress = Progress(data)
    assert progress.review_counts("alice") == (1, 1)  # kept
    paper = draw_paper(GUIDE, [card(1)], lambda c: "Ingest", 1, 10, seed=1, now=T0)
    result = score_paper(paper, {card(1).id: "ABCD"[card(1).choices.index("right")]}, T0 + timedelta(minutes=1))
    progress.save_attempt("alice", result)
    [attempt] = progress.attempts("alice")
    assert (attempt.exam, attempt.score, attempt.passed) == ("TST-C01", 1000, True)
    assert progress.attempts("alice", "OTHER") == [] and progress.attempts("bob") == []
    assert "TST-C01  1000" in history_lines([attempt])[1] and "No practice exams yet" in history_lines([])[0]


def test_the_terminal_exam_stops_at_the_deadline_and_keeps_the_attempt(tmp_path, monkeypatch):
    deck = small_deck()
    deck.exams.update({d: "DEA-C01" for d in deck.docs})
    service = QuizService(deck, Progress(tmp_path / "data"))
    monkeypatch.setattr(QuizService, "from_settings", classmethod(lambda cls, settings: service))
    times = iter([T0, T0, T0 + timedelta(minutes=1), T0 + timedelta(minutes=1), T0 + timedelta(minutes=6)] +
                 [T0 + timedelta(minutes=7)] * 20)
    answers = iter(["nonsense E", "A", "", "B"])
    out: list[str] = []
    args = SimpleNamespace(exam="dea-c01", n=4, minutes=5, profile="alice", history=False, seed=3)
    assert run_command(args, None, lambda prompt: next(answers), out.append, lambda: next(times)) == 0
    text = "\n".join(out)
    assert "DEA-C01 practice exam: 4 questions, 5 minutes." in text and "[1/4] 5:00 left" in text
    assert "Time is up" in text and "Score " in text and "pass line 720" in text and "Missed" in text
    [attempt] = service.progress.attempts("alice")
    assert attempt.total == 4 and attempt.exam == "DEA-C01"
    args = SimpleNamespace(exam="dea-c01", n=4, minutes=5, profile="alice", history=True, seed=3)
    out.clear()
    assert run_command(args, None, lambda prompt: "", out.append) == 0 and "DEA-C01" in out[0].splitlines()[1]


def test_an_unknown_exam_gets_a_message(tmp_path, monkeypatch, capsys):
    service = QuizService(small_deck(), Progress(tmp_path / "data"))
    monkeypatch.setattr(QuizService, "from_settings", classmethod(lambda cls, settings: service))
    args = SimpleNamespace(exam="XYZ", n=None, minutes=None, profile="alice", history=False, seed=None)
    assert run_command(args, None, lambda prompt: "", print) == 2
    assert "unknown exam 'XYZ'" in capsys.readouterr().err


def test_the_terminal_exam_ends_at_its_deadline_by_itself_while_a_question_waits(tmp_path, monkeypatch):
    """With the terminal's own input and nobody typing (a pipe never written to), the exam ends at the deadline
    instead of waiting for the next line. The clock puts the deadline 2 s after the first question."""
    import os
    import resource
    import sys
    import threading

    deck = small_deck()
    deck.exams.update({d: "DEA-C01" for d in deck.docs})
    service = QuizService(deck, Progress(tmp_path / "data"))
    monkeypatch.setattr(QuizService, "from_settings", classmethod(lambda cls, settings: service))
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 2048)), hard))
    held = [os.open(os.devnull, os.O_RDONLY) for _ in range(1030)]  # a long run's descriptors: select() fails
    read_end, write_end = os.pipe()                                   # on a number above 1023, epoll does not
    monkeypatch.setattr(sys, "stdin", os.fdopen(read_end))
    started = [True]

    def clock():  # the paper starts 58 s "ago" for a 1-minute exam; after that, the real time
        now = datetime.now(UTC)
        if started and started.pop():
            return now - timedelta(seconds=58)
        return now

    out: list[str] = []
    args = SimpleNamespace(exam="DEA-C01", n=2, minutes=1, profile="alice", history=False, seed=3)
    # were the deadline ignored, the input would end (EOF) here instead, and "Time is up." would be missing
    guard = threading.Timer(30, os.close, [write_end])
    guard.daemon = True
    guard.start()
    try:
        assert run_command(args, None, input, out.append, clock) == 0
    finally:
        guard.cancel()
        for descriptor in [write_end, *held]:
            os.close(descriptor)
    text = "\n".join(out)
    assert "2 questions, 1 minute." in text and "Time is up." in text and "0 of 2 right" in text
    [attempt] = service.progress.attempts("alice")
    assert attempt.total == 2 and attempt.correct == 0
    assert "0 of 2 questions right" in "\n".join(history_lines([attempt]))


def test_a_retired_exam_says_so_before_it_starts():
    from bot.quiz.domains import load_guides

    guides = load_guides()
    assert guides["DAS-C01"].retired == "2024-04-08" and not guides["DEA-C01"].retired
    assert "AWS retired DAS-C01 on 2024-04-08" in guides["DAS-C01"].retirement_note()
    assert guides["SAA-C03"].retirement_note() == ""


def test_flagged_questions_come_back_before_the_end_and_enter_keeps_the_answer():
    from bot.quiz.exam import Paper
    from bot.quiz.exam_cli import take

    cards = tuple(card(i) for i in range(3))
    paper = Paper("TST-C01", cards, {c.id: "Ingest" for c in cards}, minutes=30, started=T0)
    typed = iter(["flag", "A", "B", "f", "", "", "C"])  # q1 flagged then A; q2 B; q3 flagged, blank; review
    out: list[str] = []
    answers = take(paper, lambda prompt: next(typed), out.append, lambda: T0 + timedelta(minutes=1))
    assert answers == {cards[0].id: "A", cards[1].id: "B", cards[2].id: "C"}
    text = "\n".join(out)
    assert "Question 1 is flagged" in text and "Question 3 is flagged" in text
    assert "Review: 2 flagged questions." in text and "your answer: A" in text and "your answer: (blank)" in text
    assert text.count("[2/3]") == 1  # an unflagged question is not asked again
