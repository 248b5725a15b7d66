"""Pick the lines of the retrieved passages that answer a question, by the kind of answer it asks for.

A definition wants the sentence that opens the subject's own section; a number wants the line holding a
quantity; a comparison a line for each side; a list the bullets under a matching label; a how-to the lines
that recommend something. Every kind still scores lines by the question's idf-weighted terms.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.models import Hit
from bot.query import COMPARISON, CONTEXT_WEIGHT, DEFINITION, HOWTO, LIST, NUMBER, comparison_sides, expansions
from bot.text import question_terms, term_coverage, terms

MAX_UNITS = 4
MAX_ANSWER_CHARS = 450
MAX_UNIT_CHARS = 300
MAX_ITEM_CHARS = 100
RANK_PRIOR = 0.3  # preference for lines of the better-ranked passages
FOCUS_MISS = 0.15  # a line that never names the rarest thing the question asks about
PACK_SHARE = 0.6  # a unit scoring under this share of the best one is not worth its space
_SENTENCE_SPLIT = re.compile(r"(?<=[.!?])\s+(?=[A-Z(])")
_BULLET = re.compile(r"^\s*(?:[-*•+▪◦]|\d{1,2}[.)])\s+")
QUANTITY = re.compile(
    r"\b\d[\d,.]*\s*(?:-|to|–)?\s*\d*[\d,.]*\s*(?:%|x\b|[kmgtp]i?b\b|[kmgtp]b/s|bytes?|kb|mb|gb|tb|pb|ms\b|"
    r"milliseconds?|seconds?|secs?|minutes?|mins?|hours?|hrs?|days?|weeks?|months?|years?|shards?|records?|"
    r"partitions?|nodes?|replicas?|queues?|transactions?|messages?|requests?|tps|iops|vcpus?|gib|mib|tib|"
    r"characters?|items?|tables?|columns?|rows?|regions?|zones?|copies|times|per\b|/s\b)",
    re.IGNORECASE,
)
_DIGIT = re.compile(r"\d")
_ITEM_LABEL = re.compile(r"^\**[A-Z][\w /()&+-]{0,40}?\**\s*(?::|\s[-–]\s)")  # "**EVEN:** …", "Standard - …"
_DEFINES = re.compile(
    r"\b(?:is|are)\s+(?:a|an|the)\b|\bservice\s+(?:that|which|to|for)\b|\b(?:allows?|enables?|lets|helps?|"
    r"provides?|simplif(?:y|ies)|used\s+(?:to|for))\b",
    re.IGNORECASE,
)
_RECOMMENDS = re.compile(
    r"\b(?:use|using|enable|choose|recommend\w*|best|should|consider|instead|reduce\w*|improv\w*|avoid|"
    r"optimi[sz]\w*|cheaper|cost-effective|faster|partition\w*|compress\w*|columnar)\b",
    re.IGNORECASE,
)
_ASK_WORDS = frozenset({"used", "purpose", "mean", "meaning", "definition", "define", "explain", "describe",
                        "type", "style", "option", "kind", "class", "mode", "difference", "differ", "compare",
                        "versu", "v"})


@dataclass(frozen=True)
class Choice:
    units: list
    conflict: tuple | None = None  # (unit, amount, other unit, other amount) when two documents disagree


@dataclass(frozen=True)
class Unit:
    hit_index: int
    order: int
    text: str  # what the answer shows
    score: float
    quote: str = ""  # the verbatim passage text behind it, when `text` is a condensed form

    @property
    def source(self) -> str:
        return self.quote or self.text


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" \t"))


def passage_units(text: str) -> list[tuple[int, str]]:
    """Answerable pieces of a passage: a line with its indented sub-bullets (a header ending in ':'
    takes the next line too); long lines split into sentences."""
    units: list[str] = []
    parent_indent = None
    for raw in text.split("\n"):
        line = raw.strip()
        if not line:
            parent_indent = None
            continue
        joins_parent = units and (
            (parent_indent is not None and _indent(raw) > parent_indent) or (units[-1].endswith(":"))
        )
        if joins_parent and len(units[-1]) + len(line) < MAX_UNIT_CHARS:
            units[-1] = f"{units[-1]} {line}"
            continue
        units.extend(_SENTENCE_SPLIT.split(line) if len(line) > 220 else [line])
        parent_indent = _indent(raw)
    return list(enumerate(units))


def list_blocks(text: str) -> list[tuple[int, str, list[str]]]:
    """(order, label, items): runs of 2+ bullets at one indent, with the line before them as the label."""
    blocks = []
    lines = [line for line in text.split("\n") if line.strip()]
    i = 0
    while i < len(lines):
        if not _BULLET.match(lines[i]):
            i += 1
            continue
        indent, start = _indent(lines[i]), i
        items = []
        while i < len(lines) and (not _BULLET.match(lines[i]) or _indent(lines[i]) >= indent):
            if _BULLET.match(lines[i]) and _indent(lines[i]) == indent:
                items.append(lines[i].strip())
            elif not _BULLET.match(lines[i]) and _indent(lines[i]) <= indent:
                break
            i += 1
        label = lines[start - 1].strip() if start > 0 and not _BULLET.match(lines[start - 1]) else ""
        if len(items) >= 2:
            blocks.append((start, label, items))
    return blocks


def condensed(item: str) -> str:
    """A list item cut to its label or first clause: '- **EVEN:** Rows are evenly…' → 'EVEN: Rows are evenly…'."""
    item = _BULLET.sub("", item).replace("**", "").strip()
    if len(item) <= MAX_ITEM_CHARS:
        return item
    cut = item[:MAX_ITEM_CHARS]
    for stop in (". ", "; ", ", "):
        if stop in cut[30:]:
            return cut[: cut.rindex(stop)].rstrip(" .;,") + "…"
    return cut.rsplit(" ", 1)[0] + "…"


class LineChooser:
    """Chooses answer units from hits for a question (and the terms carried from earlier turns)."""

    def __init__(self, idf: dict[str, float], is_section_start=None, name_terms: frozenset[str] = frozenset()):
        self.idf = idf
        self.is_section_start = is_section_start or (lambda chunk: False)
        self.name_terms = name_terms  # terms the notes write as names (services, features)

    def weights(self, question: str, context: str = "") -> dict[str, float]:
        own = {t: self.idf.get(t, 0.0) for t in set(question_terms(question))}
        carried = {t: CONTEXT_WEIGHT * self.idf.get(t, 0.0) for t in set(question_terms(context)) if t not in own}
        return own | carried

    def choose(self, question: str, intent: str, hits: list[Hit], context: str = "") -> Choice:
        weights = self.weights(question, context)
        if intent == LIST:
            block = self.best_list(weights, hits)
            if block is not None:
                return Choice([block])
        units = self.scored_units(weights, intent, hits, kind=wanted_kind(question))
        if not units:
            return Choice([])
        if intent == COMPARISON:
            sides = comparison_sides(question)
            if sides:
                return Choice(per_side(sides, units, hits))
        chosen = pack(units, {DEFINITION: 2, NUMBER: 3}.get(intent, MAX_UNITS))
        if intent != NUMBER:
            return Choice(chosen)
        conflict = disagreeing_unit(question, chosen, units, hits, focus_term(weights, self.name_terms))
        if conflict is None:
            return Choice(chosen)
        mine, other = conflict[0], conflict[2]
        kept = [u for u in chosen if u.hit_index == mine.hit_index or u is mine][:2]
        both = kept + ([other] if other not in kept else [])
        return Choice(sorted(both, key=lambda u: (u.hit_index, u.order)), conflict)

    def best_unit_scores(self, question: str, intent: str, hits: list[Hit], context: str = "") -> list[float]:
        """How well each hit's best line answers the question, rank prior left out."""
        best = [0.0] * len(hits)
        for unit in self.scored_units(self.weights(question, context), intent, hits, 0.0, wanted_kind(question)):
            best[unit.hit_index] = max(best[unit.hit_index], unit.score)
        return best

    def scored_units(self, weights: dict[str, float], intent: str, hits: list[Hit],
                     rank_prior: float = RANK_PRIOR, kind: str | None = None) -> list[Unit]:
        subject = {t: w for t, w in weights.items() if t not in _ASK_WORDS}
        focus = focus_term(weights, self.name_terms)
        units = []
        for i, hit in enumerate(hits):
            path_terms = set(terms(" ".join(hit.chunk.section_path)))
            starts_section = self.is_section_start(hit.chunk)
            lead = True
            for order, text in passage_units(hit.chunk.text):
                present = set(terms(text))
                informative = len(present - path_terms) >= 4  # not a repeated heading or a bare label
                score = unit_score(text, weights, path_terms) + rank_prior / (i + 1)
                score += intent_bonus(intent, text, lead and informative and starts_section, subject, path_terms,
                                      kind)
                if focus is not None and focus not in present | path_terms:
                    score -= FOCUS_MISS
                lead = lead and not informative
                units.append(Unit(i, order, text, score))
        units.sort(key=lambda u: -u.score)
        return units

    def best_list(self, weights: dict[str, float], hits: list[Hit]) -> Unit | None:
        best = None
        for i, hit in enumerate(hits):
            path = " ".join(hit.chunk.section_path)
            for order, label, items in list_blocks(hit.chunk.text):
                heading = set(terms(f"{path} {label}"))
                score = term_coverage(weights, heading) + 0.3 * term_coverage(weights, set(terms(" ".join(items))))
                labelled = sum(bool(_ITEM_LABEL.match(_BULLET.sub("", item))) for item in items) / len(items)
                score += RANK_PRIOR / (i + 1) + 0.05 * min(len(items), 6) + 0.4 * labelled
                if best is None or score > best.score:
                    best = Unit(i, order, _list_text(label, items), score, " … ".join([label, *items] if label
                                                                                     else items))
        return best if best is not None and best.score >= 0.6 else None



def per_side(sides: list[str], units: list[Unit], hits: list[Hit], per: int = 2) -> list[Unit]:
    """The best units about each side of a comparison: lines that name what sets the side apart
    ("user pools" vs "identity pools": user / identity), in the line or its section path."""
    side_terms = [set(terms(side)) for side in sides]
    distinct = [own - other for own, other in ((side_terms[0], side_terms[1]), (side_terms[1], side_terms[0]))]
    chosen: list[Unit] = []
    length = 0
    for wanted in distinct:
        taken = 0
        for unit in units:
            if taken == per or not wanted:
                break
            present = set(terms(unit.text)) | set(terms(" ".join(hits[unit.hit_index].chunk.section_path)))
            if wanted <= present and unit not in chosen and length + len(unit.text) <= MAX_ANSWER_CHARS:
                chosen.append(unit)
                length += len(unit.text)
                taken += 1
    if len({id(u) for u in chosen}) < 2:
        return pack(units, MAX_UNITS)
    return sorted(chosen, key=lambda u: (u.hit_index, u.order))


def focus_term(weights: dict[str, float], name_terms: frozenset[str] = frozenset()) -> str | None:
    """What the question is about: its rarest name ("aurora"), else its rarest term, question words aside."""
    subject = {t: w for t, w in weights.items() if t not in _ASK_WORDS}
    named = {t: w for t, w in subject.items() if t in name_terms}
    pool = named or subject
    return max(pool, key=pool.get) if pool else None


def _list_text(label: str, items: list[str]) -> str:
    shown, length = [], len(label)
    for item in items:
        short = condensed(item)
        if length + len(short) > MAX_ANSWER_CHARS - 20:
            shown.append("…")
            break
        shown.append(short)
        length += len(short) + 2
    body = "; ".join(shown)
    return f"{label.rstrip(':')}: {body}" if label else body


def unit_score(text: str, weights: dict[str, float], path_terms: set[str]) -> float:
    """Question coverage (the section path counts half), plus credit for saying something new."""
    present = set(terms(text))
    own = term_coverage(weights, present)
    with_path = term_coverage(weights, present | path_terms)
    score = own + 0.5 * (with_path - own)
    novel = len(present - weights.keys())
    score += 0.15 * min(novel, 8) / 8
    if novel < 2:
        score -= 0.3  # a heading or a bare list item restates the question without answering it
    return score


def intent_bonus(intent: str, text: str, opens_section: bool, subject: dict[str, float],
                 path_terms: set[str], kind: str | None = None) -> float:
    if intent == NUMBER:
        if kind is not None and QUANTITY.search(text) and not any(a.kind == kind for a in amounts(text)):
            return 0.1  # a quantity, but not the kind asked ("12 hours" for a size)
        return 0.3 if QUANTITY.search(text) else 0.1 if _DIGIT.search(text) else -0.2
    if intent == DEFINITION:
        bonus = 0.15 if _DEFINES.search(text) else 0.0
        if opens_section and term_coverage(subject, path_terms) >= 0.5:
            bonus += 0.5  # the first sentence of the subject's own section defines it
        return bonus
    if intent == HOWTO:
        return 0.1 if _RECOMMENDS.search(text) else 0.0
    return 0.0


def pack(units: list[Unit], limit: int) -> list[Unit]:
    """The best units, within `limit` units and the answer length, in passage order."""
    best = units[0].score
    chosen: list[Unit] = []
    length = 0
    for unit in units:
        if len(chosen) == limit or unit.score < PACK_SHARE * best or length + len(unit.text) > MAX_ANSWER_CHARS:
            if chosen:
                break
        if any(unit.text == c.text for c in chosen):
            continue
        chosen.append(unit)
        length += len(unit.text)
    return sorted(chosen, key=lambda u: (u.hit_index, u.order))


# --- When the notes disagree -------------------------------------------------------------------------------

_WORD_NUMBERS = {"one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6", "seven": "7",
                 "eight": "8", "nine": "9", "ten": "10", "twelve": "12", "fourteen": "14", "thirty": "30"}
_SCALE = {
    "time": {"ms": 0.001, "millisecond": 0.001, "s": 1, "sec": 1, "second": 1, "min": 60, "minute": 60, "h": 3600,
             "hr": 3600, "hour": 3600, "day": 86400, "week": 604800, "month": 2_629_800, "year": 31_557_600},
    "size": {"b": 1, "byte": 1, "kb": 1e3, "kib": 1024, "mb": 1e6, "mib": 2**20, "gb": 1e9, "gib": 2**30,
             "tb": 1e12, "tib": 2**40, "pb": 1e15},
}
_CLAUSE = re.compile(r",|;|\.\s+(?=[A-Z])|\band\b|\bbut\b|\bwhile\b|\(|\)|\|")
_WORKED_EXAMPLE = re.compile(r"=|\bex:|\be\.g\.|\bexample\b|\bfor instance\b", re.IGNORECASE)
_AMOUNT = re.compile(
    r"\b(\d+(?:\.\d+)?)\s*(ms|milliseconds?|s|secs?|seconds?|mins?|minutes?|h|hrs?|hours?|days?|weeks?|months?|"
    r"years?|b|bytes?|kb|kib|mb|mib|gb|gib|tb|tib|pb)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Amount:
    kind: str  # "time" or "size"
    value: float  # in seconds or bytes
    text: str  # as written
    at: int  # where in the line


def amounts(text: str) -> list[Amount]:
    """Durations and sizes in a line, normalised ('one day up until 7 days' → 1 day, 7 days)."""
    spelled = re.sub(r"\b(" + "|".join(_WORD_NUMBERS) + r")\b(?=\s+\w)",  # same length: positions hold
                     lambda m: _WORD_NUMBERS[m.group(1).lower()].ljust(len(m.group(1))), text, flags=re.IGNORECASE)
    found = []
    for match in _AMOUNT.finditer(spelled):
        number, unit = float(match.group(1)), match.group(2).lower()
        unit = unit if unit in ("s", "ms", "b") else unit.rstrip("s")
        for kind, scale in _SCALE.items():
            if unit in scale:
                found.append(Amount(kind, number * scale[unit], text[match.start():match.end()], match.start()))
    return found


_TIME_ASK = re.compile(r"\bhow long\b|\b(retention|retain|kept|keep|stay|duration|timeout|period|ttl|expire|expiry|"
                       r"days?|hours?|minutes?|seconds?|latency|time|often)\b", re.IGNORECASE)
_SIZE_ASK = re.compile(r"\bhow (big|large)\b|\b(size|sizes|storage|capacity|payload|mb|gb|tb|kb|bytes?|volume)\b",
                       re.IGNORECASE)


def wanted_kind(question: str) -> str | None:
    """'time' or 'size' when the question asks for a duration or a size (a size wins: 'max message size')."""
    if _SIZE_ASK.search(question):
        return "size"
    if _TIME_ASK.search(question):
        return "time"
    return None


def asked_amount(question: str, line: str) -> Amount | None:
    """The amount a line gives for what the question asks: next to 'default' for a default, else the largest
    of the kind asked (a size for 'how big', a duration for 'how long')."""
    kind = wanted_kind(question)
    found = [a for a in amounts(line) if kind is None or a.kind == kind]
    if not found:
        return None
    if re.search(r"\bdefault\b", question, re.IGNORECASE):
        # the amount in the same clause as "default": "… to 14 days and the default … is 4 days" → 4 days
        for clause in _clauses(line):
            if re.search(r"\bdefault\b", line[clause[0]:clause[1]], re.IGNORECASE):
                inside = [a for a in found if clause[0] <= a.at < clause[1]]
                if inside:
                    return inside[0]
        return None
    kind = found[0].kind
    return max((a for a in found if a.kind == kind), key=lambda a: a.value)


def _clauses(line: str) -> list[tuple[int, int]]:
    cuts = [0] + [p for m in _CLAUSE.finditer(line) for p in (m.start(), m.end())] + [len(line)]
    return [(cuts[i], cuts[i + 1]) for i in range(0, len(cuts) - 1, 2)]


def _clause_terms(line: str, amount: Amount) -> set[str]:
    """Terms of the clause holding `amount`, everyday words read as the notes' words (retain → retention)."""
    start, end = next(((a, b) for a, b in _clauses(line) if a <= amount.at < b), (0, len(line)))
    clause = line[start:end]
    return set(terms(f"{clause} {expansions(clause)}"))


# Words that make two amounts answer different things: a read limit is no write limit, a minimum no maximum.
_SIDES = (frozenset({"read"}), frozenset({"write"}), frozenset({"min", "minimum", "least"}),
          frozenset({"max", "maximum", "up"}), frozenset({"input", "in"}), frozenset({"output", "out"}),
          frozenset({"default"}), frozenset({"consumer"}), frozenset({"total"}))


def same_thing(first: set[str], second: set[str]) -> bool:
    """Two clauses give an amount for the same thing unless one says read / min / input / default … and the
    other does not."""
    return all(bool(side & first) == bool(side & second) for side in _SIDES if side & (first | second))


def disagreeing_unit(question: str, chosen: list[Unit], ranked: list[Unit], hits: list[Hit], focus: str | None = None
                     ) -> tuple[Unit, Amount, Unit, Amount] | None:
    """A line of another document that gives a different amount for the same thing as the answer's line.

    Both lines must name what the question asks about (`focus`, in the line or its section path)."""
    def about(unit: Unit) -> bool:
        path = hits[unit.hit_index].chunk.section_path
        return focus is None or focus in set(terms(unit.text)) | set(terms(" ".join(path)))

    ranked = [u for u in ranked if about(u) and not _WORKED_EXAMPLE.search(u.text)]
    top = next((u for u in sorted(chosen, key=lambda u: -u.score)
                if about(u) and not _WORKED_EXAMPLE.search(u.text) and asked_amount(question, u.text)), None)
    if top is None:
        return None
    mine = asked_amount(question, top.text)
    mine_terms = _clause_terms(top.text, mine)
    asked = set(question_terms(question)) - {focus}  # the other clause must say what it is an amount of
    top_doc = hits[top.hit_index].chunk.doc_id
    def fit(unit: Unit) -> float:  # how well the line answers, whatever the rank of its passage
        return unit.score - RANK_PRIOR / (unit.hit_index + 1)

    for unit in sorted(ranked, key=fit, reverse=True):
        if fit(unit) < 0.7 * fit(top):
            break
        other = asked_amount(question, unit.text)
        if (other is None or other.kind != mine.kind or hits[unit.hit_index].chunk.doc_id == top_doc):
            continue
        theirs = _clause_terms(unit.text, other)
        if not same_thing(mine_terms, theirs) or not asked & theirs:
            continue
        if abs(other.value - mine.value) > 0.01 * max(other.value, mine.value):
            return top, mine, unit, other
    return None
