"""The Evals tab's handlers without a browser: stored results shown, none yet, failures escaped, a run in-process."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from test_harness import GOLD

from bot.settings import ROOT
from bot.ui.evals import passage_sections, results_panel, run_now, show_panel
from evals.harness import DEFAULT_OUT, EvalPaths
from evals.metrics import summarize

SCRIPT = "<script>alert('q')</script>"
SCORES = [
    {"id": "a1", "type": "numeric", "doc": "100", "answerable": True, "refused": False, "ms": 12.0, "rank": 1,
     "fact_recall": 1.0, "all_facts": True, "citation_ok": True},
    {"id": "a2", "type": "keyword", "doc": "101", "answerable": True, "refused": False, "ms": 30.0, "rank": None,
     "fact_recall": 0.0, "all_facts": False, "citation_ok": False},
    {"id": "u1", "type": "unanswerable", "doc": "none", "answerable": False, "refused": False, "ms": 8.0,
     "rank": None, "fact_recall": None, "all_facts": None, "citation_ok": None},
]
RUNS = [
    {"id": "a1", "answer": "256 KB.", "refused": False, "contexts": ["Max message size is 256 KB"], "cited": [],
     "ms": 12.0},
    {"id": "a2", "answer": "<img src=x onerror=alert(1)>", "refused": False,
     "contexts": ["Shards <b>scale</b> reads", "other"], "cited": [], "ms": 30.0},
    {"id": "u1", "answer": "Bake it.", "refused": False, "contexts": [], "cited": [], "ms": 8.0},
]
QUESTIONS = [
    {"id": "a1", "question": "Biggest SQS message?", "type": "numeric", "answer": "256 KB"},
    {"id": "a2", "question": f"{SCRIPT} shard write capacity?", "type": "keyword", "answer": "1 MB/s & more"},
    {"id": "u1", "question": "How do I bake bread?", "type": "unanswerable"},
]


def write_results(out, baseline_hit1: float | None = None) -> EvalPaths:
    """Run files as `studybot eval` writes them, with distinctive headline numbers."""
    out.mkdir(parents=True)
    metrics = summarize(SCORES, 5) | {"k": 5}
    metrics["overall"] |= {"hit@1": 0.8125, "fact_recall": 0.6789, "latency_p50_ms": 42.5}
    (out / "metrics.json").write_text(json.dumps(metrics))
    (out / "scores.json").write_text(json.dumps(SCORES))
    (out / "run.jsonl").write_text("".join(json.dumps(r) + "\n" for r in RUNS))
    if baseline_hit1 is not None:
        (out / "baseline").mkdir()
        theirs = summarize(SCORES, 5) | {"k": 5}
        theirs["overall"]["hit@1"] = baseline_hit1
        (out / "baseline" / "metrics.json").write_text(json.dumps(theirs))
    questions = out.parent / "questions.jsonl"
    questions.write_text("".join(json.dumps(q) + "\n" for q in QUESTIONS))
    return EvalPaths(out=out, gold=questions)


def test_stored_results_fill_the_tables_with_their_numbers(tmp_path):
    paths = write_results(tmp_path / "latest", baseline_hit1=0.625)
    panel = results_panel(paths, {"100": "SQS notes", "101": "Kinesis slides"})
    headline = panel.headline.set_index("metric")
    assert list(panel.headline.columns) == ["metric", "ours", "baseline", "ratio", "what it measures"]
    assert headline.loc["hit@1", "ours"] == "0.812" and headline.loc["hit@1", "baseline"] == "0.625"
    assert headline.loc["hit@1", "ratio"] == "1.30x"
    assert headline.loc["fact_recall", "ours"] == "0.679" and headline.loc["latency_p50_ms", "ours"] == "42.5"
    assert "hit@5" in headline.index and "mrr@5" in headline.index
    assert set(panel.by_type["question type"]) == {"numeric", "keyword", "unanswerable"}
    assert set(panel.by_doc["document"]) == {"100 · SQS notes", "101 · Kinesis slides", "none (off-topic questions)"}
    unanswerable = panel.by_type.set_index("question type").loc["unanswerable"]
    assert unanswerable["questions"] == 1 and unanswerable["refused"] == "0.000"  # refusal recall of that group
    assert "3 questions (2 answerable), 5 passages" in panel.status and "Baseline run" in panel.status
    status, *tables, failures = show_panel(panel)
    assert all(t.visible for t in tables) and failures == panel.failures


def test_without_a_baseline_there_is_no_ratio_column(tmp_path):
    panel = results_panel(write_results(tmp_path / "latest"))
    assert list(panel.headline.columns) == ["metric", "ours", "what it measures"]
    assert "No baseline run" in panel.status


def test_no_results_yet_says_how_to_make_them(tmp_path):
    panel = results_panel(EvalPaths(out=tmp_path / "nothing"))
    assert "No eval results yet" in panel.status and "<code>make eval</code>" in panel.status
    assert panel.headline is None and panel.by_type is None and panel.by_doc is None and panel.failures == ""
    _, *boxes, _ = show_panel(panel)
    assert not any(b.visible for b in boxes)


def test_unreadable_results_are_an_escaped_error_not_a_crash(tmp_path):
    out = tmp_path / "<b>latest"
    out.mkdir()
    (out / "metrics.json").write_text("{not json")
    panel = results_panel(EvalPaths(out=out))
    assert 'class="error"' in panel.status and "cannot read the eval results" in panel.status
    assert "&lt;b&gt;latest" in panel.status and "<b>" not in panel.status
    assert panel.headline is None


def test_failed_questions_show_why_and_every_text_is_escaped(tmp_path):
    sections = {"Shards <b>scale</b> reads": "Doc <101> › Kinesis Shards"}
    panel = results_panel(write_results(tmp_path / "latest"), sections=sections)
    failures = panel.failures
    assert "2 of 3 questions failed." in failures
    assert "evidence not retrieved" in failures and "answered an unanswerable question" in failures
    assert "<script>" not in failures and "&lt;script&gt;alert(&#x27;q&#x27;)&lt;/script&gt;" in failures
    assert "<img" not in failures and "&lt;img src=x onerror=alert(1)&gt;" in failures
    assert "<b>" not in failures and "Shards &lt;b&gt;scale&lt;/b&gt; reads" in failures
    assert "Doc &lt;101&gt; › Kinesis Shards" in failures and "1 MB/s &amp; more" in failures
    assert "Biggest SQS message?" not in failures  # it passed


def test_failures_of_questions_missing_from_the_set_are_listed_by_id(tmp_path):
    paths = write_results(tmp_path / "latest")
    paths.gold.write_text(json.dumps(QUESTIONS[0]) + "\n")
    failures = results_panel(paths).failures
    assert "(question not in the current set)" in failures and "a2 · keyword" in failures


@pytest.fixture
def tiny_bot(tiny_settings):
    from bot.answer import build_bot
    from bot.index import ingest

    ingest(tiny_settings, progress=False)
    return build_bot(tiny_settings)


def test_run_now_scores_the_loaded_bot_into_the_chosen_folder(tiny_bot, tmp_path):
    questions = tmp_path / "tiny.jsonl"
    questions.write_text("".join(json.dumps(g) + "\n" for g in GOLD))
    paths = EvalPaths(out=tmp_path / "out", gold=questions)
    before = DEFAULT_OUT.joinpath("metrics.json").stat().st_mtime if DEFAULT_OUT.joinpath("metrics.json").exists() \
        else None
    steps = []
    panel = run_now(tiny_bot, False, paths, lambda done, total, what: steps.append((done, total, what)),
                    sections=passage_sections(tiny_bot))
    assert sorted(p.name for p in paths.out.iterdir()) == ["metrics.json", "report.html", "run.jsonl", "scores.json"]
    assert steps[:3] == [(1, 3, "our bot"), (2, 3, "our bot"), (3, 3, "our bot")]
    assert steps[-1] == (3, 3, "writing the report")
    headline = panel.headline.set_index("metric")
    assert headline.loc["hit@1", "ours"] == "1.000" and headline.loc["refusal_recall", "ours"] == "1.000"
    assert "baseline" not in panel.headline.columns
    assert "No failed questions out of 3." in panel.failures
    assert "report.html" in panel.status
    after = DEFAULT_OUT.joinpath("metrics.json").stat().st_mtime if DEFAULT_OUT.joinpath("metrics.json").exists() \
        else None
    assert after == before, "the test run must not touch the repository's results"


def test_a_run_that_cannot_start_says_why_and_keeps_the_last_results(tiny_bot, tmp_path):
    paths = write_results(tmp_path / "latest")
    paths.gold.unlink()
    panel = run_now(tiny_bot, False, paths)
    assert 'class="error"' in panel.status and "The eval could not run" in panel.status
    assert panel.headline.set_index("metric").loc["hit@1", "ours"] == "0.812"


def test_the_tab_is_registered_last_after_the_study_tabs_and_imports_no_eval_code():
    from bot.ui import TAB_MODULES

    assert TAB_MODULES[-1] == "bot.ui.evals" and TAB_MODULES.index("bot.ui.quiz") < TAB_MODULES.index("bot.ui.exam")
    code = "import sys, bot.ui, bot.ui.evals; print(sorted(m for m in sys.modules if m.split('.')[0] == 'evals'))"
    printed = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert printed.stdout.strip() == "[]"
    assert "gold" not in (ROOT / "bot" / "ui" / "evals.py").read_text().lower()


def test_the_baseline_box_runs_the_naive_rag_too(tiny_bot, tmp_path, monkeypatch):
    import evals.baseline

    class FakeNaive:  # the real one builds its own index: covered by test_harness
        ingest_seconds = 0.0

        def __init__(self, corpus_dir, persist_dir):
            assert persist_dir == tiny_bot.settings.index_dir / "baseline"

        def run(self, question, k, history=None):
            return {"answer": "", "refused": False, "contexts": [], "cited": []}

    monkeypatch.setattr(evals.baseline, "NaiveRag", FakeNaive)
    questions = tmp_path / "tiny.jsonl"
    questions.write_text("".join(json.dumps(g) + "\n" for g in GOLD))
    steps = []
    panel = run_now(tiny_bot, True, EvalPaths(out=tmp_path / "out", gold=questions),
                    lambda done, total, what: steps.append(what))
    assert (tmp_path / "out" / "baseline" / "metrics.json").exists()
    assert steps.count("baseline") == 3 and "indexing for the baseline" in steps
    headline = panel.headline.set_index("metric")
    assert headline.loc["hit@1", "baseline"] == "0.000" and headline.loc["hit@1", "ratio"] == "-"
