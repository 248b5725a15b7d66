"""Follow-up retrieval: hit@k on multi-turn conversations, with and without rewriting the follow-ups.

    .venv/bin/python -m evals.followup                  # as typed vs heuristic rewriting
    .venv/bin/python -m evals.followup --llm ollama:llama3.2   # adds LLM rewriting
    .venv/bin/python -m evals.followup --misses         # list the turns each mode misses

The gold set (evals/gold/followup.jsonl) holds conversations of 2-3 turns; each turn names the document,
section path and a verbatim evidence span of its answer (plus `alt` places stating the same fact).
A turn is a hit when one of the top-k passages comes from that document and contains the evidence.
The history of each conversation holds the user's questions and the bot's extractive answers.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bot.settings import Settings
from bot.text import folded

GOLD = Path(__file__).parent / "gold" / "followup.jsonl"


@dataclass(frozen=True)
class Turn:
    kind: str  # first, follow-up, switch (what about X), standalone (new topic mid-conversation)
    question: str
    targets: tuple[tuple[str, str, str], ...]  # (doc, section, evidence): the gold place, then alternatives


@dataclass(frozen=True)
class Conversation:
    id: str
    topic: str
    turns: tuple[Turn, ...]


def load_gold(path: Path = GOLD) -> list[Conversation]:
    conversations = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        turns = tuple(
            Turn(t["kind"], t["question"], _targets(t))
            for t in row["turns"]
        )
        conversations.append(Conversation(row["id"], row.get("topic", ""), turns))
    return conversations


def _targets(turn: dict) -> tuple[tuple[str, str, str], ...]:
    return tuple((p["doc"], p["section"], p["evidence"]) for p in [turn, *turn.get("alt", [])])


def gold_problems(conversations: list[Conversation], corpus_dir: Path) -> list[str]:
    """Every evidence span must be verbatim (up to case and spacing) in the section it names."""
    from bot.ingest.load import load_corpus

    loaded, _ = load_corpus(corpus_dir)
    sections: dict[tuple[str, str], str] = {}
    for doc, secs in loaded.items():
        for s in secs:
            # a section's text includes its subsections ("1.3 SQS" holds "1.3 SQS > Standard")
            for depth in range(1, len(s.path) + 1):
                key = (doc.doc_id, " > ".join(s.path[:depth]))
                sections[key] = sections.get(key, "") + "\n" + s.text
    problems = []
    for conv in conversations:
        for number, turn in enumerate(conv.turns, start=1):
            for doc, section, evidence in turn.targets:
                text = sections.get((doc, section))
                if text is None:
                    problems.append(f"{conv.id} turn {number}: no section {doc} {section!r}")
                elif folded(evidence) not in folded(text):
                    problems.append(f"{conv.id} turn {number}: evidence not in {doc} {section!r}: {evidence!r}")
    return problems


def is_hit(hits, turn: Turn) -> bool:
    return any(
        h.chunk.doc_id == doc and folded(evidence) in folded(h.chunk.text)
        for h in hits
        for doc, _, evidence in turn.targets
    )


def run_mode(bot, conversations: list[Conversation], rewriter, k: int) -> list[dict]:
    """Each turn: how the rewriter read it given the history, and whether retrieval found the evidence."""
    from bot.answer.extractive import answer_with
    from bot.answer.followup import Reading

    rows = []
    for conv in conversations:
        history: list[tuple[str, str]] = []
        for number, turn in enumerate(conv.turns, start=1):
            reading = rewriter.read(turn.question, history) if history else Reading(turn.question)
            hits = bot.retrieve(reading.query, k=k, context=reading.context)
            rows.append({"conversation": conv.id, "turn": number, "kind": turn.kind, "question": turn.question,
                         "query": reading.shown, "hit": is_hit(hits, turn)})
            answer = answer_with(bot.answerer, reading.query, hits, bot.context_for(reading.query, reading.context))
            history += [("user", turn.question), ("assistant", answer.text)]
    return rows


def summarize(rows: list[dict]) -> dict[str, tuple[int, int]]:
    groups = {"all turns": rows, "later turns": [r for r in rows if r["turn"] > 1]}
    for kind in ("first", "follow-up", "switch", "standalone"):
        groups[kind] = [r for r in rows if r["kind"] == kind]
    return {name: (sum(r["hit"] for r in group), len(group)) for name, group in groups.items() if group}


def report(results: dict[str, list[dict]], k: int) -> str:
    summaries = {mode: summarize(rows) for mode, rows in results.items()}
    names = list(next(iter(summaries.values())))
    lines = ["| turns | n | " + " | ".join(f"hit@{k} {mode}" for mode in summaries) + " |",
             "|---|---|" + "---|" * len(summaries)]
    for name in names:
        n = next(iter(summaries.values()))[name][1]
        cells = [f"{s[name][0] / n:.0%} ({s[name][0]})" for s in summaries.values()]
        lines.append(f"| {name} | {n} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def misses(results: dict[str, list[dict]]) -> str:
    lines = []
    for mode, rows in results.items():
        lines.append(f"\n{mode} misses:")
        lines += [f"  {r['conversation']} t{r['turn']} [{r['kind']}] {r['question']!r} -> {r['query']!r}"
                  for r in rows if not r["hit"]]
    return "\n".join(lines)


def open_bot(settings: Settings):
    """The bot over the built index; builds one into a temporary folder when there is none (about a minute)."""
    from bot.answer.studybot import build_bot
    from bot.ingest.index import index_exists, ingest

    if not index_exists(settings):
        settings = Settings.from_env(index_dir=Path(tempfile.mkdtemp(prefix="studybot-followup-")))
        print(f"no index in the configured folder: building one in {settings.index_dir}", file=sys.stderr)
        ingest(settings, progress=False)
    return build_bot(settings)


def main(argv: list[str] | None = None) -> int:
    from bot.answer.followup import HeuristicRewriter, LLMRewriter, NoRewriter

    parser = argparse.ArgumentParser(prog="python -m evals.followup", description=__doc__.split("\n")[0])
    parser.add_argument("--gold", type=Path, default=GOLD)
    parser.add_argument("--llm", default="", help="also rewrite with this chat model, e.g. ollama:llama3.2")
    parser.add_argument("--k", type=int, default=5)
    parser.add_argument("--misses", action="store_true", help="list the turns each mode misses")
    parser.add_argument("--json", type=Path, help="write the per-turn rows here")
    args = parser.parse_args(argv)

    conversations = load_gold(args.gold)
    settings = Settings.from_env()
    problems = gold_problems(conversations, settings.corpus_dir)
    if problems:
        print("gold set problems:\n  " + "\n  ".join(problems), file=sys.stderr)
        return 1
    bot = open_bot(settings)
    modes = {"as typed": NoRewriter(), "with the conversation": HeuristicRewriter()}
    if args.llm:
        from bot.answer.llm import chat_model

        model = chat_model(args.llm, settings)
        modes[f"LLM rewrite ({args.llm})"] = LLMRewriter(model, settings.llm_idle_timeout, settings.llm_timeout)
    started = time.perf_counter()
    results = {mode: run_mode(bot, conversations, rewriter, args.k) for mode, rewriter in modes.items()}
    turns = sum(len(c.turns) for c in conversations)
    print(f"{len(conversations)} conversations, {turns} turns, k={args.k} "
          f"({time.perf_counter() - started:.1f} s)\n")
    print(report(results, args.k))
    if args.misses:
        print(misses(results))
    if args.json:
        args.json.write_text(json.dumps(results, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
