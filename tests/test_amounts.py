"""One reader of amounts for the quiz and the answers: the same units, the same numbers, each where it stands."""

from bot.amounts import WORKED_EXAMPLE, Quantity, amounts, measures

DAY = 86400


def test_a_rate_or_a_share_counts_its_size_shown_without_what_it_is_per():
    found = measures("Each shard: 1 MB/s in, 4 KB per second per item, 128TB/vol")
    assert [(m.kind, m.value, m.text) for m in found] == [("size", 1e6, "1 MB"), ("size", 4e3, "4 KB"),
                                                           ("size", 128e12, "128TB")]


def test_thousands_separators_and_spelled_units_are_read_whole():
    assert [m.value for m in measures("1EB = 1,000 PB, 100 petabytes each")] == [1e18, 1e17]
    assert [m.value for m in measures("takes 30,000s (8.3h)")] == [30_000, 8.3 * 3600]


def test_each_amount_keeps_its_place_in_the_line_even_after_a_long_lower_case():
    line = "İstanbul keeps data one day, up to 7 days"
    found = measures(line)
    assert [(m.text, line[m.at:m.at + len(m.text)]) for m in found] == [("one day", "one day"), ("7 days", "7 days")]


def test_the_quiz_and_the_answers_read_the_same_units():
    assert measures("kept 2 weeks")[0].value == 14 * DAY
    assert amounts("kept 2 weeks")[0].low.same_as(Quantity(14, "day"))
    assert not measures("10 requests per second")  # a count, not a duration or a size


def test_a_worked_example_is_no_fact_but_a_definition_is():
    for example in ("e.g. 2 MB/s", "like 250 bytes", "i.e. 1000 shards take 30,000s", "4 × 2 = 8", "ex: 10 GB",
                    "2/5th of an hour", "⇒ 6 DPU", "if 5 consumer apps read one shard"):
        assert WORKED_EXAMPLE.search(example), example
    assert not WORKED_EXAMPLE.search("1 WCU = 1 write/s for an item up to 1 KB")
