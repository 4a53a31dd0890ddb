"""The query engine: one store version, hybrid retrieval, results with citations and highlights.

    engine = Engine(open_store(settings, encoder), CachedEncoder(encoder))
    response = engine.search("why do unions oppose payment by results?", k=5)

The engine reads its store only through the ``Store`` protocol (``stores/base.py``).
"""
from __future__ import annotations

import time

import numpy as np

from .confidence import Signals, confidence, coverage, match_of
from .errors import BadQuery
from .fusion import FusionSettings, explain as explain_score, fuse_pages, fuse_rows, score_parts
from .highlight import highlights
from .model import Hit, Passage, SearchResponse, citation_url
from .passages import PASSAGE_CACHE, body_key, collapse_duplicates, join_passages, keep_rows
from .settings import DEFAULT_K, MAX_K
from .stores.base import Candidates, Query, Store
from .terms import DEFAULT_STOPWORDS, nfkc, tokenize
from .validate import validate_min_confidence, validate_offset, validate_query

__all__ = ["Engine", "validate_query", "validate_min_confidence", "validate_offset", "collapse_duplicates",
           "body_key", "join_passages", "keep_rows"]


class Engine:
    """Answers questions from one store version; safe to share between threads.

    ``encoder`` is a ``CachedEncoder`` (``encode_query(text) -> float32 [dim]``).
    """

    def __init__(self, store: Store, encoder):
        self.store = store
        self.encoder = encoder
        self.fusion = FusionSettings.from_dict(store.info().get("fusion", {}))
        self._doc_ids = frozenset(store.document_ids())
        self._held: dict[tuple[int, ...], frozenset[str]] = {}   # per passage: its terms (coverage)
        self._bodies: dict[int, bytes] = {}                       # per passage id: a digest of its body text
        self._stopwords = store.info().get("keyword", {}).get("stopwords", DEFAULT_STOPWORDS)

    @property
    def version(self) -> str:
        return self.store.version

    @property
    def document_ids(self) -> frozenset[str]:
        """Every document id of the version."""
        return self._doc_ids

    def search(self, q: str, k: int = DEFAULT_K, docs: list[str] | None = None, explain: bool = False,
               min_confidence: float = 0.0, offset: int = 0,
               allowed: frozenset[str] | None = None) -> SearchResponse:
        """The best ``k`` results for ``q`` (optionally only from ``docs``); BadQuery for bad input.

        Each hit carries its ``confidence`` (``confidence.py``) and, with ``explain``, the parts of
        its score; the answer's ``match`` comes from the top result. ``min_confidence`` then drops
        weaker results (ranks and ``match`` stay as ranked). ``offset`` skips that many results of one
        ranking (``offset + k`` at most ``MAX_RANKED``), ranks continuing: the ranking is built a page of
        ``DEFAULT_K`` results at a time (``fusion.fuse_pages``), so ``offset=5`` gives exactly results
        6-10 of the answer for ``k=10``, and pages of any ``k`` up to 25 read the same list (a larger
        ``k`` takes more candidates, ``4 * k``, so its pages read a list of their own).

        ``allowed`` is the set of document ids the caller may read (None: all). Retrieval draws
        candidates from those only (the store's ``Query.doc_ids``), so duplicates, "also in" lists,
        scores and confidence never see another document; a ``docs`` id outside it is refused with
        the very message an unknown id gets.
        """
        t0 = time.perf_counter()
        known = self.readable(allowed)
        q, k, docs = validate_query(q, k, docs, self._doc_ids if known is None else known)
        offset = validate_offset(offset, k)
        min_confidence = validate_min_confidence(min_confidence)
        scope = tuple(docs) if docs else (None if known is None else tuple(sorted(known)))
        if scope == ():      # the caller may read nothing: an empty answer, asked of no store
            return SearchResponse(q, k, round((time.perf_counter() - t0) * 1000, 2), self.store.version, [],
                                  match=match_of(None), min_confidence=min_confidence, explain=explain, offset=offset)
        vector = self.encoder.encode_query(q if q.isascii() else nfkc(q))   # full-width, ligatures: as typed plainly
        terms = self.store.query_terms(q)
        cands = self.store.candidates(Query(vector, terms, scope), max(self.fusion.candidates, 4 * k))
        cands, also = collapse_duplicates(cands, self.store, self._bodies)
        ranked = fuse_pages(cands, offset + k, self.fusion, DEFAULT_K)
        hits = self._hits(cands, also, ranked, offset, vector, tokenize([q], self._stopwords)[0], set(terms), explain)
        kept = [h for h in hits[1 if offset else 0:] if h.confidence >= min_confidence]
        return SearchResponse(q, k, round((time.perf_counter() - t0) * 1000, 2), self.store.version, kept,
                              match=match_of(hits[0].confidence if hits else None), min_confidence=min_confidence,
                              explain=explain, offset=offset)

    def _hits(self, cands: Candidates, also: dict, ranked: list, offset: int, vector: np.ndarray,
              asked: list[str], stems: set[str], explain: bool) -> list[Hit]:
        """Hits of ``ranked[offset:]`` (fusion's groups of candidate rows; ``also``: ``collapse_duplicates``'s
        other places); with an ``offset``, the top result comes first (the answer's ``match`` is the top result's)."""
        parts = score_parts(cands, self.fusion) if len(cands.ids) else None
        hits = []
        for rank in ([0] if offset and ranked else []) + list(range(offset, len(ranked))):
            rows, score, held = ranked[rank]
            ids = tuple(int(cands.ids[r]) for r in rows)
            passage, sentences, sims = self._joined(ids, vector)
            elsewhere = tuple(dict.fromkeys((p.doc_id, citation_url(p.doc_id, p.start, p.end))
                                            for p in self.store.passages(also.get(ids[0], ()))))
            doc = self.store.document(passage.doc_id)
            first, last = doc.page_at(passage.start), doc.page_at(max(passage.start, passage.end - 1))
            ocr = bool(doc.ocr_pages) and any(page in doc.ocr_pages for page in range(first or 0, (last or 0) + 1))
            held_terms = self._held_terms(ids, passage)
            signals = Signals(float(cands.best_sentence[list(rows)].max()), float(cands.cosine[list(rows)].max()),
                              coverage(asked, cands.term_rarity, held_terms))
            why = explain_score(cands, parts, rows, score, held, self.fusion) if explain else None
            if why is not None:
                why["signals"] = signals.to_json()
            hits.append(Hit(rank + 1, round(float(score), 4), passage, doc.title, first,
                            highlights(passage.text, sentences, sims, stems), joined=len(ids) > 1,
                            last_page=last, ocr=ocr, also=elsewhere, confidence=confidence(signals), explain=why))
        return hits

    def _held_terms(self, ids: tuple[int, ...], passage: Passage) -> frozenset[str]:
        """The known terms of a passage's text and section path (for ``coverage``), kept per passage."""
        held = self._held.get(ids)
        if held is None:
            held = frozenset(self.store.query_terms(" ".join((passage.text, *passage.section))))
            if len(self._held) >= PASSAGE_CACHE:
                self._held.clear()
            self._held[ids] = held
        return held

    def find_passage(self, doc_id, start, end, allowed: frozenset[str] | None = None) -> tuple[int, ...]:
        """Ids of the passage cited as ``doc_id``, ``start``, ``end`` (one passage, or two or three of one
        paragraph joined, as the search answers cite them). BadQuery for anything else, and for a
        document outside ``allowed`` (None: every document), which is answered exactly like an unknown one.
        """
        if not isinstance(doc_id, str) or not doc_id or any(isinstance(x, bool) or not isinstance(x, int)
                                                            for x in (start, end)):
            raise BadQuery("a passage is named by doc (a document id), start and end (integers)")
        ids = [int(i) for i in self.store.passage_ids(doc_id)] if allowed is None or doc_id in allowed else []
        passages = dict(zip(ids, self.store.passages(ids)))
        first = next((i for i in ids if passages[i].start == start), None)
        if first is not None:
            joins = self._joins(doc_id) if passages[first].end != end else {}
            run = [first]
            while passages[run[-1]].end != end and len(run) < 3 and joins.get(run[-1] + 1):
                run.append(run[-1] + 1)
            if passages[run[-1]].end == end:
                return tuple(run)
        raise BadQuery(f"unknown passage {doc_id!r} {start}-{end}; cite one as the search answers do "
                       "(citation.doc, citation.start, citation.end)")

    def cited_passage(self, doc_id, start, end, allowed: frozenset[str] | None = None) -> Passage:
        """The passage (or joined span) a search answer cited as ``doc_id``, ``start``, ``end``; BadQuery
        as ``find_passage``."""
        passages = self.store.passages(self.find_passage(doc_id, start, end, allowed))
        return passages[0] if len(passages) == 1 else join_passages(passages, self.store.document(doc_id).text)

    def _joins(self, doc_id: str) -> dict[int, bool]:
        """For each passage of a document, whether it continues the paragraph of the passage before it
        (as the store's candidates say: the rule fusion joins results by)."""
        ids = self.store.passage_ids(doc_id)
        if len(ids) == 0:
            return {}
        cands = self.store.candidates(Query(self.store.vector(int(ids[0])), [], (doc_id,)), len(ids))
        return {int(i): bool(j) for i, j in zip(cands.ids, cands.joins_previous)}

    def similar(self, doc_id: str, start: int, end: int, k: int = DEFAULT_K,
                allowed: frozenset[str] | None = None) -> SearchResponse:
        """The ``k`` passages closest in meaning to the cited passage (``find_passage``), excluding itself,
        the passages of its paragraph and copies of its text elsewhere; only documents in ``allowed``
        (None: all). The answer has the search answer's shape; its ``query`` is the passage's text.
        """
        t0 = time.perf_counter()
        if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= MAX_K:
            raise BadQuery(f"k must be an integer from 1 to {MAX_K}")
        ids = self.find_passage(doc_id, start, end, allowed)
        source = self._joined(ids, self.store.vector(ids[0]))[0]
        vector = np.mean([self.store.vector(i) for i in ids], axis=0).astype(np.float32)
        vector /= float(np.linalg.norm(vector)) or 1.0
        known = self.readable(allowed)
        scope = None if known is None else tuple(sorted(known))
        if scope == ():
            return SearchResponse(source.text, k, round((time.perf_counter() - t0) * 1000, 2), self.store.version, [])
        near = self._paragraph(ids)
        cands = self.store.candidates(Query(vector, [], scope), max(self.fusion.candidates, 4 * k) + len(near))
        own = {body_key(source)} | {body_key(p) for p in self.store.passages(ids)}   # its text, whole and in pieces
        keep = np.array([int(i) not in near and body_key(p) not in own
                         for i, p in zip(cands.ids, self.store.passages(cands.ids))], dtype=bool)
        cands, also = collapse_duplicates(keep_rows(cands, keep), self.store, self._bodies)
        hits = self._hits(cands, also, fuse_rows(cands, k, self.fusion), 0, vector, [], set(), False)
        return SearchResponse(source.text, k, round((time.perf_counter() - t0) * 1000, 2), self.store.version, hits,
                              match=match_of(hits[0].confidence if hits else None))

    def _paragraph(self, ids: tuple[int, ...]) -> set[int]:
        """The passages ``ids`` and every passage cut from the same paragraph as them (its joined neighbours)."""
        joins = self._joins(self.store.passages([ids[0]])[0].doc_id)
        low, high = ids[0], ids[-1]
        while joins.get(low):
            low -= 1
        while joins.get(high + 1):
            high += 1
        return set(range(low, high + 1))

    def readable(self, allowed: frozenset[str] | None) -> frozenset[str] | None:
        """The version's documents among ``allowed``; None when that is every one (so a caller allowed
        everything is answered exactly as an unrestricted one: no filter reaches the store)."""
        if allowed is None or allowed >= self._doc_ids:
            return None
        return self._doc_ids & allowed

    def _joined(self, ids: tuple[int, ...], vector: np.ndarray) -> tuple[Passage, list[tuple[int, int]], np.ndarray]:
        """One passage, or neighbours of one paragraph joined into one span, with its sentences and their cosines."""
        passages = self.store.passages(ids)
        parts = [self.store.sentences(i, vector) for i in ids]
        if len(ids) == 1:
            return passages[0], parts[0][0], parts[0][1]
        joined = join_passages(passages, self.store.document(passages[0].doc_id).text)
        sentences = [(a + p.start - joined.start, b + p.start - joined.start)
                     for p, (spans, _) in zip(passages, parts) for a, b in spans]
        return joined, sentences, np.concatenate([sims for _, sims in parts])

    def document_passages(self, doc_id: str, span: str | None = None) -> list[Passage]:
        """The document's passages for its page; a ``START-END`` span that joins whole neighbouring
        passages of one section (as a joined result cites them) replaces them, so the page has an
        element for it."""
        passages = self.store.passages(self.store.passage_ids(doc_id))
        try:
            start, end = (int(x) for x in (span or "").split("-"))
        except ValueError:
            return passages
        first = next((n for n, p in enumerate(passages) if p.start == start), None)
        last = next((n for n, p in enumerate(passages) if p.end == end), None)
        if first is None or last is None or not first < last <= first + 2 \
                or len({p.section for p in passages[first:last + 1]}) != 1:
            return passages
        text = self.store.document(doc_id).text
        return passages[:first] + [join_passages(passages[first:last + 1], text)] + passages[last + 1:]
