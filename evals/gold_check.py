"""Check a gold file against the cleaned corpus: every evidence span verbatim in the section it names.

    .venv/bin/python -m evals.gold_check evals/gold/dev.jsonl evals/gold/test.jsonl
    .venv/bin/python -m evals.gold_check --dump 003      # the cleaned text of a document, section by section
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bot.settings import Settings
from bot.text import folded
from evals.gold_io import GoldError, load_gold


def load_sections(corpus_dir: Path) -> dict[str, list]:
    from bot.ingest.load import load_corpus

    loaded, _ = load_corpus(corpus_dir)
    return {doc.doc_id: sections for doc, sections in loaded.items()}


def item_problems(item: dict, sections_by_doc: dict[str, list]) -> list[str]:
    """What is wrong with one gold item (empty when it is fine)."""
    where = item["id"]
    if item["type"] == "unanswerable":
        if item["facts"] or item["doc"] or item["section"] or item["evidence"]:
            return [f"{where}: an unanswerable item has empty facts, doc, section and evidence"]
        return []
    problems = []
    if not item["facts"]:
        problems.append(f"{where}: no facts")
    if item["doc"] not in sections_by_doc:
        return problems + [f"{where}: unknown doc {item['doc']!r}"]
    evidence = folded(item["evidence"])
    holders = [s for s in sections_by_doc[item["doc"]] if evidence and evidence in folded(s.text)]
    if not holders:
        return problems + [f"{where}: evidence not in cleaned document {item['doc']}: {item['evidence']!r}"]
    wanted = folded(item["section"]).rstrip(":")
    if not any(wanted in folded(" > ".join(s.path)) or any(folded(line).startswith(wanted) for line in s.lines)
               for s in holders):
        problems.append(f"{where}: section {item['section']!r} is not where the evidence is: "
                        f"{[' > '.join(s.path) for s in holders]}")
    if any(not folded(f.split("|")[0]) for f in item["facts"]):
        problems.append(f"{where}: an empty fact")
    history = item.get("history", [])
    if not isinstance(history, list) or not all(isinstance(q, str) and q.strip() for q in history):
        problems.append(f"{where}: history must be a list of questions")
    return problems


def file_problems(path: Path, sections_by_doc: dict[str, list]) -> list[str]:
    try:
        items = load_gold(path)
    except GoldError as err:
        return [str(err)]
    return [p for item in items for p in item_problems(item, sections_by_doc)]


def dump(doc_id: str, sections_by_doc: dict[str, list]) -> None:
    for section in sections_by_doc[doc_id]:
        print(f"\n### {' > '.join(section.path)}")
        print(section.text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evals.gold_check", description=__doc__.split("\n")[0])
    parser.add_argument("files", nargs="*", type=Path)
    parser.add_argument("--dump", metavar="DOC", help="print a document's cleaned sections instead")
    args = parser.parse_args(argv)
    sections_by_doc = load_sections(Settings.from_env().corpus_dir)
    if args.dump:
        dump(args.dump, sections_by_doc)
        return 0
    problems = [p for path in args.files for p in file_problems(path, sections_by_doc)]
    print("\n".join(problems) if problems else f"ok: {', '.join(map(str, args.files))}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
