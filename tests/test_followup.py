"""Follow-up questions: the heuristic and LLM rewriters, the chat turn wiring, and the follow-up gold set."""

import pytest
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.language_models.fake_chat_models import FakeListChatModel, GenericFakeChatModel

from bot.answer.followup import (
    HeuristicRewriter,
    LLMRewriter,
    NoRewriter,
    ask_in_conversation,
    heuristic_rewrite,
    is_follow_up,
    key_terms,
    normalize_history,
    stream_reply,
)
from bot.answer.llm import LLMAnswerer
from bot.answer.studybot import build_bot
from bot.ingest.index import ingest
from bot.models import Answer
from bot.search.question import QuestionError
from evals.followup import GOLD, gold_problems, load_gold, run_mode, summarize

KINESIS = [("user", "How many records per second can a Kinesis Data Streams shard take?"),
           ("assistant", "Each shard supports 1MB/s input or 1000 records per second [1].")]


class Recorder(BaseCallbackHandler):
    def __init__(self):
        self.prompts = []

    def on_chat_model_start(self, serialized, messages, **kwargs):
        self.prompts.append(messages[0])


def test_key_terms_are_service_names_and_acronyms():
    assert key_terms("How many records per second can a Kinesis Data Streams shard take?") == ["kinesis data streams"]
    assert key_terms("SQS vs SNS for fan-out in AZ us-east-1, 10 MB") == ["sqs", "sns"]
    assert key_terms("What about CMKs?") == ["cmk"]
    assert key_terms("and what's its max retention?") == []


@pytest.mark.parametrize("question, follow_up", [
    ("and what's its max retention?", True),
    ("What about SNS?", True),
    ("How is it encrypted?", True),
    ("And the default?", True),
    ("What is the maximum item size in DynamoDB?", False),
    ("Which AWS WAF feature limits requests from a single IP address?", False),
])
def test_is_follow_up(question, follow_up):
    assert is_follow_up(question) is follow_up


def test_the_issue_example_borrows_the_service_of_the_earlier_question():
    assert heuristic_rewrite("and what's its max retention?", KINESIS) == (
        "and what's its max retention? (about: kinesis data streams)")


def test_what_about_x_keeps_the_question_and_swaps_the_service():
    history = ["What is the maximum message size in SQS?"]
    assert heuristic_rewrite("What about SNS?", history) == "What is the maximum message size in SNS?"


def test_the_topic_is_the_latest_user_turn_that_named_one():
    history = KINESIS + [("user", "and what's its max retention?"), ("assistant", "365 days [1]."),
                         ("user", "What is Amazon Macie used for?"), ("assistant", "Finding PII [2].")]
    assert heuristic_rewrite("How does it classify data?", history) == "How does it classify data? (about: macie)"
    assert heuristic_rewrite("How does it classify data?", history[:4]).endswith("(about: kinesis data streams)")


def test_standalone_questions_and_first_turns_are_left_alone():
    assert heuristic_rewrite("What is the maximum item size in DynamoDB?", KINESIS) == (
        "What is the maximum item size in DynamoDB?")
    assert heuristic_rewrite("and what's its max retention?", []) == "and what's its max retention?"


def test_history_in_gradio_openai_and_plain_forms():
    gradio = [{"role": "user", "content": [{"type": "text", "text": "Kinesis shards?"}]},
              {"role": "assistant", "content": "1 MB/s [1]", "metadata": None}]
    assert normalize_history(gradio) == [("user", "Kinesis shards?"), ("assistant", "1 MB/s [1]")]
    assert normalize_history(["Kinesis shards?"]) == [("user", "Kinesis shards?")]
    assert normalize_history([("ai", "hello"), ("user", "  ")]) == [("assistant", "hello")]
    assert normalize_history(None) == []
    rendered = [{"role": "user", "content": '<div class="q">Kinesis &amp; <b>SQS</b></div>'}]
    assert normalize_history(rendered) == [("user", "Kinesis & SQS")]


def test_llm_rewriter_shows_the_conversation_and_uses_the_reply():
    recorder = Recorder()
    model = GenericFakeChatModel(messages=iter(["What is the maximum retention of Kinesis Data Streams?"]),
                                 callbacks=[recorder])
    rewritten = LLMRewriter(model, idle_timeout=5).rewrite("and what's its max retention?", KINESIS)
    assert rewritten == "What is the maximum retention of Kinesis Data Streams?"
    (prompt,) = recorder.prompts[0]
    assert "User: How many records per second can a Kinesis Data Streams shard take?" in prompt.content
    assert "Assistant: Each shard supports 1MB/s input or 1000 records per second [1]." in prompt.content
    assert prompt.content.endswith("Last question: and what's its max retention?\nStandalone question:")


def test_llm_rewriter_falls_back_to_the_heuristic_when_the_model_fails():
    model = FakeListChatModel(responses=["x"], error_on_chunk_number=0)
    rewriter = LLMRewriter(model, idle_timeout=5)
    assert rewriter.rewrite("and what's its max retention?", KINESIS).endswith("(about: kinesis data streams)")
    assert rewriter.last_error


@pytest.fixture
def tiny_bot(tiny_settings):
    ingest(tiny_settings, progress=False)
    return build_bot(tiny_settings)


def test_a_follow_up_retrieves_the_earlier_topic(tiny_bot):
    history = [("user", "What is the max message size in SQS?"), ("assistant", "256 KB [1]")]
    plain = tiny_bot.ask("how long are messages kept")
    answer = ask_in_conversation(tiny_bot, "and how long are messages kept?", history)
    assert answer.question == "and how long are messages kept? (about: sqs)"
    assert answer.hits[0].chunk.section == "Messaging > Amazon SQS" and "14 days" in answer.text
    assert set(answer.timings_ms) == {"rewrite", "retrieve", "answer", "total"}
    assert plain.question == "how long are messages kept"


def test_a_chat_turn_with_a_model_rewrites_streams_and_cites(tiny_bot):
    recorder = Recorder()
    model = GenericFakeChatModel(callbacks=[recorder], messages=iter([
        "How long does SQS keep messages?", "Messages are kept up to 14 days [1]."]))
    tiny_bot.answerer = LLMAnswerer(model, "fake:model", tiny_bot.settings, tiny_bot.answerer)
    history = [{"role": "user", "content": "What is the max message size in SQS?"},
               {"role": "assistant", "content": "256 KB [1]"}]
    items = list(stream_reply(tiny_bot, "and how long are they kept?", history))
    tokens, answer = items[:-1], items[-1]
    assert all(isinstance(t, str) for t in tokens) and "".join(tokens) == "Messages are kept up to 14 days [1]."
    assert isinstance(answer, Answer) and answer.question == "How long does SQS keep messages?"
    rewrite_prompt, answer_prompt = recorder.prompts
    assert "Last question: and how long are they kept?" in rewrite_prompt[0].content
    shown = answer_prompt[1].content
    assert shown.startswith(f"There are {len(answer.hits)} passages")
    assert "Question: How long does SQS keep messages?" in shown
    first = answer.hits[0].chunk
    assert f'<passage n="1" source="Doc 100 > {first.section}">\n{first.text}\n</passage>' in shown
    assert answer.citations[0].chunk_id == first.id and "14 days" in first.text


def test_an_empty_question_is_refused_before_anything_streams(tiny_bot):
    with pytest.raises(QuestionError):
        next(stream_reply(tiny_bot, "   ", KINESIS))


def test_the_follow_up_gold_set_is_well_formed():
    from bot.settings import Settings

    conversations = load_gold(GOLD)
    assert len(conversations) >= 25 and all(2 <= len(c.turns) <= 3 for c in conversations)
    assert all(c.turns[0].kind == "first" for c in conversations)
    assert gold_problems(conversations, Settings.from_env({}).corpus_dir) == []


def test_rewriting_leaves_first_turns_alone_and_follow_ups_borrow_an_earlier_service():
    for conv in load_gold(GOLD):
        history = []
        for turn in conv.turns:
            query = heuristic_rewrite(turn.question, history)
            if turn.kind in ("first", "standalone"):
                assert query == turn.question, conv.id
            elif turn.kind == "follow-up" and query != turn.question:
                earlier = {t for role, text in history if role == "user" for t in key_terms(text)}
                assert earlier & set(key_terms(query)), (conv.id, query)
            history.append(("user", turn.question))


@pytest.mark.slow
def test_rewriting_improves_follow_up_retrieval_on_the_gold_set(real_bot):
    conversations = load_gold(GOLD)
    typed = summarize(run_mode(real_bot, conversations, NoRewriter(), 5))["later turns"]
    rewritten = summarize(run_mode(real_bot, conversations, HeuristicRewriter(), 5))["later turns"]
    assert rewritten[1] == typed[1] >= 40
    assert rewritten[0] / rewritten[1] >= 0.85 and rewritten[0] - typed[0] >= 8
