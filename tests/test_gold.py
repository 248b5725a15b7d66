"""The gold sets are well formed, split honestly, and every evidence span stands in the cleaned corpus."""

from collections import Counter

import pytest

from bot.settings import ROOT
from evals.gold_check import item_problems, load_sections
from evals.gold_io import load_gold

DEV = load_gold(ROOT / "evals" / "gold" / "dev.jsonl")
TEST = load_gold(ROOT / "evals" / "gold" / "test.jsonl")
STUDENT_STYLES = {"exam", "paraphrase", "keyword", "typo", "followup", "switch"}


@pytest.fixture(scope="module")
def sections_by_doc():
    return load_sections(ROOT / "corpus")


def test_size_and_spread():
    both = DEV + TEST
    types = Counter(item["type"] for item in both)
    assert len(both) >= 400
    assert set(types) == {"factoid", "numeric", "comparison", "scenario", "keyword", "unanswerable", "followup"}
    assert types["unanswerable"] >= 60
    assert sum(bool(item.get("history")) for item in both) >= 60
    assert sum(item.get("style") in STUDENT_STYLES for item in both) >= len(both) / 2
    assert sum(item.get("style") == "typo" for item in both) >= 40
    for gold in (DEV, TEST):
        docs = Counter(item["doc"] for item in gold if item["type"] != "unanswerable")
        assert set(docs) == {"000", "001", "002", "003", "004"}


def test_enough_questions_to_learn_from_and_to_judge_on():
    """Issue 28: dev is what the ranker and the line model are trained on, test what judges them."""
    assert len(DEV) >= 800 and sum(bool(item.get("history")) for item in DEV) >= 100
    assert len(TEST) >= 300


def test_dev_and_test_share_no_question():
    assert not {i["id"] for i in DEV} & {i["id"] for i in TEST}
    assert not {i["question"].lower() for i in DEV} & {i["question"].lower() for i in TEST}


def test_the_test_set_has_every_kind_of_question():
    styles = Counter(item.get("style") for item in TEST)
    assert all(styles[s] >= 10 for s in ("exam", "paraphrase", "typo", "followup", "switch"))
    assert sum(item["type"] == "unanswerable" for item in TEST) >= 25


def test_unanswerable_items_are_empty():
    for item in DEV + TEST:
        if item["type"] == "unanswerable":
            assert item["facts"] == [] and not item["doc"] and not item["section"] and not item["evidence"], item["id"]


@pytest.mark.parametrize("item", [i for i in DEV + TEST if i["type"] != "unanswerable"], ids=lambda i: i["id"])
def test_evidence_and_section_exist_in_cleaned_corpus(item, sections_by_doc):
    assert item_problems(item, sections_by_doc) == []


def test_the_checker_finds_a_wrong_section_and_a_missing_span(sections_by_doc):
    good = next(i for i in DEV if i["type"] == "numeric")
    assert item_problems({**good, "section": "No Such Heading"}, sections_by_doc)
    assert item_problems({**good, "evidence": "words the notes never wrote together"}, sections_by_doc)
    assert item_problems({**good, "history": "not a list"}, sections_by_doc)
