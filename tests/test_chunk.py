from bot.ingest.chunk import chunk_id, chunk_sections, split_section
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


# --- the edges of the packing, exactly (mutation testing: `make mutate` kills the off-by-one variants) ----------

NINE = [f"w{i} xx yyy" for i in range(1, 7)]  # six lines of 9 characters and 3 words each


def test_lines_are_packed_while_the_joined_text_and_a_newline_fit_the_size():
    # a line costs its length + 1 (the newline joining it): two lines need 20, not the 19 they print as
    assert split_section(tuple(NINE[:3]), size=20, overlap_lines=0) == ["w1 xx yyy\nw2 xx yyy", "w3 xx yyy"]
    assert split_section(tuple(NINE[:3]), size=19, overlap_lines=0) == NINE[:3]


def test_the_overlap_line_counts_toward_the_next_chunk():
    assert split_section(tuple(NINE), size=29, overlap_lines=1) == [
        "w1 xx yyy\nw2 xx yyy", "w2 xx yyy\nw3 xx yyy", "w3 xx yyy\nw4 xx yyy", "w4 xx yyy\nw5 xx yyy",
        "w5 xx yyy\nw6 xx yyy"]
    assert split_section(tuple(NINE), size=30, overlap_lines=1) == [
        "w1 xx yyy\nw2 xx yyy\nw3 xx yyy", "w3 xx yyy\nw4 xx yyy\nw5 xx yyy", "w5 xx yyy\nw6 xx yyy"]


def test_a_line_longer_than_the_size_breaks_at_sentence_ends_at_the_exact_edge():
    line = "Aa xx yy. Bb xx yy. Cc xx yy."  # sentences of 9 characters
    assert split_section((line,), size=19, overlap_lines=0) == ["Aa xx yy. Bb xx yy.", "Cc xx yy."]
    assert split_section((line,), size=18, overlap_lines=0) == ["Aa xx yy.", "Bb xx yy.", "Cc xx yy."]
    exact = "Aa xx yy.  Bb xx yy."  # as long as the size: kept as written, double space and all
    assert split_section((exact,), size=len(exact), overlap_lines=0) == [exact]


def test_chunk_sections_passes_the_overlap_on():
    chunks = chunk_sections([section(("A",), NINE)], size=29, overlap_lines=1)
    assert [c.text.split("\n")[0] for c in chunks[1:]] == ["w2 xx yyy", "w3 xx yyy", "w4 xx yyy", "w5 xx yyy"]


def test_a_repeated_chunk_is_skipped_and_the_section_goes_on():
    twins = [section(("A",), ["same slide text here"]), section(("B",), ["same slide text here", "", "x" * 120,
                                                                          "and then new words follow"])]
    texts = [c.text for c in chunk_sections(twins, 40, 0)]
    assert texts[0] == "same slide text here" and texts[-1] == "and then new words follow"


def test_chunk_ids_are_the_documented_hash():
    import hashlib

    digest = hashlib.sha256(b"100\x1fA\x1fB\x1falpha beta").hexdigest()
    assert chunk_id("100", ("A", "B"), "alpha beta") == f"100-{digest[:16]}"  # stored ids: changing it re-embeds all
