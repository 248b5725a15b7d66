"""Pick the lines of the retrieved passages that answer a question, by the kind of answer it asks for.

A definition wants the sentence that opens the subject's own section; a number wants the line holding a
quantity; a comparison a line for each side; a list the bullets under a matching label; a how-to the lines
that recommend something. Every kind still scores lines by the question's idf-weighted terms.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from bot.amounts import measures
from bot.answer.disagree import disagreeing_unit, wanted_kind
from bot.answer.line_rank import line_features
from bot.answer.lines import BULLET, Unit, condensed, list_blocks, passage_units
from bot.models import Chunk, Hit
from bot.search.query import COMPARISON, DEFINITION, HOWTO, LIST, NUMBER, comparison_sides, query_weights
from bot.search.rank import LineSignals
from bot.text import term_coverage, term_set, terms

MAX_UNITS = 4
MAX_ANSWER_CHARS = 450
RANK_PRIOR = 0.3  # preference for lines of the better-ranked passages
FOCUS_MISS = 0.15  # a line that never names the rarest thing the question asks about
PACK_SHARE = 0.6  # a unit scoring under this share of the best one is not worth its space
# A definition opens with the subject's own section, a number is checked against the other notes' amounts: both
# read the hand-set scores (the learned ones quoted a billing line for "what is X used for", another service's
# retention beside Kinesis'); the other kinds of question take the learned line scores.
HAND_SET_INTENTS = frozenset({DEFINITION, NUMBER})
LEARNED_PACK_SHARE = 0.0  # learned lines: the best few fill the answer (chosen on dev: 0 / 0.15 / 0.3)
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


_KEPT_QUESTIONS = 8  # line scores kept per chooser: a few questions answered at once in the app


@dataclass(frozen=True)
class _LineScore:
    """A line's score for one question, apart from the rank prior of its passage."""

    order: int
    text: str
    fit: float  # unit_score: the question's terms in the line (and its section path)
    bonus: float  # intent_bonus: the kind of answer asked, found in the line
    misses_focus: bool  # the line never names what the question is about


@dataclass(frozen=True)
class Choice:
    units: list
    conflict: tuple | None = None  # (unit, amount, other unit, other amount) when two documents disagree


class LineChooser:
    """Chooses answer units from hits for a question (and the terms carried from earlier turns)."""

    def __init__(self, idf: dict[str, float], is_section_start=None, name_terms: frozenset[str] = frozenset(),
                 line_model=None):
        self.idf = idf
        self.line_model = line_model  # learned line scores (bot.answer.line_rank); None: the hand-set score
        self.line_log: list | None = None  # `make train` reads the lines each answer chose from
        self.is_section_start = is_section_start or (lambda chunk: False)
        self.name_terms = name_terms  # terms the notes write as names (services, features)
        # A question's lines are scored once: re-ranking the candidates and then choosing the answer's lines
        # read the same scores (the rank prior, which depends on the final order, is added per call).
        self._line_scores: OrderedDict[tuple, dict[Chunk, list[_LineScore]]] = OrderedDict()
        self._lock = threading.Lock()

    def weights(self, question: str, context: str = "") -> dict[str, float]:
        return query_weights(self.idf, question, context)

    def choose(self, question: str, intent: str, hits: list[Hit], context: str = "") -> Choice:
        weights = self.weights(question, context)
        if intent == LIST:
            block = self.best_list(weights, hits)
            if block is not None:
                return Choice([block])
        kind = wanted_kind(question)
        if intent not in HAND_SET_INTENTS and (self.line_model is not None or self.line_log is not None):
            units = self.learned_units(question, context, weights, intent, hits, kind)
        else:
            units = self.scored_units(weights, intent, hits, kind=kind)
        if not units:
            return Choice([])
        if intent == COMPARISON:
            sides = comparison_sides(question)
            if sides:
                return Choice(per_side(sides, units, hits))
        learned = self.line_model is not None and intent not in HAND_SET_INTENTS
        share = LEARNED_PACK_SHARE if learned else PACK_SHARE
        chosen = pack(units, {DEFINITION: 2, NUMBER: 3}.get(intent, MAX_UNITS), share)
        if intent != NUMBER:
            return Choice(chosen)
        conflict = disagreeing_unit(question, chosen, units, hits, RANK_PRIOR, focus_term(weights, self.name_terms))
        if conflict is None:
            return Choice(chosen)
        mine, other = conflict[0], conflict[2]
        kept = [u for u in chosen if u.hit_index == mine.hit_index or u is mine][:2]
        both = kept + ([other] if other not in kept else [])
        return Choice(sorted(both, key=lambda u: (u.hit_index, u.order)), conflict)

    def best_unit_scores(self, question: str, intent: str, hits: list[Hit], context: str = "") -> list[float]:
        """How well each hit's best line answers the question, rank prior left out (0 at the least)."""
        return [signals.best for signals in self.best_lines(question, intent, hits, context)]

    def best_lines(self, question: str, intent: str, hits: list[Hit], context: str = "") -> list[LineSignals]:
        """Per hit, what its lines offer: the best fit, the best bonus, and the best whole score (rank prior left out,
        0 at the least), which the hand-set re-rank weighs and the learned ranker reads."""
        weights = self.weights(question, context)
        kind = wanted_kind(question)
        found = []
        for lines in self._lines_of(hits, weights, intent, kind):
            found.append(LineSignals(
                max((line.fit for line in lines), default=0.0), max((line.bonus for line in lines), default=0.0),
                max([0.0] + [line.fit + line.bonus - FOCUS_MISS * line.misses_focus for line in lines]),
                any(not line.misses_focus for line in lines)))
        return found

    def learned_units(self, question: str, context: str, weights: dict[str, float], intent: str, hits: list[Hit],
                      kind: str | None) -> list[Unit]:
        """Every line of the hits scored by the line model (the chance it holds the answer), best first; with
        only `line_log` set (training), the hand-set scores, and the lines' features logged."""
        lines_per_hit = self._lines_of(hits, weights, intent, kind)
        rows = line_features(question, context, intent, hits, lines_per_hit, self.idf, QUANTITY)
        flat = [(i, line) for i, lines in enumerate(lines_per_hit) for line in lines]
        if self.line_log is not None:
            self.line_log.append((hits, flat, rows))
        if self.line_model is None:
            return self.scored_units(weights, intent, hits, kind=kind)
        chance = 1 / (1 + np.exp(-self.line_model.scores(rows)))
        units = [Unit(i, line.order, line.text, float(p)) for (i, line), p in zip(flat, chance, strict=True)]
        units.sort(key=lambda u: -u.score)
        return units

    def scored_units(self, weights: dict[str, float], intent: str, hits: list[Hit],
                     rank_prior: float = RANK_PRIOR, kind: str | None = None) -> list[Unit]:
        units = []
        for i, lines in enumerate(self._lines_of(hits, weights, intent, kind)):
            for line in lines:
                score = line.fit + rank_prior / (i + 1)
                score += line.bonus
                if line.misses_focus:
                    score -= FOCUS_MISS
                units.append(Unit(i, line.order, line.text, score))
        units.sort(key=lambda u: -u.score)
        return units

    def _lines_of(self, hits: list[Hit], weights: dict[str, float], intent: str,
                  kind: str | None) -> list[list[_LineScore]]:
        """Each hit's line scores for this reading of the question, scored the first time a passage is seen."""
        scores = self._scores_for(weights, intent, kind)
        for hit in hits:
            if hit.chunk not in scores:
                scores[hit.chunk] = self._line_scores_of(hit, weights, intent, kind)
        return [scores[hit.chunk] for hit in hits]

    def _scores_for(self, weights: dict[str, float], intent: str, kind: str | None) -> dict[Chunk, list[_LineScore]]:
        """The line scores kept for this reading of a question (the last few questions' are kept)."""
        key = (tuple(weights.items()), intent, kind)
        with self._lock:
            if key not in self._line_scores:
                self._line_scores[key] = {}
                while len(self._line_scores) > _KEPT_QUESTIONS:
                    self._line_scores.popitem(last=False)
            return self._line_scores[key]

    def _line_scores_of(self, hit: Hit, weights: dict[str, float], intent: str,
                        kind: str | None) -> list[_LineScore]:
        subject = {t: w for t, w in weights.items() if t not in _ASK_WORDS}
        focus = focus_term(weights, self.name_terms)
        path_terms = term_set(" ".join(hit.chunk.section_path))
        starts_section = self.is_section_start(hit.chunk)
        lead = True
        lines = []
        for order, text in passage_units(hit.chunk.text):
            present = term_set(text)
            informative = len(present - path_terms) >= 4  # not a repeated heading or a bare label
            bonus = intent_bonus(intent, text, lead and informative and starts_section, subject, path_terms, kind)
            misses_focus = focus is not None and focus not in present | path_terms
            lines.append(_LineScore(order, text, unit_score(text, weights, path_terms), bonus, misses_focus))
            lead = lead and not informative
        return lines

    def best_list(self, weights: dict[str, float], hits: list[Hit]) -> Unit | None:
        best = None
        for i, hit in enumerate(hits):
            path = " ".join(hit.chunk.section_path)
            for order, label, items in list_blocks(hit.chunk.text):
                heading = set(terms(f"{path} {label}"))
                score = term_coverage(weights, heading) + 0.3 * term_coverage(weights, set(terms(" ".join(items))))
                labelled = sum(bool(_ITEM_LABEL.match(BULLET.sub("", item))) for item in items) / len(items)
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
            present = term_set(unit.text) | term_set(" ".join(hits[unit.hit_index].chunk.section_path))
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


def unit_score(text: str, weights: dict[str, float], path_terms: frozenset[str] | set[str]) -> float:
    """Question coverage (the section path counts half), plus credit for saying something new."""
    present = term_set(text)
    own = term_coverage(weights, present)
    with_path = term_coverage(weights, present | path_terms)
    score = own + 0.5 * (with_path - own)
    novel = len(present - weights.keys())
    score += 0.15 * min(novel, 8) / 8
    if novel < 2:
        score -= 0.3  # a heading or a bare list item restates the question without answering it
    return score


def intent_bonus(intent: str, text: str, opens_section: bool, subject: dict[str, float],
                 path_terms: frozenset[str] | set[str], kind: str | None = None) -> float:
    if intent == NUMBER:
        if kind is not None and QUANTITY.search(text) and not any(a.kind == kind for a in measures(text)):
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


def pack(units: list[Unit], limit: int, share: float = PACK_SHARE) -> list[Unit]:
    """The best units, within `limit` units and the answer length, in passage order."""
    best = units[0].score
    chosen: list[Unit] = []
    length = 0
    for unit in units:
        if len(chosen) == limit or unit.score < share * best or length + len(unit.text) > MAX_ANSWER_CHARS:
            if chosen:
                break
        if any(unit.text == c.text for c in chosen):
            continue
        chosen.append(unit)
        length += len(unit.text)
    return sorted(chosen, key=lambda u: (u.hit_index, u.order))
