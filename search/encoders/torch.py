"""The real model through sentence-transformers on PyTorch, offline.

torch and sentence-transformers are imported when a model is built, never when this module is
imported, so ``import search.encoders`` stays light.
"""
from __future__ import annotations

import json
import os
import threading

import numpy as np

from .base import MODEL_NAME, model_path


class TorchEncoder:
    """all-MiniLM-L6-v2 from the installed package on the CPU. Loading takes seconds: once per process.

    ``threads`` sets torch's intra-op threads for the whole process (``torch.set_num_threads``);
    None leaves torch's default (one per core). ``encode`` runs in batches of ``batch_size`` texts.
    """

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
        """float32 ``[len(texts), dim]``, L2-normalised; ``progress`` shows sentence-transformers' bar."""
        vectors = self._model.encode(list(texts), batch_size=self.batch_size, convert_to_numpy=True,
                                     normalize_embeddings=True, show_progress_bar=progress)
        return np.ascontiguousarray(vectors, dtype=np.float32).reshape(len(texts), self.dim)


class LazyEncoder:
    """The real model's name and dimension at once; the model itself loads on the first encode.

    A build with nothing to embed (nothing changed) then finishes in a second instead of paying
    for loading torch and the model. The dimension is read from the model's pooling config.
    Thread-safe: concurrent first calls load one model.
    """

    name = MODEL_NAME

    def __init__(self, threads: int | None = None):
        pooling = json.loads((model_path() / "1_Pooling" / "config.json").read_text(encoding="utf-8"))
        self.dim = int(pooling["word_embedding_dimension"])
        self._threads = threads
        self._model: TorchEncoder | None = None
        self._lock = threading.Lock()

    @property
    def threads(self) -> int:
        """The loaded model's threads; before loading, those asked for (1 when torch is to choose)."""
        return self._model.threads if self._model is not None else (self._threads or 1)

    def encode(self, texts: list[str], progress: bool = False) -> np.ndarray:
        """As ``TorchEncoder.encode``; the first call loads the model."""
        with self._lock:
            if self._model is None:
                self._model = TorchEncoder(self._threads)
        return self._model.encode(texts, progress)
