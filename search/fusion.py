"""Hybrid ranking: dense and keyword candidates, normalised score fusion, split paragraphs joined.

The settings live in the index manifest, so a version always ranks the way it was built to.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields

import numpy as np

from .dense import search_dense


@dataclass(frozen=True)
class FusionSettings:
    dense_weight: float = 0.75     # share of meaning vs keywords for a question of average rarity
    rarity_shift: float = 0.0      # rarer query words move weight towards keywords by this much
    sentence_weight: float = 0.5   # share of a passage's best sentence in its dense score
    candidates: int = 100          # passages taken from each retriever before fusion
    max_doc_share: float = 0.7     # most of a page one document may fill while others qualify; 0 is off
    other_doc_min: float = 0.5     # another document qualifies with at least this share of the best score

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


def best_sentence(ix, cand: np.ndarray, qvec: np.ndarray) -> np.ndarray:
    """Cosine of each candidate passage's closest sentence to the question."""
    starts = ix.sentence_offsets[cand]
    lengths = ix.sentence_offsets[cand + 1] - starts
    firsts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    rows = np.repeat(starts - firsts, lengths) + np.arange(int(lengths.sum()))
    return np.maximum.reduceat(ix.sentence_vectors[rows] @ qvec, firsts)


def fuse(ix, qvec: np.ndarray, terms: list[str], k: int, allowed: np.ndarray | None,
         settings: FusionSettings) -> list[tuple[tuple[int, ...], float]]:
    """(passage ids, score) of the best k results, best first; a result may join adjacent passages."""
    n = max(settings.candidates, 4 * k)
    dense = search_dense(ix.dense, qvec, n, allowed)
    kw_top, _ = ix.keyword.top(terms, n, allowed)  # reads only the postings of the question's terms
    cand = np.unique(np.concatenate([dense.ids, kw_top.astype(np.int64)]))
    if len(cand) == 0:
        return []
    cos = ix.vectors[cand] @ qvec
    if settings.sentence_weight:
        cos = (1 - settings.sentence_weight) * cos + settings.sentence_weight * best_sentence(ix, cand, qvec)
    kw = ix.keyword.scores_of(terms, cand)
    w = settings.dense_weight
    if terms and settings.rarity_shift:
        w = float(np.clip(w - settings.rarity_shift * (ix.keyword.rarity(terms) - 0.5), 0.05, 0.95))
    if not kw.any():
        w = 1.0
    score = w * _minmax(cos) + (1 - w) * (kw / kw.max() if kw.any() else kw)
    order = np.argsort(-score, kind="stable")
    return _diversify([(int(cand[i]), float(score[i])) for i in order], ix, k, settings)


def _same_paragraph(ix, a: int, b: int) -> bool:
    """Passages a < b are neighbours cut from one paragraph of one section."""
    pa, pb = ix.passages[a], ix.passages[b]
    if b != a + 1 or pa.doc_id != pb.doc_id or pa.section != pb.section:
        return False
    gap = ix.documents[pa.doc_id].text[pa.end:pb.start]
    return "\n\n" not in gap and not gap.strip()


def _diversify(ranked: list[tuple[int, float]], ix, k: int, settings: FusionSettings) -> list[tuple[tuple[int, ...], float]]:
    """Groups of passage ids with their score, best first.

    A passage cut from the same paragraph as a better one joins it (one result, not two). One
    document fills at most ``max_doc_share`` of the page while passages of other documents score
    at least ``other_doc_min`` of the best score; spare passages fill the page otherwise.
    """
    quota = max(1, math.ceil(settings.max_doc_share * k)) if settings.max_doc_share else k
    floor = (ranked[0][1] * settings.other_doc_min) if ranked else 0.0
    groups: list[list] = []          # [ids, score]
    deferred: list[tuple[int, float]] = []
    per_doc: dict[str, int] = {}
    for pid, score in ranked:
        if len(groups) == k:
            break
        joined = next((g for g in groups if len(g[0]) < 3 and (
            _same_paragraph(ix, g[0][-1], pid) or _same_paragraph(ix, pid, g[0][0]))), None)
        if joined is not None:
            joined[0] = sorted(joined[0] + [pid])
            continue
        doc = ix.passages[pid].doc_id
        if per_doc.get(doc, 0) >= quota or (per_doc and doc not in per_doc and score < floor and deferred):
            deferred.append((pid, score))
            continue
        groups.append([[pid], score])
        per_doc[doc] = per_doc.get(doc, 0) + 1
    for pid, score in deferred:
        if len(groups) == k:
            break
        groups.append([[pid], score])
    groups.sort(key=lambda g: -g[1])
    return [(tuple(ids), score) for ids, score in groups[:k]]
