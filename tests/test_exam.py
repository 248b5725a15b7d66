"""Exam guides (domains, weights) and the domain tagger, on inline cards and on the hand-tagged sample."""

import json

import pytest

from bot.quiz.cards import Card
from bot.quiz.deck import build_deck
from bot.quiz.exam import DomainTagger, load_guides
from bot.settings import ROOT, Settings


def card(section_path, prompt, answer="x", passage=""):
    return Card("900-x", "cloze", "number", prompt, answer, (), (), "900", "Doc", tuple(section_path), passage)


def test_each_guide_has_its_domains_and_weights_summing_to_100():
    guides = load_guides()
    assert set(guides) == {"DEA-C01", "SAA-C03", "DAS-C01"}
    for guide in guides.values():
        assert sum(d.weight for d in guide.domains) == 100, guide.code
        assert guide.questions == 65 and guide.pass_score >= 700 and guide.version
        assert all(d.tasks and d.keywords for d in guide.domains)
    dea = guides["DEA-C01"]
    assert [(d.name, d.weight) for d in dea.domains][0] == ("Data Ingestion and Transformation", 34)


def test_the_tagger_follows_the_guide_keywords_and_the_section_path_first():
    tagger = DomainTagger()
    assert tagger.domain(card(["Security", "AWS KMS"], "Keys rotate every ____."), "DEA-C01") == \
        "Data Security and Governance"
    assert tagger.domain(card(["Kinesis Data Streams"], "A shard takes ____ of writes."), "DEA-C01") == \
        "Data Ingestion and Transformation"
    assert tagger.domain(card(["Reserved Instances"], "Save up to ____ over on-demand pricing."), "SAA-C03") == \
        "Design Cost-Optimized Architectures"
    assert tagger.domain(card(["Misc"], "Nothing in the guide's words: ____."), "SAA-C03") == \
        "Design Secure Architectures"  # no keyword: the domain with the larger weight
    assert tagger.domain(card(["Misc"], "x"), "NO-EXAM") == ""


@pytest.mark.slow
def test_the_tagger_agrees_with_the_hand_tags():
    """evals/quiz/domain_tags.jsonl: 80 cards tagged by hand (seed 11), never used to set the tagger."""
    deck = build_deck(Settings.from_env({}))
    tags = [json.loads(line) for line in (ROOT / "evals" / "quiz" / "domain_tags.jsonl").read_text().splitlines()]
    tagger, by_id = DomainTagger(), deck.by_id
    scored = [(tagger.domain(by_id[t["id"]], deck.exam(by_id[t["id"]])), t["domain"]) for t in tags if t["id"] in by_id]
    assert len(scored) >= 60
    accuracy = sum(ours == theirs for ours, theirs in scored) / len(scored)
    assert accuracy >= 0.8, accuracy
