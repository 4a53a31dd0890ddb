"""Highlights: which characters of a passage answer the question.

Two kinds, as ranges within the passage text: ``answer`` for the sentence(s) closest in meaning
to the question (precomputed sentence vectors, same model; headings are not among the sentences,
see ``sentences.sentence_spans``), ``keyword`` for the question's terms: words matched by stem
(so "oppose" marks "opposed"), identifiers and figures whole ("Recommendation 3", "£1.5bn").

Matching reads the passage folded as ``terms.fold`` folds it (NFKC, case, apostrophes), and every
range is mapped back to the passage's own characters: ``ﬁnancial`` or ``w`` plus a combining accent
is marked where it stands in the source.

    >>> text = "Recommendation 3: the ﬁnancial cost was £1.5bn."
    >>> [text[a:b] for a, b in keyword_ranges(text, {"recommend_3", "financi", "£1.5bn"})]
    ['Recommendation 3', 'ﬁnancial', '£1.5bn']
"""
from __future__ import annotations

import unicodedata

import numpy as np

from .terms import identifier_terms, nfkc, stemmer, word_spans

ANSWER_FLOOR = 0.2   # a passage of one sentence is highlighted only when it is at least this close


def fold_map(text: str) -> tuple[str, str, list[int]]:
    """(folded text, NFKC-only text, source offset of each folded character; one extra at the end).

    Each base character and the combining marks after it fold together, so offsets map back to
    whole source characters. Linear in the text; ASCII text maps to itself.
    """
    if text.isascii():
        return text.lower(), text, list(range(len(text) + 1))
    folded, cased, origin = [], [], []
    i, n = 0, len(text)
    while i < n:
        j = i + 1
        while j < n and unicodedata.combining(text[j]):
            j += 1
        piece = nfkc(text[i:j])
        low = piece.casefold()
        folded.append(low)
        cased.append(piece if len(piece) == len(low) else low)
        origin.extend([i] * len(low))
        i = j
    origin.append(n)
    return "".join(folded), "".join(cased), origin


def _source_span(origin: list[int], a: int, b: int) -> tuple[int, int]:
    end = origin[b] if b < len(origin) else origin[-1]
    if b > a and origin[b - 1] == end:   # the folded range ends inside one source character
        end = next((o for o in origin[b:] if o > end), origin[-1])
    return origin[a], end


def keyword_ranges(text: str, stems: set[str]) -> list[tuple[int, int]]:
    """Source ranges of the words and identifiers of ``text`` whose terms are in ``stems``."""
    if not stems:
        return []
    folded, cased, origin = fold_map(text)
    words = list(word_spans(folded))
    distinct = list({w for w, _, _ in words})
    hits = {w for w, s in zip(distinct, stemmer().stemWords(distinct)) if s in stems}   # each word stemmed once
    spans = [(a, b) for w, a, b in words if w in hits]
    spans += [(a, b) for term, a, b in identifier_terms(folded, cased) if term in stems]
    return _merge(sorted(_source_span(origin, a, b) for a, b in spans))


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Overlapping ranges as one ("CP1/2013" and its part "CP1" mark one range)."""
    out: list[list[int]] = []
    for a, b in spans:
        if out and a < out[-1][1]:
            out[-1][1] = max(out[-1][1], b)
        else:
            out.append([a, b])
    return [(a, b) for a, b in out]


def answer_ranges(sentences: list[tuple[int, int]], similarities: np.ndarray, margin: float = 0.05,
                  limit: int = 2, floor: float = ANSWER_FLOOR) -> list[tuple[int, int]]:
    """The best sentence, and the next best one if it is nearly as close.

    A passage of one sentence gets it when it is at least ``floor`` close to the question.
    """
    if not sentences or len(similarities) != len(sentences):
        return []
    order = np.argsort(-similarities)
    best = float(similarities[order[0]])
    if len(sentences) == 1:
        return [sentences[0]] if best >= floor else []
    chosen = [int(i) for i in order[:limit] if best - float(similarities[i]) <= margin]
    return sorted(sentences[i] for i in chosen)


def highlights(text: str, sentences: list[tuple[int, int]], similarities: np.ndarray,
               stems: set[str]) -> list[dict]:
    out = [{"start": a, "end": b, "kind": "answer"} for a, b in answer_ranges(sentences, similarities)]
    out += [{"start": a, "end": b, "kind": "keyword"} for a, b in keyword_ranges(text, stems)]
    return sorted(out, key=lambda h: (h["start"], h["kind"]))
