"""Search: from the question as typed to the ranked passages.

    question  the question as typed: printable, of a sensible length, a document the index knows
    query     what the question asks for (intent, comparison sides), aliases, spelling, term weights
    retrieve  hybrid retrieval (dense + BM25, fused), `HybridSearcher` and the LangChain retriever
"""
