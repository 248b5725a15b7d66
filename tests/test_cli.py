"""The command line turns every bad input into a one-line message and exit code 2, never a traceback."""

import json

import pytest

from bot.cli import main
from bot.ingest.index import ingest


@pytest.fixture
def env(tiny_settings, monkeypatch):
    monkeypatch.setenv("STUDYBOT_CORPUS_DIR", str(tiny_settings.corpus_dir))
    monkeypatch.setenv("STUDYBOT_INDEX_DIR", str(tiny_settings.index_dir))
    monkeypatch.setenv("STUDYBOT_CHUNK_SIZE", str(tiny_settings.chunk_size))
    return tiny_settings


def test_ingest_ask_and_json(env, capsys):
    assert main(["ingest", "--quiet"]) == 0
    assert "indexed" in capsys.readouterr().out
    assert main(["ask", "What", "is", "the", "max", "message", "size", "in", "SQS?"]) == 0
    out = capsys.readouterr().out
    assert "256 KB" in out and "Sources:" in out and "[1] Doc 100 — Messaging > Amazon SQS" in out
    assert main(["ask", "--json", "--doc", "101", "athena partitions"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {c["doc_id"] for c in data["contexts"]} == {"101"}
    assert set(data) >= {"answer", "refused", "citations", "contexts", "timings_ms"}


@pytest.mark.parametrize(
    "question, message",
    [("   ", "type a question"), ("x " * 50_000, "characters long"), ("\x00\x01\x02", "type a question")],
)
def test_bad_questions(env, capsys, question, message):
    ingest(env, progress=False)
    assert main(["ask", question]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err and "Traceback" not in err


def test_missing_index(env, capsys):
    assert main(["ask", "What is SQS?"]) == 2
    assert "studybot ingest" in capsys.readouterr().err
    assert not env.index_dir.exists()  # asking does not leave an empty database where the index should be


@pytest.mark.parametrize("argv, message", [(["ask", "  "], "type a question"),
                                           (["ask", "--doc", "999", "What is SQS?"], "unknown document '999'")])
def test_input_errors_come_before_the_index(env, capsys, argv, message):
    """No index exists: the question and the document are still judged first, so the message is about them."""
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and "ingest" not in err


def test_unknown_document_is_an_error_not_a_refusal(env):
    from bot.answer.studybot import build_bot
    from bot.search.question import QuestionError

    ingest(env, progress=False)
    with pytest.raises(QuestionError, match="unknown document '999'"):
        build_bot(env).ask("What is SQS?", doc_id="999")


def test_terminal_colour_codes_are_not_part_of_the_question(env, capsys):
    ingest(env, progress=False)
    assert main(["ask", "What is the max message size in SQS?"]) == 0
    plain = capsys.readouterr().out
    assert main(["ask", "\x1b[1;31mWhat is the max message size in SQS?\x1b[0m"]) == 0
    assert capsys.readouterr().out == plain and "256 KB" in plain


def test_bad_setting_value(env, capsys, monkeypatch):
    monkeypatch.setenv("STUDYBOT_K", "lots")
    assert main(["ask", "What is SQS?"]) == 2
    assert "STUDYBOT_K='lots'" in capsys.readouterr().err


def test_sections_prints_the_tree_and_rejects_unknown_documents(env, capsys):
    assert main(["sections", "102"]) == 0
    out = capsys.readouterr().out
    assert "1. Data collection" in out and "    1.1 Kinesis Data Stream" in out
    assert main(["sections", "999"]) == 2
    assert "unknown document '999'" in capsys.readouterr().err


def test_broken_corpus_file_is_a_warning_not_a_failure(env, capsys):
    (env.corpus_dir / "slides.txt").write_bytes(b"\xff\xfe\xfa")
    assert main(["ingest", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "warning: 101: slides.txt is not UTF-8" in out


def test_a_refusal_still_offers_the_closest_sections():
    """Refused, the answer keeps its passages: the CLI lists their sections (each once) for the student to read."""
    from bot.cli import format_answer
    from bot.models import Answer, Chunk, Hit

    def hit(section: tuple[str, ...], position: int) -> Hit:
        return Hit(Chunk(f"100-{position}", "100", "Queues", section, "text", position, 1), 0.5, 0.3)

    hits = (hit(("SQS", "Retention"), 0), hit(("SQS", "Retention"), 1), hit(("SNS",), 2), hit(("MQ",), 3))
    shown = format_answer(Answer("q", "That is not in the study material.", refused=True, hits=hits))
    assert shown.splitlines()[-3:] == ["  - Queues — SQS > Retention", "  - Queues — SNS", "  - Queues — MQ"]
    assert "Closest sections:" in shown


def test_a_manifest_that_reaches_outside_the_corpus_is_refused_before_anything_is_indexed(env, capsys):
    manifest = env.corpus_dir / "manifest.json"
    entries = json.loads(manifest.read_text()) + [{"id": "199", "title": "Passwords", "file": "/etc/passwd"}]
    manifest.write_text(json.dumps(entries))
    assert main(["ingest", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "entry '199' names '/etc/passwd', which is outside the corpus folder" in err and "Traceback" not in err
    assert not (env.index_dir / "CURRENT").exists()


def test_a_second_ingest_is_one_line_and_exit_2_and_wait_waits(env, capsys):
    from helpers.lock_holder import hold_the_ingest_lock

    child = hold_the_ingest_lock(env.index_dir, 30)
    try:
        assert main(["ingest", "--quiet"]) == 2
        err = capsys.readouterr().err
        assert f"error: another ingest (pid {child.pid}) is running" in err and "Traceback" not in err
    finally:
        child.kill()
        child.wait()
    assert main(["ingest", "--quiet", "--wait"]) == 0


def test_an_index_folder_that_cannot_be_written_stops_the_ingest_before_embedding(env, monkeypatch, capsys):
    blocker = env.index_dir.parent / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("STUDYBOT_INDEX_DIR", str(blocker / "index"))
    assert main(["ingest", "--quiet"]) == 2
    assert f"error: cannot write the index folder {blocker / 'index'}" in capsys.readouterr().err
