"""The claim checker's rules at their edges: the exact reason `hard_rule` gives, numbers as digits, names and
spelled-out acronyms, negations, the one-to-three-line windows over a passage and the thresholds' inclusive edges."""

import numpy as np
import pytest

from bot.answer.support import Support, SupportChecker, Thresholds, hard_rule, numbers_in
from bot.ingest.embed import embeddings
from bot.settings import Settings
from bot.text import terms

SIZE = "Max message size is 256 KB."
FILLER = ("Long polling waits for new arrivals.", "Dead-letter queues hold failures.")
RETENTION = "Retention is up to 14 days."
BOTH = "Max message size is 256 KB and retention is up to 14 days."
NEVER_SHARE = "Never share root credentials."


@pytest.fixture(scope="module")
def embed():
    return embeddings(Settings.from_env({})).embed_documents


@pytest.fixture(scope="module")
def checker(embed):
    return SupportChecker(embed, {})


def rule(sentence: str, context: str, known_names: frozenset[str] = frozenset()) -> str:
    return hard_rule(sentence, context, set(terms(context)), known_names)


# ---------------------------------------------------------------- numbers


@pytest.mark.parametrize(("text", "numbers"), [
    ("Version 6.0 of the API", {"6"}),  # a whole number written with ".0" is that number
    ("The limit is 256.", {"256"}),  # the full stop ends the sentence, not the number
    ("Up to 1,000 records", {"1000"}),
    ("It scales 2.5 times", {"2.5"}),
    ("Runs on EC2 and S3", set()),
])
def test_numbers_are_read_as_plain_digits(text, numbers):
    assert numbers_in(text) == numbers


# ---------------------------------------------------------------- hard rules


def test_every_number_the_passage_does_not_give_is_named():
    assert rule("Messages up to 512 KB are kept 30 days.", "Messages up to 256 KB are kept 4 days.") == \
        "the passage does not give 30, 512"


def test_every_name_the_passage_does_not_use_is_named():
    assert rule("Messages move from SNS to Glacier.", "Messages move from queues to archives.") == \
        "the passage does not name SNS, Glacier"


def test_a_capitalised_word_inside_the_sentence_is_a_name():
    assert rule("Objects move to Glacier after 30 days.", "Objects move to a colder tier after 30 days.") == \
        "the passage does not name Glacier"


def test_a_sentence_first_word_is_a_name_only_when_the_notes_use_it_as_one():
    context = "S3 keeps archives for 90 days."
    assert rule("Glacier keeps archives for 90 days.", context) == ""
    assert rule("Glacier keeps archives for 90 days.", context, frozenset({"glacier"})) == \
        "the passage does not name Glacier"
    assert rule("Retention is 4 days by default.", "Messages are kept for 4 days by default.") == ""


def test_the_checker_reads_a_first_word_as_a_name_when_its_notes_use_it_as_one(embed, checker):
    sentence, passage = "Glacier keeps archives for 90 days.", "S3 keeps archives for 90 days."
    assert checker.judge(sentence, passage).why == ""
    named = SupportChecker(embed, {}, names=frozenset({"glacier"}))
    assert named.judge(sentence, passage).why == "the passage does not name Glacier"


@pytest.mark.parametrize("sentence", [
    "- Retention is 4 days by default.", '"Retention" is 4 days by default.', "**Retention** is 4 days by default."])
def test_after_a_list_bullet_quote_or_markup_the_first_word_is_still_the_sentence_first(sentence):
    context = "Messages are kept for 4 days by default."
    assert rule(sentence, context) == ""
    assert rule(sentence.replace("Retention", "Glacier"), context, frozenset({"glacier"})) == \
        "the passage does not name Glacier"


def test_a_mixed_case_first_word_is_always_a_name():
    assert rule("IPv6 is supported by the load balancer.", "The load balancer supports dual-stack addressing.") == \
        "the passage does not name IPv6"


@pytest.mark.parametrize(("sentence", "context"), [
    ("Retention: It is 4 days by default.", "Messages are kept for 4 days by default."),
    ("Short answer: It is what it is.", "It is what it is."),  # a passage without one content word
])
def test_a_capitalised_stop_word_is_no_name(sentence, context):
    assert rule(sentence, context) == ""


def test_a_negation_on_either_side_alone_breaks_support():
    assert rule("Messages are not kept for 4 days.", "Messages are kept for 4 days.") == \
        "the sentence negates what the passage does not"
    assert rule("Messages are kept for 4 days.", "Messages are never kept for 4 days.") == \
        "the passage negates what the sentence does not"
    assert rule("Messages aren't kept for 4 days.", "Messages are kept for 4 days.") == \
        "the sentence negates what the passage does not"
    assert rule("Messages can’t be kept for 4 days.", "Messages cannot be kept for 4 days.") == ""


# ---------------------------------------------------------------- acronyms and their spelled-out forms


@pytest.mark.parametrize(("sentence", "passage"), [
    ("Kinesis Data Streams keeps records for 24 hours by default.", "KDS keeps records for 24 hours by default."),
    ("KDS keeps records for 24 hours by default.", "Kinesis Data Streams keeps records for 24 hours by default."),
    ("Kinesis Data Streams feeds Kinesis Data Firehose.", "KDS feeds KDF."),  # two acronyms in one line
    ("That is KDS.", "Kinesis Data Streams"),  # a slide title that is only the spelled-out name
    ("EMR reads HDFS data.", "EMR reads data from the Hadoop Distributed File System."),  # HDFS looks plural
])
def test_an_acronym_and_its_spelled_out_form_name_each_other(checker, sentence, passage):
    assert checker.judge(sentence, passage).why == ""


# ---------------------------------------------------------------- windows over a passage's lines


@pytest.mark.parametrize(("passage", "supported"), [
    ("\n".join([SIZE, RETENTION]), True),  # a fact wrapped over two lines
    ("\n".join([SIZE, FILLER[0], RETENTION]), True),
    ("\n".join([SIZE, *FILLER, RETENTION]), False),  # four lines apart: two facts, not one
    ("\n\n---\n\n".join([SIZE, RETENTION]), True),  # blank lines and rules are no lines of the window
])
def test_a_sentence_is_supported_by_up_to_three_neighbouring_lines(checker, passage, supported):
    assert checker.judge(BOTH, passage).supported is supported


def test_a_fact_on_the_last_line_of_a_long_passage_is_found(checker):
    assert checker.judge(RETENTION, "\n".join([SIZE, *FILLER, RETENTION])).supported


def test_a_negation_on_a_neighbouring_line_does_not_spoil_a_plain_fact(checker):
    support = checker.judge(SIZE, f"{SIZE}\n{NEVER_SHARE}")
    assert (support.supported, support.word_share, support.why) == (True, 1.0, "")
    assert support.similarity == pytest.approx(1.0, abs=1e-3)  # the sentence is the passage's first line


def test_the_section_heading_counts_as_part_of_the_passage(checker):
    passage = "Max size is 256 KB per message."
    assert checker.judge("SQS messages are at most 256 KB.", passage).why == "the passage does not name SQS"
    assert checker.judge("SQS messages are at most 256 KB.", passage, "Messaging > Amazon SQS").supported


# ---------------------------------------------------------------- what judge and support report


def test_an_unsupported_sentence_reports_its_best_window_and_the_rule_it_breaks(checker):
    support = checker.judge("Deleted messages go to S3 Glacier for 10 years.", SIZE)
    assert (support.supported, support.why) == (False, "the passage does not give 10")
    assert support.word_share == pytest.approx(1 / 7)  # "message" of seven terms
    assert 0 < support.similarity < checker.thresholds.meaning


def test_an_unrelated_sentence_gets_too_little_support_not_an_empty_passage(checker):
    sentence = "Photosynthesis turns light into sugar."
    support = checker.judge(sentence, SIZE)
    assert (support.supported, support.word_share) == (False, 0.0)
    assert support.similarity == checker.windows(sentence, SIZE)[0][2]  # however low, even below zero
    assert support.why == f"too little of it is in the passage (words 0.00, meaning {support.similarity:.2f})"


def test_a_list_item_may_start_with_a_word_the_passage_does_not_use(checker):
    assert checker.judge("- Typically, messages are kept for 4 days.", "Messages are kept for 4 days by default.") \
        .supported


def test_the_best_window_is_reported_not_the_last_one_read(checker):
    support = checker.judge("Max message size is 512 KB.", "\n".join([SIZE, *FILLER, NEVER_SHARE]))
    assert (support.supported, support.why) == (False, "the passage does not give 512")
    assert support.word_share == pytest.approx(0.8)  # the first line's four of five terms
    assert support.similarity > 0.9


def test_among_equally_good_windows_the_narrowest_gives_the_reason(checker):
    # the negated second line adds nothing to the sentence's words or meaning: it is not what fails
    support = checker.judge("Producers through the console may send payloads up to 256 KB.", f"{SIZE}\n{NEVER_SHARE}")
    assert not support.supported
    assert support.why.startswith("too little of it is in the passage (words 0.25, meaning ")


def test_a_sentence_citing_no_passage_is_unsupported(checker):
    assert checker.support("Max message size is 256 KB.", []) == Support(False, 0.0, 0.0, "cites no passage")


def test_the_best_of_the_cited_passages_decides(checker):
    loose = ("Messaging", "The max size of a message is 256 KB; larger payloads go to S3 with the extended client.")
    exact = ("Messaging > Amazon SQS", SIZE)
    best = checker.support(SIZE, [loose, exact])
    assert best == checker.judge(SIZE, exact[1], exact[0]) == checker.support(SIZE, [exact, loose])
    assert best.similarity > checker.judge(SIZE, loose[1], loose[0]).similarity
    assert checker.support(SIZE, [("Security", NEVER_SHARE), exact]).supported


# ---------------------------------------------------------------- word share and thresholds


def test_word_share_weighs_terms_by_idf_and_unknown_terms_as_the_rarest(embed):
    weighted = SupportChecker(embed, {"glacier": 3.0, "archive": 1.0})
    assert weighted.word_share("Glacier archives", {"archive"}) == pytest.approx(0.25)
    assert weighted.word_share("Glacier vaults", {"glacier"}) == pytest.approx(0.5)


def test_a_sentence_without_content_words_asks_nothing_of_the_passage(checker):
    assert checker.word_share("It is what it is.", set()) == 1.0


def test_word_support_alone_counts_from_its_threshold_on(embed):
    # "queue" and "message" of four terms are in the passage: a share of exactly 0.5
    sentence, passage = "Queues store messages durably.", "Queues hold messages."
    at_edge = SupportChecker(embed, {}, Thresholds(words=0.5, meaning=1.1, words_with_meaning=1.1))
    above = SupportChecker(embed, {}, Thresholds(words=0.51, meaning=1.1, words_with_meaning=1.1))
    support = at_edge.judge(sentence, passage)
    assert (support.supported, support.word_share, support.why) == (True, 0.5, "")
    assert not above.judge(sentence, passage).supported


def test_meaning_support_counts_from_both_its_thresholds_on(embed, checker):
    sentence, passage = "Queues store messages durably.", "Queues hold messages."
    similarity = checker.judge(sentence, passage).similarity

    def judged(meaning, words_with_meaning):
        return SupportChecker(embed, {}, Thresholds(1.1, meaning, words_with_meaning)).judge(sentence, passage)

    assert judged(similarity, 0.5).supported
    assert not judged(float(np.nextafter(similarity, 2.0)), 0.5).supported
    assert not judged(similarity, 0.51).supported
