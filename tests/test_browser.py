"""The study app in a real browser: Debian's Chromium driven by Playwright against the app on a free port.

Screenshots of each tab land in tests/artifacts/screenshots/ (git-ignored).
"""

from __future__ import annotations

import socket
from pathlib import Path
from urllib.parse import urlparse

import pytest
from helpers.local_llm import SPEC
from helpers.ui_corpus import SCRIPT, write_ui_corpus

from bot.answer.studybot import build_answering_with, build_bot
from bot.ingest.index import ingest
from bot.ui import build_app, tab_modules
from bot.ui.serve import launch_options, serve

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
SHOTS = Path(__file__).parent / "artifacts" / "screenshots"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--disable-sync"]
ANSWER = "#chat .answer:not(.streaming), #chat .refusal, #chat .notice"


def serving(app, settings):
    """Launch `app` on its settings' port; yields its address, closes it after."""
    app.launch(prevent_thread_lock=True, quiet=True, **launch_options(settings))
    try:
        yield f"http://127.0.0.1:{settings.port}/"
    finally:
        app.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    settings = write_ui_corpus(tmp_path_factory.mktemp("browser"), port=free_port())
    ingest(settings, progress=False)
    yield from serving(build_app(build_bot(settings), settings), settings)


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.fail("no /usr/bin/chromium: run `bash scripts/ensure-chromium.sh` (make test does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, app_url):
    """A fresh page on the app that records dialogs (a script that ran) and requests leaving the machine."""
    context = browser.new_context(viewport={"width": 1360, "height": 900})
    page = context.new_page()
    page.dialogs, page.remote = [], []
    page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
    page.on("request", lambda request: _record_remote(page.remote, request.url))
    page.set_default_timeout(20_000)
    page.goto(app_url)
    page.wait_for_selector("#question textarea")
    yield page
    context.close()


def _record_remote(remote: list[str], url: str) -> None:
    if urlparse(url).hostname not in ("127.0.0.1", "localhost", None):
        remote.append(url)


def ask(page, question: str):
    """Types the question, sends it, and returns the newest reply once it is final."""
    before = page.locator(ANSWER).count()
    page.fill("#question textarea", question)
    page.click("#ask")
    page.wait_for_function(
        "([selector, n]) => document.querySelectorAll(selector).length > n", arg=[ANSWER, before]
    )
    return page.locator(ANSWER).last


def shoot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_answer_cites_a_passage_that_opens_in_place(page):
    reply = ask(page, "What is the max message size in SQS?")
    assert "256 KB" in reply.inner_text()
    marker = reply.locator("details.cite summary").first
    assert marker.inner_text() == "[1]"
    card = reply.locator("details.cite .source-card").first
    assert not card.is_visible()
    marker.click()
    card.wait_for(state="visible")
    assert card.locator(".src-title").inner_text() == "Doc 100"
    assert card.locator(".src-path").inner_text() == "Messaging › Amazon SQS"
    assert "256 KB" in card.locator("mark").first.inner_text()
    panel = page.locator("#sources")
    assert "Sources of the last answer" in panel.inner_text() and "256 KB" in panel.locator("mark").first.inner_text()
    shoot(page, "chat")
    assert page.remote == [], "the app must not load anything from the internet"


def test_a_source_opens_in_browse_highlighted_in_its_section(page):
    ask(page, "What is the max message size in SQS?")
    page.click("#open-in-browse")
    page.locator("#section-text .line.hit").first.wait_for(state="visible")
    assert page.get_by_role("tab", name="Browse").get_attribute("aria-selected") == "true"
    assert page.locator("#section-text .crumbs .path").inner_text() == "Doc 100 › Messaging › Amazon SQS"
    assert "256 KB" in page.locator("#section-text .line.hit").all_inner_texts()[0]
    assert page.locator("#section-tree label.selected").inner_text().strip() == "Amazon SQS"


def test_out_of_corpus_question_is_refused_and_history_is_kept(page):
    ask(page, "What is the max message size in SQS?")
    reply = ask(page, "How do I bake sourdough bread at home?")
    assert "Not in the study material" in reply.inner_text()
    assert "Not in the study material" in page.locator("#sources").inner_text()
    assert page.locator("#chat .question").count() == 2
    page.click("#clear")
    page.wait_for_function("() => document.querySelectorAll('#chat .question').length === 0")


def test_markup_in_question_and_document_is_shown_as_text(page):
    question = "<script>alert('question')</script> What does the CloudFront console print?"
    reply = ask(page, question)
    assert page.locator("#chat .question").last.inner_text() == question
    assert SCRIPT in reply.inner_text()
    reply.locator("details.cite summary").first.click()
    assert SCRIPT in reply.locator(".source-card").first.inner_text()
    assert SCRIPT in page.locator("#sources").inner_text()
    shoot(page, "chat-markup")
    page.click("#open-in-browse")
    page.locator("#section-text .line.hit").first.wait_for(state="visible")
    assert SCRIPT in "\n".join(page.locator("#section-text .line.hit").all_inner_texts())
    assert page.locator("#chat script, #sources script, #section-text script, main img").count() == 0
    assert page.dialogs == []


def test_browse_shows_the_section_tree_and_the_text_of_a_section(page):
    page.get_by_role("tab", name="Browse").click()
    page.click("#browse-doc input")
    page.get_by_role("option", name="Doc 101").click()
    tree = page.locator("#section-tree")
    tree.get_by_text("Kinesis Shards").wait_for(state="visible")
    assert tree.locator("label").first.inner_text().strip().endswith("Section 1: Introduction")
    tree.get_by_text("Kinesis Shards").click()
    page.wait_for_function("() => document.querySelector('#section-text .crumbs')?.textContent.includes('Shards')")
    text = page.locator("#section-text").inner_text()
    assert "Doc 101 › Section 2: Data Streaming › Kinesis Shards" in text and "1MB/s in" in text
    shoot(page, "browse")


def test_browse_search_opens_the_hit_marked_and_its_permalink_opens_the_section(page, app_url):
    page.get_by_role("tab", name="Browse").click()
    page.fill("#browse-search textarea, #browse-search input", "message size")
    page.keyboard.press("Enter")
    result = page.locator("#browse-results label").first
    result.wait_for(state="visible")
    assert result.inner_text().startswith("Doc 100 › Messaging › Amazon SQS")
    result.click()
    page.locator("#section-text .line.hit mark").first.wait_for(state="visible")
    assert page.locator("#section-text .crumbs").inner_text().startswith("Doc 100 › Messaging › Amazon SQS")
    assert page.locator("#section-text .line.hit mark").all_inner_texts()[:2] == ["message", "size"]
    shoot(page, "browse-search")

    page.click("#browse-next")
    page.wait_for_function("() => document.querySelector('#section-text .crumbs')?.textContent.includes('SNS')")
    page.click("#browse-prev")
    page.wait_for_function("() => document.querySelector('#section-text .crumbs')?.textContent.includes('SQS')")

    href = page.locator("#section-text a.permalink").get_attribute("href")
    assert href == "?doc=100&section=Messaging+%3E+Amazon+SQS"
    page.goto(app_url)  # a fresh page on the Chat tab, then the shared link
    page.wait_for_selector("#question textarea")
    page.goto(app_url + href)
    page.wait_for_function("() => document.querySelector('#section-text .crumbs')?.textContent.includes('SQS')")
    assert page.get_by_role("tab", name="Browse").get_attribute("aria-selected") == "true"
    assert page.locator("#section-tree label.selected").inner_text().strip().endswith("Amazon SQS")
    page.locator("#section-text a.permalink").click()  # following the link itself lands on the same section
    page.wait_for_function("() => location.search.includes('section=Messaging')")
    page.wait_for_function("() => document.querySelector('#section-text .crumbs')?.textContent.includes('SQS')")


def test_a_practice_exam_runs_to_its_score(page):
    page.get_by_role("tab", name="Practice exam").click()
    page.fill("#exam-profile input", "browser")
    page.locator("#exam-n input[type=number]").fill("3")
    page.locator("#exam-n input[type=number]").press("Enter")
    page.click("#exam-start")
    page.wait_for_function("() => document.querySelector('#exam-status')?.textContent.includes('Question 1 of 3')")
    page.wait_for_function("() => /129:5\\d left/.test(document.querySelector('#exam-status')?.textContent)")  # ticks
    for number in range(3):
        current = f"Question {number + 1} of 3"  # not the whole status: the clock changes it every second
        page.wait_for_function("q => document.querySelector('#exam-status')?.textContent.includes(q)", arg=current)
        choice = page.locator("#exam-choice label").first
        if choice.is_visible():
            choice.click()
        else:
            page.fill("#exam-typed textarea, #exam-typed input", "1 MB")
        if number == 0:
            page.locator("#exam-flag input").check()  # flag the first: it comes back after the third
        page.click("#exam-next")
        page.wait_for_function("q => !document.querySelector('#exam-status')?.textContent.includes(q)", arg=current)
    page.wait_for_function("() => document.querySelector('#exam-status')?.textContent.includes('Review 1 of 1')")
    assert not page.locator("#exam-flag input").is_visible()
    assert page.locator("#exam-result .exam-score").count() == 0  # no feedback before the end
    page.click("#exam-end")
    page.wait_for_selector("#exam-result .exam-score")
    result = page.locator("#exam-result").inner_text()
    assert "/ 1000" in result and "Pass line 720" in result and "of 3 right" in result
    assert "Score" in page.locator("#exam-status").inner_text()
    shoot(page, "exam-result")
    assert page.dialogs == [] and page.remote == []


def test_a_quiz_card_is_answered_with_the_keyboard_and_sits_near_the_top_on_a_phone(browser, app_url):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.goto(app_url)
    page.get_by_role("tab", name="Quiz").click()
    page.fill("#quiz-profile input", "phone")
    page.click("#quiz-start")
    page.wait_for_function("() => document.querySelector('#quiz-status')?.textContent.includes('Card 1 of')")
    top = page.locator("#quiz-prompt").bounding_box()["y"] + page.evaluate("window.scrollY")
    assert top < 600, top  # the card first, the scope column below it
    choice = page.locator("#quiz-choice label").first
    if choice.is_visible():
        choice.click()
        page.keyboard.press("Enter")  # Enter checks …
    else:
        page.fill("#quiz-typed input", "1 MB")
        page.locator("#quiz-typed input").press("Enter")
    page.wait_for_selector("#quiz-feedback .quiz-feedback")
    page.locator("#quiz-status").click()
    page.keyboard.press("Enter")  # … and Enter goes on
    page.wait_for_function("() => document.querySelector('#quiz-status')?.textContent.includes('Card 2 of')")
    shoot(page, "quiz-phone")
    context.close()


def test_every_tab_opens_and_is_captured(page):
    for module in tab_modules():
        tab = page.get_by_role("tab", name=module.TITLE)
        tab.click()
        page.wait_for_function(
            "name => [...document.querySelectorAll('[role=tab]')].some("
            "t => t.textContent.trim() === name && t.getAttribute('aria-selected') === 'true')",
            arg=module.TITLE,
        )
        shoot(page, f"tab-{module.TAB_ID}")
    assert page.dialogs == [] and page.remote == []


def test_a_quiz_card_answered_wrong_shows_the_verdict_and_the_cited_line(page):
    page.get_by_role("tab", name="Quiz").click()
    page.fill("#quiz-profile input", "verdict")
    page.fill("#quiz-section input", "Amazon SQS")
    page.click("#quiz-start")
    page.wait_for_function("() => document.querySelector('#quiz-status')?.textContent.includes('Card 1 of')")
    choice = page.locator("#quiz-choice label")
    if choice.first.is_visible():
        options = choice.all_inner_texts()
        prompt = page.locator("#quiz-prompt").inner_text()
        choice.nth(next(i for i, text in enumerate(options) if text.split(" ", 1)[-1] not in prompt)).click()
        page.click("#quiz-check")
    else:
        page.fill("#quiz-typed input", "a wrong answer")
        page.locator("#quiz-typed input").press("Enter")
    feedback = page.locator("#quiz-feedback .quiz-feedback")
    feedback.wait_for(state="visible")
    verdict = feedback.locator(".quiz-verdict").inner_text()
    assert verdict[0] in "✓✗" and len(verdict) > 2
    card = feedback.locator(".source-card")
    assert card.locator(".src-title").inner_text() == "Doc 100"
    assert card.locator(".src-path").inner_text() == "Messaging › Amazon SQS"
    assert card.locator(".src-text mark").first.inner_text().strip()  # the answer, marked in its cited line
    page.locator("#quiz-mastery").wait_for(state="visible")  # seen a card: the chart appears
    shoot(page, "quiz-verdict")


@pytest.fixture(scope="module")
def evals_app_url(tmp_path_factory):
    """The app with its Evals tab reading and writing a temporary folder, on the tiny gold file."""
    import json

    from helpers.tiny_gold import GOLD

    from evals.harness import EvalPaths

    folder = tmp_path_factory.mktemp("evals-browser")
    settings = write_ui_corpus(folder, port=free_port())
    gold = folder / "gold.jsonl"
    gold.write_text("\n".join(json.dumps(item) for item in GOLD) + "\n")
    ingest(settings, progress=False)
    app = build_app(build_bot(settings), settings, eval_paths=EvalPaths(out=folder / "reports" / "latest", gold=gold))
    yield from serving(app, settings)


def test_an_eval_run_from_the_tab_shows_its_table_and_plots(browser, evals_app_url):
    context = browser.new_context(viewport={"width": 1360, "height": 900})
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.goto(evals_app_url)
    page.get_by_role("tab", name="Evals").click()
    page.locator("#evals-status").get_by_text("No eval results yet").wait_for(state="visible")
    page.click("#evals-run")
    page.locator("#evals-headline").wait_for(state="visible")
    headline = page.locator("#evals-headline").inner_text()
    assert "hit@1" in headline and "fact_recall" in headline
    assert "3 questions" in page.locator("#evals-status").inner_text()
    plot = page.locator("#evals-dev-by-type-plot")
    plot.wait_for(state="visible")
    page.wait_for_function("() => document.querySelector('#evals-dev-by-type-plot canvas, "
                           "#evals-dev-by-type-plot svg') !== null")  # Vega drew it
    assert page.locator("#evals-dev-report").is_visible()
    assert not page.locator("#evals-test").is_visible()  # no test split in this folder
    shoot(page, "evals-run")
    context.close()



PASSWORD = "correct-horse-battery"


@pytest.fixture(scope="module")
def login_url(tmp_path_factory):
    settings = write_ui_corpus(tmp_path_factory.mktemp("login"), port=free_port(), auth=f"ann:{PASSWORD}")
    ingest(settings, progress=False)
    app = build_app(build_bot(settings), settings)
    serve(app, launch_options(settings), prevent_thread_lock=True, quiet=True)
    yield f"http://127.0.0.1:{settings.port}/"
    app.close()


def test_behind_a_login_the_form_states_the_lock_rule_then_the_app_answers(browser, login_url):
    """The request guard lets the login page load its assets and, after login, every request of the app through
    (no 401 once logged in)."""
    context = browser.new_context(viewport={"width": 1360, "height": 900})
    page = context.new_page()
    page.set_default_timeout(20_000)
    refused = []
    page.on("response", lambda response: refused.append(response.url) if response.status == 401 else None)
    page.goto(login_url)
    page.get_by_text("After 5 wrong passwords").wait_for()
    page.locator("input[type=text]").first.fill("ann")
    page.locator("input[type=password]").fill("not-the-password")
    page.get_by_role("button", name="Login").click()
    page.get_by_text("Incorrect credentials").wait_for()
    page.locator("input[type=text]").first.fill("ann")
    page.locator("input[type=password]").fill(PASSWORD)
    refused.clear()
    page.get_by_role("button", name="Login").click()
    page.wait_for_selector("#question textarea")
    assert "256 KB" in ask(page, "What is the max message size in SQS?").inner_text()
    shoot(page, "chat-after-login")
    assert refused == []
    context.close()


def test_an_empty_question_gets_the_clis_hint_and_leaves_the_chat_as_it_was(page):
    page.fill("#question textarea", "   ")
    page.click("#ask")
    page.get_by_text("Please type a question about the study material.").wait_for()
    assert page.locator("#chat .question").count() == 0


@pytest.fixture(scope="module")
def llm_app_url(tmp_path_factory, llama_server):
    """The app answering with the real small model (the [local] extra) behind llama.cpp's server."""
    settings = write_ui_corpus(tmp_path_factory.mktemp("browser-llm"), port=free_port(), llm=SPEC,
                               llm_base_url=llama_server.url, llm_timeout=120.0, llm_idle_timeout=60.0)
    ingest(settings, progress=False)
    yield from serving(build_app(build_answering_with(settings, SPEC), settings), settings)


def test_a_real_model_streams_a_labelled_draft_then_the_checked_answer_says_who_answered(browser, llm_app_url):
    context = browser.new_context(viewport={"width": 1360, "height": 900})
    page = context.new_page()
    page.set_default_timeout(120_000)  # a 135M model on a busy 2-core machine
    page.goto(llm_app_url)
    page.wait_for_selector("#question textarea")
    assert SPEC in page.locator("#answerer").inner_text() or \
        page.locator("#answerer input").input_value() == SPEC  # the selector names the model in use
    page.fill("#question textarea", "What is the max message size in SQS?")
    page.click("#ask")
    draft = page.locator("#chat .answer.streaming")
    draft.wait_for(state="visible")
    assert "draft — being checked against the passages" in draft.inner_text()
    page.wait_for_selector(ANSWER)
    reply = page.locator(ANSWER).last.inner_text()
    # the model's checked sentences, named, or, when none survived the check, the extractive answer and why
    assert "answered by openai:smollm2" in reply or "showing the extractive answer" in reply
    assert page.locator("#chat .answer.streaming").count() == 0
    shoot(page, "chat-local-model")
    context.close()
