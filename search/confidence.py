"""Match strength: a result's confidence from absolute signals, and an answer's match from its top result.

Fusion scores are scaled within each answer (the best is always near 1), so they cannot say
whether anything matches. Confidence is a logistic model of signals that mean the same thing for
every question:

    best_sentence   cosine of the passage's closest sentence to the question   (-1 .. 1)
    cosine          cosine of the whole passage                                 (-1 .. 1)
    coverage        share of the question's content words the passage holds,    (0 .. 1);
                    weighted by rarity (idf); words the index has never seen
                    count as missing, so nonsense and off-topic questions score low

    confidence = 1 / (1 + exp(-(INTERCEPT + sum(COEFFICIENTS[f] * signal[f]))))

The answer's ``match`` is "strong" when its top result's confidence is at least ``STRONG``,
"weak" when at least ``WEAK``, else "none". The constants are fixed, so results never depend on
a file; ``python -m search calibrate`` refits them (cross-validated) and prints new ones.

    >>> round(confidence(Signals(0.62, 0.55, 0.75)), 2) > round(confidence(Signals(0.15, 0.1, 0.0)), 2)
    True
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

FEATURES = ("best_sentence", "cosine", "coverage")

# Fitted by ``python -m search calibrate`` on the 55 judged questions of shared/eval/dev.jsonl
# (label 1) and the 60 off-topic questions of tests/offtopic.txt (label 0), top result of each,
# all-MiniLM-L6-v2 over the five seeds; L2 penalty 0.03 on standardised signals. Cross-validated
# (5 folds x 10 shuffles) AUC 0.999; the most confident off-topic question ("opening hours of the
# British Museum", which meets a passage on library opening hours) scores 0.65, so "weak" starts
# at 0.70 and "strong" at 0.75 (91% of judged questions, held out).
INTERCEPT = -5.552
COEFFICIENTS = {"best_sentence": 6.192, "cosine": 7.138, "coverage": 2.119}
STRONG = 0.75     # top result at least this confident: "strong"
WEAK = 0.70       # at least this: "weak"; below: "none"


@dataclass(frozen=True)
class Signals:
    """A result's absolute signals (see the module docstring)."""

    best_sentence: float
    cosine: float
    coverage: float

    def to_json(self) -> dict:
        return {k: round(float(v), 4) for k, v in asdict(self).items()}


def coverage(question_terms: list[str], rarity: dict[str, float], passage_terms: set[str]) -> float:
    """Share of the question's distinct content words (``question_terms``, known or not) that the
    passage holds, each weighted by its rarity (normalised idf, ``rarity``; at least 0.1). Words
    the index does not know (absent from ``rarity``) weigh 1 and are never held: missing the rare
    words of a question costs more than missing its common ones.

    >>> coverage(["union", "pay", "xyzzi"], {"union": 0.5, "pay": 0.5}, {"union", "staff"})
    0.25
    """
    asked = set(question_terms)
    if not asked:
        return 0.0
    weight = {t: max(0.1, rarity[t]) if t in rarity else 1.0 for t in asked}
    held = sum(w for t, w in weight.items() if t in rarity and t in passage_terms)
    return round(held / sum(weight.values()), 4)


def confidence(s: Signals, intercept: float = INTERCEPT, coefficients: dict | None = None) -> float:
    """The calibrated probability that the result answers the question, rounded to 4 places."""
    c = coefficients or COEFFICIENTS
    z = intercept + sum(c[f] * getattr(s, f) for f in FEATURES)
    return round(1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z)))), 4)


def match_of(top_confidence: float | None, strong: float = STRONG, weak: float = WEAK) -> str:
    """"strong", "weak" or "none" from the top result's confidence (None: no results)."""
    if top_confidence is None or top_confidence < weak:
        return "none"
    return "strong" if top_confidence >= strong else "weak"


# -- calibration (offline) ------------------------------------------------------------------

def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float = 0.03, steps: int = 50) -> tuple[float, np.ndarray]:
    """(intercept, coefficients) of an L2-penalised logistic regression by Newton's method.

    ``x`` float [n, features] (raw signals; standardised inside), ``y`` 0/1 [n].
    """
    mean, std = x.mean(0), x.std(0) + 1e-9
    z = np.hstack([np.ones((len(x), 1)), (x - mean) / std])
    w = np.zeros(z.shape[1])
    penalty = np.diag([0.0] + [l2 * len(x)] * x.shape[1])
    for _ in range(steps):
        p = 1 / (1 + np.exp(-np.clip(z @ w, -50, 50)))
        grad = z.T @ (p - y) + penalty @ w
        hess = (z * (p * (1 - p))[:, None]).T @ z + penalty + 1e-9 * np.eye(len(w))
        w -= np.linalg.solve(hess, grad)
    coef = w[1:] / std
    return float(w[0] - (coef * mean).sum()), coef


def auc(positives, negatives) -> float:
    """Probability that a random positive outscores a random negative (ties count half)."""
    pos, neg = np.asarray(positives, float), np.asarray(negatives, float)
    if not len(pos) or not len(neg):
        return float("nan")
    wins = (pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()
    return float(wins / (len(pos) * len(neg)))


def cross_validate(x: np.ndarray, y: np.ndarray, folds: int = 5, seed: int = 0, l2: float = 0.03) -> np.ndarray:
    """Held-out confidence of every row: each fold scored by a model fitted on the others."""
    order = np.random.default_rng(seed).permutation(len(y))
    out = np.zeros(len(y))
    for f in range(folds):
        test = order[f::folds]
        train = np.setdiff1d(order, test)
        b, c = fit_logistic(x[train], y[train], l2)
        out[test] = 1 / (1 + np.exp(-(b + x[test] @ c)))
    return out


def thresholds(conf: np.ndarray, y: np.ndarray, margin: float = 0.05) -> tuple[float, float]:
    """(strong, weak): "weak" starts ``margin`` above the most confident off-topic question (so every
    off-topic one is "none"), rounded up to 0.05; "strong" ``margin`` above that."""
    worst_negative = float(conf[y == 0].max()) if (y == 0).any() else 0.0
    weak = min(0.9, math.ceil((worst_negative + margin) * 20) / 20)
    return round(weak + margin, 2), weak
