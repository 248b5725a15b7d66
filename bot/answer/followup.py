"""Follow-up questions: rewrite "and what's its max retention?" into a standalone query from the chat history.

With a chat model configured the model rewrites the question; without one (or when it fails) a heuristic
borrows the key terms (service names, acronyms) of the latest user turn that had any.
"""

from __future__ import annotations

import html
import re
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Protocol

from bot.answer.extractive import Answerer, ExtractiveAnswerer
from bot.answer.llm import describe_failure, stream_tokens
from bot.answer.prompt import REWRITE_PROMPT, Turn, format_conversation
from bot.answer.support import says_not_covered, strip_reasoning
from bot.models import Answer, Hit
from bot.search.question import clean_question
from bot.settings import Settings
from bot.text import normalize, terms

# Multi-word names first: the longest name wins. Matched case-insensitively on word boundaries.
SERVICES = """
kinesis data streams|kinesis data firehose|kinesis firehose|kinesis data analytics|kinesis video streams|kinesis
firehose|managed service for apache flink|flink|msk|kafka|managed streaming for apache kafka|sqs|sns|amazon mq
eventbridge|step functions|appflow|mwaa|airflow|lambda|sam|batch|ec2|graviton|ecs|ecr|eks|fargate
s3 glacier|glacier|s3 select|s3|ebs|efs|fsx|storage gateway|aws backup|snowball|snowmobile|snow family|datasync
transfer family|dms|database migration service|schema conversion tool|sct|application discovery service
dynamodb streams|dynamodb|dax|rds|aurora|redshift spectrum|redshift serverless|redshift|documentdb|memorydb
keyspaces|neptune|timestream|elasticache|redis|memcached|qldb|glue databrew|databrew|glue studio
glue data quality|glue crawler|data catalog|glue|lake formation|athena|emr serverless|emr|hive|spark|presto|hbase
opensearch|elasticsearch|quicksight|spice|data pipeline|iot core|iot|kms|cloudhsm|sts|iam|macie|secrets manager
ssm parameter store|parameter store|systems manager|waf|shield|guardduty|cognito|cloudwatch logs|cloudwatch
cloudtrail|aws config|cloudformation|cdk|codecommit|codebuild|codedeploy|codepipeline|cloudfront|route 53|route53
vpc|privatelink|direct connect|elb|alb|nlb|application load balancer|network load balancer|auto scaling
api gateway|sagemaker|parquet|orc|avro|iceberg|hudi
"""
_NAMES = sorted({n.strip() for line in SERVICES.split("\n") for n in line.split("|") if n.strip()}, key=len,
                reverse=True)
_NAME_RE = re.compile(r"\b(" + "|".join(re.escape(n) for n in _NAMES) + r")\b")
_ACRONYM = re.compile(r"\b[A-Z][A-Z0-9]{1,5}s?\b")
# Acronyms that name no topic of their own (units, protocols, generic terms).
_NOT_KEY = frozenset("""aws amazon i ok vs mb gb tb kb ms s id api sql json csv faq tl dr eg ie max min az ip http https
tls ssl url dns ttl iops cpu gpu ram ssd hdd etl pii ddl dml""".split())
_PRONOUNS = frozenset({"it", "its", "it's", "they", "them", "their", "theirs", "that", "this", "those", "these",
                       "one", "ones", "he", "she"})
_SWITCH = re.compile(r"^\s*(?:and\s+)?(?:what|how)\s+about\s+|^\s*(?:and\s+|same\s+)(?:for|with|in)\s+|^\s*and\s+",
                     re.IGNORECASE)
_SUBSTITUTE = re.compile(r"^\s*(?:and\s+)?(?:what|how)\s+about\b|^\s*(?:and\s+|same\s+)(?:for|with|in)\b",
                         re.IGNORECASE)
SHORT = 4  # a question with at most this many content terms and no key term of its own is a follow-up



def normalize_history(history: Iterable | None) -> list[Turn]:
    """Accepts [(role, text)], [{"role", "content"}] (Gradio messages, OpenAI style), or plain user strings."""
    turns: list[Turn] = []
    for item in history or ():
        if isinstance(item, str):
            role, content = "user", item
        elif isinstance(item, dict):
            role, content = str(item.get("role", "user")), item.get("content", "")
        else:
            role, content = item[0], item[1]
        text = _content_text(content)
        if text.strip():
            turns.append(("assistant" if role in ("assistant", "ai", "bot") else role, text))
    return turns


def _content_text(content) -> str:
    if isinstance(content, str):
        return _plain(content)
    if isinstance(content, dict):
        return str(content.get("text", ""))
    if isinstance(content, list | tuple):
        return " ".join(_content_text(part) for part in content)
    return "" if content is None else str(content)


def _plain(text: str) -> str:
    """Chat UIs may keep rendered HTML in the history: the words only."""
    if "<" not in text or ">" not in text:
        return text
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", text)).split())


def key_terms(text: str) -> list[str]:
    """Service names and acronyms in `text`, in order of appearance, without repeats."""
    found = [m.group(1) for m in _NAME_RE.finditer(normalize(text))]
    found += [a.lower().rstrip("s") if a.endswith("s") and a[:-1].isupper() else a.lower()
              for a in _ACRONYM.findall(text)]
    return list(dict.fromkeys(t for t in found if t not in _NOT_KEY))


def _own_terms(question: str) -> list[str]:
    return key_terms(question)


_BACK_REFERENCES = frozenset({"it", "its", "it's", "they", "them", "their", "theirs"})


def _names(question: str) -> list[str]:
    """Capitalised words after the first one ("World Cup", "Lake Formation"): the question names its subject."""
    tokens = re.findall(r"[A-Za-z][\w-]*", question)[1:]
    return [t for t in tokens if t[0].isupper() and t.lower() not in _PRONOUNS | {"i", "aws", "amazon"}]


def is_follow_up(question: str) -> bool:
    """A leading 'and / what about / how about', a back-reference ('its', 'they'), or a short question
    naming no subject of its own. A question that names its subject stands alone (a topic switch)."""
    words = set(re.findall(r"[a-z']+", normalize(question)))
    if _SWITCH.match(question):
        return True
    if _own_terms(question) or _names(question):
        return bool(_BACK_REFERENCES & words)
    return bool(_PRONOUNS & words) or len(terms(question)) <= SHORT


def _topic(turns: Sequence[Turn]) -> tuple[str, list[str]]:
    """The latest user turn that names a key term, and its key terms."""
    for role, text in reversed(turns):
        if role == "user":
            found = key_terms(text)
            if found:
                return text, found
    return "", []


@dataclass(frozen=True)
class Reading:
    """How one chat turn is read: the question to answer and what it carries from earlier turns."""

    query: str  # the question, standalone when a rewrite could make it so
    context: str = ""  # earlier user turns a follow-up depends on (searched at a lower weight)
    topic: str = ""  # what the context is about, shown in "Read as"
    by_model: bool = False  # the query is a chat model's rewrite
    whole_conversation: bool = False  # a refused turn's second try: the context weighs as the question does

    @property
    def shown(self) -> str:
        """The text "Read as" shows (the chat shows it only when it differs from what was typed)."""
        if not self.context:
            return self.query
        return f"{self.query} (about: {self.topic or _short(self.context)})"


def _short(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + " …"


def _context(turns: Sequence[Turn]) -> tuple[str, list[str]]:
    """The latest user turns back to (and including) the one that named a topic; at most three."""
    taken = []
    for role, text in reversed(turns):
        if role != "user":
            continue
        taken.append(text)
        found = key_terms(text)
        if found or len(taken) == 3:
            return " ".join(reversed(taken)), found
    return " ".join(reversed(taken)), []


def heuristic_read(question: str, history: Iterable | None) -> Reading:
    """A follow-up keeps the earlier user turns as context; a standalone question is left as typed."""
    turns = normalize_history(history)
    if not turns or not is_follow_up(question):
        return Reading(question)
    own = _own_terms(question)
    if own and _SUBSTITUTE.match(question):
        swapped = _swap_subject(question, turns)
        if swapped is not None:
            return swapped
    context, found = _context(turns)
    if not context:
        return Reading(question)
    return Reading(question, context, ", ".join(found))


def _swap_subject(question: str, turns: Sequence[Turn]) -> Reading | None:
    """"What about SNS?" after "max message size in SQS?" asks the earlier question of the new subject;
    "what about the FIFO kind?" (no service of its own) also keeps the earlier turn as context."""
    topic_text, topic_terms = _topic(turns)
    if not topic_terms:
        return None
    subject = _SWITCH.sub("", question).strip().rstrip("?!. ")
    named = sorted(topic_terms, key=len, reverse=True)[0]
    asked = re.sub(rf"\b{re.escape(named)}\b", subject, topic_text, count=1, flags=re.IGNORECASE)
    if asked == topic_text:
        asked = f"{subject}: {topic_text}"
    if _NAME_RE.search(normalize(subject)):
        return Reading(asked)
    return Reading(asked, topic_text, ", ".join(topic_terms))


def reading_with_history(question: str, turns: Sequence[Turn]) -> Reading | None:
    """The question with the conversation's latest user turns (up to three) as its context: how a turn that was
    refused as read is tried once more before it is refused ("which one should I pick if …?" after a comparison)."""
    users = [text for role, text in turns if role == "user"][-3:]
    if not users:
        return None
    context = " ".join(users)
    return Reading(question, context, ", ".join(key_terms(context)), whole_conversation=True)


def heuristic_rewrite(question: str, history: Iterable | None) -> str:
    """The heuristic reading as one line of text."""
    return heuristic_read(question, history).shown


class ConversationBot(Protocol):
    """What a chat turn needs of the bot (`bot.answer.studybot.StudyBot` is one); named here so that the turn and
    the chain built on it depend on the bot's shape, not on the module that builds it."""

    settings: Settings
    answerer: Answerer

    def spelled(self, question: str) -> str: ...

    def retrieve(self, query: str, doc_id: str | None = None, k: int | None = None,
                 context: str = "") -> list[Hit]: ...

    def context_for(self, query: str, context: str = "") -> str: ...


class Rewriter(Protocol):
    def read(self, question: str, history: Iterable | None) -> Reading: ...


class HeuristicRewriter:
    name = "heuristic"

    def read(self, question: str, history: Iterable | None) -> Reading:
        return heuristic_read(question, history)

    def rewrite(self, question: str, history: Iterable | None) -> str:
        return heuristic_rewrite(question, history)


class NoRewriter:
    name = "none"

    def read(self, question: str, history: Iterable | None) -> Reading:
        return Reading(question)

    def rewrite(self, question: str, history: Iterable | None) -> str:
        return question


class LLMRewriter:
    """Asks the chat model for the standalone question; on failure or a strange reply, the heuristic."""

    name = "llm"

    def __init__(self, model, idle_timeout: float, total_timeout: float | None = None):
        self.model = model
        self.idle_timeout = idle_timeout
        self.total_timeout = total_timeout
        self.last_error = ""

    def read(self, question: str, history: Iterable | None) -> Reading:
        turns = normalize_history(history)
        if not turns or not is_follow_up(question):
            return Reading(question)
        rewritten = self._model_rewrite(question, turns)
        return Reading(rewritten, by_model=True) if rewritten else heuristic_read(question, turns)

    def rewrite(self, question: str, history: Iterable | None) -> str:
        turns = normalize_history(history)
        if not turns:
            return question
        return self._model_rewrite(question, turns) or heuristic_rewrite(question, turns)

    def _model_rewrite(self, question: str, turns: Sequence[Turn]) -> str | None:
        """The model's standalone question; None when it failed (`last_error` says why) or replied oddly."""
        from langchain_core.messages import HumanMessage

        self.last_error = ""
        prompt = REWRITE_PROMPT.format(conversation=format_conversation(turns), question=question)
        try:
            reply = strip_reasoning("".join(stream_tokens(self.model, [HumanMessage(prompt)], self.idle_timeout,
                                                          self.total_timeout)))
        except Exception as err:  # any provider error: the heuristic still works
            self.last_error = describe_failure(err)
            return None
        reply = reply.strip().strip('"').splitlines()[0].strip() if reply.strip() else ""
        if not reply or len(reply) > 4 * len(question) + 200 or says_not_covered(reply):
            return None  # empty, rambling, or an answer (a refusal) instead of a question: not a search query
        return reply


def rewriter_for(bot: ConversationBot) -> Rewriter:
    """The LLM rewriter when the bot answers with a chat model, the heuristic otherwise."""
    model = getattr(bot.answerer, "model", None)
    if model is None:
        return HeuristicRewriter()
    return LLMRewriter(model, bot.settings.llm_idle_timeout, bot.settings.llm_timeout)


def stream_reply(bot: ConversationBot, question: str, history: Iterable | None = None, doc_id: str | None = None,
                 rewriter: Rewriter | None = None, k: int | None = None, *, retrieve_step=None,
                 answer_step=None) -> Iterator[str | Answer]:
    """One chat turn: read, retrieve, answer. Yields tokens (str) while a model streams, then the Answer.

    `retrieve_step` / `answer_step` replace `retrieve_reading` / `answer_items` with wrappers of the same
    signature (the LangChain chain reports each step to callbacks). Raises QuestionError for an empty or
    oversized question (before anything is yielded).
    """
    started = time.perf_counter()
    text = bot.spelled(clean_question(question, bot.settings.max_question_chars))
    turns = normalize_history(history)
    rewriter = rewriter or rewriter_for(bot)
    reading = rewriter.read(text, turns) if turns and bot.settings.conversation else Reading(text)
    rewritten = time.perf_counter()
    reading, hits = (retrieve_step or retrieve_reading)(bot, reading, text, turns, doc_id, k)
    retrieved = time.perf_counter()
    items = (answer_step or answer_items)(bot, reading, hits, getattr(rewriter, "last_error", "") if turns else "")
    final = None
    for item in items:
        if isinstance(item, Answer):
            final = item
        else:
            yield item
    with_history = reading_with_history(text, turns) if final.refused and bot.settings.retry_with_history else None
    if with_history is not None and with_history != reading:
        # refused as read: the question with the conversation behind it may still be answered by the notes
        again, hits_again = (retrieve_step or retrieve_reading)(bot, with_history, text, turns, doc_id, k)
        retried = None
        for item in (answer_step or answer_items)(bot, again, hits_again, ""):
            if isinstance(item, Answer):
                retried = item
            else:
                yield item
        if retried is not None and not retried.refused:
            reading, final = again, retried
    done = time.perf_counter()
    timings = {"rewrite": (rewritten - started) * 1000, "retrieve": (retrieved - rewritten) * 1000,
               "answer": (done - retrieved) * 1000, "total": (done - started) * 1000}
    yield replace(final, question=reading.shown, timings_ms=timings)


def retrieve_reading(bot: ConversationBot, reading: Reading, text: str, turns: list, doc_id, k) -> tuple[Reading, list]:
    """The passages for a reading of the turn `text`; a model's rewrite is used only when it finds at least as
    good passages as the conversation-aware heuristic reading."""
    hits = bot.retrieve(reading.query, doc_id, k, reading.context)
    if reading.by_model:
        reading, hits = _better_reading(bot, reading, hits, heuristic_read(text, turns), doc_id, k)
    return reading, hits


def _better_reading(bot: ConversationBot, model_reading: Reading, model_hits, heuristic: Reading, doc_id, k):
    """The model's rewrite or the conversation-aware heuristic reading, whichever retrieves the better passage."""
    hits = bot.retrieve(heuristic.query, doc_id, k, heuristic.context)
    if _best(model_hits) >= _best(hits):
        return model_reading, model_hits
    return heuristic, hits


def _best(hits) -> float:
    return max((h.score for h in hits), default=float("-inf"))


def answer_items(bot: ConversationBot, reading: Reading, hits, rewrite_error: str):
    """The answerer's stream; when the model already failed on the rewrite, its fallback at once (one timeout).

    The extractive answerer takes the context apart (it counts at a lower weight than the question);
    a chat model reads the question with its context spelled out.
    """
    answerer = bot.answerer
    context = bot.context_for(reading.query, reading.context)
    if isinstance(answerer, ExtractiveAnswerer):
        return iter([answerer.answer(reading.query, hits, context=context,
                                     whole_conversation=reading.whole_conversation)])
    if rewrite_error and hasattr(answerer, "fall_back"):
        return iter([answerer.fall_back(reading.query, hits, f"LLM {answerer.name} failed: {rewrite_error}", context)])
    if hasattr(answerer, "stream"):
        return answerer.stream(reading.query, hits, context)
    return iter([answerer.answer(reading.shown, hits)])


def ask_in_conversation(bot: ConversationBot, question: str, history: Iterable | None = None, doc_id: str | None = None,
                        rewriter: Rewriter | None = None, k: int | None = None) -> Answer:
    """`StudyBot.ask` with chat history: a follow-up is read with the earlier turns it depends on."""
    final = None
    for item in stream_reply(bot, question, history, doc_id, rewriter, k):
        if isinstance(item, Answer):
            final = item
    return final
