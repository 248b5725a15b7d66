"""Quiz mode: cards from the notes (deck, cards, choices, kinds, text), grading, FSRS progress, session, CLI."""
