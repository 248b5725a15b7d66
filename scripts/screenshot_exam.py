"""Screenshot of a practice-exam result on the real corpus, for the README (docs/app-exam.png).

Run: .venv/bin/python scripts/screenshot_exam.py   (needs the built index and /usr/bin/chromium)
Starts the app on a free port with a throwaway progress folder, takes a 10-question DEA-C01 exam answering
"A" to every choice question and leaving typed ones blank, and captures the result.
"""

from __future__ import annotations

import socket
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.answer import build_bot  # noqa: E402
from bot.settings import ROOT, Settings  # noqa: E402
from bot.ui import build_app  # noqa: E402
from bot.ui.serve import launch_options  # noqa: E402


def main() -> None:
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
                page.goto(f"http://127.0.0.1:{port}/")
                page.get_by_role("tab", name="Practice exam").click()
                page.locator("#exam-n input[type=number]").fill("10")
                page.locator("#exam-n input[type=number]").press("Enter")
                page.click("#exam-start")
                for number in range(1, 11):
                    page.wait_for_function(f"() => document.querySelector('#exam-status')?.textContent"
                                           f".includes('Question {number} of 10')")
                    choice = page.locator("#exam-choice label").first
                    if choice.is_visible():
                        choice.click()
                    page.click("#exam-next")
                page.wait_for_selector("#exam-result .exam-score")
                target = ROOT / "docs" / "app-exam.png"
                page.screenshot(path=str(target), full_page=True)
                print(f"wrote {target}")
                browser.close()
        finally:
            app.close()


if __name__ == "__main__":
    main()
