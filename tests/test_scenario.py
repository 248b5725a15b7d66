"""Scenario questions (bot/quiz/scenario.py): advice lines read, situations worded, options chosen, graded."""

import pytest

from bot.models import Section
from bot.quiz.deck import QuizInputError, problem
from bot.quiz.grading import chosen_options, grade
from bot.quiz.kinds import CATALOGUE
from bot.quiz.scenario import advice_in, scenario_cards, service_lines, wrong_options

KNOWN = {s.name: s.name for s in CATALOGUE}


def section(*lines: str, path=("Amazon Athena", "Best Practices")) -> Section:
    return Section("950", "Notes", path, tuple(f"- {line}" for line in lines), 1)


def cards_of(sec: Section, *other_lines: str):
    return scenario_cards(sec, KNOWN, service_lines([*sec.lines, *other_lines]))


@pytest.mark.parametrize("sentence, services, need", [
    ("Monitor with CloudWatch: Use CloudWatch to monitor query performance and track costs.",
     ["Amazon CloudWatch"], "monitor query performance and track costs."),
    ("Use DynamoDB or S3 to maintain state, as Lambda itself is stateless.",
     ["Amazon DynamoDB", "Amazon S3"], "maintain state, as Lambda itself is stateless."),
    ("Amazon Macie helps you discover sensitive data in buckets.", ["Amazon Macie"],
     "discover sensitive data in buckets."),
    ("Step Functions is designed to coordinate the components of distributed applications.",
     ["AWS Step Functions"], "coordinate the components of distributed applications."),
])
def test_advice_lines_give_their_services_and_need(sentence, services, need):
    advice = advice_in(sentence)
    assert [s.name for s in advice.services] == services
    assert advice.need == need


@pytest.mark.parametrize("sentence", [
    "Use IAM policies and S3 bucket policies to control access.",  # a feature between the names: not a service list
    "Amazon S3 is a storage service.",  # no use
    "Amazon Macie continuously monitors data access activity for anomalies.",  # what it does is true of several
    "Lambda can be used, but EC2 might be more appropriate.",
    "Choose an S3 location in the format s3://bucket/prefix/.",
    "For other engines (Hive, Pig, etc.), use EMR",  # a need as a noun phrase is too thin for a situation
    "Web Applications: RDS is ideal for web and mobile applications that need relational databases.",
])
def test_other_sentences_are_not_advice(sentence):
    assert advice_in(sentence) is None


def test_a_scenario_names_its_subject_hides_its_answer_and_offers_four_of_one_family():
    [card] = cards_of(section("Monitor with CloudWatch: Use CloudWatch to monitor query performance and track costs."))
    assert card.prompt == ("A team using Amazon Athena needs to monitor query performance and track costs. "
                           "Which AWS service meets the need?")
    assert (card.kind, card.family, card.answer) == ("mcq", "scenario", "Amazon CloudWatch")
    assert len(set(card.choices)) == 4
    assert "CloudWatch" in card.passage  # the line that decides it, shown after the answer
    assert problem(card) is None


def test_a_line_naming_two_services_makes_a_choose_two_question():
    [card] = cards_of(section("Stateful Applications: Use DynamoDB or S3 to maintain state, as Lambda itself is "
                              "stateless.", path=("AWS Lambda", "Anti-Patterns")))
    assert card.kind == "multi" and card.prompt.endswith("Which two AWS services meet the need? (Choose two.)")
    assert set(card.right_options) == {"Amazon DynamoDB", "Amazon S3"} <= set(card.choices)
    assert len(card.distractors) == 2 and card.expected == "Amazon DynamoDB and Amazon S3"


def test_an_option_that_another_line_or_aws_makes_right_is_never_offered_as_wrong():
    line = "Use RDS to host relational databases for web and mobile applications."
    advice = advice_in(line)
    every = wrong_options(advice, KNOWN, service_lines([line]), n=50)
    assert "Amazon DocumentDB" in every and "Amazon Aurora" not in every  # Aurora: interchangeable for the need
    other = "DocumentDB can host document databases for web and mobile applications."
    assert "Amazon DocumentDB" not in wrong_options(advice, KNOWN, service_lines([line, other]), n=50)


def test_the_subject_service_is_never_an_option():
    line = "Use Firehose to load records into S3 and Redshift without writing consumer code."
    advice = advice_in(line)
    assert "Amazon Kinesis Data Streams" in wrong_options(advice, KNOWN, service_lines([line]), n=50)
    [card] = cards_of(section(line, path=("Streaming", "Kinesis Data Streams")))
    assert card.prompt.startswith("A company needs to load records into S3")  # the need names its own services
    [card] = cards_of(section("Use Firehose to load records without writing consumer code.",
                              path=("Streaming", "Kinesis Data Streams")))
    assert card.prompt.startswith("A team using Amazon Kinesis Data Streams needs to load records")
    assert "Amazon Kinesis Data Streams" not in card.choices and card.answer in card.choices


def test_multiple_response_is_graded_on_the_whole_set():
    [card] = cards_of(section("Use DynamoDB or S3 to maintain state, as Lambda itself is stateless.",
                              path=("AWS Lambda",)))
    letters = {c: "ABCD"[i] for i, c in enumerate(card.choices)}
    both = letters["Amazon DynamoDB"] + letters["Amazon S3"]
    assert grade(card, both).correct
    assert grade(card, f"{both[1]}, {both[0]}").correct
    assert grade(card, "Amazon S3 and DynamoDB").correct  # option texts, another name of one
    one = grade(card, both[0])
    assert not one.correct and one.note == "choose 2: you chose 1"
    wrong = next(c for c in card.choices if c not in card.right_options)
    assert not grade(card, f"{both[0]} {letters[wrong]}").correct
    assert chosen_options(card, "a c") == [card.choices[0], card.choices[2]]
    with pytest.raises(QuizInputError):
        grade(card, "E")
    assert grade(card, "  ").note == "no answer"


def test_a_choose_two_question_is_answered_by_letters_in_the_app_and_the_terminal():
    from bot.quiz.exam_cli import _ask_one
    from bot.quiz.show import picked_from_list
    from bot.ui.quiz import prompt_html

    [card] = cards_of(section("Use DynamoDB or S3 to maintain state, as Lambda itself is stateless.",
                              path=("AWS Lambda",)))
    assert picked_from_list(card) == []  # no one-pick list: the letters are typed
    html = prompt_html(card)
    assert all(f"{letter}) " in html for letter in "ABCD") and "Type the letters of your choices" in html
    said = []
    answers = iter(["E F", "a c"])
    assert _ask_one(card, lambda _: next(answers), said.append) == "a c"
    assert said == ["  Pick one of A/B/C/D (or type the option's text)."]


def test_a_service_whose_line_holds_the_needs_two_rarest_words_is_right_too():
    line = "Use Macie to find passport numbers in buckets, helping compliance reviews."
    common = [f"Find buckets for compliance reviews, helping team {i}." for i in range(3)]
    other = "GuardDuty can flag passport numbers stored in object storage."
    advice = advice_in(line)
    assert "Amazon GuardDuty" in wrong_options(advice, KNOWN, service_lines([line, *common]), n=50)
    # "passport" and "numbers" are the need's rarest words: GuardDuty's line holds both, a fifth of the need
    assert "Amazon GuardDuty" not in wrong_options(advice, KNOWN, service_lines([line, *common, other]), n=50)


def test_a_feature_line_under_a_service_heading_asks_for_that_service():
    features = section("Data Discovery: Identify and protect sensitive data like PII in your S3 buckets.",
                       "Encryption: All findings are encrypted.",  # not a verb-led need: no question
                       path=("Security Services", "Amazon Macie", "Use Cases"))
    [card] = cards_of(features)
    assert card.prompt.startswith("A company needs to identify and protect sensitive data like PII in its S3 buckets.")
    assert card.answer == "Amazon Macie" and card.passage.startswith("Amazon Macie: ")
    assert cards_of(section("Data Discovery: Identify PII in your S3 buckets.", path=("Amazon Macie", "Pricing"))) == []


def test_a_word_of_a_joined_name_in_the_situation_gives_the_answer_away():
    [card] = cards_of(section("Testing: Automate unit tests as part of every build of your application code.",
                              path=("AWS CodeBuild", "Features")))
    assert problem(card) == "answer given away by a word of the prompt"  # "build" points at CodeBuild


def test_the_exam_tab_takes_a_choose_two_answer_as_typed_letters():
    from datetime import UTC, datetime

    from bot.quiz.exam import Paper
    from bot.ui.exam import answer, question_screen

    [card] = cards_of(section("Use DynamoDB or S3 to maintain state, as Lambda itself is stateless.",
                              path=("AWS Lambda",)))
    now = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
    paper = Paper("DEA-C01", (card, card), {card.id: "Data Store Management"}, 130, 720, now)
    state = {"profile": "p", "paper": paper, "i": 0, "answers": {}}
    screen = question_screen(state, now)
    assert screen.typed and screen.choices == [] and "Choose two" in screen.prompt
    refused = answer(None, state, "E F", None, now)
    assert "Pick one of A/B/C/D" in refused.result and refused.state["answers"] == {}
    taken = answer(None, state, "a c", None, now)
    assert taken.state["answers"] == {card.id: "a c"} and taken.state["i"] == 1


@pytest.mark.parametrize("line, path", [
    ("Sharing: Use EFS to let many instances mount the same file system at once.", ("Storage",)),  # two words in a row
    ("Use DMS to migrate a db from on-premises servers to RDS with little downtime.", ("Migration",)),  # db, migrate
])
def test_a_situation_spelling_out_the_answers_name_is_a_giveaway(line, path):
    [card] = cards_of(section(line, path=path))
    assert problem(card) == "answer given away by a word of the prompt"


def test_at_most_two_scenarios_ask_for_one_service_by_one_verb(tmp_path):
    from bot.quiz.deck import generate
    from bot.settings import Settings

    lines = [f"Use CloudWatch to monitor the {thing} of the cluster and alarm on spikes." for thing in
             ("memory use", "disk latency", "replica lag", "query queue")]
    doc = type("Doc", (), {"doc_id": "950"})()
    sections = [section(line, path=(f"Amazon {name}", "Best Practices")) for line, name in
                zip(lines, ("RDS", "EMR", "Aurora", "Redshift"), strict=True)]
    sections.append(section("CloudTrail keeps a history of API calls.", "AWS Config keeps resource configurations.",
                            "Trusted Advisor compares accounts with best practices.", path=("Governance",)))
    kept, rejected = generate({doc: sections}, Settings.from_env({}, data_dir=tmp_path))
    monitor = [c for c in kept if c.family == "scenario"]
    assert len(monitor) == 2
    assert sum("same need and answer" in r.reason for r in rejected) == 2


def test_a_job_several_services_do_leaves_none_of_them_as_a_wrong_option():
    line = "Use EFS to set lifecycle policies that move files between storage tiers by access pattern."
    advice = advice_in(line)
    wrong = wrong_options(advice, KNOWN, service_lines([line]), n=50)
    assert "Amazon S3" not in wrong and "AWS Backup" not in wrong  # S3 lifecycle rules do this job too
    plain = advice_in("Use EFS to let many Linux instances mount one network file share at once.")
    assert "Amazon S3" in wrong_options(plain, KNOWN, service_lines([]), n=50)


def test_a_need_of_three_telling_words_is_too_thin_for_a_scenario():
    assert cards_of(section("Use SNS to send alarms or alerts.", path=("Messaging",))) == []
    assert len(cards_of(section("Use SNS to fan out order alarms to email recipients.", path=("Messaging",)))) == 1
