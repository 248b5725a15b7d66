"""The study bot, one package per stage of the pipeline over three shared modules.

    ui/, cli.py        the app's tabs and the `studybot` command (the top: they may use everything below)
    (evals/)           the eval harness, outside this package: the app's Evals tab and `studybot eval` run it
    quiz/              cards from the notes, grading, FSRS progress, the practice exam
    answer/            extractive answers, claim checks, chat-model answers, conversations, the LangChain chain
    search/            reading the question, hybrid retrieval (dense + BM25), the LangChain retriever
    ingest/            documents -> cleaned sections -> chunks -> vectors -> the Chroma store and its snapshot
    settings, models, text, amounts   shared by all: one settings object, the dataclasses between stages,
                                       tokenising, and reading quantities ("14 days", "1 MB/s")

Imports only point down this list; `make test` checks it (`lint-imports`, [tool.importlinter] in pyproject.toml).
"""
