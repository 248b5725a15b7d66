"""Answer text as the quiz compares it: quantities with canonical units, names with close spellings.

Shared by card generation (is the answer visible in the prompt?) and grading (does the typed answer
match?), so both sides agree on what "the same answer" means.
"""

from __future__ import annotations

import re
from functools import lru_cache

from bot.amounts import quantities, spelled_amounts
from bot.text import STOPWORDS, edit_distance, words

VENDOR_WORDS = frozenset({"amazon", "aws"})
# Words too common in this material to give a name away ("Kinesis Data Streams" vs "data" in a prompt).
GENERIC_WORDS = frozenset("data service services managed management cloud per number system based type types".split())
@lru_cache(maxsize=32768)  # generation asks about the same passages and prompts many times
def name_key(text: str) -> str:
    """Words of a name without vendor prefixes, articles and punctuation: 'Amazon S3' -> 's3'."""
    return " ".join(w for w in words(text) if w not in VENDOR_WORDS and w not in {"the", "a", "an"})


def initials(name: str) -> str:
    """The first letters of a name's words, upper case: "Application Load Balancer" -> "ALB"."""
    return "".join(w[0] for w in re.findall(r"[A-Za-z][\w]*", name)).upper()


def similar_names(typed: str, expected: str) -> bool:
    """Close spelling of the same name: its digits must match exactly (SSE-S3 is not SSE-S2), and the
    letters allowed to differ grow with its length (none up to 3, one up to 7, two up to 14, then three)."""
    a, b = name_key(typed).replace(" ", ""), name_key(expected).replace(" ", "")
    if not a or not b:
        return False
    if a == b:
        return True
    if re.findall(r"\d+", a) != re.findall(r"\d+", b):
        return False
    allowed = typo_allowance(min(len(a), len(b)))
    return edit_distance(a, b, allowed) <= allowed


def typo_allowance(length: int) -> int:
    return 0 if length <= 3 else 1 if length <= 7 else 2 if length <= 14 else 3


def singular(token: str) -> str:
    """A plural s dropped: nodes -> node, but not class or gas."""
    return token[:-1] if len(token) > 3 and token.endswith("s") and not token.endswith("ss") else token


def _prefix(token: str) -> str:
    """A crude stem: plural dropped, then at most 5 letters (archive ~ archival, node ~ nodes)."""
    return singular(token)[:5]


@lru_cache(maxsize=32768)
def content_words(text: str) -> frozenset[str]:
    return frozenset(w for w in words(text) if w not in STOPWORDS and w not in VENDOR_WORDS)


def distinctive_words(answer: str, others: list[str]) -> set[str]:
    """Words of the answer that no other choice has: the ones that would give it away."""
    shared = set().union(*(content_words(o) for o in others)) if others else set()
    return {w for w in content_words(answer) if w not in shared and w not in GENERIC_WORDS}


def answer_visible(answer: str, prompt: str) -> bool:
    """The answer (as a name or as a quantity) can be read in the prompt."""
    key = name_key(answer)
    if key and re.search(rf"(?<![a-z0-9]){re.escape(key)}(?![a-z0-9])", name_key(prompt)):
        return True
    wanted = [q for q in quantities(answer) if q.unit]
    shown = quantities(spelled_amounts(prompt))  # "(or 11 9s)" beside the blank shows 99.999999999%
    return any(q.same_as(p) for q in wanted for p in shown)


def leaks(answer: str, prompt: str, others: list[str] = ()) -> bool:
    """Answer visible, or one of its distinctive words (or a word sharing its 5-letter stem) in the prompt."""
    if answer_visible(answer, prompt):
        return True
    if re.match(r"\s*\d", answer):
        return False  # a quantity: only its value with its unit gives it away, not the unit alone
    words_in_prompt = content_words(prompt)
    stems = {_prefix(w) for w in words_in_prompt}
    roots = {root(w) for w in words_in_prompt}
    for word in distinctive_words(answer, list(others)):
        if word.isdigit():
            continue
        if _prefix(word) in stems or (len(word) >= 4 and any(w.startswith(word) for w in words_in_prompt)):
            return True  # archive ~ archival, node ~ nodes, AUTO ~ automatically
        if len(root(word)) >= 5 and root(word) in roots:
            return True  # retention ~ retained, encryption ~ encrypted
    return False


_SUFFIXES = ("ations", "ation", "itions", "ition", "ions", "ion", "ments", "ment", "ings", "ing", "ed", "es", "al",
             "ive", "ity", "ence", "ance", "er", "ly", "s", "e")


@lru_cache(maxsize=32768)
def root(word: str) -> str:
    """A word's root for spotting a giveaway: one common suffix off, and the -ain/-ent alternation
    (retain, retained, retention -> retent; encrypted, encryption -> encrypt; archive, archival -> archiv)."""
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            word = word[: -len(suffix)]
            break
    return word[:-3] + "ent" if word.endswith("ain") else word
