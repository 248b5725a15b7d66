"""Quiz tab handlers, without a browser."""

from datetime import UTC, datetime

import gradio as gr
import pytest
from fsrs import Scheduler
from helpers.quiz_docs import small_deck

from bot.quiz.progress import Progress
from bot.quiz.session import QuizService
from bot.settings import Settings
from bot.ui import quiz as tab

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def service(tmp_path):
    return QuizService(small_deck(), Progress(tmp_path / "data", scheduler=Scheduler(enable_fuzzing=False)))


def test_a_round_shows_a_card_then_feedback_with_its_citation(service):
    screen = tab.start_round(service, "alice", "901", "Storage Classes", 2, NOW, seed=1)
    assert screen.status.startswith("0 due for review, 2 new. Card 1 of 2")
    card = service.deck.card(screen.state["cards"][0])
    assert card.kind == "mcq" and screen.choices == [f"{'ABCD'[i]}) {c}" for i, c in enumerate(card.choices)]
    assert not screen.typed and screen.can_check and not screen.can_next
    assert '<div class="src-path">Storage notes</div>' in screen.prompt  # the prompt names the section itself
    assert "Amazon S3 › Storage Classes: which one is" in screen.prompt
    picked = screen.choices[card.choices.index(card.answer)]
    after = tab.check_answer(service, screen.state, None, picked, NOW)
    assert "✓ Right: " in after.feedback and "<mark>" in after.feedback
    assert "Storage notes" in after.feedback and "Next review in 10 minutes" in after.feedback
    assert after.can_next and not after.can_check and "1 right so far" in after.status
    assert "<mark>" in after.section  # the whole section, passage highlighted
    second = tab.next_card(service, after.state)
    assert second.state["i"] == 1 and second.can_check and second.feedback == ""
    assert service.progress.review_counts("alice") == (1, 1)


def test_typed_cards_show_a_text_box_and_bad_input_keeps_the_card(service):
    screen = tab.start_round(service, "alice", "900", "Amazon SQS", 5, NOW, seed=1)
    index = next(i for i, cid in enumerate(screen.state["cards"]) if service.deck.card(cid).kind == "cloze")
    screen = tab.card_screen(service, {**screen.state, "i": index})
    assert screen.typed and screen.choices == []
    again = tab.check_answer(service, screen.state, "   ", None, NOW)
    assert "Type an answer" in again.feedback and again.state == screen.state and again.can_check
    assert service.progress.review_counts("alice") == (0, 0)


def test_the_last_answer_ends_the_round(service):
    screen = tab.start_round(service, "alice", None, "Durability", 1, NOW)
    done = tab.check_answer(service, screen.state, "99.9%", None, NOW)
    assert done.status == "Round done: 0 of 1 right." and not done.can_next
    assert "✗ Not quite. The answer is 99.999999999%" in done.feedback
    assert tab.check_answer(service, done.state, "99.9%", None, NOW).status == "Go on to the next card."


@pytest.mark.parametrize(
    ("profile", "doc", "section", "n", "message"),
    [
        ("", "all", "", 10, "A profile name is 1-64 letters"),
        ("alice", "999", "", 10, "unknown document"),
        ("alice", "all", "no such section", 10, "no quiz cards in a section matching"),
        ("alice", "all", "", 0, "ask for 1 to 100 cards"),
    ],
)
def test_a_bad_scope_is_explained(service, profile, doc, section, n, message):
    screen = tab.start_round(service, profile, doc, section, n, NOW)
    assert message in screen.feedback and screen.state == {} and not screen.can_check


def test_checking_without_a_round_asks_to_start_one(service):
    assert tab.check_answer(service, {}, "x", None, NOW).status == "Start a round first."


def test_mastery_chart_per_document_then_per_section(service):
    screen = tab.start_round(service, "alice", "900", "Amazon SQS", 1, NOW, seed=1)
    card = service.deck.card(screen.state["cards"][0])
    response = "ABCD"[card.choices.index(card.answer)] if card.kind == "mcq" else card.answer
    tab.check_answer(service, screen.state, response, response, NOW)
    docs = tab.mastery_frame(service, "alice", "all", NOW)
    assert list(docs.columns) == ["where", "mastery", "cards seen"] and len(docs) == 1  # studied documents only
    assert docs.set_index("where").loc["900 Queue notes", "mastery"] > 0
    sections = tab.mastery_frame(service, "alice", "900", NOW)
    assert list(sections["where"]) == ["Messaging › Amazon SQS"] and sections["cards seen"][0] == 1
    assert "Profile alice: 1 of" in tab.stats_markdown(service, "alice", "all", NOW)
    assert tab.open_target(service, screen.state) == (card.doc_id, card.section_path, card.passage)


def test_the_mastery_chart_is_hidden_until_a_card_was_seen(service):
    """An empty frame draws a chart with an infinite extent (Vega-Lite warns): no data, no chart."""
    empty = tab.mastery_chart(tab.mastery_frame(service, "nobody", "all", NOW))
    assert empty.visible is False and empty.value is None
    screen = tab.start_round(service, "carol", "900", "Amazon SQS", 1, NOW, seed=1)
    card = service.deck.card(screen.state["cards"][0])
    tab.check_answer(service, screen.state, card.answer, card.answer, NOW)
    shown = tab.mastery_chart(tab.mastery_frame(service, "carol", "all", NOW))
    assert shown.visible is True and shown.value is not None


def test_the_tab_builds_next_to_browse_without_touching_data(tmp_path):
    from bot.ui import browse
    from bot.ui.context import AppContext, Library

    settings = Settings.from_env({}, data_dir=tmp_path / "data")
    ctx = AppContext(None, settings, Library([]))
    with gr.Blocks():
        with gr.Tabs() as ctx.tabs:
            for module in (browse, tab):
                with gr.Tab(module.TITLE, id=module.TAB_ID):
                    ctx.views[module.TAB_ID] = module.build(ctx)
        tab.wire(ctx)
    view = ctx.views[tab.TAB_ID]
    assert isinstance(view, tab.QuizView) and view.open_button.visible  # shown once Browse is there to open
    assert not (tmp_path / "data").exists()


def test_a_screen_maps_onto_the_components(service):
    screen = tab.start_round(service, "alice", "901", "Storage Classes", 1, NOW, seed=1)
    state, status, prompt, choice, typed, feedback, section, check, following, opener, skip = tab.show_screen(screen)
    assert skip.interactive
    assert state == screen.state and status == screen.status and prompt == screen.prompt
    assert choice.visible and choice.choices == [(c, c) for c in screen.choices] and not typed.visible
    assert check.interactive and not following.interactive and feedback == "" and section == ""
    assert not opener.interactive  # nothing to open before the answer
    card = service.deck.card(screen.state["cards"][0])
    answered = tab.check_answer(service, screen.state, None, screen.choices[card.choices.index(card.answer)], NOW)
    assert tab.show_screen(answered)[-2].interactive and not tab.show_screen(answered)[-1].interactive


def test_skip_leaves_a_card_unanswered_and_the_last_one_ends_with_a_summary(service):
    screen = tab.start_round(service, "dave", "900", "Amazon SQS", 2, NOW, seed=1)
    assert screen.can_skip
    skipped = tab.skip_card(service, screen.state)
    assert skipped.state["i"] == 1 and skipped.can_check and service.progress.review_counts("dave") == (0, 0)
    card = service.deck.card(skipped.state["cards"][1])
    typed = "surely not this" if card.kind != "mcq" else None
    picked = None if card.kind != "mcq" else next(o for o in skipped.choices if card.answer not in o)
    done = tab.check_answer(service, skipped.state, typed, picked, NOW)
    assert "Round done: 0 of 1 right." == done.status and not done.can_next and not done.can_skip
    assert "Round summary" in done.feedback and "0 right, 1 wrong, 1 skipped" in done.feedback
    assert "Review:" in done.feedback and "Messaging › Amazon SQS" in done.feedback
    if card.kind != "mcq":
        assert done.typed_value == "surely not this"  # the typed answer stays beside the verdict


def test_the_typed_answer_stays_and_enter_again_goes_on(service):
    screen = tab.start_round(service, "erin", "900", "Amazon SQS", 3, NOW, seed=2)
    while service.deck.card(screen.state["cards"][screen.state["i"]]).kind == "mcq":
        screen = tab.skip_card(service, screen.state)
    card = service.deck.card(screen.state["cards"][screen.state["i"]])
    after = tab.check_answer(service, screen.state, card.answer, None, NOW)
    assert after.typed_value == card.answer and after.typed and "✓" in after.feedback
    assert tab.check_answer(service, after.state, card.answer, None, NOW).status == "Go on to the next card."


def test_a_round_can_be_drawn_by_exam_domain_weight(service, monkeypatch):
    asked = {}
    real_plan = service.plan

    def plan(*args, **kwargs):
        asked.update(kwargs)
        return real_plan(*args, **kwargs)

    monkeypatch.setattr(service, "plan", plan)
    screen = tab.start_round(service, "fay", "all", "", 3, NOW, seed=1, by_domain=True)
    assert asked["by_domain"] is True and screen.can_check and len(screen.state["cards"]) == 3
