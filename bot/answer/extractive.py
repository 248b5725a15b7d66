"""The extractive answerer: the lines of the retrieved passages that answer the question, cited, or a refusal."""

from __future__ import annotations

import re
from typing import Protocol

from bot.answer.extract import LineChooser
from bot.answer.line_rank import shipped_line_model
from bot.answer.lines import Unit
from bot.ingest.lexicon import starts_sentence
from bot.models import Answer, Citation, Hit
from bot.search.query import intent_of, load_aliases, load_service_names, service_pattern
from bot.settings import Settings
from bot.text import STOPWORDS, stem, term_coverage, terms, words

NOT_IN_MATERIAL = "That is not in the study material."


class Answerer(Protocol):
    name: str

    def answer(self, question: str, hits: list[Hit]) -> Answer: ...


_NAME = re.compile(r"\b[A-Z][A-Za-z0-9]*(?:[ -][A-Z][A-Za-z0-9]*)*")
_NOT_NAMES = STOPWORDS | {"will", "under", "where", "each", "account", "users", "analysts", "once", "ten", "aws",
                          "amazon", "company", "team", "teams", "vs"}


def missing_names(question: str, passage_terms: list[frozenset[str]]) -> list[str]:
    """Words of capitalised names in the question (services, features) that no passage mentions.

    Exam-style questions about things the notes never cover name them ("Storage Lens",
    "Entity Resolution"); nearby passages then match every other word but not the name.
    The first word of a sentence is capitalised anyway: it counts only when it is written like a name
    ("DynamoDB", "KMS"), not like a word ("Analysts").
    """
    present = set().union(*passage_terms)
    aliases = load_aliases()  # "KDF" is searched as what it stands for
    wanted = set()
    for match in _NAME.finditer(question):
        tokens = match.group(0).split()
        if starts_sentence(question, match.start()) and tokens[0][1:].islower():
            tokens = tokens[1:]
        wanted |= {stem(w) for t in tokens for w in words(t) if len(w) >= 3 and w not in aliases}
    return sorted(w for w in wanted if w not in present and w.rstrip("s") not in present and w not in _NOT_NAMES)


_ARTICLES = {"a", "an", "the", "aws", "amazon"}


def unknown_features(question: str, mentions, is_name) -> list[str]:
    """Capitalised feature names the notes never mention: "S3 Object Lock", "Glue Schema Registry".

    The leading service names are dropped first ("Glue DynamicFrame" asks about DynamicFrame, which the
    notes do name); what remains, two words or more or one unusual word, must appear somewhere in the notes.
    """
    found = []
    for match in _NAME.finditer(question):
        tokens = match.group(0).split()
        if starts_sentence(question, match.start()) and tokens[0][1:].islower():
            tokens = tokens[1:]
        tokens = [t for t in tokens if t.lower() not in _ARTICLES and len(t) > 1]  # "Account B": B is a label
        if len(tokens) < 2:
            continue
        while tokens and is_name(tokens[0]):
            tokens = tokens[1:]
        if tokens and not _said(tokens, mentions):
            found.append(match.group(0))
    return found


def _said(tokens: list[str], mentions) -> bool:
    """The phrase, or a service the notes name followed by a word they use ("Step Functions" + "Standard")."""
    def known(phrase: str) -> bool:
        return mentions(phrase) or mentions(phrase.rstrip("s"))

    if known(" ".join(tokens)):
        return True
    return any(known(" ".join(tokens[:cut])) and known(" ".join(tokens[cut:])) for cut in range(1, len(tokens)))


def unknown_services(question: str, mentions) -> list[str]:
    """AWS services the question names (bot/data/aws_names.txt) that the notes never mention at all."""
    found = []
    for name in load_service_names():
        at = service_pattern(name).search(question)
        if at and not (at.start() == 0 and " " not in name and name[1:].islower()) and not mentions(name):
            found.append(name)
    return found


class ExtractiveAnswerer:
    """Picks the lines of the top passages that answer the question; no model, no network."""

    name = "extractive"

    def __init__(self, idf: dict[str, float], settings: Settings, starts_section=None, mentions=None,
                 is_name=None, name_terms: frozenset[str] = frozenset()):
        self.idf = idf
        self.settings = settings
        line_model = shipped_line_model() if settings.lines == "learned" else None
        self.chooser = LineChooser(idf, starts_section, name_terms, line_model)
        self.mentions = mentions  # phrase -> does the corpus say it anywhere (None: not checked)
        self.is_name = is_name  # word -> do the notes use it as a name

    def should_refuse(self, question: str, hits: list[Hit], context: str = "",
                      whole_conversation: bool = False) -> bool:
        """Refuse when no passage is close, none covers enough of the question (a follow-up's earlier
        turns count at a lower weight), or the question names a service or feature the notes lack."""
        if not hits:
            return True
        best_similarity = max(h.similarity for h in hits)
        # judged on the whole conversation, the earlier turns' terms count as the question's own: "where should old
        # ones go instead?" asks about S3 and Glacier as much as the turn that named them
        weights = self.chooser.weights(f"{question} {context}" if whole_conversation else question,
                                       "" if whole_conversation else context)
        passage_terms = [frozenset(terms(h.chunk.embedding_text())) for h in hits]
        best_coverage = max(term_coverage(weights, present) for present in passage_terms)
        return (
            best_similarity < self.settings.min_similarity
            or best_coverage < self.settings.min_coverage
            or bool(missing_names(question, passage_terms))
            or (self.mentions is not None and bool(unknown_services(question, self.mentions)))
            or (self.is_name is not None and bool(unknown_features(question, self.mentions, self.is_name)))
        )

    def answer(self, question: str, hits: list[Hit], context: str = "", whole_conversation: bool = False) -> Answer:
        """`context`: earlier turns and what the question's abbreviations stand for, at a lower weight (for the
        refusal, at the question's weight when `whole_conversation`)."""
        if self.should_refuse(question, hits, context, whole_conversation):
            return Answer(question, NOT_IN_MATERIAL, refused=True, hits=tuple(hits), answerer=self.name)
        choice = self.chooser.choose(question, intent_of(question), hits, context)
        return compose(question, hits, choice.units, self.name, choice.conflict)


def compose(question: str, hits: list[Hit], units: list[Unit], answerer: str, conflict=None) -> Answer:
    """Answer text with [n] markers; n numbers the cited passages in order of first use.

    `conflict` (from `bot.answer.disagree.disagreeing_unit`) adds a line saying which notes give which value.
    """
    markers: dict[int, int] = {}
    quotes: dict[int, list[str]] = {}
    parts = []
    for unit in units:
        first_from_passage = unit.hit_index not in markers
        marker = markers.setdefault(unit.hit_index, len(markers) + 1)
        quotes.setdefault(unit.hit_index, []).append(unit.source)
        label = _label(hits[unit.hit_index].chunk.section_path, unit.text) if first_from_passage else ""
        parts.append(f"{label}{unit.text} [{marker}]")
    if conflict is not None:
        parts.append(_disagreement(conflict, hits, markers))
    citations = tuple(
        citation_for(hits[hit_index], marker, " … ".join(quotes[hit_index])) for hit_index, marker in markers.items()
    )
    return Answer(question, "\n".join(parts), citations, hits=tuple(hits), answerer=answerer)


def _disagreement(conflict, hits: list[Hit], markers: dict[int, int]) -> str:
    unit, amount, other, other_amount = conflict
    sides = [f"{a.text} in {hits[u.hit_index].chunk.doc_title} [{markers[u.hit_index]}]"
             for u, a in ((unit, amount), (other, other_amount))]
    return f"The notes disagree: {sides[0]}, but {sides[1]}. Check the current AWS documentation."


def _label(section_path: tuple[str, ...], text: str) -> str:
    """'Heading: ' before a quoted line that does not name its topic ("Managed document database…"
    only makes sense as an answer under "Amazon DocumentDB")."""
    if not section_path:
        return ""
    heading = section_path[-1]
    if set(terms(heading)) <= set(terms(text)):
        return ""
    return f"{heading}: "


def citation_for(hit: Hit, marker: int, quote: str = "") -> Citation:
    chunk = hit.chunk
    return Citation(marker, chunk.id, chunk.doc_id, chunk.doc_title, chunk.section, chunk.text, quote)


def answer_with(answerer: Answerer, question: str, hits: list[Hit], context: str = "") -> Answer:
    """The extractive answerer takes `context` apart (it counts at a lower weight than the question);
    other answerers (chat models) read the question with the context spelled out."""
    if isinstance(answerer, ExtractiveAnswerer) or hasattr(answerer, "stream"):
        return answerer.answer(question, hits, context=context)  # the LLM answerer gates on the context too
    return answerer.answer(f"{question} ({context})" if context else question, hits)

