"""Tokenising shared by BM25, the extractive answerer, quiz grading and the eval metrics; section paths as shown."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from functools import lru_cache

_TOKEN = re.compile(r"[a-z0-9]+")
STOPWORDS = frozenset(
    """a an and are as at be been being but by can could did do does doing for from had has have how i if in
    into is it its itself me my of on or our should so than that the their them then there these they this
    those to too was we were what when where which while who whom why will with would you your yours about
    after before between both each few more most other over same some such under up very via also just
    use used using one any all get gets need needs i'm im whats what's tell explain""".split()
)


# ASCII is already NFKC; only its control characters need replacing (the common case, kept cheap).
_ASCII_CONTROLS = {code: " " for code in [*range(32), 127] if chr(code) not in "\n\t"}


def normalize(text: str) -> str:
    """NFKC, lower case, no control characters: the form every comparison works on."""
    if text.isascii():
        return text.translate(_ASCII_CONTROLS).lower()
    text = unicodedata.normalize("NFKC", text)
    text = "".join(ch if unicodedata.category(ch)[0] != "C" or ch in "\n\t" else " " for ch in text)
    return text.lower()


def folded(text: str) -> str:
    """Lower case, whitespace runs as one space, no edges: for comparing headings and spans as written."""
    return " ".join(text.lower().split())


def stem(token: str) -> str:
    if len(token) > 4 and token.endswith("ies"):
        return token[:-3] + "y"
    if len(token) > 3 and token.endswith("s") and not token.endswith(("ss", "us", "is")):
        return token[:-1]
    return token


def words(text: str) -> list[str]:
    """Lower-case word tokens, stop words kept (used for order-sensitive matching)."""
    return _TOKEN.findall(normalize(text))


def terms(text: str) -> list[str]:
    """Content terms for search: stop words dropped, plurals folded."""
    return [stem(t) for t in words(text) if t not in STOPWORDS]


@lru_cache(maxsize=1 << 16)
def term_set(text: str) -> frozenset[str]:
    """The set of `terms(text)`, cached: answer lines are scored again for every question."""
    return frozenset(terms(text))


# "how long", "how many" ask for a quantity: the second word is not a topic ("long" would match "long-running").
_QUANTITY_WORDS = frozenset({"long", "many", "much", "big", "often", "fast", "large", "far", "soon"})


def question_terms(question: str) -> list[str]:
    """Content terms of a question, without the quantity word of "how long / how many / …"."""
    tokens = words(question)
    kept = [t for i, t in enumerate(tokens) if not (t in _QUANTITY_WORDS and i > 0 and tokens[i - 1] == "how")]
    return [stem(t) for t in kept if t not in STOPWORDS]


def term_coverage(weights: dict[str, float], present: frozenset[str] | set[str]) -> float:
    """Share of the query's (idf) weight whose terms occur in a passage's term set."""
    total = sum(weights.values())
    return sum(w for t, w in weights.items() if t in present) / total if total else 0.0


def edit_distance(a: str, b: str, limit: int) -> int:
    """Optimal-string-alignment distance (a swap of neighbours is one edit); > limit once it must be."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, start=1):
            cost = 0 if ca == cb else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[-1]


PATH_SEPARATOR = " › "


def breadcrumb(doc_title: str, path: Sequence[str]) -> str:
    """"Document › section › subsection", a part that repeats the one before it shown once (the text before
    a document's first heading has the document's title as its path)."""
    parts: list[str] = []
    for part in (doc_title, *path):
        if part and (not parts or folded(part) != folded(parts[-1])):
            parts.append(part)
    return PATH_SEPARATOR.join(parts)
