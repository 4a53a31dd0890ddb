"""Refit the confidence model: ``python -m search calibrate [--dev FILE] [--offtopic FILE]``.

Judged questions (``dev.jsonl`` format, label 1) and off-topic questions (one a line, ``#``
comments, label 0) are searched; the top result's signals of each are the training rows. The
report gives the cross-validated AUC of the top confidence (judged vs off-topic), the share of
judged questions "strong" and of off-topic ones "none" under held-out models, then the same for
the constants in ``confidence.py`` and a refit on every row, to paste there.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from . import confidence as C


def read_offtopic(path: Path) -> list[str]:
    """Questions one a line; blank lines and ``#`` comments skipped."""
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    return [s.strip() for s in lines if s.strip() and not s.lstrip().startswith("#")]


def read_judged(path: Path) -> list[str]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line)["query"] for line in fh if line.strip()]


def top_signals(engine, questions: list[str]) -> np.ndarray:
    """float [len(questions), len(FEATURES)]: the top result's signals for each question."""
    rows = []
    for q in questions:
        hit = engine.search(q, 10, explain=True).results[0]
        rows.append([hit.explain["signals"][f] for f in C.FEATURES])
    return np.array(rows, dtype=float)


def report(x: np.ndarray, y: np.ndarray, folds: int = 5) -> dict:
    """Cross-validated and fixed-constant figures for rows ``x`` [n, features] labelled ``y`` [n]."""
    held = np.mean([C.cross_validate(x, y, folds, seed) for seed in range(10)], axis=0)
    strong, weak = C.thresholds(held, y)
    fixed = np.array([C.confidence(C.Signals(*row)) for row in x])
    intercept, coef = C.fit_logistic(x, y)

    def shares(conf, strong_at, weak_at):
        matches = np.array([C.match_of(c, strong_at, weak_at) for c in conf])
        return {"auc": round(C.auc(conf[y == 1], conf[y == 0]), 4),
                "judged_strong": round(float((matches[y == 1] == "strong").mean()), 4),
                "offtopic_none": round(float((matches[y == 0] == "none").mean()), 4),
                "max_offtopic": round(float(conf[y == 0].max()), 4),
                "min_judged": round(float(conf[y == 1].min()), 4)}

    return {"n_judged": int(y.sum()), "n_offtopic": int((y == 0).sum()),
            "cross_validated": {**shares(held, strong, weak), "strong": round(strong, 3), "weak": round(weak, 3)},
            "constants": {**shares(fixed, C.STRONG, C.WEAK), "strong": C.STRONG, "weak": C.WEAK},
            "refit": {"intercept": round(intercept, 3),
                      "coefficients": {f: round(float(c), 3) for f, c in zip(C.FEATURES, coef)}}}


def calibrate(engine, judged_file: Path, offtopic_file: Path) -> dict:
    judged, offtopic = read_judged(judged_file), read_offtopic(offtopic_file)
    x = np.vstack([top_signals(engine, judged), top_signals(engine, offtopic)])
    y = np.array([1] * len(judged) + [0] * len(offtopic))
    return report(x, y)
