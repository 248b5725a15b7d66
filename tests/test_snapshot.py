"""The start-up snapshot and the array-backed lexicon: same answers as reading the index, damage only costs time."""

import logging
import math
from collections import Counter

import numpy as np

from bot.answer.studybot import build_bot
from bot.ingest.index import _pointer, ingest, make_client, open_store, store_dir
from bot.ingest.lexicon import Lexicon, Postings
from bot.ingest.snapshot import snapshot_root
from bot.search.retrieve import BM25, HybridSearcher
from bot.text import question_terms, terms

QUESTIONS = ["What is the max message size in SQS?", "How long does Kinesis keep records?",
             "What is a DynamoDB partition key?", "Which queue keeps order?"]


def _snapshot_folder(settings):
    build = _pointer(make_client(settings))["build"]
    return snapshot_root(settings, store_dir(settings)) / build


def _answers(settings):
    bot = build_bot(settings)
    return [(a.text, [c.chunk_id for c in a.citations]) for a in map(bot.ask, QUESTIONS)]


def test_an_ingest_writes_a_snapshot_that_opening_uses(tiny_settings):
    ingest(tiny_settings, progress=False)
    folder = _snapshot_folder(tiny_settings)
    assert {"chunks.json", "vectors.npy", "lexicon.npz", "lexicon.json", "meta.json"} <= {
        p.name for p in folder.iterdir()}
    store = open_store(tiny_settings)
    assert store.lexicon is not None and len(store.lexicon.postings.lengths) == len(store.chunks)


def test_snapshot_and_index_give_the_same_searcher(tiny_settings):
    ingest(tiny_settings, progress=False)
    from_snapshot = open_store(tiny_settings)
    from_index = open_store(tiny_settings)
    from_index.chunks, from_index.vectors = _read_back(tiny_settings)
    from_index.lexicon = None  # built from the passages, as before snapshots
    assert [c.id for c in from_snapshot.chunks] == [c.id for c in from_index.chunks]
    assert np.allclose(from_snapshot.vectors, from_index.vectors, atol=1e-6)
    a, b = HybridSearcher(from_snapshot, tiny_settings), HybridSearcher(from_index, tiny_settings)
    assert a.bm25.idf == b.bm25.idf and a.speller.names == b.speller.names
    assert a.all_name_terms == b.all_name_terms and a.vocabulary == b.vocabulary
    for question in QUESTIONS:
        assert [(h.chunk.id, round(h.score, 9)) for h in a.search(question)] == \
               [(h.chunk.id, round(h.score, 9)) for h in b.search(question)]


def _read_back(settings):
    from bot.ingest.index import _read_collection

    client = make_client(settings)
    return _read_collection(client.get_collection(_pointer(client)["collection"]))


def test_a_damaged_or_missing_snapshot_is_ignored_and_made_again(tiny_settings, caplog):
    ingest(tiny_settings, progress=False)
    expected = _answers(tiny_settings)
    folder = _snapshot_folder(tiny_settings)
    for name in ("vectors.npy", "chunks.json", "lexicon.npz", "lexicon.json", "meta.json"):
        path = folder / name
        data = bytearray(path.read_bytes())
        data[len(data) // 2] ^= 0xFF  # one flipped byte: the checksum (or the parse) must catch it
        path.write_bytes(bytes(data))
        with caplog.at_level(logging.WARNING, logger="bot.ingest.snapshot"):
            assert _answers(tiny_settings) == expected, name
        assert "ignoring the start-up snapshot" in caplog.text, name
        caplog.clear()
        assert open_store(tiny_settings).lexicon is not None  # written again by the open that ignored it
    for path in folder.iterdir():
        path.unlink()
    folder.rmdir()
    assert _answers(tiny_settings) == expected
    assert folder.exists()


def test_each_ingest_keeps_only_its_own_snapshot(tiny_settings):
    ingest(tiny_settings, progress=False)
    first = _snapshot_folder(tiny_settings)
    queues = tiny_settings.corpus_dir / "queues.md"
    queues.write_text(queues.read_text() + "\n## Amazon MQ\n\nAmazon MQ is a managed broker for ActiveMQ.\n")
    ingest(tiny_settings, progress=False)
    second = _snapshot_folder(tiny_settings)
    assert second != first and not first.exists()
    assert [p.name for p in second.parent.iterdir()] == [second.name]
    assert any("ActiveMQ" in c.text for c in open_store(tiny_settings).chunks)


# --- the lexicon on its own -------------------------------------------------------------------------

TEXTS = ["SQS queues hold messages; SQS messages are up to 256 KB in SQS.",
         "Kinesis streams hold records for 24 hours, up to 365 days.",
         "FIFO queues keep the order of messages.",
         "Amazon SNS pushes messages to subscribers."]


def _dict_bm25(texts, query, k1=1.2, b=0.75):
    """BM25 written out the slow way, as the textbook has it."""
    docs = [Counter(terms(t)) for t in texts]
    average = sum(sum(d.values()) for d in docs) / len(docs)
    scores = [0.0] * len(docs)
    for term in set(question_terms(query)):
        frequency = sum(term in d for d in docs)
        if not frequency:
            continue
        idf = math.log(1 + (len(docs) - frequency + 0.5) / (frequency + 0.5))
        for i, d in enumerate(docs):
            if d[term]:
                norm = k1 * (1 - b + b * sum(d.values()) / average)
                scores[i] += idf * d[term] * (k1 + 1) / (d[term] + norm)
    return scores


def test_bm25_scores_match_the_textbook_formula():
    bm25 = BM25(TEXTS)
    for query in ["SQS message size", "how long do kinesis records stay", "queue order", "nothing matches"]:
        assert np.allclose(bm25.scores(query), _dict_bm25(TEXTS, query))


def test_bm25_top_orders_by_score_then_row_and_honours_a_mask():
    bm25 = BM25(TEXTS)
    scores = np.array([0.5, 0.0, 2.0, 0.5])
    assert bm25.top(scores, 2) == [(2, 2.0), (0, 0.5)]  # the tie at 0.5 goes to the earlier row
    assert bm25.top(scores, 9) == [(2, 2.0), (0, 0.5), (3, 0.5)]  # rows without a term never appear
    assert bm25.top(scores, 9, np.array([True, True, False, True])) == [(0, 0.5), (3, 0.5)]


def test_lexicon_survives_a_save_and_load(tmp_path):
    lexicon = Lexicon.build(TEXTS)
    lexicon.save(tmp_path)
    again = Lexicon.load(tmp_path)
    assert again.postings.terms == lexicon.postings.terms
    for name in ("starts", "rows", "counts", "lengths"):
        assert np.array_equal(getattr(again.postings, name), getattr(lexicon.postings, name))
    assert (again.word_counts, again.capitalised, again.acronyms) == \
           (lexicon.word_counts, lexicon.capitalised, lexicon.acronyms)
    assert lexicon.acronyms == frozenset({"sqs"})  # written three times; SNS and FIFO only once
    assert Postings.of(TEXTS).document_frequency()["message"] == 3  # passages, not occurrences


def test_mentions_finds_a_phrase_word_for_word_in_one_passage(tiny_settings):
    ingest(tiny_settings, progress=False)
    searcher = HybridSearcher(open_store(tiny_settings), tiny_settings)
    assert searcher.mentions("max message size") and searcher.mentions("Max MESSAGE Size")
    assert not searcher.mentions("size message max")  # every word is there, not in this order
    assert not searcher.mentions("Amazon MQ") and not searcher.mentions("")
    assert searcher.is_name("SQS") and not searcher.is_name("XYZ")


def test_a_snapshot_made_by_other_tokenising_code_is_made_again(tiny_settings, monkeypatch, caplog):
    from bot.ingest import snapshot

    ingest(tiny_settings, progress=False)
    monkeypatch.setattr(snapshot, "lexicon_code", lambda: "other-code")
    with caplog.at_level(logging.WARNING, logger="bot.ingest.snapshot"):
        store = open_store(tiny_settings)
    assert "made by other tokenising code" in caplog.text and store.lexicon is not None


def test_an_index_from_before_snapshots_gets_one_from_a_plain_ingest(tiny_settings):
    from bot.ingest.index import _set_pointer

    first = ingest(tiny_settings, progress=False)
    client = make_client(tiny_settings)
    active = _pointer(client)
    _set_pointer(client, active["collection"], active["count"], None)  # None deletes the build id
    assert "build" not in _pointer(client)
    again = ingest(tiny_settings, progress=False)
    assert again.embedded == 0 and again.unchanged
    assert _pointer(client)["build"] and _snapshot_folder(tiny_settings).exists()
    assert len(open_store(tiny_settings).chunks) == first.total


def test_only_the_ingest_that_made_a_build_prunes_the_others(tiny_settings):
    from bot.ingest.snapshot import read_snapshot, write_snapshot

    ingest(tiny_settings, progress=False)
    folder = _snapshot_folder(tiny_settings)
    current = read_snapshot(folder.parent, folder.name, len(open_store(tiny_settings).chunks))
    write_snapshot(folder.parent, "older-build", current)  # an app that fell back for a build being replaced
    assert folder.exists() and (folder.parent / "older-build").exists()
    write_snapshot(folder.parent, folder.name, current, prune=True)
    assert [p.name for p in folder.parent.iterdir()] == [folder.name]


def test_bm25_top_of_nothing_is_empty():
    assert BM25(TEXTS).top(np.array([1.0, 2.0, 0.0, 0.0]), 0) == []
