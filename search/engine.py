"""The query engine: one loaded index version, hybrid retrieval, results with citations.

    engine = Engine(load_index(Path("index"), embedder), CachedEncoder(embedder))
    response = engine.search("why do unions oppose payment by results?", k=5)
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import store
from .chunk import Passage
from .dense import load_dense, stored_vectors
from .documents import page_at
from .encoders import CachedEncoder
from .encoders import Encoder as Embedder
from .errors import BadQuery, IndexMismatch
from .fusion import FusionSettings, fuse
from .highlight import highlights
from .keyword import KeywordIndex, load_keyword

MAX_QUERY_CHARS = 1000
MAX_K = 50


@dataclass
class Index:
    """Everything one index version holds, in memory."""

    folder: Path
    manifest: dict
    passages: list[Passage]
    sentences: list[list[tuple[int, int]]]    # per passage, sentence spans relative to its text
    documents: dict[str, store.StoredDocument]
    vectors: np.ndarray                        # a view of FAISS's own storage; vectors.npy if not searchable
    sentence_vectors: np.ndarray
    sentence_offsets: np.ndarray               # passage i's sentences are rows [off[i], off[i+1])
    dense: object
    keyword: KeywordIndex
    doc_passages: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def version(self) -> str:
        return self.folder.name

    @property
    def fusion(self) -> FusionSettings:
        return FusionSettings.from_dict(self.manifest.get("fusion", {}))


def load_index(index_dir: Path, embedder: Embedder, folder: Path | None = None, searchable: bool = True) -> Index:
    """Load the live version (or ``folder``), checking every file against the manifest.

    ``searchable=False`` loads only what a build reuses (passages, documents, vectors), without the
    FAISS and keyword files, so a build can remake those when they alone are damaged; such an
    index has ``dense`` and ``keyword`` None and cannot search.
    """
    folder = folder or store.current_version(Path(index_dir))
    manifest = store.read_manifest(folder, check_derived=searchable)
    store.check_model(manifest, embedder.name, embedder.dim)
    try:
        rows = store.read_jsonl(folder / "passages.jsonl")
        docs = [store.StoredDocument(**d) for d in store.read_jsonl(folder / "documents.jsonl")]
        passages = [store.passage_from_json(r) for r in rows]
        sentences = [[tuple(s) for s in r["sentences"]] for r in rows]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise IndexMismatch(f"{folder} has missing or damaged passage files ({exc}); {store.REBUILD_HINT}") from exc
    count, dim = manifest.get("passages"), manifest.get("dim")
    if len(passages) != count or len(docs) != len(manifest.get("documents", {})):
        raise IndexMismatch(f"{folder} holds {len(passages)} passages and {len(docs)} documents, the manifest says "
                            f"{count} and {len(manifest.get('documents', {}))}; {store.REBUILD_HINT}")
    offsets = np.cumsum([0] + [len(s) for s in sentences]).astype(np.int64)
    sentence_vectors = store.load_vectors(folder, int(offsets[-1]), dim, name="sentence_vectors.npy")
    if searchable:
        # The passage vectors are read from the FAISS index, which holds them anyway (one copy in memory,
        # not two: 1.5 GB less at 10^6 passages); vectors.npy stays the portable copy, checked here.
        store.check_vectors(folder, count, dim)
        dense = load_dense(folder / "dense.faiss", count, dim)
        vectors = stored_vectors(dense)
        stopwords = (manifest.get("keyword") or {}).get("stopwords", "en")   # versions before the setting used "en"
        keyword = KeywordIndex(load_keyword(folder / "keyword", count), stopwords)
    else:
        dense, keyword, vectors = None, None, store.load_vectors(folder, count, dim)
    index = Index(folder, manifest, passages, sentences, {d.doc_id: d for d in docs}, vectors,
                  sentence_vectors, offsets, dense, keyword)
    by_doc: dict[str, list[int]] = {}
    for i, p in enumerate(passages):
        if p.doc_id not in index.documents:
            raise IndexMismatch(f"{folder}: passage {i} cites unknown document {p.doc_id!r}; {store.REBUILD_HINT}")
        by_doc.setdefault(p.doc_id, []).append(i)
    index.doc_passages = {d: np.array(ids, dtype=np.int64) for d, ids in by_doc.items()}
    return index


@dataclass(frozen=True)
class Hit:
    rank: int
    score: float
    passage: Passage
    title: str
    page: int | None
    highlights: list[dict]
    joined: bool = False    # neighbouring passages of one paragraph shown as one result

    def citation_url(self) -> str:
        from urllib.parse import quote

        p = self.passage
        span = f"?span={p.start}-{p.end}" if self.joined else ""
        return f"/doc/{quote(p.doc_id)}{span}#p-{p.start}-{p.end}"


@dataclass(frozen=True)
class SearchResponse:
    query: str
    k: int
    took_ms: float
    version: str
    results: list[Hit]


def validate_query(q, k, docs, index: Index | None) -> tuple[str, int, list[str] | None]:
    """Check the question, k and the document filter; BadQuery says exactly what is wrong."""
    if not isinstance(q, str) or not q.strip():
        raise BadQuery("q is required: a question or keywords, 1 to 1000 characters")
    q = q.strip()
    if len(q) > MAX_QUERY_CHARS:
        raise BadQuery(f"q is {len(q)} characters long; the limit is {MAX_QUERY_CHARS}")
    if any(ord(c) < 32 and c not in "\t\n\r" for c in q) or "\x7f" in q:
        raise BadQuery("q contains control characters")
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= MAX_K:
        raise BadQuery(f"k must be an integer from 1 to {MAX_K}")
    if docs is not None:
        if not isinstance(docs, list) or not all(isinstance(d, str) for d in docs):
            raise BadQuery("doc must be a document id or a list of document ids")
        docs = list(dict.fromkeys(docs))
        unknown = [d for d in docs if index is not None and d not in index.documents]
        if unknown:
            raise BadQuery(f"unknown doc {unknown[0]!r}; see /api/documents for the ids")
        docs = docs or None
    return q, k, docs


class Engine:
    """Answers questions from one index version; safe to share between threads."""

    def __init__(self, index: Index, encoder: CachedEncoder):
        self.index = index
        self.encoder = encoder

    @property
    def version(self) -> str:
        return self.index.version

    def search(self, q: str, k: int = 10, docs: list[str] | None = None) -> SearchResponse:
        t0 = time.perf_counter()
        q, k, docs = validate_query(q, k, docs, self.index)
        ix = self.index
        allowed = np.sort(np.concatenate([ix.doc_passages[d] for d in docs])) if docs else None
        qvec = self.encoder.encode_query(q)
        terms = ix.keyword.query_terms(q)
        ranked = fuse(ix, qvec, terms, k, allowed, ix.fusion)
        stems = set(terms)
        hits = []
        for rank, (ids, score) in enumerate(ranked, start=1):
            p, sentences = self._joined(ids)
            a, b = ix.sentence_offsets[ids[0]], ix.sentence_offsets[ids[-1] + 1]
            sims = ix.sentence_vectors[a:b] @ qvec
            doc = ix.documents[p.doc_id]
            hits.append(Hit(rank, round(float(score), 4), p, doc.title, page_at(doc.pages, p.start),
                            highlights(p.text, sentences, sims, stems), joined=len(ids) > 1))
        return SearchResponse(q, k, round((time.perf_counter() - t0) * 1000, 2), ix.version, hits)


    def _joined(self, ids: tuple[int, ...]) -> tuple[Passage, list[tuple[int, int]]]:
        """One passage, or neighbours of one paragraph joined into one span, with its sentences."""
        ix = self.index
        if len(ids) == 1:
            return ix.passages[ids[0]], ix.sentences[ids[0]]
        joined = join_passages(ix, ids)
        shift = {i: ix.passages[i].start - joined.start for i in ids}
        return joined, [(a + shift[i], b + shift[i]) for i in ids for a, b in ix.sentences[i]]


def join_passages(ix: Index, ids) -> Passage:
    """Consecutive passages of one document as one span (their text and the gaps between them)."""
    first, last = ix.passages[ids[0]], ix.passages[ids[-1]]
    text = ix.documents[first.doc_id].text
    return Passage(first.doc_id, first.start, last.end, first.line_start, last.line_end, first.section,
                   text[first.start:last.end])


def passages_with_span(ix: Index, doc_id: str, span: str | None) -> list[Passage]:
    """The document's passages; a ``START-END`` span that joins whole neighbouring passages of one
    section (as a joined result cites them) replaces them, so the page has an element for it."""
    ids = [int(i) for i in ix.doc_passages.get(doc_id, [])]
    passages = [ix.passages[i] for i in ids]
    try:
        start, end = (int(x) for x in (span or "").split("-"))
    except ValueError:
        return passages
    first = next((n for n, p in enumerate(passages) if p.start == start), None)
    last = next((n for n, p in enumerate(passages) if p.end == end), None)
    if first is None or last is None or not first < last <= first + 2 \
            or len({p.section for p in passages[first:last + 1]}) != 1:
        return passages
    return passages[:first] + [join_passages(ix, ids[first:last + 1])] + passages[last + 1:]

