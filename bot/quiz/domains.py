"""The exams the notes prepare for: their domains and weights (bot/data/exam_domains.json), and which domain
a card belongs to.

A card is tagged by the domain whose guide keywords (services, skills) its section path and text name,
rarer keywords counting more; where it names none, by the domain with the larger exam weight.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from bot.quiz.cards import Card
from bot.text import normalize

GUIDES_FILE = Path(__file__).resolve().parent.parent / "data" / "exam_domains.json"
PATH_WEIGHT = 2.0  # the section path says what a card is about more surely than a word of its sentence


@dataclass(frozen=True)
class Domain:
    name: str
    weight: int  # percent of the scored exam
    tasks: tuple[str, ...]
    keywords: tuple[str, ...]


@dataclass(frozen=True)
class ExamGuide:
    code: str
    title: str
    version: str
    questions: int
    minutes: int
    pass_score: int
    domains: tuple[Domain, ...]
    retired: str = ""  # the date AWS retired the exam ("" while it is offered)

    def retirement_note(self) -> str:
        """What a student must know before practising a retired exam ("" for a current one)."""
        if not self.retired:
            return ""
        return (f"AWS retired {self.code} on {self.retired}: it can no longer be taken. The practice exam and its pass "
                "line remain for its notes, which also serve the topics DEA-C01 shares with it.")

    def domain(self, name: str) -> Domain:
        for domain in self.domains:
            if domain.name == name:
                return domain
        raise KeyError(f"{self.code} has no domain {name!r}")


@lru_cache(maxsize=1)
def load_guides(path: Path = GUIDES_FILE) -> dict[str, ExamGuide]:
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    guides = {}
    for code, exam in data["exams"].items():
        domains = tuple(Domain(d["name"], int(d["weight"]), tuple(d["tasks"]), tuple(k.lower() for k in d["keywords"]))
                        for d in exam["domains"])
        guides[code] = ExamGuide(code, exam["title"], str(exam["guide_version"]), int(exam["questions"]),
                                 int(exam["minutes"]), int(exam["pass_score"]), domains, exam.get("retired", ""))
    return guides


def _phrase(keyword: str) -> re.Pattern:
    return re.compile(rf"(?<![a-z0-9]){re.escape(keyword)}s?(?![a-z0-9])")


class DomainTagger:
    """Tags cards with a domain of their document's exam."""

    def __init__(self, guides: dict[str, ExamGuide] | None = None):
        self.guides = guides or load_guides()
        self._patterns = {
            code: [(domain, [(_phrase(k), self._rarity(guide, k)) for k in domain.keywords])
                   for domain in guide.domains]
            for code, guide in self.guides.items()
        }

    @staticmethod
    def _rarity(guide: ExamGuide, keyword: str) -> float:
        shared = sum(keyword in d.keywords for d in guide.domains)
        return math.log(1 + len(guide.domains) / shared)

    def scores(self, card: Card, exam: str) -> dict[str, float]:
        path = normalize(" ".join(card.section_path))
        text = normalize(f"{card.prompt} {card.answer} {card.passage}")
        scores = {}
        for domain, patterns in self._patterns.get(exam, []):
            scores[domain.name] = sum(
                rarity * (PATH_WEIGHT * bool(p.search(path)) + bool(p.search(text))) for p, rarity in patterns)
        return scores

    def domain(self, card: Card, exam: str) -> str:
        guide = self.guides.get(exam)
        if guide is None:
            return ""
        scores = self.scores(card, exam)
        return max(guide.domains, key=lambda d: (scores.get(d.name, 0.0), d.weight)).name
