"""The study app's handlers and HTML, without a browser (tests/test_browser.py drives the real thing)."""

from __future__ import annotations

import html

import gradio as gr
import pytest
from helpers.ui_corpus import SCRIPT, write_ui_corpus
from langchain_core.language_models import GenericFakeChatModel

from bot.answer.extractive import NOT_IN_MATERIAL
from bot.answer.llm import LLMAnswerer
from bot.answer.studybot import StudyBot, build_bot
from bot.ingest.index import index_exists, ingest
from bot.models import Answer, Citation, Section
from bot.settings import Settings
from bot.ui import build_app, tab_modules
from bot.ui.browse import (
    CLOSED,
    LEAF,
    MAX_SHOWN_CHARS,
    OPEN,
    choose_doc,
    from_query,
    neighbour,
    open_at,
    open_result,
    passage_rows,
    path_from_query,
    permalink,
    search,
    search_results,
    section_html,
    step,
    tree_choices,
    tree_nodes,
)
from bot.ui.chat import ALL_DOCS, PENDING, answer_turn, respond
from bot.ui.context import Library
from bot.ui.render import answer_html, escape, highlighted, quote_spans, sources_html
from bot.ui.serve import UnsafeBinding, ensure_index, is_loopback, launch_options, main, parse_auth


@pytest.fixture(scope="module")
def ui_settings(tmp_path_factory) -> Settings:
    settings = write_ui_corpus(tmp_path_factory.mktemp("ui"))
    ingest(settings, progress=False)
    return settings


@pytest.fixture(scope="module")
def ui_bot(ui_settings):
    return build_bot(ui_settings)


def citation(marker: int, text: str, quote: str = "", section: str = "Messaging > Amazon SQS") -> Citation:
    return Citation(marker, f"c{marker}", "100", "Doc <100>", section, text, quote)


# --- HTML ---------------------------------------------------------------------------------------------


def test_escape_shows_markup_as_text_and_keeps_line_breaks():
    assert escape(f"{SCRIPT}\n& more") == "&lt;script&gt;alert(&#x27;xss&#x27;)&lt;/script&gt;<br>&amp; more"


def test_quote_pieces_are_found_across_line_breaks_and_merged():
    text = "Header:\n- Max message size is 256 KB.\n- Kept 4 days."
    spans = quote_spans(text, "Header: - Max message size is 256 KB. … - Kept 4 days. … not there")
    assert [text[a:b] for a, b in spans] == ["Header:\n- Max message size is 256 KB.", "- Kept 4 days."]
    assert highlighted("a <b> c", "<b>") == "a <mark>&lt;b&gt;</mark> c"


def test_answer_markers_open_to_their_passage_and_all_text_is_escaped():
    answer = Answer(
        "q", "Use <b>x</b> [1]\nSecond *line* [2]\nLiteral [9] stays",
        (citation(1, f"Use <b>x</b> {SCRIPT}", "Use <b>x</b>"), citation(2, "Second *line*")),
    )
    rendered = answer_html(answer)
    assert rendered.count('<details class="cite">') == 2 and "<summary" in rendered
    assert "&lt;b&gt;x&lt;/b&gt;" in rendered and "<mark>Use &lt;b&gt;x&lt;/b&gt;</mark>" in rendered
    assert "<script" not in rendered and "<b>" not in rendered
    assert "Doc &lt;100&gt;" in rendered and "Messaging › Amazon SQS" in rendered
    assert "Literal [9] stays" in rendered  # no citation 9: plain text
    # One line starting with <div>: the chat's markdown renderer passes it through as raw HTML.
    assert rendered.startswith("<div") and "\n" not in rendered


def test_sources_panel_states():
    assert "appear here" in sources_html(None)
    refused = Answer("q", NOT_IN_MATERIAL, refused=True)
    assert "Not in the study material" in sources_html(refused)
    answered = Answer("q", "a [1]", (citation(1, "Max 256 KB", "256 KB"),))
    panel = sources_html(answered)
    assert "[1]" in panel and "Doc &lt;100&gt;" in panel and "<mark>256 KB</mark>" in panel


# --- Chat handlers on a real tiny index -------------------------------------------------------------


def test_question_gets_an_answer_with_its_cited_section(ui_bot):
    turn = answer_turn(ui_bot, "What is the max message size in SQS?", ALL_DOCS)
    asked, replied = turn.messages
    assert asked["role"] == "user" and "max message size" in asked["content"]
    assert "256 KB" in replied["content"] and '<details class="cite">' in replied["content"]
    assert turn.links[0].doc_id == "100" and turn.links[0].path == ("Messaging", "Amazon SQS")
    assert turn.links[0].label.startswith("[1] Doc 100")


def test_an_answer_quoting_one_side_of_a_listed_disagreement_says_so(ui_bot):
    from bot.answer.disagree import Disagreement, Statement

    line = "- Max message size is 256 KB."
    other = Statement("102", "Doc 102", ("SQS",), "- SQS messages up to 1 MB.", "1 MB")
    known = [Disagreement("SQS", "message size", "size", Statement("100", "Doc 100", ("Messaging", "Amazon SQS"),
                                                                   line, "256 KB"), other)]
    turn = answer_turn(ui_bot, "What is the max message size in SQS?", ALL_DOCS, known=known)
    note = ("The notes disagree on SQS message size: 256 KB in Doc 100, but 1 MB in Doc 102. "
            "Browse › Where the notes disagree lists both passages.")
    assert f'<div class="disagree-note">{note}</div>' in turn.messages[1]["content"]
    assert "disagree-note" not in answer_turn(ui_bot, "What is the max message size in SQS?", ALL_DOCS).messages[1][
        "content"]


def test_out_of_corpus_question_gets_the_refusal_and_nearest_sections(ui_bot):
    turn = answer_turn(ui_bot, "How do I bake sourdough bread at home?", ALL_DOCS)
    assert turn.answer.refused
    assert "Not in the study material" in turn.messages[1]["content"]
    assert "<details" not in turn.messages[1]["content"]
    assert 1 <= len(turn.links) == len({link.path for link in turn.links}) <= 3  # distinct nearest sections
    assert all(link.label and link.text for link in turn.links)


def test_unusable_question_gets_a_message_instead_of_an_answer(ui_bot):
    turn = answer_turn(ui_bot, "?? !!", ALL_DOCS)
    assert turn.answer is None and "a few words" in turn.messages[1]["content"]


def test_document_filter_limits_the_search(ui_bot):
    turn = answer_turn(ui_bot, "Athena partitions", "101")
    assert turn.answer.hits and {h.chunk.doc_id for h in turn.answer.hits} == {"101"}


def test_markup_in_question_and_document_reaches_the_chat_as_text(ui_bot):
    assert any(SCRIPT in c.text for c in ui_bot.searcher.chunks), "fixture: the index must hold a <script>"
    turn = answer_turn(ui_bot, "<script>alert(1)</script> What does the CloudFront console print?", ALL_DOCS)
    asked, replied = (m["content"] for m in turn.messages)
    assert html.escape("<script>alert(1)</script>") in asked
    assert html.escape(SCRIPT) in replied
    assert "<script" not in asked + replied and "<img" not in replied


def test_reply_follows_a_pending_message_and_history_is_kept(ui_bot):
    earlier = [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]
    updates = list(respond(ui_bot, "What is the max message size in SQS?", earlier, [], ALL_DOCS))
    first, last = updates[0], updates[-1]
    assert first[0] == "" and first[1][-1] == PENDING and first[1][:2] == earlier
    box, history, panel, _, _, links, conversation = last
    assert box == "" and history[:2] == earlier and len(history) == 4
    assert "256 KB" in history[-1]["content"] and "Sources of the last answer" in panel and links
    assert conversation[0] == ("user", "What is the max message size in SQS?")


def test_a_long_session_keeps_only_its_last_exchanges(ui_bot):
    bot = replace_settings(ui_bot, max_turns=3)
    chat = [{"role": r, "content": f"{r} {i}"} for i in range(40) for r in ("user", "assistant")]
    said = [(r, f"{r} {i}") for i in range(40) for r in ("user", "assistant")]
    *_, last = respond(bot, "What is the max message size in SQS?", chat, said, ALL_DOCS)
    history, conversation = last[1], last[-1]
    assert len(conversation) == 6 and conversation[-2] == ("user", "What is the max message size in SQS?")
    assert len(history) == 6 and "256 KB" in history[-1]["content"] and history[0]["content"] == "user 38"


def replace_settings(bot, **changes):
    from dataclasses import replace

    from bot.answer.studybot import StudyBot

    return StudyBot(bot.searcher, bot.answerer, replace(bot.settings, **changes))


def test_follow_up_question_is_read_against_the_conversation(ui_bot):
    first = answer_turn(ui_bot, "What is the max message size in SQS?", ALL_DOCS)
    follow_up = answer_turn(ui_bot, "How long are messages kept?", ALL_DOCS, first.exchange)
    reply = follow_up.messages[1]["content"]
    assert "4 days" in reply and "Read as: How long are messages kept? (about: sqs)" in reply
    alone = answer_turn(ui_bot, "How long are messages kept?", ALL_DOCS)
    assert "Read as" not in alone.messages[1]["content"]


def test_chat_model_tokens_stream_into_the_chat_then_the_checked_answer_replaces_them(ui_bot, ui_settings):
    model = GenericFakeChatModel(messages=iter(["SQS messages can be <b>256 KB</b> at most [1]."]))
    llm_bot = StudyBot(ui_bot.searcher, LLMAnswerer(model, "fake:model", ui_settings, ui_bot.answerer), ui_settings)
    updates = list(respond(llm_bot, "What is the max message size in SQS?", [], [], ALL_DOCS))
    partials = [u[1][-1]["content"] for u in updates[1:-1]]
    assert len(partials) > 2 and all('class="answer streaming"' in p for p in partials)
    assert "&lt;b&gt;256" in partials[-1] and "<b>" not in partials[-1]
    final = updates[-1][1][-1]["content"]
    assert 'class="answer"' in final and '<details class="cite">' in final and "at most" in final


def test_blank_question_changes_nothing(ui_bot):
    updates = list(respond(ui_bot, "   ", [], [], ALL_DOCS))
    assert len(updates) == 1 and updates[0][1] == []


# --- Browse handlers ------------------------------------------------------------------------------------


def section(*path: str, lines: tuple[str, ...] = ("text",)) -> Section:
    return Section("9", "Doc 9", path, lines, 1)


def test_tree_lists_each_heading_once_under_its_parent():
    sections = [section("A"), section("A", "B"), section("C"), section("A", "D")]
    assert tree_nodes(sections) == [("A",), ("A", "B"), ("A", "D"), ("C",)]
    labels = [label for label, _ in tree_choices(sections)]
    assert labels == [f"{OPEN}A", f"\u2003{LEAF}B", f"\u2003{LEAF}D", f"{LEAF}C"]


def test_tree_collapses_to_a_level_and_opens_the_chosen_branch():
    sections = [section("A"), section("A", "B"), section("A", "B", "E"), section("A", "D"), section("C", "F")]
    labels = [label.strip("\u2003") for label, _ in tree_choices(sections, (), level=1)]
    assert labels == [f"{CLOSED}A", f"{CLOSED}C"]
    opened = [label.strip("\u2003") for label, _ in tree_choices(sections, ("A", "B"), level=1)]
    assert opened == [f"{OPEN}A", f"{OPEN}B", f"{LEAF}E", f"{LEAF}D", f"{CLOSED}C"]  # the branch of B, not of C
    assert len(tree_choices(sections, (), level=99)) == len(tree_nodes(sections)) == 6


def test_previous_and_next_section_in_reading_order_stop_at_the_ends():
    sections = [section("A"), section("A", "B"), section("C")]
    assert neighbour(sections, ("A", "B"), +1) == ("C",) and neighbour(sections, ("A", "B"), -1) == ("A",)
    assert neighbour(sections, ("C",), +1) == ("C",) and neighbour(sections, ("A",), -1) == ("A",)
    assert neighbour(sections, ("gone",), +1) == ("A",)


def test_permalink_names_document_and_section_and_reads_back():
    from urllib.parse import parse_qs

    link = permalink("002", ("Section 6: Data Streaming", "Kinesis & Firehose"))
    params = {k: v[0] for k, v in parse_qs(link.lstrip("?")).items()}
    assert params["doc"] == "002"
    assert path_from_query(params["section"]) == ("Section 6: Data Streaming", "Kinesis & Firehose")
    assert path_from_query(None) == () and path_from_query(" > ") == ()


def test_section_text_includes_subsections_and_highlights_the_cited_passage():
    sections = [section("A", lines=("intro", "<i>tag</i>")), section("A", "B", lines=("one", "two", "three"))]
    shown = section_html("Doc 9", sections, ("A",), passage="two\nthree")
    assert "intro" in shown and "&lt;i&gt;tag&lt;/i&gt;" in shown and "<i>" not in shown
    assert shown.count('class="line hit"') == 2 and '<div class="line hit">two</div>' in shown
    assert "Doc 9 › A" in shown


def test_cited_lines_are_found_when_chunking_split_a_long_line_and_only_in_their_own_section():
    lines = ("Title", "", "A long line. Its second sentence became the start of the next chunk.", "After.")
    assert passage_rows(lines, "Its second sentence became the start of the next chunk.\nAfter.") == {2, 3}
    assert passage_rows(lines, "Title\n\nA long line.") == {0, 1, 2}
    assert passage_rows(("Title", "other text"), "Title\n\nA long line.") == set()


def test_a_node_holding_a_whole_document_is_cut_with_a_pointer_to_the_tree():
    big = "x" * (MAX_SHOWN_CHARS // 2)
    sections = [section("A", "B", lines=(big,)), section("A", "C", lines=(big,)), section("A", "D", lines=(big,))]
    shown = section_html("Doc 9", sections, ("A",))
    assert "1 more subsections" in shown


def test_section_text_carries_its_permalink():
    shown = section_html("Doc 9", [section("A", "B")], ("A", "B"), doc_id="9")
    assert 'class="permalink" href="?doc=9&amp;section=A+%3E+B"' in shown


def test_a_permalink_opens_its_section_in_browse(ui_settings):
    library = Library.from_settings(ui_settings)
    doc, tree, text, tabs = from_query(library, {"doc": "100", "section": "Messaging > Amazon SQS"})
    assert doc["value"] == "100" and tabs.selected == "browse"
    assert "Doc 100 › Messaging › Amazon SQS" in text and "Max message size is 256 KB." in text
    assert "Amazon SNS" not in text
    doc, tree, text, tabs = from_query(library, {"doc": "100", "section": "Messaging > No such section"})
    assert "Doc 100 › Messaging" in text  # an unknown section opens the document's first one
    assert all(update == gr.skip() for update in from_query(library, {"doc": "999"}))
    assert all(update == gr.skip() for update in from_query(library, {}))


def test_search_finds_sections_by_title_and_text_and_opens_the_hit_marked(ui_settings):
    library = Library.from_settings(ui_settings)
    hits = search(library, "message size")
    assert [(h.doc_id, h.path) for h in hits][:1] == [("100", ("Messaging", "Amazon SQS"))]
    assert hits[0].line == "- Max message size is 256 KB."
    titled = search(library, "shards")
    assert titled[0].path[-1] == "Kinesis Shards"  # in the title beats in the text only
    assert search(library, "shard")[0].path == titled[0].path  # a word's start finds the word
    assert search(library, "sourdough") == [] and search(library, "  ") == []
    results, found = search_results(library, "message size")
    assert results.visible and results.choices[0][0].startswith("Doc 100 › Messaging › Amazon SQS — - Max message")
    doc, tree, text = open_result(library, "0", found, "message size", None)
    assert '<div class="line hit">- Max <mark>message</mark> <mark>size</mark> is 256 KB.</div>' in text
    assert tree.value == '["Messaging", "Amazon SQS"]'


def test_previous_and_next_buttons_move_through_the_document(ui_settings):
    library = Library.from_settings(ui_settings)
    tree, text = step(library, "100", '["Messaging", "Amazon SQS"]', None, +1)
    assert tree.value == '["Messaging", "Amazon SNS"]' and "pub/sub" in text
    tree, text = step(library, "100", tree.value, None, -1)
    assert tree.value == '["Messaging", "Amazon SQS"]'


def test_choosing_a_document_and_following_a_citation(ui_settings):
    library = Library.from_settings(ui_settings)
    tree, text = choose_doc(library, "101")
    assert any("Kinesis Shards" in label for label, _ in tree.choices) and "Section 1: Introduction" in text
    doc, tree, text = open_at(library, "100", ("Messaging", "Amazon SQS"), "- Max message size is 256 KB.")
    assert doc["value"] == "100" and '<div class="line hit">- Max message size is 256 KB.</div>' in text


# --- Serving ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "host, loopback",
    [("127.0.0.1", True), ("localhost", True), ("::1", True), ("127.0.1.1", True),
     ("0.0.0.0", False), ("192.168.1.5", False), ("::", False), ("studybot.example.com", False)],
)
def test_loopback_hosts(host, loopback):
    assert is_loopback(host) is loopback


def test_app_listens_on_loopback_without_password_and_never_shares():
    options = launch_options(Settings.from_env({}))
    assert options["server_name"] == "127.0.0.1" and options["server_port"] == 7860
    assert options["auth"] is None and options["share"] is False
    assert options["state_session_capacity"] == 500  # sessions kept in memory: bounded


def test_other_addresses_need_a_password():
    with pytest.raises(UnsafeBinding, match="STUDYBOT_AUTH"):
        launch_options(Settings.from_env({"STUDYBOT_HOST": "0.0.0.0"}))
    options = launch_options(Settings.from_env({"STUDYBOT_HOST": "0.0.0.0", "STUDYBOT_AUTH": "ann:s3cret:x-long-one"}))
    assert options["auth"]("ann", "s3cret:x-long-one") and not options["auth"]("ann", "s3cret")
    with pytest.raises(ValueError, match="user:password"):
        parse_auth("no-colon")


def test_start_refuses_a_public_address_without_password(monkeypatch, capsys):
    monkeypatch.setenv("STUDYBOT_HOST", "0.0.0.0")
    monkeypatch.delenv("STUDYBOT_AUTH", raising=False)
    assert main() == 2
    assert "STUDYBOT_AUTH" in capsys.readouterr().err


def test_start_on_a_port_in_use_is_one_line_before_anything_is_loaded(monkeypatch, capsys, tmp_path):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        monkeypatch.setenv("STUDYBOT_PORT", str(port))
        monkeypatch.setenv("STUDYBOT_INDEX_DIR", str(tmp_path / "no-index-yet"))
        assert main() == 2
    out, err = capsys.readouterr()
    assert f"error: port {port} on 127.0.0.1 is in use" in err and "STUDYBOT_PORT" in err
    assert "No index" not in out and not (tmp_path / "no-index-yet").exists()  # nothing was built


def test_start_with_the_chroma_server_down_says_so_and_names_the_server(monkeypatch, capsys):
    monkeypatch.setenv("STUDYBOT_PORT", "0")  # whatever else listens on 7860
    monkeypatch.setenv("STUDYBOT_CHROMA_HOST", "127.0.0.1")
    monkeypatch.setenv("STUDYBOT_CHROMA_PORT", "9")
    assert main() == 2
    out, err = capsys.readouterr()
    assert "cannot reach the Chroma server at 127.0.0.1:9" in err and "No index" not in out


def test_first_start_builds_the_index_and_says_so(tiny_settings):
    said: list[str] = []
    ensure_index(tiny_settings, said.append)
    assert index_exists(tiny_settings)
    assert "building it" in said[0] and "indexed" in said[1]
    said.clear()
    ensure_index(tiny_settings, said.append)
    assert said == []


def test_app_has_one_tab_per_module_chat_first(ui_bot, ui_settings):
    app = build_app(ui_bot, ui_settings)
    tabs = [block.label for block in app.blocks.values() if isinstance(block, gr.Tab)]
    assert tabs == [module.TITLE for module in tab_modules()]
    assert tabs[:2] == ["Chat", "Browse"]


def test_chunks_of_the_ui_corpus_carry_section_paths(ui_bot):
    """Guards the fixture: the browser test clicks these sections."""
    paths = {(c.doc_id, c.section_path) for c in ui_bot.searcher.chunks}
    assert ("100", ("Messaging", "Amazon SQS")) in paths
    assert ("101", ("Section 2: Data Streaming", "Kinesis Shards")) in paths

