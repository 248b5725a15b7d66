"""The study text of the real corpus holds none of the PDF extraction leftovers of issue 14.

Before the cleaning (commit d8378c8) the counts were: 50 repeated-heading lines, 66 stray bullet glyphs,
23 lines of LaTeX, 1 CSV header as a section title, 2 words split over lines, 24 empty sections and
54 breadcrumbs naming the document's title twice (`python -m evals.cleaning`)."""

import pytest

from bot.ingest.load import load_corpus
from bot.settings import ROOT
from bot.text import breadcrumb
from evals.cleaning import CHECKS, leftovers


@pytest.fixture(scope="module")
def counts():
    return leftovers(ROOT / "corpus")


@pytest.mark.parametrize("leftover", list(CHECKS))
def test_no_leftover_in_the_real_corpus(counts, leftover):
    assert counts[leftover] and set(counts[leftover]) == {"000", "001", "002", "003", "004"}
    assert sum(counts[leftover].values()) == 0, counts[leftover]


def test_the_checks_see_the_leftovers_they_count():
    from bot.models import Section, SourceDoc

    doc = SourceDoc("9", "Doc", "slides", "", ROOT / "x")
    dirty = Section("9", "Doc", ("Doc", "Glue Costs"), (
        "Glue Costs", "Glue Costs", " - o Returns", r"$6 \text{ DPU}$", "to de-", "duplicate", "-",
    ), 1)
    found = {name: check(doc, [dirty]) for name, check in CHECKS.items()}
    assert found == {
        "repeated-heading lines": 1, "stray bullet glyphs (o, ·)": 1, "LaTeX markup lines": 1,
        "CSV header as section title": 0, "words split over lines": 1, "empty sections": 0,
        "breadcrumbs with the title twice": 1,
    }
    stub = Section("9", "Doc", ("ID,Name,Age,City",), ("-",), 1)
    assert CHECKS["empty sections"](doc, [stub]) == 1 and CHECKS["CSV header as section title"](doc, [stub]) == 1


def test_the_glue_catalog_notes_sit_under_their_own_title():
    loaded, _ = load_corpus(ROOT / "corpus")
    slides = next(sections for doc, sections in loaded.items() if doc.doc_id == "002")
    catalog = [s for s in slides if s.path[-1] == "AWS Glue Data Catalog"]
    assert catalog and "Centralized Data Catalog" in catalog[0].text


def test_dynamodb_capacity_example_reads_as_plain_arithmetic():
    loaded, _ = load_corpus(ROOT / "corpus")
    text = "\n".join(s.text for sections in loaded.values() for s in sections)
    assert "6 DPU × 1/4 hour × $0.44 = $0.66." in text


def test_breadcrumb_names_each_heading_once():
    assert breadcrumb("Notes", ("Notes",)) == "Notes"
    assert breadcrumb("Notes", ("Kinesis", "Shards")) == "Notes › Kinesis › Shards"
    assert breadcrumb("Notes", ("notes ", "SQS")) == "Notes › SQS"
