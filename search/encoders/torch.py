"""The model through sentence-transformers on PyTorch, offline; and ``LazyEncoder``, which loads either backend late.

torch and sentence-transformers are imported when a model is built, never when this module is
imported, so ``import search.encoders`` stays light.
"""
from __future__ import annotations

import os
import threading
from typing import Callable

import numpy as np

from .batching import BATCH_TOKENS, TokenBatched, TokenCounter
from .models import ModelFiles


def default_model() -> ModelFiles:
    """The default model (all-MiniLM-L6-v2 from its package), its checksum remembered in the default cache."""
    from ..settings import Settings
    from .models import resolve_model

    settings = Settings()
    return resolve_model(settings.model, settings.model_cache)


class TorchEncoder(TokenBatched):
    """A sentence-transformers model on PyTorch on the CPU. Loading takes seconds: once per process.

    ``model`` defaults to all-MiniLM-L6-v2 from the installed package. ``threads`` sets torch's
    intra-op threads for the whole process (``torch.set_num_threads``); None leaves torch's default
    (one per core). ``encode`` runs in batches of about ``batch_tokens`` padded word pieces
    (``batching.py``).
    """

    def __init__(self, threads: int | None = None, batch_tokens: int = BATCH_TOKENS, model: ModelFiles | None = None):
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        import torch
        from sentence_transformers import SentenceTransformer

        model = model or default_model()
        if threads:
            torch.set_num_threads(threads)
        self._model = SentenceTransformer(str(model.folder), device="cpu", local_files_only=True)
        get_dim = getattr(self._model, "get_embedding_dimension", None) or self._model.get_sentence_embedding_dimension
        self.name, self.dim, self.checksum = model.name, int(get_dim()), model.sha256
        self.max_tokens = int(self._model.max_seq_length)
        self.batch_tokens = batch_tokens
        self._count = TokenCounter(self._model)
        self.threads = torch.get_num_threads()
        self.lanes = 1   # torch's intra-op threads are the process's: one call at a time uses them all
        self.details = {"backend": "torch", "precision": "fp32"}


class LazyEncoder:
    """A model's name, dimension and checksum at once; the model itself loads on the first encode.

    A build with nothing to embed (nothing changed) then finishes in a second instead of paying
    for loading the model. ``load()`` builds the real encoder (default: ``TorchEncoder(threads)``
    over the default model). Thread-safe: concurrent first calls load one model.
    """

    def __init__(self, threads: int | None = None, model: ModelFiles | None = None,
                 load: Callable[[], object] | None = None, backend: str = "torch"):
        model = model or default_model()
        self.name, self.dim, self.checksum = model.name, model.dim, model.sha256
        self._threads = threads
        self._load = load or (lambda: TorchEncoder(threads, model=model))
        self._backend = backend
        self._model = None
        self._preloading = False
        self._lock = threading.Lock()

    @property
    def threads(self) -> int:
        """The loaded model's threads; before loading, those asked for (1 when the runtime is to choose)."""
        return self._model.threads if self._model is not None else (self._threads or 1)

    @property
    def details(self) -> dict:
        """The backend's description for the manifest (its full one once loaded)."""
        return self._model.details if self._model is not None else {"backend": self._backend}

    def preload(self) -> None:
        """Start loading the model in a background thread and return at once; the first ``encode``
        then waits for it. A build calls this when it meets the first document to embed, so the
        import of sentence-transformers (about 10 s in a fresh process) and the model's loading
        overlap the reading of documents, which runs in worker processes. A load that fails
        there fails again, and raises, in the ``encode`` that needs it."""
        with self._lock:
            if self._model is not None or self._preloading:
                return
            self._preloading = True

        def load() -> None:
            try:
                self.loaded()
            except BaseException:   # noqa: BLE001 - raised again by the encode that needs the model
                pass

        threading.Thread(target=load, name="preload-model", daemon=True).start()

    def loaded(self):
        """The real encoder, loading it the first time."""
        with self._lock:
            if self._model is None:
                self._model = self._load()
        return self._model

    def encode(self, texts: list[str], progress: bool = False) -> np.ndarray:
        """As the real encoder's ``encode``; the first call loads the model."""
        return self.loaded().encode(texts, progress)

    @property
    def lanes(self) -> int:
        """Batches the loaded encoder runs at once (1 before it is loaded)."""
        return getattr(self._model, "lanes", 1) if self._model is not None else 1

    def plan(self, texts: list[str]) -> list[np.ndarray]:
        """The loaded encoder's batches for ``texts`` (row indices); the first call loads the model."""
        return self.loaded().plan(texts)
