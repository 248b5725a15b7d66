"""`studybot quiz` in the terminal: a round driven by fed input, stats, and bad input without tracebacks."""

import io
import json
from datetime import UTC, datetime

import pytest
from conftest import write_corpus
from fsrs import Scheduler
from helpers.quiz_docs import DOCS, markdown, small_deck

from bot.cli import main
from bot.quiz.cli import run_quiz, section_excerpt
from bot.quiz.deck import QuizInputError
from bot.quiz.progress import Progress
from bot.quiz.session import QuizService
from bot.quiz.text import answer_visible


@pytest.fixture
def service(tmp_path):
    return QuizService(small_deck(), Progress(tmp_path / "data", scheduler=Scheduler(enable_fuzzing=False)))


def feeder(*answers):
    queue = list(answers)

    def ask(prompt: str) -> str:
        if not queue:
            raise EOFError
        return queue.pop(0)

    return ask


def right_answer(card) -> str:
    return "ABCD"[card.choices.index(card.answer)] if card.kind == "mcq" else card.answer


def test_a_round_grades_saves_and_opens_the_section(service):
    cards = list(service.plan("alice", section="Amazon SQS", n=2, seed=1).cards)
    out: list[str] = []
    run_quiz(service, "alice", cards, feeder(right_answer(cards[0]), "o", "wrong guess", ""), out.append)
    text = "\n".join(out)
    assert f"[1/2] Queue notes\n{cards[0].prompt}" in text and cards[0].prompt.startswith("Messaging › Amazon SQS")
    assert f"✓ Right: {cards[0].answer}" in text and f"✗ Not quite. The answer is {cards[1].answer}" in text
    assert "  Source: Queue notes — Messaging > Amazon SQS" in text and f"“{cards[0].passage}”" in text
    assert f"> {cards[0].passage}" in text or f"> - {cards[0].passage}" in text  # the opened section, marked
    assert "Done: 1 of 2 right." in text
    assert service.progress.review_counts("alice") == (2, 1)


def test_bad_input_is_explained_and_asked_again(service):
    card = service.plan("alice", section="Amazon SQS", n=1, seed=1).cards[0]
    out: list[str] = []
    assert run_quiz(service, "alice", [card], feeder("", "x" * 5000, "s"), out.append) == 0
    assert "  Type an answer (or skip the card)." in out
    assert "  That answer is 5,000 characters long; answers are at most 300." in out
    assert out[-1] == "No answers given." and service.progress.review_counts("alice") == (0, 0)


def test_a_bad_choice_is_explained(service):
    card = next(c for c in service.deck.cards if c.kind == "mcq")
    out: list[str] = []
    run_quiz(service, "alice", [card], feeder("z", "q"), out.append)
    assert "  Pick one of A/B/C/D (or type the option's text)." in out


def test_end_of_input_ends_the_round_and_keeps_what_was_answered(service):
    cards = list(service.plan("alice", n=3, seed=2).cards)
    out: list[str] = []
    run_quiz(service, "alice", cards, feeder(right_answer(cards[0])), out.append)
    assert "Done: 1 of 1 right." in out and service.progress.review_counts("alice") == (1, 1)


def test_section_excerpt_marks_the_passage():
    text = "\n".join(f"line {i}" for i in range(100))
    shown = section_excerpt(text, "line 50", size=10)
    assert shown[0] == "  …" and "> line 50" in shown and shown[-1] == "  …" and len(shown) == 12


@pytest.fixture
def corpus_env(tmp_path, monkeypatch):
    corpus = write_corpus(tmp_path / "corpus", {i: (f"{i}.md", "markdown", markdown(i)) for i in DOCS})
    monkeypatch.setenv("STUDYBOT_CORPUS_DIR", str(corpus))
    monkeypatch.delenv("STUDYBOT_DATA_DIR", raising=False)
    monkeypatch.setenv("STUDYBOT_DATA", str(tmp_path / "data"))
    monkeypatch.setenv("STUDYBOT_CHUNK_SIZE", "300")
    return tmp_path


def test_studybot_quiz_end_to_end_keeps_progress_in_STUDYBOT_DATA(corpus_env, monkeypatch, capsys):
    size = next(c for c in small_deck().cards if c.answer == "256 KB")
    monkeypatch.setattr("sys.stdin", io.StringIO("\n128 KB\nq\n"))
    assert main(["quiz", "--card", size.id, "--profile", "alice"]) == 0
    out = capsys.readouterr().out
    assert "Type an answer (or skip the card)." in out and "✗ Not quite. The answer is 256 KB" in out
    assert (corpus_env / "data" / "progress.sqlite3").exists()
    monkeypatch.setattr("sys.stdin", io.StringIO("q\n"))
    assert main(["quiz", "--n", "3", "--profile", "alice", "--section", "amazon sqs"]) == 0
    assert "3 cards for alice: 0 due for review, 3 new." in capsys.readouterr().out  # the missed card: in a minute
    assert main(["quiz", "--stats", "--profile", "alice"]) == 0
    stats = capsys.readouterr().out
    assert "Profile alice: 1 of" in stats and "1 answers (0% right), streak 1 day" in stats
    assert "Weakest sections you studied:" in stats and "900 Messaging > Amazon SQS (1 wrong of 1)" in stats


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["quiz", "--doc", "999"], "error: unknown document '999'; known: 900 (Doc 900)"),
        (["quiz", "--card", "900-nope"], "error: unknown card id '900-nope'"),
        (["quiz", "--section", "Lambda"], "error: no quiz cards in a section matching 'Lambda'"),
        (["quiz", "--profile", "../x"], "error: A profile name is 1-64 letters"),
    ],
)
def test_bad_arguments_get_a_message_and_exit_2(corpus_env, capsys, argv, message):
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_a_bad_round_size_is_refused_by_the_parser(corpus_env, capsys):
    with pytest.raises(SystemExit) as stop:
        main(["quiz", "--n", "0"])
    assert stop.value.code == 2 and "ask for 1 to 100 cards per round (got 0)" in capsys.readouterr().err


def test_nothing_due_says_when_the_next_card_comes_back(service):
    deck_cards = service.deck.scope(section="Durability")
    for card in deck_cards:
        service.answer("alice", card.id, right_answer(card))
    plan = service.plan("alice", section="Durability", n=5, now=datetime.now(UTC))
    assert plan.cards == ()
    from bot.quiz.session import wait_text

    assert len(deck_cards) == 1
    assert "the next card comes back in 10 minutes" in wait_text(service.next_due("alice", deck_cards))


def test_a_missing_unit_is_not_accepted_but_rated_hard_and_a_blank_answer_asks_again(service):
    size = next(c for c in service.deck.cards if c.answer == "256 KB")
    first = service.answer("alice", size.id, "256")
    assert not first.grade.correct and first.grade.rating == 2
    assert first.grade.note == "right number; give the unit too: 256 KB"
    with pytest.raises(QuizInputError, match="Type an answer"):  # an Enter by mistake: nothing stored
        service.answer("alice", size.id, "  ")


def test_export_writes_every_card_as_shown(corpus_env, capsys):
    target = corpus_env / "deck.jsonl"
    assert main(["quiz", "--export", str(target)]) == 0
    assert f"wrote {len(small_deck().cards)} cards to {target}" in capsys.readouterr().out
    records = [json.loads(line) for line in target.read_text().splitlines()]
    assert len(records) == len(small_deck().cards)
    assert set(records[0]) == {"id", "kind", "header", "prompt", "choices", "answer", "doc", "section", "exam",
                               "domain", "topic", "topic_name"}
    for record in records:
        assert record["header"].startswith("Doc 9")
        assert not answer_visible(record["answer"], record["header"] + "\n" + record["prompt"])
        assert (record["kind"] == "mcq") == bool(record["choices"])
        assert all(line[:3] in ("A) ", "B) ", "C) ", "D) ") for line in record["choices"])


def test_export_to_a_folder_that_does_not_exist_gets_a_message(corpus_env, capsys):
    assert main(["quiz", "--export", str(corpus_env / "no" / "such" / "deck.jsonl")]) == 2
    assert "error: cannot write" in capsys.readouterr().err and not (corpus_env / "no").exists()


def test_grade_file_prints_disagreements_and_the_agreement(tmp_path, capsys):
    pairs = tmp_path / "pairs.jsonl"
    pairs.write_text('{"expected": "256 KB", "typed": "256 kilobytes", "accept": true}\n'
                     '{"expected": "AWS Shield", "typed": "AWS WAF", "accept": false}\n'
                     '{"expected": "14 days", "typed": "2 weeks", "accept": false}\n')
    assert main(["quiz", "--grade-file", str(pairs)]) == 0
    out = capsys.readouterr().out
    assert "grader accepts: expected '14 days', typed '2 weeks'" in out and out.rstrip().endswith("agreement: 2/3")


@pytest.mark.parametrize(("text", "message"), [
    ("", "holds no pairs"), ("not json\n", ":1: not JSON"), ('{"expected": "1"}\n', 'needs "expected", "typed"'),
    ('{"expected": "1", "typed": "1", "accept": "yes"}\n', '"accept" must be true or false'),
])
def test_a_bad_grade_file_gets_a_message_and_exit_2(tmp_path, capsys, text, message):
    pairs = tmp_path / "pairs.jsonl"
    pairs.write_text(text)
    assert main(["quiz", "--grade-file", str(pairs)]) == 2
    assert message in capsys.readouterr().err
