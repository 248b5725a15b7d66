"""Retrieval and refusal rules one at a time (issue 15): a passage only BM25 finds reaches the top k, fusion orders
a constructed case as computed by hand, and each refusal rule fires alone and not on a paraphrase."""

import pytest
from conftest import TINY, tiny_docs, write_corpus

from bot.answer.extractive import ExtractiveAnswerer, missing_names, unknown_features, unknown_services
from bot.answer.studybot import build_bot
from bot.ingest.index import ingest
from bot.models import Chunk, Hit
from bot.search.retrieve import Ranked, reciprocal_rank_fusion
from bot.settings import Settings
from bot.text import terms

# Three SQS passages the model ranks above anything else for an SQS question, and one that only shares a made-up
# name with it: with fetch_k=1 and k=3 the dense search never reaches it.
QUEUES = ("# Queues\n\n## SQS limits\n\n- An SQS message holds up to 256 KB of text.\n\n## SQS sizes\n\n"
          "- Bigger SQS payloads go to S3 with the extended client.\n\n## SQS batches\n\n"
          "- A batch of SQS messages is at most 256 KB in total.\n\n## Billing\n\n"
          "- Quokkabridge copies invoices every night at two.\n")


@pytest.fixture(scope="module")
def searcher(tmp_path_factory):
    folder = tmp_path_factory.mktemp("rules")
    corpus = write_corpus(folder / "corpus", tiny_docs() | {"104": ("queues2.md", "markdown", QUEUES)})
    settings = Settings.from_env({}, corpus_dir=corpus, index_dir=folder / "index", fetch_k=1, **TINY)
    ingest(settings, progress=False)
    return build_bot(settings).searcher


def test_a_passage_only_bm25_finds_reaches_the_top_k(searcher):
    hits = searcher.search("quokkabridge sqs payload", 3)
    found = [h for h in hits if "Quokkabridge" in h.chunk.text]
    assert found, [h.chunk.text[:40] for h in hits]
    assert found[0].dense_rank is None and found[0].lexical_rank is not None  # BM25's candidate, not the model's
    assert [h.chunk.text[:20] for h in searcher.search("When does Quokkabridge run?", 1)] == ["- Quokkabridge copie"]


def test_rrf_orders_a_constructed_case_as_computed_by_hand():
    dense = [Ranked("a", 1), Ranked("b", 2), Ranked("c", 3)]
    lexical = [Ranked("c", 1), Ranked("a", 2)]
    fused = dict(reciprocal_rank_fusion([(dense, 1.0), (lexical, 2.0)], 10))
    assert fused["a"] == pytest.approx(1 / 11 + 2 / 12)  # 0.2576
    assert fused["c"] == pytest.approx(1 / 13 + 2 / 11)  # 0.2587: the lexical weight lifts c above a
    assert fused["b"] == pytest.approx(1 / 12)
    assert [cid for cid, _ in reciprocal_rank_fusion([(dense, 1.0), (lexical, 2.0)], 10)] == ["c", "a", "b"]
    assert [cid for cid, _ in reciprocal_rank_fusion([(dense, 1.0), (lexical, 0.0)], 10)] == ["a", "b", "c"]
    tie = reciprocal_rank_fusion([([Ranked("b", 1)], 1.0), ([Ranked("a", 1)], 1.0)], 10)
    assert [cid for cid, _ in tie] == ["a", "b"]  # equal scores: by chunk id, whichever list came first


def test_score_fusion_ranks_the_passage_covering_the_question_first(searcher):
    """Same cosine for two candidates: the one holding the question's rarest term comes first."""
    from bot.search.query import query_weights

    question = "quokkabridge invoices"
    vector = searcher.embed_query(question)
    target = next(c.id for c in searcher.chunks if "Quokkabridge" in c.text)
    other = next(c.id for c in searcher.chunks if "extended client" in c.text)
    dense = [Ranked(other, 1, 0.5), Ranked(target, 2, 0.5)]
    fused = searcher.score_fusion(query_weights(searcher.bm25.idf, question), searcher.bm25.scores(question),
                                  vector, dense, [])
    assert [cid for cid, _, _ in fused] == [target, other]


def test_score_fusion_adds_the_weighted_parts_and_takes_off_the_penalty_for_a_missing_name(searcher):
    """By hand, weights 1 / 0.5 / 1 / 0.25, penalty 0.15: cosine + lexical × bm25 / the best bm25 (0.5 here, below
    1) + coverage of the passage + title × coverage of the section path, minus the penalty when the passage never
    names a name the question asks about (a name only the turns bring, at CONTEXT_WEIGHT, does not count)."""
    from dataclasses import replace

    import numpy as np

    from bot.search.query import CONTEXT_WEIGHT
    from bot.text import stem

    settings = replace(searcher.settings, dense_weight=1.0, lexical_weight=0.5, coverage_weight=1.0,
                       title_weight=0.25, name_miss_penalty=0.15)
    fusing = rebuilt(searcher, settings)
    fusing.name_terms = frozenset({stem("kinesis")})
    shards = next(c.id for c in fusing.chunks if c.text.startswith("Kinesis Shards"))  # path: Kinesis Shards
    parquet = next(c.id for c in fusing.chunks if c.text.startswith("Parquet"))
    bm25 = np.zeros(len(fusing.chunks))
    bm25[fusing.position[shards]], bm25[fusing.position[parquet]] = 0.25, 0.5
    dense = [Ranked(shards, 1, 0.4), Ranked(parquet, 2, 0.3)]
    kinesis, columnar = stem("kinesis"), stem("columnar")

    asked = scores_of(fusing.score_fusion({kinesis: 2.0, columnar: 2.0}, bm25, None, dense, []))
    assert asked[shards] == pytest.approx(0.4 + 0.5 * 0.25 / 0.5 + 0.5 + 0.25 * 0.5)
    assert asked[parquet] == pytest.approx(0.3 + 0.5 * 1.0 + 0.5 - 0.15)
    assert 0.5 < 2.0 * CONTEXT_WEIGHT
    only_the_turns = scores_of(fusing.score_fusion({columnar: 2.0, kinesis: 0.5}, bm25, None, dense, []))
    assert only_the_turns[parquet] == pytest.approx(0.3 + 0.5 + 2 / 2.5)  # kinesis below the floor: no penalty
    at_the_floor = scores_of(fusing.score_fusion({columnar: 2.0, kinesis: 2.0 * CONTEXT_WEIGHT}, bm25, None, dense, []))
    assert at_the_floor[parquet] == pytest.approx(0.3 + 0.5 + 2 / (2 + 2 * CONTEXT_WEIGHT) - 0.15)
    fusing.name_terms = frozenset({stem("s3")})
    athena = next(c.id for c in fusing.chunks if c.text.startswith("Athena queries S3"))  # in 2. Storage › 2.3 Athena
    in_the_text = scores_of(fusing.score_fusion({stem("s3"): 1.0}, bm25, None, [Ranked(athena, 1, 0.2)], []))
    assert in_the_text[athena] == pytest.approx(0.2 + 1.0)  # named in the text alone: no penalty
    nothing_asked = [(cid, score) for cid, score, _ in fusing.score_fusion({}, bm25, None, dense, [])]  # stopwords only
    assert nothing_asked == [(parquet, pytest.approx(0.3 + 0.5)), (shards, pytest.approx(0.4 + 0.25))]
    arrival = [Ranked(parquet, 1, 0.3), Ranked(shards, 2, 0.3)]
    tie = fusing.score_fusion({}, np.zeros(len(fusing.chunks)), None, arrival, [])
    assert [chunk_id for chunk_id, _, _ in tie] == sorted([parquet, shards])  # equal scores: by id, not by arrival


def test_a_follow_up_finds_the_passage_of_the_earlier_turns_subject(searcher):
    """"How long are they kept?" after a turn on Kinesis: the turns' terms weigh in the fusion too (at
    CONTEXT_WEIGHT), not only in the joined text the model embeds."""
    hits = searcher.search("How long are they kept?", 3, None, "Kinesis Data Streams")
    assert hits[0].chunk.section_path[-1] == "1.1 Kinesis Data Stream"  # "Retention can be between 1-365 days."


def test_a_hits_similarity_is_the_cosine_of_the_question_alone_when_there_are_no_turns(searcher):
    question = "What is the max message size in SQS?"
    vector = searcher.embed_query(question)
    hits = searcher.search(question, 4)
    assert [h.similarity for h in hits] == pytest.approx([searcher.similarity(vector, h.chunk.id) for h in hits],
                                                         abs=1e-6)


def hit(text: str, similarity: float) -> Hit:
    chunk = Chunk("c1", "1", "Doc", ("Messaging", "Amazon SQS"), text, 0, 1)
    return Hit(chunk, similarity, similarity, 1, 1)


SQS_LINE = "Amazon SQS: the max message size is 256 KB."


@pytest.fixture
def answerer():
    idf = dict.fromkeys(terms(f"{SQS_LINE} how big can message be sns fans out subscribers"), 1.0)
    return ExtractiveAnswerer(idf, Settings.from_env({}, lines="weights"), mentions=lambda phrase: True,
                              is_name=lambda word: False)


def test_the_similarity_rule_alone(answerer):
    question = "What is the max message size in SQS?"
    assert answerer.should_refuse(question, [hit(SQS_LINE, 0.2)])  # every word covered, but nothing close
    assert not answerer.should_refuse(question, [hit(SQS_LINE, 0.7)])
    assert not answerer.should_refuse("How big can an SQS message be?", [hit(SQS_LINE, 0.6)])  # a paraphrase


def test_the_coverage_rule_alone(answerer):
    question = "What is the max message size in SQS?"
    assert answerer.should_refuse(question, [hit("SNS fans out to many subscribers.", 0.9)])  # close, says nothing
    assert not answerer.should_refuse(question, [hit(SQS_LINE, 0.9)])
    assert answerer.should_refuse(question, [])


def test_the_missing_name_rule_alone():
    passages = [frozenset(terms("S3 storage classes and lifecycle rules keep costs down."))]
    assert missing_names("What does S3 Storage Lens report?", passages) == ["len"]
    assert missing_names("What does the S3 storage report show?", passages) == []  # no name: no rule
    assert missing_names("Analysts ask: what do S3 storage classes cost?", passages) == []  # a capitalised first word


def test_the_unknown_service_rule_alone():
    assert unknown_services("Is Amazon Keyspaces serverless?", lambda name: False) == ["Keyspaces"]
    assert unknown_services("Is Amazon Keyspaces serverless?", lambda name: True) == []  # the notes mention it
    assert unknown_services("is a keyspace in cassandra serverless?", lambda name: False) == []  # not the name


def test_the_unknown_feature_rule_alone():
    said = {"glue", "schema"}
    mentions = lambda phrase: set(phrase.lower().split()) <= said  # noqa: E731
    is_name = lambda word: word.lower() == "glue"  # noqa: E731
    assert unknown_features("Does the Glue Schema Registry check Avro?", mentions, is_name) == ["Glue Schema Registry"]
    assert not unknown_features("Does Glue check schemas?", mentions, is_name)


def test_the_in_memory_search_ranks_by_dot_product_within_a_document(searcher):
    """What answers while Chroma is down: the loaded (normalised) vectors, best first, one document if asked."""
    import numpy as np

    vector = searcher.embed_query("SQS message size")
    expected = np.argsort(-(searcher.vectors @ np.asarray(vector, dtype=np.float32)), kind="stable")
    found = searcher.dense_in_memory(vector, 3)
    assert [r.chunk_id for r in found] == [searcher.chunks[i].id for i in expected[:3]]
    assert [r.rank for r in found] == [1, 2, 3]
    assert found[0].similarity == pytest.approx(float(searcher.vectors[expected[0]] @ np.asarray(vector)))
    assert found[0].similarity >= found[1].similarity >= found[2].similarity
    in_slides = searcher.dense_in_memory(vector, 2, doc_id="101")
    assert len(in_slides) == 2 and all(searcher.by_id[r.chunk_id].doc_id == "101" for r in in_slides)
    assert searcher.dense_in_memory(vector, 3, doc_id="no-such-doc") == []


def test_the_in_memory_search_keeps_the_notes_order_between_equal_scores(searcher):
    """Ties (duplicated passages score the same) rank in the notes' order, so answers do not change run to run."""
    import copy
    from dataclasses import replace

    import numpy as np

    many = copy.copy(searcher)
    many.chunks = [replace(searcher.chunks[i % len(searcher.chunks)], id=f"c{i:04d}") for i in range(1500)]
    many.vectors = np.zeros((1500, 384), dtype=np.float32)
    many.vectors[:, 0] = [(i % 5) / 5 for i in range(1500)]  # five scores, each shared by 300 passages
    query = np.zeros(384, dtype=np.float32)
    query[0] = 1.0
    found = many.dense_in_memory(query, 1500)
    expected = [f"c{i:04d}" for score in (4, 3, 2, 1, 0) for i in range(1500) if i % 5 == score]
    assert [r.chunk_id for r in found] == expected


def test_names_are_words_the_notes_capitalise_or_acronyms_they_use(searcher):
    assert searcher.is_name("SQS")  # an acronym the notes use
    assert searcher.is_name("S3") and "s3" not in searcher.speller.names  # two characters are enough
    written_as_name = next(n for n in sorted(searcher.speller.names) if n.isalpha() and len(n) > 3)
    assert searcher.is_name(written_as_name.capitalize())  # a word the notes capitalise mid-sentence
    assert not searcher.is_name("XQZ")  # an acronym they never use
    assert not searcher.is_name("message")  # a plain word
    assert searcher.mentions("sqs message") and not searcher.mentions("message sqs") and not searcher.mentions("")


def test_the_retriever_returns_documents_with_their_place_and_scores(searcher):
    from bot.search.retrieve import HybridRetriever

    documents = HybridRetriever(searcher=searcher, k=2).invoke("What is the max message size in SQS?")
    hits = searcher.search("What is the max message size in SQS?", 2)
    assert [d.id for d in documents] == [h.chunk.id for h in hits]
    first, hit0 = documents[0], hits[0]
    assert first.page_content == hit0.chunk.text
    assert first.metadata == {"doc_id": hit0.chunk.doc_id, "doc_title": hit0.chunk.doc_title,
                              "section": hit0.chunk.section, "position": hit0.chunk.position,
                              "score": hit0.score, "similarity": hit0.similarity}
    only = HybridRetriever(searcher=searcher, k=1, doc_id="101").invoke("What is the max message size in SQS?")
    assert len(only) == 1 and only[0].metadata["doc_id"] == "101"


def knows(*phrases):
    """A `mentions` over notes that say exactly these phrases (any case)."""
    said = {p.lower() for p in phrases}
    return lambda phrase: phrase.lower() in said


NO_NAMES = knows()


@pytest.mark.parametrize(("question", "said", "names", "found"), [
    ("What is Quokka Relay?", (), (), ["Quokka Relay"]),  # two capitalised words the notes never say
    ("What is Quokka Relay?", ("quokka relay",), (), []),
    ("Is Quokka Relay fast?", ("quokka relay",), (), []),  # "Is" starts the sentence: not part of the name
    ("What are Quokka Relays?", ("quokka relay",), (), []),  # a plural of what the notes say
    ("What is Quokka RelayX?", ("quokka relay",), (), ["Quokka RelayX"]),  # only a plural "s" is dropped
    ("What is Quokka Relay?", ("quokka", "relay"), (), []),  # a name the notes use + a word they use
    ("What is Quokka Relay Nest?", ("quokka relay", "nest"), (), []),
    ("What is Quokka Relay Nest?", ("quokka", "relay nest"), (), []),
    ("Explain Quokka Relay.", (), (), ["Explain Quokka Relay"]),
    ("Is Quokka DB fast?", (), (), ["Is Quokka DB"]),  # two letters are a word of a name
    ("Can Account B read it?", (), (), []),  # one letter is a label
    ("Is it in AWS Quokka?", (), (), []),  # the vendor is no part of the feature
    ("Does Glue Quokka exist?", ("quokka",), ("Glue",), []),  # the leading service dropped, the rest is said
    ("Does Glue Quokka Relay exist?", ("quokka relay",), ("Glue",), []),
])
def test_the_unknown_feature_rule_case_by_case(question, said, names, found):
    assert unknown_features(question, knows(*said), lambda word: word in names) == found


def test_a_service_name_opening_the_question_counts_only_when_it_has_several_words():
    assert unknown_services("Athena queries?", NO_NAMES) == []  # capitalised anyway as the first word
    assert unknown_services("Does Athena query?", NO_NAMES) == ["Athena"]
    assert unknown_services("Step Functions retries?", NO_NAMES) == ["Step Functions"]
    assert unknown_services("Route 53 failover?", NO_NAMES) == ["Route 53"]
    assert "FSx" in unknown_services("FSx for Lustre?", NO_NAMES)  # written as a name, not as a word


def test_the_rows_a_phrase_can_be_in_hold_every_term(searcher):
    wanted = set(terms("sqs message"))
    rows = searcher._rows_with(list(wanted))
    assert rows == [r for r, c in enumerate(searcher.chunks) if wanted <= set(terms(c.embedding_text()))] != []
    assert list(searcher._rows_with([])) == list(range(len(searcher.chunks)))
    assert searcher._rows_with(["nosuchterm"]) == []
    assert searcher._rows_with(["sqs", "nosuchterm", "messag"]) == []  # one unknown term among known ones
    assert searcher.mentions("Quokkabridge copies invoices") and not searcher.mentions("copies Quokkabridge")


def test_ask_times_each_step_and_passes_k_and_the_question_context(searcher):
    from bot.answer.studybot import StudyBot
    from bot.models import Answer

    class Recording:
        questions: list[str] = []

        def answer(self, question, hits):
            self.questions.append(question)
            return Answer(question, "recorded", hits=tuple(hits))

    bot = StudyBot(rebuilt(searcher), Recording())
    answer = bot.ask("What is the max message size in SQS?", k=2)
    assert len(answer.hits) == 2
    t = answer.timings_ms
    assert 0 < t["retrieve"] < 60_000 and 0 <= t["answer"] < 60_000
    assert t["total"] == pytest.approx(t["retrieve"] + t["answer"], rel=1e-9)
    cheaper = "Is SQS cheaper than SNS?"  # an everyday word: the notes' own word for it joins as context
    bot.ask(cheaper)
    context = bot.context_for(cheaper)
    assert context and Recording.questions[-1] == f"{cheaper} ({context})"


QUESTION = "What is the max message size in SQS?"


@pytest.mark.parametrize(("question", "turns"), [(QUESTION, ""), ("Which storage class is cheapest?", "Amazon SQS"),
                                               ("What are the S3 storage classes?", "Kinesis Data Streams")])
def test_retrieve_reranks_the_candidates_by_their_best_answer_line(searcher, question, turns):
    """score + line_weight × the best line's score (the earlier turns counting), over max(k, rerank_k) candidates;
    line_weight 0 keeps the search's own order."""
    from dataclasses import replace

    from bot.answer.studybot import StudyBot
    from bot.search.query import intent_of

    bot = StudyBot(searcher)
    s = bot.settings
    context = bot.context_for(question, turns)
    candidates = searcher.search(question, max(3, s.rerank_k), None, context)
    lines = bot.answerer.chooser.best_unit_scores(question, intent_of(question), candidates, context)
    by_hand = sorted(((h.score + s.line_weight * line, h.chunk.id) for h, line in zip(candidates, lines, strict=True)),
                     key=lambda pair: -pair[0])[:3]
    reranked = [(h.score, h.chunk.id) for h in bot.retrieve(question, k=3, context=turns)]
    assert reranked == [(pytest.approx(score), chunk_id) for score, chunk_id in by_hand]
    plain = StudyBot(searcher, settings=replace(s, line_weight=0)).retrieve(question, k=3, context=turns)
    assert [h.chunk.id for h in plain] == [h.chunk.id for h in candidates[:3]]
    if turns:  # cases where the lines move the passages, and the turns move the lines
        assert [chunk_id for _, chunk_id in reranked] != [h.chunk.id for h in plain]
        without_turns = bot.answerer.chooser.best_unit_scores(question, intent_of(question), candidates)
        assert without_turns != lines


def test_spelling_expansions_and_an_unknown_document_follow_the_settings(searcher):
    from dataclasses import replace

    from bot.answer.studybot import StudyBot
    from bot.search.question import QuestionError

    bot = StudyBot(searcher)
    off = StudyBot(searcher, settings=replace(bot.settings, spelling=False, expansions=False))
    assert bot.spelled("What is Athenna?") == "What is athena?"  # a name of the notes, misspelled
    assert off.spelled("What is Athenna?") == "What is Athenna?"
    extra = bot.context_for("Is SQS cheaper than SNS?")
    assert extra and off.context_for("Is SQS cheaper than SNS?") == ""
    assert bot.context_for("Is SQS cheaper than SNS?", "earlier turn") == f"earlier turn {extra}"
    assert off.context_for("Is SQS cheaper than SNS?", "earlier turn") == "earlier turn"
    known = ", ".join(sorted(bot.doc_ids))
    with pytest.raises(QuestionError, match=rf"^unknown document 'nope' in the index; known: {known}$"):
        bot.retrieve(QUESTION, doc_id="nope")


@pytest.mark.parametrize(("typed", "message"), [
    ("  ", "Please type a question about the study material."),
    ("?!", "Please ask with a few words about an AWS topic, e.g. 'What is Kinesis shard throughput?'"),
    ("x" * 11, "That question is 11 characters long; please keep it under 10."),
])
def test_unusable_questions_get_their_exact_message(typed, message):
    from bot.search.question import QuestionError, clean_question

    with pytest.raises(QuestionError) as raised:
        clean_question(typed, 10)
    assert str(raised.value) == message
    assert clean_question("x" * 10, 10) == "x" * 10


def rebuilt(searcher, settings=None, **store_changes):
    """A searcher built inside the test from the fixture's store (changed as given): what its constructor derives
    is then this test's work (mutmut maps a test to the functions it calls; a module fixture's setup counts for one
    test only)."""
    from dataclasses import replace

    from bot.search.retrieve import HybridSearcher

    return HybridSearcher(replace(searcher.store, **store_changes), settings or searcher.settings,
                          searcher.embed_query)


def test_each_section_starts_at_its_first_passage_and_the_vocabulary_is_every_word_of_the_notes(searcher):
    searcher = rebuilt(searcher)
    sections = {(c.doc_id, c.section_path) for c in searcher.chunks}
    starts = [c for c in searcher.chunks if searcher.starts_section(c)]
    assert len(starts) == len(sections) > 3
    for start in starts:
        same = [c.position for c in searcher.chunks if (c.doc_id, c.section_path) == (start.doc_id, start.section_path)]
        assert start.position == min(same)
    assert searcher.vocabulary == frozenset(searcher.bm25.idf) | searcher.speller.known
    assert searcher.speller.known - frozenset(searcher.bm25.idf)  # words only the speller keeps count too


def test_name_terms_are_names_in_some_passages_but_not_in_most():
    """A name in more than NAME_MAX_SHARE of the passages (Data, AWS) tells nothing; one in no passage neither.
    With 20 passages at 5%, a name may be in one passage."""
    from types import SimpleNamespace

    from bot.search.retrieve import NAME_MAX_SHARE, HybridSearcher
    from bot.text import stem

    assert 20 * NAME_MAX_SHARE == 1.0
    frequency = {stem("kinesis"): 1, stem("athena"): 2}
    fake = SimpleNamespace(chunks=[None] * 20, speller=SimpleNamespace(names={"kinesis", "athena", "glue"}),
                           bm25=SimpleNamespace(postings=SimpleNamespace(document_frequency=lambda: frequency)))
    assert HybridSearcher._name_terms(fake) == {stem("kinesis")}


def test_all_name_terms_are_the_names_and_the_acronyms(searcher):
    from bot.text import stem

    searcher = rebuilt(searcher)
    names = {stem(n) for n in searcher.speller.names}
    assert searcher.all_name_terms == frozenset(names) | searcher.store.lexicon.acronyms
    assert searcher.store.lexicon.acronyms - frozenset(names)  # acronyms the speller does not list as names


def test_a_rebuilt_searcher_embeds_sentences_with_the_stores_model(searcher):
    import numpy as np

    searcher = rebuilt(searcher)
    assert not searcher.chroma_failing
    sentence = "SQS keeps messages for four days."
    assert np.allclose(searcher.embed_documents([sentence])[0], searcher.embed_query(sentence), atol=1e-5)


def test_a_new_searcher_is_not_in_an_outage(searcher, caplog):

    fresh = rebuilt(searcher)
    with caplog.at_level("WARNING"):
        fresh.search(QUESTION, 2)
    assert "Chroma" not in caplog.text  # neither "search failed" nor "answers again"


class FlakyVectorstore:
    """The real Chroma vectorstore, except that its search raises while `down` (a server gone, a dropped
    collection)."""

    def __init__(self, real):
        self.real, self.down, self.filters = real, False, []

    def __getattr__(self, name):
        return getattr(self.real, name)

    def similarity_search_by_vector_with_relevance_scores(self, vector, k, filter=None):
        self.filters.append(filter)
        if self.down:
            raise ConnectionError("server gone")
        return self.real.similarity_search_by_vector_with_relevance_scores(vector, k=k, filter=filter)


def test_a_chroma_outage_falls_back_to_the_loaded_vectors_and_recovers(searcher, caplog):
    """Chroma fails: the same passages come from memory, one warning per outage; it answers again: back to it."""
    flaky = FlakyVectorstore(searcher.store.vectorstore)
    fresh = rebuilt(searcher, vectorstore=flaky)
    vector = searcher.embed_query("SQS message size")
    from_chroma = fresh.dense("SQS message size", 3, vector=vector)
    assert [r.rank for r in from_chroma] == [1, 2, 3] and flaky.filters == [None]
    assert from_chroma[0].similarity == pytest.approx(searcher.dense_in_memory(vector, 1)[0].similarity, abs=1e-4)

    flaky.down = True
    with caplog.at_level("WARNING"):
        during = fresh.dense("SQS message size", 3, vector=vector)
        assert caplog.text.count("Chroma search failed") == 1  # at the first failure
        in_slides = fresh.dense("SQS message size", 2, doc_id="101", vector=vector)
    assert fresh.chroma_failing
    assert during == searcher.dense_in_memory(vector, 3)
    assert [r.chunk_id for r in during] == [r.chunk_id for r in from_chroma]
    assert in_slides == searcher.dense_in_memory(vector, 2, doc_id="101") and flaky.filters[-1] == {"doc_id": "101"}
    assert caplog.messages == [
        "Chroma search failed (ConnectionError: server gone); searching the vectors loaded at start"]
    assert "answers again" not in caplog.text

    flaky.down = False
    caplog.clear()
    with caplog.at_level("WARNING"):
        after = fresh.dense("SQS message size", 3, vector=vector)
        fresh.dense("SQS message size", 3, vector=vector)
    assert after == from_chroma and not fresh.chroma_failing
    assert caplog.messages.count("Chroma answers again") == 1 and "failed" not in caplog.text
    assert fresh.dense("SQS message size", 3) == from_chroma  # embeds the query itself when no vector is given


def test_build_bot_uses_the_answerer_it_is_given(searcher):
    class Marker:
        pass

    marker = Marker()
    bot = build_bot(searcher.settings, answerer=marker)
    assert bot.answerer is marker and bot.settings is searcher.settings
    assert isinstance(build_bot(searcher.settings).answerer, ExtractiveAnswerer)


def test_answer_with_passes_the_context_apart_or_spelled_out_by_the_kind_of_answerer():
    """The extractive answerer and the LLM answerer (it has `stream`) weigh the context themselves; any other
    answerer reads it in brackets after the question; no context, nothing added."""
    from bot.answer.extractive import answer_with

    calls = []

    class Extractive(ExtractiveAnswerer):
        def __init__(self):
            pass

        def answer(self, question, hits, context=""):
            calls.append(("extractive", question, context))

    class Streaming:
        def stream(self):
            pass

        def answer(self, question, hits, context=""):
            calls.append(("streaming", question, context))

    class Plain:
        def answer(self, question, hits):
            calls.append(("plain", question))

    for answerer in (Extractive(), Streaming(), Plain()):
        answer_with(answerer, "How long?", [], "SQS retention")
        answer_with(answerer, "How long?", [])
    assert calls == [("extractive", "How long?", "SQS retention"), ("extractive", "How long?", ""),
                     ("streaming", "How long?", "SQS retention"), ("streaming", "How long?", ""),
                     ("plain", "How long? (SQS retention)"), ("plain", "How long?")]


def test_terminal_escapes_vanish_and_control_characters_become_spaces():
    from bot.search.question import _printable

    assert _printable("\x1b[31mred\x1b[0m text") == "red text"
    assert _printable("a\x07b\u200bc") == "a b c"
    assert _printable("ｆｕｌｌ width") == "full width"


def test_the_searcher_uses_the_stored_lexicon_and_builds_one_when_the_store_has_none(searcher):

    from bot.ingest.lexicon import Lexicon

    without = rebuilt(searcher, lexicon=None)
    assert without.bm25.idf == searcher.bm25.idf and without.vocabulary == searcher.vocabulary
    first_only = Lexicon.of_chunks(searcher.chunks[:1])  # a stored lexicon is read, not rebuilt from the passages
    stored = rebuilt(searcher, lexicon=first_only)
    assert stored.bm25.idf.keys() < searcher.bm25.idf.keys()  # only the first passage's terms


class RecordingSearcher:
    """The searcher, recording each search's arguments."""

    def __init__(self, searcher):
        self.searcher, self.calls = searcher, []

    def __getattr__(self, name):
        return getattr(self.searcher, name)

    def search(self, *args):
        self.calls.append(args)
        return self.searcher.search(*args)


def test_retrieve_searches_max_k_rerank_k_candidates_with_the_turns_and_the_expansions(searcher):
    from dataclasses import replace

    from bot.answer.studybot import StudyBot

    recording = RecordingSearcher(searcher)
    bot = StudyBot(recording, settings=replace(searcher.settings, line_weight=0.0, rerank_k=7))
    question = "Is SQS cheaper than SNS?"
    expansions = bot.context_for(question)
    assert expansions  # "cheaper" brings the notes' own word
    assert len(bot.retrieve(question, k=2, context="earlier turn")) == 2
    assert len(bot.retrieve(question, k=9)) == 9
    assert recording.calls == [(question, 7, None, f"earlier turn {expansions}"), (question, 9, None, expansions)]


@pytest.mark.parametrize("weight", [0.3, 1.0])
def test_the_llm_answerers_fallback_reranks_like_the_extractive_answerer(searcher, weight):
    """An answerer without a chooser of its own (the LLM answerer) re-ranks with its fallback's."""
    from dataclasses import replace

    from bot.answer.studybot import StudyBot

    settings = replace(searcher.settings, line_weight=weight)
    extractive = StudyBot(searcher, settings=settings)

    class WithFallback:
        fallback = extractive.answerer

    reranked = [(h.chunk.id, h.score) for h in extractive.retrieve(QUESTION, k=3)]
    assert [(h.chunk.id, h.score) for h in StudyBot(searcher, WithFallback(), settings).retrieve(QUESTION, k=3)] == \
        reranked
    plain = [(h.chunk.id, h.score) for h in searcher.search(QUESTION, settings.rerank_k, None,
                                                             extractive.context_for(QUESTION))[:3]]
    assert reranked != plain  # the line scores moved them


S3_PASSAGES = [frozenset(terms("S3 storage classes and lifecycle rules keep costs down. Kinesi stream"))]


@pytest.mark.parametrize(("question", "missing"), [
    ("IPv6 addresses in S3?", ["ipv6"]),  # a first word written like a name counts
    ("Athena Quokka limits?", ["quokka"]),  # a first word written like a word does not, the next one does
    ("Does S3 Storage Lens work with Quokka?", ["len", "quokka"]),  # every name of the question
    ("Is the S3 bucket in Zed?", ["zed"]),  # three letters are a word of a name
    ("Is S3 on Zed DB?", ["zed"]),  # two are not
    ("Does S3 feed Kinesis?", []),  # "kinesi" in the notes: a name with its plural "s" dropped is found
])
def test_missing_names_case_by_case(question, missing):
    assert missing_names(question, S3_PASSAGES) == missing


def quiet_rules(**changes):
    """Settings under which neither the similarity nor the coverage rule fires."""
    return Settings.from_env({}, min_similarity=0.0, min_coverage=0.0, lines="weights", **changes)


def test_each_name_rule_alone_makes_the_answerer_refuse():
    idf = dict.fromkeys(terms(f"{SQS_LINE} keyspaces quokka relay batch"), 1.0)
    passage = [hit(f"{SQS_LINE} Unlike Keyspaces, Quokka Relay batches.", 0.9)]

    def refuses(question, mentions=lambda phrase: True, is_name=lambda word: False):
        return ExtractiveAnswerer(idf, quiet_rules(), mentions=mentions, is_name=is_name).should_refuse(question,
                                                                                                       passage)

    assert not refuses("What is the max message size in SQS?")
    assert refuses("What is the max message size in SQS Zebrafish?")  # a name no passage has
    assert refuses("Is SQS like Keyspaces?", mentions=lambda phrase: "keyspaces" not in phrase.lower())
    assert not refuses("Is SQS like Keyspaces?")
    never_said = lambda phrase: not {"quokka", "relay"} & set(phrase.lower().split())  # noqa: E731
    assert refuses("Does SQS Quokka Relay batch?", mentions=never_said, is_name=lambda word: word == "SQS")
    assert not refuses("Does SQS Quokka Relay batch?", mentions=never_said, is_name=None)  # not checked


def test_the_thresholds_are_inclusive_and_the_turns_count_toward_coverage():
    from dataclasses import replace

    from bot.text import term_coverage

    idf = dict.fromkeys(terms(f"{SQS_LINE} how big can message be"), 1.0)
    answerer = ExtractiveAnswerer(idf, Settings.from_env({}, lines="weights"))
    at_floor = answerer.settings.min_similarity
    question = "What is the max message size in SQS?"
    assert not answerer.should_refuse(question, [hit(SQS_LINE, at_floor)])
    assert answerer.should_refuse(question, [hit(SQS_LINE, at_floor - 1e-6)])

    follow_up, turns = "How big can it be?", "max message size SQS"
    present = frozenset(terms(hit(SQS_LINE, 0.9).chunk.embedding_text()))
    with_turns = term_coverage(answerer.chooser.weights(follow_up, turns), present)
    assert with_turns > term_coverage(answerer.chooser.weights(follow_up, ""), present)
    exact = ExtractiveAnswerer(idf, replace(answerer.settings, min_coverage=with_turns))
    assert not exact.should_refuse(follow_up, [hit(SQS_LINE, 0.9)], turns)
    assert exact.should_refuse(follow_up, [hit(SQS_LINE, 0.9)])  # without the turns it covers less
    assert not exact.answer(follow_up, [hit(SQS_LINE, 0.9)], turns).refused


def test_a_refusal_keeps_the_question_the_passages_and_the_answerers_name():
    class Named(ExtractiveAnswerer):
        name = "named"

    answerer = Named(dict.fromkeys(terms(SQS_LINE), 1.0), Settings.from_env({}))
    hits = [hit("SNS fans out to many subscribers.", 0.1)]
    refusal = answerer.answer("What is the max message size in SQS?", hits)
    assert refusal.refused and refusal.question == "What is the max message size in SQS?"
    assert refusal.answerer == "named" and refusal.hits == tuple(hits)
    answer = answerer.answer("What is the max message size in SQS?", [hit(SQS_LINE, 0.9)])
    assert not answer.refused and answer.question == "What is the max message size in SQS?"


def test_the_default_answerer_uses_the_searchers_rules(searcher):
    from bot.answer.studybot import StudyBot

    answerer = StudyBot(searcher).answerer
    assert answerer.mentions == searcher.mentions and answerer.is_name == searcher.is_name
    assert answerer.chooser.is_section_start == searcher.starts_section
    assert answerer.chooser.name_terms is searcher.all_name_terms and answerer.idf is searcher.bm25.idf


def test_bm25_scores_a_tiny_corpus_as_computed_by_hand():
    """Three passages of 3, 2 and 1 terms (average 2); k1 1.2, b 0.75."""
    import math

    from bot.search.retrieve import BM25

    bm25 = BM25(["kinesis shard shard", "kinesis glue", "athena"])
    assert bm25.idf["kinesis"] == pytest.approx(math.log(1 + 1.5 / 2.5))  # in 2 of 3 passages
    assert bm25.idf["shard"] == pytest.approx(math.log(1 + 2.5 / 1.5))  # in 1
    assert bm25.norm.tolist() == pytest.approx([1.2 * (0.25 + 0.75 * 3 / 2), 1.2, 1.2 * (0.25 + 0.75 / 2)])
    shard = bm25.idf["shard"] * 2 * 2.2 / (2 + 1.65)
    kinesis = [bm25.idf["kinesis"] * 2.2 / (1 + 1.65), bm25.idf["kinesis"] * 2.2 / (1 + 1.2)]
    assert bm25.scores("shard kinesis").tolist() == pytest.approx([shard + kinesis[0], kinesis[1], 0.0])
    assert bm25.scores("nothing here").tolist() == [0.0, 0.0, 0.0]
    assert bm25.scores("redshift shard kinesis").tolist() == bm25.scores("shard kinesis").tolist()  # unknown first
    assert bm25.scores("shard kinesis shard").tolist() == bm25.scores("shard kinesis").tolist()  # each term once


def test_bm25_of_no_passages_scores_nothing_and_warns_nothing():
    import warnings

    from bot.search.retrieve import BM25

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # numpy warns on the mean of no lengths
        empty = BM25([])
    assert empty.scores("kinesis").tolist() == []
    assert empty.top(empty.scores("kinesis"), 3) == []


def test_bm25_top_keeps_ties_in_row_order_and_only_rows_with_a_query_term():
    import numpy as np

    from bot.search.retrieve import BM25

    top = BM25(["x"]).top
    scores = np.array([0.5, 2.0, 0.5, 0.0, 0.5])
    assert top(scores, 0) == []
    assert top(scores, 1) == [(1, 2.0)]
    assert top(scores, 2) == [(1, 2.0), (0, 0.5)]  # the tie at the cut goes to the earlier row
    assert top(scores, 3) == [(1, 2.0), (0, 0.5), (2, 0.5)]
    assert top(scores, 9) == [(1, 2.0), (0, 0.5), (2, 0.5), (4, 0.5)]  # never the row without a term
    allowed = np.array([True, False, True, True, True])
    assert top(scores, 9, allowed) == [(0, 0.5), (2, 0.5), (4, 0.5)]


def test_the_lexical_search_ranks_from_one_within_a_document(searcher):
    import numpy as np

    found = searcher.lexical("sqs message size", 3)
    assert [r.rank for r in found] == [1, 2, 3]
    assert found == searcher.lexical("sqs message size", 3, scores=searcher.bm25.scores("sqs message size"))
    chosen = np.zeros(len(searcher.chunks))
    chosen[[4, 2]] = [1.0, 3.0]
    assert [r.chunk_id for r in searcher.lexical("ignored", 3, scores=chosen)] == [searcher.chunks[i].id
                                                                                  for i in (2, 4)]
    in_doc = searcher.lexical("sqs message size", 3, doc_id="101")
    assert in_doc and all(searcher.by_id[r.chunk_id].doc_id == "101" for r in in_doc)
    assert searcher.lexical("sqs message size", 3, doc_id="no-such-doc") == []


def test_search_fuses_by_rrf_when_asked_and_reports_each_candidates_ranks(searcher):
    from dataclasses import replace


    question, turns = "What is the max message size in SQS?", "queues batches"
    hits = searcher.search(question, 4, context=turns)
    joined = f"{question} {turns}"
    vector = searcher.embed_query(joined)
    dense = {r.chunk_id: r.rank for r in searcher.dense(joined, max(searcher.settings.fetch_k, 4), None, vector)}
    lexical = {r.chunk_id: r.rank for r in searcher.lexical(joined, max(searcher.settings.fetch_k, 4))}
    assert [(h.dense_rank, h.lexical_rank) for h in hits] == [(dense.get(h.chunk.id), lexical.get(h.chunk.id))
                                                                for h in hits]
    assert any(h.dense_rank for h in hits) and any(h.lexical_rank for h in hits)
    assert [h.score for h in hits] != [h.score for h in searcher.search(question, 4)]  # the turns count

    rrf = rebuilt(searcher, replace(searcher.settings, fusion="rrf"))
    s = rrf.settings
    by_hand = reciprocal_rank_fusion(
        [(rrf.dense(question, max(s.fetch_k, 4)), s.dense_weight),
         (rrf.lexical(question, max(s.fetch_k, 4)), s.lexical_weight)], s.rrf_k)[:4]
    assert [(h.chunk.id, pytest.approx(h.score)) for h in rrf.search(question, 4)] == by_hand


def test_an_abbreviation_the_notes_use_is_not_spelled_out_in_the_context(searcher):
    from bot.answer.studybot import StudyBot

    assert "sqs" in searcher.vocabulary
    assert StudyBot(searcher).context_for("What is the SQS message size?") == ""  # not "Simple Queue Service"


def test_without_turns_nothing_is_added_to_the_question():
    """The default context is empty: coverage exactly at the floor passes, and a citation quotes nothing."""
    from dataclasses import replace

    from bot.answer.extractive import citation_for
    from bot.text import term_coverage

    idf = dict.fromkeys(terms(f"{SQS_LINE} how big can message be"), 1.0)
    answerer = ExtractiveAnswerer(idf, Settings.from_env({}, lines="weights"))
    question, passage = "How big can an SQS message be?", hit(SQS_LINE, 0.9)
    alone = term_coverage(answerer.chooser.weights(question, ""), frozenset(terms(passage.chunk.embedding_text())))
    exact = ExtractiveAnswerer(idf, replace(answerer.settings, min_coverage=alone))
    assert not exact.should_refuse(question, [passage]) and not exact.answer(question, [passage]).refused
    assert citation_for(passage, 1).quote == ""


def test_a_question_s_lines_are_scored_once_for_the_re_rank_and_the_answer(searcher, monkeypatch):
    """ask() re-ranks the candidates by their best line, then chooses the answer's lines from the top k: each line
    of each candidate is scored once, and a second question scores its own lines."""
    from bot.answer import extract
    from bot.answer.lines import passage_units
    from bot.answer.studybot import StudyBot

    scored = []
    real = extract.unit_score
    monkeypatch.setattr(extract, "unit_score", lambda text, *rest: scored.append(text) or real(text, *rest))
    bot = StudyBot(searcher)
    query = bot.spelled(QUESTION)
    candidates = searcher.search(query, max(bot.settings.k, bot.settings.rerank_k), None, bot.context_for(query))
    answer = bot.ask(QUESTION)
    assert not answer.refused and scored
    assert len(scored) == sum(len(passage_units(h.chunk.text)) for h in candidates)
    scored.clear()
    bot.ask("What does SNS do?")
    assert scored  # another question: its own scores


def scores_of(fused) -> dict[str, float]:
    return {chunk_id: score for chunk_id, score, _ in fused}
