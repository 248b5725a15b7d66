"""Multiple-choice cards: items of "Term: description" lists, and sentences that define an AWS service.

Distractors are the same kind of thing as the answer: the item's siblings in its list, or services of
the answer's area (bot.quiz.kinds) that the study material mentions; never the answer under another name.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from dataclasses import dataclass

from bot.models import Section
from bot.quiz.cards import (
    BLANK,
    BULLET,
    NOISE_SECTIONS,
    Card,
    ask,
    heading_text,
    make_card,
    plain,
    sentences,
    topic,
    usable_lines,
)
from bot.quiz.kinds import Service, interchangeable, mentions, retired_in, same_kind
from bot.quiz.text import content_words, initials, name_key

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
            description = plain(match.group(3).strip(" *"))
            passage = BULLET.sub("", line).strip()
            if not description and i + 1 < len(lines) and not _ITEM.match(lines[i + 1]):
                description = plain(BULLET.sub("", lines[i + 1]).strip())
                passage = f"{passage} {description}"
            current.append(Item(_term(match.group(2)), description, passage))
        elif not line.strip() or (not match and not line.startswith((" ", "\t"))):
            groups.append(current)
            current, indent = [], None
    groups.append(current)
    return [g for g in groups if len(g) >= 4]


def _usable_group(section: Section, items: list[Item]) -> list[Item]:
    if any(NOISE_SECTIONS.search(h) for h in section.path) or \
            (section.path and _ADVICE_SECTIONS.search(section.path[-1])):
        return []  # advice under its own heading; a chapter "Features, Functionalities, and Best Practices" is not
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
    """Up to n names of the pool that are neither the answer in disguise nor named in `avoid`, nor a service AWS
    has discontinued (a student must not learn to pick or rule out what no longer exists)."""
    pool = [p for p in dict.fromkeys(pool)
            if not disguised(answer, p) and not _named_in(p, avoid) and retired_in(p) is None]
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
            label = topic(section, (item.term, *term_variants(item.term)), list(distractors))
            prompt = ask(label, f"which one is “{item.description.rstrip('.')}”?")
            cards.append(make_card(section, "mcq", "definition", prompt, item.term, item.line,
                                   term_variants(item.term), distractors))
    return cards


# Kinds of one AWS thing that the notes describe one per line ("Spot instances take advantage of …", "SSE-S3: Managed
# by AWS using AES-256"): the line, its subject blanked, asks which kind it describes, the other kinds as options.


@dataclass(frozen=True)
class Family:
    name: str  # what the question asks for: "which <name> fits …?"
    members: tuple[str, ...]  # each "Shown name|other spelling|…" as the notes write them; ALL-CAPS ones match so
    context: str = ""  # a regex the line or its section path must match: the family's subject ("KEY" means a
    # distribution style only where Redshift distribution is the topic)

    def spellings(self, member: str) -> list[str]:
        return sorted(member.split("|"), key=len, reverse=True)

    def shown(self, member: str) -> str:
        return member.split("|")[0]

    def about(self, section: Section, line: str) -> bool:
        return not self.context or re.search(self.context, f"{' '.join(section.path)} {line}", re.I) is not None


TERM_FAMILIES = (
    Family("EC2 purchasing option", ("On-Demand Instances", "Reserved Instances", "Spot Instances", "Savings Plans",
                                     "Dedicated Hosts"), r"\bEC2\b"),
    Family("S3 storage class", ("S3 Standard", "S3 Standard-IA", "S3 One Zone-IA", "S3 Intelligent-Tiering",
                                "S3 Glacier Instant Retrieval", "S3 Glacier Flexible Retrieval",
                                "S3 Glacier Deep Archive")),
    Family("Route 53 routing policy", ("Simple Routing", "Weighted Routing", "Latency-Based Routing",
                                       "Failover Routing", "Geolocation Routing", "Geoproximity Routing",
                                       "Multivalue Answer Routing")),
    Family("S3 encryption option", ("SSE-S3", "SSE-KMS|SSE - KMS", "SSE-C", "Client-side encryption"), r"\bS3\b"),
    Family("Redshift distribution style", ("KEY|DISTSTYLE KEY|KEY distribution", "EVEN|DISTSTYLE EVEN",
                                           "ALL|DISTSTYLE ALL", "AUTO|DISTSTYLE AUTO"), r"distribution|DISTSTYLE"),
    Family("EBS volume type", ("General Purpose SSD (gp3)|General Purpose SSD|gp3|gp2",
                               "Provisioned IOPS SSD (io2)|Provisioned IOPS SSD|io2|io1",
                               "Throughput Optimized HDD (st1)|Throughput Optimized HDD|st1",
                               "Cold HDD (sc1)|Cold HDD|sc1"), r"\bEBS\b|volume"),
    Family("IAM policy type", ("Identity-based policies|Identity-based policy",
                               "Resource-based policies|Resource-based policy",
                               "Service control policies (SCPs)|Service control policies|SCPs|SCP",
                               "Permissions boundaries|Permissions boundary|Permission boundaries",
                               "Session policies|Session policy"), r"\bIAM\b|polic"),
    Family("VPC component", ("Security groups|Security group rules|Security group",
                             "Network ACLs|Network ACL rules|Network ACL|NACLs|NACL", "Route tables|Route table",
                             "Internet gateways|Internet gateway", "NAT gateways|NAT gateway"), r"\bVPC|subnet"),
    Family("way to connect networks", ("VPC peering", "AWS Transit Gateway|Transit Gateway",
                                       "AWS Site-to-Site VPN|Site-to-Site VPN", "AWS Direct Connect|Direct Connect|"
                                       "DirectConnect", "AWS PrivateLink|PrivateLink"), r"\bVPC|connect|network"),
    Family("Elastic Load Balancing type", ("Application Load Balancer|Application Load Balancers|ALB",
                                           "Network Load Balancer|Network Load Balancers|NLB",
                                           "Gateway Load Balancer|Gateway Load Balancers|GWLB",
                                           "Classic Load Balancer|Classic Load Balancers|CLB"), r"load balanc|\bELB\b"),
)
_LED = re.compile(r"^(?:are|is|have|has|ensures?|takes?|lets?|provides?|offers?|gives?|allows?|charges?|costs?|"
                  r"stores?|keeps?|routes?|moves?|acts?|supports?|can(?:not)?|do(?:es)? not|works?|uses?|"
                  r"controls?|filters?|establish(?:es)?|connects?|distributes?|copies|defines?|grants?|"
                  r"restricts?|limits?|evaluates?)\b", re.I)
_SAID = re.compile(r"^\s*(?:\([^)]{1,30}\)\s*)?[:–—-]\s+(?=\S)")  # "SSE-S3: Managed by AWS …", "EVEN - leader node …"
FAMILY_CARDS_PER_ANSWER = 3  # more cards on one kind from one section teach to answer it blind


def family_cards(section: Section) -> list[Card]:
    """A line opening with one kind of a family and saying what it is, asked as "which <family> fits …?"."""
    cards: list[Card] = []
    for line in usable_lines(section):
        first = next(iter(sentences(line)), "")
        card = next((c for family in TERM_FAMILIES if (c := _family_card(section, family, line, first))), None)
        if card is not None and sum(c.answer == card.answer for c in cards) < FAMILY_CARDS_PER_ANSWER:
            cards.append(card)
    return cards


def _family_card(section: Section, family: Family, line: str, first: str) -> Card | None:
    found = next(((m, opening) for m in family.members for spelling in family.spellings(m)
                  if (opening := _opening(first, spelling))), None)
    if found is None or not family.about(section, line):
        return None
    member, opening = found
    rest = first[len(opening):].strip()
    said = _SAID.match(rest)
    described = rest[said.end():].rstrip(" .") if said else rest
    if not (said or _LED.match(rest)) or len(content_words(described)) < 4:
        return None
    answer = family.shown(member)
    others = [family.shown(m) for m in family.members if m != member]
    distractors = pick_distractors(answer, others, seed=first, avoid=rest)
    if len(distractors) < 3:
        return None
    quoted = described[:1].lower() + described[1:] if said else f"{BLANK} {rest}"
    question = f"which {family.name} is “{quoted}”?" if said else f"which {family.name} fits “{quoted}”?"
    prompt = ask(topic(section, (answer, *family.spellings(member)), others), question)
    written = tuple(s for s in family.spellings(member) if s != answer and s.lower() in line.lower())
    return make_card(section, "mcq", "definition", prompt, answer, line, written, distractors)


def family_of(card: Card) -> Family | None:
    """The family whose kinds a card's options are, if it asks "which <family> …"."""
    shown = set(card.choices)
    return next((f for f in TERM_FAMILIES if shown and shown <= {f.shown(m) for m in f.members}
                 and f"which {f.name} " in card.prompt), None)


def without_family_name(card: Card, text: str) -> str:
    """`text` without the family's words ahead of the quoted description: "S3" in "Security in Amazon S3 › which S3
    encryption option" is the question's subject, shared by every option, not a pointer at SSE-S3."""
    family = family_of(card)
    if family is None:
        return text
    ahead, quote, described = text.partition("“")
    words = "|".join(re.escape(w) for w in family.name.split() if len(w) > 1)
    return re.sub(rf"\b(?:Amazon\s+|AWS\s+)?(?:{words})\b", " ", ahead, flags=re.I) + quote + described


def _opening(text: str, member: str) -> str:
    """The words of `text` that name `member` at its start, in singular or plural ("Spot instances" for
    "Spot Instances"), as whole words; "" when it does not open with them. An ALL-CAPS member ("KEY") matches only
    in capitals."""
    singular = member[:-1] if member.endswith("s") else member
    flags = 0 if member.isupper() else re.I
    found = re.match(rf"(?:Amazon\s+|AWS\s+)?(?:{re.escape(member)}|{re.escape(singular)})(?![\w-])", text, flags)
    return found.group(0) if found else ""


def term_variants(term: str) -> tuple[str, ...]:
    """'Cross-Region Replication (CRR)' is also right as 'Cross-Region Replication' or as 'CRR'."""
    match = re.match(r"^(.*?)\s*\(([^)]+)\)\s*$", term)
    if not match or not match.group(1):
        return ()
    outer, inner = match.group(1), match.group(2)
    if initials(outer) == inner.upper() or initials(inner) == outer.upper():
        return outer, inner
    return (outer,) if len(content_words(outer)) >= 2 else ()


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
BLURB_WORDS = frozenset(
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
    return len({w for w in content_words(masked) if w not in BLURB_WORDS and not w.isdigit()}) >= 3


def _mask(sentence: str, spans: list[tuple[Service, int, int]]) -> str:
    for _, start, end in reversed(spans):
        sentence = sentence[:start] + BLANK + sentence[end:]
    sentence = re.sub(rf"{BLANK}\s*\({BLANK}\)", BLANK, sentence)
    return re.sub(rf"(?:Amazon|AWS)\s+{BLANK}", BLANK, sentence)


def _service_card(section: Section, service: Service, masked: str, sentence: str, line: str, known: dict[str, str]):
    answer = known.get(service.name, service.name)
    accepted = tuple(n for n in service.names if n != answer)
    pool = [known[s.name] for s in same_kind(service) if s.name in known and not interchangeable(s, service)]
    distractors = pick_distractors(answer, pool, seed=sentence, avoid=sentence)
    label = topic(section, (answer, *accepted), list(distractors))
    if len(distractors) < 3:
        prompt = ask(label, f"which AWS service? “{masked}”")
        return make_card(section, "cloze", "service", prompt, answer, line, accepted)
    prompt = ask(label, f"which AWS service fits “{masked}”?")
    return make_card(section, "mcq", "service", prompt, answer, line, accepted, distractors)


# --- sections among their siblings -----------------------------------------------------------------

_HEADING_WORDS = 6
_DESCRIBES = 8  # words a sentence needs to describe a section


def heading_cards(sections: list[Section]) -> list[Card]:
    """'Which one is "<the section's first describing sentence>"?' with the sibling sections' titles as options:
    sections under one parent are the same kind of thing (Glue › Crawlers / Job bookmarks / DataBrew …)."""
    generic = _generic_headings(sections)
    groups: dict[tuple[str, tuple[str, ...]], list[Section]] = {}
    for section in sections:
        if len(section.path) >= 2 and not any(NOISE_SECTIONS.search(h) for h in section.path):
            groups.setdefault((section.doc_id, section.path[:-1]), []).append(section)
    cards = []
    for siblings in groups.values():
        titled = {_title(s): s for s in siblings if _title(s) and name_key(_title(s)) not in generic}
        described = {t: _describing_sentence(s, t) for t, s in titled.items()}
        usable = {t: s for t, s in titled.items() if described[t]}  # things the notes say something about
        if len(usable) < 4:
            continue
        for title, section in usable.items():
            sentence = described[title]
            others = [t for t in usable if t != title]
            distractors = pick_distractors(title, others, seed=sentence, avoid=sentence)
            if len(distractors) < 3:
                continue
            label = topic(section, (title,), list(distractors))
            prompt = ask(label, f"which one is “{sentence.rstrip('.')}”?")
            source = f"{title}: {sentence.replace(BLANK, title)}"  # the section's title and its line
            cards.append(make_card(section, "mcq", "definition", prompt, title, source, term_variants(title),
                                   distractors))
    return cards


def _title(section: Section) -> str:
    title = heading_text(section.heading)
    return title if 1 <= len(title.split()) <= _HEADING_WORDS and not title.endswith("…") else ""


def _generic_headings(sections: list[Section]) -> set[str]:
    """Titles used under three or more different parents ("Use Cases", "Pricing"): not a thing of their own."""
    parents: dict[str, set] = {}
    for section in sections:
        parents.setdefault(name_key(section.heading), set()).add((section.doc_id, section.path[:-1]))
    return {key for key, where in parents.items() if len(where) >= 3} | set(_GENERIC_TERMS)


def _describing_sentence(section: Section, title: str) -> str | None:
    """The section's first sentence that says something (its title masked), if it does not give the title away."""
    for line in usable_lines(section)[:6]:
        for sentence in sentences(line):
            masked = re.sub(rf"(?<!\w){re.escape(title)}(?!\w)", BLANK, sentence, flags=re.I)
            words = [w for w in content_words(masked) if not w.isdigit()]
            if BLANK not in masked or len(words) < _DESCRIBES or len(masked) > 220 or masked.rstrip().endswith(":"):
                continue  # only a sentence that names the section's subject is sure to describe it
            return masked
    return None
