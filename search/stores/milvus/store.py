"""``MilvusStore``: one index version held in Milvus, served through the ``Store`` protocol.

Vectors and both searches stay in Milvus: meaning by the passages' dense vectors (FLAT or HNSW,
inner product), keywords by each passage's BM25 weights (this service's own, from bm25s, the same
numbers the folder store scores with) as a sparse vector searched by inner product with the
question's term counts. A replica keeps in memory only the light records a page needs (passage
records with their sentence spans, documents, the manifest and the keyword vocabulary), read once
when it opens a version; vectors are fetched per request (a small cache keeps recent ones).
"""
from __future__ import annotations

import json
import threading
from collections import OrderedDict
from typing import Iterable

import numpy as np

from ...errors import REBUILD_HINT, IndexMismatch, IndexMissing
from ...model import Document, Passage
from ...terms import DEFAULT_STOPWORDS, STOPWORDS, is_identifier, tokenize
from ..base import Candidates, DocumentParts, Query
from ..folder import joins_previous
from ..folder.dense import HNSW_EF_SEARCH
from .client import Connection

BLOBS = ("manifest", "documents", "passages", "vocabulary")
CACHE_ROWS = 20_000          # passage (and sentence) vectors kept from recent requests: 30 MB each at 384-d
MAX_TOPK = 16_384            # Milvus's bound on one search's limit
ROW_FIELDS = ["vector", "kw"]


def _row(entity: dict) -> tuple[np.ndarray, dict[int, float]]:
    """(passage vector, {term id: BM25 weight}) from a Milvus row or hit."""
    return (np.asarray(entity["vector"], dtype=np.float32),
            {int(k): float(v) for k, v in (entity.get("kw") or {}).items()})


class _VectorCache:
    """Rows of one collection by id, least recently used dropped first; safe between threads."""

    def __init__(self, size: int = CACHE_ROWS):
        self.size, self.rows, self.lock = size, OrderedDict(), threading.Lock()

    def put(self, rows: dict[int, object]) -> None:
        with self.lock:
            for i, row in rows.items():
                self.rows[i] = row
                self.rows.move_to_end(i)
            while len(self.rows) > self.size:
                self.rows.popitem(last=False)

    def fetch(self, ids: list[int], load) -> dict[int, object]:
        with self.lock:
            have = {i: self.rows[i] for i in ids if i in self.rows}
            for i in have:
                self.rows.move_to_end(i)
        missing = [i for i in dict.fromkeys(ids) if i not in have]
        if missing:
            got = load(missing)
            self.put(got)
            have.update(got)
        return have


class MilvusStore:
    """One version in Milvus; ``MilvusStore.load(conn, version, model, dim)`` checks it like the folder store."""

    def __init__(self, conn: Connection, version: str, manifest: dict, passages: list[Passage],
                 sentences: list[list[tuple[int, int]]], documents: dict[str, Document], vocabulary: dict):
        self.conn, self._version, self.manifest = conn, version, manifest
        self.collections = conn.names(version)
        self._passages, self._sentences, self._documents = passages, sentences, documents
        self.dim = int(manifest["dim"])
        self.stopwords = (manifest.get("keyword") or {}).get("stopwords", DEFAULT_STOPWORDS)
        if self.stopwords not in STOPWORDS:
            raise IndexMismatch(f"the keyword index uses an unknown stop-word list {self.stopwords!r}; {REBUILD_HINT}")
        self.vocab = {t: n for n, t in enumerate(vocabulary["terms"])}
        self._doc_freq = np.asarray(vocabulary["df"], dtype=np.int64)
        self._offsets = np.cumsum([0] + [len(s) for s in sentences]).astype(np.int64)
        self._joins = joins_previous(passages, documents)
        by_doc: dict[str, list[int]] = {}
        for i, p in enumerate(passages):
            if p.doc_id not in documents:
                raise IndexMismatch(f"Milvus version {version}: passage {i} cites unknown document {p.doc_id!r}; "
                                    f"{REBUILD_HINT}")
            by_doc.setdefault(p.doc_id, []).append(i)
        self._doc_passages = {d: np.array(ids, dtype=np.int64) for d, ids in by_doc.items()}
        self._rows = _VectorCache()        # passage id -> (vector, {term id: weight})
        self._sentence_rows = _VectorCache()

    @classmethod
    def load(cls, conn: Connection, version: str, model: str, dim: int) -> "MilvusStore":
        """The version's records, checked against its manifest and collections; ``IndexMismatch`` when
        incomplete or built with another model; ``StoreUnavailable`` when Milvus cannot be reached."""
        names = conn.names(version)
        existing = set(conn.call("list_collections"))
        if not all(n in existing for n in names):
            raise IndexMissing(f"Milvus version {version} is incomplete or gone; {REBUILD_HINT}")
        for name in names:
            conn.load(name)
        blobs = conn.read_blobs(names[2], BLOBS)
        if "manifest" not in blobs:
            raise IndexMismatch(f"Milvus version {version} has no manifest (a build did not finish); {REBUILD_HINT}")
        manifest = json.loads(blobs["manifest"])
        if manifest.get("model") != model or manifest.get("dim") != dim:
            raise IndexMismatch(f"the index was built with model {manifest.get('model')!r} (dim {manifest.get('dim')}), "
                                f"but this service uses {model!r} (dim {dim}); {REBUILD_HINT} again")
        try:
            rows = [json.loads(line) for line in blobs["passages"].splitlines() if line]
            passages = [Passage.from_json(r) for r in rows]
            sentences = [[tuple(s) for s in r["sentences"]] for r in rows]
            docs = [Document.from_json(json.loads(line)) for line in blobs["documents"].splitlines() if line]
            vocabulary = json.loads(blobs["vocabulary"])
        except (KeyError, ValueError, TypeError) as exc:
            raise IndexMismatch(f"Milvus version {version} has damaged records ({exc}); {REBUILD_HINT}") from exc
        counts = [_count(conn, names[0]), _count(conn, names[1])]
        expected = [manifest.get("passages"), manifest.get("sentences")]
        if counts != expected or len(passages) != expected[0] or len(docs) != len(manifest.get("documents", {})):
            raise IndexMismatch(f"Milvus version {version} holds {counts[0]} passages and {counts[1]} sentences, "
                                f"the manifest says {expected[0]} and {expected[1]}; {REBUILD_HINT}")
        return cls(conn, version, manifest, passages, sentences, {d.doc_id: d for d in docs}, vocabulary)

    # -- the Store protocol ----------------------------------------------------------------
    @property
    def version(self) -> str:
        return self._version

    def info(self) -> dict:
        return self.manifest

    def query_terms(self, question: str) -> list[str]:
        return [t for t in tokenize([question], self.stopwords)[0] if t in self.vocab]

    def candidates(self, query: Query, n: int) -> Candidates:
        expr = ""
        if query.doc_ids:   # the filter applies inside both searches, never after them
            expr = f"doc_id in {json.dumps(list(query.doc_ids), ensure_ascii=False)}"
        limit = min(n, MAX_TOPK, len(self._passages))
        if limit <= 0:
            return Candidates.empty()
        coll = self.collections[0]
        dense = self.conn.call("search", coll, data=[query.vector.astype(np.float32).tolist()], anns_field="vector",
                               limit=limit, filter=expr, output_fields=ROW_FIELDS,
                               search_params={"metric_type": "IP", "params": {"ef": max(HNSW_EF_SEARCH, limit)}})
        hits = list(dense[0])
        weights = self._query_weights(query.terms)
        if weights:
            sparse = self.conn.call("search", coll, data=[weights], anns_field="kw", limit=limit, filter=expr,
                                    output_fields=ROW_FIELDS, search_params={"metric_type": "IP"})
            hits += [hit for hit in sparse[0] if hit["distance"] > 0]
        self._rows.put({hit["id"]: _row(hit["entity"]) for hit in hits})   # the vectors came with the hits
        ids = np.unique(np.asarray([hit["id"] for hit in hits], dtype=np.int64))
        if len(ids) == 0:
            return Candidates.empty()
        rows = self._passage_rows(ids)
        vectors = np.stack([rows[int(i)][0] for i in ids])
        kws = [rows[int(i)][1] for i in ids]
        return Candidates(
            ids=ids,
            cosine=vectors @ query.vector,
            best_sentence=self._best_sentence(ids, query.vector),
            bm25=np.array([sum(kw.get(t, 0.0) * c for t, c in weights.items()) for kw in kws], dtype=np.float32),
            doc_ids=[self._passages[int(i)].doc_id for i in ids],
            joins_previous=self._joins[ids],
            rarity=self.rarity(query.terms) if query.terms else 0.0,
            identifier=self._identifier_match(query.terms, kws),
            term_rarity=self.term_rarity(query.terms),
        )

    def _query_weights(self, terms: list[str]) -> dict[int, float]:
        """{term id: times asked}: its inner product with a passage's weights is that passage's BM25 score."""
        out: dict[int, float] = {}
        for t in terms:
            if t in self.vocab:
                out[self.vocab[t]] = out.get(self.vocab[t], 0.0) + 1.0
        return out

    def _passage_rows(self, ids) -> dict[int, tuple[np.ndarray, dict]]:
        def load(missing: list[int]) -> dict:
            got = {}
            for a in range(0, len(missing), 1000):
                for row in self.conn.call("get", self.collections[0], ids=missing[a:a + 1000],
                                          output_fields=ROW_FIELDS):
                    got[row["id"]] = _row(row)
            return got

        return self._rows.fetch([int(i) for i in ids], load)

    def _sentence_vectors(self, rows: np.ndarray) -> np.ndarray:
        def load(missing: list[int]) -> dict:
            vectors = self.conn.get_vectors(self.collections[1], missing, self.dim)
            return dict(zip(missing, vectors))

        got = self._sentence_rows.fetch([int(r) for r in rows], load)
        return np.stack([got[int(r)] for r in rows]) if len(rows) else np.zeros((0, self.dim), np.float32)

    def _best_sentence(self, ids: np.ndarray, vector: np.ndarray) -> np.ndarray:
        starts = self._offsets[ids]
        lengths = self._offsets[ids + 1] - starts
        firsts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
        rows = np.repeat(starts - firsts, lengths) + np.arange(int(lengths.sum()))
        return np.maximum.reduceat(self._sentence_vectors(rows) @ vector, firsts)

    def _identifier_match(self, terms: list[str], kws: list[dict]) -> np.ndarray:
        """As ``KeywordIndex.identifier_match``: 1.0 where a passage holds every identifier the question names."""
        wanted = [self.vocab[t] for t in terms if is_identifier(t) and t in self.vocab]
        if not wanted:
            return np.zeros(len(kws), dtype=np.float32)
        return np.array([all(w in kw for w in wanted) for kw in kws], dtype=np.float32)

    def term_rarity(self, terms: list[str]) -> dict[str, float]:
        """Each known term's normalised idf, 0 .. 1: the formula of ``KeywordIndex.term_rarity``."""
        count = len(self._passages)
        if not terms or count < 2:
            return {}
        df = np.array([self._doc_freq[self.vocab[t]] for t in terms], dtype=np.float64)
        idf = np.clip(np.log((count + 1) / (df + 0.5)) / np.log(count + 1), 0, 1)
        return {t: float(r) for t, r in zip(terms, idf)}

    def rarity(self, terms: list[str]) -> float:
        each = self.term_rarity(terms)
        return float(np.mean([each[t] for t in terms])) if each else 0.0

    def passages(self, ids: Iterable[int]) -> list[Passage]:
        return [self._passages[int(i)] for i in ids]

    def sentences(self, passage_id: int, vector: np.ndarray) -> tuple[list[tuple[int, int]], np.ndarray]:
        a, b = self._offsets[passage_id], self._offsets[passage_id + 1]
        return self._sentences[passage_id], self._sentence_vectors(np.arange(a, b)) @ vector

    def passage_ids(self, doc_id: str) -> np.ndarray:
        return self._doc_passages.get(doc_id, np.empty(0, dtype=np.int64))

    def document(self, doc_id: str) -> Document | None:
        return self._documents.get(doc_id)

    def document_ids(self) -> list[str]:
        return sorted(self._documents)

    def vector(self, passage_id: int) -> np.ndarray:
        return np.array(self._passage_rows([passage_id])[int(passage_id)][0], dtype=np.float32)

    @property
    def passage_count(self) -> int:
        return len(self._passages)

    # -- what a build copies ---------------------------------------------------------------
    def parts(self, doc_id: str) -> DocumentParts:
        """One document's passages, sentences and vectors, read back from Milvus for a new version."""
        ids = self.passage_ids(doc_id)
        rows = np.concatenate([np.arange(self._offsets[i], self._offsets[i + 1]) for i in ids] or [np.empty(0, int)])
        return DocumentParts(self._documents[doc_id], [self._passages[i] for i in ids],
                             [self._sentences[i] for i in ids],
                             self.conn.get_vectors(self.collections[0], ids, self.dim),
                             self.conn.get_vectors(self.collections[1], rows, self.dim))


def _count(conn: Connection, collection: str) -> int:
    rows = conn.call("query", collection, filter="", output_fields=["count(*)"])
    return int(rows[0]["count(*)"])
