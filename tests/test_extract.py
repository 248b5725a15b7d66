"""Choosing answer lines by intent, list blocks, amounts, and when two documents disagree."""

import pytest

from bot.amounts import measures
from bot.answer.disagree import asked_amount, disagreeing_unit
from bot.answer.extract import RANK_PRIOR, LineChooser
from bot.answer.lines import MAX_ITEM_CHARS, Unit, condensed, list_blocks, passage_units
from bot.models import Chunk, Hit
from bot.search.query import COMPARISON, DEFINITION, LIST, NUMBER

DAY = 86_400
IDF = {"redshift": 2.0, "distribution": 3.0, "style": 3.0, "lake": 3.0, "formation": 3.0, "dynamodb": 2.0,
       "max": 1.0, "item": 1.5, "size": 1.5, "cognito": 3.0, "user": 1.5, "identity": 2.5, "pool": 2.5,
       "kinesis": 2.0, "data": 0.5, "stay": 2.0, "stream": 1.5, "sqs": 2.0, "default": 1.5, "retention": 2.0}
STYLES = """Choose how rows spread across the compute nodes:
- **AUTO:** Redshift picks the style from the table size and changes it as the table grows over time.
- **EVEN:** Rows are distributed round-robin across the slices, whatever the values in any column of the row are.
- **KEY:** Rows with the same value in the distribution key column land on the same slice.
- **ALL:** A full copy of the table is stored on every node."""
LAKE = """Lake Formation
Central place to build, secure and manage data lakes with fine-grained permissions.
Blueprints ingest data from databases and logs into Lake Formation.
Lake Formation billing: you pay only for the Glue, S3 and Athena requests Lake Formation makes."""
KINESIS_QUESTION = "How long can data stay in a Kinesis data stream?"
RETENTION_365 = "Retention between 1-365 days"
RETENTION_7 = "Kinesis Streams can retain the data from one day up until 7 days"


def hit(text, *path, doc="000", position=0):
    chunk = Chunk(f"{doc}-{position}-{path[-1]}", doc, f"Doc {doc}", tuple(path), text, position, 1)
    return Hit(chunk, 1.0, 0.8)


def test_a_line_keeps_its_indented_sub_bullets():
    text = ("- Shard capacity per second\n  - 1 MB/s or 1000 records in\n  - 2 MB/s out\n"
            "- Retention defaults to 24 hours")
    assert passage_units(text) == (
        (0, "- Shard capacity per second - 1 MB/s or 1000 records in - 2 MB/s out"),
        (1, "- Retention defaults to 24 hours"),
    )


def test_a_header_ending_in_a_colon_takes_the_next_line():
    assert passage_units("Limits:\nMessages up to 256 KB\n\nOther line") == (
        (0, "Limits: Messages up to 256 KB"), (1, "Other line"))


def test_list_blocks_find_the_bullets_and_their_label():
    blocks = list_blocks(f"Distribution Styles\n{STYLES}\nPick KEY for large joined tables.")
    assert len(blocks) == 1
    order, label, items = blocks[0]
    assert order == 2 and label == "Choose how rows spread across the compute nodes:"
    assert [item.split(":**")[0] for item in items] == ["- **AUTO", "- **EVEN", "- **KEY", "- **ALL"]


def test_a_single_bullet_is_no_list():
    assert list_blocks("Note:\n- only one item\nplain text") == []


def test_condensed_drops_the_markup_and_cuts_long_items():
    item = STYLES.splitlines()[2]
    short = condensed(item)
    assert short.startswith("EVEN: Rows are distributed round-robin")
    assert "**" not in short and short.endswith("…")
    assert len(short) <= MAX_ITEM_CHARS + 1
    assert condensed("- **ALL:** A full copy.") == "ALL: A full copy."


def test_a_list_question_gets_the_labelled_bullets_as_one_unit():
    hits = [hit("Redshift is a columnar data warehouse.\nUse COPY to load data.", "Amazon Redshift", "Overview"),
            hit(STYLES, "Amazon Redshift", "Distribution Styles", position=1)]
    choice = LineChooser(IDF).choose("What are the Redshift distribution styles?", LIST, hits)
    assert len(choice.units) == 1 and choice.conflict is None
    unit = choice.units[0]
    assert unit.hit_index == 1
    assert all(f"{style}:" in unit.text for style in ("AUTO", "EVEN", "KEY", "ALL"))
    assert all(line in unit.source for line in STYLES.splitlines())
    assert unit.source == unit.quote != unit.text


def test_a_definition_is_the_first_informative_line_of_the_subjects_section():
    hits = [hit(LAKE, "Analytics", "AWS Lake Formation")]
    chooser = LineChooser(IDF, is_section_start=lambda chunk: chunk is hits[0].chunk)
    choice = chooser.choose("What is Lake Formation used for?", DEFINITION, hits)
    texts = [u.text for u in choice.units]
    assert texts[0] == "Central place to build, secure and manage data lakes with fine-grained permissions."
    assert max(choice.units, key=lambda u: u.score).text == texts[0]


def test_without_a_section_start_the_definition_line_loses_to_lines_naming_the_subject():
    hits = [hit(LAKE, "Analytics", "AWS Lake Formation")]
    choice = LineChooser(IDF).choose("What is Lake Formation used for?", DEFINITION, hits)
    assert all("Lake Formation" in u.text for u in choice.units)


def test_a_number_question_prefers_the_line_with_a_quantity():
    without, with_quantity = ("DynamoDB max item size is set by the table design and the attribute names.",
                              "DynamoDB max item size is 400 KB including the attribute names.")
    hits = [hit(f"{without}\n{with_quantity}", "DynamoDB")]
    chooser = LineChooser(IDF)
    question = "What is the max item size in DynamoDB?"
    ranked = chooser.scored_units(chooser.weights(question), NUMBER, hits)
    assert ranked[0].text == with_quantity and ranked[1].text == without
    assert with_quantity in [u.text for u in chooser.choose(question, NUMBER, hits).units]


def test_a_comparison_holds_a_line_about_each_side():
    text = ("Both pools can be combined in one Cognito setup for apps.\n"
            "User pools are user directories that handle sign-up and sign-in for app users.\n"
            "Identity pools exchange tokens for temporary AWS credentials to call services.")
    hits = [hit(text, "Amazon Cognito")]
    choice = LineChooser(IDF).choose("Cognito user pools vs identity pools?", COMPARISON, hits)
    texts = [u.text for u in choice.units]
    assert any(t.startswith("User pools") for t in texts)
    assert any(t.startswith("Identity pools") for t in texts)
    assert "Both pools can be combined in one Cognito setup for apps." not in texts


def test_amounts_read_spelled_numbers_and_units():
    found = measures("retain the data from one day up until 7 days")
    assert [(a.kind, a.value) for a in found] == [("time", DAY), ("time", 7 * DAY)]
    assert found[1].text == "7 days"
    assert [(a.kind, a.value) for a in measures("items up to 400 KB, 1 MB/s")] == [("size", 400e3), ("size", 1e6)]


def test_a_spelled_amount_keeps_its_text_as_written():
    assert measures("retain the data from one day up until 7 days")[0].text == "one day"


@pytest.mark.parametrize("line, days", [
    ("Messages can be kept from one minute to 14 days and the default retention period is 4 days.", 4),
    ("Data retention is 3 days default, max 14 days.", 3),
])
def test_a_default_question_takes_the_amount_of_the_default_clause(line, days):
    amount = asked_amount("What is the default retention period for SQS messages?", line)
    assert amount is not None and amount.value == days * DAY


def test_without_default_the_largest_amount_is_asked():
    line = "Data retention is 3 days default, max 14 days."
    assert asked_amount("How long does SQS keep messages?", line).value == 14 * DAY
    assert asked_amount("What is the default retention?", "Retention is 14 days at most.") is None
    assert asked_amount("How long?", "No amount here.") is None


def two_units(first_doc, second_doc, first=RETENTION_365, second=RETENTION_7, path=("Kinesis", "Kinesis Streams")):
    hits = [hit(first, *path, doc=first_doc), hit(second, *path, doc=second_doc, position=1)]
    units = [Unit(0, 0, first, 1.0), Unit(1, 0, second, 0.9)]
    return hits, units


def test_two_documents_giving_different_amounts_disagree():
    hits, units = two_units("003", "004")
    conflict = disagreeing_unit(KINESIS_QUESTION, units[:1], units, hits, RANK_PRIOR, "kinesis")
    assert conflict is not None
    mine, amount, other, other_amount = conflict
    assert (mine, other) == (units[0], units[1])
    assert (amount.value, other_amount.value) == (365 * DAY, 7 * DAY)
    assert amount.text == "365 days" and other_amount.text == "7 days"


def test_one_document_does_not_disagree_with_itself():
    hits, units = two_units("003", "003")
    assert disagreeing_unit(KINESIS_QUESTION, units[:1], units, hits, RANK_PRIOR, "kinesis") is None


def test_a_line_that_never_names_the_focus_does_not_disagree():
    hits, units = two_units("003", "004", path=("Streaming",))  # only the 7-day line says "Kinesis"
    assert disagreeing_unit(KINESIS_QUESTION, units[:1], units, hits, RANK_PRIOR, "kinesis") is None
    assert disagreeing_unit(KINESIS_QUESTION, units[:1], units, hits, RANK_PRIOR, None) is not None


def test_a_read_limit_does_not_disagree_with_a_write_limit():
    read, write = ("One read capacity unit reads an item up to 4 KB per second.",
                   "One write capacity unit writes an item up to 1 KB per second.")
    hits, units = two_units("000", "003", read, write, ("DynamoDB", "Capacity"))
    question = "What is the item size per capacity unit in DynamoDB?"
    assert disagreeing_unit(question, units[:1], units, hits, RANK_PRIOR, "dynamodb") is None
    same_side = "One read capacity unit reads an item up to 8 KB per second."
    hits, units = two_units("000", "003", read, same_side, ("DynamoDB", "Capacity"))
    assert disagreeing_unit(question, units[:1], units, hits, RANK_PRIOR, "dynamodb") is not None


def test_a_number_answer_shows_both_sides_of_a_disagreement():
    longest = "Data can stay in a Kinesis data stream for between 1-365 days."
    hits = [hit(longest, "Kinesis Data Streams", doc="003"),
            hit(RETENTION_7, "Kinesis", "Kinesis Streams", doc="004", position=1)]
    choice = LineChooser(IDF, name_terms=frozenset({"kinesis"})).choose(KINESIS_QUESTION, NUMBER, hits)
    assert choice.conflict is not None
    assert {u.text for u in choice.units} == {longest, RETENTION_7}
    assert {choice.conflict[1].value, choice.conflict[3].value} == {365 * DAY, 7 * DAY}
