"""The naive LangChain RAG we must beat: 1000/200 character splits, same model, Chroma, top passage."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

from bot.ingest.embed import torch_embeddings
from bot.ingest.load import read_manifest

SPLIT = (1000, 200)


class NaiveRag:
    """RecursiveCharacterTextSplitter over the raw files, dense top-k, the top passage is the answer."""

    name = "baseline"

    def __init__(self, corpus_dir: Path, persist_dir: Path):
        self.corpus_dir = corpus_dir
        self.persist_dir = persist_dir
        self.ingest_seconds = 0.0
        self.store = self._build()

    def _documents(self):
        from langchain_core.documents import Document
        from langchain_text_splitters import RecursiveCharacterTextSplitter

        splitter = RecursiveCharacterTextSplitter(chunk_size=SPLIT[0], chunk_overlap=SPLIT[1])
        docs = [
            Document(page_content=doc.path.read_text(encoding="utf-8", errors="replace"), metadata={"doc": doc.doc_id})
            for doc in read_manifest(self.corpus_dir)
            if doc.path.exists()
        ]
        return splitter.split_documents(docs)

    def _build(self):
        import chromadb
        from chromadb.config import Settings as ChromaSettings
        from langchain_chroma import Chroma

        chunks = self._documents()
        fingerprint = hashlib.sha256("\x1e".join(c.page_content for c in chunks).encode()).hexdigest()[:12]
        client = chromadb.PersistentClient(str(self.persist_dir), settings=ChromaSettings(anonymized_telemetry=False))
        name = f"baseline-{fingerprint}"
        store = Chroma(
            client=client, collection_name=name, embedding_function=torch_embeddings(),
            collection_configuration={"hnsw": {"space": "cosine"}},
        )
        if store._collection.count() != len(chunks):  # built once per corpus version, kept under index/
            started = time.perf_counter()
            store.reset_collection()
            for start in range(0, len(chunks), 500):
                store.add_documents(chunks[start : start + 500])
            self.ingest_seconds = time.perf_counter() - started
        return store

    def run(self, question: str, k: int, history: list[str] | None = None) -> dict:
        """The question as typed: the naive chain keeps no conversation."""
        found = self.store.similarity_search(question, k=k)
        contexts = [d.page_content for d in found]
        top = contexts[:1]
        return {"answer": top[0] if top else "", "refused": not top, "contexts": contexts, "cited": top}
