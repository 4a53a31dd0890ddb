"""Hybrid ranking over a store's candidates: normalised score fusion, split paragraphs joined.

Fusion works on ``Candidates`` arrays only, never on a store. The settings live in the index manifest, so a version always ranks the way it was built to.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields

import numpy as np

from .stores.base import Candidates


@dataclass(frozen=True)
class FusionSettings:
    dense_weight: float = 0.75     # share of meaning vs keywords for a question of average rarity
    rarity_shift: float = 0.0      # rarer query words move weight towards keywords by this much
    sentence_weight: float = 0.5   # share of a passage's best sentence in its dense score
    candidates: int = 100          # passages taken from each retriever before fusion
    max_doc_share: float = 0.7     # most of a page one document may fill while others qualify; 0 is off
    other_doc_min: float = 0.5     # another document qualifies with at least this share of the best score
    identifier_weight: float = 1.0   # added when a passage holds every identifier or figure the question names:
                                     # such passages rank above the rest (fused scores are at most 1 without it)

    @classmethod
    def from_dict(cls, d: dict) -> "FusionSettings":
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in names})

    def as_dict(self) -> dict:
        return asdict(self)


def _minmax(x: np.ndarray) -> np.ndarray:
    if len(x) == 0:
        return x
    lo, hi = float(x.min()), float(x.max())
    return (x - lo) / (hi - lo) if hi > lo else np.ones_like(x)


@dataclass(frozen=True)
class ScoreParts:
    """How fusion scored every candidate (arrays parallel to ``Candidates.ids``).

    ``score == dense_weight * dense_scaled + (1 - dense_weight) * keyword_scaled + identifier`` for every row.
    """

    dense: np.ndarray            # float [n]: the dense score, (1 - s) * cosine + s * best_sentence
    dense_scaled: np.ndarray     # float [n]: ``dense`` min-max scaled over the candidates
    keyword_scaled: np.ndarray   # float [n]: BM25 divided by the best BM25 (0 without keyword matches)
    dense_weight: float          # the weight of meaning for this question (keywords get the rest)
    score: np.ndarray            # float [n]: the fused score
    identifier: np.ndarray | None = None   # float [n]: ``identifier_weight`` where the passage holds every
                                           # identifier or figure the question names, else 0


def score_parts(cands: Candidates, settings: FusionSettings) -> ScoreParts:
    """Normalised score fusion of every candidate, with its parts.

    The dense score (``sentence_weight`` of it from the best sentence) is min-max scaled over the
    candidates, BM25 is divided by its best, and the two are mixed by ``dense_weight``; with no
    keyword match the dense score alone ranks. A passage holding every identifier or figure the
    question names ("recommendation 3", "CP1/2013", "7%") gains ``identifier_weight``, so the exact
    item ranks above neighbours that read alike.
    """
    cos = cands.cosine
    if settings.sentence_weight:
        cos = (1 - settings.sentence_weight) * cos + settings.sentence_weight * cands.best_sentence
    kw = cands.bm25
    w = settings.dense_weight
    if kw.any() and settings.rarity_shift:
        w = float(np.clip(w - settings.rarity_shift * (cands.rarity - 0.5), 0.05, 0.95))
    if not kw.any():
        w = 1.0
    dense_scaled = _minmax(cos)
    kw_scaled = kw / kw.max() if kw.any() else kw
    score = w * dense_scaled + (1 - w) * kw_scaled
    bonus = None
    if settings.identifier_weight and cands.identifier is not None and cands.identifier.any():
        # "recommendation 3" means that item, not its neighbours 4 and 13 that read the same
        bonus = settings.identifier_weight * cands.identifier
        score = score + bonus
    return ScoreParts(cos, dense_scaled, kw_scaled, w, score, bonus)


def fuse(cands: Candidates, k: int, settings: FusionSettings) -> list[tuple[tuple[int, ...], float]]:
    """(passage ids, score) of the best k results, best first; a result may join adjacent passages."""
    return [(tuple(int(cands.ids[r]) for r in rows), score) for rows, score, _ in fuse_rows(cands, k, settings)]


def fuse_rows(cands: Candidates, k: int, settings: FusionSettings) -> list[tuple[tuple[int, ...], float, bool]]:
    """As ``fuse``, by candidate rows: (rows in passage order, score, held back by its document's share)."""
    if len(cands.ids) == 0:
        return []
    score = score_parts(cands, settings).score
    order = np.argsort(-score, kind="stable")
    return _diversify([(int(i), float(score[i])) for i in order], cands, k, settings)


def _diversify(ranked: list[tuple[int, float]], cands: Candidates, k: int,
               settings: FusionSettings) -> list[tuple[tuple[int, ...], float, bool]]:
    """Groups of candidate rows with their score and whether they were held back, best first;
    ``ranked`` holds (candidate row, score).

    A passage cut from the same paragraph as a better one joins it (one result, not two). One
    document fills at most ``max_doc_share`` of the page while passages of other documents score
    at least ``other_doc_min`` of the best score; spare passages fill the page otherwise.
    """
    ids = cands.ids

    def same_paragraph(a: int, b: int) -> bool:   # rows a, b: passage b continues passage a's paragraph
        return int(ids[b]) == int(ids[a]) + 1 and bool(cands.joins_previous[b])

    quota = max(1, math.ceil(settings.max_doc_share * k)) if settings.max_doc_share else k
    floor = (ranked[0][1] * settings.other_doc_min) if ranked else 0.0
    groups: list[list] = []          # [rows sorted by passage id, score, held back]
    deferred: list[tuple[int, float]] = []
    per_doc: dict[str, int] = {}
    for row, score in ranked:
        if len(groups) == k:
            break
        joined = next((g for g in groups if len(g[0]) < 3 and (
            same_paragraph(g[0][-1], row) or same_paragraph(row, g[0][0]))), None)
        if joined is not None:
            joined[0] = sorted(joined[0] + [row], key=lambda r: ids[r])
            continue
        doc = cands.doc_ids[row]
        if per_doc.get(doc, 0) >= quota or (per_doc and doc not in per_doc and score < floor and deferred):
            deferred.append((row, score))
            continue
        groups.append([[row], score, False])
        per_doc[doc] = per_doc.get(doc, 0) + 1
    for row, score in deferred:
        if len(groups) == k:
            break
        groups.append([[row], score, True])
    groups.sort(key=lambda g: -g[1])
    return [(tuple(rows), score, held) for rows, score, held in groups[:k]]


def _ranks(x: np.ndarray) -> np.ndarray:
    """1-based rank of each value among ``x``, highest first (ties by candidate order)."""
    ranks = np.empty(len(x), dtype=np.int64)
    ranks[np.argsort(-x, kind="stable")] = np.arange(1, len(x) + 1)
    return ranks


def explain(cands: Candidates, parts: ScoreParts, rows: tuple[int, ...], score: float, held: bool,
            settings: FusionSettings) -> dict:
    """The parts of one result's fused score (API.md ``explain``): ``parts.dense + parts.keyword +
    parts.identifier + parts.adjustment == fused``. A joined result scores as its best passage (``rows`` are candidate rows)."""
    best = max(rows, key=lambda r: parts.score[r])
    w = parts.dense_weight
    dense_part, keyword_part = w * float(parts.dense_scaled[best]), (1 - w) * float(parts.keyword_scaled[best])
    bm25 = float(cands.bm25[best])
    bonus = float(parts.identifier[best]) if parts.identifier is not None else 0.0
    return {
        "candidates": len(cands.ids),
        "dense": {"cosine": round(float(cands.cosine[best]), 6), "cosine_rank": int(_ranks(cands.cosine)[best]),
                  "best_sentence": round(float(cands.best_sentence[best]), 6),
                  "best_sentence_rank": int(_ranks(cands.best_sentence)[best]),
                  "score": round(float(parts.dense[best]), 6), "rank": int(_ranks(parts.dense)[best]),
                  "scaled": round(float(parts.dense_scaled[best]), 6)},
        "keyword": {"bm25": round(bm25, 6), "rank": int(_ranks(cands.bm25)[best]) if bm25 > 0 else None,
                    "scaled": round(float(parts.keyword_scaled[best]), 6)},
        "weights": {"dense": round(w, 6), "keyword": round(1 - w, 6), "sentence": settings.sentence_weight},
        "parts": {"dense": round(dense_part, 6), "keyword": round(keyword_part, 6), "identifier": round(bonus, 6),
                  "adjustment": round(score - dense_part - keyword_part - bonus, 6)},
        "fused": round(score, 6),
        "joined_passages": len(rows),
        "held_back_by_document_share": held,
    }


def fuse_pages(cands: Candidates, n: int, settings: FusionSettings, page: int) -> list[tuple[tuple[int, ...], float, bool]]:
    """The first ``n`` results of one ranking (as ``fuse_rows``), built a page of ``page`` results at a time.

    Page one is ``fuse_rows(cands, page, settings)``; each later page is filled the same way (joined
    paragraphs, one document's share of the page) from the candidates no earlier page showed, scored
    once over all of them. So results ``offset + 1 .. offset + k`` read the same list whatever
    ``offset`` and ``k`` are, and a page of ``page`` results is exactly the answer for ``k = page``.
    """
    if len(cands.ids) == 0:
        return []
    score = score_parts(cands, settings).score
    ranked = [(int(i), float(score[i])) for i in np.argsort(-score, kind="stable")]
    out: list[tuple[tuple[int, ...], float, bool]] = []
    while len(out) < n and ranked:
        groups = _diversify(ranked, cands, page, settings)
        if not groups:
            break
        out += groups
        shown = {row for rows, _, _ in groups for row in rows}
        ranked = [(row, s) for row, s in ranked if row not in shown]
    return out[:n]
