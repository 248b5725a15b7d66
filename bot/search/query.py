"""What a question asks for, and the text retrieval searches for it.

`Intent` is the kind of answer a question wants (a definition, a number, a comparison, a list, a how-to);
the extractive answerer picks lines by it. `Speller` fixes misspelled names against the corpus's own
vocabulary ("DynamoBD" → "dynamodb") and `expansions` says what abbreviations stand for ("KDF" →
"Kinesis Data Firehose") from `bot/data/aliases.tsv`. Both work on any wording, not on a fitted set.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from bot.ingest.lexicon import count_names
from bot.text import STOPWORDS, edit_distance, normalize, question_terms, stem, words

DATA = Path(__file__).parent.parent / "data"
ALIASES_FILE = DATA / "aliases.tsv"
CONCEPTS_FILE = DATA / "concepts.tsv"
SERVICES_FILE = DATA / "aws_names.txt"
CONTEXT_WEIGHT = 0.4  # terms carried from earlier turns count this much of a question's own terms

DEFINITION, NUMBER, COMPARISON, LIST, HOWTO, OTHER = "definition", "number", "comparison", "list", "howto", "other"

_COMPARISON = re.compile(r"\b(vs|versus|difference|differences|differ|differs|compare|compared|comparison)\b")
_LIST_NOUNS = ("types", "styles", "options", "kinds", "classes", "modes", "tiers", "methods", "ways", "strategies",
               "policies", "levels", "components", "features", "models", "categories", "approaches", "choices",
               "storage classes", "patterns", "steps")
_LIST = re.compile(r"\b(what|which|list|name)\b(?:\s+\w+){0,5}?\s+(" + "|".join(_LIST_NOUNS) + r")\b")
_NUMBER = re.compile(
    r"\bhow (long|many|much|big|large|fast|often|far|soon)\b|\b(max|maximum|min|minimum|limit|limits|largest|"
    r"biggest|smallest|default|size|retention|duration|timeout|latency|throughput|percentage|quota|capacity|"
    r"up to|at most|at least|cost per)\b"
)
_DEFINITION = re.compile(
    r"^(what\s+(is|are|'s|s)\b|whats\b|define\b|definition\b|explain\b|describe\b|tell me about\b)|"
    r"\b(used for|use of|purpose of|what does \w+(\s+\w+){0,3} do|what is \w+(\s+\w+){0,3} for)\b"
)
_HOWTO = re.compile(
    r"\b(how (do|can|should|would|to|could)|best way|recommend\w*|should (i|we|they|the|a)|which (service|feature|"
    r"option|solution|approach|aws)|cheaper|cheapest|faster|reduce|improve|optimi[sz]e|minimi[sz]e|speed up|"
    r"avoid|prevent|protect|secure|troubleshoot|fix|a company|needs? to|wants? to|must)\b"
)


def query_weights(idf: dict[str, float], question: str, context: str = "") -> dict[str, float]:
    """idf of each question term; terms only the context brings (earlier turns, expansions) count
    CONTEXT_WEIGHT as much. Retrieval and line choice weigh a question the same way. Terms keep the question's
    order (not a set's, which follows the process's hash seed), so ties and float sums come out the same in every
    run."""
    own = {t: idf.get(t, 0.0) for t in dict.fromkeys(question_terms(question))}
    carried = {t: CONTEXT_WEIGHT * idf.get(t, 0.0) for t in dict.fromkeys(question_terms(context)) if t not in own}
    return own | carried


def intent_of(question: str) -> str:
    """The kind of answer the question asks for; order matters (a 'what is the max…' wants a number)."""
    q = normalize(question).strip()
    if _COMPARISON.search(q):
        return COMPARISON
    if _LIST.search(q):
        return LIST
    if _NUMBER.search(q):
        return NUMBER
    if _HOWTO.search(q) and not re.match(r"^what\s+(is|are)\s+\w+(\s+\w+)?\s+used for", q):
        return HOWTO
    if _DEFINITION.search(q):
        return DEFINITION
    return OTHER


_SIDE_SPLIT = re.compile(r"\s+(?:vs\.?|versus|and|or|compared to|compared with|from)\s+")
_SIDE_FILLER = re.compile(
    r"^.*?\b(?:difference|differences|compare|comparison|differ|differs)\b(?:\s+(?:between|of|in))?\s*|"
    r"\b(?:when (?:should|would|do) (?:i|we|you) use|which (?:is|one is)|what(?:'s| is| are)? the)\b"
)


def comparison_sides(question: str) -> list[str]:
    """The two things compared: 'Kinesis Data Streams vs Firehose' → ['kinesis data streams', 'firehose']."""
    q = normalize(question).strip().rstrip("?.! ")
    q = _SIDE_FILLER.sub(" ", q)
    parts = [" ".join(p.split()) for p in _SIDE_SPLIT.split(q) if p.strip()]
    sides = [p for p in parts if any(t not in STOPWORDS for t in words(p))]
    return sides[:2] if len(sides) >= 2 else []


@lru_cache(maxsize=4)
def read_table(path: Path, lower: bool = True) -> dict[str, str]:
    """word<TAB>expansion lines of a data file ('#' comments); `lower`: the words lower-cased."""
    table = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#") and "\t" in line:
            word, expansion = line.split("\t", 1)
            table[word.strip().lower() if lower else word.strip()] = expansion.strip()
    return table


def load_aliases() -> dict[str, str]:
    return read_table(ALIASES_FILE)


@lru_cache(maxsize=1)
def load_service_names() -> tuple[str, ...]:
    lines = SERVICES_FILE.read_text(encoding="utf-8").splitlines()
    return tuple(line.strip() for line in lines if line.strip() and not line.startswith("#"))


@lru_cache(maxsize=512)
def service_pattern(name: str) -> re.Pattern:
    """A service name as a whole phrase; one-word names must be capitalised as AWS writes them ("Connect"),
    longer ones match in any case ("lake formation")."""
    body = r"\s+".join(re.escape(part) for part in name.split())
    flags = re.IGNORECASE if " " in name or not name[1:].islower() else 0
    return re.compile(rf"(?<![\w-]){body}(?![\w-])", flags)


def load_concepts() -> dict[str, str]:
    return read_table(CONCEPTS_FILE)


def expansions(text: str, known: frozenset[str] | set[str] = frozenset()) -> str:
    """What the abbreviations and everyday words of `text` stand for in the notes ('' when none).

    An abbreviation the notes use themselves (EMR, RDS) is left alone: spelling it out would only add words
    the passages do not have. Everyday words (cheaper → cost) are always expanded.
    """
    aliases, concepts = load_aliases(), load_concepts()
    lowered = normalize(text)
    found = re.findall(r"[a-z0-9][a-z0-9-]*[a-z0-9]|[a-z0-9]", lowered)
    extra = []
    for token in dict.fromkeys(found):
        expansion = concepts.get(token) or (aliases.get(token) if token not in known else None)
        if expansion and normalize(expansion) not in lowered and expansion not in extra:
            extra.append(expansion)
    return "; ".join(extra)


@dataclass(frozen=True)
class Correction:
    typed: str
    meant: str


class Speller:
    """Fixes misspelled names (services, features) against the names the corpus itself uses.

    Only words the corpus never uses are touched, and only towards a word the corpus writes capitalised
    (a name), within one edit (two for long words; a swap of two letters counts as one).
    """

    def __init__(self, texts: list[str]):
        counts: Counter[str] = Counter()
        capitalised: Counter[str] = Counter()
        for text in texts:
            count_names(text, counts, capitalised)
        self._learn(counts, capitalised)

    @classmethod
    def from_counts(cls, counts: dict[str, int], capitalised: dict[str, int]) -> Speller:
        """From the counts a `Lexicon` keeps: no passage is read again."""
        speller = cls.__new__(cls)
        speller._learn(counts, capitalised)
        return speller

    def _learn(self, counts: dict[str, int], capitalised: dict[str, int]) -> None:
        # a word the notes use once or twice beside a name they use far more ("Firehouse" / "Firehose")
        # is itself a slip of the notes, not a name to keep
        self.counts = counts
        self.known = {stem(w) for w in counts} | set(counts)
        self.names = {w: n for w, n in counts.items() if capitalised.get(w, 0) >= 3
                      and capitalised.get(w, 0) >= 0.5 * n and len(w) >= 4}
        self._by_length = _by_length(self.names)
        # frequent ordinary words ("snowball", "partition"): a one-letter slip in a long unknown word
        self.common = {w: n for w, n in counts.items() if n >= 8 and len(w) >= 6 and w not in self.names}
        self._common_by_length = _by_length(self.common)

    def correct(self, question: str) -> tuple[str, list[Correction]]:
        corrections = []

        def fix(match: re.Match) -> str:
            typed = match.group(0)
            meant = self.suggest(typed.lower())
            if meant is None:
                return typed
            corrections.append(Correction(typed, meant))
            return meant

        fixed = re.sub(r"\b[A-Za-z][A-Za-z0-9]{3,}\b", fix, question)
        return fixed, corrections

    def suggest(self, word: str) -> str | None:
        if word in STOPWORDS or len(word) < 5 or word in self.names or self._inflects_known(word):
            return None
        seen = max(self.counts.get(word, 0), self.counts.get(stem(word), 0))
        if seen > 2:
            return None
        budget = 1 if len(word) < 9 or seen else 2
        found = _closest(word, self.names, self._by_length, budget, min_count=10 * seen)
        if found is None and not seen and len(word) >= 6:
            found = _closest(word, self.common, self._common_by_length, 1)
        return found

    def _inflects_known(self, word: str) -> bool:
        """'redacted', 'leaderboards': an ordinary word whose stem the notes use is no misspelling."""
        return any(word.endswith(end) and self.counts.get(word[: -len(end)], 0) > 2 for end in _SUFFIXES)


def _by_length(words: dict[str, int]) -> dict[int, list[str]]:
    grouped: dict[int, list[str]] = {}
    for word in words:
        grouped.setdefault(len(word), []).append(word)
    return grouped


def _closest(word: str, counts: dict[str, int], by_length: dict[int, list[str]], budget: int,
             min_count: int = 0) -> str | None:
    """The nearest word within `budget` edits; ties go to the more frequent."""
    best: tuple[int, int, str] | None = None
    for length in range(len(word) - budget, len(word) + budget + 1):
        for candidate in by_length.get(length, ()):
            if counts[candidate] < min_count:
                continue
            distance = edit_distance(word, candidate, budget)
            if distance <= budget and (best is None or (distance, -counts[candidate], candidate) < best):
                best = (distance, -counts[candidate], candidate)
    return best[2] if best else None


_SUFFIXES = ("ing", "ed", "es", "s", "er", "ers", "ly", "d")


