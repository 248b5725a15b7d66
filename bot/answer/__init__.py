"""Answer: from ranked passages to a cited answer, and the bot that puts search and answering together.

    lines       a passage's answerable lines (`Unit`)
    disagree    amounts two documents give differently, for the answer and for Browse
    extract     choosing lines by the kind of answer asked (a number, a list, both sides of a comparison)
    extractive  the default answerer: chosen lines, cited, or a refusal; no model, no network
    support     does a cited passage support a sentence (the check on chat-model answers)
    prompt      the grounded prompt and the follow-up rewrite prompt
    llm         answers from any LangChain chat model: streamed, checked, falling back to the extractive one
    followup    a chat turn read with its conversation
    chain       the LangChain Runnable of a chat turn
    studybot    `StudyBot` and `build_bot`: the one chain the UI, the CLI and the evals share
    live        a bot that follows the index when an ingest swaps it
"""
