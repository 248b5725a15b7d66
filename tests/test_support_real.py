"""The claim checker on its hand-labelled pairs with the real model: the numbers the README reports hold."""

import json

from bot.settings import Settings
from evals.support import PAIRS, load_pairs, main


def test_every_pair_quotes_its_document_and_the_labels_are_balanced():
    from bot.ingest.load import read_manifest

    docs = {d.doc_id: d.path.read_text(encoding="utf-8") for d in read_manifest(Settings.from_env({}).corpus_dir)}
    pairs = load_pairs(PAIRS)
    assert len(pairs) >= 60 and len({p.id for p in pairs}) == len(pairs)
    assert all(p.passage in docs[p.doc_id] for p in pairs)
    supported = sum(p.supported for p in pairs)
    assert 0.4 <= supported / len(pairs) <= 0.6


def test_the_checker_keeps_its_measured_precision_and_recall(capsys):
    assert main(["--json"]) == 0
    results = json.loads(capsys.readouterr().out)
    report = results["report half"]
    assert report["precision"] >= 0.77 and report["recall"] >= 0.75, report  # README: 0.778 / 0.761
    assert results["by_kind"]["unrelated"]["judged_supported"] == 0
    assert results["by_kind"]["verbatim"]["judged_supported"] == results["by_kind"]["verbatim"]["pairs"]
