"""The built deck is stored beside the index and read back while nothing it is made from has changed."""

import logging

import pytest

from bot.quiz import stored
from bot.quiz.stored import deck_digest, load_deck, stored_path


def _refuse_to_build(settings):
    pytest.fail("the deck should have been read back, not built")


def test_the_stored_deck_reads_back_equal_and_is_not_built_again(tiny_settings, monkeypatch):
    built = load_deck(tiny_settings)
    assert built.cards and stored_path(tiny_settings).exists()
    monkeypatch.setattr(stored, "build_deck", _refuse_to_build)
    again = load_deck(tiny_settings)
    assert again == built and again.texts == built.texts and again.docs == built.docs
    assert again.exams == built.exams and again.rejected == built.rejected


def test_a_changed_note_builds_a_new_deck_and_drops_the_old(tiny_settings):
    first = load_deck(tiny_settings)
    old_path = stored_path(tiny_settings)
    queues = tiny_settings.corpus_dir / "queues.md"
    queues.write_text(queues.read_text().replace("256 KB", "1 MiB"))
    assert deck_digest(tiny_settings) not in old_path.name
    second = load_deck(tiny_settings)
    assert any("1 MiB" in c.answer for c in second.cards) and not any("1 MiB" in c.answer for c in first.cards)
    assert stored_path(tiny_settings).exists() and not old_path.exists()


def test_a_damaged_stored_deck_is_built_again_with_a_warning(tiny_settings, caplog):
    built = load_deck(tiny_settings)
    stored_path(tiny_settings).write_text("{not json", encoding="utf-8")
    with caplog.at_level(logging.WARNING):
        assert load_deck(tiny_settings).cards == built.cards
    assert "cannot be read" in caplog.text and stored_path(tiny_settings).read_text().startswith("{\"format\"")


def test_an_index_folder_that_cannot_hold_the_deck_still_gives_one(tiny_settings, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    settings = tiny_settings.__class__(**{**tiny_settings.__dict__, "index_dir": blocker})
    assert load_deck(settings).cards  # built each time instead of stored
