"""Keyword ranking with bm25s (BM25, English stemming and stop words) over the same passages.

The stop-word list is named in the manifest and questions are tokenized with the list their index
was built with, so an index keeps ranking as built after the default changes.
"""
from __future__ import annotations

from pathlib import Path

import bm25s
import numpy as np

from ...errors import REBUILD_HINT, IndexMismatch
from ...terms import DEFAULT_STOPWORDS, STOPWORDS, is_identifier, tokenize

def build_keyword(texts: list[str], stopwords: str = DEFAULT_STOPWORDS) -> bm25s.BM25:
    retriever = bm25s.BM25(k1=1.2, b=0.75)
    retriever.index(tokenize(texts, stopwords), show_progress=False)
    return retriever


def save_keyword(retriever: bm25s.BM25, folder: Path) -> None:
    retriever.save(str(folder), show_progress=False)


def load_keyword(folder: Path, count: int) -> bm25s.BM25:
    try:
        retriever = bm25s.BM25.load(str(folder), mmap=False, show_progress=False)
    except Exception as exc:  # bm25s raises whatever numpy or json raised on a damaged file
        raise IndexMismatch(f"the keyword index in {folder} is missing or damaged ({exc}); {REBUILD_HINT}") from exc
    if retriever.scores.get("num_docs") != count:
        raise IndexMismatch(f"the keyword index in {folder} covers {retriever.scores.get('num_docs')} passages, "
                            f"expected {count}; {REBUILD_HINT}")
    return retriever


class KeywordIndex:
    """BM25 scores for a question over every passage, plus each term's rarity (idf)."""

    def __init__(self, retriever: bm25s.BM25, stopwords: str = DEFAULT_STOPWORDS):
        if stopwords not in STOPWORDS:
            raise IndexMismatch(f"the keyword index uses an unknown stop-word list {stopwords!r}; {REBUILD_HINT}")
        self.retriever = retriever
        self.stopwords = stopwords
        self.vocab: dict[str, int] = retriever.vocab_dict
        self.count = int(retriever.scores["num_docs"])
        # Postings per term, as bm25s stores them: passage ids (ascending) and their BM25 share.
        self._indptr = retriever.scores["indptr"]
        self._passages = retriever.scores["indices"]
        self._weights = retriever.scores["data"]
        self._doc_freq = np.diff(self._indptr)  # passages holding each term

    def query_terms(self, question: str) -> list[str]:
        return [t for t in tokenize([question], self.stopwords)[0] if t in self.vocab]

    def scores(self, terms: list[str]) -> np.ndarray:
        if not terms:
            return np.zeros(self.count, dtype=np.float32)
        return np.asarray(self.retriever.get_scores(terms), dtype=np.float32)

    def _postings(self, terms: list[str]) -> list[tuple[np.ndarray, np.ndarray]]:
        spans = [(self._indptr[self.vocab[t]], self._indptr[self.vocab[t] + 1]) for t in terms if t in self.vocab]
        return [(self._passages[a:b], self._weights[a:b]) for a, b in spans]

    def top(self, terms: list[str], n: int, allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """The ``n`` best passages by BM25 as (ids, scores), best first; only passages holding a term.

        Reads only the postings of the question's terms and ranks only passages that can make the
        top ``n``, so it stays cheap on a large index. ``allowed`` (ids) keeps only those passages.
        """
        postings = self._postings(terms)
        total = sum(len(p) for p, _ in postings)
        if n <= 0 or total == 0:
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float32)
        if allowed is not None and len(allowed) * len(postings) < total:   # a small filter: look its passages up
            held = np.asarray(allowed, dtype=np.int64)
            scores = self.scores_of(terms, held)
        elif total * 16 < self.count:   # rare terms: sort their few postings rather than touch every passage
            held, inverse = np.unique(np.concatenate([p for p, _ in postings]), return_inverse=True)
            scores = np.bincount(inverse, np.concatenate([w for _, w in postings])).astype(np.float32)
            if allowed is not None:
                scores[~np.isin(held, allowed)] = 0
        else:
            every = self.scores(terms)
            if allowed is not None:
                kept = np.zeros_like(every)
                kept[allowed] = every[allowed]
                every = kept
            held = _contenders(every, n)
            scores = every[held]
        keep = scores > 0
        held, scores = held[keep], scores[keep]
        if len(held) > n:
            best = np.argpartition(-scores, n - 1)[:n]
            held, scores = held[best], scores[best]
        order = np.lexsort((held, -scores))
        return held[order].astype(np.int64), scores[order]

    def scores_of(self, terms: list[str], ids: np.ndarray) -> np.ndarray:
        """BM25 scores of the passages ``ids`` alone: a binary search in each term's postings."""
        ids = np.asarray(ids, dtype=np.int64)
        out = np.zeros(len(ids), dtype=np.float32)
        for passages, weights in self._postings(terms):
            if len(passages):
                at = np.minimum(np.searchsorted(passages, ids), len(passages) - 1)
                out += np.where(passages[at] == ids, weights[at], np.float32(0))
        return out

    def identifier_match(self, terms: list[str], ids: np.ndarray) -> np.ndarray:
        """1.0 for each passage of ``ids`` holding every identifier or figure the question names
        ("recommend_3", "cp1/2013", "7%"), else 0.0; all zeros when it names none.

        Meaning alone cannot tell Recommendation 3 from Recommendation 4: fusion can add this to
        rank the passage with exactly that identifier above its neighbours.
        """
        ids = np.asarray(ids, dtype=np.int64)
        wanted = [t for t in terms if is_identifier(t) and t in self.vocab]
        held = np.ones(len(ids), dtype=bool) if wanted else np.zeros(len(ids), dtype=bool)
        for passages, _ in self._postings(wanted):
            at = np.minimum(np.searchsorted(passages, ids), max(len(passages) - 1, 0))
            held &= (passages[at] == ids) if len(passages) else False
        return held.astype(np.float32)

    def term_rarity(self, terms: list[str]) -> dict[str, float]:
        """Each known term's normalised idf, 0 (in every passage) to 1 (in one)."""
        if not terms or self.count < 2:
            return {}
        df = np.array([self._doc_freq[self.vocab[t]] for t in terms], dtype=np.float64)
        idf = np.clip(np.log((self.count + 1) / (df + 0.5)) / np.log(self.count + 1), 0, 1)
        return {t: float(r) for t, r in zip(terms, idf)}

    def rarity(self, terms: list[str]) -> float:
        """Mean normalised idf of the question's known terms (each as often as it occurs), 0 to 1."""
        each = self.term_rarity(terms)
        return float(np.mean([each[t] for t in terms])) if each else 0.0


def _contenders(scores: np.ndarray, n: int, stride: int = 97) -> np.ndarray:
    """Ids of positive scores that include the ``n`` highest, without sorting the whole array.

    A strided sample sets a bar that about ``20 * n`` scores clear. When at least ``n`` clear it,
    the top ``n`` are certainly among them; otherwise every positive score is returned.
    """
    if len(scores) >= 100 * n:
        sample = scores[::stride]
        keep = max(1, 20 * n // stride)
        bar = np.partition(sample, len(sample) - keep)[len(sample) - keep]
        if bar > 0:
            held = np.flatnonzero(scores >= bar)
            if len(held) >= n:
                return held
    return np.flatnonzero(scores)
