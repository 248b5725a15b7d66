"""Ingest: documents -> cleaned sections -> chunks -> vectors -> the store and its snapshot.

    load      the manifest and each document's sections (`CorpusError` for what cannot be read)
    clean     the parsers that turn slide and PDF extractions into headed sections
    chunk     section-aware chunks (document, section path, position)
    embed     the shipped MiniLM, run through onnxruntime
    lexicon   the passages' word statistics (BM25 postings, names), built once per ingest
    snapshot  chunks, vectors and lexicon saved beside the store, so that a start reads one file
    index     `ingest` (incremental, crash-safe rebuilds) and `open_store` (damage found before it crashes us)
"""
