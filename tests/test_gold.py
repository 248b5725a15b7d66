"""The dev gold set is well formed and every evidence span stands in the cleaned corpus."""

import re
from collections import Counter

import pytest

from bot.load import load_corpus
from bot.settings import ROOT
from evals.gold_io import load_gold

GOLD = load_gold(ROOT / "evals" / "gold" / "dev.jsonl")


def squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().lower()


@pytest.fixture(scope="module")
def sections_by_doc():
    loaded, problems = load_corpus(ROOT / "corpus")
    assert not problems
    return {doc.doc_id: sections for doc, sections in loaded.items()}


def test_size_and_spread():
    types = Counter(item["type"] for item in GOLD)
    assert len(GOLD) >= 150
    assert set(types) == {"factoid", "numeric", "comparison", "scenario", "keyword", "unanswerable"}
    assert types["unanswerable"] >= 20
    docs = Counter(item["doc"] for item in GOLD if item["type"] != "unanswerable")
    assert set(docs) == {"000", "001", "002", "003", "004"}


def test_unanswerable_items_are_empty():
    for item in GOLD:
        if item["type"] == "unanswerable":
            assert item["facts"] == [] and not item["doc"] and not item["section"] and not item["evidence"], item["id"]


@pytest.mark.parametrize("item", [i for i in GOLD if i["type"] != "unanswerable"], ids=lambda i: i["id"])
def test_evidence_and_section_exist_in_cleaned_corpus(item, sections_by_doc):
    evidence = squash(item["evidence"])
    holders = [s for s in sections_by_doc[item["doc"]] if evidence in squash(s.text)]
    assert holders, f"{item['id']}: evidence not in cleaned document {item['doc']}"
    wanted = squash(item["section"]).rstrip(":")
    assert any(
        wanted in squash(" > ".join(s.path)) or any(squash(line).startswith(wanted) for line in s.lines)
        for s in holders
    ), f"{item['id']}: section {item['section']!r} is not where the evidence is: {[s.path for s in holders]}"
    assert item["facts"], item["id"]
