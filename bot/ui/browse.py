"""Browse tab: each document's section tree and the cleaned text of the chosen section."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import gradio as gr

from bot.load import CorpusError
from bot.models import Section
from bot.ui.context import AppContext, Library
from bot.ui.render import breadcrumb, escape, notice_html, quote_spans, section_label

TITLE = "Browse"
TAB_ID = "browse"
MAX_SHOWN_CHARS = 40_000  # a top-level node can hold a whole document: show its start, point to the tree
INDENT = "\u2003"  # an em space: HTML does not collapse it, so the tree keeps its indentation
# When the text is shown or changes (a followed citation above all): bring the chosen tree node and the
# highlighted passage into view, once the tab and the tree have rendered.
SCROLL_INTO_VIEW = """
const reveal = () => setTimeout(() => {
  document.querySelector('#section-tree label.selected')?.scrollIntoView({block: 'nearest'});
  element.querySelector('.line.hit')?.scrollIntoView({block: 'center'});
}, 150);
reveal();
watch('value', reveal);
"""


@dataclass(frozen=True)
class BrowseView:
    doc: gr.Dropdown
    tree: gr.Radio
    text: gr.HTML


def tree_nodes(sections: list[Section]) -> list[tuple[str, ...]]:
    """Every heading path once, children under their parent, in document order."""
    children: dict[tuple[str, ...], list[tuple[str, ...]]] = {(): []}
    for section in sections:
        for depth in range(1, len(section.path) + 1):
            node = section.path[:depth]
            if node not in children:
                children[node] = []
                children[node[:-1]].append(node)
    ordered: list[tuple[str, ...]] = []
    stack = list(reversed(children[()]))
    while stack:
        node = stack.pop()
        ordered.append(node)
        stack.extend(reversed(children[node]))
    return ordered


def node_value(path: tuple[str, ...]) -> str:
    return json.dumps(list(path), ensure_ascii=False)


def tree_choices(sections: list[Section]) -> list[tuple[str, str]]:
    return [(INDENT * (len(node) - 1) + node[-1], node_value(node)) for node in tree_nodes(sections)]


def passage_rows(lines: tuple[str, ...], passage: str) -> set[int]:
    """Indexes of the section lines the passage covers (whitespace-insensitive: chunking may split long lines)."""
    spans = quote_spans("\n".join(lines), passage)
    rows, offset = set(), 0
    for index, line in enumerate(lines):
        end = offset + len(line)
        if any(start <= end and stop > offset for start, stop in spans):
            rows.add(index)
        offset = end + 1
    return rows


def section_html(doc_title: str, sections: list[Section], prefix: tuple[str, ...], passage: str = "") -> str:
    """The text of `prefix` and its subsections; the lines of `passage` highlighted."""
    chosen = [s for s in sections if s.path[: len(prefix)] == prefix]
    if not chosen:
        return notice_html("Pick a section on the left to read it.")
    crumbs = escape(breadcrumb(doc_title, prefix))
    shown, size = [], 0
    for section in chosen:
        if shown and size + len(section.text) > MAX_SHOWN_CHARS:
            break
        shown.append(section)
        size += len(section.text)
    blocks = "".join(_section_block(s, len(prefix), passage) for s in shown)
    rest = len(chosen) - len(shown)
    more = f'<div class="more">{rest} more subsections: pick one in the tree.</div>' if rest else ""
    return f'<div class="section-view"><div class="crumbs">{crumbs}</div>{blocks}{more}</div>'


def _section_block(section: Section, depth: int, passage: str) -> str:
    hits = passage_rows(section.lines, passage) if passage else set()
    heading = section_label(section.path[depth:] or section.path[-1:]) or section.doc_title
    level = min(3 + len(section.path) - depth, 6)
    lines = "".join(
        f'<div class="line{" hit" if i in hits else ""}">{escape(line) or "&nbsp;"}</div>'
        for i, line in enumerate(section.lines)
    )
    return f'<section><h{level} class="heading">{escape(heading)}</h{level}>{lines}</section>'


def show(library: Library, doc_id: str | None, path: tuple[str, ...] | None = None, passage: str = ""):
    """(tree choices, chosen node value, section HTML) for a document, at `path` or its first node."""
    doc = library.doc(doc_id)
    if doc is None:
        return [], None, notice_html("Pick a document.")
    try:
        sections = library.sections(doc)
    except CorpusError as err:
        return [], None, notice_html(str(err), "error")
    choices = tree_choices(sections)
    if path is None:
        path = tree_nodes(sections)[0] if sections else ()
    return choices, node_value(path), section_html(doc.title, sections, path, passage)


def choose_doc(library: Library, doc_id: str | None):
    choices, value, text = show(library, doc_id)
    return gr.Radio(choices=choices, value=value), text


def choose_section(library: Library, doc_id: str | None, value: str | None) -> str:
    path = tuple(json.loads(value)) if value else None
    return show(library, doc_id, path)[2]


def open_at(library: Library, doc_id: str, path: tuple[str, ...], passage: str) -> tuple[Any, Any, str]:
    """Updates for (document, tree, text) showing `path` with `passage` highlighted: how a citation is followed."""
    choices, value, text = show(library, doc_id, path, passage)
    return gr.update(value=doc_id), gr.Radio(choices=choices, value=value), text


def build(ctx: AppContext) -> BrowseView:
    library = ctx.library
    first = library.docs[0].doc_id if library.docs else None
    choices, value, text = show(library, first)
    with gr.Row(equal_height=False):
        with gr.Column(scale=2, min_width=280):
            doc = gr.Dropdown(
                [(d.title, d.doc_id) for d in library.docs], value=first, label="Document", elem_id="browse-doc"
            )
            tree = gr.Radio(choices, value=value, label="Sections", elem_id="section-tree", elem_classes="section-tree")
        with gr.Column(scale=3, min_width=360):
            view = gr.HTML(text, elem_id="section-text", js_on_load=SCROLL_INTO_VIEW, padding=True)
    doc.input(lambda d: choose_doc(library, d), doc, [tree, view], show_progress="hidden")
    tree.input(lambda d, v: choose_section(library, d, v), [doc, tree], view, show_progress="hidden")
    return BrowseView(doc, tree, view)
