"""Questions on their way to the model: a cache of recent ones, then batches of those arriving together.

The engine calls ``CachedEncoder.encode_query`` for every question; a miss goes through a
``QueryBatcher``, which encodes questions that arrive together in one forward pass.
"""
from __future__ import annotations

import os
import threading
from collections import OrderedDict

import numpy as np

from .base import Encoder


class QueryBatcher:
    """Questions that arrive together are encoded together, in one forward pass.

    A caller that finds a free lane encodes its own question along with every question waiting
    (up to ``max_batch``); a caller that finds every lane busy waits, and the next pass takes it.
    One question at a time is simply encoded. ``lanes`` passes run at once: one per core when torch
    runs each on one thread. A batch costs far less than its questions one by one, so under load
    the server answers more questions per second instead of queueing them.
    """

    def __init__(self, encoder: Encoder, lanes: int = 1, max_batch: int = 16):
        self.encoder = encoder
        self.max_batch = max_batch
        self._free_lanes = max(1, lanes)
        self._waiting: list[_Question] = []
        self._changed = threading.Condition()

    def encode(self, text: str) -> np.ndarray:
        """The question's float32 ``[dim]`` vector (a row of its batch's array); raises what the encoder raised."""
        mine = _Question(text)
        with self._changed:
            self._waiting.append(mine)
            while not mine.done:
                if self._free_lanes and self._waiting:
                    batch, self._waiting = self._waiting[:self.max_batch], self._waiting[self.max_batch:]
                    self._free_lanes -= 1
                    self._changed.release()
                    try:
                        _encode_into(self.encoder, batch)
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


def _encode_into(encoder: Encoder, batch: list[_Question]) -> None:
    try:
        for question, vector in zip(batch, encoder.encode([q.text for q in batch])):
            question.vector = vector
    except Exception as exc:  # every caller in the batch hears about it
        for question in batch:
            question.error = exc
    finally:
        for question in batch:
            if question.vector is None and question.error is None:
                question.error = RuntimeError("encoding was interrupted")


def default_lanes(encoder: Encoder) -> int:
    """Forward passes that fit the machine at once: its cores over torch's threads per pass."""
    return max(1, (os.cpu_count() or 1) // max(1, getattr(encoder, "threads", 1)))   # a stand-in may lack threads


class CachedEncoder:
    """A small LRU cache of query embeddings in front of an encoder (thread-safe).

    Misses go through a ``QueryBatcher``, so concurrent questions share forward passes. ``hits``
    and ``misses`` count lookups, so a benchmark or a health page can show the hit rate.
    """

    def __init__(self, encoder: Encoder, size: int = 1024, max_batch: int = 16):
        self.encoder = encoder
        self.size = size
        self.hits = 0
        self.misses = 0
        self._batcher = QueryBatcher(encoder, default_lanes(encoder), max_batch)
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def encode_query(self, text: str) -> np.ndarray:
        """The question's float32 ``[dim]`` unit vector, read-only and shared by later hits."""
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
