"""Card generation and filtering on small inline text (no index, no model)."""

from dataclasses import replace

import pytest
from helpers.quiz_docs import DOCS, loaded_corpus, sections_of, small_deck

from bot.models import Section
from bot.quiz.cards import make_card, number_cards
from bot.quiz.choices import (
    corpus_services,
    definition_cards,
    disguised,
    heading_cards,
    pick_distractors,
    service_cards,
)
from bot.quiz.deck import QuizInputError, generate, problem, vague_cards
from bot.quiz.kinds import CATALOGUE, same_kind
from bot.quiz.show import gives_away, header
from bot.quiz.text import answer_visible, leaks, name_key
from bot.settings import Settings


def section(doc_id: str, heading: str) -> Section:
    return next(s for s in sections_of(doc_id) if s.heading == heading)


def test_number_cloze_blanks_the_quantity_and_keeps_its_section_in_the_prompt():
    cards = number_cards(section("900", "Amazon SQS"))
    assert [(c.prompt, c.answer) for c in cards] == [
        ("Messaging › Amazon SQS: Max message size is ____.", "256 KB"),
        ("Messaging › Amazon SQS: Messages are kept for ____ by default, up to 14 days.", "4 days"),
        ("Messaging › Amazon SQS: Messages are kept for 4 days by default, up to ____.", "14 days"),
    ]
    first = cards[0]
    assert first.kind == "cloze" and first.passage == "Max message size is 256 KB."
    assert first.accepted == ("256KB",) and first.section_path == ("Messaging", "Amazon SQS")


def test_a_line_keeps_the_service_or_parent_it_hangs_under():
    slide = Section("903", "Slides", ("Section 6: Streaming", "Amazon SQS"), (
        "- Data retention for up to 14 days.",
        "Amazon Kinesis Data Streams",
        "- Extendable retention for up to 365 days (24 hours by default).",
        "- Snow family: physical boxes shipped to your data center",
        "  - Snowcone: rugged portable device with 8 TB of usable storage",
        "- For example, 100 TB over a 100 Mb line takes more than 100 days.",
        "- Storage capacity: 8TB usable on the small device",
        "- Storage capacity: 80TB usable on the big device",
    ), 1)
    prompts = [c.prompt for c in number_cards(slide)]
    assert prompts == [
        "Streaming › Amazon SQS › Amazon Kinesis Data Streams: Extendable retention for up to ____ "
        "(24 hours by default).",
        "Streaming › Amazon SQS › Amazon Kinesis Data Streams: Extendable retention for up to 365 days "
        "(____ by default).",
        "Streaming › Amazon SQS › Snow family: Snowcone: rugged portable device with ____ of usable storage",
    ]  # none from "retention for up to 14 days" (too few words), the worked example or the look-alikes


def test_years_list_numbers_and_nines_are_not_blanked():
    assert number_cards(section("900", "Amazon SNS")) == []
    assert [c.answer for c in number_cards(section("901", "Durability"))] == ["99.999999999%"]


def test_generation_is_deterministic_and_ids_survive_unrelated_changes():
    first, _ = generate(loaded_corpus(), Settings.from_env({}, chunk_size=300))
    again, _ = generate(loaded_corpus(), Settings.from_env({}, chunk_size=300))
    assert first == again and len({c.id for c in first}) == len(first)
    edited = loaded_corpus()
    doc = next(d for d in edited if d.doc_id == "900")
    sqs = edited[doc][0]
    edited[doc][0] = replace(sqs, lines=(sqs.lines[0], "- Messages are kept for 5 days by default.", *sqs.lines[2:]))
    after, _ = generate(edited, Settings.from_env({}, chunk_size=300))
    before_ids, after_ids = {c.id for c in first}, {c.id for c in after}
    kept = {c.id for c in first if "kept for" not in c.passage}
    assert kept <= after_ids  # every card of an unchanged line keeps its id, so its progress
    assert {c.id for c in first if "kept for" in c.passage}.isdisjoint(after_ids)
    assert after_ids - before_ids  # the edited line gives new cards


def test_every_generated_card_holds_its_answer_in_its_source_passage():
    deck = small_deck()
    assert {c.family for c in deck.cards} == {"number", "definition", "service"}
    for card in deck.cards:
        assert any(answer_visible(form, card.passage) for form in (card.answer, *card.accepted)), card
        assert not any(answer_visible(form, card.prompt) for form in (card.answer, *card.accepted)), card
        assert problem(card) is None


def test_definition_distractors_are_siblings_distinct_and_never_the_answer():
    storage = section("901", "Storage Classes")
    cards = definition_cards(storage)
    siblings = {"S3 Standard", "S3 Intelligent-Tiering", "S3 One Zone-IA", "S3 Glacier Deep Archive",
                "S3 Glacier Instant Retrieval"}
    assert {c.answer for c in cards} == siblings
    for card in cards:
        assert card.kind == "mcq" and len(card.choices) == 4 and len(set(card.choices)) == 4
        assert card.answer in card.choices and set(card.choices) <= siblings
        assert not any(disguised(card.answer, d) for d in card.distractors)
    deep = next(c for c in cards if c.answer == "S3 Glacier Deep Archive")
    assert deep.prompt == ("Amazon S3 › Storage Classes: which one is “Cheapest class for compliance records read "
                           "once or twice a year”?")


def test_service_cards_mask_every_name_and_take_distractors_of_the_same_area():
    all_sections = [s for d in DOCS for s in sections_of(d)]
    known = {**corpus_services(all_sections), "Amazon SNS": "Amazon SNS"}
    [card] = service_cards(section("902", "Kinesis Data Streams"), known)
    assert card.answer == "Amazon Kinesis Data Streams" and card.kind == "mcq"
    assert "Amazon MSK" not in card.choices  # AWS offers both for streaming: never a wrong option for the other
    assert card.prompt == ("Ingestion: which AWS service fits “____ is a serverless service that captures and keeps "
                           "gigabytes of records per second from many producers for real-time processing.”?")
    assert problem(card) is None
    kinesis = next(s for s in CATALOGUE if s.name == "Amazon Kinesis Data Streams")
    same_area = {known[s.name] for s in same_kind(kinesis) if s.name in known}
    assert set(card.distractors) <= same_area and len(card.distractors) == 3
    assert "Kinesis" not in card.prompt and "KDS" in card.accepted


def test_blurbs_and_one_sided_comparisons_make_no_service_card():
    blurbs = Section("904", "Notes", ("Analytics", "Querying"), (
        "Amazon Athena provides several security features to ensure data protection during all queries.",
        "Amazon Athena is faster and cheaper, and just runs interactive queries against S3 data in place.",
        "Amazon Athena is faster than loading the files into a cluster first, for ad hoc SQL over S3 logs.",
    ), 1)
    known = {"Amazon Athena": "Amazon Athena", "Amazon EMR": "Amazon EMR", "AWS Glue": "AWS Glue",
             "Amazon QuickSight": "Amazon QuickSight", "Amazon Redshift Spectrum": "Amazon Redshift Spectrum"}
    assert [c.passage for c in service_cards(blurbs, known)] == [blurbs.lines[2]]


def test_pick_distractors_skips_disguises_and_names_in_the_prompt():
    pool = ["Amazon S3 Standard", "S3 Standard", "Standard-IA", "Glacier", "One Zone-IA", "Amazon EBS"]
    picked = pick_distractors("S3 Standard", pool, seed="x", avoid="unlike Amazon EBS it is an object store")
    assert sorted(picked) == ["Glacier", "One Zone-IA", "Standard-IA"]  # not S3 Standard twice, nor EBS
    assert disguised("Amazon S3", "S3") and disguised("Cross-Region Replication", "Cross-Region Replication (CRR)")
    assert not disguised("S3 Glacier Deep Archive", "S3 Glacier Instant Retrieval")


def _card(**changes):
    base = make_card(section("900", "Amazon SQS"), "cloze", "number", "Amazon SQS: Max message size is ____.",
                     "256 KB", "Max message size is 256 KB.")
    return replace(base, **changes)


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({}, None),
        ({"prompt": "Amazon SQS: Max message size (256KB) is ____."}, "answer visible in the prompt"),
        ({"passage": "Messages are kept for 4 days."}, "source passage lacks the answer"),
        ({"family": "definition", "answer": "the", "passage": "the queue"}, "blank on a stop word"),
        ({"kind": "mcq", "family": "definition", "answer": "Standard", "passage": "Standard: hot data",
          "prompt": "which one is “hot data”?", "choices": ("Standard", "S3 Standard", "Glacier", "One Zone")},
         "distractors not four distinct things"),
        ({"kind": "mcq", "family": "definition", "answer": "Concurrent Modifications",
          "passage": "Concurrent Modifications: concurrent users change rows safely",
          "prompt": "which one is “concurrent users change rows safely”?",
          "choices": ("Concurrent Modifications", "Time Travel", "Compaction", "Snapshots")},
         "answer given away by a word of the prompt"),
        ({"kind": "mcq", "family": "definition", "answer": "Secure Data Movement",
          "passage": "Secure Data Movement: Enables safe data transfer between SaaS apps and AWS services",
          "prompt": "AppFlow: which one is “Enables safe data transfer between SaaS apps and AWS services”?",
          "choices": ("No-Code Interface", "Secure Data Movement", "SaaS Integration", "Pre-built Connectors")},
         "another option fits the description too"),
        ({"family": "service", "answer": "AWS Snowcone", "passage": "AWS Snowcone: 8 TB box",
          "prompt": "Which AWS service? “____: 8 TB box”"}, "about a service AWS has discontinued (AWS Snowcone)"),
        ({"kind": "mcq", "family": "definition", "answer": "Gaming", "section_path": ("Amazon DynamoDB", "Use Cases"),
          "passage": "Gaming: leaderboards and player state at scale",
          "prompt": "which one is “leaderboards and player state at scale”?",
          "choices": ("Gaming", "IoT", "Web Applications", "Mobile Backends")},
         "tests a label of the notes (a list of use cases, features or benefits), not an AWS term"),
    ],
)
def test_bad_cards_are_named_by_the_filter(changes, reason):
    assert problem(_card(**changes)) == reason


def test_a_card_from_a_line_aws_has_changed_since_is_dropped_with_what_is_true_now():
    card = _card(doc_id="003", prompt="SQS: Data retention is ____ default", answer="3 days",
                 passage="Data retention is 3 days default, maximum of 14 days")
    assert problem(card).startswith("the notes are wrong here: SQS retains messages for 4 days by default")
    assert problem(replace(card, doc_id="900")) is None  # the erratum is about that document's line only


def test_duplicates_are_dropped():
    loaded = loaded_corpus()
    doc = next(d for d in loaded if d.doc_id == "900")
    loaded[doc].append(replace(loaded[doc][0]))  # the same section twice
    cards, rejected = generate(loaded, Settings.from_env({}, chunk_size=300))
    assert len({(c.prompt, c.answer) for c in cards}) == len(cards)
    assert any(r.reason == "duplicate" for r in rejected)


def test_a_prompt_that_cannot_find_its_section_is_vague():
    from bot.ingest.chunk import chunk_sections

    chunks = [c for d in DOCS for c in chunk_sections(sections_of(d), 300, 0)]
    good = number_cards(section("900", "Amazon SQS"))[0]
    vague = replace(good, prompt="It is ____.")
    assert vague_cards([good, vague], chunks) == {vague.id}


def test_quantities_match_across_spacing_and_units():
    assert answer_visible("256 KB", "the limit is 256KB")
    assert answer_visible("14 days", "two weeks, i.e. 2 weeks") and not answer_visible("14 days", "14 hours")
    assert leaks("Cross-Region Replication", "copies objects to another region", ["Same-Region Replication"]) is False
    assert leaks("Cross-Region Replication", "copies objects to other regions", ["Same-Region Replication"]) is False
    assert leaks("Cross-Region Replication", "replicates objects cross-account", ["Same-Region Replication"]) is True
    assert leaks("Kinesis Data Streams", "a streaming service", ["Amazon SQS"]) is True  # stream(ing) shares a stem
    assert leaks("Node Pricing", "charges by type and number of nodes", ["Backup Pricing", "Data Pricing"]) is True
    assert leaks("AUTO", "Redshift automatically picks the style", ["KEY", "EVEN", "ALL"]) is True
    assert name_key("Amazon S3 (Simple Storage Service)") == "s3 simple storage service"


def test_deck_scope_and_lookup_explain_bad_input():
    deck = small_deck()
    assert {c.doc_id for c in deck.scope("901")} == {"901"}
    assert {c.section for c in deck.scope(section="amazon sqs")} == {"Messaging > Amazon SQS"}
    with pytest.raises(QuizInputError, match=r"unknown document '999'; known: 900 \(Queue notes\)"):
        deck.scope("999")
    with pytest.raises(QuizInputError, match="no quiz cards in a section matching 'Lambda'"):
        deck.scope(section="Lambda")
    with pytest.raises(QuizInputError, match="unknown card id 'nope'"):
        deck.card("nope")
    card = deck.scope(section="Amazon SQS")[0]
    assert "Max message size is 256 KB." in deck.section_text(card)


def test_slide_emphasis_stars_do_not_reach_the_prompt():
    states = Section("905", "Slides", ("Orchestration", "AWS Step Functions"), (
        "- *Task State:* Executes specific work like a *Lambda function* or *API call*.",
        "- *Wait State:* Pauses execution for a set duration or a specific time.",
        "- *Fail State:* Stops execution and marks it as failed with an error.",
        "- *Map State:* Iterates over a list, processing each item with a sub-workflow.",
    ), 1)
    task = next(c for c in definition_cards(states) if c.answer == "Task State")
    assert task.prompt.endswith("which one is “Executes specific work like a Lambda function or API call”?")
    assert set(task.choices) == {"Task State", "Wait State", "Fail State", "Map State"}


def test_a_service_card_header_shows_its_area_and_a_number_card_its_section():
    known = corpus_services([s for d in DOCS for s in sections_of(d)])
    [service] = service_cards(section("902", "Kinesis Data Streams"), known)
    assert header(service) == "Streaming notes"  # the section names the answer; its area "Streaming" hints it
    assert header(service, "DEA-C01").startswith("DEA-C01 · Streaming notes")
    number = next(c for c in small_deck().cards if "kept for ____ by default" in c.prompt)
    assert header(number) == "Queue notes" and number.prompt.startswith("Messaging › Amazon SQS: ")
    assert gives_away(service, "Ingestion › Kinesis Data Streams") and not gives_away(service, "Ingestion")


@pytest.mark.parametrize("line", [
    "Buffer Time: Example - 2 minutes before delivery.", "Fetch a byte-range from an object, like 250 bytes of it.",
    "i.e. 1000 shards takes 30,000s (8.3h) to double to 2000 shards", "Cost: 6 DPU × 1/4 h at $0.44 per hour.",
    "Keep the session running for 24 minutes (2/5th of an hour) to test.",
    "Custom configurations, such as increasing the default message size from 1MB to 10MB.",
    "Throughput| FIFO SQS is limited to 300 transactions per second",
])
def test_worked_examples_make_no_number_card(line):
    example = Section("900", "Doc 900", ("Costs",), (f"- {line}",), 1)
    assert number_cards(example) == []
    fact = Section("900", "Doc 900", ("Limits",), ("- Max message size is 256 KB per message.",), 1)
    assert [c.answer for c in number_cards(fact)] == ["256 KB"]


def test_a_section_among_its_siblings_makes_a_which_one_card():
    def sec(title, line):
        return Section("905", "Doc 905", ("Networking", title), (line,), 1)

    sections = [
        sec("Security Group", "A Security Group acts as a virtual stateful firewall for your instance to control "
                              "inbound traffic."),
        sec("NACL", "The default NACL that comes with a new VPC has a stateless rule to allow all inbound and outbound"
                    " traffic."),
        sec("Route Table", "A Route Table holds the rules that decide where network traffic from your subnet goes "
                           "next."),
        sec("Bastion Hosts", "Bastion Hosts let administrators reach private instances through one hardened jump box."),
        sec("Use Cases", "Use Cases: many teams run web servers and databases in separate subnets for safety."),
    ]
    cards = {c.answer: c for c in heading_cards(sections)}
    assert set(cards) == {"Security Group", "NACL", "Route Table", "Bastion Hosts"}  # not the generic "Use Cases"
    card = cards["Security Group"]
    assert card.prompt == ("Networking: which one is “A ____ acts as a virtual stateful firewall for your instance to "
                           "control inbound traffic”?")
    assert set(card.distractors) == {"NACL", "Route Table", "Bastion Hosts"} and problem(card) is None
    assert card.passage.startswith("Security Group: A Security Group acts")


def test_a_limit_on_a_count_is_a_number_card_and_a_value_shown_twice_is_not():
    limits = Section("900", "Doc 900", ("DynamoDB", "Indexes"), ("- Up to 5 LSIs per table, created with the table.",
                                                                 "- Up to 10 times faster than before."), 1)
    assert [(c.prompt, c.answer) for c in number_cards(limits)] == [
        ("DynamoDB › Indexes: Up to ____ LSIs per table, created with the table.", "5")]
    twice = Section("900", "Doc 900", ("Aurora",), ("- Aurora starts with 10GB and grows per 10GB up to 64 TB.",), 1)
    assert [c.answer for c in number_cards(twice)] == ["64 TB"]


def _shown(answer: str, prompt: str, kind: str = "mcq", family: str = "service", choices=(), path=("Storage",)):
    from bot.quiz.cards import Card

    return Card("900-x", kind, family, prompt, answer, (), tuple(choices), "900", "Doc", tuple(path), prompt)


@pytest.mark.parametrize(("answer", "prompt", "family"), [
    ("Retention Policy", "Allows you to set the period a log is retained: ____", "definition"),  # a word's root
    ("Amazon EFS", "____ provides a fully managed elastic NFS file system.", "service"),  # its long name described
    ("Amazon RDS", "____ makes it easy to scale a relational database in AWS.", "service"),
    ("99.999999999%", "S3 is designed for ____ (or 11 9s) durability.", "number"),  # bracketed alternative
    ("AWS CodeBuild", "Ideal for running builds in a managed environment.", "definition"),  # a word of a joined name
    ("AWS Backup", "____ automates backing up data across services.", "service"),
    ("Application Load Balancer", "Distribute content served by an ALB.", "definition"),  # its initials
    ("90 days", "Glacier: data accessed once a quarter (____).", "number"),  # a period named in words
    ("3", "2 copies in each of ____ zones, 6 copies in all.", "number"),  # one product of the text's numbers
    ("100%", "If a classifier returns certainty=1.0, it is ____ certain.", "number"),  # a percent as a fraction
    ("20 consumers", "Each gets 2MB/s, so ____ will get 40MB/s in all.", "number"),
    ("1 WCU", "Write Capacity Units (WCUs): ____ equals 1 write per second.", "number"),  # one of the named unit
])
def test_the_giveaway_check_sees_roots_long_names_and_spelled_alternatives(answer, prompt, family):
    from bot.quiz.show import gives_away

    card = _shown(answer, prompt, family=family, choices=(answer, "Amazon S3", "Amazon EBS", "AWS Glue"))
    assert gives_away(card, prompt)


def test_a_service_every_option_is_named_with_points_at_none_of_them():
    from bot.quiz.show import gives_away

    classes = ("S3 Standard", "S3 One Zone-IA", "S3 Glacier Deep Archive", "S3 Glacier Instant Retrieval")
    card = _shown("S3 Standard", "Simple Storage Service (S3): which storage class is “for hot data”?",
                  family="definition", choices=classes)
    assert not gives_away(card, card.prompt)
    mixed = _shown("S3 Standard", card.prompt, family="definition", choices=(
        "S3 Standard", "EBS gp3", "EFS Standard", "FSx for Lustre"))
    assert gives_away(mixed, mixed.prompt)  # among other services, the storage service's name does point at S3


def test_a_heading_that_names_one_of_the_choices_is_not_shown_above_them():
    from bot.quiz.show import shown_path

    card = _shown("Amazon Data Firehose", "Which service loads streams into S3?", choices=(
        "Amazon Data Firehose", "Kinesis Data Streams", "Amazon SQS", "AWS Glue"),
        path=("Streaming", "Kinesis Data Streams", "Consumers"))
    assert shown_path(card) == ["Streaming"]


@pytest.mark.parametrize(("answer", "prompt"), [
    ("3", "Keep 2 copies in each of ____ zones for durability."),  # nothing to multiply
    ("30 days", "Objects move to Standard-IA after ____ at the earliest."),
    ("1 DPU", "Python Shell job: ____ or 0.0625 DPU."),  # the unit only after a number: a fact, not its definition
    ("1 minute", "EC2 is monitored every 5 minutes by default, or at ____ intervals with Detailed Monitoring."),
])
def test_a_number_card_is_not_given_away_by_unrelated_numbers(answer, prompt):
    from bot.quiz.show import gives_away

    assert not gives_away(_shown(answer, prompt, kind="cloze", family="number"), prompt)


def test_the_area_is_shown_above_a_service_question_only_when_every_option_is_of_that_area():
    from bot.quiz.show import where

    same = _shown("Amazon S3", "Which service stores objects?", choices=("Amazon S3", "Amazon EBS", "Amazon EFS",
                                                                          "Amazon FSx"))
    mixed = _shown("AWS CloudFormation", "Which service provisions stacks?", choices=(
        "AWS CloudFormation", "AWS CodeDeploy", "AWS CodeCommit", "AWS CodePipeline"))
    assert where(same) == ["Storage"]
    assert where(mixed) == []  # "Management and governance" would single out CloudFormation among developer tools


@pytest.mark.parametrize(("option", "context", "term"), [
    ("Choice State", "AWS Step Functions", True),
    ("S3 Glacier Deep Archive", "Storage Classes", True),  # a service's name before one of its terms
    ("Rules", "Amazon EventBridge", True),  # "EventBridge Rule" is the term: a bare "Rules" under its service...
    ("Rules", "Messaging", False),
    ("Event Producers", "Amazon EventBridge", False),
    ("FULL", "Vacuum › Command Syntax", True),  # ... or under a heading word: VACUUM FULL
    ("Amazon Kinesis Data Streams", "", True),
    ("24/7 Expertise", "AWS Shield Advanced", False),  # labels of the notes
    ("Cost Efficiency", "DynamoDB › Provisioned Mode", False),
    ("Atomicity", "Amazon RDS › ACID Compliance", False),
])
def test_an_option_is_an_aws_term_by_the_glossary(option, context, term):
    from bot.quiz.kinds import is_aws_term

    assert is_aws_term(option, context) is term


def test_a_line_opening_with_one_kind_of_a_family_asks_which_kind_it_describes():
    from bot.models import Section
    from bot.quiz.choices import family_cards

    pricing = Section("950", "Notes", ("EC2", "Pricing"), (
        "* Spot instances take advantage of spare EC2 capacity at a steep discount.",
        "* Reserved instances ensure exclusive use of an instance on 1 or 3 year terms.",
        "* Spot pricing is a good idea.",  # no verb of description after the kind
    ), 1)
    cards = family_cards(pricing)
    assert [c.answer for c in cards] == ["Spot Instances", "Reserved Instances"]
    assert cards[0].prompt.endswith("which EC2 purchasing option fits “____ take advantage of spare EC2 capacity at a "
                                    "steep discount.”?")
    assert len(set(cards[0].choices)) == 4 and "Spot Instances" in cards[0].choices


def test_a_family_kind_said_with_a_colon_is_asked_only_where_its_family_is_the_topic():
    from bot.models import Section
    from bot.quiz.choices import family_cards

    styles = Section("951", "Notes", ("Redshift", "Distribution Styles"), (
        "* KEY: rows are placed by the values of one column, so matching values share a node slice.",
        "* Key Points: the leader node plans every query and hands work to the slices.",  # not the capital KEY
        "* DISTSTYLE EVEN - rows are spread across the slices round-robin, whatever their values.",
    ), 1)
    cards = family_cards(styles)
    assert [c.answer for c in cards] == ["KEY", "EVEN"]
    assert cards[0].prompt.endswith("which Redshift distribution style is “rows are placed by the values of one "
                                    "column, so matching values share a node slice”?")
    assert set(cards[1].choices) == {"KEY", "EVEN", "ALL", "AUTO"} and cards[1].accepted == ("DISTSTYLE EVEN",)
    projections = Section("951", "Notes", ("DynamoDB", "Projections"), (
        "* ALL: every attribute of the base table is projected into the secondary index.",), 1)
    assert family_cards(projections) == []  # "ALL" is a distribution style only where distribution is the topic


def test_the_family_named_in_the_question_gives_no_option_away_but_the_description_still_can():
    from bot.models import Section
    from bot.quiz.choices import family_cards
    from bot.quiz.deck import problem

    encryption = Section("952", "Notes", ("Security in Amazon S3", "Encryption"), (
        "* SSE-S3: AES-256 keys that AWS creates, rotates and looks after for every object.",
        "* SSE-KMS: keys held in AWS Key Management Service (KMS), with an audit trail of their use.",
    ), 1)
    s3_keys, kms_keys = family_cards(encryption)
    assert "S3" in s3_keys.prompt and problem(s3_keys) is None  # "S3" is every option's subject here
    assert problem(kms_keys) == "answer given away by a word of the prompt"
