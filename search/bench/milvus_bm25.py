"""Keywords in Milvus two ways, measured on the judged questions: which one the Milvus store keeps.

1. sparse: this service's own BM25 weights (bm25s: its tokenizer, stemmer and stop words) stored
   as each passage's sparse vector, searched by inner product with the question's term counts.
   It is what ``MilvusStore`` does, and scores exactly as the local store does.
2. bm25: Milvus's own BM25 function over the same keyword texts (standard tokenizer, lower case,
   English stemmer and stop words), its top passages and scores replacing the service's.

Everything else (dense search, sentences, fusion, identifiers, rarity) is the same in both.

    SEARCH_STORE=http://127.0.0.1:19530 python -m search.bench.milvus_bm25 ../shared/eval/dev.jsonl
"""
from __future__ import annotations

import json
import sys
import threading
from pathlib import Path

import numpy as np

from ..settings import Settings

ANALYZER = {"tokenizer": "standard",
            "filter": ["lowercase", {"type": "stemmer", "language": "english"},
                       {"type": "stop", "stop_words": ["_english_"]}]}


def _probe_store(store, conn):
    """A ``MilvusStore`` whose keyword side is Milvus's BM25 function over a collection made for it."""
    from ..represent import RepresentSettings, keyword_text
    from ..stores.milvus import MilvusStore
    from ..stores.milvus.client import bm25_collection

    name = f"{conn.prefix}_bm25_probe"
    schema, params = bm25_collection(conn, ANALYZER)
    if conn.call("has_collection", name):
        conn.call("drop_collection", name)
    conn.call("create_collection", name, schema=schema, index_params=params, consistency_level="Strong")
    represent = RepresentSettings(**store.info().get("represent", {}))
    passages = store.passages(range(store.passage_count))
    rows = [{"id": i, "doc_id": p.doc_id, "text": keyword_text(p, store.document(p.doc_id).title, represent)}
            for i, p in enumerate(passages)]
    for a in range(0, len(rows), 500):
        conn.call("insert", name, rows[a:a + 500])
    conn.call("flush", name)
    conn.load(name)
    asked = threading.local()

    class MilvusBM25Store(MilvusStore):
        def query_terms(self, question):
            asked.text = question
            return super().query_terms(question)

        def candidates(self, query, n):
            dense = super().candidates(type(query)(query.vector, [], query.doc_ids), n)
            expr = f"doc_id in {json.dumps(list(query.doc_ids))}" if query.doc_ids else ""
            top = conn.call("search", name, data=[asked.text], anns_field="bm25", limit=n, filter=expr,
                            output_fields=["id"], search_params={"metric_type": "BM25"})
            ids = np.unique(np.concatenate([dense.ids, np.array([h["id"] for h in top[0]], dtype=np.int64)]))
            every = conn.call("search", name, data=[asked.text], anns_field="bm25", limit=len(ids),
                              filter=f"id in {ids.tolist()}", output_fields=["id"], search_params={"metric_type": "BM25"})
            scores = {h["id"]: abs(h["distance"]) for h in every[0]}   # Milvus Lite reports BM25 negated
            rows = self._passage_rows(ids)
            kws = [rows[int(i)][1] for i in ids]
            from ..stores.base import Candidates
            return Candidates(ids, np.stack([rows[int(i)][0] for i in ids]) @ query.vector,
                              self._best_sentence(ids, query.vector),
                              np.array([scores.get(int(i), 0.0) for i in ids], dtype=np.float32),
                              [self._passages[int(i)].doc_id for i in ids], self._joins[ids],
                              self.rarity(query.terms) if query.terms else 0.0,
                              self._identifier_match(query.terms, kws), self.term_rarity(query.terms))

    probe = MilvusBM25Store.__new__(MilvusBM25Store)
    probe.__dict__.update(store.__dict__)
    return probe, name


def compare(questions: Path, settings: Settings | None = None) -> dict:
    """{"sparse": report, "bm25": report}: the dev metrics of ``evaluate`` for each keyword scoring."""
    from ..encoders import CachedEncoder, load_encoder
    from ..engine import Engine
    from ..evaluate import evaluate, load_questions
    from ..stores import open_store
    from ..stores.milvus import connect

    settings = settings or Settings.from_env()
    embedder = load_encoder(settings)
    store = open_store(settings, embedder)
    conn = connect(settings)
    probe, name = _probe_store(store, conn)
    try:
        rows = load_questions(questions)
        encoder = CachedEncoder(embedder)
        return {"sparse": evaluate(Engine(store, encoder), rows)["all"],
                "bm25": evaluate(Engine(probe, encoder), rows)["all"]}
    finally:
        conn.call("drop_collection", name)


if __name__ == "__main__":
    print(json.dumps(compare(Path(sys.argv[1])), indent=1))
