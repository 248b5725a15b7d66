"""Quiz cards drawn from the corpus sections, no model involved.

Three sources, each card citing the line it came from:
- number  (cloze): a quantity with its unit blanked in a fact line ("Max message size is ____.");
- definition (multiple choice): an item of a "Term: description" list, its siblings as distractors;
- service (multiple choice, or cloze when the area has too few other services): a sentence defining an
  AWS service with every name of the service blanked, distractors from the same area (bot.quiz_kinds).
`bot.quiz_filters` then drops the bad ones.
"""

from __future__ import annotations

import hashlib
import random
import re
from collections import Counter
from dataclasses import dataclass

from bot.models import Section
from bot.quiz_kinds import Service, mentions, same_kind
from bot.quiz_text import answer_visible, content_words, leaks, name_key

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

    @property
    def section(self) -> str:
        return " > ".join(self.section_path)

    @property
    def distractors(self) -> tuple[str, ...]:
        return tuple(c for c in self.choices if c != self.answer)


def card_id(doc_id: str, section_path: tuple[str, ...], prompt: str, answer: str) -> str:
    digest = hashlib.sha256("\x1f".join((doc_id, *section_path, prompt, answer)).encode("utf-8")).hexdigest()
    return f"{doc_id}-{digest[:12]}"


def make_card(section: Section, kind: str, family: str, prompt: str, answer: str, passage: str,
              accepted: tuple[str, ...] = (), distractors: tuple[str, ...] = ()) -> Card:
    cid = card_id(section.doc_id, section.path, prompt, answer)
    choices = [answer, *distractors] if distractors else []
    random.Random(cid).shuffle(choices)  # the answer's position is fixed per card, not always first
    return Card(cid, kind, family, prompt, answer, accepted, tuple(choices), section.doc_id, section.doc_title,
                section.path, passage)


# --- shared text helpers -------------------------------------------------------------------------

_BULLET = re.compile(r"^\s*(?:(?:[-*•◦▪–⇒→>]|\d{1,2}[.)]|o)\s+)+")
# Sentence ends, also before a lower-case start (the notes are not always capitalised), but not after e.g./i.e.
_SENTENCE = re.compile(r"(?<=[.!?])(?<!\be\.g\.)(?<!\bi\.e\.)(?<!\bvs\.)(?<!\bex\.)\s+(?=[A-Za-z(])")
_COURSE_PREFIX = re.compile(r"^(?:Section\s+\d+\s*:\s*|\d+(?:\.\d+)*\.?\s+)")
_FIRST_PERSON = re.compile(r"\b(?:I|I'm|I've|my|me|we|our)\b")
_SKIPPED_LINE = re.compile(r"^(?:ex|e\.g|eg|example|for example|note)\b", re.I)
_NOISE_SECTIONS = re.compile(r"introduction|conclusion|final thoughts|resources|notes from other|exam experience|"
                             r"about (?:the|this)|table of contents|references|links", re.I)
_GENERIC_HEADINGS = frozenset(
    "overview introduction key features features key points use cases key use cases best practices notes summary "
    "pricing benefits limitations considerations examples example integration integrations security performance "
    "monitoring tips exam tips how it works important notes details cost model".split(" ")
)


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
    if any(_NOISE_SECTIONS.search(h) for h in section.path):
        return []
    found, label, parents = [], "", []
    for raw in section.lines:
        line = _BULLET.sub("", raw).strip()
        bullet = line != raw.strip()
        if not bullet and _is_label(line):
            label, parents = line.rstrip(":").strip(), []
            continue
        indent = len(raw) - len(raw.lstrip())
        while parents and parents[-1][0] >= indent:
            parents.pop()
        context = next((term for _, term in reversed(parents) if term), label) if bullet else label
        if bullet:
            parents.append((indent, _lead_term(line)))
        if not line or " | " in line or "$" in line or "`" in line or _SKIPPED_LINE.match(line):
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
    r"(?<![\w.\-/$])(?:\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)(?:k|K)?(?:\s?(?:" + "|".join(_UNITS) + r")" + _PER_SECOND
    + r"|(?:h|s)(?=\s|$|[,.;)]))(?![\w/-])"
)


def _quantity_spans(sentence: str) -> list[re.Match]:
    spans = []
    for match in _FACT.finditer(sentence):
        text = match.group(0)
        if text[-1] == "s" and text[:-1].isdigit() and (len(text) < 3 or int(text[:-1]) % 1000 == 0):
            continue  # "9s" of "11 9s", "1000s of clients": not seconds
        spans.append(match)
    return spans


_EXAMPLE = re.compile(r"\b(?:for example|for instance|e\.g\.|say \d)", re.I)


def number_cards(section: Section) -> list[Card]:
    cards = []
    lines = lines_in_context(section)
    leads = Counter((context, _lead_term(line)) for context, line in lines)
    for context, line in lines:
        if _lead_term(line) and leads[context, _lead_term(line)] > 1:
            continue  # "Storage capacity: 8TB" under each of three devices the text no longer names
        for sentence in sentences(line):
            if not 20 <= len(sentence) <= 240 or _EXAMPLE.search(sentence):
                continue  # a worked example's numbers are not facts to learn
            for match in _quantity_spans(sentence):
                answer = match.group(0)
                blanked = re.sub(rf"(?<![\w.,]){re.escape(answer)}(?![\w/])", BLANK, sentence)  # not 4 in 14
                if len([w for w in content_words(blanked) if not w.isdigit()]) < 3:
                    continue
                prompt = ask(_with_context(topic(section, (answer,)), context, answer), blanked)
                variants = tuple({answer.replace(" ", ""), answer} - {answer})
                cards.append(make_card(section, "cloze", "number", prompt, answer, line, variants))
    return cards


# --- "Term: description" lists -------------------------------------------------------------------

_ITEM = re.compile(r"^(\s*)(?:[-*•◦▪–]|\d{1,2}[.)])\s+(?:o\s+)?([^:]{2,60}?)\s*:\s*(.*)$")
_GENERIC_TERMS = frozenset(
    "fully managed|managed|serverless|scalable|scalability|secure|security|high availability|highly available|"
    "availability|cost|cost effective|cost optimization|integration|integrations|performance|flexibility|flexible|"
    "reliability|reliable|ease of use|use case|use cases|example|examples|note|notes|benefits|benefit|features|"
    "feature|pros|cons|monitoring|fast|fast and reliable|low latency|compliance|pricing|limitations|limits|"
    "purpose|description|definition|how it works|key points|key features|tip|tips|important|summary".split("|")
)
_ADVICE = re.compile(r"^(?:use|enable|choose|optimi[sz]e|monitor|leverage|implement|consider|ensure|avoid|apply|"
                     r"select|set|define|specify|create|configure|keep|regularly|make|plan|review|test)\b", re.I)
_ADVICE_SECTIONS = re.compile(r"best practice|tips|recommend|steps|how to|checklist", re.I)


@dataclass(frozen=True)
class Item:
    term: str
    description: str
    line: str


def _term(raw: str) -> str:
    return re.sub(r"^[^\w(]+|[^\w)]+$", "", raw.strip())


def _is_definition(item: Item) -> bool:
    term = item.term
    return (
        1 <= len(term.split()) <= 6 and len(term) <= 50 and re.search(r"[A-Za-z]", term) is not None
        and name_key(term) not in _GENERIC_TERMS and len(item.description.split()) >= 3
    )


def definition_lists(section: Section) -> list[list[Item]]:
    """Runs of 'Term: description' items at one indentation, split at blank lines."""
    groups: list[list[Item]] = []
    current: list[Item] = []
    indent: int | None = None
    lines = section.lines
    for i, line in enumerate(lines):
        match = _ITEM.match(line)
        if match and (indent is None or len(match.group(1)) <= indent):
            if indent is not None and len(match.group(1)) < indent:
                groups.append(current)
                current = []
            indent = len(match.group(1))
            description = match.group(3).strip(" *")
            passage = _BULLET.sub("", line).strip()
            if not description and i + 1 < len(lines) and not _ITEM.match(lines[i + 1]):
                description = _BULLET.sub("", lines[i + 1]).strip()
                passage = f"{passage} {description}"
            current.append(Item(_term(match.group(2)), description, passage))
        elif not line.strip() or (not match and not line.startswith((" ", "\t"))):
            groups.append(current)
            current, indent = [], None
    groups.append(current)
    return [g for g in groups if len(g) >= 4]


def _usable_group(section: Section, items: list[Item]) -> list[Item]:
    if any(_NOISE_SECTIONS.search(h) or _ADVICE_SECTIONS.search(h) for h in section.path):
        return []
    terms = [name_key(i.term) for i in items]
    if len(set(terms)) != len(terms) or sum(bool(_ADVICE.match(i.term)) for i in items) * 2 >= len(items):
        return []  # a property list ("Use Case:" in every entry) or advice, not kinds of one thing
    good = [i for i in items if _is_definition(i)]
    return good if len(good) >= 4 else []


def disguised(a: str, b: str) -> bool:
    """The same thing under another name: equal words, or one name's words inside the other's."""
    wa, wb = set(name_key(a).split()), set(name_key(b).split())
    return not wa or not wb or wa <= wb or wb <= wa


def pick_distractors(answer: str, pool: list[str], seed: str, avoid: str = "", n: int = 3) -> tuple[str, ...]:
    """Up to n names of the pool that are neither the answer in disguise nor named in `avoid`."""
    pool = [p for p in dict.fromkeys(pool) if not disguised(answer, p) and not _named_in(p, avoid)]
    random.Random(seed).shuffle(pool)
    chosen: list[str] = []
    for name in pool:
        if not any(disguised(name, c) for c in chosen):
            chosen.append(name)
        if len(chosen) == n:
            break
    return tuple(chosen)


def _named_in(name: str, text: str) -> bool:
    key = name_key(name)
    return bool(key) and bool(text) and f" {key} " in f" {name_key(text)} "


def definition_cards(section: Section) -> list[Card]:
    cards = []
    for items in definition_lists(section):
        items = _usable_group(section, items)
        for item in items:
            others = [i.term for i in items if i is not item]
            distractors = pick_distractors(item.term, others, seed=item.line)
            if len(distractors) < 3:
                continue
            label = topic(section, (item.term, *_term_variants(item.term)), list(distractors))
            prompt = ask(label, f"which one is “{item.description.rstrip('.')}”?")
            cards.append(make_card(section, "mcq", "definition", prompt, item.term, item.line,
                                   _term_variants(item.term), distractors))
    return cards


def _term_variants(term: str) -> tuple[str, ...]:
    """'Cross-Region Replication (CRR)' is also right as 'Cross-Region Replication' or as 'CRR'."""
    match = re.match(r"^(.*?)\s*\(([^)]+)\)\s*$", term)
    if not match or not match.group(1):
        return ()
    outer, inner = match.group(1), match.group(2)
    if _initials(outer) == inner.upper() or _initials(inner) == outer.upper():
        return outer, inner
    return (outer,) if len(content_words(outer)) >= 2 else ()


def _initials(name: str) -> str:
    return "".join(w[0] for w in re.split(r"[\s-]+", name) if w).upper()


# --- sentences defining a service ----------------------------------------------------------------

_DEFINING = re.compile(
    r"^\s*(?:\([^)]{1,30}\)\s*)?(?:is|are|lets|allows|provides|enables|offers|helps|makes|supports|gives|delivers|"
    r"automatically|stores|runs|acts|serves|can|[:–—-]\s)", re.I
)


def corpus_services(sections: list[Section]) -> dict[str, str]:
    """Catalogue services the study material mentions, each with the name it shows them under.

    The catalogue name when the material uses it (give or take 'Amazon'/'AWS'), else the most frequent
    written name: notes that say 'Kinesis Data Firehose' get that, not the service's newer name.
    """
    counts: dict[str, Counter] = {}
    for section in sections:
        for line in section.lines:
            for service, start, end in mentions(line):
                counts.setdefault(service.name, Counter())[line[start:end]] += 1
    shown = {}
    for name, written in counts.items():
        keys = {name_key(w) for w in written}
        usual = [w for w, n in written.items() if n >= 2] or list(written)
        shown[name] = name if name_key(name) in keys else max(usual, key=lambda w: (len(w.split()), written[w]))
    return shown


def service_cards(section: Section, known: dict[str, str]) -> list[Card]:
    cards = []
    for line in usable_lines(section):
        for sentence in sentences(line):
            found = mentions(sentence)
            if not found or found[0][1] != 0 or not _DEFINING.match(sentence[found[0][2]:]):
                continue  # the service must be the subject, named first
            if sentence.rstrip().endswith(":") or re.search(r"\bfollowing\b", sentence, re.I):
                continue  # introduces a list: says nothing on its own
            service = found[0][0]
            masked = _mask(sentence, [(s, a, b) for s, a, b in found if s is service])
            if masked.count(BLANK) > 1 or not 30 <= len(masked) <= 260:
                continue
            if len({w for w in content_words(masked) if not w.isdigit()}) < 7 or not _specific(masked):
                continue  # "____ is serverless": true of too many services to single one out
            cards.append(_service_card(section, service, masked, sentence, line, known))
    return cards


# Words any service's blurb uses: a sentence made mostly of them describes no service in particular.
_BLURB_WORDS = frozenset(
    """provides provide offers offer several many most various wide range security secure features feature ensure
    data protection protect integrated integrates integration services service fully managed scalability scalable
    scale applications application easily easy allows allow helps help enables enable supports support highly
    available availability performance cost effective reliable reliability flexible flexibility widely versatile
    essential component architecture cloud solution solutions capabilities capability built make makes simple
    powerful robust seamless seamlessly different types operational workloads""".split()
)
_COMPARATIVE = re.compile(r"\b(?:faster|cheaper|better|slower|easier|harder|simpler)\b", re.I)


def _specific(masked: str) -> bool:
    """At least three words that are not blurb, and no comparison whose other side was left out."""
    if _COMPARATIVE.search(masked) and not re.search(r"\b(?:than|compared)\b", masked, re.I):
        return False
    return len({w for w in content_words(masked) if w not in _BLURB_WORDS and not w.isdigit()}) >= 3


def _mask(sentence: str, spans: list[tuple[Service, int, int]]) -> str:
    for _, start, end in reversed(spans):
        sentence = sentence[:start] + BLANK + sentence[end:]
    sentence = re.sub(rf"{BLANK}\s*\({BLANK}\)", BLANK, sentence)
    return re.sub(rf"(?:Amazon|AWS)\s+{BLANK}", BLANK, sentence)


def _service_card(section: Section, service: Service, masked: str, sentence: str, line: str, known: dict[str, str]):
    answer = known.get(service.name, service.name)
    accepted = tuple(n for n in service.names if n != answer)
    pool = [known[s.name] for s in same_kind(service) if s.name in known]
    distractors = pick_distractors(answer, pool, seed=sentence, avoid=sentence)
    label = topic(section, (answer, *accepted), list(distractors))
    if len(distractors) < 3:
        prompt = ask(label, f"which AWS service? “{masked}”")
        return make_card(section, "cloze", "service", prompt, answer, line, accepted)
    prompt = ask(label, f"which AWS service fits “{masked}”?")
    return make_card(section, "mcq", "service", prompt, answer, line, accepted, distractors)
