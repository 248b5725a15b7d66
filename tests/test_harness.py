"""`studybot eval` on a tiny corpus and a tiny gold file in the shared schema."""

import json

import pytest
from helpers.tiny_gold import GOLD

from bot.cli import main
from bot.ingest.index import ingest


@pytest.fixture
def env(tiny_settings, monkeypatch, tmp_path):
    ingest(tiny_settings, progress=False)
    monkeypatch.setenv("STUDYBOT_CORPUS_DIR", str(tiny_settings.corpus_dir))
    monkeypatch.setenv("STUDYBOT_INDEX_DIR", str(tiny_settings.index_dir))
    monkeypatch.setenv("STUDYBOT_CHUNK_SIZE", str(tiny_settings.chunk_size))
    gold = tmp_path / "elsewhere" / "gold.jsonl"
    gold.parent.mkdir()
    gold.write_text("\n".join(json.dumps(g) for g in GOLD) + "\n")
    return gold


def test_eval_writes_run_file_metrics_and_report(env, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["eval", "--gold", str(env), "--out", str(out), "--k", "3", "--baseline"]) == 0
    runs = [json.loads(line) for line in (out / "run.jsonl").read_text().splitlines()]
    assert [r["id"] for r in runs] == ["t1", "t2", "t3"]
    for run in runs:
        assert set(run) == {"id", "answer", "refused", "contexts", "cited", "ms", "answerer", "fallback", "dropped",
                            "claims"}
        assert run["answerer"] == "extractive" and not run["fallback"] and run["claims"] == 0
        assert len(run["contexts"]) <= 3
    assert runs[2]["refused"] and not runs[0]["refused"]
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["overall"]["hit@1"] == 1.0 and metrics["overall"]["refusal_recall"] == 1.0
    assert metrics["overall"]["fact_recall"] == 1.0
    assert set(metrics["by_type"]) == {"numeric", "keyword", "unanswerable"}
    baseline = json.loads((out / "baseline" / "metrics.json").read_text())
    assert baseline["overall"]["refusal_recall"] == 0.0  # the naive baseline never refuses
    printed = capsys.readouterr().out
    assert "baseline" in printed and "ratio" in printed and "hit@3" in printed
    report = (out / "report.html").read_text()
    assert "<img" in report and "data:image/png;base64," in report and "Failures" in report


def test_bad_gold_file_is_a_clear_error(env, tmp_path, capsys):
    env.write_text('{"id": "x", "question": "q"}\n')
    assert main(["eval", "--gold", str(env), "--out", str(tmp_path / "o")]) == 2
    assert "needs at least id, question, type" in capsys.readouterr().err
    env.write_text('{"id": "x", "question": "q", "type": "riddle"}\n')
    assert main(["eval", "--gold", str(env), "--out", str(tmp_path / "o")]) == 2
    assert "unknown type" in capsys.readouterr().err
    assert main(["eval", "--gold", str(tmp_path / "missing.jsonl")]) == 2


def test_eval_with_a_chat_model_answers_through_it(env, tmp_path, monkeypatch):
    from stub_openai import StubOpenAI

    with StubOpenAI(reply="Max message size is 256 KB [1].") as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.url)
        monkeypatch.setenv("OPENAI_API_KEY", "dummy")
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
        out = tmp_path / "llm"
        assert main(["eval", "--gold", str(env), "--out", str(out), "--llm", "openai:stub-model", "--no-report"]) == 0
    runs = {r["id"]: r for r in map(json.loads, (out / "run.jsonl").read_text().splitlines())}
    assert runs["t1"]["answer"] == "Max message size is 256 KB [1]."  # the model's text, its citation checked
    assert runs["t1"]["answerer"] == "openai:stub-model" and runs["t1"]["claims"] == 1 and not runs["t1"]["dropped"]
    assert runs["t3"]["refused"] and runs["t3"]["answerer"] == "extractive"  # refused before the model was asked
    assert len(server.requests) == 2 and all(r["model"] == "stub-model" for r in server.requests)
    answering = json.loads((out / "metrics.json").read_text())["answering"]
    assert sum(answering["by_answerer"].values()) == 3 and answering["by_answerer"]["openai:stub-model"] >= 1


def test_an_eval_whose_model_fails_every_call_says_so(env, tmp_path, monkeypatch, capsys):
    from stub_openai import StubOpenAI

    with StubOpenAI(mode="error") as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.url)
        monkeypatch.setenv("OPENAI_API_KEY", "dummy")
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
        out = tmp_path / "failing"
        assert main(["eval", "--gold", str(env), "--out", str(out), "--llm", "openai:stub-model"]) == 0
    runs = [json.loads(line) for line in (out / "run.jsonl").read_text().splitlines()]
    answered = [r for r in runs if not r["refused"]]
    assert answered and all(r["answerer"] == "extractive" and "server error (HTTP 500)" in r["fallback"]
                            for r in answered)
    answering = json.loads((out / "metrics.json").read_text())["answering"]
    assert answering["fallback_rate"] == len(answered) / len(runs) > 0.5
    assert "fell back to the extractive answerer" in capsys.readouterr().err
    assert "fell back to the extractive answerer" in (out / "report.html").read_text()


def test_eval_with_an_unknown_provider_fails_before_loading_anything(env, tmp_path, capsys):
    assert main(["eval", "--gold", str(env), "--out", str(tmp_path / "x"), "--llm", "nosuch:model"]) == 2
    assert "unknown LLM provider 'nosuch'" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


def test_history_is_asked_as_one_conversation_and_only_the_last_turn_is_scored(env, tmp_path):
    follow_up = {"id": "c1", "history": ["What is the max message size in SQS?"],
                 "question": "and how long are messages kept?", "answer": "4 days by default, up to 14 days.",
                 "facts": ["14 days"], "doc": "100", "section": "Amazon SQS",
                 "evidence": "Messages are kept for 4 days by default, up to 14 days.", "type": "followup"}
    env.write_text(json.dumps(follow_up) + "\n")
    out = tmp_path / "conversation"
    assert main(["eval", "--gold", str(env), "--out", str(out), "--k", "3", "--no-report"]) == 0
    (run,) = [json.loads(line) for line in (out / "run.jsonl").read_text().splitlines()]
    assert "14 days" in run["answer"] and not run["refused"]
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["overall"]["items"] == 1 and metrics["overall"]["hit@1"] == 1.0
    assert metrics["by_type"]["followup"]["fact_recall"] == 1.0


def test_the_bot_system_answers_every_earlier_question_first(tiny_settings):
    from bot.answer.studybot import build_bot
    from evals.harness import bot_system

    ingest(tiny_settings, progress=False)
    bot = build_bot(tiny_settings)
    asked = []
    retrieve = bot.retrieve

    def recording(query, doc_id=None, k=None, context=""):
        asked.append((query, context))
        return retrieve(query, doc_id, k, context)

    bot.retrieve = recording
    run = bot_system(bot)("and how long are messages kept?", 3, ["What is the max message size in SQS?"])
    assert [q for q, _ in asked] == ["What is the max message size in SQS?", "and how long are messages kept?"]
    assert "SQS" in asked[1][1]  # the follow-up was searched with the earlier turn
    assert run["ms"] > 0 and "14 days" in run["answer"]
