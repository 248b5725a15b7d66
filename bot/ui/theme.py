"""Look of the app: a theme with bundled fonts only (nothing fetched from the internet) and our CSS."""

from __future__ import annotations

import gradio as gr

CSS = """
.app-header h1 { margin-bottom: 0; font-weight: 700; }
.app-header p { margin-top: .2em; color: var(--body-text-color-subdued); }

/* [n] markers: a <details> per marker, opening to its passage right under the line */
#chat details.cite { display: inline; }
#chat details.cite > summary {
  display: inline; list-style: none; cursor: pointer; font-weight: 600; font-size: .85em;
  color: var(--color-accent); padding: 0 .2em; border-radius: var(--radius-sm);
}
#chat details.cite > summary::-webkit-details-marker { display: none; }
#chat details.cite > summary:hover, #chat details.cite[open] > summary { background: var(--color-accent-soft); }
#chat details.cite > .source-card {
  display: block; margin: .35em 0 .5em; padding: .45em .75em; font-size: .92em;
  border-left: 3px solid var(--color-accent); background: var(--background-fill-secondary);
  border-radius: 0 var(--radius-md) var(--radius-md) 0;
}
.source-card .src-title { display: block; font-weight: 600; }
.source-card .src-path { display: block; color: var(--body-text-color-subdued); font-size: .9em; margin-bottom: .3em; }
.source-card .src-text { display: block; white-space: pre-wrap; }
.source-card mark, .section-view .line.hit { background: #fde68a; color: #1f2937; }
#chat .unit { margin: .15em 0; }
#chat .read-as { font-size: .85em; color: var(--body-text-color-subdued); margin-bottom: .3em; }
#chat .answer-note, .empty, .near { color: var(--body-text-color-subdued); font-size: .9em; }

.refusal-title { font-weight: 700; color: #b45309; }
#chat .refusal { border-left: 3px solid #f59e0b; padding: .2em .7em; }
#chat .notice { color: var(--body-text-color-subdued); font-style: italic; }
#chat .error, .error { color: #b91c1c; }
#chat .question, #chat .streaming { white-space: pre-wrap; }

.sources .sources-head { font-weight: 700; margin-bottom: .5em; }
.sources .source { display: flex; gap: .5em; padding: .6em 0; border-top: 1px solid var(--border-color-primary); }
.sources .src-marker { font-weight: 700; color: var(--color-accent); }
.sources .source-card { flex: 1; min-width: 0; }
.sources { max-height: 540px; overflow-y: auto; padding-right: .4em; }

/* the section tree and search results: a Radio shown as a vertical list; the page is their one scroll region */
.section-tree .wrap { flex-direction: column; flex-wrap: nowrap; gap: 1px; }
.section-tree label {
  flex-shrink: 0; width: 100%; padding: 3px 8px; white-space: pre; overflow: hidden; text-overflow: ellipsis;
  background: none; box-shadow: none; border: none; cursor: pointer;
}
.section-tree label:hover { background: var(--background-fill-secondary); }
.section-tree label.selected { background: var(--color-accent-soft); font-weight: 600; }
.section-tree input { position: absolute; opacity: 0; width: 1px; height: 1px; }
.section-tree label:focus-within { outline: 2px solid var(--color-accent); }
.section-view .crumbs { color: var(--body-text-color-subdued); margin-bottom: .6em; }
.section-view .permalink { margin-left: .8em; font-size: .9em; }
.disagreements ul { list-style: none; padding: 0; }
.disagreement { margin: .8em 0; padding-bottom: .6em; border-bottom: 1px solid var(--border-color-primary); }
.disagreement .what { font-weight: 600; }
.disagreement .side { margin: .3em 0 0 .8em; }
.disagreement .quote { color: var(--body-text-color-subdued); white-space: pre-wrap; }
.answer .disagree-note { margin-top: .5em; font-style: italic; }
.section-view .heading { margin: .8em 0 .3em; }
.section-view .line { white-space: pre-wrap; line-height: 1.5; }
.section-view .line.hit { border-radius: 2px; }
.section-view .more { margin-top: 1em; color: var(--body-text-color-subdued); font-style: italic; }

/* practice exam result */
.exam-result .exam-score { font-size: 2.4em; font-weight: 700; }
.exam-result .exam-score span { font-size: .45em; color: var(--body-text-color-subdued); font-weight: 400; }
.exam-result.pass .exam-score { color: #15803d; }
.exam-result.fail .exam-score { color: #b45309; }
.exam-result table.exam-domains { margin: .8em 0; border-collapse: collapse; }
.exam-result table.exam-domains td, .exam-result table.exam-domains th { padding: .2em .8em .2em 0; text-align: left; }
.exam-result .exam-missed li { margin-bottom: .6em; }
.exam-result .src-path { color: var(--body-text-color-subdued); font-size: .9em; }
.exam-history .head { font-weight: 600; margin-bottom: .4em; }
.exam-history .attempt { display: flex; align-items: center; gap: .6em; margin: .25em 0; font-size: .9em; }
.exam-history .when { width: 8.5em; color: var(--body-text-color-subdued); }
.exam-history .track { position: relative; flex: 1; height: .9em; background: var(--background-fill-secondary); }
.exam-history .bar { position: absolute; left: 0; top: 0; bottom: 0; background: #f59e0b; }
.exam-history .pass .bar { background: #16a34a; }
.exam-history .line { position: absolute; top: -2px; bottom: -2px; width: 2px; background: #1f2937; }
.exam-history .score { width: 2.5em; text-align: right; font-weight: 600; }
.quiz-summary { margin-top: .8em; padding: .5em .8em; border-left: 3px solid var(--color-accent);
  background: var(--background-fill-secondary); }

/* on a phone the card comes first, the scope and the mastery chart below it */
@media (max-width: 720px) {
  #quiz-layout, #exam-layout { flex-direction: column; }
  #quiz-card-column, #exam-card-column { order: -1; }
}
"""


# Enter checks the card (or goes on to the next one) when focus is not in a text field: a choice is picked with
# the arrow keys or a click, then Enter, Enter. Text fields submit on their own (see bot/ui/quiz.py).
KEYS_JS = """
() => {
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Enter" || event.shiftKey || event.isComposing) return;
    const target = event.target;
    if (target && (target.tagName === "TEXTAREA" || (target.tagName === "INPUT" && target.type !== "radio"))) return;
    for (const [column, buttons] of [["#quiz-card-column", ["#quiz-check", "#quiz-next"]],
                                     ["#exam-card-column", ["#exam-next"]]]) {
      const shown = document.querySelector(column);
      if (!shown || shown.offsetParent === null) continue;
      const button = buttons.map((id) => document.querySelector(id)).find((b) => b && !b.disabled);
      if (button) { event.preventDefault(); button.click(); return; }
    }
  });
}
"""


def theme() -> gr.themes.Base:
    # Bold (700) declared too: without it the browser mixes in glyphs of a fallback font.
    plex = gr.themes.LocalFont("IBM Plex Sans", weights=(400, 600, 700))
    return gr.themes.Default(primary_hue="orange", neutral_hue="slate", font=[plex, "ui-sans-serif", "sans-serif"])
