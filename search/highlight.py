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

import re
import unicodedata
from functools import lru_cache

import numpy as np

from .terms import APOSTROPHES, identifier_terms, nfkc, stemmer, word_spans

_APOSTROPHE_TABLE = {ord(a): "'" for a in APOSTROPHES}
ANSWER_FLOOR = 0.2   # a passage of one sentence is highlighted only when it is at least this close


def fold_map(text: str) -> tuple[str, str, list[int]]:
    """(folded text, NFKC-only text, source offset of each folded character; one extra at the end).

    Each base character and the combining marks after it fold together, so offsets map back to
    whole source characters. Linear in the text; ASCII text maps to itself.
    """
    if text.isascii():
        return text.lower(), text, list(range(len(text) + 1))
    plain = _straight(text)
    if unicodedata.is_normalized("NFKC", plain) and not _combining().search(plain):
        low = plain.casefold()
        if len(low) == len(plain):     # each character folds to one: offsets stay where they are
            return low, plain, list(range(len(text) + 1))
    return fold_by_character(text)


def fold_by_character(text: str) -> tuple[str, str, list[int]]:
    """``fold_map`` one character (with its combining marks) at a time: the general path."""
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


def _straight(text: str) -> str:
    """Curly apostrophes straight, as ``terms.nfkc`` makes them (one character for one)."""
    return text.translate(_APOSTROPHE_TABLE)


@lru_cache(maxsize=1)
def _combining():
    """A pattern matching any combining character (``unicodedata.combining`` not 0); built once."""
    marks = [chr(c) for c in range(0x300, 0x110000) if unicodedata.combining(chr(c))]
    return re.compile("[" + "".join(re.escape(m) for m in marks) + "]")


@lru_cache(maxsize=8192)
def _analysis(text: str) -> tuple[list[int], list[tuple[str, int, int]], list[tuple[str, int, int]]]:
    """(source offset of each folded character, (stem, start, end) of each word, (term, start, end) of
    each identifier) of a passage: what keyword highlighting needs, computed once per passage text."""
    folded, cased, origin = fold_map(text)
    words = list(word_spans(folded))
    distinct = list({w for w, _, _ in words})
    stem_of = dict(zip(distinct, stemmer().stemWords(distinct)))   # each word stemmed once
    return origin, [(stem_of[w], a, b) for w, a, b in words], list(identifier_terms(folded, cased))


def _source_span(origin: list[int], a: int, b: int) -> tuple[int, int]:
    end = origin[b] if b < len(origin) else origin[-1]
    if b > a and origin[b - 1] == end:   # the folded range ends inside one source character
        end = next((o for o in origin[b:] if o > end), origin[-1])
    return origin[a], end


def keyword_ranges(text: str, stems: set[str]) -> list[tuple[int, int]]:
    """Source ranges of the words and identifiers of ``text`` whose terms are in ``stems``."""
    if not stems:
        return []
    origin, words, identifiers = _analysis(text)
    spans = [(a, b) for stem, a, b in words if stem in stems]
    spans += [(a, b) for term, a, b in identifiers if term in stems]
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
