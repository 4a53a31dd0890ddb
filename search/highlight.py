"""Highlights: which characters of a passage answer the question.

Two kinds, as ranges within the passage text: ``answer`` for the sentence(s) closest in meaning
to the question (precomputed sentence vectors, same model), ``keyword`` for the question's words
(matched by stem, so "oppose" marks "opposed").
"""
from __future__ import annotations

import re

import numpy as np

from .terms import stemmer

_WORD = re.compile(r"\w\w+")


def keyword_ranges(text: str, stems: set[str]) -> list[tuple[int, int]]:
    if not stems:
        return []
    matches = list(_WORD.finditer(text))
    words = {m.group().lower() for m in matches}
    hits = {w for w, s in zip(words, stemmer().stemWords(list(words))) if s in stems}   # each word stemmed once
    return [m.span() for m in matches if m.group().lower() in hits]


def answer_ranges(sentences: list[tuple[int, int]], similarities: np.ndarray, margin: float = 0.05,
                  limit: int = 2) -> list[tuple[int, int]]:
    """The best sentence, and the next best one if it is nearly as close; none for one-sentence passages."""
    if len(sentences) < 2 or len(similarities) != len(sentences):
        return []
    order = np.argsort(-similarities)
    best = float(similarities[order[0]])
    chosen = [int(i) for i in order[:limit] if best - float(similarities[i]) <= margin]
    return sorted(sentences[i] for i in chosen)


def highlights(text: str, sentences: list[tuple[int, int]], similarities: np.ndarray,
               stems: set[str]) -> list[dict]:
    out = [{"start": a, "end": b, "kind": "answer"} for a, b in answer_ranges(sentences, similarities)]
    out += [{"start": a, "end": b, "kind": "keyword"} for a, b in keyword_ranges(text, stems)]
    return sorted(out, key=lambda h: (h["start"], h["kind"]))
