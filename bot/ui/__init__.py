"""The study app: one Gradio tab per module of this package, all built around one StudyBot.

A tab module defines `TITLE`, `TAB_ID` and `build(ctx: AppContext)`, which lays out the tab's
components (inside its gr.Tab) and returns whatever other tabs may need from it; it may also define
`wire(ctx)`, called once every tab is built, to connect events across tabs (ctx.views, ctx.tabs).
"""

from __future__ import annotations

import importlib
import os
from types import ModuleType

# Before gradio is imported: no analytics calls, and the queue's per-request analytics summary (a pandas
# frame over up to 10,000 past events) recomputed every 1,000 requests instead of after each one.
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("GRADIO_ANALYTICS_CACHE_FREQUENCY", "1000")

import gradio as gr  # noqa: E402

from bot.answer.live import live_bot  # noqa: E402
from bot.answer.studybot import StudyBot  # noqa: E402
from bot.settings import Settings  # noqa: E402
from bot.ui.context import AppContext, Library  # noqa: E402

# Adding a tab: add its module here.
TAB_MODULES = (
    "bot.ui.chat",
    "bot.ui.browse",
    "bot.ui.quiz",
    "bot.ui.exam",
    "bot.ui.evals",
)


def tab_modules() -> list[ModuleType]:
    return [importlib.import_module(name) for name in TAB_MODULES]


def header(bot: StudyBot, library: Library) -> str:
    passages = len(getattr(bot.searcher, "chunks", []))
    source = f"{len(library.docs)} AWS certification cheat sheets ({passages:,} passages)"
    if bot.answerer.name == "extractive":
        how = f"Answers quoted from {source}, each with the section it came from. Offline: nothing leaves this machine."
    else:
        how = f"Answers by `{bot.answerer.name}` from {source}, each citing the section it came from."
    return f"# AWS study bot\n{how}"


def build_app(bot: StudyBot, settings: Settings, eval_paths=None) -> gr.Blocks:
    """`eval_paths` (an evals.harness.EvalPaths): where the Evals tab reads and runs its eval; None: evals/."""
    live = live_bot(bot, settings, settings.llm)
    ctx = AppContext(bot, settings, Library.from_settings(settings, lambda: live.generation), live=live,
                     eval_paths=eval_paths)
    modules = tab_modules()
    with gr.Blocks(title="AWS study bot") as app:
        ctx.app = app
        gr.Markdown(header(bot, ctx.library), elem_classes="app-header")
        with gr.Tabs() as ctx.tabs:
            for module in modules:
                with gr.Tab(module.TITLE, id=module.TAB_ID):
                    ctx.views[module.TAB_ID] = module.build(ctx)
        for module in modules:
            if hasattr(module, "wire"):
                module.wire(ctx)
    return app
