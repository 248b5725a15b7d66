from bot.chunk import chunk_id, chunk_sections, split_section
from bot.models import Section


def section(path, lines, doc="100"):
    return Section(doc, "Doc", path, tuple(lines), 10)


def test_chunks_never_cross_sections_and_carry_metadata():
    sections = [
        section(("A",), [f"line {i} about queues and topics" for i in range(20)]),
        section(("A", "B"), ["short section text here"]),
    ]
    chunks = chunk_sections(sections, size=120, overlap_lines=1)
    assert {c.section_path for c in chunks} == {("A",), ("A", "B")}
    for chunk in chunks:
        assert chunk.doc_id == "100" and chunk.doc_title == "Doc" and chunk.start_line == 10
        assert len(chunk.text) <= 120
        assert chunk.id == chunk_id("100", chunk.section_path, chunk.text)
    assert [c.position for c in chunks] == list(range(len(chunks)))
    assert chunks[-1].text == "short section text here"


def test_overlap_repeats_last_line_of_previous_chunk():
    texts = split_section(tuple(f"line number {i} here" for i in range(10)), size=60, overlap_lines=1)
    assert len(texts) > 2
    for earlier, later in zip(texts, texts[1:], strict=False):
        assert later.split("\n")[0] == earlier.split("\n")[-1]


def test_long_line_is_split_at_sentences():
    line = " ".join(f"Sentence number {i} is here." for i in range(30))
    texts = split_section((line,), size=100, overlap_lines=0)
    assert all(len(t) <= 100 for t in texts)
    assert " ".join(texts) == line


def test_ids_are_stable_and_content_addressed():
    a = chunk_sections([section(("A",), ["alpha beta gamma"])], 100, 0)
    b = chunk_sections([section(("A",), ["alpha beta gamma"])], 100, 0)
    c = chunk_sections([section(("A",), ["alpha beta delta"])], 100, 0)
    assert a[0].id == b[0].id != c[0].id


def test_repeated_text_in_one_document_is_kept_once():
    twins = [section(("A",), ["same slide text here"]), section(("B",), ["same slide text here"])]
    chunks = chunk_sections(twins, 100, 0)
    assert len(chunks) == 1


def test_tiny_fragments_are_dropped():
    assert split_section(("ok",), 100, 0) == []
