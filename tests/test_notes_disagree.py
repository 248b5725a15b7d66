"""The Browse list of facts the notes give different values for (bot.answer.disagree.notes_disagreements), and the
chat line that points to it."""

from pathlib import Path

import pytest

from bot.answer.disagree import Disagreement, Statement, notes_disagreements
from bot.ingest.load import load_corpus
from bot.models import Answer, Citation, Section, SourceDoc
from bot.search.query import load_service_names
from bot.settings import ROOT
from bot.ui.browse import disagreements_html
from bot.ui.chat import disagreement_note

SERVICES = ("SQS", "Kinesis", "Lambda", "SWF", "DynamoDB")


def doc(doc_id: str) -> SourceDoc:
    return SourceDoc(doc_id, f"Doc {doc_id}", "markdown", "", Path(f"{doc_id}.md"))


def notes(**docs: list[tuple[tuple[str, ...], tuple[str, ...]]]) -> dict:
    """{doc id: [(path, lines)]} as load_corpus returns it."""
    return {doc(d): [Section(d, f"Doc {d}", path, lines, 1) for path, lines in sections]
            for d, sections in docs.items()}


def found(documents: dict) -> list[tuple[str, str, str, str]]:
    return [(d.subject, d.measure, d.first.amount, d.second.amount) for d in notes_disagreements(documents, SERVICES)]


def test_two_documents_giving_different_values_for_one_fact_disagree():
    documents = notes(
        a=[(("Amazon SQS",), ("- The default retention period is 4 days.",))],
        b=[(("Queues", "SQS"), ("- Data retention is 3 days default, max 14 days.",))],
    )
    assert found(documents) == [("SQS", "default retention", "4 days", "3 days")]
    (item,) = notes_disagreements(documents, SERVICES)
    assert item.first.path == ("Amazon SQS",) and item.second.doc_title == "Doc b" and item.kind == "time"


def test_a_range_is_its_upper_end_and_equal_values_agree():
    documents = notes(
        a=[(("Kinesis",), ("- Retention between 1 day and 365 days",))],
        b=[(("Streams",), ("Kinesis can retain data for up to 365 days.",))],
    )
    assert found(documents) == []


def test_a_document_giving_both_values_describes_two_cases_not_a_disagreement():
    documents = notes(
        a=[(("Kinesis",), ("- Average latency 200 ms",))],
        b=[(("Kinesis",), ("- Latency 70 ms with enhanced fan-out", "- Latency 200 ms shared"))],
    )
    assert found(documents) == []


@pytest.mark.parametrize("first, second", [
    ("- Read throughput: items up to 4 KB per unit", "- DynamoDB items up to 400 KB"),  # read vs any: no
    ("- Stream retention is 24 hours", "- Backup retention is 35 days"),  # a backup is another thing
    ("- ex: retention 2 days = 48 hours", "- Retention is 7 days"),  # a worked example states no fact
    ("- SWF runs are retained for one year, SQS messages 14 days", "- Retention is 4 days"),  # whose amount?
])
def test_different_things_are_no_disagreement(first, second):
    documents = notes(a=[(("DynamoDB",), (first,))], b=[(("DynamoDB",), (second,))])
    assert found(documents) == []


def test_the_real_notes_disagree_on_the_three_known_facts_and_each_side_quotes_its_value():
    loaded, _ = load_corpus(ROOT / "corpus")
    items = notes_disagreements(loaded, load_service_names())
    summary = {(d.subject, d.measure, frozenset((d.first.amount, d.second.amount))) for d in items}
    assert ("Kinesis", "retention", frozenset({"365 days", "7 days"})) in summary
    assert ("SQS", "default retention", frozenset({"3 days", "4 days"})) in summary
    assert any(s == "Aurora" and "64 TB" in values for s, _, values in summary)
    lines = {(section.doc_id, line.strip()) for sections in loaded.values() for section in sections
             for line in section.lines}
    for item in items:
        assert item.first.doc_id != item.second.doc_id
        for side in (item.first, item.second):
            assert (side.doc_id, side.line) in lines and side.amount in side.line
    assert len(items) <= 12, "a long list is a noisy list: look at what it holds"


def statement(doc_id: str, amount: str, line: str) -> Statement:
    return Statement(doc_id, f"Doc {doc_id}", ("Kinesis",), line, amount)


KNOWN = [Disagreement("Kinesis", "retention", "time", statement("a", "365 days", "- Retention between 1-365 days"),
                      statement("b", "7 days", "Kinesis retains data from one day up until 7 days."))]


def test_the_list_quotes_each_line_once_per_fact_with_a_link_to_its_section():
    third = statement("c", "365 days", "Retention can be between 1-365 days.")
    shown = disagreements_html([*KNOWN, Disagreement("Kinesis", "retention", "time", third, KNOWN[0].second)])
    assert shown.count('class="what"') == 1 and "Kinesis · retention" in shown
    assert shown.count('class="permalink" href="?doc=') == 3  # the 7-day line once, not once per pair
    assert shown.index("<mark>7 days</mark>") < shown.index("<mark>365 days</mark>")  # smallest value first
    assert "No two documents" in disagreements_html([])
    assert "1<mark>4 days</mark>" not in disagreements_html([Disagreement(
        "SQS", "retention", "time", statement("a", "4 days", "kept 1 minute to 14 days, 4 days by default"),
        statement("b", "3 days", "3 days default"))])


def answer(question: str, text: str, passage: str) -> Answer:
    citation = Citation(1, "a-1", "a", "Doc a", "Kinesis", passage)
    return Answer(question, text, (citation,))


def test_the_chat_names_a_listed_disagreement_when_its_answer_quotes_one_side():
    passage = "Kinesis basics\n- Retention between 1-365 days"
    note = disagreement_note(answer("How long does Kinesis keep data?", "Retention between 1-365 days [1]", passage),
                             KNOWN)
    assert note.startswith("The notes disagree on Kinesis retention: 365 days in Doc a, but 7 days in Doc b.")
    size_question = answer("How big can a Kinesis record be?", "Retention between 1-365 days [1]", passage)
    assert disagreement_note(size_question, KNOWN) == ""  # a size question is not about a retention
    said = answer("How long does Kinesis keep data?", "… [1]\nThe notes disagree: 365 days …", passage)
    assert disagreement_note(said, KNOWN) == ""  # the answer says so already
    elsewhere = answer("How long does Kinesis keep data?", "Retention between 1-365 days [1]", "other text")
    assert disagreement_note(elsewhere, KNOWN) == ""
