"""Checking a model's answer claim by claim: a sentence is shown only when a passage it cites supports it.

`check_citations` keeps the markers that name a passage the model was shown; `split_claims` cuts the answer
into sentences with their markers; `SupportChecker` decides, per sentence and cited passage, whether the
passage says what the sentence says. Hard rules first (every number, name and negation of the sentence must
be in the passage), then word support (idf-weighted share of the sentence's terms in the passage) or, for a
paraphrase, meaning support (embedding similarity to the passage's best line) with some word support. The
thresholds come from `evals/support/pairs.jsonl`, a hand-labelled set (`python -m evals.support`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from bot.search.query import load_aliases
from bot.text import normalize, stem, terms, words

# ---------------------------------------------------------------- citation markers

_GROUP = re.compile(r"\s*\[(\s*\d+(?:\s*(?:,|;|-|–)\s*\d+)*\s*)\]")
_MARKER = re.compile(r"\s*\[(\d+)\]")
_THINK = re.compile(r"<think>.*?(</think>|$)", re.DOTALL | re.IGNORECASE)


@dataclass(frozen=True)
class CitationCheck:
    text: str  # the answer with invalid markers removed and groups written as [1][2]
    valid: tuple[int, ...]  # passage numbers cited, in order of first use
    dropped: tuple[int, ...]  # numbers that point at no passage


def _numbers(group: str) -> list[int]:
    numbers: list[int] = []
    for part in re.split(r"[,;]", group):
        bounds = [int(b) for b in re.split(r"[-–]", part) if b.strip()]
        if len(bounds) == 2 and 0 <= bounds[1] - bounds[0] <= 10:
            numbers.extend(range(bounds[0], bounds[1] + 1))
        else:
            numbers.extend(bounds)
    return numbers


def check_citations(text: str, count: int) -> CitationCheck:
    """Keep markers 1..count, drop the rest; [1, 3] and [1-2] are expanded to [1][3] and [1][2]."""
    valid: list[int] = []
    dropped: list[int] = []

    def fix(match: re.Match) -> str:
        numbers = _numbers(match.group(1))
        good = [n for n in dict.fromkeys(numbers) if 1 <= n <= count]
        dropped.extend(n for n in numbers if not 1 <= n <= count and n not in dropped)
        valid.extend(n for n in good if n not in valid)
        lead = " " if match.group(0)[:1].isspace() and good else ""
        return lead + "".join(f"[{n}]" for n in good)

    cleaned = re.sub(r"(\[\d+\])(?:\1)+", r"\1", _GROUP.sub(fix, text))  # [1][1] -> [1]
    return CitationCheck(cleaned.strip(), tuple(valid), tuple(dropped))


def strip_reasoning(text: str) -> str:
    """Reasoning models may put <think>…</think> before the answer: it is not part of the answer."""
    return _THINK.sub("", text).strip()


_MATERIAL = r"(?:passages?|notes|(?:study )?material|context|sources?|documents?)"
_NOT_COVERED = re.compile(
    rf"not in the {_MATERIAL}|{_MATERIAL} (?:do|does|did) ?n[o']t (?:cover|mention|say|state|contain|include|"
    rf"answer|address|discuss)|{_MATERIAL} (?:are|is) silent|no (?:information|mention|details?) .{{0,60}}in the "
    rf"{_MATERIAL}|\bi (?:could|can) ?n[o']?t (?:find|answer)|\bi (?:could ?not|couldn't|can ?not|can't) find"
)


def says_not_covered(text: str) -> bool:
    """A refusal in any wording ("That is not in the study material", "The passages do not mention …"); a fact
    stated with "does not cover" ("Savings Plans do not cover RDS") is no refusal."""
    return bool(_NOT_COVERED.search(normalize(text).replace("’", "'")))


# ---------------------------------------------------------------- claims


@dataclass(frozen=True)
class Claim:
    text: str  # the sentence as written, with its markers
    cited: tuple[int, ...]  # passage numbers it cites
    line: int = 0  # the line of the answer it is on (list items stay on lines of their own)

    @property
    def plain(self) -> str:
        return " ".join(_MARKER.sub("", self.text).split())


# a sentence ends at . ! ? (and the markers right after it) before a space and a capital, digit or quote
_SENTENCE_END = re.compile(r"[.!?](?:\s*\[\d+\])*(?=\s+[\"'(*A-Z0-9])")


def split_claims(text: str) -> list[Claim]:
    """The sentences (and list items) of an answer, each with the passage numbers it cites."""
    claims = []
    for number, line in enumerate(text.splitlines()):
        start = 0
        pieces = []
        for end in _SENTENCE_END.finditer(line):
            pieces.append(line[start:end.end()])
            start = end.end()
        pieces.append(line[start:])
        claims.extend(Claim(p.strip(), tuple(dict.fromkeys(int(n) for n in _MARKER.findall(p))), number)
                      for p in pieces if re.search(r"\w", _MARKER.sub("", p)))
    return claims


def join_claims(claims: Sequence[Claim]) -> str:
    """The claims kept, on the lines they were written on."""
    lines: dict[int, list[str]] = {}
    for claim in claims:
        lines.setdefault(claim.line, []).append(claim.text)
    return "\n".join(" ".join(parts) for _, parts in sorted(lines.items()))


# ---------------------------------------------------------------- support

NUMBER_WORDS = {"zero": "0", "one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6",
                "seven": "7", "eight": "8", "nine": "9", "ten": "10", "eleven": "11", "twelve": "12",
                "hundred": "100", "thousand": "1000", "single": "1", "double": "2", "twice": "2"}
_NUMBER = re.compile(r"(?<![A-Za-z0-9.])\d+(?:[.,]\d+)*")
_NEGATION = frozenset({"not", "no", "never", "cannot", "can't", "don't", "doesn't", "isn't", "aren't", "won't",
                       "without", "none", "neither", "nor"})
_NAME = re.compile(r"\b(?:[A-Z][a-z0-9]*[A-Z][A-Za-z0-9]*|[A-Z]{2,}[a-z]?|[A-Z][a-z]+)\b")
_LEAD = re.compile(r"\W*")  # a list bullet, quote or markup before a sentence's first word


@dataclass(frozen=True)
class Thresholds:
    """Tuned on half of evals/support/pairs.jsonl (`python -m evals.support`), reported on the other half."""

    words: float = 0.95  # word support alone is enough at this share
    meaning: float = 0.65  # embedding similarity to the best line that makes a paraphrase count …
    words_with_meaning: float = 0.5  # … when at least this share of the words is there too


@dataclass(frozen=True)
class Support:
    supported: bool
    word_share: float
    similarity: float
    why: str = ""  # what failed, for notes and the eval's log


def numbers_in(text: str) -> set[str]:
    """Numbers as digits ("six" → 6, "1,000" → 1000); digits inside names (S3, EC2) are not numbers."""
    found = {n.replace(",", "").rstrip(".") for n in _NUMBER.findall(text)}
    found |= {NUMBER_WORDS[w] for w in words(text) if w in NUMBER_WORDS}
    return {n[:-2] if n.endswith(".0") else n for n in found}


def _spelled_out(present: set[str]) -> set[str]:
    """What the abbreviations among `present` stand for ("kds" → kinesis, data, stream), and back."""
    extra = set()
    for short, long_terms in _alias_terms():
        if short in present:
            extra |= long_terms
        elif long_terms and long_terms <= present:
            extra.add(short)
    return extra


@lru_cache(maxsize=1)
def _alias_terms() -> tuple[tuple[str, frozenset[str]], ...]:
    """Each abbreviation with the terms of what it stands for, read once: every window of every claim asks."""
    return tuple((short, frozenset(terms(long))) for short, long in load_aliases().items())


class SupportChecker:
    """Does a passage support a sentence? Some one to three neighbouring lines of it (read with its section
    heading) must: a fact is stated in one place, and a whole passage has numbers and names for every claim."""

    def __init__(self, embed: Callable[[list[str]], list[list[float]]], idf: dict[str, float],
                 thresholds: Thresholds | None = None, names: frozenset[str] = frozenset()):
        self.embed = embed
        self.idf = idf
        self.names = names  # stems of the names the notes use (services, acronyms): checked at a sentence's start
        self.unknown_idf = max(idf.values(), default=1.0)
        self.thresholds = thresholds or Thresholds()

    def support(self, sentence: str, passages: Sequence[tuple[str, str]]) -> Support:
        """The best support any of `passages` ((section heading, text) of each one the sentence cites) gives."""
        if not passages:
            return Support(False, 0.0, 0.0, "cites no passage")
        judged = [self.judge(sentence, text, heading) for heading, text in passages]
        return max(judged, key=lambda s: (s.supported, s.word_share + s.similarity))

    def judge(self, sentence: str, passage: str, heading: str = "") -> Support:
        t = self.thresholds
        judged = []
        for rule, share, similarity in self.windows(sentence, passage, heading):  # one window at least
            why = rule
            if not why and not (share >= t.words or (similarity >= t.meaning and share >= t.words_with_meaning)):
                why = f"too little of it is in the passage (words {share:.2f}, meaning {similarity:.2f})"
            judged.append(Support(not why, share, similarity, why))
        # the first of the best is the narrowest window; even one of similarity below zero is judged
        return max(judged, key=lambda s: (s.supported, s.word_share + s.similarity))

    def windows(self, sentence: str, passage: str, heading: str = "") -> list[tuple[str, float, float]]:
        """(broken hard rule or '', word share, similarity) for each window of one to three lines."""
        lines = [line for line in passage.splitlines() if re.search(r"\w{2}", line)] or [passage]
        vectors = np.asarray(self.embed([sentence, *lines]), dtype=np.float32)
        similarities = vectors[1:] @ vectors[0]
        found = []
        for start, end in _windows(len(lines)):
            context = "\n".join([heading, *lines[start:end]])
            present = set(terms(context))
            present |= _spelled_out(present)
            found.append((hard_rule(sentence, context, present, self.names), self.word_share(sentence, present),
                          float(np.max(similarities[start:end]))))
        return found

    def word_share(self, sentence: str, present: set[str]) -> float:
        wanted = {t: self.idf.get(t, self.unknown_idf) for t in set(terms(sentence))}
        total = sum(wanted.values())
        return sum(w for t, w in wanted.items() if t in present) / total if total else 1.0


WINDOW_LINES = 3  # a fact may run over a few lines of a slide or a wrapped bullet


def _windows(count: int) -> list[tuple[int, int]]:
    return [(start, min(start + size, count)) for size in range(1, WINDOW_LINES + 1)
            for start in range(max(count - size + 1, 1))]


def hard_rule(sentence: str, context: str, present: set[str], known_names: frozenset[str] = frozenset()) -> str:
    """What the sentence says that the context plainly does not: a number, a name, a negation ('' if none).
    A sentence's first word (after a list bullet, quote or markup) is capitalised anyway: it counts as a name
    when the notes use it as one."""
    missing = sorted(numbers_in(sentence) - numbers_in(context))
    if missing:
        return f"the passage does not give {', '.join(missing)}"
    first = _LEAD.match(sentence).end()
    names = [m.group(0) for m in _NAME.finditer(sentence)
             if m.start() > first or stem(m.group(0).lower()) in known_names or not m.group(0)[1:].islower()]
    absent = [n for n in names if stem(n.lower()) not in present and n.lower() not in present
              and not set(terms(n)) <= present]
    if absent:
        return f"the passage does not name {', '.join(absent)}"
    said, given = _negated(sentence), _negated(context)
    if said and not given:
        return "the sentence negates what the passage does not"
    if given and not said:
        return "the passage negates what the sentence does not"
    return ""


def _negated(text: str) -> bool:
    plain = text.replace("’", "'").replace("n't", " not")
    return bool(_NEGATION & set(words(plain)))
