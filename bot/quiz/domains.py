"""The exams the notes prepare for: the blueprint of each (bot/data/exam_domains.json: domains, weights, task
statements, topics, in-scope services), and which topic and domain a card belongs to.

A card is tagged with the blueprint topic whose keywords its own heading (counting double), the headings above it
and its text name, longer phrases counting more; its domain is that topic's. A card that names no topic's keyword
is tagged by the domain whose guide keywords it names, rarer ones counting more, else by the domain with the larger
weight. A retired exam's cards take their topics from the exam it serves (DAS-C01 -> DEA-C01).
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
# A card of another exam's notes serves this exam when one of the exam's topics scores this much: named in its own
# heading and its text, say (an IAM card of the Solutions Architect notes for a DEA-C01 student), not in a passing word.
BORROW_SCORE = 3.0


@dataclass(frozen=True)
class Topic:
    """A line of the blueprint: what the exam tests about one service or feature, under a task statement."""

    id: str
    name: str
    domain: str
    task: str
    keywords: tuple[str, ...]


@dataclass(frozen=True)
class Domain:
    name: str
    weight: int  # percent of the scored exam
    tasks: tuple[str, ...]
    keywords: tuple[str, ...]
    topics: tuple[Topic, ...] = ()


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
    serves: str = ""  # a retired exam: the current one whose topics its notes serve
    services: tuple[str, ...] = ()  # in scope, as the guide lists them

    @property
    def topics(self) -> tuple[Topic, ...]:
        return tuple(t for d in self.domains for t in d.topics)

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
        domains = tuple(Domain(d["name"], int(d["weight"]), tuple(d["tasks"]), tuple(k.lower() for k in d["keywords"]),
                               tuple(_topic(t, d) for t in d.get("topics", ())))
                        for d in exam["domains"])
        guides[code] = ExamGuide(code, exam["title"], str(exam["guide_version"]), int(exam["questions"]),
                                 int(exam["minutes"]), int(exam["pass_score"]), domains, exam.get("retired", ""),
                                 exam.get("serves", ""), tuple(exam.get("in_scope_services", ())))
    return guides


def _topic(topic: dict, domain: dict) -> Topic:
    if topic["task"] not in domain["tasks"]:
        raise ValueError(f"topic {topic['id']}: {topic['task']!r} is not a task of {domain['name']}")
    return Topic(topic["id"], topic["name"], domain["name"], topic["task"], tuple(k.lower() for k in topic["keywords"]))


def _phrase(keyword: str) -> re.Pattern:
    return re.compile(rf"(?<![a-z0-9]){re.escape(keyword)}s?(?![a-z0-9])")


class DomainTagger:
    """Tags cards with a topic and a domain of an exam."""

    def __init__(self, guides: dict[str, ExamGuide] | None = None):
        self.guides = guides or load_guides()
        self._topic_patterns = {k: _phrase(k) for g in self.guides.values() for t in g.topics for k in t.keywords}
        self._scored: dict[tuple[Card, str], dict[Topic, float]] = {}
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

    def blueprint(self, exam: str) -> ExamGuide | None:
        """The guide whose topics an exam's cards are tagged with: its own, or the one a retired exam serves."""
        guide = self.guides.get(exam)
        return self.guides.get(guide.serves, guide) if guide is not None else None

    def topic_scores(self, card: Card, exam: str) -> dict[Topic, float]:
        guide = self.blueprint(exam)
        if guide is None:
            return {}
        key = (card, guide.code)  # tagging, an exam's pool and its domains ask about the same card: score it once
        if key not in self._scored:
            self._scored[key] = self._score(card, guide)
        return self._scored[key]

    def _score(self, card: Card, guide: ExamGuide) -> dict[Topic, float]:
        leaf = normalize(card.section_path[-1]) if card.section_path else ""
        above = normalize(" ".join(card.section_path[:-1]))
        text = normalize(f"{card.prompt} {card.answer} {card.passage}")
        scores = {}
        for topic in guide.topics:
            score = sum((PATH_WEIGHT * self._names(k, leaf) + self._names(k, above) + self._names(k, text))
                        * (1 + 0.5 * (len(k.split()) - 1)) for k in topic.keywords)
            if score:
                scores[topic] = score
        return scores

    def names_topic(self, topic: Topic, text: str) -> bool:
        """One of the topic's keywords is a word of `text` (lower case)."""
        return any(self._names(k, text) for k in topic.keywords)

    def _names(self, keyword: str, text: str) -> bool:
        """The keyword as a word of `text` (the substring test first: most keywords are absent, and it is cheap)."""
        return keyword in text and self._topic_patterns[keyword].search(text) is not None

    def topic(self, card: Card, exam: str) -> Topic | None:
        """The blueprint topic the card tests, None when it names none."""
        scores = self.topic_scores(card, exam)
        return max(scores, key=lambda t: scores[t]) if scores else None

    def home_topic(self, card: Card, exam: str) -> Topic | None:
        """The topic a card teaches: in its exam's blueprint, else in another current exam's (a CloudFront card
        of the data engineering notes teaches a Solutions Architect topic); None when no blueprint names it."""
        found = self.topic(card, exam)
        if found is not None or self.guides.get(exam) is None:
            return found
        others = [self.topic(card, code) for code, g in self.guides.items() if g.topics and code != exam]
        return next((t for t in others if t is not None), None)

    def serves(self, card: Card, exam: str) -> Topic | None:
        """The topic of `exam` a card of other notes teaches, when its section path names it; else None."""
        scores = self.topic_scores(card, exam)
        best = max(scores, key=lambda t: scores[t]) if scores else None
        return best if best is not None and scores[best] >= BORROW_SCORE else None

    def studies_for(self, card: Card, card_exam: str, exam: str) -> bool:
        """Does a card of `card_exam`'s notes belong in `exam`'s deck? Its own exam's, a retired exam's serving this
        one on a shared topic, or another exam's when its section path names a topic of this one."""
        if card_exam == exam:
            return True
        if self.blueprint(exam) is not self.guides.get(exam):
            return False  # a retired exam keeps to its own notes
        guide = self.guides.get(card_exam)
        if guide is not None and guide.serves == exam:
            return self.topic(card, card_exam) is not None
        return self.serves(card, exam) is not None

    def domain(self, card: Card, exam: str) -> str:
        """The card's domain in `exam`: its topic's there (also for a card of other notes), else by keywords."""
        guide = self.guides.get(exam)
        if guide is None:
            return ""
        topic = self.topic(card, exam) if guide.topics else None
        if topic is not None:
            return topic.domain
        scores = self.scores(card, exam)
        return max(guide.domains, key=lambda d: (scores.get(d.name, 0.0), d.weight)).name
