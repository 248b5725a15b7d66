"""Practice exam tab: a timed mock exam drawn by the exam guide's domain weights, scored only at the end
(100–1000 with the pass line), a per-domain breakdown, every miss with its section, and past attempts plotted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

import gradio as gr

from bot.quiz.deck import QuizInputError
from bot.quiz.exam import Paper, Result
from bot.quiz.grading import choice_index, chosen_options
from bot.quiz.progress import ProgressError, check_profile
from bot.quiz.session import QuizService
from bot.quiz.show import picked_from_list
from bot.ui.context import AppContext
from bot.ui.quiz import LazyService, prompt_html
from bot.ui.render import escape, notice_html

TITLE = "Practice exam"
TAB_ID = "exam"
START_HINT = ("Pick an exam and press **Start the exam**. Questions follow the exam guide's domain weights; "
              "nothing is marked until you finish (or press **End now**).")


@dataclass(frozen=True)
class ExamScreen:
    state: dict
    status: str = START_HINT  # markdown
    prompt: str = ""  # HTML
    choices: list[str] = field(default_factory=list)
    typed: bool = False
    result: str = ""  # HTML, once finished
    running: bool = False


def start_exam(service: QuizService, profile: str, exam: str, n, minutes, now: datetime | None = None,
               seed: int | None = None) -> ExamScreen:
    try:
        profile = check_profile(profile)  # before the clock starts
        paper = service.start_exam(exam, int(n), int(minutes), seed, now or datetime.now(UTC))
    except (QuizInputError, ProgressError, ValueError, TypeError) as err:
        return ExamScreen({}, START_HINT, result=notice_html(str(err), "error"))
    return question_screen({"profile": profile, "paper": paper, "i": 0, "answers": {}}, now)


def question_screen(state: dict, now: datetime | None = None) -> ExamScreen:
    paper: Paper = state["paper"]
    card = paper.cards[state["i"]]
    left = paper.seconds_left(now or datetime.now(UTC))
    review = state.get("review")
    if review is not None:  # the flagged questions again, once the last one was answered
        given = state["answers"].get(card.id) or "blank"
        place = (f"**Review {review.index(state['i']) + 1} of {len(review)}** (question {state['i'] + 1}, flagged; "
                 f"your answer: {given}; Next keeps it)")
    else:
        place = f"**Question {state['i'] + 1} of {len(paper.cards)}**"
    status = (f"{place} · {left // 60}:{left % 60:02d} left (ends {paper.deadline:%H:%M} UTC) · "
              f"{len(state['answers'])} answered · {len(state.get('flagged', []))} flagged")
    return ExamScreen(state, status, prompt_html(card, paper.exam), picked_from_list(card), card.kind != "mcq",
                      running=True)


def answer(service: QuizService, state: dict, typed: str | None, picked: str | None,
           now: datetime | None = None, flag: bool = False) -> ExamScreen:
    """Keep this question's answer (blank is allowed; in the review a blank keeps the earlier one) and go on;
    `flag` brings the question back after the last one. Past the deadline, or after the review, finish."""
    if not state or "paper" not in state:
        return ExamScreen({}, "Start the exam first.")
    now = now or datetime.now(UTC)
    paper: Paper = state["paper"]
    card = paper.cards[state["i"]]
    given = ((picked or "")[:1] if card.kind == "mcq" else (typed or "")).strip()
    if given and card.kind in ("mcq", "multi"):
        try:
            choice_index(card, given) if card.kind == "mcq" else chosen_options(card, given)
        except QuizInputError as err:
            return _with_note(question_screen(state, now), str(err))
    answers = dict(state["answers"])
    if given and now <= paper.deadline:
        answers[card.id] = given
    flagged = list(state.get("flagged", []))
    if flag and state.get("review") is None and state["i"] not in flagged:  # flags are set on the first pass only
        flagged.append(state["i"])
    state = {**state, "answers": answers, "flagged": flagged}
    following = _following(state)
    if now > paper.deadline or following is None:
        return finish(service, state, now)
    return question_screen(following, now)


def _following(state: dict) -> dict | None:
    """The state at the next question: the next in order, then the flagged ones; None when all are done."""
    review, i = state.get("review"), state["i"]
    if review is None:
        if i + 1 < len(state["paper"].cards):
            return {**state, "i": i + 1}
        review = sorted(state["flagged"])
        return {**state, "review": review, "i": review[0]} if review else None
    place = review.index(i) + 1
    return {**state, "i": review[place]} if place < len(review) else None


def tick(service: QuizService, state: dict, now: datetime | None = None) -> ExamScreen | None:
    """Once a second while an exam runs: the status with the time left; at the deadline, the result.
    None when nothing changes (no exam running)."""
    if not state or "paper" not in state:
        return None
    now = now or datetime.now(UTC)
    if now > state["paper"].deadline:
        return finish(service, state, now)
    return question_screen(state, now)


def finish(service: QuizService, state: dict, now: datetime | None = None) -> ExamScreen:
    if not state or "paper" not in state:
        return ExamScreen({}, "Start the exam first.")
    try:
        result = service.finish_exam(state["profile"], state["paper"], state["answers"], now)
    except (QuizInputError, ProgressError) as err:
        return ExamScreen({}, START_HINT, result=notice_html(str(err), "error"))
    verdict = "a pass" if result.passed else "not yet a pass"
    status = f"**Score {result.score} / 1000** (pass line {result.pass_score}): {verdict}."
    return ExamScreen({"profile": state["profile"], "finished": True}, status, result=result_html(result))


def _with_note(screen: ExamScreen, note: str) -> ExamScreen:
    return ExamScreen(screen.state, screen.status, screen.prompt, screen.choices, screen.typed,
                      notice_html(note, "error"), screen.running)


def result_html(result: Result) -> str:
    rows = "".join(f"<tr><td>{escape(domain)}</td><td>{right} / {asked}</td><td>{right / asked:.0%}</td></tr>"
                   for domain, right, asked in result.by_domain)
    timed = " Time ran out: unanswered questions count as wrong." if result.timed_out else ""
    missed = "".join(
        f'<li><div class="quiz-prompt">{escape(m.prompt)}</div><div>Answer: <strong>{escape(m.expected)}</strong>'
        f' · {("you: " + escape(m.given)) if m.given else "not answered"}</div>'
        f'<div class="src-path">{escape(m.doc_title)} — {escape(m.section)}</div></li>' for m in result.missed)
    verdict = "pass" if result.passed else "fail"
    return (f'<div class="exam-result {verdict}"><div class="exam-score">{result.score}<span> / 1000</span></div>'
            f'<div>Pass line {result.pass_score} · {result.correct} of {result.total} right.{timed}</div>'
            f'<table class="exam-domains"><tr><th>Domain</th><th>Right</th><th></th></tr>{rows}</table>'
            + (f'<h4>Missed — review these sections</h4><ol class="exam-missed">{missed}</ol>' if missed else "")
            + "</div>")


def attempts_html(service: QuizService, profile: str, exam: str | None) -> str:
    """Past attempts over time as bars on the 100-1000 scale, the pass line marked on each."""
    try:
        attempts = service.progress.attempts(profile, exam or None)
    except (QuizInputError, ProgressError):
        attempts = []
    if not attempts:
        return '<div class="empty">No attempts yet for this exam and profile.</div>'
    rows = "".join(
        f'<div class="attempt {"pass" if a.passed else "fail"}"><span class="when">{a.finished:%Y-%m-%d %H:%M}</span>'
        f'<span class="track"><span class="bar" style="width:{(a.score - 100) / 9:.1f}%"></span>'
        f'<span class="line" style="left:{(a.pass_score - 100) / 9:.1f}%" title="pass line {a.pass_score}"></span>'
        f'</span><span class="score">{a.score}</span><span class="count">{a.correct}/{a.total}</span></div>'
        for a in attempts[-12:])
    return f'<div class="exam-history"><div class="head">Your attempts (100–1000, pass line marked)</div>{rows}</div>'


@dataclass(frozen=True)
class ExamView:
    profile: gr.Textbox
    exam: gr.Dropdown
    n: gr.Slider
    minutes: gr.Number
    start: gr.Button
    history: gr.HTML
    status: gr.Markdown
    prompt: gr.HTML
    choice: gr.Radio
    typed: gr.Textbox
    flag: gr.Checkbox
    following: gr.Button
    end: gr.Button
    result: gr.HTML
    state: gr.State
    clock: gr.Timer

    @property
    def screen(self) -> list:
        return [self.state, self.status, self.prompt, self.choice, self.typed, self.flag, self.result,
                self.following, self.end, self.start, self.clock]


def show(screen: ExamScreen) -> tuple:
    return (screen.state, screen.status, screen.prompt,
            gr.Radio(choices=screen.choices, value=None, visible=bool(screen.choices)),
            gr.Textbox(value="", visible=screen.typed),
            gr.Checkbox(value=False, visible=screen.running and screen.state.get("review") is None), screen.result,
            gr.Button(interactive=screen.running), gr.Button(interactive=screen.running),
            gr.Button(interactive=not screen.running), gr.Timer(active=screen.running))


def build(ctx: AppContext) -> ExamView:
    from bot.quiz.domains import load_guides
    guides = load_guides()
    exams = sorted({d.exam for d in ctx.library.docs if d.exam in guides}) or sorted(guides)
    default = "DEA-C01" if "DEA-C01" in exams else exams[0]
    first = guides[default]
    with gr.Row(equal_height=False, elem_id="exam-layout"):
        with gr.Column(scale=2, min_width=280, elem_id="exam-scope-column"):
            profile = gr.Textbox("default", label="Profile (whose history)", max_lines=1, elem_id="exam-profile")
            exam = gr.Dropdown([(f"{code} (retired {guides[code].retired[:7]})" if guides[code].retired else code, code)
                                for code in exams], value=default, label="Exam", elem_id="exam-exam")
            n = gr.Slider(1, 100, value=first.questions, step=1, label="Questions", elem_id="exam-n")
            minutes = gr.Number(first.minutes, label="Minutes", precision=0, minimum=1, maximum=600,
                                elem_id="exam-minutes")
            start = gr.Button("Start the exam", variant="primary", elem_id="exam-start")
            history = gr.HTML(elem_id="exam-history")
        with gr.Column(scale=3, min_width=360, elem_id="exam-card-column"):
            status = gr.Markdown(START_HINT, elem_id="exam-status")
            prompt = gr.HTML(elem_id="exam-prompt")
            choice = gr.Radio([], label="Your answer", visible=False, elem_id="exam-choice")
            typed = gr.Textbox(label="Your answer", visible=False, max_lines=1, elem_id="exam-typed")
            flag = gr.Checkbox(False, label="Flag for review (it comes back after the last question)", visible=False,
                               elem_id="exam-flag")
            with gr.Row():
                following = gr.Button("Next question", variant="primary", interactive=False, elem_id="exam-next")
                end = gr.Button("End now", interactive=False, elem_id="exam-end")
            result = gr.HTML(elem_id="exam-result")
    view = ExamView(profile, exam, n, minutes, start, history, status, prompt, choice, typed, flag, following, end,
                    result, gr.State({}), gr.Timer(1.0, active=False))
    quiz_view = ctx.views.get("quiz")
    service = quiz_view.service if quiz_view is not None else LazyService(ctx.settings)
    _connect(view, service, guides)
    return view


def _connect(view: ExamView, service, guides) -> None:
    def defaults(exam_code):
        guide = guides.get(exam_code)
        if not guide:
            return gr.skip(), gr.skip(), gr.skip()
        note = guide.retirement_note()
        return gr.Slider(value=guide.questions), gr.Number(value=guide.minutes), \
            f"**{note}**\n\n{START_HINT}" if note else START_HINT

    def plot(profile_name, exam_code):
        return attempts_html(service.get(), profile_name, exam_code)

    view.exam.change(defaults, view.exam, [view.n, view.minutes, view.status]).then(
        plot, [view.profile, view.exam], view.history)
    view.profile.blur(plot, [view.profile, view.exam], view.history)
    view.start.click(lambda p, e, k, m: show(start_exam(service.get(), p, e, k, m)),
                     [view.profile, view.exam, view.n, view.minutes], view.screen)
    gr.on([view.following.click, view.typed.submit],
          lambda current, t, c, f: show(answer(service.get(), current, t, c, flag=bool(f))),
          [view.state, view.typed, view.choice, view.flag], view.screen).then(
        plot, [view.profile, view.exam], view.history)
    view.end.click(lambda current: show(finish(service.get(), current)), view.state, view.screen).then(
        plot, [view.profile, view.exam], view.history)

    def on_tick(current):
        return tick_updates(tick(service.get(), current), len(view.screen))

    view.clock.tick(on_tick, view.state, view.screen, show_progress="hidden")


def tick_updates(screen: ExamScreen | None, outputs: int) -> tuple:
    """One update per output of the screen (state, status, …, timer) for a tick of the clock."""
    if screen is None:
        return (*[gr.skip()] * (outputs - 1), gr.Timer(active=False))
    if screen.running:  # only the clock moves: the answer being typed or picked stays as it is
        return (gr.skip(), screen.status, *[gr.skip()] * (outputs - 2))
    return show(screen)
