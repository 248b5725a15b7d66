"""When the notes disagree: amounts (durations, sizes) in answer lines, and two documents giving different ones.

The three cases that motivated it: Kinesis retention (1-365 vs 1-7 days), SQS default retention (4 vs 3 days)
and Aurora's maximum size (64 vs 128 TB) — the answer then quotes both lines and says so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.amounts import WORKED_EXAMPLE, Measure, measures
from bot.answer.lines import Unit
from bot.models import Hit
from bot.search.query import expansions
from bot.text import question_terms, terms

_CLAUSE = re.compile(r",|;|\.\s+(?=[A-Z])|\band\b|\bbut\b|\bwhile\b|\(|\)|\|")
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


def asked_amount(question: str, line: str) -> Measure | None:
    """The amount a line gives for what the question asks: next to 'default' for a default, else the largest
    of the kind asked (a size for 'how big', a duration for 'how long')."""
    kind = wanted_kind(question)
    found = [a for a in measures(line) if kind is None or a.kind == kind]
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


def _clause_terms(line: str, amount: Measure) -> set[str]:
    """Terms of the clause holding `amount`, everyday words read as the notes' words (retain → retention)."""
    start, end = next(((a, b) for a, b in _clauses(line) if a <= amount.at < b), (0, len(line)))
    clause = line[start:end]
    return set(terms(f"{clause} {expansions(clause)}"))


# Words that make two amounts answer different things: a read limit is no write limit, a minimum no maximum.
_SIDES = (frozenset({"read"}), frozenset({"write"}), frozenset({"min", "minimum", "least"}),
          frozenset({"max", "maximum", "up"}), frozenset({"input", "in"}), frozenset({"output", "out"}),
          frozenset({"default"}), frozenset({"consumer"}), frozenset({"total"}), frozenset({"backup", "snapshot"}))


def same_thing(first: set[str], second: set[str]) -> bool:
    """Two clauses give an amount for the same thing unless one says read / min / input / default … and the
    other does not."""
    return all(bool(side & first) == bool(side & second) for side in _SIDES if side & (first | second))


def disagreeing_unit(question: str, chosen: list[Unit], ranked: list[Unit], hits: list[Hit], rank_prior: float,
                     focus: str | None = None) -> tuple[Unit, Measure, Unit, Measure] | None:
    """A line of another document that gives a different amount for the same thing as the answer's line.

    Both lines must name what the question asks about (`focus`, in the line or its section path)."""
    def about(unit: Unit) -> bool:
        path = hits[unit.hit_index].chunk.section_path
        return focus is None or focus in set(terms(unit.text)) | set(terms(" ".join(path)))

    ranked = [u for u in ranked if about(u) and not WORKED_EXAMPLE.search(u.text)]
    top = next((u for u in sorted(chosen, key=lambda u: -u.score)
                if about(u) and not WORKED_EXAMPLE.search(u.text) and asked_amount(question, u.text)), None)
    if top is None:
        return None
    mine = asked_amount(question, top.text)
    mine_terms = _clause_terms(top.text, mine)
    asked = set(question_terms(question)) - {focus}  # the other clause must say what it is an amount of
    top_doc = hits[top.hit_index].chunk.doc_id
    def fit(unit: Unit) -> float:  # how well the line answers, whatever the rank of its passage
        return unit.score - rank_prior / (unit.hit_index + 1)

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


# --- every disagreement of the notes, for the Browse list ------------------------------------------------

# What an amount measures, as the notes word it; a line naming two of these is skipped (which one is meant?).
_MEASURES = {
    "retention": (r"retention|retain|retained|kept for|stays? (?:for|up)|stored for", "time"),
    "message size": (r"message size|messages? (?:of )?up to|max(?:imum)? message|payload", "size"),
    "item size": (r"item size|per item|items? (?:of )?up to|max(?:imum)? item", "size"),
    "object size": (r"object size|objects? (?:of )?up to|single object|max(?:imum)? object", "size"),
    "record size": (r"record size|records? (?:of )?up to|per record", "size"),
    "storage": (r"storage|scales? (?:up )?to|scales from|per (?:database )?volume|auto-scales", "size"),
    "timeout": (r"timeout|time ?out", "time"),
    "latency": (r"latency", "time"),
    "memory": (r"memory", "size"),
}
_MEASURE_PATTERNS = {name: (re.compile(rf"\b(?:{words})", re.IGNORECASE), kind)
                     for name, (words, kind) in _MEASURES.items()}
_TABLE_ROW = " | "
_OPERATIONS = frozenset({"read", "write"})
_LABEL_WORDS = 6  # a short line naming one service labels the lines under it ("Amazon Kinesis Data Streams")


@dataclass(frozen=True)
class Statement:
    doc_id: str
    doc_title: str
    path: tuple[str, ...]
    line: str
    amount: str


@dataclass(frozen=True)
class Disagreement:
    subject: str  # the AWS service
    measure: str  # "retention", "default retention", "storage" …
    kind: str  # "time" or "size"
    first: Statement
    second: Statement

    def about(self, passage: str) -> bool:
        """Whether the passage quotes either side's line (whitespace-insensitive)."""
        flat = " ".join(passage.split())
        return any(" ".join(side.line.split()) in flat for side in (self.first, self.second))


@dataclass(frozen=True)
class _Fact:
    key: tuple[str, str]  # (service, measure)
    kind: str
    value: float
    statement: Statement
    clause_terms: frozenset[str]
    values: tuple[float, ...]  # every amount of its kind in the line: a line giving both clashes with none
    operation: frozenset[str]  # "read" / "write" anywhere in the line: an RCU's 4 KB is no item's maximum


def notes_disagreements(documents: dict, services: tuple[str, ...]) -> list[Disagreement]:
    """Facts two documents give different values for: same service, same measure (and both a default or
    neither), the same side of it (`same_thing`: no read limit against a write limit), and no value of one
    anywhere in the other document's lines on it. `documents`: {SourceDoc: [Section]}."""
    by_key: dict[tuple[str, str], dict[str, list[_Fact]]] = {}
    for doc, sections in documents.items():
        for fact in _facts(doc, sections, services):
            by_key.setdefault(fact.key, {}).setdefault(doc.doc_id, []).append(fact)
    found = []
    for (subject, measure), per_doc in sorted(by_key.items()):
        doc_ids = sorted(per_doc)
        for i, first_doc in enumerate(doc_ids):
            for second_doc in doc_ids[i + 1:]:
                pair = _clash(per_doc[first_doc], per_doc[second_doc])
                if pair:
                    found.append(Disagreement(subject, measure, pair[0].kind, pair[0].statement, pair[1].statement))
    return found


def _clash(mine: list[_Fact], theirs: list[_Fact]) -> tuple[_Fact, _Fact] | None:
    def close(a: float, b: float) -> bool:
        return abs(a - b) <= 0.01 * max(a, b)

    said_by_mine = [v for f in mine for v in f.values]
    said_by_theirs = [v for f in theirs for v in f.values]
    for a in mine:
        for b in theirs:
            if any(close(a.value, v) for v in said_by_theirs) or any(close(b.value, v) for v in said_by_mine):
                return None  # both documents give this value somewhere: they describe two cases, not one fact
    return next(((a, b) for a in mine for b in theirs
                 if same_thing(a.clause_terms, b.clause_terms) and a.operation == b.operation), None)


def _facts(doc, sections, services: tuple[str, ...]):
    def service_in(text: str) -> str | None:
        named = _named_services(text, services)
        return next(iter(named)) if len(named) == 1 else None

    for section in sections:
        labels: list[str] = []  # short lines so far, the latest last; read only when a fact needs its subject
        for line in section.lines:
            found = measures(line)
            if not found and 0 < len(line.split()) <= _LABEL_WORDS:
                labels.append(line)
            if (not found or _TABLE_ROW in line or WORKED_EXAMPLE.search(line)
                    or not any(p.search(line) for p, _ in _MEASURE_PATTERNS.values())):
                continue
            named = _named_services(line, services)
            if len(named) > 1:
                continue  # "SWF runs last a year, SQS messages 14 days": whose amount is whose?
            subject = next(iter(named), None) or next(
                (s for s in map(service_in, [*reversed(labels), *reversed(section.path)]) if s), None)
            if subject is not None:
                yield from _line_facts(doc, section, line, subject, found)


def _named_services(text: str, services: tuple[str, ...]) -> set[str]:
    """The services `text` names, the most specific only ("Kinesis Data Streams", not also "Kinesis")."""
    from bot.search.query import service_pattern

    named = {s for s in services if service_pattern(s).search(text)}
    return {s for s in named if not any(s != o and s.lower() in o.lower() for o in named)}


def _measure(text: str) -> tuple[str, str] | None:
    named = [(name, kind) for name, (pattern, kind) in _MEASURE_PATTERNS.items() if pattern.search(text)]
    return named[0] if len(named) == 1 else None


def _line_facts(doc, section, line: str, subject: str, found: list[Measure]):
    """A fact per amount whose clause (or else whose line) names one measure of the amount's kind."""
    line_measure = _measure(line)
    operation = frozenset(terms(line)) & _OPERATIONS
    for amount in found:
        start, end = next(((a, b) for a, b in _clauses(line) if a <= amount.at < b), (0, len(line)))
        clause = line[start:end]
        measure = _measure(clause) or (line_measure if not any(p.search(clause) for p, _ in
                                                               _MEASURE_PATTERNS.values()) else None)
        if measure is None or measure[1] != amount.kind:
            continue
        same_kind = [a for a in found if a.kind == amount.kind]
        is_default = bool(re.search(r"\bdefault\b", clause, re.IGNORECASE))
        if not is_default and amount.value < max(a.value for a in same_kind):
            continue  # a range's lower end ("1 day and 365 days"): the fact is its upper end
        statement = Statement(doc.doc_id, doc.title, section.path, line.strip(), amount.text)
        key = (subject, ("default " if is_default else "") + measure[0])
        yield _Fact(key, amount.kind, amount.value, statement, frozenset(_clause_terms(line, amount)),
                    tuple(a.value for a in same_kind), operation)
