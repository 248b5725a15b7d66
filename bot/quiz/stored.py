"""The built deck kept beside the index, so `studybot quiz` / `exam` and the app start without regenerating it.

Generating the deck (cleaning every document, making and filtering ~1,400 candidate cards, a BM25 pass) takes
3-4 s; reading it back takes milliseconds. The stored deck is named by a digest of everything it is made from —
the corpus folder's files, the code and data files of `bot/`, the chunking settings — so any change to those
builds a new one; a stored deck that cannot be read or written is simply built again.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from contextlib import suppress
from dataclasses import asdict
from pathlib import Path

from bot.quiz.cards import Card
from bot.quiz.deck import Deck, Rejected, build_deck
from bot.settings import ROOT, Settings

log = logging.getLogger(__name__)

FOLDER = "decks"
FORMAT = 1


def deck_digest(settings: Settings) -> str:
    """What the deck is made of: corpus files, bot/ code and data, chunking settings."""
    digest = hashlib.blake2b(f"{FORMAT} {settings.chunk_size} {settings.chunk_overlap}".encode(), digest_size=16)
    for root in (Path(settings.corpus_dir), ROOT / "bot"):
        for path in sorted(p for p in root.rglob("*") if p.is_file() and p.suffix != ".pyc"):
            digest.update(str(path.relative_to(root)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def stored_path(settings: Settings) -> Path:
    return Path(settings.index_dir) / FOLDER / f"deck-{deck_digest(settings)}.json"


def load_stored(path: Path) -> Deck | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return _deck_of(data)
    except (FileNotFoundError, NotADirectoryError):  # none stored yet, or no index folder to hold one
        return None
    except (OSError, ValueError, KeyError, TypeError) as err:
        log.warning("the stored deck %s cannot be read (%s); building it again", path, err)
        return None


def store(deck: Deck, path: Path) -> None:
    """Write `deck` atomically and remove decks made from older material. Best effort: a folder that cannot be
    written only means the next start builds the deck again."""
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial.write_text(json.dumps(_data_of(deck)), encoding="utf-8")
        os.replace(partial, path)
        for old in path.parent.glob("deck-*.json"):
            if old != path:
                old.unlink(missing_ok=True)
    except OSError as err:
        log.debug("could not store the deck in %s: %s", path.parent, err)
        with suppress(OSError):
            partial.unlink()


def _data_of(deck: Deck) -> dict:
    return {
        "format": FORMAT,
        "cards": [asdict(card) for card in deck.cards],
        "texts": [[doc_id, list(path), text] for (doc_id, path), text in deck.texts.items()],
        "docs": deck.docs,
        "exams": deck.exams,
        "rejected": [[asdict(r.card), r.reason] for r in deck.rejected],
        "seconds": deck.seconds,
    }


def _deck_of(data: dict) -> Deck:
    if data.get("format") != FORMAT:
        raise ValueError(f"format {data.get('format')!r}")
    return Deck(
        tuple(_card(c) for c in data["cards"]),
        {(doc_id, tuple(path)): text for doc_id, path, text in data["texts"]},
        dict(data["docs"]),
        dict(data["exams"]),
        tuple(Rejected(_card(card), reason) for card, reason in data["rejected"]),
        float(data["seconds"]),
    )


def _card(fields: dict) -> Card:
    return Card(**{k: tuple(v) if isinstance(v, list) else v for k, v in fields.items()})


def load_deck(settings: Settings) -> Deck:
    """The deck for `settings`: the stored one when it was made from the same material, else built and stored."""
    path = stored_path(settings)
    deck = load_stored(path)
    if deck is None:
        deck = build_deck(settings)
        store(deck, path)
    return deck
