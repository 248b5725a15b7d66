"""Run by tests/test_leak.py in a fresh interpreter: the audit hook goes in before any project module is imported,
then ingest, build the bot and ask, extractively and through a chat model (a fake one: no network).

    python tests/leak_probe.py GOLD_FILE...     (STUDYBOT_* variables name the corpus and the index)

Prints one JSON line: how many files were opened, and every opened file whose bytes are a gold file's (by hash,
whatever its name or place) or that holds two or more gold questions verbatim. LEAK_PROBE_CONTROL=path opens that
file after the hook is in (the test's proof that a renamed copy is caught).
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import sys

MAX_BYTES = 20_000_000  # model weights and the like: no gold file is this big
QUESTIONS = ("What is the max message size in SQS?", "How long can data stay in a Kinesis stream?",
             "How do I bake sourdough bread?")


def gold_questions(texts: list[str]) -> set[str]:
    found = set()
    for text in texts:
        for line in text.splitlines():
            row = json.loads(line) if line.strip() else {}
            turns = row.get("turns") or [row]
            found.update(t["question"] for t in turns if len(t.get("question", "")) > 20)
    return found


def main(gold_files: list[str]) -> None:
    blobs = [open(path, "rb").read() for path in gold_files]  # read before the hook: these opens are the test's
    hashes = {hashlib.sha256(blob).hexdigest() for blob in blobs}
    questions = gold_questions([blob.decode("utf-8") for blob in blobs])
    checked: set[tuple] = set()
    opened: list[str] = []
    leaks: list[str] = []
    busy = [False]

    def inspect(path: str) -> None:
        try:
            info = os.stat(path)
        except OSError:
            return
        key = (path, info.st_mtime_ns, info.st_size)
        if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_BYTES or key in checked:
            return
        checked.add(key)
        with open(path, "rb") as handle:
            data = handle.read()
        if hashlib.sha256(data).hexdigest() in hashes:
            leaks.append(f"{path}: the bytes of a gold file")
            return
        text = data.decode("utf-8", errors="ignore")
        held = [q for q in questions if q in text]
        if len(held) >= 2:
            leaks.append(f"{path}: holds {len(held)} gold questions")

    def audit(event: str, args: tuple) -> None:
        if event != "open" or busy[0] or not args or not isinstance(args[0], str | bytes | os.PathLike):
            return
        busy[0] = True  # the hook's own open() raises this event again
        try:
            path = os.fsdecode(args[0])
            opened.append(path)
            inspect(path)
        finally:
            busy[0] = False

    sys.addaudithook(audit)

    control = os.environ.get("LEAK_PROBE_CONTROL")
    if control:
        with open(control, "rb") as handle:
            handle.read()

    from langchain_core.language_models import GenericFakeChatModel

    from bot.answer.studybot import build_bot, with_llm
    from bot.ingest.index import ingest
    from bot.settings import Settings

    settings = Settings.from_env()
    ingest(settings, progress=False)
    bot = build_bot(settings)
    extractive = [bot.ask(q).refused for q in QUESTIONS]
    calls = [0]

    def replies():
        while True:
            calls[0] += 1
            yield "Max message size is 256 KB [1]."

    chat = with_llm(bot, "fake:leak-probe", model=GenericFakeChatModel(messages=replies()))
    for question in QUESTIONS:
        chat.ask(question)
    print(json.dumps({"opened": len(opened), "leaks": leaks, "extractive_refused": extractive,
                      "model_calls": calls[0]}))


if __name__ == "__main__":
    main(sys.argv[1:])
