"""Encoders: texts to unit vectors, chosen by one setting.

``load_encoder(settings)`` is the one place a model is built. ``settings.encoder`` names it:

- ``"torch"`` (the default): all-MiniLM-L6-v2 through sentence-transformers on PyTorch;
- ``"fake"``: ``FakeEncoder``, hashed words, for tests and for trying the service without torch.

Every encoder honours ``Encoder`` (``base.py``). Questions reach one through ``CachedEncoder``
(``queries.py``). Importing this package loads no torch: only building a torch encoder does.
"""
from __future__ import annotations

from ..errors import SearchError
from .base import MODEL_NAME, Encoder, count_tokens, model_path, tokenizer
from .fake import FakeEncoder
from .queries import CachedEncoder, QueryBatcher, default_lanes
from .torch import LazyEncoder, TorchEncoder


def _torch(settings, lazy: bool) -> Encoder:
    # A build (lazy) leaves torch's own thread count, one per core; a server or a query uses
    # settings.torch_threads per encode and runs encodes side by side.
    return LazyEncoder() if lazy else TorchEncoder(threads=settings.torch_threads)


def _fake(settings, lazy: bool) -> Encoder:
    return FakeEncoder()


# name -> builder(settings, lazy). Issue 16's ONNX Runtime encoder joins here as "onnx" (onnx.py).
ENCODERS = {"torch": _torch, "fake": _fake}


def load_encoder(settings, lazy: bool = False) -> Encoder:
    """The encoder ``settings.encoder`` names (``"torch"`` when the setting is absent).

    ``lazy=True`` is for builds: the name and dimension are known at once, the model loads on the
    first ``encode``, so a build with nothing to embed never loads it. Raises ``SearchError`` for
    an unknown name, naming the known ones.
    """
    kind = getattr(settings, "encoder", "torch")
    try:
        build = ENCODERS[kind]
    except KeyError:
        raise SearchError(f"unknown encoder {kind!r}; SEARCH_ENCODER must be one of: {', '.join(ENCODERS)}") from None
    return build(settings, lazy)


__all__ = [
    "ENCODERS", "MODEL_NAME", "CachedEncoder", "Encoder", "FakeEncoder", "LazyEncoder", "QueryBatcher", "TorchEncoder",
    "count_tokens", "default_lanes", "load_encoder", "model_path", "tokenizer",
]
