"""Three small documents as sections, and the quiz deck made from them (quiz, progress, exam, CLI and UI tests)."""

from bot.models import Section, SourceDoc
from bot.quiz.deck import Deck, generate
from bot.settings import Settings

DOCS = {
    "900": ("Queue notes", {
        ("Messaging", "Amazon SQS"): (
            "- Max message size is 256 KB.",
            "- Messages are kept for 4 days by default, up to 14 days.",
            "- Amazon SQS is a fully managed message queuing service that decouples microservices, distributed "
            "systems and serverless applications.",
        ),
        ("Messaging", "Amazon SNS"): (
            "- A topic fans out each message to many subscribers over HTTP endpoints, email addresses and queues.",
            "- Released in 2010 with 3 delivery protocols (list item 1).",
        ),
    }),
    "901": ("Storage notes", {
        ("Amazon S3", "Storage Classes"): (
            "Amazon S3 offers these storage classes:",
            "- S3 Standard: Frequently read data with millisecond access and no retrieval fee.",
            "- S3 Intelligent-Tiering: Moves each object between tiers automatically as its usage pattern changes.",
            "- S3 One Zone-IA: Rarely read data kept in a single Availability Zone at lower cost.",
            "- S3 Glacier Deep Archive: Cheapest class for compliance records read once or twice a year.",
            "- S3 Glacier Instant Retrieval: Cold data that still needs millisecond reads when requested.",
        ),
        ("Amazon S3", "Durability"): (
            "S3 is designed for 99.999999999% durability of objects.",
        ),
    }),
    "902": ("Streaming notes", {
        ("Ingestion", "Kinesis Data Streams"): (
            "- Each shard ingests 1 MB/s or 1,000 records/s.",
            "- Data retention is configurable from 24 hours to 365 days.",
            "- Amazon Kinesis Data Streams is a serverless service that captures and keeps gigabytes of records "
            "per second from many producers for real-time processing.",
        ),
        ("Ingestion", "Delivery"): (
            "- Firehose delivers records to S3, Redshift and OpenSearch without writing code.",
            "- Amazon MSK runs Apache Kafka clusters for you.",
        ),
    }),
}


def markdown(doc_id: str) -> str:
    """DOCS[doc_id] as a markdown file (for tests that go through the loader)."""
    out, previous = [], ()
    for path, lines in DOCS[doc_id][1].items():
        for depth, heading in enumerate(path):
            if previous[: depth + 1] != path[: depth + 1]:
                out.append(f"{'#' * (depth + 1)} {heading}")
        out.extend(lines)
        previous = path
    return "\n".join(out) + "\n"


def sections_of(doc_id: str) -> list[Section]:
    title, paths = DOCS[doc_id]
    return [Section(doc_id, title, path, lines, 1) for path, lines in paths.items()]


def loaded_corpus() -> dict:
    return {SourceDoc(i, DOCS[i][0], "markdown", "test", None): sections_of(i) for i in DOCS}


def small_deck() -> Deck:
    """A deck generated from DOCS (also used by the progress, CLI and UI tests)."""
    from bot.quiz.deck import section_texts

    loaded = loaded_corpus()
    cards, rejected = generate(loaded, Settings.from_env({}, chunk_size=300))
    return Deck(tuple(cards), section_texts(loaded), {d.doc_id: d.title for d in loaded}, rejected=tuple(rejected))
