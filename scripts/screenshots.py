"""Screenshots of the app on the real corpus, for the README (docs/app-browse.png, app-quiz.png, app-evals.png,
app-exam.png, app-exam-scenario.png).

Run: .venv/bin/python scripts/screenshots.py [browse|quiz|evals|exam …]   (needs the built index, /usr/bin/chromium,
and for the Evals plots the results of `make eval` under evals/reports/)
Starts the app on a free port with a throwaway progress folder. Browse: a permalink opened, a search and one of
its hits, and "Where the notes disagree" opened; Quiz: a round on Kinesis, its first card answered wrong (the
verdict and the cited line); Evals: the tab as it loads; Practice exam: a 10-question
DEA-C01 exam answering "A" to every choice question and leaving typed ones blank, then its result; Scenario: the
first scenario question of two lines or more in such an exam, an option picked; local-model
(docs/app-chat-local-model.png; STUDYBOT_LLM and STUDYBOT_LLM_BASE_URL set to a running model server, e.g. `make
serve-llm`): a chat answer.
"""

from __future__ import annotations

import socket
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.answer.studybot import build_bot  # noqa: E402
from bot.settings import ROOT, Settings  # noqa: E402
from bot.ui import build_app  # noqa: E402
from bot.ui.serve import launch_options  # noqa: E402

DOCS = ROOT / "docs"


def browse(page, url: str) -> None:
    page.goto(url + "?doc=003&section=1.%20Data%20collection%20%3E%201.3%20SQS")
    page.wait_for_function("() => document.querySelector('#section-text .crumbs')?.textContent.includes('SQS')")
    page.fill("#browse-search textarea, #browse-search input", "SQS retention")
    page.keyboard.press("Enter")
    page.locator("#browse-results label").first.wait_for(state="visible")
    page.locator("#browse-results label").nth(2).click()
    page.locator("#section-text .line.hit mark").first.wait_for(state="visible")
    page.locator("#notes-disagree button").first.click()
    page.locator(".disagreement").first.wait_for(state="visible")
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(DOCS / "app-browse.png"), full_page=True)


def quiz(page, url: str) -> None:
    page.goto(url)
    page.get_by_role("tab", name="Quiz").click()
    page.fill("#quiz-section input", "Kinesis")
    page.click("#quiz-start")
    page.wait_for_function("() => document.querySelector('#quiz-status')?.textContent.includes('Card 1 of')")
    choice = page.locator("#quiz-choice label")
    if choice.first.is_visible():
        choice.last.click()
        page.click("#quiz-check")
    else:
        page.fill("#quiz-typed input", "I do not know")
        page.locator("#quiz-typed input").press("Enter")
    page.locator("#quiz-feedback .quiz-feedback").wait_for(state="visible")
    page.locator("#quiz-mastery").wait_for(state="visible")
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(DOCS / "app-quiz.png"), full_page=True)


def evals(page, url: str) -> None:
    page.goto(url)
    page.get_by_role("tab", name="Evals").click()
    page.wait_for_timeout(4000)  # the tab's tables and plots render after the click
    page.screenshot(path=str(DOCS / "app-evals.png"), full_page=True)


def _start_exam(page, url: str, questions: int = 10) -> None:
    page.goto(url)
    page.get_by_role("tab", name="Practice exam").click()
    page.locator("#exam-n input[type=number]").fill(str(questions))
    page.locator("#exam-n input[type=number]").press("Enter")
    page.click("#exam-start")


def _at_question(page, number: int, questions: int = 10) -> None:
    page.wait_for_function(f"() => document.querySelector('#exam-status')?.textContent"
                           f".includes('Question {number} of {questions}')")


def exam(page, url: str) -> None:
    _start_exam(page, url)
    for number in range(1, 11):
        _at_question(page, number)
        choice = page.locator("#exam-choice label").first
        if choice.is_visible():
            choice.click()
        page.click("#exam-next")
    page.wait_for_selector("#exam-result .exam-score")
    page.screenshot(path=str(DOCS / "app-exam.png"), full_page=True)


def scenario(page, url: str) -> None:
    """The first scenario question of two lines or more in a 10-question DEA-C01 exam, an option picked."""
    _start_exam(page, url)
    for number in range(1, 11):
        _at_question(page, number)
        prompt = page.locator("#exam-prompt").inner_text()
        if "meets the need" in prompt and len(prompt) > 140:
            page.locator("#exam-choice label").nth(1).click()
            page.locator("#exam-card-column").screenshot(path=str(DOCS / "app-exam-scenario.png"))
            return
        page.click("#exam-next")
    raise RuntimeError("no scenario question in 10")


def local_model(page, url: str) -> None:
    """A chat answer from the configured model (the draft label while it streams, then the checked answer)."""
    page.goto(url)
    page.wait_for_selector("#question textarea")
    page.fill("#question textarea", "What is the maximum size of a message in Amazon SQS?")
    page.click("#ask")
    page.wait_for_selector("#chat .answer:not(.streaming), #chat .refusal", timeout=180_000)
    page.screenshot(path=str(DOCS / "app-chat-local-model.png"), full_page=True)


TAKES = {"browse": browse, "quiz": quiz, "evals": evals, "exam": exam, "scenario": scenario, "local-model": local_model}


def main(names: list[str]) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with tempfile.TemporaryDirectory() as data:
        settings = Settings.from_env(data_dir=Path(data), port=port)
        app = build_app(build_bot(settings), settings)
        app.launch(prevent_thread_lock=True, quiet=True, **launch_options(settings))
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
                page = browser.new_page(viewport={"width": 1360, "height": 1000})
                page.set_default_timeout(60_000)
                url = f"http://127.0.0.1:{port}/"
                for name in names or [t for t in TAKES if t != "local-model" or settings.llm != "none"]:
                    TAKES[name](page, url)
                    print(f"took {name}")
                browser.close()
        finally:
            app.close()


if __name__ == "__main__":
    main(sys.argv[1:])
