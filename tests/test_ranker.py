"""The learned re-ranker: its features, its JSON trees, and the shipped model's provenance."""

import json
from dataclasses import replace

import numpy as np
import pytest

from bot.answer import line_rank
from bot.answer.line_rank import LINE_FEATURES
from bot.models import Chunk, Hit
from bot.search import rank
from bot.search.rank import FEATURES, LearnedRanker, LineSignals, features


def chunk(text: str, path=("Kinesis", "Data Streams"), position: int = 0) -> Chunk:
    return Chunk(f"100-{position}", "100", "Doc", path, text, position, 1)


def test_each_hit_gets_one_row_of_every_feature_with_gaps_to_the_best():
    hits = [Hit(chunk("Retention is 24 hours by default, up to 365 days.", position=0), 1.2, 0.7, 1, 2, 0.5, 0.8, 0.5),
            Hit(chunk("Shards carry the data.", ("Kinesis", "Shards"), 1), 0.9, 0.6, 2, None, 1.0, 0.4, 0.0, True)]
    lines = [LineSignals(0.6, 0.3, 0.9, True), LineSignals(0.2, -0.2, 0.0, False)]
    rows = features("How long does Kinesis keep data?", "", hits, lines, {"kinesi": 2.0, "keep": 1.0, "data": 0.5},
                    starts_section=lambda c: c.position == 0)
    assert rows.shape == (2, len(FEATURES))
    row = dict(zip(FEATURES, rows[1], strict=True))
    assert row["fused_gap"] == pytest.approx(0.9 - 1.2) and row["similarity_gap"] == pytest.approx(0.6 - 0.7)
    assert row["line_best_gap"] == pytest.approx(-0.9) and row["position"] == 1 and row["names_missed"] == 1
    assert row["lexical_rank"] == rank.MISSING_RANK and row["dense_rank"] == 2 and row["starts_section"] == 0
    first = dict(zip(FEATURES, rows[0], strict=True))
    assert first["intent_number"] == 1 and first["answer_type_found"] == 1  # "how long", and the line has amounts
    assert first["has_context"] == 0 and first["similarity_order"] == 0 and row["similarity_order"] == 1


def test_terms_only_the_earlier_turns_bring_are_counted_apart():
    hit = Hit(chunk("SQS keeps messages for 4 days."), 1.0, 0.5)
    rows = features("and how long are they kept?", "sqs", [hit], [LineSignals()], {"sqs": 3.0, "kept": 1.0},
                    starts_section=lambda c: False)
    row = dict(zip(FEATURES, rows[0], strict=True))
    assert row["has_context"] == 1 and row["context_coverage"] == 1.0


def test_the_json_trees_score_exactly_as_the_fitted_model():
    from sklearn.ensemble import GradientBoostingClassifier

    from evals.train import trees_json

    rng = np.random.default_rng(0)
    rows = rng.normal(size=(400, len(FEATURES)))
    labels = rows[:, 0] + 0.5 * rows[:, 3] * rows[:, 5] > 0.3
    model = GradientBoostingClassifier(n_estimators=30, max_depth=3, random_state=0).fit(rows, labels)
    ranker = LearnedRanker(json.loads(json.dumps(trees_json(model))))
    assert np.allclose(ranker.scores(rows), model.decision_function(rows))


def test_a_model_of_other_features_is_refused_and_the_bot_falls_back_to_the_hand_set_order(tmp_path, monkeypatch,
                                                                                             caplog):
    model = json.loads(rank.MODEL_FILE.read_text(encoding="utf-8"))
    with pytest.raises(ValueError, match="make train"):
        LearnedRanker(model | {"features": model["features"][:-1]})
    stale = tmp_path / "ranker.json"
    stale.write_text(json.dumps(model | {"features": ["something else"]}), encoding="utf-8")
    monkeypatch.setattr(rank, "MODEL_FILE", stale)
    rank.shipped_ranker.cache_clear()
    try:
        assert rank.shipped_ranker() is None
        assert "ranking by the hand-set weights" in caplog.text
    finally:
        monkeypatch.undo()
        rank.shipped_ranker.cache_clear()


@pytest.mark.parametrize("path, names", [(rank.MODEL_FILE, FEATURES), (line_rank.MODEL_FILE, LINE_FEATURES)],
                         ids=["ranker", "lines"])
def test_the_shipped_models_were_made_from_the_current_data_and_code(path, names):
    """Editing dev.jsonl, the notes or the feature code without `make train` fails here."""
    from evals.train import current_hash, main

    model = json.loads(path.read_text(encoding="utf-8"))
    assert model["source_hash"] == current_hash(), f"{path.name} is stale: run `make train`"
    assert model["trained_on"] == "evals/gold/dev.jsonl" and model["features"] == list(names)
    assert model["seed"] == 20261207 and main(["--check"]) == 0


@pytest.mark.slow
def test_make_train_rebuilds_the_shipped_model(real_settings, tmp_path):
    """Same data, code and seed: the same trees. Not byte for byte across machines: an index built elsewhere holds
    vectors that differ in the last float bits, enough to move a split threshold by 1e-8, not to change an order."""
    from evals.train import train

    model, groups = train(real_settings, tmp_path, show_test=False)
    shipped = json.loads(rank.MODEL_FILE.read_text(encoding="utf-8"))
    assert model["source_hash"] == shipped["source_hash"] and len(model["trees"]) == len(shipped["trees"])
    assert [t["feature"] for t in model["trees"]] == [t["feature"] for t in shipped["trees"]]
    new, old = LearnedRanker(model), LearnedRanker(shipped)
    same_first = [np.argmax(new.scores(g.rows)) == np.argmax(old.scores(g.rows)) for g in groups]
    assert np.mean(same_first) >= 0.99
    assert max(np.abs(new.scores(g.rows) - old.scores(g.rows)).max() for g in groups) < 0.05


@pytest.mark.slow
def test_the_bot_orders_candidates_by_the_learned_scores(real_bot):
    from bot.answer.studybot import StudyBot

    bot = StudyBot(real_bot.searcher, real_bot.answerer, replace(real_bot.settings, ranker="learned"))
    assert isinstance(bot.ranker, LearnedRanker)
    bot.ranking_log = []
    hits = bot.retrieve("What is the maximum retention period of a Kinesis data stream?")
    (_, _, candidates, rows), = bot.ranking_log
    scores = bot.ranker.scores(rows)
    assert [h.chunk.id for h in hits] == [candidates[i].chunk.id for i in np.argsort(-scores, kind="stable")[:5]]
    assert [h.score for h in hits] == sorted(scores, reverse=True)[:5]
    hand = StudyBot(real_bot.searcher, real_bot.answerer, replace(real_bot.settings, ranker="weights"))
    assert hand.ranker is None and hand.retrieve("What is the maximum retention period of a Kinesis data stream?")


@pytest.mark.slow
def test_learned_lines_answer_all_but_definitions_and_numbers(real_bot):
    """A how-to question's lines carry the line model's chance (0–1, not the hand-set score that adds a rank prior);
    a definition keeps opening with the subject's own section."""
    from bot.answer.extract import HAND_SET_INTENTS
    from bot.search.query import DEFINITION, HOWTO, NUMBER, intent_of

    chooser = real_bot.answerer.chooser
    assert chooser.line_model is not None and HAND_SET_INTENTS == {DEFINITION, NUMBER}
    question = "How can I make Athena queries cheaper?"
    assert intent_of(question) == HOWTO
    hits = real_bot.retrieve(question)
    units = chooser.learned_units(question, "", chooser.weights(question), HOWTO, hits, None)
    assert units and all(0 < u.score < 1 for u in units) and units == sorted(units, key=lambda u: -u.score)
    answer = real_bot.ask(question)
    assert any(u.text in answer.text for u in units[:4])
