"""Hybrid ranking: dense and keyword candidates, normalised score fusion, near-duplicate collapse.

The settings live in the index manifest, so a version always ranks the way it was built to.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, fields

import numpy as np

from .dense import search_dense


@dataclass(frozen=True)
class FusionSettings:
    dense_weight: float = 0.6      # share of meaning vs keywords for a question of average rarity
    rarity_shift: float = 0.0      # rarer query words move weight towards keywords by this much
    sentence_weight: float = 0.0   # share of a passage's best sentence in its dense score
    candidates: int = 100          # passages taken from each retriever before fusion
    per_doc_limit: int = 0         # most results from one document while others qualify; 0 is off

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


def fuse(ix, qvec: np.ndarray, terms: list[str], k: int, allowed: np.ndarray | None,
         settings: FusionSettings) -> list[tuple[int, float]]:
    """(passage id, score) of the best k passages, best first."""
    n = max(settings.candidates, 4 * k)
    dense = search_dense(ix.dense, qvec, n, allowed)
    kw_all = ix.keyword.scores(terms)
    if allowed is not None:
        mask = np.zeros(len(kw_all), dtype=bool)
        mask[allowed] = True
        kw_all = np.where(mask, kw_all, 0.0)
    kw_top = np.argpartition(-kw_all, min(n, len(kw_all) - 1))[:n] if len(kw_all) else np.empty(0, dtype=np.int64)
    kw_top = kw_top[kw_all[kw_top] > 0]
    cand = np.unique(np.concatenate([dense.ids, kw_top.astype(np.int64)]))
    if len(cand) == 0:
        return []
    cos = ix.vectors[cand] @ qvec
    if settings.sentence_weight:
        best = np.array([float((ix.sentence_vectors[ix.sentence_offsets[c]:ix.sentence_offsets[c + 1]] @ qvec).max(initial=-1))
                         for c in cand], dtype=np.float32)
        cos = (1 - settings.sentence_weight) * cos + settings.sentence_weight * np.maximum(best, cos)
    kw = kw_all[cand]
    w = settings.dense_weight
    if terms and settings.rarity_shift:
        w = float(np.clip(w - settings.rarity_shift * (ix.keyword.rarity(terms) - 0.5), 0.05, 0.95))
    if not kw.any():
        w = 1.0
    score = w * _minmax(cos) + (1 - w) * (kw / kw.max() if kw.any() else kw)
    order = np.argsort(-score, kind="stable")
    return _diversify([(int(cand[i]), float(score[i])) for i in order], ix, k, settings)


def _diversify(ranked: list[tuple[int, float]], ix, k: int, settings: FusionSettings) -> list[tuple[int, float]]:
    """Cap one document's share of the page while other documents qualify; spares fill the rest."""
    chosen: list[tuple[int, float]] = []
    per_doc: dict[str, int] = {}
    spare: list[tuple[int, float]] = []
    for pid, score in ranked:
        p = ix.passages[pid]
        if settings.per_doc_limit and per_doc.get(p.doc_id, 0) >= settings.per_doc_limit:
            spare.append((pid, score))
            continue
        chosen.append((pid, score))
        per_doc[p.doc_id] = per_doc.get(p.doc_id, 0) + 1
        if len(chosen) == k:
            return chosen
    return (chosen + spare)[:k]
