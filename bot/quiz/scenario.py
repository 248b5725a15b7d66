"""Scenario questions, as the exam asks them: a short situation, four services of one family, the line of the notes
that decides it.

They come from the notes' advice lines — "Use X to <need>", "X is designed to <need>", "X helps you <need>" — and from
feature lists under a service's heading ("Data Discovery: Identify … PII …"), with the need turned into a situation
("A team using Amazon Athena needs to monitor query performance."). A need worded as a noun phrase ("Use EBS for DB
data, critical logs, and application configs") is too thin to tell similar services apart: two independent reviews
found most such items weak or disputable, so they are not made. Where the line names several services ("Use DynamoDB
or S3 to maintain state"), the question is a multiple-response one: choose two. Wrong options come from the answer's
family (bot.quiz.kinds) and are left out when a line of the notes gives them the same job, when AWS offers them for
the same need (bot.quiz.kinds.INTERCHANGEABLE), or when the need names a job several services do (SHARED_JOBS).
"""

from __future__ import annotations

import random
import re
from collections import Counter
from dataclasses import dataclass, field

from bot.models import Section
from bot.quiz.cards import Card, lines_in_context, make_card, sentences
from bot.quiz.choices import BLURB_WORDS, disguised
from bot.quiz.kinds import Service, interchangeable, mentions, retired_in, same_kind
from bot.quiz.text import GENERIC_WORDS, content_words

# Jobs several services do, each in its own way: when a need names one, none of them is a wrong option for another
# ("lifecycle policies moving data between storage tiers" is S3's job as much as EFS's).
SHARED_JOBS = (
    ("lifecycle", {"Amazon S3", "Amazon EFS", "Amazon S3 Glacier", "AWS Backup", "Amazon EBS"}),
    ("schedul", {"AWS Lambda", "AWS Batch", "Amazon EventBridge", "AWS Step Functions", "Amazon MWAA", "AWS Glue"}),
    ("snapshot", {"Amazon EBS", "Amazon RDS", "Amazon Aurora", "Amazon Redshift", "AWS Backup", "Amazon EFS"}),
    ("replicat", {"Amazon S3", "Amazon DynamoDB", "Amazon RDS", "Amazon Aurora", "Amazon EFS", "AWS DataSync"}),
    ("enrich", {"Amazon Managed Service for Apache Flink", "Amazon EventBridge", "Amazon Data Firehose", "AWS Lambda"}),
    ("topic", {"Amazon SNS", "Amazon MSK", "Amazon MQ", "Amazon EventBridge"}),
    ("encrypt", {"AWS KMS", "AWS CloudHSM", "Amazon S3", "Amazon EBS", "Amazon EFS", "Amazon RDS", "Amazon Redshift",
                 "Amazon DynamoDB", "AWS Secrets Manager"}),
)
# Share of the need's telling words that another service's line must hold for that service to count as right too.
SAME_JOB = 0.45
MIN_NEED_WORDS = 4  # telling words a need must have: "send alarms or alerts" (3) fits too many services

_LABEL = re.compile(r"^[^:]{2,60}:\s+")
_USE = re.compile(r"^(?:use|choose|leverage)\s+", re.I)
# What follows a service named first when the line says what it is for: "is designed to", "helps you", "can be used to".
_PURPOSE = re.compile(r"^\s+(?:(?:is|are)\s+(?:(?:commonly|primarily|often|mainly)\s+)?(?:ideal|best|well[- ]suited|"
                      r"suited|designed|perfect|great|used|built|purpose-built)\s+to|"
                      r"(?:helps|lets|allows|enables)(?:\s+(?:you|users|customers|organi[sz]ations|teams))?(?:\s+to)?|"
                      r"can\s+be\s+used\s+to)\s+", re.I)
_JOINER = re.compile(r"^(?:,\s*|\s+)(?:(?:and|or)\s+)?(?:the\s+)?$", re.I)
_NEED = re.compile(r"^\s+to\s+(?P<need>.+)$", re.I)
_NOT_A_NEED = re.compile(r"(?:be|in|on|with|by|the|a|an|for|to)\b", re.I)  # "can be used, but …", "helps in …"
_YOU = ((re.compile(r"\byour\b", re.I), "its"), (re.compile(r"\byou\b", re.I), "it"))


@dataclass(frozen=True)
class Advice:
    """One line of advice: the services it names for a need, and that need as the notes word it."""

    services: tuple[Service, ...]
    need: str  # a verb phrase: what has to be done
    sentence: str


def advice_in(sentence: str) -> Advice | None:
    """The services a sentence of advice names and the need they serve, or None for any other sentence."""
    text = _LABEL.sub("", sentence.strip(), count=1)
    found = _USE.match(text)
    if found:
        services, rest = _named_list(text, found.end())
        need = _NEED.match(rest)
        return Advice(services, need.group("need"), sentence) if services and need else None
    services, rest = _named_list(text, 0)
    if len(services) != 1:
        return None
    purpose = _PURPOSE.match(rest)
    if purpose:
        need = rest[purpose.end():]
        return None if _NOT_A_NEED.match(need) else Advice(services, need, sentence)
    return None


# A feature line under a service's heading: "Automated Secrets Rotation: Automatically rotate secrets …" says what
# the service does for a need, in the base form of a verb.
_FEATURE = re.compile(r"^[^:]{2,60}:\s+(?P<need>(?:(?:automatically|easily|securely|centrally|continuously)\s+)?"
                      r"(?:rotate|replicate|store|retrieve|encrypt|decrypt|detect|discover|identify|classify|monitor|"
                      r"track|record|audit|analy[sz]e|query|visuali[sz]e|automate|schedule|orchestrate|migrate|"
                      r"transfer|protect|block|filter|route|distribute|cache|stream|ingest|load|transform|convert|"
                      r"share|grant|restrict|enforce|assess|evaluate|aggregate|collect|capture|deliver|send|notify|"
                      r"trigger|deploy|provision|prepare|clean|catalog|search|connect|integrate|back\s+up|restore|"
                      r"recover|archive|retain|expire|mask|redact|log)\b.+)$", re.I)
FEATURE_HEADING = re.compile(r"\b(?:features?|use cases?|capabilities|benefits|functionalit(?:y|ies)|security|"
                             r"compliance|governance)\b", re.I)


def section_service(section: Section) -> Service | None:
    """The one service a feature or use-case section is about: "AWS Secrets Manager > Features" -> Secrets
    Manager; None when the section is not such a list or its headings name no single service."""
    if not section.path or not FEATURE_HEADING.search(section.path[-1]):
        return None
    for heading in reversed(section.path):
        named = {s for s, _, _ in mentions(heading)}
        if named:
            return next(iter(named)) if len(named) == 1 else None
    return None


def feature_in(sentence: str, owner: Service) -> Advice | None:
    """A feature of the section's service worded as what it lets one do, as advice naming that service."""
    found = _FEATURE.match(sentence.strip())
    if found is None or any(s is owner for s, _, _ in mentions(found.group("need"))):
        return None
    need = found.group("need")
    return Advice((owner,), need[:1].lower() + need[1:], sentence)


def _named_list(text: str, start: int) -> tuple[tuple[Service, ...], str]:
    """Services named one after another from `start` ("X", "X or Y", "X, Y and Z") and the text after them."""
    services: list[Service] = []
    at = start
    for service, begin, end in mentions(text):
        if begin < at:
            continue
        gap = text[at:begin]
        if (not services and gap.strip() and not re.fullmatch(r"\s*(?:the\s+)?", gap, re.I)) or \
                (services and not _JOINER.match(gap)):
            break
        if service not in services:
            services.append(service)
        at = end
    return tuple(services), text[at:] if services else text


def situation(advice: Advice, subject: Service | None, many: int) -> str:
    """The advice's need as a situation and the question, e.g. "A team using Amazon Athena needs to monitor query
    performance. Which AWS service meets the need?"."""
    need = _need(advice)
    who = f"A team using {subject.name}" if subject else "A company"
    question = ("Which AWS service meets the need?" if many == 1
                else f"Which {_COUNT_WORDS[many]} AWS services meet the need? (Choose {_COUNT_WORDS[many]}.)")
    return f"{who} needs to {need}. {question}"


_COUNT_WORDS = {2: "two", 3: "three"}


def _need(advice: Advice) -> str:
    need = advice.need.strip().rstrip(".;:")
    for pattern, word in _YOU:
        need = pattern.sub(word, need)
    return need


def subject_of(advice: Advice, section: Section) -> Service | None:
    """The service the need is about when the need names none: the section's (the card must say what it is
    about). None when the need names one itself or the section names none but the answers."""
    if mentions(advice.need):
        return None
    for heading in reversed(section.path):
        named = [s for s, _, _ in mentions(heading) if s not in advice.services]
        if named:
            return named[0]
    return None


def _specific(need: str) -> bool:
    """Enough words that are not any service's blurb ("provides several features") to single out one service."""
    return len({w for w in _telling(need) if w not in BLURB_WORDS}) >= MIN_NEED_WORDS


def _telling(text: str) -> set[str]:
    return {w for w in content_words(text) if w not in GENERIC_WORDS and not w.isdigit()}


@dataclass
class ServiceLines:
    """The notes' lines under every service they name, with their telling words, and how many lines use each word:
    read once per deck."""

    by_service: dict[str, list[tuple[str, set[str]]]] = field(default_factory=dict)
    frequency: Counter = field(default_factory=Counter)

    def rarest(self, words: set[str], n: int = 2) -> set[str]:
        """The n words of `words` fewest lines use (the need's own; linking words like "helping" left out)."""
        return set(sorted(words - _LINKING, key=lambda w: (self.frequency[w], w))[:n])


_LINKING = frozenset("helping help helps based ensuring ensure allowing making using need needs needed like such "
                     "quickly easily automatically".split())


def service_lines(lines: list[str]) -> ServiceLines:
    found = ServiceLines()
    for line in dict.fromkeys(lines):
        telling = _telling(line)
        found.frequency.update(telling)
        for name in {s.name for s, _, _ in mentions(line)}:
            found.by_service.setdefault(name, []).append((line, telling))
    return found


def _also_right(candidate: Service, advice: Advice, lines: ServiceLines) -> bool:
    """A line of the notes gives the candidate this need's job (most of the need's telling words, or its two rarest
    ones: "lifecycle" and "tiers" on an S3 line), or AWS offers both for it. The deciding line counts too: a service
    it names beside the answer is no fair wrong option."""
    if any(interchangeable(candidate, s) for s in advice.services):
        return True
    if any(stem in advice.need.lower() and candidate.name in group and any(s.name in group for s in advice.services)
           for stem, group in SHARED_JOBS):
        return True
    need = _telling(advice.need)
    rare = lines.rarest(need)
    return any(len(need & telling) >= SAME_JOB * len(need) or rare <= telling
               for _, telling in lines.by_service.get(candidate.name, ()))


def wrong_options(advice: Advice, known: dict[str, str], lines: ServiceLines, n: int,
                  subject: Service | None = None) -> tuple[str, ...]:
    """n services of the answers' family that the notes mention, none also right, none retired or named in the
    situation (its subject included)."""
    right = {*advice.services, subject} - {None}
    family = [s for answer in advice.services for s in same_kind(answer) if s not in right]
    pool = [s for s in dict.fromkeys(family)
            if s.name in known and retired_in(s.name) is None and not _also_right(s, advice, lines)
            and not any(s is m for m, _, _ in mentions(advice.need))]
    random.Random(advice.sentence).shuffle(pool)
    chosen: list[str] = []
    for service in pool:
        name = known[service.name]
        if not any(disguised(name, c) for c in chosen) and not any(disguised(name, known.get(r.name, r.name))
                                                                  for r in right):
            chosen.append(name)
    return tuple(chosen[:n])


def scenario_cards(section: Section, known: dict[str, str], lines: ServiceLines) -> list[Card]:
    """Scenario questions from the section's advice lines; `lines` are the notes' lines by service (to spot an
    option that another line makes right too)."""
    cards = []
    owner = section_service(section)
    for _, line in lines_in_context(section):
        for sentence in sentences(line):
            advice = advice_in(sentence)
            source = line
            if advice is None and owner is not None:
                advice = feature_in(sentence, owner)
                source = f"{owner.name}: {line}"  # the line says what; its heading says which service
            if advice is None or not 1 <= len(advice.services) <= 3 or not _specific(advice.need) or \
                    re.search(r"\bfollowing\b|:$", advice.need):
                continue
            card = _card(section, advice, known, lines, source)
            if card is not None:
                cards.append(card)
    return cards


def _card(section: Section, advice: Advice, known: dict[str, str], lines: ServiceLines, line: str) -> Card | None:
    answers = [known.get(s.name, s.name) for s in advice.services]
    subject = subject_of(advice, section)
    wrong = wrong_options(advice, known, lines, 4 - len(answers), subject)
    if len(answers) + len(wrong) != 4:
        return None
    prompt = situation(advice, subject, len(answers))
    accepted = tuple(n for s in advice.services[:1] for n in s.names if n != answers[0])
    kind = "mcq" if len(answers) == 1 else "multi"
    return make_card(section, kind, "scenario", prompt, answers[0], line, accepted, tuple(wrong),
                     also=tuple(answers[1:]))

