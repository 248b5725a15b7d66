import unicodedata

from bot.text import normalize, term_set, terms


def slow_normalize(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    return "".join(ch if unicodedata.category(ch)[0] != "C" or ch in "\n\t" else " " for ch in text).lower()


def test_the_ascii_fast_path_gives_the_same_form_as_the_unicode_path():
    for text in ["Max SQS\x00message\x1bsize\x7f?", "Line one\n\tLine two\r", "PLAIN words 256KB"]:
        assert normalize(text) == slow_normalize(text)
    assert normalize("Max SQS\x00size") == "max sqs size"


def test_non_ascii_text_is_folded_and_its_controls_dropped():
    assert normalize("ＳＱＳ\u200bmax\u0085size") == slow_normalize("ＳＱＳ\u200bmax\u0085size") == "sqs max size"


def test_term_set_is_the_set_of_terms():
    text = "Kinesis shards hold records for 24 hours"
    assert term_set(text) == frozenset(terms(text)) == {"kinesis", "shard", "hold", "record", "24", "hour"}
