"""Regression gate on the dev gold set, and proof that no gold text reaches the bot."""

import json

import pytest

from bot.settings import ROOT
from evals.gold_io import load_gold
from evals.harness import bot_system, run_gold
from evals.metrics import fact_found, in_order_share, is_relevant, summarize

pytestmark = pytest.mark.slow
GOLD_FILE = ROOT / "evals" / "gold" / "dev.jsonl"
FLOORS = json.loads((ROOT / "evals" / "floors.json").read_text())


@pytest.fixture(scope="module")
def dev_metrics(real_bot):
    _, scores = run_gold(bot_system(real_bot), load_gold(GOLD_FILE), 5)
    return summarize(scores, 5)["overall"]


@pytest.mark.parametrize("metric", sorted(FLOORS["at_least"]))
def test_metric_stays_above_its_floor(dev_metrics, metric):
    assert dev_metrics[metric] >= FLOORS["at_least"][metric], (metric, dev_metrics[metric])


@pytest.mark.parametrize("metric", sorted(FLOORS["at_most"]))
def test_metric_stays_below_its_ceiling(dev_metrics, metric):
    assert dev_metrics[metric] <= FLOORS["at_most"][metric], (metric, dev_metrics[metric])


@pytest.mark.parametrize("metric", sorted(FLOORS["suspicious_above"]))
def test_metric_is_not_too_good_to_be_true(dev_metrics, metric):
    ceiling = FLOORS["suspicious_above"][metric]
    assert dev_metrics[metric] <= ceiling, (
        f"dev {metric} {dev_metrics[metric]:.3f} is above its ceiling {ceiling}: a jump this size needs a look "
        "(does the bot see gold data?). If it is real, raise the ceiling in evals/floors.json and say why.")


def test_bot_code_never_names_the_gold_sets():
    for path in (ROOT / "bot").rglob("*.py"):
        text = path.read_text()
        assert "gold" not in text.lower(), f"{path} mentions gold data"


def test_the_index_holds_no_gold_question(real_settings):
    """What the bot opens is proven in a fresh interpreter by tests/test_leak.py; here, what the index holds."""
    from bot.ingest.index import open_store

    chunks = "\n".join(c.text.lower() for c in open_store(real_settings).chunks)
    leaked = [g["id"] for g in load_gold(GOLD_FILE) if g["question"].lower() in chunks]
    assert not leaked


def test_relevance_needs_most_evidence_words_in_order():
    evidence = "max message size 256KB"
    assert is_relevant(evidence, "SQS notes: the max message size is 256KB per message")
    assert not is_relevant(evidence, "256KB is the size of the max message")  # wrong order
    assert not is_relevant(evidence, "message size is configurable")
    assert in_order_share("a b c d e", "a x b c y d") == pytest.approx(0.8)


def test_facts_match_on_word_tokens_with_alternatives():
    assert fact_found("It is 256 KB.", "256 kb|256kb")
    assert fact_found("up to 256KB", "256 kb|256kb")
    assert not fact_found("2560 KB", "256 kb")
