"""Encoders: texts to unit vectors, chosen by settings.

``load_encoder(settings)`` is the one place a model is built. Two settings choose it:

- ``settings.model`` (``SEARCH_MODEL``) names the model (``models.py``): all-MiniLM-L6-v2 from its
  installed package by default, the optional all-mpnet-base-v2, or any sentence-transformers folder;
- ``settings.backend`` (``SEARCH_BACKEND``) its runtime: ``"onnx"`` (the default; ONNX Runtime through
  sentence-transformers, exported once into ``settings.model_cache``, ``onnx.py``) or ``"torch"``
  (PyTorch, ``torch.py``).

``settings.encoder`` (``SEARCH_ENCODER``) is ``"model"`` for the above or ``"fake"`` for
``FakeEncoder`` (hashed words, for tests); ``"torch"`` and ``"onnx"`` name the model on that
backend whatever ``SEARCH_BACKEND`` says. Every encoder honours ``Encoder`` (``base.py``); questions
reach one through ``CachedEncoder`` (``queries.py``). Importing this package loads no torch.
"""
from __future__ import annotations

from ..errors import SearchError
from .base import MODEL_NAME, Encoder, count_tokens, model_path, tokenizer
from .fake import FakeEncoder
from .models import KNOWN_MODELS, ModelFiles, resolve_model
from .queries import CachedEncoder, QueryBatcher, default_lanes
from .torch import LazyEncoder, TorchEncoder

BACKENDS = ("onnx", "torch")


def _model(settings, lazy: bool, backend: str | None = None) -> Encoder:
    # A build (lazy) uses every core per encode; a server or a query uses settings.torch_threads per
    # encode and runs encodes side by side (``QueryBatcher``'s lanes).
    backend = backend or getattr(settings, "backend", "onnx")
    if backend not in BACKENDS:
        raise SearchError(f"unknown backend {backend!r}; SEARCH_BACKEND must be one of: {', '.join(BACKENDS)}")
    from ..settings import Settings

    defaults = Settings()
    cache = getattr(settings, "model_cache", defaults.model_cache)
    model = resolve_model(getattr(settings, "model", ""), cache)
    threads = None if lazy else getattr(settings, "torch_threads", 1)
    if backend == "onnx":
        from .onnx import OnnxEncoder

        precision = getattr(settings, "precision", defaults.precision)
        load = lambda: OnnxEncoder(model, cache, threads, precision)   # noqa: E731
    else:
        load = lambda: TorchEncoder(threads, model=model)   # noqa: E731
    return LazyEncoder(threads, model, load, backend) if lazy else load()


def _fake(settings, lazy: bool) -> Encoder:
    return FakeEncoder()


# name -> builder(settings, lazy)
ENCODERS = {"model": _model, "onnx": lambda s, lazy: _model(s, lazy, "onnx"),
            "torch": lambda s, lazy: _model(s, lazy, "torch"), "fake": _fake}


def load_encoder(settings, lazy: bool = False) -> Encoder:
    """The encoder the settings name (the model on its backend when ``encoder`` is absent).

    ``lazy=True`` is for builds: the name, dimension and checksum are known at once, the model
    loads on the first ``encode``, so a build with nothing to embed never loads it. Raises
    ``SearchError`` for an unknown encoder, backend, precision or model, naming the known ones.
    """
    kind = getattr(settings, "encoder", "model")
    try:
        build = ENCODERS[kind]
    except KeyError:
        raise SearchError(f"unknown encoder {kind!r}; SEARCH_ENCODER must be one of: {', '.join(ENCODERS)}") from None
    return build(settings, lazy)


__all__ = [
    "BACKENDS", "ENCODERS", "KNOWN_MODELS", "MODEL_NAME", "CachedEncoder", "Encoder", "FakeEncoder", "LazyEncoder",
    "ModelFiles", "QueryBatcher", "TorchEncoder", "count_tokens", "default_lanes", "load_encoder", "model_path",
    "resolve_model", "tokenizer",
]
