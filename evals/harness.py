"""`studybot eval`: run the real chain (and optionally the naive baseline) over a gold set."""

from __future__ import annotations

import json
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bot.settings import ROOT, Settings
from evals.gold_io import GoldError, load_gold, write_jsonl
from evals.metrics import score_item, summarize
from evals.tables import breakdown_rows, fallback_warning, format_breakdown, format_table, headline_rows

DEFAULT_GOLD = ROOT / "evals" / "gold" / "dev.jsonl"
DEFAULT_OUT = ROOT / "evals" / "reports" / "latest"

System = Callable[[str, int, list[str]], dict]  # (question, k, earlier questions of the conversation)
Progress = Callable[[int, int, str], None]  # (done, total, what is running)


def bot_system(bot) -> System:
    """The bot as the harness runs it: earlier questions are answered in one conversation, the last is scored."""
    from bot.answer.followup import ask_in_conversation
    from bot.search.question import QuestionError

    def run(question: str, k: int, history: list[str] | None = None) -> dict:
        turns = []
        for earlier in history or []:
            try:
                reply = ask_in_conversation(bot, earlier, turns, k=k).text
            except QuestionError as err:
                reply = str(err)
            turns += [("user", earlier), ("assistant", reply)]
        started = time.perf_counter()
        try:
            answer = ask_in_conversation(bot, question, turns, k=k)
        except QuestionError as err:
            return {"answer": str(err), "refused": True, "contexts": [], "cited": []}
        return {
            "answer": answer.text,
            "refused": answer.refused,
            "contexts": [h.chunk.text for h in answer.hits],
            "cited": [c.text for c in answer.citations],
            "ms": (time.perf_counter() - started) * 1000,  # the scored turn only
            "answerer": answer.answerer,
            "fallback": answer.fallback,
            "dropped": list(answer.dropped),
            "claims": _model_claims(answer),
        }

    return run


def _model_claims(answer) -> int:
    """Sentences the chat model wrote and the check judged: the ones shown plus the ones dropped."""
    from bot.answer.support import split_claims

    shown = len(split_claims(answer.text)) if answer.answerer not in ("extractive", "") and not answer.refused else 0
    return shown + len(answer.dropped)


def run_gold(system: System, gold: list[dict], k: int,
             on_item: Callable[[int, int], None] | None = None) -> tuple[list[dict], list[dict]]:
    """Run records in the schema's format, and the per-item scores; `on_item(done, total)` after each item."""
    records, scores = [], []
    for done, item in enumerate(gold, start=1):
        started = time.perf_counter()
        result = system(item["question"], k, item.get("history") or [])
        ms = result.get("ms", (time.perf_counter() - started) * 1000)
        record = {"id": item["id"], "answer": result["answer"], "refused": result["refused"],
                  "contexts": result["contexts"], "cited": result["cited"], "ms": round(ms, 2),
                  "answerer": result.get("answerer", ""), "fallback": result.get("fallback", ""),
                  "dropped": result.get("dropped", []), "claims": result.get("claims", 0)}
        records.append(record)
        scores.append(score_item(item, record, k))
        if on_item is not None:
            on_item(done, len(gold))
    return records, scores


def evaluate(system: System, gold: list[dict], k: int, out: Path,
             on_item: Callable[[int, int], None] | None = None) -> dict:
    records, scores = run_gold(system, gold, k, on_item)
    metrics = summarize(scores, k) | {"k": k} | {"answering": answering(records)}
    write_jsonl(out / "run.jsonl", records)
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2))
    (out / "scores.json").write_text(json.dumps(scores, indent=2))
    return metrics


def answering(records: list[dict]) -> dict:
    """Who answered: items per answerer, the share that fell back (and why), the share of model sentences dropped."""
    fell_back = [r["fallback"] for r in records if r.get("fallback")]
    claims = sum(r.get("claims", 0) for r in records)
    reasons = Counter(_reason_kind(reason) for reason in fell_back)
    return {"by_answerer": dict(Counter(r.get("answerer", "") for r in records)),
            "fallback_rate": len(fell_back) / len(records) if records else 0.0,
            "fallback_reasons": dict(reasons.most_common()),
            "dropped_claim_rate": sum(len(r.get("dropped", [])) for r in records) / claims if claims else 0.0}


def _reason_kind(reason: str) -> str:
    """'LLM openai:gpt-4o failed: server error (HTTP 500)' → 'server error (HTTP 500)'."""
    if " failed: " in reason:
        return reason.split(" failed: ", 1)[1]
    if reason.startswith("no sentence of the answer"):
        return "no sentence supported by its passage"
    return reason


def evaluate_bot(bot, gold: list[dict], k: int, out: Path, settings: Settings, baseline: bool = False,
                 progress: Progress | None = None) -> tuple[dict, dict | None]:
    """Our metrics and, with `baseline`, the naive RAG's; run files written to `out` and `out/baseline`."""
    out.mkdir(parents=True, exist_ok=True)
    ours = evaluate(bot_system(bot), gold, k, out, _stage(progress, "our bot"))
    if not baseline:
        return ours, None
    from evals.baseline import NaiveRag

    if progress is not None:
        progress(0, len(gold), "indexing for the baseline")
    naive = NaiveRag(settings.corpus_dir, settings.index_dir / "baseline")
    theirs = evaluate(naive.run, gold, k, out / "baseline", _stage(progress, "baseline"))
    theirs["ingest_seconds"] = naive.ingest_seconds
    return ours, theirs


def _stage(progress: Progress | None, what: str) -> Callable[[int, int], None] | None:
    if progress is None:
        return None
    return lambda done, total: progress(done, total, what)


def _run(args, settings: Settings) -> int:
    from bot.answer.llm import check_spec
    from bot.answer.studybot import build_bot, with_llm

    gold = load_gold(Path(args.gold))
    spec = args.llm or "none"
    uses_llm = check_spec(spec) is not None  # a bad model string fails before the index is opened
    out = Path(args.out) if args.out else DEFAULT_OUT
    out.mkdir(parents=True, exist_ok=True)
    bot = build_bot(settings)
    if uses_llm:
        bot = with_llm(bot, spec)  # shares the index and the extractive fallback: nothing loaded twice
    ours, baseline = evaluate_bot(bot, gold, args.k, out, settings, args.baseline)
    warning = fallback_warning(ours) if uses_llm else ""
    if warning:
        print(f"warning: {warning}", file=sys.stderr)
    print(format_table(ours, baseline, args.k))
    a = ours["answering"]
    if uses_llm:
        print(f"fallback rate {a['fallback_rate']:.3f}, dropped-claim rate {a['dropped_claim_rate']:.3f}, "
              f"answered by {a['by_answerer']}")
    print()
    print(format_breakdown(ours, "by_type", args.k))
    print()
    print(format_breakdown(ours, "by_doc", args.k))
    if len(ours.get("by_style", {})) > 1:
        print()
        print(format_breakdown(ours, "by_style", args.k))
    if not args.no_report:
        from evals.report import write_report

        path = write_report(out, gold, ours, baseline)
        print(f"\nreport: {path}")
    print(f"run file and metrics: {out}")
    return 0


def add_command(sub) -> None:
    p = sub.add_parser("eval", help="score the bot on a gold Q&A set")
    p.add_argument("--gold", default=str(DEFAULT_GOLD), help="gold JSONL file (shared/gold-schema.md)")
    p.add_argument("--out", help=f"output folder (default {DEFAULT_OUT.relative_to(ROOT)})")
    p.add_argument("--k", type=int, default=5, help="passages retrieved per question")
    p.add_argument("--baseline", action="store_true", help="also run the naive LangChain RAG and compare")
    p.add_argument("--llm", help="answer with this chat model ('provider:model'); default: extractive")
    p.add_argument("--no-report", action="store_true", help="skip the HTML report")
    p.set_defaults(run=_run)


# --- The app's Evals tab. The bot package never names the question set: the paths live here. -------------


@dataclass(frozen=True)
class EvalPaths:
    """The question set the app's Evals tab runs, and the folder it reads and writes results in."""

    out: Path = DEFAULT_OUT
    gold: Path = DEFAULT_GOLD


class ResultsError(ValueError):
    """Results in the folder that cannot be read (a run interrupted mid-write, files edited by hand)."""


@dataclass(frozen=True)
class Results:
    """A finished eval as `studybot eval` (or the app) stored it."""

    out: Path
    ours: dict
    baseline: dict | None  # the newest baseline run in out/baseline, possibly older than ours
    finished: float  # when metrics.json was written, seconds since the epoch
    baseline_finished: float | None
    failures: list[dict]  # evals.report.failed_items

    @property
    def k(self) -> int:
        return self.ours.get("k", 5)

    def headline(self) -> list[tuple[str, ...]]:
        return headline_rows(self.ours, self.baseline, self.k)

    def breakdown(self, key: str) -> list[tuple]:
        return breakdown_rows(self.ours, key, self.k)


def latest_results(paths: EvalPaths | None = None) -> Results | None:
    """The results stored in `paths.out`, None when no eval has written there yet; ResultsError when unreadable."""
    from evals.report import failed_items

    paths = paths or EvalPaths()
    metrics, baseline = paths.out / "metrics.json", paths.out / "baseline" / "metrics.json"
    if not metrics.exists():
        return None
    try:
        try:
            gold = load_gold(paths.gold)
        except GoldError:
            gold = []  # failures are still listed, by id
        return Results(
            out=paths.out,
            ours=json.loads(metrics.read_text()),
            baseline=json.loads(baseline.read_text()) if baseline.exists() else None,
            finished=metrics.stat().st_mtime,
            baseline_finished=baseline.stat().st_mtime if baseline.exists() else None,
            failures=failed_items(paths.out, gold),
        )
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise ResultsError(f"cannot read the eval results in {paths.out}: {err}") from err


def run_dev_eval(bot, k: int = 5, baseline: bool = False, progress: Progress | None = None,
                 paths: EvalPaths | None = None) -> Results:
    """`studybot eval` on the dev set with an already-built bot (the app's): same files, report included.

    Raises GoldError when the question set cannot be read.
    """
    from evals.report import write_report

    paths = paths or EvalPaths()
    gold = load_gold(paths.gold)
    ours, theirs = evaluate_bot(bot, gold, k, paths.out, bot.settings, baseline, progress)
    if progress is not None:
        progress(len(gold), len(gold), "writing the report")
    write_report(paths.out, gold, ours, theirs)
    results = latest_results(paths)
    assert results is not None
    return results
