import pytest

from bot.answer.extractive import NOT_IN_MATERIAL
from bot.answer.studybot import build_bot
from bot.ingest.index import ingest
from bot.search.question import QuestionError, clean_question


@pytest.fixture
def tiny_bot(tiny_settings):
    ingest(tiny_settings, progress=False)
    return build_bot(tiny_settings)


def test_answer_quotes_the_passage_and_cites_its_section(tiny_bot):
    answer = tiny_bot.ask("What is the max message size in SQS?")
    assert not answer.refused
    assert "256 KB" in answer.text and "[1]" in answer.text
    first = answer.citations[0]
    assert first.marker == 1 and first.doc_id == "100" and first.section == "Messaging > Amazon SQS"
    assert "256 KB" in first.text and "256 KB" in first.quote
    assert set(answer.timings_ms) == {"retrieve", "answer", "total"}


def test_every_marker_resolves_to_a_citation(tiny_bot):
    answer = tiny_bot.ask("kinesis shard capacity per second")
    import re

    assert not answer.refused  # a refusal has no markers and no citations: it would pass without checking anything
    markers = {int(m) for m in re.findall(r"\[(\d+)\]", answer.text)}
    assert markers and markers == {c.marker for c in answer.citations}


def test_document_filter(tiny_bot):
    answer = tiny_bot.ask("Athena partitions", doc_id="101")
    assert answer.hits and {h.chunk.doc_id for h in answer.hits} == {"101"}


def test_unrelated_question_is_refused(tiny_bot):
    answer = tiny_bot.ask("How do I bake sourdough bread at home?")
    assert answer.refused and answer.text == NOT_IN_MATERIAL and not answer.citations


@pytest.mark.parametrize(
    "question, message",
    [("", "type a question"), ("   \n\t ", "type a question"), (None, "type a question"),
     ("x" * 100_000, "100,000 characters"), ("?? !! ...", "a few words")],
)
def test_bad_questions_get_clear_messages(question, message):
    with pytest.raises(QuestionError, match=message):
        clean_question(question, 2000)


def test_control_characters_and_odd_unicode_are_tolerated(tiny_bot):
    assert clean_question("SQS\x00 max\u200b message\x1b size", 2000) == "SQS  max  message  size".replace("  ", " ")
    answer = tiny_bot.ask("ＳＱＳ max message size?\x07")  # full-width letters fold to ASCII
    assert "256 KB" in answer.text


def test_runnable_chain_returns_answers(tiny_bot):
    chain = tiny_bot.as_runnable()
    assert "256 KB" in chain.invoke("SQS max message size").text
    assert chain.invoke({"question": "SQS max message size", "doc_id": "102"}).hits[0].chunk.doc_id == "102"
    assert len(tiny_bot.as_runnable(k=2).invoke("SQS max message size").hits) == 2


def test_a_disagreement_line_names_both_values_their_notes_and_markers():
    from bot.amounts import measures
    from bot.answer.extractive import compose
    from bot.answer.lines import Unit
    from bot.models import Chunk, Hit

    def hit(doc_title: str, text: str) -> Hit:
        return Hit(Chunk(f"c-{doc_title}", doc_title[-1], doc_title, ("Amazon SQS",), text, 0, 1), 1.0, 0.9, 1, 1)

    hits = [hit("Notes A", "SQS keeps messages for 4 days by default."),
            hit("Notes B", "SQS keeps messages for 3 days by default.")]
    ours, theirs = Unit(0, 0, hits[0].chunk.text, 1.0), Unit(1, 0, hits[1].chunk.text, 0.5)
    conflict = (ours, measures(ours.text)[0], theirs, measures(theirs.text)[0])
    answer = compose("How long does SQS keep messages?", hits, [ours, theirs], "extractive", conflict)
    assert answer.text.splitlines()[-1] == ("The notes disagree: 4 days in Notes A [1], but 3 days in Notes B [2]. "
                                            "Check the current AWS documentation.")


def test_the_ingest_summary_says_what_was_done_and_warns_of_each_problem():
    from bot.ingest.index import IngestReport
    from bot.ingest.load import LoadProblem

    done = IngestReport("c", 12, 3, 9, 1, 2.345, problems=[LoadProblem("104", "empty file: skipped")])
    assert done.summary() == ("indexed 12 chunks (3 embedded, 9 reused, 1 removed) in 2.3s\n"
                              "warning: empty file: skipped")
    assert IngestReport("c", 12, 0, 12, 0, 0.1, unchanged=True).summary() == "index up to date: 12 chunks"


def test_compose_labels_a_passage_once_numbers_passages_by_first_use_and_joins_their_quotes():
    from bot.answer.extractive import compose
    from bot.answer.lines import Unit
    from bot.models import Chunk, Hit

    def hit(section: str, text: str) -> Hit:
        return Hit(Chunk(f"c-{section}", "101", "Notes", ("Databases", section), text, 0, 1), 1.0, 0.9, 1, 1)

    hits = [hit("Amazon SQS", "Amazon SQS keeps messages 4 days."),
            hit("Amazon DocumentDB", "Managed document database. Reads scale with replicas.")]
    units = [Unit(1, 0, "Managed document database.", 1.0), Unit(1, 1, "Reads scale with replicas.", 0.9),
             Unit(0, 0, "Amazon SQS keeps messages 4 days.", 0.8)]
    answer = compose("What is DocumentDB?", hits, units, "by-hand")
    assert answer.question == "What is DocumentDB?" and answer.answerer == "by-hand" and answer.hits == tuple(hits)
    assert answer.text == ("Amazon DocumentDB: Managed document database. [1]\n"  # the heading names the topic once
                           "Reads scale with replicas. [1]\n"
                           "Amazon SQS keeps messages 4 days. [2]")  # its line names its topic: no label
    assert [(c.marker, c.chunk_id, c.quote) for c in answer.citations] == [
        (1, "c-Amazon DocumentDB", "Managed document database. … Reads scale with replicas."),
        (2, "c-Amazon SQS", "Amazon SQS keeps messages 4 days.")]


def test_a_label_is_the_heading_unless_the_line_already_names_it():
    from bot.answer.extractive import _label

    assert _label((), "Managed document database.") == ""
    assert _label(("Databases", "Amazon DocumentDB"), "Managed document database.") == "Amazon DocumentDB: "
    assert _label(("Databases", "Amazon DocumentDB"), "Amazon DocumentDB is managed.") == ""
    assert _label(("Amazon SQS",), "amazon sqs") == ""  # the same words exactly


def _notes_hit(doc: str, section: str, text: str):
    from bot.models import Chunk, Hit

    return Hit(Chunk(f"{doc}-0", doc, f"Notes {doc}", (section,), text, 0, 1), 1.0, 0.9, 1, 1)


def _extractive(idf: dict[str, float]):
    from bot.answer.extractive import ExtractiveAnswerer
    from bot.settings import Settings

    return ExtractiveAnswerer(idf, Settings(lines="weights"))


def test_the_extractive_answer_of_a_number_question_says_when_two_notes_disagree_and_cites_each():
    idf = {"sqs": 2.0, "default": 1.5, "message": 1.0, "keep": 1.0, "retention": 2.0}
    hits = [_notes_hit("A", "Amazon SQS", "SQS is a message queue.\nSQS keeps messages for 4 days by default."),
            _notes_hit("B", "Amazon SQS", "SQS keeps messages for 3 days by default.")]
    answer = _extractive(idf).answer("How long does SQS keep messages by default?", hits)
    assert answer.text.splitlines() == [
        "Amazon SQS: SQS keeps messages for 4 days by default. [1]",
        "Amazon SQS: SQS keeps messages for 3 days by default. [2]",
        "The notes disagree: 4 days in Notes A [1], but 3 days in Notes B [2]. Check the current AWS documentation."]
    assert [(c.doc_id, c.doc_title, c.section) for c in answer.citations] == [("A", "Notes A", "Amazon SQS"),
                                                                            ("B", "Notes B", "Amazon SQS")]


def test_the_extractive_answer_of_a_follow_up_keeps_to_the_service_of_the_earlier_turns():
    idf = {"sqs": 3.0, "kinesis": 3.0, "encryption": 1.0}  # a service's name is rarer in the notes than "encryption"
    hits = [_notes_hit("M", "Messaging", "Kinesis supports encryption with KMS keys.\n"
                                         "SQS supports encryption with KMS keys too.")]
    answerer = _extractive(idf)
    assert answerer.answer("Is encryption supported?", hits, context="Amazon SQS").text == (
        "Messaging: SQS supports encryption with KMS keys too. [1]")
    assert answerer.answer("Is encryption supported?", hits).text.splitlines()[0] == (
        "Messaging: Kinesis supports encryption with KMS keys. [1]")
