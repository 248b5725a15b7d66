"""Quiz deck benchmark: deck size, generation time and automatic card-quality measures.

    .venv/bin/python bench/quiz_deck.py                     # builds a throw-away index (~1 min)
    .venv/bin/python bench/quiz_deck.py --index-dir index   # reuses (and updates) an existing one

Specificity: each card's prompt (blank and quote marks removed; for multiple choice the question stem
only, not the options) is sent to the bot's own hybrid retriever; the card counts as specific when one of
the top 5 passages belongs to the card's source section (same document and section path).
Leak: the answer, or one of its accepted spellings, readable in the prompt (names whole-word after
dropping Amazon/AWS; quantities by value and unit, so 256KB = 256 KB = 0.25 MB is a leak).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.quiz.deck import build_deck, search_text  # noqa: E402
from bot.quiz.domains import DomainTagger  # noqa: E402
from bot.quiz.show import gives_away, header  # noqa: E402
from bot.quiz.text import answer_visible, leaks  # noqa: E402
from bot.settings import Settings  # noqa: E402


def deck_table(deck) -> list[str]:
    families = ["number", "definition", "service"]
    counts = Counter((c.doc_id, c.family) for c in deck.cards)
    kinds = Counter((c.doc_id, c.kind) for c in deck.cards)
    rows = ["| doc | title | " + " | ".join(families) + " | cloze | mcq | total |", "|---" * (len(families) + 5) + "|"]
    for doc_id, title in deck.docs.items():
        cells = [str(counts[doc_id, f]) for f in families] + [str(kinds[doc_id, "cloze"]), str(kinds[doc_id, "mcq"])]
        total = sum(counts[doc_id, f] for f in families)
        rows.append(f"| {doc_id} | {title} | " + " | ".join(cells) + f" | {total} |")
    totals = [str(sum(counts[d, f] for d in deck.docs)) for f in families]
    kind_totals = [str(sum(kinds[d, k] for d in deck.docs)) for k in ("cloze", "mcq")]
    rows.append("| all | | " + " | ".join(totals + kind_totals) + f" | {len(deck.cards)} |")
    return rows


def leak_shares(cards) -> tuple[float, float]:
    visible = sum(any(answer_visible(f, c.prompt) for f in (c.answer, *c.accepted)) for c in cards)
    worded = sum(c.family != "number" and leaks(c.answer, c.prompt, list(c.distractors)) for c in cards)
    return visible / max(len(cards), 1), worded / max(len(cards), 1)


def screen_leaks(deck) -> tuple[int, int]:
    """Cards whose screen (header + prompt, as shown) gives the answer away: now, and with the old header
    (document › full section path) that the terminal and the app showed before."""
    now = sum(gives_away(c, f"{header(c, deck.exam(c))}\n{c.prompt}") for c in deck.cards)
    old = sum(gives_away(c, f"{c.doc_title} › {c.section}\n{c.prompt}") for c in deck.cards)
    return now, old


def coverage(deck, loaded: dict, min_chars: int = 300) -> tuple[dict[str, tuple[int, int]], list[str]]:
    """Per document: (sections of min_chars+ with a card, such sections); and the catalogue services named on
    three or more lines of the notes (`loaded`: {SourceDoc: [Section]}) that no card asks about."""
    from bot.quiz.kinds import mentions

    carded = {(c.doc_id, c.section_path) for c in deck.cards}
    per_doc: dict[str, tuple[int, int]] = {}
    lines_naming: Counter = Counter()
    for doc, sections in loaded.items():
        big = [s for s in sections if len("\n".join(s.lines)) >= min_chars]
        per_doc[doc.doc_id] = (sum((doc.doc_id, s.path) in carded for s in big), len(big))
        for section in sections:
            for line in section.lines:
                lines_naming.update({service.name for service, _, _ in mentions(line)})
    asked = {service.name for c in deck.cards
             for service, _, _ in mentions(f"{c.answer} {c.prompt} {' '.join(c.section_path)}")}
    return per_doc, sorted(name for name, count in lines_naming.items() if count >= 3 and name not in asked)


EXPLAINED_LINES = 3  # a topic the notes explain: its keywords on at least this many lines of them


def topic_coverage(pool, tagger: DomainTagger, exam: str, lines: list[str], min_cards: int = 3) -> tuple[list, list]:
    """(explained topics with fewer than `min_cards` cards in the exam's deck `pool`, topics the notes' `lines` never
    explain): each as (topic, cards, lines)."""
    per_topic = Counter(t.id for c in pool if (t := tagger.topic(c, exam)) is not None)
    thin, unexplained = [], []
    for topic in tagger.guides[exam].topics:
        explained = sum(tagger.names_topic(topic, line) for line in lines)
        row = (topic, per_topic[topic.id], explained)
        if explained < EXPLAINED_LINES:
            unexplained.append(row)
        elif per_topic[topic.id] < min_cards:
            thin.append(row)
    return thin, unexplained


def specificity(cards, settings: Settings, k: int) -> tuple[list, float]:
    from bot.answer.studybot import build_bot

    searcher = build_bot(settings).searcher
    misses = []
    started = time.perf_counter()
    for card in cards:
        hits = searcher.search(search_text(card), k)
        if not any(h.chunk.doc_id == card.doc_id and h.chunk.section_path == card.section_path for h in hits):
            misses.append(card)
    return misses, time.perf_counter() - started


def share_by(cards, misses, key) -> dict:
    missed = Counter(key(c) for c in misses)
    total = Counter(key(c) for c in cards)
    return {name: 1 - missed[name] / total[name] for name in sorted(total)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index-dir", type=Path, help="existing index folder (default: build a temporary one)")
    parser.add_argument("--runs", type=int, default=3, help="deck generations to time")
    parser.add_argument("--k", type=int, default=5)
    parser.add_argument("--show-misses", type=int, default=10, help="print this many non-specific cards")
    args = parser.parse_args(argv)

    settings = Settings.from_env()
    times = []
    for _ in range(max(args.runs, 1)):
        deck = build_deck(settings)
        times.append(deck.seconds)
    later = times[1:] or times
    print(f"deck generation (load + clean + generate + filter): first build in a fresh process {times[0]:.2f} s "
          f"(what `studybot quiz` pays); {len(later)} more builds median {statistics.median(later):.2f} s")
    print(f"{len(deck.cards)} cards kept, {len(deck.rejected)} candidates rejected")
    print("\n".join(deck_table(deck)))
    reasons = Counter(r.reason.split(": ")[0] for r in deck.rejected)  # errata reasons go on with what is true now
    print("rejected:", dict(reasons.most_common()))
    visible, worded = leak_shares(deck.cards)
    candidates = list(deck.cards) + [r.card for r in deck.rejected]
    before, _ = leak_shares(candidates)
    print(f"leak: answer visible in prompt {visible:.3f} (candidates before filtering: {before:.3f}); "
          f"a distinctive word of the answer in the prompt {worded:.3f}")
    from bot.ingest.load import load_corpus

    loaded, _ = load_corpus(Path(settings.corpus_dir))
    per_doc, uncovered = coverage(deck, loaded)
    have, total = sum(h for h, _ in per_doc.values()), sum(t for _, t in per_doc.values())
    print(f"coverage: sections of 300+ chars with a card {have}/{total} = {have / total:.2f}; per document "
          + ", ".join(f"{d} {h}/{t}" for d, (h, t) in sorted(per_doc.items())))
    print(f"services named on 3+ lines without a card ({len(uncovered)}): {', '.join(uncovered)}")
    tagger = DomainTagger()
    for exam, guide in tagger.guides.items():
        cards = [c for c in deck.cards if deck.exam(c) == exam]
        spread = Counter(tagger.domain(c, exam) for c in cards)
        print(f"domains {exam} ({len(cards)} cards): " + ", ".join(
            f"{d.name} {spread[d.name]} ({spread[d.name] / max(len(cards), 1):.0%} vs {d.weight}%)"
            for d in guide.domains))
        if not guide.topics:
            continue
        pool = [c for c in deck.cards if tagger.studies_for(c, deck.exam(c), exam)]
        spread = Counter(tagger.domain(c, exam) for c in pool)
        print(f"  {exam} deck with other notes' cards on its topics ({len(pool)} cards): " + ", ".join(
            f"{d.name} {spread[d.name]} ({spread[d.name] / max(len(pool), 1):.0%})" for d in guide.domains))
        lines = [line.lower() for sections in loaded.values() for section in sections for line in section.lines]
        thin, unexplained = topic_coverage(pool, tagger, exam, lines)
        explained = len(guide.topics) - len(unexplained)
        print(f"  topics: {explained - len(thin)}/{explained} that the notes explain have 3+ cards "
              f"({(explained - len(thin)) / max(explained, 1):.0%}); {len(unexplained)} of {len(guide.topics)} "
              "the notes never explain")
        for topic, n, lines in thin:
            print(f"    thin: {topic.id} ({n} cards, {lines} lines) {topic.name}")
        for topic, _, lines in unexplained:
            print(f"    not in the notes: {topic.id} ({lines} lines) {topic.name}")
    now, old = screen_leaks(deck)
    print(f"leak on the card's screen (header + prompt as shown): {now} of {len(deck.cards)} cards "
          f"(with the old 'document › section path' header: {old})")

    with tempfile.TemporaryDirectory() as tmp:
        index_dir = args.index_dir or Path(tmp)
        settings = Settings.from_env(index_dir=index_dir)
        from bot.ingest.index import ingest

        report = ingest(settings, progress=False)
        print(f"index: {report.summary().splitlines()[0]} ({index_dir})")
        misses, seconds = specificity(deck.cards, settings, args.k)
    share = 1 - len(misses) / max(len(deck.cards), 1)
    print(f"specificity: prompt -> top-{args.k} holds the source section for {share:.3f} of cards "
          f"({len(deck.cards) - len(misses)}/{len(deck.cards)}; {seconds:.1f} s)")
    print("  by family:", {k: round(v, 3) for k, v in share_by(deck.cards, misses, lambda c: c.family).items()})
    print("  by doc:   ", {k: round(v, 3) for k, v in share_by(deck.cards, misses, lambda c: c.doc_id).items()})
    for card in misses[: args.show_misses]:
        print(f"  miss {card.id} [{card.section}] {card.prompt[:140]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
