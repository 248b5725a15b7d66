"""Every metric of evals/metrics.py on tiny inputs whose values were computed by hand (issue 15: a bug that inflates a
metric, such as MRR computed as hit@k or citations judged from the retrieved passages, must fail here)."""

import pytest

from evals.metrics import (
    aggregate,
    breakdown,
    fact_found,
    first_relevant_rank,
    in_order_share,
    is_relevant,
    percentile,
    score_item,
    summarize,
)

EVIDENCE = "max message size is 256 KB"
RELEVANT = "SQS: the max message size is 256 KB per message."
OTHER = "SNS fans a message out to many subscribers."


def gold(item_id: str, kind: str = "factoid", facts=(), evidence: str = EVIDENCE, **extra) -> dict:
    return {"id": item_id, "type": kind, "doc": extra.pop("doc", "100"), "facts": list(facts), "evidence": evidence,
            **extra}


def run(item_id: str, answer: str, contexts=(), cited=(), refused: bool = False, ms: float = 0.0) -> dict:
    return {"id": item_id, "answer": answer, "contexts": list(contexts), "cited": list(cited), "refused": refused,
            "ms": ms}


# Five items, scored by hand with k = 3:
#   A answerable, evidence at rank 2, one of two facts, cites the wrong passage   (rank 2, facts 0.5, cite False)
#   B answerable, evidence at rank 1, its fact, cites the evidence                 (rank 1, facts 1.0, cite True)
#   C answerable, evidence only at rank 4 (beyond k), refused                      (rank -, facts 0.0, cite None)
#   D unanswerable, refused;  E unanswerable, answered
ITEMS = [
    (gold("A", facts=["256 KB", "14 days"]),
     run("A", "The max message size is 256 KB [1].", [OTHER, RELEVANT, OTHER], cited=[OTHER], ms=10)),
    (gold("B", facts=["256kb|256 KB"], style="typo"),
     run("B", "Up to 256 KB [1].", [RELEVANT, OTHER], cited=[RELEVANT], ms=20)),
    (gold("C", facts=["256 KB"], style="typo"),
     run("C", "Not in the study material.", [OTHER, OTHER, OTHER, RELEVANT], refused=True, ms=30)),
    (gold("D", kind="unanswerable", evidence="", doc=""), run("D", "Not in the study material.", refused=True, ms=40)),
    (gold("E", kind="unanswerable", evidence="", doc=""), run("E", "Something.", [OTHER], cited=[OTHER], ms=50)),
]


@pytest.fixture
def scores():
    return [score_item(g, r, 3) for g, r in ITEMS]


def test_each_item_is_scored_as_computed_by_hand(scores):
    by_id = {s["id"]: s for s in scores}
    assert (by_id["A"]["rank"], by_id["A"]["fact_recall"], by_id["A"]["all_facts"], by_id["A"]["citation_ok"]) == (
        2, 0.5, False, False)
    assert (by_id["B"]["rank"], by_id["B"]["fact_recall"], by_id["B"]["all_facts"], by_id["B"]["citation_ok"]) == (
        1, 1.0, True, True)
    assert (by_id["C"]["rank"], by_id["C"]["fact_recall"], by_id["C"]["all_facts"], by_id["C"]["citation_ok"]) == (
        None, 0.0, False, None)  # a refusal states no fact and cites nothing, whatever its text holds
    assert by_id["D"]["rank"] is None and by_id["D"]["fact_recall"] is None and by_id["D"]["refused"]
    assert [s["doc"] for s in scores] == ["100", "100", "100", "none", "none"]
    assert [s["style"] for s in scores] == ["unmarked", "typo", "typo", "unmarked", "unmarked"]


def test_the_aggregate_is_the_hand_computed_one(scores):
    overall = aggregate(scores, 3)
    assert overall["items"] == 5 and overall["answerable"] == 3
    assert overall["hit@1"] == pytest.approx(1 / 3)  # ranks 2, 1, none
    assert overall["hit@3"] == pytest.approx(2 / 3)
    assert overall["mrr@3"] == pytest.approx((1 / 2 + 1 + 0) / 3)  # 0.5, not hit@3's 0.667
    assert overall["fact_recall"] == pytest.approx((0.5 + 1.0 + 0.0) / 3)
    assert overall["all_facts"] == pytest.approx(1 / 3)
    assert overall["citation_accuracy"] == pytest.approx(1 / 2)  # A wrong, B right, C cites nothing: not counted
    assert overall["refusal_recall"] == pytest.approx(1 / 2)  # D refused, E answered
    assert overall["false_refusal"] == pytest.approx(1 / 3)  # C
    assert (overall["latency_p50_ms"], overall["latency_p95_ms"]) == (30.0, 50.0)


def test_citations_are_judged_on_the_cited_passages_not_the_retrieved_ones():
    # the evidence is retrieved at rank 1 but the answer cites another passage: a wrong citation
    scored = score_item(gold("X", facts=["256 KB"]), run("X", "256 KB [1]", [RELEVANT, OTHER], cited=[OTHER]), 3)
    assert scored["rank"] == 1 and scored["citation_ok"] is False
    uncited = score_item(gold("Y", facts=["256 KB"]), run("Y", "256 KB", [RELEVANT]), 3)
    assert uncited["citation_ok"] is None  # an answer without citations is not counted either way


def test_breakdowns_group_the_same_arithmetic(scores):
    by_type = breakdown(scores, "type", 3)
    assert set(by_type) == {"factoid", "unanswerable"}
    assert by_type["factoid"]["mrr@3"] == pytest.approx(0.5) and by_type["unanswerable"]["refusal_recall"] == 0.5
    summary = summarize(scores, 3)
    assert summary["by_style"]["typo"]["hit@1"] == pytest.approx(1 / 2)  # B at 1, C missed
    assert summary["by_doc"]["none"]["items"] == 2 and summary["latency_median_ms"] == 30.0
    assert aggregate([], 3)["hit@1"] is None and summarize([], 3)["latency_median_ms"] is None


def test_rank_counts_only_the_first_k_passages():
    contexts = [OTHER, OTHER, RELEVANT]
    assert first_relevant_rank(EVIDENCE, contexts, 3) == 3
    assert first_relevant_rank(EVIDENCE, contexts, 2) is None
    assert first_relevant_rank(EVIDENCE, [RELEVANT, RELEVANT], 5) == 1


def test_relevance_share_and_its_threshold():
    assert in_order_share("a b c d e", "a x b c y d") == pytest.approx(4 / 5)  # at the 0.8 threshold: relevant
    assert is_relevant("a b c d e", "a x b c y d")
    assert in_order_share("a b c d e", "a b c") == pytest.approx(3 / 5) and not is_relevant("a b c d e", "a b c")
    assert in_order_share("", "anything") == 0.0 and not is_relevant("", "anything")
    assert in_order_share("b a", "a b") == pytest.approx(1 / 2)  # order matters


def test_facts_are_whole_word_phrases_with_alternatives():
    assert fact_found("Kept for 14 days.", "14 days|two weeks")
    assert fact_found("Kept for two weeks.", "14 days|two weeks")
    assert not fact_found("Kept for 140 days.", "14 days")
    assert not fact_found("anything", "")


@pytest.mark.parametrize("values, q, expected", [
    ([5.0], 50, 5.0), ([1.0, 2.0], 50, 1.0), ([1.0, 2.0], 95, 2.0), ([4.0, 1.0, 3.0, 2.0], 75, 3.0), ([], 50, None),
])
def test_percentile_is_the_nearest_rank(values, q, expected):
    assert percentile(values, q) == expected


# --- the edges `make mutate` found untested ---------------------------------------------------------------------


def test_an_item_scores_its_defaults_and_keys():
    untimed = {key: value for key, value in run("H", "256 KB").items() if key != "ms"}
    conversation = score_item(gold("H", facts=["256 KB"], history=["What is SQS?"]), untimed, 3)
    assert conversation["style"] == "conversation" and conversation["ms"] == 0.0  # no style given, no time recorded
    no_facts = score_item(gold("N"), run("N", "anything", [RELEVANT]), 3)
    assert no_facts["fact_recall"] is None and no_facts["all_facts"] is None and no_facts["rank"] == 1
    unanswerable = score_item(gold("U", kind="unanswerable", evidence=""), run("U", "No.", refused=True), 3)
    assert {k: unanswerable[k] for k in ("rank", "fact_recall", "all_facts", "citation_ok")} == dict.fromkeys(
        ("rank", "fact_recall", "all_facts", "citation_ok"))
    said_anyway = score_item(gold("R", facts=["256 KB"]), run("R", "256 KB, but not in the material.", refused=True), 3)
    assert said_anyway["fact_recall"] == 0.0  # a refusal is scored as stating nothing, whatever its text


def test_latency_percentiles_are_the_50th_and_95th():
    scores = [score_item(gold(f"u{i}", kind="unanswerable", evidence=""), run(f"u{i}", "", ms=i), 3)
              for i in range(1, 101)]
    overall = aggregate(scores, 3)
    assert (overall["latency_p50_ms"], overall["latency_p95_ms"]) == (50.0, 95.0)
    assert percentile([float(i) for i in range(1, 1001)], 50) == 500.0


def test_the_share_counts_the_last_evidence_word_too():
    assert in_order_share("a b c", "x c") == pytest.approx(1 / 3)


def test_summaries_are_keyed_by_k(scores):
    summary = summarize(scores, 3)
    assert set(summary) == {"overall", "by_type", "by_doc", "by_style", "latency_median_ms"}
    assert "mrr@3" in summary["overall"] and "hit@3" in summary["by_type"]["factoid"]
    assert "hit@3" in summary["by_doc"]["100"] and "hit@3" in summary["by_style"]["typo"]
