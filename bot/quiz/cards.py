"""Quiz cards drawn from the corpus sections, no model involved: the card, the text helpers, numeric cloze.

Three sources, each card citing the line it came from:
- number  (cloze, here): a quantity with its unit blanked in a fact line ("Max message size is ____.");
- definition (multiple choice, bot.quiz.choices): an item of a "Term: description" list, its siblings as
  distractors;
- service (multiple choice, or cloze when the area has too few other services, bot.quiz.choices): a
  sentence defining an AWS service with every name of the service blanked, distractors from its area.
`bot.quiz.problem` then names the bad ones.
"""

from __future__ import annotations

import hashlib
import random
import re
from collections import Counter
from dataclasses import dataclass

from bot.amounts import WORKED_EXAMPLE
from bot.models import Section
from bot.quiz.kinds import mentions
from bot.quiz.text import answer_visible, content_words, leaks

BLANK = "____"


@dataclass(frozen=True)
class Card:
    id: str
    kind: str  # "cloze" (typed answer) or "mcq"
    family: str  # "number", "definition" or "service"
    prompt: str
    answer: str
    accepted: tuple[str, ...]  # other spellings graded as right
    choices: tuple[str, ...]  # mcq only: the answer and its distractors, in display order
    doc_id: str
    doc_title: str
    section_path: tuple[str, ...]
    passage: str  # the source line that holds the answer
    also: tuple[str, ...] = ()  # "multi" (choose two or three): the other right options

    @property
    def section(self) -> str:
        return " > ".join(self.section_path)

    @property
    def right_options(self) -> tuple[str, ...]:
        return (self.answer, *self.also)

    @property
    def expected(self) -> str:
        """The answer as feedback states it: every right option of a multiple-response question."""
        return " and ".join(self.right_options)

    @property
    def distractors(self) -> tuple[str, ...]:
        return tuple(c for c in self.choices if c not in self.right_options)


def card_id(doc_id: str, section_path: tuple[str, ...], prompt: str, answer: str) -> str:
    digest = hashlib.sha256("\x1f".join((doc_id, *section_path, prompt, answer)).encode("utf-8")).hexdigest()
    return f"{doc_id}-{digest[:12]}"


def make_card(section: Section, kind: str, family: str, prompt: str, answer: str, passage: str,
              accepted: tuple[str, ...] = (), distractors: tuple[str, ...] = (), also: tuple[str, ...] = ()) -> Card:
    cid = card_id(section.doc_id, section.path, prompt, answer)
    choices = [answer, *also, *distractors] if distractors else []
    random.Random(cid).shuffle(choices)  # the answer's position is fixed per card, not always first
    return Card(cid, kind, family, prompt, answer, accepted, tuple(choices), section.doc_id, section.doc_title,
                section.path, passage, also)


# --- shared text helpers -------------------------------------------------------------------------

BULLET = re.compile(r"^\s*(?:(?:[-*•◦▪–⇒→>]|\d{1,2}[.)]|o)\s+)+")
# Sentence ends, also before a lower-case start (the notes are not always capitalised), but not after e.g./i.e.
_SENTENCE = re.compile(r"(?<=[.!?])(?<!\be\.g\.)(?<!\bi\.e\.)(?<!\bvs\.)(?<!\bex\.)\s+(?=[A-Za-z(])")
_COURSE_PREFIX = re.compile(r"^(?:Section\s+\d+\s*:\s*|\d+(?:\.\d+)*\.?\s+)")
_FIRST_PERSON = re.compile(r"\b(?:I|I'm|I've|my|me|we|our)\b")
_SKIPPED_LINE = re.compile(r"^(?:ex|e\.g|eg|example|for example|note)\b", re.I)
NOISE_SECTIONS = re.compile(r"introduction|conclusion|final thoughts|resources|notes from other|exam experience|"
                            r"about (?:the|this)|table of contents|references|links", re.I)


def heading_text(heading: str) -> str:
    text = _COURSE_PREFIX.sub("", heading).strip(" :-")
    return text if len(text) <= 70 else text[:70].rsplit(" ", 1)[0] + "…"


def topic(section: Section, answers: tuple[str, ...], others: list[str] = ()) -> str:
    """The last two headings of the section (not the document title), minus any that give the answer away."""
    parts = [heading_text(h) for h in section.path if h != section.doc_title]
    parts = [p for p in parts if p and not any(leaks(a, p, others) for a in answers)]
    return " › ".join(dict.fromkeys(parts[-2:]))


def _with_context(label: str, context: str, answer: str) -> str:
    if not context or context.lower() in label.lower() or answer_visible(answer, context):
        return label
    return f"{label} › {context}" if label else context


def ask(label: str, question: str) -> str:
    return f"{label}: {question}" if label else question[:1].upper() + question[1:]


def usable_lines(section: Section) -> list[str]:
    return [line for _, line in lines_in_context(section)]


def lines_in_context(section: Section) -> list[tuple[str, str]]:
    """(context, line) for prose lines worth quizzing: no table rows, code, examples or anecdotes.

    The context is what the line hangs under inside its section: the term of its parent bullet
    ("Snow family: …" above "  - Storage capacity: 8TB"), else the last short line naming a service (a
    slide comparing "Amazon SQS" with "Amazon Kinesis Data Streams" under one title).
    """
    if any(NOISE_SECTIONS.search(h) for h in section.path):
        return []
    found, label, parents = [], "", []
    for raw in section.lines:
        line = plain(BULLET.sub("", raw).strip())
        bullet = line != plain(raw.strip())
        if not bullet and _is_label(line):
            label, parents = line.rstrip(":").strip(), []
            continue
        indent = len(raw) - len(raw.lstrip())
        while parents and parents[-1][0] >= indent:
            parents.pop()
        context = next((term for _, term in reversed(parents) if term), label) if bullet else label
        if bullet:
            parents.append((indent, _lead_term(line)))
        if not line or "|" in line or "$" in line or "`" in line or _SKIPPED_LINE.match(line):
            continue
        if not _FIRST_PERSON.search(line):
            found.append((context, line))
    return found


def _is_label(line: str) -> bool:
    """A short line naming a service, as slide decks title each half of a comparison."""
    if not 0 < len(line.split()) <= 6 or line.endswith((".", ",", ";")):
        return False
    found = mentions(line)
    return bool(found) and found[0][1] == 0


def _lead_term(line: str) -> str:
    head, sep, _ = line.partition(":")
    return head.strip() if sep and len(head.split()) <= 5 else ""


_STARRED = re.compile(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])")


def plain(text: str) -> str:
    """Without the *single-star* emphasis that slides keep: '*Lambda function*' -> 'Lambda function'."""
    return _STARRED.sub(r"\1", text)


def sentences(line: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.split(line) if s.strip()]


# --- numbers with units --------------------------------------------------------------------------

_UNITS = sorted(
    """KB MB GB TB PB KiB MiB GiB TiB bytes KB/s MB/s GB/s MiB/s GiB/s Mbps Gbps records/s records/sec
    ms milliseconds seconds second sec secs minutes minute mins min hours hour hrs hr days day weeks week months
    month years year % shards shard partitions nodes AZs replicas read\\ replicas instances consumers items messages
    records requests transactions tables columns objects versions buckets subnets VPCs CIDR\\ blocks characters
    attempts retries DPUs DPU RCUs WCUs RCU WCU IOPS vCPUs brokers layers""".split(),
    key=len, reverse=True,
)
_PER_SECOND = r"(?:\s+per\s+second)?"
_FACT = re.compile(
    r"(?<![\w.\-/$])(?:\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)(?:k|K)?(?:\s?(?i:" + "|".join(_UNITS) + r")" + _PER_SECOND
    + r"|(?:h|s)(?=\s|$|[,.;)]))(?![\w/-])"
)  # units in any case ("up to 1mb", "24 Hours"); the one-letter h / s only in lower case


def _quantity_spans(sentence: str) -> list[re.Match]:
    spans = []
    for match in _FACT.finditer(sentence):
        text = match.group(0)
        if text[-1] == "s" and text[:-1].isdigit() and (len(text) < 3 or int(text[:-1]) % 1000 == 0):
            continue  # "9s" of "11 9s", "1000s of clients": not seconds
        spans.append(match)
    return spans


# A limit on a count of things ("up to 5 LSIs per table", "maximum of 20 GSI"): the number is the answer.
_COUNT_LIMIT = re.compile(r"\b(?:up to|max(?:imum)?(?: of)?|min(?:imum)?(?: of)?|at least|limited to|no more than)\s+"
                          r"(\d{1,3}(?:,\d{3})*|\d+)\s+(?!times\b|percent\b|%)[A-Za-z][\w-]*", re.I)


def _count_limits(sentence: str) -> list[str]:
    return [m.group(1) for m in _COUNT_LIMIT.finditer(sentence)]


def number_cards(section: Section) -> list[Card]:
    cards = []
    lines = lines_in_context(section)
    leads = Counter((context, _lead_term(line)) for context, line in lines)
    for context, line in lines:
        if _lead_term(line) and leads[context, _lead_term(line)] > 1:
            continue  # "Storage capacity: 8TB" under each of three devices the text no longer names
        for sentence in sentences(line):
            if not 20 <= len(sentence) <= 240 or WORKED_EXAMPLE.search(sentence):
                continue  # a worked example's numbers are not facts to learn
            answers = [m.group(0) for m in _quantity_spans(sentence)] or _count_limits(sentence)
            for answer in answers:
                blanked = re.sub(rf"(?<![\w.,]){re.escape(answer)}(?![\w/])", BLANK, sentence)  # not 4 in 14
                if blanked.count(BLANK) != 1 or len([w for w in content_words(blanked) if not w.isdigit()]) < 3:
                    continue  # the same value twice would leave two blanks for one answer
                prompt = ask(_with_context(topic(section, (answer,)), context, answer), blanked)
                variants = tuple({answer.replace(" ", ""), answer} - {answer})
                cards.append(make_card(section, "cloze", "number", prompt, answer, line, variants))
    return cards
