"""Exam guides (domains, weights) and the domain tagger, on inline cards and on the hand-tagged sample."""

import json

import pytest

from bot.quiz.cards import Card
from bot.quiz.deck import build_deck
from bot.quiz.domains import DomainTagger, load_guides
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


def test_the_blueprint_gives_each_current_exam_topics_under_every_task_and_its_services():
    guides = load_guides()
    for code in ("DEA-C01", "SAA-C03"):
        guide = guides[code]
        assert guide.services and not guide.serves
        for domain in guide.domains:
            assert {t.task for t in domain.topics} == set(domain.tasks), (code, domain.name)
            assert all(t.domain == domain.name and t.keywords for t in domain.topics)
        assert len({t.id for t in guide.topics}) == len(guide.topics) >= 40
    assert guides["DAS-C01"].serves == "DEA-C01" and not guides["DAS-C01"].topics


def test_a_card_gets_the_topic_its_section_names_and_its_domain_follows():
    tagger = DomainTagger()
    bookmarks = card(["AWS Glue", "Job Bookmarks"], "Bookmarks keep state for ____ runs.")
    assert tagger.topic(bookmarks, "DEA-C01").id == "dea-1-glue-bookmarks"
    assert tagger.domain(bookmarks, "DEA-C01") == "Data Ingestion and Transformation"
    routing = card(["Route 53", "Routing Policies"], "Weighted routing splits traffic by ____.")
    assert tagger.topic(routing, "SAA-C03").id == "saa-2-route53"
    das = card(["Lake Formation"], "Grants on LF-Tags reach ____ tables.")
    assert tagger.topic(das, "DAS-C01").id == "dea-4-lake-formation"  # a retired exam's notes serve DEA-C01
    das_domains = {d.name for d in tagger.guides["DAS-C01"].domains}
    assert tagger.domain(das, "DAS-C01") in das_domains  # its own practice exam keeps its own domains
    assert tagger.topic(card(["Misc"], "Nothing the guide names: ____."), "DEA-C01") is None


def test_another_exams_card_joins_a_deck_only_when_its_section_names_a_topic_of_it():
    tagger = DomainTagger()
    iam = card(["IAM", "IAM Policies"], "A policy holds up to ____ statements.")
    assert tagger.studies_for(iam, "SAA-C03", "DEA-C01")
    assert tagger.domain(iam, "DEA-C01") == "Data Security and Governance"
    passing = card(["EC2", "Instance Types"], "Mentions IAM policies once: ____.")
    assert not tagger.studies_for(passing, "SAA-C03", "DEA-C01")  # a word in the text is not enough
    assert not tagger.studies_for(iam, "SAA-C03", "DAS-C01")  # a retired exam keeps to its own notes
    assert tagger.studies_for(card(["Glue", "Crawlers"], "A crawler runs ____."), "DAS-C01", "DEA-C01")
    assert not tagger.studies_for(card(["Misc"], "x ____"), "DAS-C01", "DEA-C01")


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
    assert len(scored) >= 40  # 43 of the 80 remain: scenarios replaced plain cards, label and fragment cards went
    accuracy = sum(ours == theirs for ours, theirs in scored) / len(scored)
    assert accuracy >= 0.9, accuracy  # 53 of 57 with the blueprint topics (49 with the domain keywords alone)


@pytest.mark.slow
def test_rounds_can_follow_the_exam_weights_and_mastery_is_kept_per_domain(tmp_path):
    from collections import Counter

    from bot.quiz.progress import Progress
    from bot.quiz.session import QuizService

    service = QuizService(build_deck(Settings.from_env({})), Progress(tmp_path / "data"))
    scope = service.deck.scope("002")
    weights = service.domain_weights(scope)
    per_domain = Counter()
    for card in scope:
        per_domain[service.domain_key(card)[1]] += weights[card.id]
    guide = load_guides()["DEA-C01"]
    assert {d: round(w) for d, w in per_domain.items()} == {d.name: d.weight for d in guide.domains
                                                           if d.name in per_domain}
    drawn = Counter(service.domain_key(service.plan("p", "002", n=1, seed=seed, by_domain=True).cards[0])[1]
                    for seed in range(300))
    plain = Counter(service.domain_key(service.plan("p", "002", n=1, seed=seed).cards[0])[1] for seed in range(300))
    ingestion = "Data Ingestion and Transformation"
    share = {d: w / sum(per_domain.values()) for d, w in per_domain.items()}
    assert abs(drawn[ingestion] / 300 - share[ingestion]) < 0.08
    assert abs(drawn[ingestion] / 300 - share[ingestion]) < abs(plain[ingestion] / 300 - share[ingestion])
    card = scope[0]
    service.answer("p", card.id, "definitely not it")
    stats = service.stats("p")
    row = next(r for r in stats.by_domain if (r.doc_id, r.section) == service.domain_key(card))
    assert row.seen == 1 and row.mastery == 0.0 and row.wrong == 1


@pytest.mark.slow
def test_a_full_practice_exam_follows_the_domain_weights_within_three_points(tmp_path):
    """Every domain within 3 points of its weight; one with fewer cards than its share would give all it has (none
    does today: SAA-C03's cost domain has 13 cards for its 13 questions)."""
    from collections import Counter

    from bot.quiz.progress import Progress
    from bot.quiz.session import QuizService

    service = QuizService(build_deck(Settings.from_env({})), Progress(tmp_path / "data"))
    short = []
    for exam in ("DEA-C01", "SAA-C03"):
        guide = service.tagger.guides[exam]
        pool = service.exam_cards(exam)
        available = Counter(service.tagger.domain(c, exam) for c in pool)
        papers = [service.start_exam(exam, seed=seed) for seed in (1, 2)]
        for paper in papers:
            counts = Counter(paper.domains.values())
            assert len(paper.cards) == guide.questions
            for domain in guide.domains:
                if available[domain.name] < round(guide.questions * (domain.weight - 3) / 100):
                    assert counts[domain.name] == available[domain.name]
                    short.append((exam, domain.name))
                    continue
                assert abs(100 * counts[domain.name] / len(paper.cards) - domain.weight) <= 3, (exam, domain.name)
            share = sum(c.family == "scenario" for c in pool) / len(pool)
            assert sum(c.family == "scenario" for c in paper.cards) / len(paper.cards) >= 2 * share
        if exam == "DEA-C01":  # SAA-C03's secure and cost pools are nearly used up by one paper (53 of 65 shared)
            assert len({c.id for c in papers[0].cards} & {c.id for c in papers[1].cards}) < guide.questions * 0.8
    assert short == []


@pytest.mark.slow
def test_the_tagger_agrees_with_the_hand_tagged_topics():
    """evals/quiz/topic_tags.jsonl: 80 cards of the deck (seed 20261212) given a domain and a blueprint topic by a
    reviewer who did not see the tagger; never used to set it. Measured once: domain 70/80, topic 64/80."""
    deck = build_deck(Settings.from_env({}))
    tags = [json.loads(line) for line in (ROOT / "evals" / "quiz" / "topic_tags.jsonl").read_text().splitlines()]
    tagger = DomainTagger()
    found = [(deck.by_id[t["id"]], t) for t in tags if t["id"] in deck.by_id]
    assert len(found) >= 70  # 72 of the 80 remain after the fourth review's rules
    domains = sum(tagger.domain(card, t["exam"]) == t["domain"] for card, t in found) / len(found)
    topics = sum(getattr(tagger.topic(card, t["exam"]), "id", "") == t["topic"] for card, t in found) / len(found)
    assert domains >= 0.85, domains
    assert topics >= 0.75, topics
