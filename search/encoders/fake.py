"""A deterministic stand-in for the model, so most tests run without torch."""
from __future__ import annotations

import hashlib
import re

import numpy as np


class FakeEncoder:
    """Hashed bag of words and word pairs: similar wording gives similar vectors.

    The same text always gives the same vector, in every process (blake2b, not ``hash``). A text
    without words gets the unit vector along the first axis, so every row has norm 1.
    """

    name = "fake-hash-embedder"   # recorded in test indexes' manifests: keep it
    threads = 1
    checksum = ""                  # no weights: the manifest records none and nothing is checked
    details = {"backend": "fake"}

    def __init__(self, dim: int = 64):
        self.dim = dim

    def encode(self, texts: list[str], progress: bool = False) -> np.ndarray:
        """float32 ``[len(texts), dim]``, rows of norm 1; ``progress`` is ignored."""
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
