"""The Evals tab's handlers without a browser: stored results shown (tables, plots, dev beside test, reports to
download), none yet, failures escaped, a run in-process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile

import pandas as pd
import pytest
from helpers.tiny_gold import GOLD

from bot.settings import ROOT
from bot.ui.evals import (
    Panel,
    SplitPlots,
    downloadable,
    passage_sections,
    results_panel,
    run_now,
    show_panel,
    show_plots,
)
from evals.harness import DEFAULT_OUT, EvalPaths
from evals.metrics import summarize
from evals.report import write_report

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


def write_results(out, baseline_hit1: float | None = None, hit1: float = 0.8125) -> EvalPaths:
    """Run files as `studybot eval` writes them, with distinctive headline numbers."""
    out.mkdir(parents=True)
    metrics = summarize(SCORES, 5) | {"k": 5}
    metrics["overall"] |= {"hit@1": hit1, "fact_recall": 0.6789, "latency_p50_ms": 42.5}
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
    from bot.answer.studybot import build_bot
    from bot.ingest.index import ingest

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
    assert panel.dev.report == paths.out / "report.html" and panel.test is None
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


PLOT_PARTS = ("column", "by_type", "by_doc", "latency", "report")


def plot_updates(panel: Panel) -> dict:
    """`show_plots`' updates by name: 'headline', then 'dev.by_type', 'test.report', …"""
    headline, *splits = show_plots(panel)
    named = {"headline": headline}
    for split, updates in (("dev", splits[:5]), ("test", splits[5:])):
        named |= {f"{split}.{part}": update for part, update in zip(PLOT_PARTS, updates, strict=True)}
    return named


def plotted(update) -> pd.DataFrame | None:
    return update.constructor_args["value"]


def test_stored_results_are_plotted_with_their_numbers(tmp_path):
    panel = results_panel(write_results(tmp_path / "latest", baseline_hit1=0.625), {"100": "SQS notes"})
    headline = panel.headline_plot.set_index(["group", "system"])["value"]
    assert headline["hit@1", "ours"] == 0.8125 and headline["hit@1", "baseline"] == 0.625
    assert headline["fact_recall", "ours"] == 0.6789 and "latency_p50_ms" not in headline  # ms: another scale
    by_type = panel.dev.by_type.set_index(["group", "system"])["value"]
    assert by_type["numeric", "hit@5 · ours"] == 1.0 and by_type["keyword", "hit@5 · ours"] == 0.0
    assert by_type["keyword", "fact recall · baseline"] == 0.0 and "unanswerable" not in by_type  # no hit@k there
    assert set(panel.dev.by_doc["group"]) == {"100 · SQS notes", "101"}
    assert sorted(panel.dev.latency["ms"]) == [8.0, 12.0, 30.0]
    updates = plot_updates(panel)
    for name in ("headline", "dev.by_type", "dev.by_doc", "dev.latency"):
        assert updates[name].visible and not plotted(updates[name]).empty, name
    assert updates["dev.column"].visible and updates["dev.latency"].constructor_args["x_bin"] > 0


def test_dev_and_test_results_are_shown_side_by_side(tmp_path):
    paths = write_results(tmp_path / "latest", baseline_hit1=0.625)
    write_results(tmp_path / "test", baseline_hit1=0.25, hit1=0.4375)
    panel = results_panel(paths)
    headline = panel.headline.set_index("metric")
    assert list(headline.columns) == ["ours · dev", "baseline · dev", "ratio · dev", "ours · test", "baseline · test",
                                      "ratio · test", "what it measures"]
    assert headline.loc["hit@1", "ours · dev"] == "0.812" and headline.loc["hit@1", "ours · test"] == "0.438"
    assert headline.loc["hit@1", "baseline · test"] == "0.250" and headline.loc["hit@1", "ratio · test"] == "1.75x"
    assert "retrieved first" in headline.loc["hit@1", "what it measures"]
    rates = panel.headline_plot.set_index(["group", "system"])["value"]
    assert rates["hit@1", "ours · dev"] == 0.8125 and rates["hit@1", "ours · test"] == 0.4375
    assert rates["hit@1", "baseline · test"] == 0.25
    assert "Test split" in panel.status and "3 questions, shown beside dev" in panel.status
    updates = plot_updates(panel)
    for split in ("dev", "test"):
        assert updates[f"{split}.column"].visible
        for part in ("by_type", "by_doc", "latency"):
            assert updates[f"{split}.{part}"].visible and not plotted(updates[f"{split}.{part}"]).empty


def test_only_dev_is_shown_while_the_test_split_has_not_been_run(tmp_path):
    panel = results_panel(write_results(tmp_path / "latest", baseline_hit1=0.625))
    assert panel.test is None and "Test split" not in panel.status
    assert list(panel.headline.columns) == ["metric", "ours", "baseline", "ratio", "what it measures"]
    assert set(panel.headline_plot["system"]) == {"ours", "baseline"}
    updates = plot_updates(panel)
    assert updates["dev.column"].visible and not updates["test.column"].visible
    for part in ("by_type", "by_doc", "latency"):
        assert not updates[f"test.{part}"].visible and plotted(updates[f"test.{part}"]) is None
    assert not updates["test.report"]["visible"] and updates["test.report"]["value"] is None


def test_unreadable_test_results_say_so_and_dev_is_still_shown(tmp_path):
    paths = write_results(tmp_path / "latest")
    (tmp_path / "test").mkdir()
    (tmp_path / "test" / "metrics.json").write_text("{not json")
    panel = results_panel(paths)
    assert 'class="error"' in panel.status and "Test split: cannot read the eval results" in panel.status
    assert panel.test is None and panel.dev is not None and "ours" in panel.headline.columns


def test_each_split_report_downloads_from_the_tab(tmp_path):
    paths = write_results(tmp_path / "latest")
    write_results(tmp_path / "test", hit1=0.5)
    for split in ("latest", "test"):
        out = tmp_path / split
        write_report(out, QUESTIONS, json.loads((out / "metrics.json").read_text()), None)
    panel = results_panel(paths)
    updates = plot_updates(panel)
    for name, folder in (("dev", "latest"), ("test", "test")):
        download = updates[f"{name}.report"]
        report = tmp_path / folder / "report.html"
        assert download["visible"] and download["value"] == str(report) and report.exists()
        assert "<h1>Study bot eval</h1>" in report.read_text()
    assert "report.html" not in panel.status  # the button replaces the path in the text


def test_without_a_report_there_is_nothing_to_download(tmp_path):
    updates = plot_updates(results_panel(write_results(tmp_path / "latest")))
    assert not updates["dev.report"]["visible"] and updates["dev.report"]["value"] is None


def test_a_report_the_app_may_not_serve_is_copied_to_the_temp_folder(tmp_path, monkeypatch):
    report = tmp_path / "latest" / "report.html"
    report.parent.mkdir()
    report.write_text("<h1>Study bot eval</h1>")
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "temp"))
    copy = downloadable(report)
    assert copy.is_relative_to(tmp_path / "temp") and copy.read_text() == "<h1>Study bot eval</h1>"
    report.write_text("<h1>the next run</h1>")
    os.utime(report, (1e9, 1e9))
    assert downloadable(report) == copy and copy.read_text() == "<h1>the next run</h1>"
    monkeypatch.chdir(tmp_path)
    assert downloadable(report) == report  # under the working folder: served as it is


def test_no_plot_is_given_an_empty_frame(tmp_path):
    nothing = plot_updates(results_panel(EvalPaths(out=tmp_path / "nothing")))
    empty = pd.DataFrame({"group": [], "system": [], "value": []})
    blank = plot_updates(Panel("", headline_plot=empty, dev=SplitPlots(empty, empty, pd.DataFrame({"ms": []}))))
    for updates in (nothing, blank):
        for name, update in updates.items():
            if name.endswith(".report"):
                assert not update["visible"] and update["value"] is None
            elif not name.endswith(".column"):
                assert not update.visible and plotted(update) is None, name
    assert not nothing["dev.column"].visible and not nothing["test.column"].visible
