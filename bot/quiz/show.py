"""What a card shows before it is answered — the same in the terminal, the app and the export.

The header above a question says where the card comes from, but only as far as that does not name the
answer: a "which AWS service fits?" card from the section "… › AWS Shield" shows the document and the
area ("Security"), never the section that is the answer. The section is shown after the answer.
"""

from __future__ import annotations

import itertools
import re

from bot.amounts import quantities
from bot.quiz.cards import Card, heading_text
from bot.quiz.kinds import mentions
from bot.quiz.text import GENERIC_WORDS, answer_visible, content_words, initials, leaks, name_key, root

LETTERS = "ABCD"
AREA_NAMES = {
    "storage": "Storage", "archive": "Storage", "hybrid": "Storage", "migration": "Migration and transfer",
    "database": "Databases", "nosql": "Databases", "warehouse": "Analytics", "query": "Analytics",
    "analytics": "Analytics", "etl": "Analytics", "bi": "Analytics", "streaming": "Streaming",
    "messaging": "Application integration", "orchestration": "Application integration", "compute": "Compute",
    "containers": "Compute", "network": "Networking", "edge": "Networking", "security": "Security",
    "identity": "Security", "threat": "Security", "encryption": "Security", "secrets": "Security",
    "edge-security": "Security", "governance": "Management and governance", "monitoring": "Management and governance",
    "iac": "Management and governance", "devtools": "Developer tools", "ml": "Machine learning",
}


def gives_away(card: Card, text: str) -> bool:
    """Would `text`, shown with the card, name its answer? A typed card's other accepted spellings count too;
    a choice card shows its answer as written, so only that form can be pointed at."""
    forms = list(card.right_options) if card.choices else [f for f in (card.answer, *card.accepted) if f]
    if any(answer_visible(f, text) for f in forms):
        return True
    if card.family == "number":
        return _worked_out(card.answer, text)
    return any(leaks(f, text, list(card.distractors)) or _initialled(f, text) for f in card.right_options) or \
        _described(card, text)


# A period named in words ("once a quarter") is its amount of days: the blank beside it is no question.
_PERIODS = {"quarter": "90 days", "month": "30 days", "week": "7 days", "year": "365 days", "fortnight": "14 days"}


def _worked_out(answer: str, text: str) -> bool:
    """A number card whose text gives its answer: a named period, one product of two of its numbers ("2 copies in
    each of ____ zones, 6 copies in all" -> 3), a percent as a fraction, or one of a unit it names."""
    wanted = quantities(answer)
    if any(q.same_as(p) for word, days in _PERIODS.items() if re.search(rf"\b(?:a|per|every|each) {word}\b", text, re.I)
           for q in wanted for p in quantities(days)):
        return True
    percent = re.fullmatch(r"(\d+(?:\.\d+)?)\s*%", answer.strip())
    if percent and re.search(rf"(?<![\d.])0?{re.escape(str(float(percent.group(1)) / 100).rstrip('0'))}0*(?![\d.])",
                             text):
        return True  # "certainty=1.0" shows 100%
    unit = re.fullmatch(r"1\s*([A-Za-z]{2,})", answer.strip())
    if unit and not any(q.measured for q in wanted) and \
            re.search(rf"(?<![\d.])(?<![\d.] )\b{re.escape(unit.group(1))}s?\b", text, re.I):
        return True  # "1 WCU" under "Write Capacity Units (WCUs)": the unit's own definition, not a fact
    count = re.fullmatch(r"(\d+)(?:\s+[a-z]+)?", answer.strip())  # "3", "20 consumers": not a measured amount
    if not count or any(q.measured for q in wanted):
        return False
    value = int(count.group(1))
    numbers = [int(n) for n in re.findall(r"(?<![\w.])\d+(?![\d.])", text)]  # "2MB/s" counts as 2
    return any(a * value == b for a in numbers for b in numbers if a > 1 and value > 1)


def _initialled(answer: str, text: str) -> bool:
    """The answer's initials as a word of the text: "ALB" above "Application Load Balancer"."""
    short = initials(answer)
    return len(short) >= 3 and re.search(rf"\b{short}s?\b", text) is not None


def _described(card: Card, text: str) -> bool:
    """The text spells out another name of the answer's service: "elastic NFS file system" for EFS (every
    telling word of "Elastic File System" is there, by root or stem), two words of its name in a row ("same file
    system"), or a word only the answer's name has among the options ("Kubernetes" for EKS, "build" for
    CodeBuild, "backing up" for AWS Backup)."""
    text = re.sub(r"\bdbs?\b", "database", text, flags=re.I)
    text = re.sub(r"\bback(?:ing)?[ -]up\b", "backup", text, flags=re.I)
    words = content_words(text)
    roots, stems = {root(w) for w in words}, {w[:5] for w in words}
    flat = f" {name_key(text)} "
    others = {w[:5] for c in card.distractors for service, _, _ in mentions(c) for name in service.names
              for w in content_words(_split_joined(name))}
    for answer in card.right_options:
        for service, _, _ in mentions(answer):
            if card.distractors and all(_names(service, d) for d in card.distractors):
                continue  # "S3", which every storage class is named with, points at none of them
            for name in service.names:
                telling = [w for w in content_words(_split_joined(name)) if w not in GENERIC_WORDS]
                if len(telling) >= 2 and all(root(w) in roots or w[:5] in stems for w in telling):
                    return True
                own = {w[:5] for w in telling if len(w) >= 5 and w not in _KIND_WORDS} - others
                parts = name_key(_split_joined(name)).split()
                if own & stems or any(f" {a} {b} " in flat for a, b in itertools.pairwise(parts)):
                    return True
    return False


def _names(service, text: str) -> bool:
    flat = f" {name_key(text)} "
    return any(f" {name_key(name)} " in flat for name in service.names if name_key(name))


def _split_joined(name: str) -> str:
    """A name's joined words apart: "AWS CodeBuild" -> "AWS Code Build" (a prompt saying "build" points at it)."""
    return re.sub(r"(?<=[a-z])(?=[A-Z][a-z])", " ", name)


# Words services of one kind are all named with: "database" above a database question points at none of them.
_KIND_WORDS = frozenset("database databases storage elastic simple apache".split())


def names_a_choice(card: Card, label: str) -> bool:
    """A heading shown above a choice question that names one of its options points at it (or away from it)."""
    key = f" {name_key(label)} "
    return any(name_key(c) and f" {name_key(c)} " in key for c in card.choices)


def shown_path(card: Card) -> list[str]:
    """The section path as far as it does not give the answer away (the doc title is not repeated)."""
    shown: list[str] = []
    for part in card.section_path:
        label = heading_text(part)
        if not label or label == card.doc_title:
            continue
        if gives_away(card, label) or gives_away(card, " ".join([*shown, label, card.prompt])) or \
                names_a_choice(card, label):
            break
        shown.append(label)
    return shown


def area(card: Card) -> str:
    """The area of a service card's answer ("Security"), from the service catalogue."""
    return _area_of(card.answer)


def _area_of(name: str) -> str:
    found = mentions(name)
    areas = found[0][0].areas if found else ()
    return next((AREA_NAMES[a] for a in areas if a in AREA_NAMES), "")


def where(card: Card) -> list[str]:
    """Where in its document a card is from, as shown: the safe part of the path, or a service card's area when
    every option is of that area (else the area would single out the answer: "Compute" above Lambda, ECR, ECS)."""
    if card.family in ("service", "scenario"):
        label = area(card)
        if not label or gives_away(card, f"{label}\n{card.prompt}") or \
                any(_area_of(choice) != label for choice in card.choices):
            return []
        return [label]
    return shown_path(card)


def header(card: Card, exam: str = "") -> str:
    """The line above the question: exam, document, then where in it."""
    head = f"{exam} · {card.doc_title}" if exam else card.doc_title
    shown = where(card)
    if shown and card.prompt.startswith(" › ".join(shown[-2:])):
        shown = shown[:-2]  # the prompt opens with these headings already
    return " › ".join([head, *shown])


MULTI_HINT = "Type the letters of your choices, e.g. A C."


def option_lines(card: Card) -> list[str]:
    return [f"{LETTERS[i]}) {choice}" for i, choice in enumerate(card.choices)]


def picked_from_list(card: Card) -> list[str]:
    """The options an app offers as a one-pick list: a multiple-response question is answered by typing letters."""
    return option_lines(card) if card.kind == "mcq" else []


def card_record(card: Card, exam: str, domain: str, topic=None) -> dict:
    """One line of `studybot quiz --export`: the card as a person sees it, then what it is about (its exam's
    domain; the blueprint topic it teaches, bot.quiz.domains)."""
    return {"id": card.id, "kind": card.kind, "header": header(card, exam), "prompt": card.prompt,
            "choices": option_lines(card), "answer": card.expected, "doc": card.doc_id,
            "section": card.section, "exam": exam, "domain": domain,
            "topic": topic.id if topic else "", "topic_name": topic.name if topic else ""}
