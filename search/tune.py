"""Fit the fusion settings to judged questions, by cross-validation, without encoding anything twice.

    report = tune(store, encoder, questions, folds=5)
    print(report.summary())          # held-out nDCG@10 before and after, fold by fold
    if report.improved: publish report.fitted through build_index(..., fusion=report.fitted)

Each question is encoded and retrieved once, with a generous pool of candidates (the largest
``candidates`` tried, from each retriever); every setting of the grid is then scored by fusing
those cached arrays again (``fusion.fuse_rows``), exactly as the engine would: the top ``c`` by
meaning united with the top ``c`` by keywords, copies of one text collapsed, paragraphs joined,
one document's share of the page. Scoring follows ``evaluate.score_question`` (nDCG@10).

k-fold cross-validation (questions shuffled with a fixed seed): each fold picks the best setting
on the other folds and is scored held out. The fitted settings are published only when the
held-out nDCG@10 over all folds beats today's settings; ties keep today's settings.
"""
from __future__ import annotations

import itertools
import random
from dataclasses import dataclass, field, replace

import numpy as np

from .encoders import CachedEncoder
from .passages import body_key, join_passages, keep_rows
from .evaluate import score_question
from .fusion import FusionSettings, fuse_rows
from .stores.base import Candidates, Query, Store
from .terms import nfkc

GRID = {
    "dense_weight": (0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.75, 0.8, 0.9),
    "sentence_weight": (0.0, 0.25, 0.5, 0.75),
    "candidates": (50, 100, 200),
    "max_doc_share": (0.0, 0.5, 0.7),
}
K = 10   # nDCG@10, as the judged questions are scored


def grid(current: FusionSettings) -> list[FusionSettings]:
    """Every combination of ``GRID`` on top of ``current``, with ``current`` itself first."""
    names = list(GRID)
    out = [current]
    for values in itertools.product(*(GRID[n] for n in names)):
        setting = replace(current, **dict(zip(names, values)))
        if setting != current:
            out.append(setting)
    return out


@dataclass
class Question:
    """One judged question's cached retrieval: the candidate pool and each candidate's ranks."""

    judged: dict
    pool: Candidates
    dense_rank: np.ndarray      # int [n]: rank of each candidate by cosine (0 best)
    keyword_rank: np.ndarray    # int [n]: rank by BM25 among those with a keyword match; large without one
    text_key: np.ndarray        # int [n]: equal for candidates of one text (``engine.collapse_duplicates``'s rule)


def _ranks(x: np.ndarray) -> np.ndarray:
    out = np.empty(len(x), dtype=np.int64)
    out[np.argsort(-x, kind="stable")] = np.arange(len(x))
    return out


def prepare(store: Store, encoder, questions: list[dict], pool: int) -> list[Question]:
    """Encode and retrieve each question once (``pool`` candidates from each retriever)."""
    cached = CachedEncoder(encoder) if not hasattr(encoder, "encode_query") else encoder
    out = []
    for q in questions:
        text = q["query"].strip()   # as the engine searches it
        vector = cached.encode_query(text if text.isascii() else nfkc(text))
        cands = store.candidates(Query(vector, store.query_terms(text), None), pool)
        keyword = np.where(cands.bm25 > 0, _ranks(cands.bm25), np.iinfo(np.int64).max)
        bodies = [body_key(p) for p in store.passages(cands.ids)]
        keys = {b: n for n, b in reversed(list(enumerate(bodies)))}
        out.append(Question(q, cands, _ranks(cands.cosine), keyword, np.array([keys[b] for b in bodies], np.int64)))
    return out


class Scorer:
    """nDCG@10 of each question under a setting, from its cached pool; repeated rankings are scored once."""

    def __init__(self, store: Store, questions: list[Question]):
        self.store = store
        self.questions = questions
        self.texts = {d: store.document(d).text for d in store.document_ids()}
        self._memo: dict[tuple, float] = {}

    def score(self, n: int, setting: FusionSettings) -> float:
        q = self.questions[n]
        c = setting.candidates
        keep = (q.dense_rank < c) | (q.keyword_rank < c)
        rows = np.flatnonzero(keep)
        _, first = np.unique(q.text_key[rows], return_index=True)   # ids ascend: the first is the lowest id
        keep = np.zeros(len(keep), dtype=bool)
        keep[rows[first]] = True
        cands = keep_rows(q.pool, keep)
        groups = tuple(tuple(int(cands.ids[r]) for r in rows) for rows, _, _ in fuse_rows(cands, K, setting))
        key = (n, groups)
        if key not in self._memo:
            self._memo[key] = score_question(q.judged, [self._result(ids) for ids in groups], self.texts, K)["ndcg10"]
        return self._memo[key]

    def _result(self, ids: tuple[int, ...]) -> dict:
        passages = self.store.passages(ids)
        p = passages[0] if len(ids) == 1 else join_passages(passages, self.texts[passages[0].doc_id])
        return {"text": p.text, "citation": {"doc": p.doc_id, "start": p.start, "end": p.end,
                                             "section": list(p.section)}}


@dataclass
class Fold:
    held_out: int
    before: float
    after: float
    chosen: FusionSettings


@dataclass
class TuneReport:
    current: FusionSettings
    fitted: FusionSettings
    folds: list[Fold] = field(default_factory=list)
    before: float = 0.0          # held-out nDCG@10 of today's settings, over every question
    after: float = 0.0           # held-out nDCG@10 of the settings each fold chose
    questions: int = 0
    settings_tried: int = 0
    min_gain: float = 0.0        # held-out nDCG@10 the fitted settings must gain to be published

    @property
    def improved(self) -> bool:
        return self.after > self.before + max(self.min_gain, 1e-9) and self.fitted != self.current

    def summary(self) -> str:
        lines = [f"{self.questions} judged questions, {len(self.folds)} folds, {self.settings_tried} settings tried"]
        for n, f in enumerate(self.folds, start=1):
            lines.append(f"fold {n}: {f.held_out} held out, nDCG@10 before {f.before:.3f} after {f.after:.3f} "
                         f"({describe(f.chosen)})")
        lines.append(f"held-out nDCG@10: before {self.before:.3f}, after {self.after:.3f}")
        if self.improved:
            lines.append(f"fitted on every question: {describe(self.fitted)} (was {describe(self.current)})")
        elif self.after > self.before + 1e-9 and self.fitted != self.current:
            lines.append(f"held-out gain {self.after - self.before:.4f} is under the minimum {self.min_gain:g}: "
                         f"keeping {describe(self.current)} (the best fit on every question was {describe(self.fitted)})")
        else:
            lines.append(f"no improvement held out: keeping {describe(self.current)}")
        return "\n".join(lines)


def describe(s: FusionSettings) -> str:
    return (f"dense {s.dense_weight:g} / keyword {1 - s.dense_weight:g}, sentence {s.sentence_weight:g}, "
            f"candidates {s.candidates}, document share {s.max_doc_share:g}")


def tune(store: Store, encoder, questions: list[dict], folds: int = 5, seed: int = 0,
         current: FusionSettings | None = None, min_gain: float = 0.0) -> TuneReport:
    """Cross-validated choice of fusion settings over ``GRID`` (see the module's docstring); ``improved``
    only when the held-out nDCG@10 gains more than ``min_gain``.

    ``questions`` are judged questions (dev.jsonl format) whose quotes are in the store's documents;
    ``ValueError`` when fewer than two.
    """
    if len(questions) < 2:
        raise ValueError("tuning needs at least two judged questions")
    current = current or FusionSettings.from_dict(store.info().get("fusion", {}))
    settings = grid(current)
    prepared = prepare(store, encoder, questions, max(s.candidates for s in settings))
    scorer = Scorer(store, prepared)
    scores = np.array([[scorer.score(n, s) for n in range(len(prepared))] for s in settings])   # [settings, questions]
    order = list(range(len(prepared)))
    random.Random(seed).shuffle(order)
    k = min(folds, len(order))
    report = TuneReport(current, current, questions=len(order), settings_tried=len(settings), min_gain=min_gain)
    held = np.zeros(len(order))
    for f in range(k):
        test = order[f::k]
        train = [i for i in order if i not in set(test)]
        best = _best(scores[:, train])
        held[test] = scores[best, test]
        report.folds.append(Fold(len(test), float(scores[0, test].mean()), float(scores[best, test].mean()),
                                 settings[best]))
    report.before, report.after = float(scores[0].mean()), float(held.mean())
    report.fitted = settings[_best(scores)]
    return report


def _best(scores: np.ndarray) -> int:
    """The row with the highest mean; the first (today's settings) wins ties."""
    means = scores.mean(axis=1)
    return int(np.flatnonzero(means >= means.max() - 1e-12)[0])
