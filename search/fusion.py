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
    identifier_weight: float = 0.25  # added when a passage holds every identifier or figure the question names

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


def fuse(cands: Candidates, k: int, settings: FusionSettings) -> list[tuple[tuple[int, ...], float]]:
    """(passage ids, score) of the best k results, best first; a result may join adjacent passages.

    Normalised score fusion: the dense score (``sentence_weight`` of it from the best sentence) is
    min-max scaled over the candidates, BM25 is divided by its best, and the two are mixed by
    ``dense_weight``; with no keyword match the dense score alone ranks. A passage holding every
    identifier or figure the question names ("recommendation 3", "CP1/2013", "7%") gains
    ``identifier_weight``, so the exact item ranks above neighbours that read alike.
    """
    if len(cands.ids) == 0:
        return []
    cos = cands.cosine
    if settings.sentence_weight:
        cos = (1 - settings.sentence_weight) * cos + settings.sentence_weight * cands.best_sentence
    kw = cands.bm25
    w = settings.dense_weight
    if kw.any() and settings.rarity_shift:
        w = float(np.clip(w - settings.rarity_shift * (cands.rarity - 0.5), 0.05, 0.95))
    if not kw.any():
        w = 1.0
    score = w * _minmax(cos) + (1 - w) * (kw / kw.max() if kw.any() else kw)
    if settings.identifier_weight and cands.identifier is not None and cands.identifier.any():
        # "recommendation 3" means that item, not its neighbours 4 and 13 that read the same
        score = score + settings.identifier_weight * cands.identifier
    order = np.argsort(-score, kind="stable")
    return _diversify([(int(i), float(score[i])) for i in order], cands, k, settings)


def _diversify(ranked: list[tuple[int, float]], cands: Candidates, k: int,
               settings: FusionSettings) -> list[tuple[tuple[int, ...], float]]:
    """Groups of passage ids with their score, best first; ``ranked`` holds (candidate row, score).

    A passage cut from the same paragraph as a better one joins it (one result, not two). One
    document fills at most ``max_doc_share`` of the page while passages of other documents score
    at least ``other_doc_min`` of the best score; spare passages fill the page otherwise.
    """
    ids = cands.ids

    def same_paragraph(a: int, b: int) -> bool:   # rows a, b: passage b continues passage a's paragraph
        return int(ids[b]) == int(ids[a]) + 1 and bool(cands.joins_previous[b])

    quota = max(1, math.ceil(settings.max_doc_share * k)) if settings.max_doc_share else k
    floor = (ranked[0][1] * settings.other_doc_min) if ranked else 0.0
    groups: list[list] = []          # [rows sorted by passage id, score]
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
        groups.append([[row], score])
        per_doc[doc] = per_doc.get(doc, 0) + 1
    for row, score in deferred:
        if len(groups) == k:
            break
        groups.append([[row], score])
    groups.sort(key=lambda g: -g[1])
    return [(tuple(int(ids[r]) for r in rows), score) for rows, score in groups[:k]]
