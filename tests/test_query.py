"""Question intents, comparison sides, the corpus speller, abbreviation expansions and service-name matching."""

import pytest

from bot.search.query import (
    COMPARISON,
    DEFINITION,
    HOWTO,
    LIST,
    NUMBER,
    Correction,
    Speller,
    comparison_sides,
    expansions,
    intent_of,
    load_service_names,
    service_pattern,
)
from bot.text import edit_distance

NOTES = [
    "Items live in DynamoDB tables. Reads from DynamoDB are eventually consistent, as in any DynamoDB table.",
    "Stream records into Kinesis Data Firehose, and Kinesis Data Firehose buffers them for Kinesis Data Firehose.",
    "Query the bucket with Athena; Athena charges per TB scanned, so Athena rewards Parquet.",
    "Run a Glue Crawler to fill the catalog. The Glue Crawler adds tables, the Glue Crawler updates them.",
    "Macie finds PII. You can redact names, redact card numbers and redact keys.",
]
FIREHOSE_SLIP = "Send it to the Kinesis Firehouse, then wait."


@pytest.mark.parametrize("question, intent", [
    ("What is Lake Formation used for?", DEFINITION),
    ("What are the Redshift distribution styles?", LIST),
    ("How long can data stay in a Kinesis data stream?", NUMBER),
    ("What is the max item size in DynamoDB?", NUMBER),
    ("Kinesis Data Streams vs Firehose", COMPARISON),
    ("What's the difference between SQS and SNS?", COMPARISON),
    ("How can I make Athena queries cheaper?", HOWTO),
])
def test_intent_of(question, intent):
    assert intent_of(question) == intent


def test_comparison_sides_are_the_two_things_compared():
    sides = comparison_sides("Cognito user pools vs identity pools?")
    assert len(sides) == 2
    assert "user pools" in sides[0] and "identity pools" in sides[1]
    assert comparison_sides("What's the difference between SQS and SNS?") == ["sqs", "sns"]


def test_a_question_with_one_subject_has_no_sides():
    assert comparison_sides("What is Lake Formation used for?") == []
    assert comparison_sides("How long can data stay in a Kinesis data stream?") == []


def test_speller_names_are_words_capitalised_mid_sentence_three_times():
    speller = Speller(NOTES)
    assert {"dynamodb", "kinesis", "firehose", "athena", "glue", "crawler"} <= set(speller.names)
    assert "macie" not in speller.names  # only at the start of a sentence
    assert "redact" not in speller.names


@pytest.mark.parametrize("typed, meant", [("dynamobd", "dynamodb"), ("athnea", "athena"), ("firehouse", "firehose")])
def test_speller_corrects_misspelled_names(typed, meant):
    assert Speller(NOTES).suggest(typed) == meant


def test_correct_rewrites_the_question_and_reports_each_fix():
    fixed, corrections = Speller(NOTES).correct("What is the max item size in DynamoBD?")
    assert fixed == "What is the max item size in dynamodb?"
    assert corrections == [Correction("DynamoBD", "dynamodb")]


def test_speller_leaves_names_and_words_the_notes_use():
    speller = Speller(NOTES)
    assert speller.suggest("dynamodb") is None
    assert speller.suggest("tables") is None
    assert speller.suggest("redacted") is None  # "redact" appears three times
    firehouse = Speller([*NOTES, "A firehouse analogy: the firehouse bell, the firehouse queue."])
    assert "firehouse" not in firehouse.names and firehouse.suggest("firehouse") is None


def test_an_inflection_of_a_word_used_three_times_is_no_misspelling():
    assert Speller(NOTES).suggest("crawled") == "crawler"
    assert Speller([*NOTES, "You crawl S3, crawl JDBC stores and crawl logs."]).suggest("crawled") is None


def test_speller_leaves_short_words_alone():
    speller = Speller(NOTES)
    assert speller.suggest("glew") is None
    assert speller.correct("Is Glew fast?") == ("Is Glew fast?", [])


def test_a_slip_of_the_notes_is_corrected_only_beside_a_far_more_frequent_name():
    frequent = Speller([*NOTES, *["Load it with Firehose; Firehose retries."] * 5, FIREHOSE_SLIP])
    assert frequent.counts["firehouse"] == 1 and frequent.names["firehose"] >= 10
    assert frequent.suggest("firehouse") == "firehose"
    rare = Speller([*NOTES, FIREHOSE_SLIP])
    assert rare.names["firehose"] < 10
    assert rare.suggest("firehouse") is None


def test_edit_distance_counts_a_swap_as_one_edit():
    assert edit_distance("dynamobd", "dynamodb", 2) == 1
    assert edit_distance("athnea", "athena", 2) == 1
    assert edit_distance("kinesis", "kinesis", 2) == 0
    assert edit_distance("firehouse", "firehose", 2) == 1


def test_edit_distance_stops_past_the_limit():
    assert edit_distance("redshift", "dynamodb", 2) == 3
    assert edit_distance("glue", "gluestudio", 2) == 3
    assert edit_distance("abcd", "badc", 1) == 2
    assert edit_distance("abcd", "badc", 3) == 2


def test_expansions_spell_out_abbreviations_the_notes_do_not_use():
    assert "Kinesis Data Firehose" in expansions("What is the KDF buffer size?")
    assert "Kinesis Data Firehose" not in expansions("What is the KDF buffer size?", known={"kdf"})
    assert expansions("What is the KDF buffer size?", known={"kdf"}) == ""


def test_expansions_add_what_everyday_words_mean():
    assert "cost" in expansions("How can I make it cheaper?")
    assert "cost" in expansions("How can I make it cheaper?", known={"cheaper"})


def test_service_names_include_lightsail():
    assert "Lightsail" in load_service_names()
    assert "Support" in load_service_names() and "Security Hub" in load_service_names()


def test_one_word_service_names_must_be_capitalised():
    pattern = service_pattern("Support")
    assert pattern.search("Which plan includes support for production?") is None
    assert pattern.search("Which AWS Support plan has a TAM?") is not None
    assert service_pattern("Lightsail").search("How does Amazon Lightsail pricing work?") is not None


def test_multi_word_service_names_match_in_any_case():
    assert service_pattern("Security Hub").search("Does security hub aggregate findings?") is not None
    assert service_pattern("Security Hub").search("Does SECURITY  HUB aggregate findings?") is not None
    assert service_pattern("Security Hub").search("a security hubcap") is None


def test_a_question_is_weighed_in_its_own_order_under_any_hash_seed():
    """The weights keep the question's term order, then the context's: a set's order would follow the process's
    hash seed, and with it which of two equal terms is the focus and the last bits of every coverage sum."""
    import os
    import subprocess
    import sys

    code = ("from bot.search.query import query_weights; "
            "print(list(query_weights({}, 'kinesis shard retention firehose buffer size', 'dynamodb sqs kinesis')))")
    printed = {subprocess.run([sys.executable, "-c", code], env=os.environ | {"PYTHONHASHSEED": seed},
                              capture_output=True, text=True, check=True).stdout for seed in ("0", "1", "2", "3")}
    assert printed == {"['kinesis', 'shard', 'retention', 'firehose', 'buffer', 'size', 'dynamodb', 'sqs']\n"}
