"""`studybot` command line: ingest, ask, sections, eval, quiz, exam, serve-llm."""

from __future__ import annotations

import argparse
import json
import logging
import sys

from bot.settings import Settings


def _ingest(args, settings: Settings) -> int:
    from bot.ingest.index import ingest

    report = ingest(settings, rebuild=args.rebuild, progress=not args.quiet, wait=args.wait)
    print(report.summary())
    return 0


def _ask(args, settings: Settings) -> int:
    from bot.answer.llm import check_spec
    from bot.answer.studybot import build_answering_with
    from bot.search.question import clean_question

    # Everything a person can get wrong is checked before the ~5 s of loading the index and the model.
    clean_question(" ".join(args.question), settings.max_question_chars)
    if args.doc is not None:
        check_doc(args.doc, settings)
    spec = args.llm or settings.llm
    uses_llm = check_spec(spec) is not None
    bot = build_answering_with(settings, spec)  # the chat model (and its API key) first, then the index
    if uses_llm and not args.json:
        print(format_answer(stream_to_console(bot, " ".join(args.question), args.doc, sys.stderr)))
        return 0
    answer = bot.ask(" ".join(args.question), doc_id=args.doc)
    if args.json:
        print(json.dumps(answer.to_dict(), indent=2, ensure_ascii=False))
        return 0
    print(format_answer(answer))
    return 0


def stream_to_console(bot, question: str, doc_id: str | None, draft_out):
    """Show the model's tokens as they arrive on `draft_out` (stderr) under a "draft" heading; return the checked
    answer, which the caller prints to stdout: the draft may hold sentences the check removed, so it never
    goes where the answer goes."""
    from bot.answer.followup import stream_reply
    from bot.models import Answer

    answer, drafted = None, False
    for item in stream_reply(bot, question, doc_id=doc_id):
        if isinstance(item, Answer):
            answer = item
            continue
        if not drafted:
            draft_out.write(f"Draft from {bot.answerer.name} (being checked against the passages):\n")
            drafted = True
        draft_out.write(item)
        draft_out.flush()
    if drafted:
        draft_out.write("\n\nChecked answer:\n")
        draft_out.flush()
    return answer


def check_doc(doc_id: str, settings: Settings):
    """The manifest's document `doc_id`; ValueError naming the known ones when there is none."""
    from bot.ingest.load import read_manifest

    docs = {d.doc_id: d for d in read_manifest(settings.corpus_dir)}
    if doc_id not in docs:
        known = ", ".join(f"{i} ({d.title})" for i, d in docs.items())
        raise ValueError(f"unknown document {doc_id!r}; known: {known}")
    return docs[doc_id]


def format_answer(answer, text: bool = True) -> str:
    lines = [answer.text] if text else []
    if answer.note:
        lines.append(f"({answer.note})")
    if answer.citations:
        lines.append("")
        lines.append("Sources:")
        lines.extend(f"  [{c.marker}] {c.doc_title} — {c.section}" for c in answer.citations)
    elif answer.refused and answer.hits:
        lines.append("")
        lines.append("Closest sections:")
        seen = dict.fromkeys(f"{h.chunk.doc_title} — {h.chunk.section}" for h in answer.hits)
        lines.extend(f"  - {s}" for s in list(seen)[:3])  # three sections, not three passages of one section
    return "\n".join(lines)


def _sections(args, settings: Settings) -> int:
    from bot.ingest.load import CorpusError, read_text, section_tree, sections_of

    doc = check_doc(args.doc, settings)
    try:
        sections = sections_of(doc, read_text(doc))
    except CorpusError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(f"{doc.doc_id} {doc.title} ({len(sections)} sections)")
    for line in section_tree(sections):
        print("  " + line)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="studybot", description="Offline AWS study bot with cited answers.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log details")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("ingest", help="build or update the index from corpus/")
    p.add_argument("--rebuild", action="store_true", help="drop the index and embed everything again")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--wait", action="store_true", help="if another ingest is running, wait for it instead of stopping")
    p.set_defaults(run=_ingest)

    p = sub.add_parser("ask", help="answer a question with numbered sources")
    p.add_argument("question", nargs="+")
    p.add_argument("--doc", help="only this document id (000-004)")
    p.add_argument("--json", action="store_true", help="print the structured answer as JSON")
    p.add_argument("--llm", help="answer with a chat model: none, ollama:MODEL, openai:MODEL, provider:model")
    p.set_defaults(run=_ask)

    p = sub.add_parser("sections", help="print the section tree of a document")
    p.add_argument("doc", help="document id, e.g. 002")
    p.set_defaults(run=_sections)
    _add_optional_commands(sub)
    return parser


# Modules that add a subcommand through an `add_command(subparsers)` function.
COMMAND_MODULES = ("evals.harness", "bot.quiz.cli", "bot.quiz.exam_cli", "bot.answer.local_model")


def _add_optional_commands(sub) -> None:
    import importlib

    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as err:
            if err.name != name:
                raise
            continue
        module.add_command(sub)


def main(argv: list[str] | None = None) -> int:
    from bot.ingest.index import IndexUnavailable
    from bot.ingest.load import CorpusError
    from bot.search.question import QuestionError

    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s %(message)s")
    try:
        settings = Settings.from_env()
        return args.run(args, settings)
    except (QuestionError, IndexUnavailable, CorpusError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        sys.stderr.close()  # output piped into `head`: not an error
        return 0
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())



