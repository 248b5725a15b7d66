"""Answers from any LangChain chat model: grounded prompt, streamed tokens, checked citations, extractive fallback.

A model is named by one string (`STUDYBOT_LLM`, `--llm`): "none" keeps the extractive answerer,
"ollama:llama3.2", "openai:gpt-4o-mini" (with STUDYBOT_LLM_BASE_URL for any OpenAI-compatible server) or any
other "provider:model" that `langchain.chat_models.init_chat_model` knows. Provider packages are
imported only when their provider is selected.
"""

from __future__ import annotations

import importlib.util
import math
import os
import queue
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import replace

from bot.answer.extractive import NOT_IN_MATERIAL, Answerer, ExtractiveAnswerer, answer_with, citation_for
from bot.answer.prompt import build_messages
from bot.answer.support import (
    SupportChecker,
    check_citations,
    join_claims,
    says_not_covered,
    split_claims,
    strip_reasoning,
)
from bot.ingest.embed import embeddings
from bot.models import Answer, Hit
from bot.settings import Settings

NO_LLM = frozenset({"", "none", "extractive"})
# provider -> integration package (the common ones; init_chat_model knows more, see known_providers()).
PACKAGES = {"openai": "langchain-openai", "ollama": "langchain-ollama", "anthropic": "langchain-anthropic",
            "azure_openai": "langchain-openai", "groq": "langchain-groq", "mistralai": "langchain-mistralai"}
EXTRAS = {"openai": "openai", "azure_openai": "openai", "ollama": "ollama"}
SETUP_HINTS = {"openai": " (set OPENAI_API_KEY, or OPENAI_BASE_URL=http://HOST:PORT/v1 for an OpenAI-compatible "
                         "server such as llama.cpp, LM Studio or vLLM)"}
# Providers whose chat model accepts `timeout` and `max_retries`.
TIMEOUT_KWARGS = frozenset({"openai", "azure_openai", "anthropic", "groq", "mistralai", "deepseek", "xai",
                            "fireworks", "together"})

class LLMConfigError(ValueError):
    """The model string names no usable provider; the message says what is known and how to install."""


class LLMFailure(RuntimeError):
    """The chat model did not produce an answer (unreachable, timeout, rate limit, bad response)."""


# ---------------------------------------------------------------- model by one string


def parse_spec(spec: str) -> tuple[str, str] | None:
    """'ollama:llama3.2:3b' -> ('ollama', 'llama3.2:3b'); 'none' -> None."""
    spec = (spec or "").strip()
    if spec.lower() in NO_LLM:
        return None
    provider, sep, model = spec.partition(":")
    if not sep or not provider or not model:
        raise LLMConfigError(
            f"LLM {spec!r} must be 'none' or 'provider:model', e.g. 'ollama:llama3.2' or 'openai:gpt-4o-mini'."
        )
    return provider.strip().lower().replace("-", "_"), model.strip()


def provider_modules() -> dict[str, str]:
    """provider -> top-level module of its integration, as init_chat_model knows them."""
    try:
        from langchain.chat_models.base import _BUILTIN_PROVIDERS
    except ImportError:  # a langchain without that registry: the common ones
        return {p: pkg.replace("-", "_") for p, pkg in PACKAGES.items()}
    return {p: entry[0].split(".")[0] for p, entry in _BUILTIN_PROVIDERS.items()}


def install_hint(provider: str, module: str) -> str:
    if provider in EXTRAS:
        return f"pip install -e '.[{EXTRAS[provider]}]'"
    return f"pip install {PACKAGES.get(provider, module.replace('_', '-'))}"


def model_kwargs(provider: str, settings: Settings, env: dict[str, str] | None = None) -> dict:
    """Deterministic, bounded calls: temperature 0, the configured timeout, no silent retries."""
    env = os.environ if env is None else env
    kwargs: dict = {"temperature": 0}
    if provider in TIMEOUT_KWARGS:
        kwargs.update(timeout=settings.llm_timeout, max_retries=0, max_tokens=settings.llm_max_tokens)
    if provider == "ollama":
        kwargs.update(client_kwargs={"timeout": settings.llm_timeout}, num_predict=settings.llm_max_tokens)
    if provider in ("openai", "ollama") and settings.llm_base_url:
        kwargs["base_url"] = settings.llm_base_url
    if provider == "openai" and (settings.llm_base_url or env.get("OPENAI_BASE_URL")):
        kwargs["use_responses_api"] = False  # compatible servers speak chat completions only
        # langchain-openai sends the limit as max_completion_tokens, which llama.cpp's server does not read
        kwargs["extra_body"] = {"max_tokens": settings.llm_max_tokens}
        if not env.get("OPENAI_API_KEY"):
            kwargs["api_key"] = "not-needed"  # local servers ignore it; the client refuses to start without
    return kwargs


def check_spec(spec: str) -> tuple[str, str] | None:
    """Parse and check that the provider is known and its package installed, without building anything."""
    parsed = parse_spec(spec)
    if parsed is None:
        return None
    provider, _ = parsed
    modules = provider_modules()
    module = modules.get(provider)
    if module is None:
        raise LLMConfigError(
            f"unknown LLM provider {provider!r} in {spec!r}. Known providers: {', '.join(sorted(modules))}."
        )
    if importlib.util.find_spec(module) is None:
        hint = install_hint(provider, module)
        raise LLMConfigError(f"LLM {spec!r} needs the {module.replace('_', '-')} package: {hint}")
    return parsed


def chat_model(spec: str, settings: Settings):
    """A LangChain chat model from 'provider:model'; unknown or uninstalled providers fail with a clear message."""
    parsed = check_spec(spec)
    if parsed is None:
        raise LLMConfigError("no chat model: the LLM is 'none' (extractive answers)")
    provider, model = parsed
    from langchain.chat_models import init_chat_model

    try:
        return init_chat_model(model, model_provider=provider, **model_kwargs(provider, settings))
    except Exception as err:  # missing credentials, bad options: each integration raises its own type
        hint = SETUP_HINTS.get(provider, "")
        raise LLMConfigError(f"cannot set up LLM {spec!r}: {str(err).splitlines()[0]}{hint}") from err


# ---------------------------------------------------------------- calling the model


def chunk_text(chunk) -> str:
    text = getattr(chunk, "text", chunk)  # a str (subclass) property in langchain-core 1.x
    if isinstance(text, str):
        return str(text)
    return str(text() if callable(text) else text or "")


def stream_tokens(model, messages: list, idle_timeout: float, total_timeout: float | None = None) -> Iterator[str]:
    """`model.stream` in a worker thread; LLMFailure when no token arrives within `idle_timeout` seconds or the
    whole reply takes longer than `total_timeout` (a model that trickles tokens is cut off too)."""
    items: queue.Queue = queue.Queue()
    done = object()
    stop = threading.Event()
    deadline = time.monotonic() + total_timeout if total_timeout else math.inf

    def work() -> None:
        try:
            for chunk in model.stream(messages):
                if stop.is_set():
                    return
                items.put(chunk_text(chunk))
        except Exception as err:  # handed to the caller, which turns it into a message
            items.put(err)
        else:
            items.put(done)

    threading.Thread(target=work, name="studybot-llm", daemon=True).start()
    try:
        while True:
            left = deadline - time.monotonic()
            try:
                if left <= 0:
                    raise queue.Empty
                item = items.get(timeout=min(idle_timeout, left))
            except queue.Empty:
                whole = time.monotonic() >= deadline
                raise LLMFailure(f"no complete answer within {total_timeout:g} s (total time limit)" if whole
                                 else f"no reply within {idle_timeout:g} s (timeout)") from None
            if item is done:
                return
            if isinstance(item, Exception):
                raise item
            if item:
                yield item
    finally:
        stop.set()


def describe_failure(err: Exception) -> str:
    """One line for a person: what went wrong with the model call, without a traceback."""
    if isinstance(err, LLMFailure):
        return str(err)
    kind = type(err).__name__
    status = getattr(err, "status_code", None) or getattr(getattr(err, "response", None), "status_code", None)
    if "Timeout" in kind or isinstance(err, TimeoutError):
        return "no reply in time (timeout)"
    if status == 429 or "RateLimit" in kind:
        return "rate limited by the provider (HTTP 429); try again later"
    if status in (401, 403) or "Authentication" in kind or "PermissionDenied" in kind:
        return f"the server rejected the credentials (HTTP {status or 401}); check the API key"
    if status == 404 or "NotFound" in kind:
        return "the server does not know this model (HTTP 404); check the name (ollama: `ollama pull MODEL`)"
    if isinstance(status, int) and status >= 500:
        return f"server error (HTTP {status})"
    if "Connect" in kind or isinstance(err, ConnectionError | OSError):
        return "cannot reach the server (is it running? check the URL)"
    detail = str(err).splitlines()[0][:160] if str(err) else ""
    return f"malformed or unexpected response ({kind}{': ' + detail if detail else ''})"


class LLMAnswerer:
    """Answers with a chat model from the numbered passages, checked sentence by sentence.

    The extractive answerer's refusal checks run first: a question they refuse never reaches the model. Every
    sentence of the reply must cite a passage that supports it (`bot.answer.support`); the others are removed (the note
    counts them, `Answer.dropped` keeps them for evals). A reply with nothing supported left, or any failure,
    gives the extractive answer.
    """

    def __init__(self, model, name: str, settings: Settings, fallback: Answerer,
                 checker: SupportChecker | None = None):
        self.model = model
        self.name = name
        self.settings = settings
        self.fallback = fallback
        self.checker = checker or SupportChecker(embeddings(settings).embed_documents, getattr(fallback, "idf", {}))

    def answer(self, question: str, hits: list[Hit], context: str = "") -> Answer:
        final = None
        for item in self.stream(question, hits, context):
            if isinstance(item, Answer):
                final = item
        return final

    def stream(self, question: str, hits: list[Hit], context: str = "") -> Iterator[str | Answer]:
        """Yields the model's tokens as they arrive (a draft), then the checked `Answer` (always last)."""
        hits = list(hits)
        if self.refuses(question, hits, context):
            yield Answer(question, NOT_IN_MATERIAL, refused=True, hits=tuple(hits), answerer=self.fallback_name,
                         note="the notes do not cover this question; the model was not asked")
            return
        asked = f"{question} ({context})" if context else question
        pieces: list[str] = []
        try:
            for token in stream_tokens(self.model, build_messages(asked, hits), self.settings.llm_idle_timeout,
                                       self.settings.llm_timeout):
                pieces.append(token)
                yield token
        except Exception as err:  # every provider raises its own types: all of them become a message
            yield self.fall_back(question, hits, f"LLM {self.name} failed: {describe_failure(err)}", context)
            return
        try:
            yield self.finish(question, hits, "".join(pieces), context)
        except Exception as err:  # the unchecked draft must never stay as the answer
            yield self.fall_back(question, hits, f"checking the answer of {self.name} failed "
                                                 f"({type(err).__name__}: {err})", context)

    @property
    def fallback_name(self) -> str:
        return getattr(self.fallback, "name", "extractive")

    def refuses(self, question: str, hits: list[Hit], context: str = "") -> bool:
        """The one refusal gate: the extractive answerer's checks when it has them, else the similarity floor."""
        if hasattr(self.fallback, "should_refuse"):
            return self.fallback.should_refuse(question, hits, context)
        return not hits or max(h.similarity for h in hits) < self.settings.min_similarity

    def finish(self, question: str, hits: list[Hit], raw: str, context: str = "") -> Answer:
        text = strip_reasoning(raw)
        if not text:
            return self.fall_back(question, hits, f"LLM {self.name} returned an empty answer", context)
        if says_not_covered(text):  # a refusal in any wording, whatever it cites
            return Answer(question, NOT_IN_MATERIAL, refused=True, hits=tuple(hits), answerer=self.name)
        check = check_citations(text, len(hits))
        kept, dropped = [], []
        for claim in split_claims(check.text):
            support = self.checker.support(claim.plain, [(hits[n - 1].chunk.section, hits[n - 1].chunk.text)
                                                         for n in claim.cited])
            (kept if support.supported else dropped).append((claim, support))
        if not kept:
            return self.fall_back(question, hits, f"no sentence of the answer of {self.name} is supported by a "
                                                  "passage it cites", context, dropped=[c.plain for c, _ in dropped])
        cited = sorted({n for claim, _ in kept for n in claim.cited})
        citations = tuple(citation_for(hits[n - 1], n) for n in cited)
        return Answer(question, join_claims([c for c, _ in kept]), citations, hits=tuple(hits), answerer=self.name,
                      note=_removal_note(check.dropped, dropped, len(hits)),
                      dropped=tuple(c.plain for c, _ in dropped))

    def fall_back(self, question: str, hits: list[Hit], reason: str, context: str = "",
                  dropped: Sequence[str] = ()) -> Answer:
        answer = answer_with(self.fallback, question, hits, context)
        return replace(answer, note=f"{reason} — showing the extractive answer", fallback=reason,
                       dropped=tuple(dropped))


def _removal_note(bad_markers: Sequence[int], dropped: list, count: int) -> str:
    """What the check removed, without repeating a removed sentence (it would reach the reader after all)."""
    parts = []
    if dropped:
        parts.append(f"removed {len(dropped)} sentence{'s' if len(dropped) > 1 else ''} no cited passage supports")
    if bad_markers:
        shown = ", ".join(f"[{n}]" for n in bad_markers)
        parts.append(f"removed {shown}: the model was shown only {count} passages")
    return "; ".join(parts)


# ---------------------------------------------------------------- wiring


def corpus_idf(settings: Settings) -> dict[str, float]:
    """The BM25 idf of the indexed passages, as the extractive answerer of a built bot uses it."""
    from bot.ingest.index import open_store
    from bot.search.retrieve import BM25

    return BM25([c.embedding_text() for c in open_store(settings).chunks]).idf


def make_answerer(spec: str, settings: Settings, fallback: Answerer | None = None, model=None,
                  checker: SupportChecker | None = None) -> Answerer:
    """'none' -> the extractive answerer; 'provider:model' -> an LLMAnswerer falling back to it."""
    if model is None and check_spec(spec):
        model = chat_model(spec, settings)
    fallback = fallback or ExtractiveAnswerer(corpus_idf(settings), settings)
    if model is None:
        return fallback
    return LLMAnswerer(model, spec.strip(), settings, fallback, checker)

