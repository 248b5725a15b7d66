"""`studybot eval`: run the real chain (and optionally the naive baseline) over a gold set."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

from bot.settings import ROOT, Settings
from evals.gold_io import load_gold, write_jsonl
from evals.metrics import score_item, summarize

DEFAULT_GOLD = ROOT / "evals" / "gold" / "dev.jsonl"
DEFAULT_OUT = ROOT / "evals" / "reports" / "latest"
HEADLINE = ("hit@1", "hit@{k}", "mrr@{k}", "fact_recall", "all_facts", "citation_accuracy",
            "refusal_recall", "false_refusal", "latency_p50_ms", "latency_p95_ms")

System = Callable[[str, int], dict]


def bot_system(bot) -> System:
    from bot.answer import QuestionError

    def run(question: str, k: int) -> dict:
        try:
            answer = bot.ask(question, k=k)
        except QuestionError as err:
            return {"answer": str(err), "refused": True, "contexts": [], "cited": []}
        return {
            "answer": answer.text,
            "refused": answer.refused,
            "contexts": [h.chunk.text for h in answer.hits],
            "cited": [c.text for c in answer.citations],
        }

    return run


def run_gold(system: System, gold: list[dict], k: int) -> tuple[list[dict], list[dict]]:
    """Run records in the schema's format, and the per-item scores."""
    records, scores = [], []
    for item in gold:
        started = time.perf_counter()
        result = system(item["question"], k)
        ms = (time.perf_counter() - started) * 1000
        record = {"id": item["id"], "answer": result["answer"], "refused": result["refused"],
                  "contexts": result["contexts"], "cited": result["cited"], "ms": round(ms, 2)}
        records.append(record)
        scores.append(score_item(item, record, k))
    return records, scores


def evaluate(system: System, gold: list[dict], k: int, out: Path) -> dict:
    records, scores = run_gold(system, gold, k)
    metrics = summarize(scores, k) | {"k": k}
    write_jsonl(out / "run.jsonl", records)
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2))
    (out / "scores.json").write_text(json.dumps(scores, indent=2))
    return metrics


def format_table(ours: dict, baseline: dict | None, k: int) -> str:
    names = [h.format(k=k) for h in HEADLINE]
    header = f"{'metric':<20}{'ours':>10}" + (f"{'baseline':>10}{'ratio':>8}" if baseline else "")
    rows = [header, "-" * len(header)]
    for name in names:
        mine = ours["overall"].get(name)
        row = f"{name:<20}{_fmt(mine):>10}"
        if baseline:
            theirs = baseline["overall"].get(name)
            ratio = f"{mine / theirs:.2f}x" if mine is not None and theirs else "-"
            row += f"{_fmt(theirs):>10}{ratio:>8}"
        rows.append(row)
    return "\n".join(rows)


def _fmt(value) -> str:
    return "-" if value is None else f"{value:.3f}" if value < 10 else f"{value:.1f}"


def format_breakdown(metrics: dict, key: str, k: int) -> str:
    rows = [f"{key:<14}{'n':>4}{'hit@1':>8}{f'hit@{k}':>8}{'facts':>8}{'refuse':>8}"]
    for name, m in metrics[key].items():
        refuse = m["refusal_recall"] if name == "unanswerable" else m["false_refusal"]
        rows.append(f"{name:<14}{m['items']:>4}{_fmt(m['hit@1']):>8}{_fmt(m[f'hit@{k}']):>8}"
                    f"{_fmt(m['fact_recall']):>8}{_fmt(refuse):>8}")
    return "\n".join(rows)


def _run(args, settings: Settings) -> int:
    from bot.answer import build_bot

    gold = load_gold(Path(args.gold))
    out = Path(args.out) if args.out else DEFAULT_OUT
    out.mkdir(parents=True, exist_ok=True)
    bot = build_bot(settings, _answerer(args, settings))
    ours = evaluate(bot_system(bot), gold, args.k, out)
    baseline = None
    if args.baseline:
        from evals.baseline import NaiveRag

        naive = NaiveRag(settings.corpus_dir, settings.index_dir / "baseline")
        baseline = evaluate(naive.run, gold, args.k, out / "baseline")
        baseline["ingest_seconds"] = naive.ingest_seconds
    print(format_table(ours, baseline, args.k))
    print()
    print(format_breakdown(ours, "by_type", args.k))
    print()
    print(format_breakdown(ours, "by_doc", args.k))
    if not args.no_report:
        from evals.report import write_report

        path = write_report(out, gold, ours, baseline)
        print(f"\nreport: {path}")
    print(f"run file and metrics: {out}")
    return 0


def _answerer(args, settings: Settings):
    spec = getattr(args, "llm", None) or "none"
    if spec == "none":
        return None
    from bot.llm import make_answerer

    return make_answerer(spec, settings)


def add_command(sub) -> None:
    p = sub.add_parser("eval", help="score the bot on a gold Q&A set")
    p.add_argument("--gold", default=str(DEFAULT_GOLD), help="gold JSONL file (shared/gold-schema.md)")
    p.add_argument("--out", help=f"output folder (default {DEFAULT_OUT.relative_to(ROOT)})")
    p.add_argument("--k", type=int, default=5, help="passages retrieved per question")
    p.add_argument("--baseline", action="store_true", help="also run the naive LangChain RAG and compare")
    p.add_argument("--llm", help="answer with this chat model ('provider:model'); default: extractive")
    p.add_argument("--no-report", action="store_true", help="skip the HTML report")
    p.set_defaults(run=_run)
