"""Quiz tab: pick a scope, answer cards, see the right answer with its cited passage, and mastery per section.

Handlers are plain functions from inputs to a `Screen` (tested without a browser); `build` only maps a
Screen onto the components. The quiz service (deck + progress database) is created on first use, so
building the app never touches the data directory.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field, replace
from datetime import datetime

import gradio as gr
import pandas as pd

from bot.quiz.deck import QuizInputError
from bot.quiz.grading import describe
from bot.quiz.progress import ProgressError
from bot.quiz.session import QuizService, stats_lines, wait_text
from bot.quiz.show import MULTI_HINT, header, option_lines, picked_from_list
from bot.settings import Settings
from bot.ui.context import AppContext
from bot.ui.render import escape, highlighted, notice_html, section_label

TITLE = "Quiz"
TAB_ID = "quiz"
ALL_DOCS = "all"
CHART_ROWS = 15
START_HINT = "Pick a scope and press **Start a round**. Cards due for review come first, then new ones."


class LazyService:
    """Builds the deck and opens the progress database on first use (a few seconds, once)."""

    def __init__(self, settings: Settings, factory=QuizService.from_settings):
        self.settings, self.factory = settings, factory
        self._service: QuizService | None = None
        self._lock = threading.Lock()

    def get(self) -> QuizService:
        with self._lock:
            if self._service is None:
                self._service = self.factory(self.settings)
            return self._service


@dataclass(frozen=True)
class Screen:
    state: dict
    status: str = START_HINT  # markdown
    prompt: str = ""  # HTML
    choices: list[str] = field(default_factory=list)  # multiple choice: "A) …" labels
    typed: bool = False  # show the text box
    feedback: str = ""  # HTML
    section: str = ""  # HTML of the card's section, after answering
    can_check: bool = False
    can_next: bool = False
    typed_value: str = ""  # what was typed, kept on screen beside the verdict
    can_skip: bool = False


def _doc_id(choice: str | None) -> str | None:
    return None if choice in (None, "", ALL_DOCS) else choice


def start_round(service: QuizService, profile: str, doc_choice: str | None, section: str | None, n,
                now: datetime | None = None, seed: int | None = None, by_domain: bool = False) -> Screen:
    try:
        plan = service.plan(profile, _doc_id(doc_choice), section, n, now, seed, by_domain=bool(by_domain))
        if not plan.cards:
            scope = service.deck.scope(_doc_id(doc_choice), section)
            return Screen({}, wait_text(service.next_due(profile.strip(), scope), now))
    except (QuizInputError, ProgressError) as err:
        return Screen({}, "", feedback=notice_html(str(err), "error"))
    state = {"profile": profile.strip(), "cards": [c.id for c in plan.cards], "i": 0, "right": 0, "answered": 0,
             "graded": False, "results": []}
    return card_screen(service, state, f"{plan.due} due for review, {plan.new} new. ")


def card_screen(service: QuizService, state: dict, lead: str = "") -> Screen:
    card = service.deck.card(state["cards"][state["i"]])
    status = f"{lead}Card {state['i'] + 1} of {len(state['cards'])} · {state['right']} right so far"
    return Screen(state, status, prompt_html(card, service.deck.exam(card)), picked_from_list(card), card.kind != "mcq",
                  can_check=True, can_skip=True)


def prompt_html(card, exam: str = "") -> str:
    """The card before it is answered: a header that never names the answer (bot.quiz.show), the prompt."""
    options = ""
    if card.kind == "multi":
        items = "".join(f"<li>{escape(line)}</li>" for line in option_lines(card))
        options = f'<ul class="quiz-options">{items}</ul><div class="quiz-hint">{escape(MULTI_HINT)}</div>'
    return (f'<div class="quiz-card"><div class="src-path">{escape(header(card, exam))}</div>'
            f'<div class="quiz-prompt"><strong>{escape(card.prompt)}</strong></div>{options}</div>')


def check_answer(service: QuizService, state: dict, typed: str | None, choice: str | None,
                 now: datetime | None = None) -> Screen:
    if not state or state.get("graded") or state["i"] >= len(state["cards"]):
        return Screen(state or {}, "Start a round first." if not state else "Go on to the next card.")
    card = service.deck.card(state["cards"][state["i"]])
    response = (choice or "")[:1] if card.kind == "mcq" else typed
    try:
        feedback = service.answer(state["profile"], card.id, response, now)
    except (QuizInputError, ProgressError) as err:
        return replace(card_screen(service, state), feedback=notice_html(str(err), "error"))
    state = {**state, "graded": True, "answered": state["answered"] + 1,
             "right": state["right"] + feedback.grade.correct,
             "results": [*state.get("results", []), (card.id, feedback.grade.correct)]}
    last = state["i"] + 1 == len(state["cards"])
    status = (f"Round done: {state['right']} of {state['answered']} right." if last
              else f"Card {state['i'] + 1} of {len(state['cards'])} · {state['right']} right so far · "
                   "Enter for the next card")
    section = section_html(service, card)
    screen = card_screen(service, state)
    shown = feedback_html(feedback) + (summary_html(service, state) if last else "")
    return Screen(state, status, screen.prompt, screen.choices, screen.typed, shown, section,
                  can_check=False, can_next=not last, typed_value=typed or "" if card.kind != "mcq" else "")


def skip_card(service: QuizService, state: dict) -> Screen:
    """Leave the card unanswered (nothing is stored) and show the next one, or the summary after the last."""
    if not state or state.get("graded") or state["i"] >= len(state["cards"]):
        return Screen(state or {}, "Start a round first." if not state else "Go on to the next card.")
    state = {**state, "skipped": state.get("skipped", 0) + 1}
    if state["i"] + 1 >= len(state["cards"]):
        done = {**state, "graded": True}
        return Screen(done, f"Round done: {state['right']} of {state['answered']} right.",
                      feedback=summary_html(service, done))
    return card_screen(service, {**state, "i": state["i"] + 1, "graded": False})


def summary_html(service: QuizService, state: dict) -> str:
    """The round at a glance: right, wrong, skipped, per exam domain, and the sections to review."""
    results = state.get("results", [])
    wrong = [service.deck.card(cid) for cid, ok in results if not ok]
    per_domain: dict[str, list[int]] = {}
    for cid, ok in results:
        exam, domain = service.domain_key(service.deck.card(cid))
        tally = per_domain.setdefault(" · ".join(p for p in (exam, domain) if p) or "other", [0, 0])
        tally[0] += ok
        tally[1] += 1
    rows = "".join(f"<li>{escape(name)}: {right} of {asked} right</li>" for name, (right, asked) in per_domain.items())
    review = "".join(f"<li>{escape(c.doc_title)} — {escape(section_label(c.section_path))}</li>"
                     for c in dict.fromkeys(wrong))
    skipped = state.get("skipped", 0)
    return (f'<div class="quiz-summary"><h4>Round summary</h4><div>{state["right"]} right, '
            f'{state["answered"] - state["right"]} wrong' + (f", {skipped} skipped" if skipped else "") + "</div>"
            + (f"<ul>{rows}</ul>" if rows else "")
            + (f"<div><strong>Review:</strong></div><ul>{review}</ul>" if review else "") + "</div>")


def next_card(service: QuizService, state: dict) -> Screen:
    if not state or state["i"] + 1 >= len(state["cards"]):
        return Screen(state or {})
    return card_screen(service, {**state, "i": state["i"] + 1, "graded": False})


def feedback_html(feedback) -> str:
    card, grade = feedback.card, feedback.grade
    verdict = ("✓ " if grade.correct else "✗ ") + describe(grade)
    return (
        f'<div class="quiz-feedback {"right" if grade.correct else "wrong"}">'
        f'<div class="quiz-verdict"><strong>{escape(verdict)}</strong></div>'
        f'<div class="source-card"><div class="src-title">{escape(card.doc_title)}</div>'
        f'<div class="src-path">{escape(section_label(card.section_path))}</div>'
        f'<div class="src-text">{highlighted(card.passage, card.answer)}</div></div>'
        f'<div class="quiz-next">{escape(feedback.next_review.capitalize())}.</div></div>'
    )


def section_html(service: QuizService, card) -> str:
    text = service.deck.section_text(card)
    return f'<div class="section-view"><div class="line">{highlighted(text, card.passage)}</div></div>'


def open_target(service: QuizService, state: dict) -> tuple[str, tuple[str, ...], str] | None:
    """(doc id, section path, passage) of the card on screen, to show it in the Browse tab."""
    if not state or not state.get("cards"):
        return None
    card = service.deck.card(state["cards"][state["i"]])
    return card.doc_id, card.section_path, card.passage


def mastery_frame(service: QuizService, profile: str, doc_choice: str | None,
                  now: datetime | None = None) -> pd.DataFrame:
    """Mastery (%) per document, or per studied section (weakest first) when one document is chosen."""
    stats = service.stats(profile, _doc_id(doc_choice), now)
    if _doc_id(doc_choice) is None:
        rows = [(f"{r.doc_id} {service.deck.docs.get(r.doc_id, '')[:28]}", r.mastery, r.seen) for r in stats.by_doc
                if r.seen]  # studied documents only: a document never studied has no mastery to draw
    else:
        rows = [(section_label(r.section.split(" > ")[-2:])[:40], r.mastery, r.seen)
                for r in stats.weakest(CHART_ROWS)]
    return pd.DataFrame({"where": [r[0] for r in rows], "mastery": [round(100 * r[1], 1) for r in rows],
                         "cards seen": [r[2] for r in rows]})


def mastery_chart(frame: pd.DataFrame):
    """The chart's update: hidden until a card has been seen (an empty frame makes Vega-Lite warn of an
    infinite extent)."""
    return gr.BarPlot(value=frame if not frame.empty else None, visible=not frame.empty)


def stats_markdown(service: QuizService, profile: str, doc_choice: str | None, now: datetime | None = None) -> str:
    try:
        stats = service.stats(profile, _doc_id(doc_choice), now)
    except (QuizInputError, ProgressError) as err:
        return f"*{err}*"
    return "\n\n".join(stats_lines(stats, service.deck.docs, sections=5))


def doc_choices(library) -> list[tuple[str, str]]:
    return [("All documents", ALL_DOCS)] + [(d.title, d.doc_id) for d in library.docs]


@dataclass(frozen=True)
class QuizView:
    profile: gr.Textbox
    doc: gr.Dropdown
    section: gr.Textbox
    n: gr.Slider
    by_domain: gr.Checkbox
    start: gr.Button
    chart: gr.BarPlot
    stats: gr.Markdown
    status: gr.Markdown
    prompt: gr.HTML
    choice: gr.Radio
    typed: gr.Textbox
    check: gr.Button
    following: gr.Button
    skip: gr.Button
    open_button: gr.Button
    feedback: gr.HTML
    section_view: gr.HTML
    state: gr.State
    service: LazyService

    @property
    def screen(self) -> list:
        """The components a Screen is shown on, in `show_screen` order."""
        return [self.state, self.status, self.prompt, self.choice, self.typed, self.feedback, self.section_view,
                self.check, self.following, self.open_button, self.skip]


def show_screen(screen: Screen) -> tuple:
    return (screen.state, screen.status, screen.prompt,
            gr.Radio(choices=screen.choices, value=None, visible=bool(screen.choices)),
            gr.Textbox(value=screen.typed_value, visible=screen.typed), screen.feedback, screen.section,
            gr.Button(interactive=screen.can_check), gr.Button(interactive=screen.can_next),
            gr.Button(interactive=bool(screen.section)),  # a section to open once the card is answered
            gr.Button(interactive=screen.can_skip))


def _scope_column(ctx: AppContext) -> dict:
    return {
        "profile": gr.Textbox("default", label="Profile (whose progress)", max_lines=1, elem_id="quiz-profile"),
        "doc": gr.Dropdown(doc_choices(ctx.library), value=ALL_DOCS, label="Documents", elem_id="quiz-doc"),
        "section": gr.Textbox(label="Sections containing", placeholder="e.g. Kinesis (empty: every section)",
                              max_lines=1, elem_id="quiz-section"),
        "n": gr.Slider(1, 50, value=10, step=1, label="Cards per round", elem_id="quiz-n"),
        "by_domain": gr.Checkbox(False, label="Draw new cards by the exam guide's domain weights",
                                 elem_id="quiz-by-domain"),
        "start": gr.Button("Start a round", variant="primary", elem_id="quiz-start"),
        "chart": gr.BarPlot(x="where", y="mastery", y_lim=[0, 100], y_title="mastery %", x_title="",
                            x_label_angle=-30, label="Mastery", elem_id="quiz-mastery", height=280, visible=False),
        "stats": gr.Markdown(elem_id="quiz-stats"),
    }


def _card_column() -> dict:
    parts = {
        "status": gr.Markdown(START_HINT, elem_id="quiz-status"),
        "prompt": gr.HTML(elem_id="quiz-prompt"),
        "choice": gr.Radio([], label="Your answer", visible=False, elem_id="quiz-choice"),
        "typed": gr.Textbox(label="Your answer", visible=False, max_lines=1, elem_id="quiz-typed"),
    }
    with gr.Row():
        parts["check"] = gr.Button("Check", variant="primary", interactive=False, elem_id="quiz-check")
        parts["following"] = gr.Button("Next card", interactive=False, elem_id="quiz-next")
        parts["skip"] = gr.Button("Skip", interactive=False, elem_id="quiz-skip")
        parts["open_button"] = gr.Button("Open section in Browse", visible=False, interactive=False,
                                         elem_id="quiz-open")
    parts["feedback"] = gr.HTML(elem_id="quiz-feedback")
    with gr.Accordion("The whole section", open=False):
        parts["section_view"] = gr.HTML(elem_id="quiz-section-text")
    return parts


def build(ctx: AppContext) -> QuizView:
    with gr.Row(equal_height=False, elem_id="quiz-layout"):
        with gr.Column(scale=2, min_width=280, elem_id="quiz-scope-column"):
            scope = _scope_column(ctx)
        with gr.Column(scale=3, min_width=360, elem_id="quiz-card-column"):
            card = _card_column()
    view = QuizView(**scope, **card, state=gr.State({}), service=LazyService(ctx.settings))
    _connect(view)
    return view


def _connect(view: QuizView) -> None:
    service = view.service

    def refresh(profile_name, doc_choice):
        quiz = service.get()
        chart = mastery_chart(mastery_frame(quiz, profile_name, doc_choice))
        return chart, stats_markdown(quiz, profile_name, doc_choice)

    def on_start(profile_name, doc_choice, section_text, size, by_domain):
        return show_screen(start_round(service.get(), profile_name, doc_choice, section_text, size,
                                       by_domain=by_domain))

    def on_check(current, typed_text, picked):
        if current and current.get("graded"):  # Enter again in the answer box: the next card
            return show_screen(next_card(service.get(), current))
        return show_screen(check_answer(service.get(), current, typed_text, picked))

    scope, charts = [view.profile, view.doc], [view.chart, view.stats]
    view.start.click(on_start, [*scope, view.section, view.n, view.by_domain], view.screen).then(refresh, scope, charts)
    gr.on([view.check.click, view.typed.submit], on_check, [view.state, view.typed, view.choice],
          view.screen).then(refresh, scope, charts)
    view.following.click(lambda current: show_screen(next_card(service.get(), current)), view.state, view.screen)
    view.skip.click(lambda current: show_screen(skip_card(service.get(), current)), view.state, view.screen)


def wire(ctx: AppContext) -> None:
    """Open section in Browse: the card's section with its passage highlighted, in the Browse tab."""
    from bot.ui import browse

    target = ctx.views.get(browse.TAB_ID)
    view: QuizView | None = ctx.views.get(TAB_ID)
    if target is None or view is None:
        return
    view.open_button.visible = True

    def open_section(current):
        found = open_target(view.service.get(), current)
        if found is None:
            return gr.skip(), gr.skip(), gr.skip(), gr.skip()
        return *browse.open_at(ctx.library, *found), gr.Tabs(selected=browse.TAB_ID)

    view.open_button.click(open_section, view.state, [target.doc, target.tree, target.text, ctx.tabs],
                           show_progress="hidden")
