"""Quantities as written in the notes and typed by a student: "14 days", "1-365 days", "400 KB", "1 MB/s".

One reader of numbers with their units, and one table of units (canonical spelling, what it measures, its
scale), for everything that compares amounts: the quiz (is the answer visible on the card? does the typed answer
match?) and the answers (do two documents give different amounts for the same thing?).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from bot.text import STOPWORDS, edit_distance, normalize

NUMBER_WORDS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40,
    "fifty": 50, "sixty": 60, "ninety": 90, "hundred": 100, "thousand": 1000,
}
# canonical unit -> spellings (after lower-casing and squeezing "per second" into "/s")
_UNIT_SPELLINGS = {
    "b": "b byte bytes", "kb": "kb kbs kilobyte kilobytes", "mb": "mb mbs megabyte megabytes",
    "gb": "gb gbs gig gigs gigabyte gigabytes", "tb": "tb tbs terabyte terabytes", "pb": "pb pbs petabyte petabytes",
    "kib": "kib", "mib": "mib", "gib": "gib", "tib": "tib",
    "kb/s": "kb/s", "mb/s": "mb/s", "gb/s": "gb/s", "mib/s": "mib/s", "gib/s": "gib/s",
    "mbps": "mbps mbit/s", "gbps": "gbps gbit/s",
    "ms": "ms msec millisecond milliseconds", "s": "s sec secs second seconds",
    "min": "min mins minute minutes", "h": "h hr hrs hour hours", "day": "d day days",
    "week": "wk week weeks", "month": "mo month months", "year": "y yr yrs year years",
    "%": "% percent pct",
}
_UNIT_CANON = {spelling: canon for canon, spellings in _UNIT_SPELLINGS.items() for spelling in spellings.split()}
_QUANTITY = re.compile(
    r"(?<![\w.])(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)\s*(k\b|million\b|billion\b)?\s*"
    r"(%|[a-z]+(?:/[a-z]+)?(?:\s+per\s+(?:second|sec|s)\b)?)?"
)
_MULTIPLIER = {"k": 1_000, "million": 1_000_000, "billion": 1_000_000_000}


def canonical_unit(unit: str) -> str:
    unit = re.sub(r"\s+per\s+(second|sec|s)\b", "/s", unit.strip().lower())
    unit = unit.replace("/sec", "/s").replace("/second", "/s")
    if unit in _UNIT_CANON:
        return _UNIT_CANON[unit]
    head, _, rate = unit.partition("/")
    if rate == "s" and head in _BIT_SPELLINGS:
        return _BIT_SPELLINGS[head]  # "gigabit per second" -> gbps
    if rate == "s" and _UNIT_CANON.get(head) in _SIZE_UNITS:
        return f"{_UNIT_CANON[head]}/s"  # "gigabytes per second" -> gb/s
    head = head[:-1] if len(head) > 3 and head.endswith("s") and not head.endswith("ss") else head
    return f"{head}/{rate}" if rate else head


_BIT_SPELLINGS = {"megabit": "mbps", "megabits": "mbps", "gigabit": "gbps", "gigabits": "gbps"}
_SIZE_UNITS = {"kb", "mb", "gb", "kib", "mib", "gib"}


def _digits_for_words(text: str, keep_places: bool = False) -> str:
    """Number words as digits ("one day" -> "1 day"); `keep_places` pads them to the word's length ("1   day"),
    so every position in the text still points at the same character."""
    def digits(match: re.Match) -> str:
        word = match.group(0)
        number = str(NUMBER_WORDS.get(word, word))
        return number.ljust(len(word)) if keep_places else number

    return re.sub(r"[a-z]+", digits, text)


# Units that measure (a number without them means nothing); other words after a number are counted nouns.
_SCALE = {
    "b": ("size", 1), "kb": ("size", 1e3), "mb": ("size", 1e6), "gb": ("size", 1e9), "tb": ("size", 1e12),
    "pb": ("size", 1e15), "kib": ("size", 2**10), "mib": ("size", 2**20), "gib": ("size", 2**30),
    "tib": ("size", 2**40), "ms": ("time", 1e-3), "s": ("time", 1), "min": ("time", 60), "h": ("time", 3600),
    "day": ("time", 86400), "week": ("time", 604800), "month": ("time", 2_629_800), "year": ("time", 31_557_600),
    "%": ("percent", 1), "kb/s": ("rate", 1e3), "mb/s": ("rate", 1e6), "gb/s": ("rate", 1e9),
    "mib/s": ("rate", 2**20), "gib/s": ("rate", 2**30), "mbps": ("bitrate", 1e6), "gbps": ("bitrate", 1e9),
}
_CALENDAR = {"month", "year"}  # 30 days ~ 1 month, 365 days ~ 1 year: calendar units convert loosely


@dataclass(frozen=True)
class Quantity:
    value: float
    unit: str  # canonical; "" when the number stands alone

    @property
    def measured(self) -> bool:
        return self.unit in _SCALE or self.unit in _UNIT_SPELLINGS

    def same_as(self, other: Quantity) -> bool:
        """Equal amounts: 14 days = 2 weeks = 336 hours; 1 GB = 1000 MB (or 1024 MB: both are in use)."""
        if self.unit == other.unit or _same_counted(self.unit, other.unit):
            return _close(self.value, other.value)
        a, b = _SCALE.get(self.unit), _SCALE.get(other.unit)
        if not a or not b or a[0] != b[0]:
            return False
        tolerance = 0.015 if {self.unit, other.unit} & _CALENDAR else 1e-9
        if _close(self.value * a[1], other.value * b[1], tolerance):
            return True
        return a[0] == "size" and _close(_binary(self.value, self.unit), _binary(other.value, other.unit))


def _same_counted(a: str, b: str) -> bool:
    """Counted things written short: '64 chars' = '64 characters' (a prefix of four letters or more)."""
    if not a or not b or a in _SCALE or b in _SCALE or "/" in a + b:
        return False
    short, long = sorted((a, b), key=len)
    return len(short) >= 4 and long.startswith(short)


def _close(a: float, b: float, tolerance: float = 1e-12) -> bool:
    return abs(a - b) <= tolerance * max(abs(a), abs(b), 1)


def _binary(value: float, unit: str) -> float:
    order = ["b", "kb", "mb", "gb", "tb", "pb"]
    plain = unit.replace("ib", "b")
    return value * 1024 ** order.index(plain) if plain in order else value


@lru_cache(maxsize=32768)
def quantities(text: str, typed: bool = False) -> tuple[Quantity, ...]:
    """Every number in `text` with its canonical unit ('' when none follows). `typed`: a student's answer,
    where a misspelled unit ("5 minuts") is read as the unit it is one or two letters away from."""
    return tuple(q for q, _, _ in _located(_comparable(text), typed))


def _comparable(text: str) -> str:
    return _digits_for_words(normalize(text))


def _located(normal: str, typed: bool = False) -> list[tuple[Quantity, int, int]]:
    """Quantities of an already `_comparable` text, with their spans in it."""
    found = []
    for match in _QUANTITY.finditer(normal):
        value = float(match.group(1).replace(",", "")) * _MULTIPLIER.get(match.group(2) or "", 1)
        unit = canonical_unit(match.group(3)) if match.group(3) else ""
        end = match.end()
        if unit in STOPWORDS:  # "1 to 365 days", "between 1 and 35": a joining word, not a unit
            unit, end = "", match.start(3)
        if typed and unit and not Quantity(value, unit).measured:
            unit = misspelled_unit(unit) or unit
        found.append((Quantity(value, unit), match.start(), end))
    return found


def misspelled_unit(word: str) -> str | None:
    """The unit a misspelled word stands for ("minuts" -> min), if one is close enough for its length."""
    if len(word) < 4 or "/" in word:
        return None
    limit = 1 if len(word) <= 6 else 2
    close = {canon for spelling, canon in _UNIT_CANON.items()
             if len(spelling) >= 4 and edit_distance(word, spelling, limit) <= limit}
    return close.pop() if len(close) == 1 else None


@dataclass(frozen=True)
class Amount:
    """A value or a range ("1-365 days": low 1 day, high 365 days)."""
    low: Quantity
    high: Quantity | None = None

    def same_as(self, other: Amount) -> bool:
        if (self.high is None) != (other.high is None):
            return False
        return self.low.same_as(other.low) and (self.high is None or self.high.same_as(other.high))


_RANGE_JOIN = re.compile(r"^\s*(?:-|–|—|to|through|until|and)\s*$")


def amounts(text: str, typed: bool = False) -> tuple[Amount, ...]:
    """Values and ranges in `text`: "1-365 days" and "1 day to 1 year" are ranges; a bare low bound takes the
    high bound's unit."""
    normal = _comparable(text)
    found = _located(normal, typed)
    result: list[Amount] = []
    i = 0
    while i < len(found):
        low, _, end = found[i]
        if i + 1 < len(found) and _RANGE_JOIN.match(normal[end:found[i + 1][1]]):
            high = found[i + 1][0]
            if not low.unit:
                low = Quantity(low.value, high.unit)
            result.append(Amount(low, high))
            i += 2
            continue
        result.append(Amount(low))
        i += 1
    return tuple(result)


# A worked example's numbers are not facts to learn or to compare: "Example - 32MB", "like 250 bytes", "e.g. 2 MB/s",
# "i.e. 1000 shards take 30,000s to double", "⇒ 6 DPU × 1/4 h", "2/5th of an hour", "4 × 2 = 8", "ex: 10 GB".
# A definition is no example: "1 WCU = 1 write/s for an item up to 1 KB" stays a fact.
WORKED_EXAMPLE = re.compile(
    r"\b(?:for example|for instance|example|such as|double|doubles|triple|twice)\b|\b(?:say|like|if) \d|"
    r"\b(?:e\.g|i\.e)\.|\bex:|⇒|\d\s*[=×*]\s*\d|\S\s+[×*]\s+\d|\d+/\d+(?:th|rd|nd)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Measure:
    """A duration or a size where it stands in a line: what the notes-disagreement check compares."""

    kind: str  # "time" or "size"
    value: float  # in seconds or bytes
    text: str  # as written
    at: int  # where in the line


_MEASURED = ("time", "size")
_NUMBER_AND_WORD = re.compile(r"[\d,.]+\s*(?:(?:k|million|billion)\b\s*)?[a-z]+")


def measures(text: str) -> list[Measure]:
    """Durations and sizes in a line, normalised ('one day up until 7 days' → 1 day, 7 days). The size of a rate or
    a share counts as a size ("1 MB/s in", "128TB/vol": 1 MB, 128 TB), as a line's limits are compared side by side.
    Number words become digits of the same length, so each amount keeps its place in the line."""
    lowered = text.lower()
    if len(lowered) != len(text):  # a letter whose lower case is longer ("İ"): keep it, and the positions
        lowered = "".join(c.lower() if len(c.lower()) == 1 else c for c in text)
    spelled = _digits_for_words(lowered, keep_places=True)
    found = []
    for quantity, start, end in _located(spelled):
        head, per, _ = quantity.unit.partition("/")
        kind, scale = _SCALE.get(_UNIT_CANON.get(head, head), ("", 0))
        if kind in _MEASURED:
            if per:  # shown without what it is per: "1 MB" of "1 MB/s" or "1 MB per second"
                end = _NUMBER_AND_WORD.match(spelled, start).end()
            found.append(Measure(kind, quantity.value * scale, text[start:end].rstrip(), start))
    return found


_NINES = re.compile(r"\b(\d+|[a-z]+)[\s-]+(?:nines|9s)\b", re.I)
_HALF_OF = re.compile(r"\b(?:a\s+)?half\s+(?:an?\s+)?(?=[a-z])", re.I)
_FRACTION = re.compile(r"(?<![\d./])(\d+)\s*/\s*(\d+)(?![\d./])")
_BITS_PER_SECOND = re.compile(r"(\d)\s*([KMGT])b/s\b")  # "Gb/s": a lower-case b is bits (Gbps), not bytes


def spelled_amounts(text: str, percent: bool = False) -> str:
    """Amounts as people say them, in figures: "five nines" -> 99.999%, "half a minute" -> 0.5 minute,
    "1/16" -> 0.0625, "90 per cent" -> 90%, "100 Gb/s" -> 100 Gbps; with `percent`, "half" alone is 50%."""
    text = _BITS_PER_SECOND.sub(r"\1 \2bps", text)
    text = _NINES.sub(lambda m: _nines(m.group(0), m.group(1)), text)
    text = _HALF_OF.sub("0.5 ", text)
    text = _FRACTION.sub(lambda m: f"{int(m.group(1)) / int(m.group(2)):g}" if int(m.group(2)) else m.group(0),
                         text)
    text = re.sub(r"\bper\s+cent\b", "percent", text, flags=re.I)
    if percent:
        text = re.sub(r"^\s*half\s*$", "50%", text, flags=re.I)
    return text


def _nines(said: str, count: str) -> str:
    number = int(count) if count.isdigit() else NUMBER_WORDS.get(count.lower())
    if not number or number > 15:
        return said
    return f"{100 - 10 ** (2 - number):.{max(number - 2, 0)}f}%"
