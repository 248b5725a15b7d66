"""Browse tab: search the notes, walk each document's section tree (collapsed to a level), read a section,
step to the previous or next one, and share a link to it."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import gradio as gr

from bot.amounts import measures
from bot.answer.disagree import Disagreement, Statement
from bot.ingest.load import CorpusError
from bot.models import Section
from bot.text import PATH_SEPARATOR, breadcrumb
from bot.ui.context import AppContext, Library
from bot.ui.render import escape, notice_html, quote_spans, section_label

TITLE = "Browse"
TAB_ID = "browse"
MAX_SHOWN_CHARS = 40_000  # a top-level node can hold a whole document: show its start, point to the tree
MAX_RESULTS = 30
INDENT = "\u2003"  # an em space: HTML does not collapse it, so the tree keeps its indentation
OPEN, CLOSED, LEAF = "▾ ", "▸ ", "\u2002 "
LEVELS = {"Chapters": 1, "Sections": 2, "Everything": 99}
DEFAULT_LEVEL = "Sections"
PATH_JOIN = " > "  # how a section path is written in a link
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
    level: gr.Radio | None = None


@dataclass(frozen=True)
class SearchHit:
    doc_id: str
    path: tuple[str, ...]
    line: str  # the first line holding the most query words: highlighted when the hit is opened
    label: str


def tree_nodes(sections: list[Section]) -> list[tuple[str, ...]]:
    """Every heading path once, children under their parent, in document order."""
    children = _children(sections)
    ordered: list[tuple[str, ...]] = []
    stack = list(reversed(children[()]))
    while stack:
        node = stack.pop()
        ordered.append(node)
        stack.extend(reversed(children[node]))
    return ordered


def _children(sections: list[Section]) -> dict[tuple[str, ...], list[tuple[str, ...]]]:
    children: dict[tuple[str, ...], list[tuple[str, ...]]] = {(): []}
    for section in sections:
        for depth in range(1, len(section.path) + 1):
            node = section.path[:depth]
            if node not in children:
                children[node] = []
                children[node[:-1]].append(node)
    return children


def node_value(path: tuple[str, ...]) -> str:
    return json.dumps(list(path), ensure_ascii=False)


def open_branch(selected: tuple[str, ...]) -> set[tuple[str, ...]]:
    """The nodes whose children show whatever the level: the chosen node and its ancestors."""
    return {selected[:depth] for depth in range(len(selected) + 1)}


def tree_choices(sections: list[Section], selected: tuple[str, ...] = (), level: int = 99) -> list[tuple[str, str]]:
    """The tree down to `level`, plus the branch of the chosen node; ▸ marks a node with hidden children."""
    children, opened = _children(sections), open_branch(selected)
    choices = []
    for node in tree_nodes(sections):
        if len(node) > level and node[:-1] not in opened:
            continue
        if not children[node]:
            marker = LEAF
        else:
            marker = OPEN if len(node) < level or node in opened else CLOSED
        choices.append((INDENT * (len(node) - 1) + marker + node[-1], node_value(node)))
    return choices


def neighbour(sections: list[Section], path: tuple[str, ...], step: int) -> tuple[str, ...]:
    """The node before (-1) or after (+1) `path` in reading order; the same node at either end."""
    nodes = tree_nodes(sections)
    if path not in nodes:
        return nodes[0] if nodes else ()
    at = nodes.index(path) + step
    return nodes[at] if 0 <= at < len(nodes) else path


def permalink(doc_id: str, path: tuple[str, ...]) -> str:
    """The app's address (a query) that opens this section in Browse."""
    return "?" + urlencode({"doc": doc_id, "section": PATH_JOIN.join(path)})


def path_from_query(query: str | None) -> tuple[str, ...]:
    return tuple(part.strip() for part in (query or "").split(PATH_JOIN) if part.strip())


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


def section_html(doc_title: str, sections: list[Section], prefix: tuple[str, ...], passage: str = "",
                 doc_id: str = "", words: tuple[str, ...] = ()) -> str:
    """The text of `prefix` and its subsections; the lines of `passage` highlighted, `words` marked."""
    chosen = [s for s in sections if s.path[: len(prefix)] == prefix]
    if not chosen:
        return notice_html("Pick a section on the left to read it.")
    crumbs = escape(breadcrumb(doc_title, prefix))
    href = escape(permalink(doc_id, prefix))
    link = f' <a class="permalink" href="{href}">link to this section</a>' if doc_id else ""
    shown, size = [], 0
    for section in chosen:
        if shown and size + len(section.text) > MAX_SHOWN_CHARS:
            break
        shown.append(section)
        size += len(section.text)
    blocks = "".join(_section_block(s, len(prefix), passage, words) for s in shown)
    rest = len(chosen) - len(shown)
    more = f'<div class="more">{rest} more subsections: pick one in the tree.</div>' if rest else ""
    head = f'<div class="crumbs"><span class="path">{crumbs}</span>{link}</div>'
    return f'<div class="section-view">{head}{blocks}{more}</div>'


def _section_block(section: Section, depth: int, passage: str, words: tuple[str, ...]) -> str:
    hits = passage_rows(section.lines, passage) if passage else set()
    heading = section_label(section.path[depth:] or section.path[-1:]) or section.doc_title
    level = min(3 + len(section.path) - depth, 6)
    lines = "".join(
        f'<div class="line{" hit" if i in hits else ""}">{_marked(line, words) or "&nbsp;"}</div>'
        for i, line in enumerate(section.lines)
    )
    return f'<section><h{level} class="heading">{escape(heading)}</h{level}>{lines}</section>'


def _marked(line: str, words: tuple[str, ...]) -> str:
    """The line as HTML with every searched word in <mark> (case-insensitive)."""
    if not words:
        return escape(line)
    alternatives = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
    pattern = re.compile(rf"(?<![\w.])(?:{alternatives})", re.IGNORECASE)  # "4 days" is not in "14 days"
    parts, position = [], 0
    for match in pattern.finditer(line):
        parts.append(escape(line[position:match.start()]) + f"<mark>{escape(match.group())}</mark>")
        position = match.end()
    return "".join(parts) + escape(line[position:])


def disagreement_groups(items: list[Disagreement]) -> list[tuple[str, list[Statement]]]:
    """("Kinesis · retention", every line stating a value for it, once each, smallest value first) per fact."""
    groups: dict[str, dict[tuple[str, str], Statement]] = {}
    for item in items:
        sides = groups.setdefault(f"{item.subject} · {item.measure}", {})
        for side in (item.first, item.second):
            sides.setdefault((side.doc_id, side.line), side)
    return [(fact, sorted(sides.values(), key=lambda side: (_amount_value(side.amount), side.doc_id)))
            for fact, sides in groups.items()]


def _amount_value(text: str) -> float:
    found = measures(text)
    return found[0].value if found else 0.0


def disagreements_html(items: list[Disagreement]) -> str:
    """Every fact two documents give different values for, each line quoted with a link to its section."""
    if not items:
        return notice_html("No two documents give different values for the same fact.")
    rows = "".join(
        f'<li class="disagreement"><div class="what">{escape(fact)}</div>{"".join(map(_side_html, sides))}</li>'
        for fact, sides in disagreement_groups(items)
    )
    intro = ("Where two documents give different values for the same thing. The exam follows the current AWS "
             "documentation: check it before you learn either value.")
    return f'<div class="disagreements"><p>{escape(intro)}</p><ul>{rows}</ul></div>'


def _side_html(side: Statement) -> str:
    where = escape(breadcrumb(side.doc_title, side.path))
    link = f'<a class="permalink" href="{escape(permalink(side.doc_id, side.path))}">{where}</a>'
    return (f'<div class="side"><b>{escape(side.amount)}</b> in {link}'
            f'<div class="quote">{_marked(side.line, (side.amount.lower(),))}</div></div>')


def query_words(query: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(w for w in re.findall(r"[\w.$%/-]+", query.lower()) if w.strip("-./")))


def search(library: Library, query: str, limit: int = MAX_RESULTS) -> list[SearchHit]:
    """Sections whose title or text holds every word of `query` (as a word or a word's start: "shard" finds
    "shards"); title matches first, then by how often the words occur."""
    words = query_words(query)
    if not words:
        return []
    patterns = [re.compile(r"(?<!\w)" + re.escape(w)) for w in words]
    scored = []
    for doc in library.docs:
        try:
            sections = library.sections(doc)
        except CorpusError:
            continue
        for order, section in enumerate(sections):
            title, text = " ".join(section.path).lower(), section.text.lower()
            if not all(p.search(title) or p.search(text) for p in patterns):
                continue
            in_title = sum(bool(p.search(title)) for p in patterns)
            count = sum(len(p.findall(text)) for p in patterns)
            scored.append((-in_title, -count, doc.doc_id, order, _hit(doc.doc_id, doc.title, section, patterns)))
    scored.sort(key=lambda row: row[:4])
    best: dict[tuple[str, tuple[str, ...]], SearchHit] = {}  # a path used twice is one node of the tree
    for row in scored:
        best.setdefault((row[-1].doc_id, row[-1].path), row[-1])
    return list(best.values())[:limit]


def _hit(doc_id: str, doc_title: str, section: Section, patterns: list[re.Pattern]) -> SearchHit:
    """The hit, with the body line holding the most of the words (none when only the title holds them)."""
    def found(line: str) -> int:
        return sum(bool(p.search(line.lower())) for p in patterns)

    body = section.lines[1:] if section.lines and section.lines[0].strip() == section.path[-1] else section.lines
    line = max(body, key=found, default="")
    line = line if line and found(line) else ""
    snippet = f" — {line.strip()[:90]}" if line else ""
    return SearchHit(doc_id, section.path, line, f"{doc_title}{PATH_SEPARATOR}{section_label(section.path)}{snippet}")


def show(library: Library, doc_id: str | None, path: tuple[str, ...] | None = None, passage: str = "",
         level: int = 99, words: tuple[str, ...] = ()):
    """(tree choices, chosen node value, section HTML) for a document, at `path` or its first node."""
    doc = library.doc(doc_id)
    if doc is None:
        return [], None, notice_html("Pick a document.")
    try:
        sections = library.sections(doc)
    except CorpusError as err:
        return [], None, notice_html(str(err), "error")
    nodes = tree_nodes(sections)
    if path not in nodes:
        path = nodes[0] if nodes else ()
    text = section_html(doc.title, sections, path, passage, doc.doc_id, words)
    return tree_choices(sections, path, level), node_value(path), text


def _level(name: str | None) -> int:
    return LEVELS.get(name or DEFAULT_LEVEL, LEVELS[DEFAULT_LEVEL])


def _path(value: str | None) -> tuple[str, ...] | None:
    return tuple(json.loads(value)) if value else None


def choose_doc(library: Library, doc_id: str | None, level: str | None = None):
    choices, value, text = show(library, doc_id, level=_level(level))
    return gr.Radio(choices=choices, value=value), text


def choose_section(library: Library, doc_id: str | None, value: str | None, level: str | None = None):
    choices, value, text = show(library, doc_id, _path(value), level=_level(level))
    return gr.Radio(choices=choices, value=value), text


def step(library: Library, doc_id: str | None, value: str | None, level: str | None, by: int):
    """(tree, text) at the previous (by=-1) or next (by=+1) section of the document."""
    doc = library.doc(doc_id)
    if doc is None or not value:
        return gr.skip(), gr.skip()
    try:
        target = neighbour(library.sections(doc), tuple(json.loads(value)), by)
    except CorpusError:
        return gr.skip(), gr.skip()
    return choose_section(library, doc_id, node_value(target), level)


def open_at(library: Library, doc_id: str, path: tuple[str, ...], passage: str, level: str | None = None,
            words: tuple[str, ...] = ()) -> tuple[Any, Any, str]:
    """Updates for (document, tree, text) showing `path` with `passage` highlighted: how a citation is followed."""
    choices, value, text = show(library, doc_id, path, passage, _level(level), words)
    return gr.update(value=doc_id), gr.Radio(choices=choices, value=value), text


def search_results(library: Library, query: str):
    """(results list update, hits) for the search box."""
    hits = search(library, query)
    if not query.strip():
        return gr.Radio(choices=[], value=None, visible=False, label="Results"), []
    label = f"{len(hits)} results" if len(hits) < MAX_RESULTS else f"first {MAX_RESULTS} results"
    choices = [(hit.label, str(i)) for i, hit in enumerate(hits)]
    label = label if hits else "No section holds every word"
    return gr.Radio(choices=choices, value=None, visible=True, label=label), hits


def open_result(library: Library, choice: str | None, hits: list[SearchHit], query: str, level: str | None):
    if choice is None or not hits:
        return gr.skip(), gr.skip(), gr.skip()
    hit = hits[int(choice)]
    return open_at(library, hit.doc_id, hit.path, hit.line, level, query_words(query))


def from_query(library: Library, params: dict[str, str], level: str | None = None):
    """Updates for (document, tree, text, tabs) when the page was opened with ?doc=…&section=…."""
    doc_id = params.get("doc")
    if not doc_id or library.doc(doc_id) is None:
        return gr.skip(), gr.skip(), gr.skip(), gr.skip()
    doc, tree, text = open_at(library, doc_id, path_from_query(params.get("section")), "", level)
    return doc, tree, text, gr.Tabs(selected=TAB_ID)


def build(ctx: AppContext) -> BrowseView:
    library = ctx.library
    first = library.docs[0].doc_id if library.docs else None
    choices, value, text = show(library, first, level=_level(DEFAULT_LEVEL))
    hits = gr.State([])
    with gr.Row(equal_height=False):
        with gr.Column(scale=2, min_width=280, elem_id="browse-side"):
            query = gr.Textbox(label="Search the notes", placeholder="Words in a title or the text, e.g. SQS retention",
                               elem_id="browse-search", max_lines=1, submit_btn=True)
            results = gr.Radio([], label="Results", visible=False, elem_id="browse-results",
                               elem_classes="section-tree")
            doc = gr.Dropdown(
                [(d.title, d.doc_id) for d in library.docs], value=first, label="Document", elem_id="browse-doc"
            )
            level = gr.Radio(list(LEVELS), value=DEFAULT_LEVEL, label="Show headings down to", elem_id="browse-level")
            tree = gr.Radio(choices, value=value, label="Sections", elem_id="section-tree", elem_classes="section-tree")
        with gr.Column(scale=3, min_width=360):
            with gr.Row():
                previous = gr.Button("◀ Previous section", size="sm", elem_id="browse-prev")
                following = gr.Button("Next section ▶", size="sm", elem_id="browse-next")
            view = gr.HTML(text, elem_id="section-text", js_on_load=SCROLL_INTO_VIEW, padding=True)
            known = library.disagreements()
            facts = len(disagreement_groups(known))
            with gr.Accordion(f"Where the notes disagree ({facts})", open=False, elem_id="notes-disagree"):
                gr.HTML(disagreements_html(known), padding=True)
    doc.input(lambda d, lv: choose_doc(library, d, lv), [doc, level], [tree, view], show_progress="hidden")
    tree.input(lambda d, v, lv: choose_section(library, d, v, lv), [doc, tree, level], [tree, view],
               show_progress="hidden")
    level.input(lambda d, v, lv: choose_section(library, d, v, lv), [doc, tree, level], [tree, view],
                show_progress="hidden")
    previous.click(lambda d, v, lv: step(library, d, v, lv, -1), [doc, tree, level], [tree, view],
                   show_progress="hidden")
    following.click(lambda d, v, lv: step(library, d, v, lv, +1), [doc, tree, level], [tree, view],
                    show_progress="hidden")
    query.submit(lambda q: search_results(library, q), query, [results, hits], show_progress="hidden")
    results.input(lambda c, h, q, lv: open_result(library, c, h, q, lv), [results, hits, query, level],
                  [doc, tree, view], show_progress="hidden")
    return BrowseView(doc, tree, view, level)


def wire(ctx: AppContext) -> None:
    """A link with ?doc=…&section=… opens that section in Browse when the page loads."""
    view: BrowseView = ctx.views[TAB_ID]
    if ctx.app is None:
        return

    def on_load(level: str | None, request: gr.Request):
        params = dict(request.query_params) if request is not None else {}
        return from_query(ctx.library, params, level)

    ctx.app.load(on_load, [view.level], [view.doc, view.tree, view.text, ctx.tabs], show_progress="hidden")
