import json
import re

import pytest
from conftest import DATA

from bot.ingest.clean import clean_line, join_split_words, parse_markdown, parse_numbered, parse_slides, plain_math
from bot.ingest.load import CorpusError, load_corpus, read_manifest, read_text, section_tree


def paths(sections):
    return [path for path, _ in sections]


def body(sections, path):
    return "\n".join(text for p, lines in sections if p == path for _, text in lines)


def test_markdown_headings_become_paths_and_markup_is_cleaned():
    sections = parse_markdown((DATA / "queues.md").read_text(), "Q")
    assert paths(sections) == [("Messaging",), ("Messaging", "Amazon SQS"), ("Messaging", "Amazon SNS")]
    sqs = body(sections, ("Messaging", "Amazon SQS"))
    assert "Max message size is 256 KB." in sqs
    assert "# not a heading: a comment in code" in sqs  # code stays content, never a heading
    sns = body(sections, ("Messaging", "Amazon SNS"))
    assert "SNS is pub/sub: one message fans out to many subscribers. See the docs." in sns
    assert "imgs/sns.png" not in sns and "**" not in sns
    assert "Model | pull | push" in sns  # table kept as a row, rule line dropped
    assert "title: Queue notes" not in sqs  # front matter dropped


def test_markdown_table_of_contents_is_dropped():
    sections = parse_markdown((DATA / "queues.md").read_text(), "Q")
    assert not any("Table of Contents" in p for path in paths(sections) for p in path)


def test_slides_drop_decoration_and_screenshots_and_merge_repeated_titles():
    sections = parse_slides((DATA / "slides.txt").read_text(), "Deck")
    assert paths(sections) == [
        ("Section 1: Introduction", "Athena - Performance Optimization"),
        ("Section 2: Data Streaming", "Kinesis Shards"),
    ]
    athena = body(sections, paths(sections)[0])
    assert "Use partitions" in athena and "Reduce file size to speed up queries" in athena
    for noise in ("003-1040559", "77156", "73273", "screenshot", "\n01"):
        assert noise not in athena
    kinesis = body(sections, paths(sections)[1])
    assert "shard | 1 MB/s | 2 MB/s" in kinesis  # tab table kept as rows
    assert "VS" not in kinesis.split("\n")


def test_slides_course_section_title_on_following_line():
    sections = parse_slides("Section 7:\n\nStorage with S3\n\n\n\n\nVersioning\n\n- Keeps every version\n", "D")
    assert paths(sections) == [("Section 7: Storage with S3", "Versioning")]


def test_numbered_headings_skip_toc_and_look_alikes_and_fix_lost_dot():
    sections = parse_numbered((DATA / "numbered.txt").read_text(), "Notes")
    assert paths(sections) == [
        ("Notes",),  # the title line before the first heading
        ("1. Data collection", "1.1 Kinesis Data Stream"),
        ("2. Storage", "2.1 File formats"),
        ("2. Storage", "2.2 S3"),
        ("2. Storage", "2.3 Athena"),
        ("2. Storage", "2.3 Athena", "Query types"),
        ("2. Storage", "2.3 Athena"),  # prose after the list is the section's again
    ]
    s3 = body(sections, ("2. Storage", "2.2 S3"))
    assert "3 types of customer master keys (CMK)" in s3
    assert "Athena bills per TB scanned." in body(sections, ("2. Storage", "2.3 Athena"))  # after the list
    assert "Athena bills" not in body(sections, ("2. Storage", "2.3 Athena", "Query types"))
    kinesis = body(sections, ("1. Data collection", "1.1 Kinesis Data Stream"))
    assert "3 methods for encrypting data in streams:" in kinesis


def test_clean_line_strips_controls_and_keeps_text():
    assert clean_line("a\x00b\u200bc\tx\ty") == "abc | x | y"
    assert clean_line("<script>alert(1)</script> text") == "alert(1) text"


@pytest.mark.parametrize(("raw", "cleaned"), [
    ("4\u00a0MB per shard", "4 MB per shard"),  # a no-break space is a space
    ("See ![diagram](img/a.png) below", "See  below"),  # an image leaves nothing
    ("Docs: <https://aws.amazon.com/sqs/>", "Docs: https://aws.amazon.com/sqs/"),
    ("[Kinesis](https://x.y/(z)) shards", "Kinesis shards"),
    ("one<br>two<br/>three<BR />four", "one; two; three; four"),
    ("**Bold** and __strong__", "Bold and strong"),
    ("- o Returns up to 1MB", "- Returns up to 1MB"),  # a PDF's hollow bullet read as a letter
    ("· Returns up to 1MB", "Returns up to 1MB"),
    ("-   ", ""),  # an empty bullet
    ("•", ""),
    ("trailing   ", "trailing"),
    ("\tindented\tcell\t", "indented | cell"),
])
def test_clean_line_turns_markup_into_plain_text(raw, cleaned):
    assert clean_line(raw) == cleaned


def test_section_tree_prints_each_heading_once():
    from bot.models import Section

    sections = [Section("1", "T", p, ("x",), 1) for p in [("A",), ("A", "B"), ("A", "C"), ("D",)]]
    assert section_tree(sections) == ["A", "  B", "  C", "D"]


def test_real_documents_have_their_sections(copy_of_corpus):
    loaded, problems = load_corpus(copy_of_corpus)
    assert not problems
    by_id = {doc.doc_id: sections for doc, sections in loaded.items()}
    assert set(by_id) == {"000", "001", "002", "003", "004"}
    headings = {doc_id: {s.heading for s in sections} for doc_id, sections in by_id.items()}
    assert "4.3 Athena" in headings["003"] and "1.3 SQS" in headings["003"]
    assert "Athena - Performance Optimization" in headings["002"]
    courses = {s.path[0] for s in by_id["002"]}
    assert "Section 9: DynamoDB" in courses and "Section 3: Querying with Athena" in courses
    assert len([c for c in courses if c.startswith("Section ")]) == 20
    text_002 = "\n".join(s.text for s in by_id["002"])
    assert "003-1040559" not in text_002 and "The screenshot shows" not in text_002


@pytest.mark.parametrize(
    "content, message",
    [(b"", "is empty"), (b"   \n\n", "is empty"), (b"\xff\xfe\x00bad", "not UTF-8")],
)
def test_broken_documents_are_reported_not_fatal(tiny_settings, content, message):
    (tiny_settings.corpus_dir / "slides.txt").write_bytes(content)
    loaded, problems = load_corpus(tiny_settings.corpus_dir)
    assert [p.doc_id for p in problems] == ["101"]
    assert message in problems[0].message
    assert {d.doc_id for d in loaded} == {"100", "102"}


def test_document_without_headings_is_one_section(tmp_path):
    from conftest import write_corpus

    corpus = write_corpus(tmp_path, {"200": ("plain.md", "markdown", "Just text.\nNo headings at all here.")})
    loaded, _ = load_corpus(corpus)
    (sections,) = loaded.values()
    assert [s.path for s in sections] == [("Doc 200",)]


def test_missing_or_bad_manifest_raises_clear_error(tmp_path):
    with pytest.raises(CorpusError, match="no manifest.json"):
        read_manifest(tmp_path)
    (tmp_path / "manifest.json").write_text("{not json")
    with pytest.raises(CorpusError, match="not valid JSON"):
        read_manifest(tmp_path)
    (tmp_path / "manifest.json").write_text('[{"id": "1"}]')
    with pytest.raises(CorpusError, match="needs id, title and file"):
        read_manifest(tmp_path)


@pytest.mark.parametrize("escape", ["/etc/passwd", "../outside.md", "notes/../../outside.md", "link.md",
                                    "linked-folder/outside.md"])
def test_a_manifest_entry_outside_the_corpus_folder_is_refused_by_name(tmp_path, escape):
    corpus = tmp_path / "corpus"
    (corpus / "notes").mkdir(parents=True)
    (tmp_path / "outside.md").write_text("# Secret\nnot study material\n")
    (corpus / "link.md").symlink_to(tmp_path / "outside.md")
    (corpus / "linked-folder").symlink_to(tmp_path)
    (corpus / "notes" / "inside.md").write_text("# Notes\nSQS keeps messages 4 days.\n")
    entries = [{"id": "1", "title": "Notes", "file": "notes/inside.md"}, {"id": "2", "title": "X", "file": escape}]
    (corpus / "manifest.json").write_text(json.dumps(entries))
    with pytest.raises(CorpusError, match=f"entry '2' names '{re.escape(escape)}', which is outside the corpus"):
        read_manifest(corpus)
    (corpus / "manifest.json").write_text(json.dumps(entries[:1]))
    assert [d.path for d in read_manifest(corpus)] == [corpus / "notes" / "inside.md"]  # a subfolder is fine


def test_missing_file_is_a_load_problem(tiny_settings):
    (tiny_settings.corpus_dir / "numbered.txt").unlink()
    _, problems = load_corpus(tiny_settings.corpus_dir)
    assert problems and "cannot read" in problems[0].message


def test_read_text_accepts_bom(tiny_settings):
    doc = read_manifest(tiny_settings.corpus_dir)[0]
    doc.path.write_bytes("\ufeff# T\n\nbody text here".encode())
    assert read_text(doc).startswith("# T")


# --- leftovers of the PDF extractions (issue 14): one test per kind, on small text --------------


def test_pdf_bullet_glyph_after_the_list_marker_is_dropped():
    assert clean_line(" - o Returns up to 1MB of data") == " - Returns up to 1MB of data"
    assert clean_line("- · encryption in flight") == "- encryption in flight"
    assert clean_line("· Scheduled refresh") == "Scheduled refresh"
    assert clean_line("- o3 is a model name") == "- o3 is a model name"  # a word starting with o stays


def test_latex_is_written_as_plain_text():
    line = r"⇒ $6 \text{ DPU} * 1/4 \text{ hour} * \$0.44 = \$0.66.$"
    assert clean_line(line) == "⇒ 6 DPU × 1/4 hour × $0.44 = $0.66."
    assert clean_line(r"size 4.5kb: $\frac{6*(4.5/1)}{27wcu}$ rounded") == "size 4.5kb: 6 × (4.5/1) / 27wcu rounded"
    assert clean_line(r"- complex queries \Rightarrow lower concurrency") == "- complex queries ⇒ lower concurrency"
    assert clean_line(r" - \$1.00 per 100,000 objects") == " - $1.00 per 100,000 objects"
    assert clean_line("costs $5 and $6 a month") == "costs $5 and $6 a month"  # dollars without math stay


def test_markdown_heading_over_an_empty_bullet_is_no_section():
    text = "# Notes\n\n## SQS\n\n-\n\n## SNS\n\n- Fan-out to many subscribers\n"
    sections = parse_markdown(text, "Notes")
    assert paths(sections) == [("Notes", "SNS")]


def test_slide_heading_is_kept_once():
    deck = "Glue Costs\n\n\n\n\nGlue Costs\n\n\n\n\nGlue Costs\n\n- Crawlers billed by the second\n- DPU hours\n"
    sections = parse_slides(deck, "Deck")
    assert paths(sections) == [("Deck", "Glue Costs")]
    assert [t for _, t in sections[0][1] if t] == ["Glue Costs", "- Crawlers billed by the second", "- DPU hours"]


def test_csv_sample_is_no_slide_title_and_the_title_after_it_is():
    deck = (
        "Glue Script\n\n- Reads a CSV file\n\n\n\n\n```\nID,Name,Age,City\n1,John,25,NY\n```\n\n"
        "Glue Data Catalog\n- Stores table schemas\n"
    )
    titles = [path[-1] for path in paths(parse_slides(deck, "Deck"))]
    assert titles == ["Glue Script", "Glue Data Catalog"]


def test_code_inside_a_slide_does_not_start_a_new_one():
    deck = "Schema Registry\n\n- Stores schemas\n```\n{ }\n```\n\nCreate schema registry\n\nUp to 10 registries.\n"
    assert paths(parse_slides(deck, "Deck")) == [("Deck", "Schema Registry")]


def test_word_split_over_a_line_end_is_joined():
    notes = "1. Streams\n\nDuplicates\n\n- embed a record ID to de-\n\nduplicate on the consumer side\n"
    text = "\n".join(t for _, lines in parse_numbered(notes, "N") for _, t in lines)
    assert "to de-duplicate on the consumer side" in text
    assert join_split_words(["to dedu-", "plicate", "we deduplicate"])[0] == "to deduplicate"  # word known: no hyphen
    assert join_split_words(["Lake Formation-", "managed shares"])[0] == "Lake Formation-managed shares"
    assert join_split_words(["pay-as-you-", "Go"]) == ["pay-as-you-", "Go"]  # capital: a new line, not a split


def test_document_title_as_top_heading_is_not_repeated_in_paths(tmp_path):
    from conftest import write_corpus

    corpus = write_corpus(tmp_path, {"200": ("n.md", "markdown", "# Doc 200\n\nIntro.\n\n## SQS\n\nMax 256 KB.\n")})
    (sections,) = load_corpus(corpus)[0].values()
    assert [s.path for s in sections] == [("Doc 200",), ("SQS",)]


def test_math_reads_as_one_spaced_line_of_plain_text():
    assert plain_math("Cost: $6  \\text{ DPU }  *  1/4   h$ total") == "Cost: 6 DPU × 1/4 h total"


# --- the cleaning rules one at a time (issue 15: each condition decides alone, at its boundary) ----------------

TITLE_CASES = [
    ("Kinesis Data Streams", True),
    ("X", True),  # one character is enough, and "X" is no closing mark
    ("x" * 60, True),  # 60 characters: still a title
    ("x" * 61, False),
    ("one two three four five six seven eight nine", True),  # nine words
    ("one two three four five six seven eight nine ten", False),
    ("", False),
    ("   ", False),
    ("Shard\tLimit", False),  # a table row read as one cell
    ("- Shards", False),
    ("1. Shards", False),
    ("• Shards", False),
    *[(f"Shards{mark}", False) for mark in ":.,;?!"],
    ("Shards)", True),
    ("(Shards", False),  # opens with punctuation
    ("9 Shards", True),
    ("Kinesis is a stream", False),
    ("Streams are ordered", False),
    ("This Island Arena", True),  # "is" and "are" inside words are not the verb
    ("http link here", False),
    ("{json}", False),
    ("SELECT id FROM t", False),
    ("select id from t", False),
    ("Selection Rules", True),
    ("id,name,age", False),  # a CSV sample
    ("Athena, Glue", True),
]


@pytest.mark.parametrize("line, expected", TITLE_CASES)
def test_a_slide_title_is_short_plain_and_not_a_sentence(line, expected):
    from bot.ingest.clean import _looks_like_title

    assert _looks_like_title(line) is expected
    assert _looks_like_title(f"  {line}  ") is (expected and "\t" not in line)  # judged on the stripped line


def test_a_list_label_is_a_short_plain_line_between_a_blank_line_and_a_bullet():
    from bot.ingest.clean import _is_list_label

    def label(line, before="", after="- item", between=()):
        lines = [before, line, *between, after]
        return _is_list_label(lines, 1)

    assert label("Consumers") and label("Capacity mode:") and label("abc") and label("x" * 40)
    assert not label("ab") and not label("x" * 41)  # 3..40 characters
    assert not label("Two\tcells") and not label("- Consumers") and not label("Consumers.")
    assert not label("Consumers", before="text above")  # must follow a blank line
    assert not label("Consumers", after="plain text")  # must come before a bullet
    assert label("Consumers", between=("", ""))  # blank lines before the bullet are skipped
    assert not _is_list_label(["Consumers", "- item"], 0)  # the first line has no blank line above it


def test_a_numbered_heading_is_only_the_next_one_in_sequence():
    from bot.ingest.clean import _heading_number

    assert _heading_number("2 Kinesis", 1, 3) == (2, 0, "Kinesis")  # next chapter
    assert _heading_number("2.1 Streams", 1, 3) == (2, 1, "Streams")
    assert _heading_number("1.4 Shards", 1, 3) == (1, 4, "Shards")  # next subsection
    assert _heading_number("14 Shards", 1, 3) == (1, 4, "Shards")  # a lost dot
    assert _heading_number("  1.4. Shards  ", 1, 3) == (1, 4, "Shards")
    assert _heading_number("1.5 Shards", 1, 3) is None  # skips one
    assert _heading_number("3 Kinesis", 1, 3) is None
    assert _heading_number("2.2 Streams", 1, 3) is None
    assert _heading_number("1.3 Again", 1, 3) is None
    assert _heading_number("15 Shards", 1, 3) is None
    assert _heading_number("3 types of keys", 2, 0) is None  # lower case: a sentence
    assert _heading_number("1.4 Shards: limits", 1, 3) is None  # a colon: a line of text
    assert _heading_number("Kinesis", 1, 3) is None
    assert _heading_number("123 Kinesis", 1, 3) is None
    assert _heading_number("10 Glue", 9, 2) == (10, 0, "Glue")  # two digits: the next chapter wins
    assert _heading_number("93 Glue", 9, 2) == (9, 3, "Glue")


def test_a_plain_unindented_line_closes_a_list_label_subsection():
    from bot.ingest.clean import _ends_label_list

    inside, heading = ("1. Kinesis", "Consumers"), ("1. Kinesis",)
    assert _ends_label_list(inside, heading, "After the list, prose.")
    assert not _ends_label_list(heading, heading, "After the list, prose.")  # not in a label subsection
    assert not _ends_label_list(inside, heading, "")
    assert not _ends_label_list(inside, heading, "   ")
    assert not _ends_label_list(inside, heading, "  continued item text")
    assert not _ends_label_list(inside, heading, "\tcontinued item text")
    assert not _ends_label_list(inside, heading, "- another item")


def test_a_split_word_is_joined_only_from_a_word_and_a_lower_case_continuation():
    assert join_split_words(["to de-", "", "duplicate it", "deduplicate"])[:3] == ["to deduplicate it", "", ""]
    assert join_split_words(["Cloud-", "formation stack"]) == ["Cloud-formation stack", ""]  # unknown word
    assert join_split_words(["a well-", "Known"]) == ["a well-", "Known"]  # capital: a new line of text
    assert join_split_words(["a well-", "Known to de-", "duplicate"]) == ["a well-", "Known to de-duplicate", ""]
    assert join_split_words(["x-y-", "z"]) == ["x-y-", "z"]  # part of a hyphenated word already
    assert join_split_words(["ab-", "", "", "", "", "cd"]) == ["ab-cd", "", "", "", "", ""]  # 4 blank lines
    assert join_split_words(["ab-", "", "", "", "", "", "cd"])[0] == "ab-"  # five: too far
    assert join_split_words(["ab-  ", "cd"]) == ["ab-cd", ""]
    assert join_split_words(["ab-"]) == ["ab-"]
    assert join_split_words(["ab-", "  cd ef"]) == ["ab-cd ef", ""]


def test_titles_compare_without_case_spacing_or_dash_style():
    from bot.ingest.clean import _normal_title, _same_section

    assert _normal_title("  Glue  –  Costs ") == "glue - costs" == _normal_title("Glue: Costs")
    assert _normal_title("Glue—Costs") == "glue - costs"
    assert _same_section(("Course", "Glue Costs"), ("course", "glue  costs"))
    assert not _same_section(("Course", "Glue Costs"), ("Course",))


def test_heading_text_is_plain_single_spaced_and_loses_its_markers():
    from bot.ingest.clean import _heading_text

    assert _heading_text("  **Kinesis:**  ") == "Kinesis"
    assert _heading_text("# Kinesis  Data\tStreams #") == "Kinesis Data | Streams"
    assert _heading_text("Option X") == "Option X"
    assert _heading_text("*Glue*") == "Glue"


def test_only_a_document_opening_with_a_rule_has_front_matter():
    assert parse_markdown("", "Empty") == []
    text = "Intro line\n\n---\n\n# Kinesis\n\n- Shards hold records.\n"
    assert paths(parse_markdown(text, "Doc")) == [("Doc",), ("Kinesis",)]  # a rule later is no front matter
    assert body(parse_markdown(text, "Doc"), ("Doc",)) == "Intro line"


@pytest.mark.parametrize(("filler", "dropped"), [(0, True), (1, True), (58, True), (59, False)])
def test_front_matter_ends_at_its_closing_rule_within_sixty_lines(filler, dropped):
    """"---" opens front matter; the next "---" closes it if it is among the first 60 lines (else it was a rule)."""
    text = "---\n" + "".join(f"key{i}: v\n" for i in range(filler)) + "---\nFirst line.\nSecond line.\n"
    kept = body(parse_markdown(text, "Doc"), ("Doc",))
    assert kept.startswith("First line.\nSecond line.") if dropped else kept.startswith("key0: v")


MARKDOWN_RULES_AND_TABLES = """# Limits
Para one.
---
***
___
| Limit | Value |
|---|:---:|
  | Shards | 500 |
|Mode|X|

```
| code | kept |
---
```
"""


def test_markdown_drops_rules_and_table_borders_outside_code_and_keeps_line_numbers():
    assert parse_markdown(MARKDOWN_RULES_AND_TABLES, "Doc") == [(("Limits",), [
        (2, "Para one."),
        (6, "Limit | Value"),
        (8, "Shards | 500"),
        (9, "Mode|X"),
        (10, ""),
        (12, "| code | kept |"),
        (13, "---"),
    ])]


def test_slides_keep_the_file_line_numbers_and_drop_page_numbers():
    text = "Kinesis Streams\nShards hold records.\n12\n\n\n\nGlue Costs\nDPU billing per second.\n"
    assert parse_slides(text, "Course") == [
        (("Course", "Kinesis Streams"), [(1, "Kinesis Streams"), (2, "Shards hold records.")]),
        (("Course", "Glue Costs"), [(7, "Glue Costs"), (8, "DPU billing per second.")]),
    ]


def test_three_blank_lines_end_a_slide_and_two_do_not():
    from bot.ingest.clean import _slide_blocks

    assert _slide_blocks("Kinesis Streams\nShards.\n\n\nMore shards.\n") == [
        [(1, "Kinesis Streams"), (2, "Shards."), (5, "More shards.")]]
    assert _slide_blocks("Kinesis Streams\nShards.\n\n\n\nGlue\n") == [
        [(1, "Kinesis Streams"), (2, "Shards.")], [(6, "Glue")]]


def test_a_slide_opening_with_code_ends_after_the_code_and_the_next_one_keeps_its_lines():
    from bot.ingest.clean import _slide_blocks

    assert _slide_blocks("```\nid,name\n1,2\n```\nCSV Sample\nline one\nline two\n") == [
        [(2, "id,name"), (3, "1,2")], [(5, "CSV Sample"), (6, "line one"), (7, "line two")]]


def test_a_block_of_up_to_three_short_lines_is_a_title_slide():
    from bot.ingest.clean import _slide_title

    def block(*lines):
        return list(enumerate(lines, start=1))

    assert _slide_title(block("Kinesis", "Streams", "Kinesis")) == ("Kinesis - Streams", [])  # repeats once
    four = block("Kinesis", "Shards", "Streams", "Limits")
    assert _slide_title(four) == ("Kinesis", four[1:])  # four lines: a title and its text
    assert _slide_title(block("Shards hold records.", "Kinesis")) == (None, block("Shards hold records.", "Kinesis"))


SLIDE_DECK = """Notes before any title, line one.
More untitled notes here.



Section 2: 
Streaming Basics



Kinesis Data Streams
Shards hold records for a day.



Use Cases
Clickstreams feed dashboards.



Kinesis Data Streams
Resharding splits a shard.



Section 2: Streaming Basics
Kinesis Data Streams



Firehose
Delivery



Firehose
Delivery
Buffers



AWS Glue - Jobs - Costs
DPU billing per second.
Costs
Crawlers cost too.



Lonely Title
"""


def test_a_slide_deck_parses_into_exact_sections():
    """Untitled notes stay under the course; "Section N:" names the course (its name on the next line too) and a
    repeat of it changes nothing; a generic title ("Use Cases") joins the topic before it; title-only slides built up
    in steps are one slide; a repeated heading line is dropped; a title with nothing under it is no section."""
    course = "Section 2: Streaming Basics"
    assert parse_slides(SLIDE_DECK, "Course") == [
        (("Course",), [(1, "Notes before any title, line one."), (2, "More untitled notes here.")]),
        ((course, "Kinesis Data Streams"), [(11, "Kinesis Data Streams"), (12, "Shards hold records for a day.")]),
        ((course, "Kinesis Data Streams - Use Cases"),
         [(16, "Kinesis Data Streams - Use Cases"), (17, "Clickstreams feed dashboards.")]),
        ((course, "Kinesis Data Streams"), [(21, "Kinesis Data Streams"), (22, "Resharding splits a shard.")]),
        ((course, "Firehose - Delivery"), [(31, "Firehose - Delivery"), (36, "Firehose"), (38, "Buffers")]),
        ((course, "AWS Glue - Jobs - Costs"),
         [(42, "AWS Glue - Jobs - Costs"), (43, "DPU billing per second."), (45, "Crawlers cost too.")]),
    ]


COURSE_SECTIONS_DECK = """Section 2: Streaming
Kinesis Data Streams



Shard Limits
Shards hold records for a day.



Section 2: Streaming
Kinesis Data Streams



more notes under the same slide title.



Section 3:



notes of a course section without a name.



Glue Costs
DPU billing per second.



Glue Costs
Crawlers cost too.
"""


def test_course_sections_reset_the_title_and_untitled_text_is_kept_even_one_line_long():
    """A repeated "Section 2:" changes nothing; a new one starts with no slide title (and may have no name); a
    one-line untitled section is text, not a lone title; a slide continued under the same title is one section
    with a blank line between its parts."""
    assert parse_slides(COURSE_SECTIONS_DECK, "Course") == [
        (("Section 2: Streaming", "Shard Limits"), [(6, "Shard Limits"), (7, "Shards hold records for a day."),
                                                     (16, ""), (16, "more notes under the same slide title.")]),
        (("Section 3",), [(24, "notes of a course section without a name.")]),
        (("Section 3", "Glue Costs"),
         [(28, "Glue Costs"), (29, "DPU billing per second."), (33, ""), (34, "Crawlers cost too.")]),
    ]


def test_numbered_sections_keep_each_line_s_number_and_drop_the_table_of_contents():
    """Whole output: the line numbers are what a citation points at; the contents' bullets (indented or not)
    appear nowhere."""
    sections = parse_numbered((DATA / "numbered.txt").read_text(), "Notes")
    assert sections == [
        (("Notes",), [(1, "Analytics Notes")]),
        (("1. Data collection", "1.1 Kinesis Data Stream"),
         [(11, "Retention can be between 1-365 days."), (12, "3 methods for encrypting data in streams:"),
          (13, "- server side")]),
        (("2. Storage", "2.1 File formats"), [(19, "Parquet is a columnar format.")]),
        (("2. Storage", "2.2 S3"), [(23, "3 types of customer master keys (CMK)"), (24, "Max object size is 5 TB.")]),
        (("2. Storage", "2.3 Athena"), [(28, "Athena queries S3 with SQL.")]),
        (("2. Storage", "2.3 Athena", "Query types"),
         [(30, "Query types"), (31, "- interactive SQL"), (32, "- federated")]),
        (("2. Storage", "2.3 Athena"), [(33, "Athena bills per TB scanned.")]),
    ]


def test_numbered_headings_before_any_chapter_and_long_sections_stay_whole():
    assert parse_numbered("1.1 Early heading\n\nText of it.\n\n1.2 Next one\n\nMore.", "D") == [
        (("1.1 Early heading",), [(3, "Text of it.")]),
        (("1.2 Next one",), [(7, "More.")]),
    ]
    assert parse_numbered("1. Chapter\n\nLine one.\nLine two.\nLine three.\n", "D") == [
        (("1. Chapter",), [(3, "Line one."), (4, "Line two."), (5, "Line three.")]),
    ]


def test_a_deck_opening_on_a_generic_title_keeps_it_plain():
    """"Pricing" borrows the topic of the slide before it; the first slide has none to borrow."""
    assert parse_slides("Pricing\n\n- Pay per request\n", "D") == [(("D", "Pricing"), [(1, "Pricing"),
                                                                                        (3, "- Pay per request")])]


def test_numbered_look_alikes_labels_and_a_last_short_line_read_as_text():
    notes = ("1. Chapter\n\n1.1 Regions\n\n21 Availability Zones in use\n\nFormats read: JSON, XLSX\n- Parquet\n"
             "X-Ray traces close the list.\n\nThe end\n")
    assert parse_numbered(notes, "D") == [
        (("1. Chapter", "1.1 Regions"), [(5, "21 Availability Zones in use")]),
        (("1. Chapter", "1.1 Regions", "Formats read: JSON, XLSX"), [(7, "Formats read: JSON, XLSX"),
                                                                      (8, "- Parquet")]),
        (("1. Chapter", "1.1 Regions"), [(9, "X-Ray traces close the list."), (10, ""), (11, "The end")]),
    ]
