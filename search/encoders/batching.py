"""Batches sized in tokens: how a build feeds texts of every length to a transformer on a CPU.

A forward pass pads every text of a batch to the batch's longest, so its cost is about
``texts x longest`` word pieces (plus attention, quadratic in ``longest``). sentence-transformers
cuts a fixed number of texts per batch (32 by default) after sorting by characters: 32 passages
of 250 word pieces make activations of tens of megabytes per layer, far beyond the CPU's caches,
while 32 sentences of 10 word pieces leave each matrix product too small to use the cores well.
``token_batches`` instead groups texts, longest first, so each batch holds about ``budget`` padded
word pieces: few long texts together, many short ones. Measured on the seeds' 1,981 passages and
sentences (2 cores, fp32): ONNX Runtime 39 s at 32 texts a batch, 26 s at 8, 21-23 s at 1,024
tokens, 18 s at 512 tokens with two batches at once on one thread each (``lanes``); PyTorch
34.5 s at 32 texts, 26 s at 1,024 tokens (the README's build table).

The same idea is token-budget batching in training and serving systems (fairseq's
``--max-tokens``, Hugging Face TGI's ``max_batch_total_tokens``); here it is only a grouping of
the texts, so the vectors are the model's own (cosine to a 32-a-batch encode >= 0.9999998).
"""
from __future__ import annotations

import copy
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np

BATCH_TOKENS = 512     # padded word pieces per forward pass (measured above)
MOST_TEXTS = 256       # texts per forward pass at most, however short


def token_batches(lengths, budget: int = BATCH_TOKENS, most: int = MOST_TEXTS) -> list[np.ndarray]:
    """Row indices of ``lengths`` (word pieces per text) in batches for encoding.

    Rows are taken longest first (ties in row order); a batch whose longest text has ``L`` word
    pieces holds ``max(1, min(most, budget // L))`` rows. Returns a list of int64 arrays that
    together hold every row once; ``[]`` for no rows. A batch given back to this function (its own
    lengths) comes out as one batch, so encoding batch by batch repeats one call exactly.
    """
    lengths = np.asarray(lengths, dtype=np.int64)
    order = np.argsort(-lengths, kind="stable")
    batches, a = [], 0
    while a < len(order):
        longest = max(int(lengths[order[a]]), 1)
        size = max(1, min(most, budget // longest))
        batches.append(order[a:a + size])
        a += size
    return batches


class TokenCounter:
    """Word pieces (with the special tokens, cut at the model's ``max_seq_length``) that a
    sentence-transformers ``model`` feeds the network for each text: ``counter(texts) -> list[int]``.

    It counts on its own copy of the model's tokenizer, under a lock. A Hugging Face fast tokenizer
    changes its Rust state when a call asks for other padding or truncation than the last one, and
    two threads doing that at once fail with ``RuntimeError: Already borrowed``; the model's own
    tokenizer is left to sentence-transformers' ``encode``, which always asks the same.
    """

    def __init__(self, model):
        self._tokenizer = copy.deepcopy(model.tokenizer)
        self._cut = int(model.max_seq_length)
        self._lock = threading.Lock()

    def __call__(self, texts: list[str]) -> list[int]:
        with self._lock:
            ids = self._tokenizer(list(texts), add_special_tokens=True, truncation=True, max_length=self._cut)
        return [len(row) for row in ids["input_ids"]]


def plan_batches(count, texts: list[str], budget: int = BATCH_TOKENS) -> list[np.ndarray]:
    """``token_batches`` of ``texts``, their lengths from ``count`` (a ``TokenCounter``); one text is
    one batch, without counting it."""
    if len(texts) <= 1:
        return [np.arange(len(texts))] if texts else []
    return token_batches(count(texts), budget)


def encode_in_token_batches(model, count, texts: list[str], dim: int, budget: int = BATCH_TOKENS,
                            progress: bool = False, lanes: int = 1) -> np.ndarray:
    """float32 ``[len(texts), dim]``, L2-normalised: a sentence-transformers ``model``'s vectors for
    ``texts``, encoded in ``plan_batches`` (lengths from ``count``, a ``TokenCounter``), ``lanes``
    batches at a time from as many threads (for a runtime that releases the GIL and runs calls side
    by side, as ONNX Runtime does). ``progress`` shows a bar counted in texts."""
    from tqdm import tqdm

    texts = list(texts)
    out = np.zeros((len(texts), dim), dtype=np.float32)
    batches = plan_batches(count, texts, budget)

    def run(rows: np.ndarray) -> int:
        vectors = model.encode([texts[i] for i in rows], batch_size=len(rows), convert_to_numpy=True,
                               normalize_embeddings=True, show_progress_bar=False)
        out[rows] = np.asarray(vectors, dtype=np.float32).reshape(len(rows), dim)
        return len(rows)

    with tqdm(total=len(texts), unit=" texts", desc="encoding", disable=not progress) as bar:
        if lanes > 1 and len(batches) > 1:
            with ThreadPoolExecutor(min(lanes, len(batches)), thread_name_prefix="encode") as pool:
                for n in pool.map(run, batches):
                    bar.update(n)
        else:
            for rows in batches:
                bar.update(run(rows))
    return out


class TokenBatched:
    """``encode`` and ``plan`` for an encoder over a sentence-transformers model, in token batches.

    The encoder sets ``_model`` (the model), ``_count`` (its ``TokenCounter``), ``dim``,
    ``batch_tokens`` (the budget) and ``lanes`` (batches run at once).
    """

    def encode(self, texts: list[str], progress: bool = False) -> np.ndarray:
        """float32 ``[len(texts), dim]``, L2-normalised; ``progress`` shows a bar counted in texts."""
        return encode_in_token_batches(self._model, self._count, texts, self.dim, self.batch_tokens, progress,
                                       self.lanes)

    def plan(self, texts: list[str]) -> list[np.ndarray]:
        """The batches ``encode`` cuts ``texts`` into (row indices, ``plan_batches``)."""
        return plan_batches(self._count, texts, self.batch_tokens)
