"""Keyword ranking with bm25s (BM25, English stemming and stop words) over the same passages."""
from __future__ import annotations

import functools
import re
from pathlib import Path

import bm25s
import numpy as np

from .errors import IndexMismatch
from .store import REBUILD_HINT

_TOKEN = r"(?u)\b\w\w+\b"


@functools.lru_cache(maxsize=1)
def _stemmer():
    import Stemmer

    return Stemmer.Stemmer("english")


def tokenize(texts: list[str]) -> list[list[str]]:
    """Lower-cased, stop words removed, stemmed tokens: the same for passages and questions."""
    return bm25s.tokenize(texts, lower=True, token_pattern=_TOKEN, stopwords="en", stemmer=_stemmer(),
                          return_ids=False, show_progress=False)


def build_keyword(texts: list[str]) -> bm25s.BM25:
    retriever = bm25s.BM25(k1=1.2, b=0.75)
    retriever.index(tokenize(texts), show_progress=False)
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

    def __init__(self, retriever: bm25s.BM25):
        self.retriever = retriever
        self.vocab: dict[str, int] = retriever.vocab_dict
        self.count = int(retriever.scores["num_docs"])
        indptr = retriever.scores["indptr"]
        self._doc_freq = np.diff(indptr)  # passages holding each term

    def query_terms(self, question: str) -> list[str]:
        return [t for t in tokenize([question])[0] if t in self.vocab]

    def scores(self, terms: list[str]) -> np.ndarray:
        if not terms:
            return np.zeros(self.count, dtype=np.float32)
        return np.asarray(self.retriever.get_scores(terms), dtype=np.float32)

    def rarity(self, terms: list[str]) -> float:
        """Mean normalised idf of the question's known terms, 0 (common) to 1 (unique)."""
        if not terms or self.count < 2:
            return 0.0
        df = np.array([self._doc_freq[self.vocab[t]] for t in terms], dtype=np.float64)
        idf = np.log((self.count + 1) / (df + 0.5))
        return float(np.clip(idf / np.log(self.count + 1), 0, 1).mean())


def words(text: str) -> list[str]:
    return re.findall(_TOKEN, text.lower())
