"""Retrieval and answers on the real corpus and model (one index built per test session)."""

import pytest

pytestmark = pytest.mark.slow

CASES = [
    ("How long can records stay in a Kinesis data stream?", "003", "1.1 Kinesis Data Stream"),
    ("glue resolvechoice", "000", "Best Practices"),
    ("Which ECS task placement strategy packs tasks onto the fewest instances?", "002", "Task placement"),
    ("What are the S3 Glacier storage classes?", "002", "S3 Glacier"),
    ("Athena partition projection", "002", "Athena - Performance Optimization"),
    ("What are the five pillars of the Well-Architected Framework?", "004", "Well-Architected Framework"),
    ("What is a NAT gateway used for?", "004", "Network Address Translation"),
    ("DynamoDB read capacity unit RCU", "002", "Read Capacity Unit"),
    ("What does a Service Control Policy do in AWS Organizations?", "004", "Service Control Policies"),
    ("What are the Redshift distribution styles?", None, "Distribution Styles"),
    ("CloudHSM", "003", "6.2 CloudHSM"),
    ("What is the maximum size of a DynamoDB item?", "000", "DynamoDB"),
]


@pytest.mark.parametrize("question, doc_id, section", CASES)
def test_right_section_in_top_five(real_bot, question, doc_id, section):
    hits = real_bot.searcher.search(question, 5)
    found = [(h.chunk.doc_id, h.chunk.section) for h in hits]
    assert any(doc_id in (None, d) and section.lower() in s.lower() for d, s in found), found


def test_out_of_corpus_question_is_refused(real_bot):
    answer = real_bot.ask("What is the recipe for a good lasagne?")
    assert answer.refused and not answer.citations


def test_answer_cites_real_sections(real_bot):
    answer = real_bot.ask("What is the maximum size of an item in DynamoDB?")
    assert not answer.refused and "400 KB" in answer.text
    assert answer.citations and all(c.text in {h.chunk.text for h in answer.hits} for c in answer.citations)


def test_how_long_asks_for_a_duration_not_for_the_word_long(real_bot):
    answer = real_bot.ask("How long can data stay in a Kinesis data stream?")
    assert "365 days" in answer.text or "7 days" in answer.text
    assert "long-running" not in answer.text
