"""Dense retrieval with FAISS: exact inner product while that is fast, HNSW beyond.

FAISS pads results with id -1 when k exceeds what it can return: k is clamped and -1 dropped.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import faiss
import numpy as np

from .errors import IndexMismatch
from .store import REBUILD_HINT

EXACT_LIMIT = 200_000      # up to this many vectors a flat scan stays within a few milliseconds
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 80
HNSW_EF_SEARCH = 128


def choose_kind(count: int) -> str:
    return "flat" if count <= EXACT_LIMIT else "hnsw"


def build_dense(vectors: np.ndarray, kind: str | None = None) -> faiss.Index:
    kind = kind or choose_kind(len(vectors))
    dim = vectors.shape[1]
    if kind == "flat":
        index = faiss.IndexFlatIP(dim)
    elif kind == "hnsw":
        index = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
        index.hnsw.efSearch = HNSW_EF_SEARCH
    else:
        raise ValueError(f"unknown dense index kind {kind!r}")
    index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    return index


def save_dense(index: faiss.Index, path: Path) -> None:
    faiss.write_index(index, str(path))


def load_dense(path: Path, count: int, dim: int) -> faiss.Index:
    try:
        index = faiss.read_index(str(path))
    except Exception as exc:  # FAISS raises RuntimeError with C++ text for damaged files
        raise IndexMismatch(f"{path} is missing or damaged; {REBUILD_HINT}") from exc
    if index.ntotal != count or index.d != dim:
        raise IndexMismatch(f"{path} holds {index.ntotal} vectors of dim {index.d}, expected {count} of dim {dim}; "
                            f"{REBUILD_HINT}")
    if isinstance(index, faiss.IndexHNSWFlat):
        index.hnsw.efSearch = HNSW_EF_SEARCH
    return index


@dataclass
class DenseHits:
    ids: np.ndarray      # int64 passage ids, best first
    scores: np.ndarray   # cosine similarities


def search_dense(index: faiss.Index, query: np.ndarray, k: int, allowed: np.ndarray | None = None) -> DenseHits:
    """Top k passages by cosine similarity, optionally only among ``allowed`` ids."""
    limit = index.ntotal if allowed is None else len(allowed)
    k = min(k, limit)
    if k <= 0:
        return DenseHits(np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float32))
    q = np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32)
    params = None
    if allowed is not None:
        selector = faiss.IDSelectorBatch(np.ascontiguousarray(allowed, dtype=np.int64))
        params = (faiss.SearchParametersHNSW(sel=selector, efSearch=max(HNSW_EF_SEARCH, k))
                  if isinstance(index, faiss.IndexHNSWFlat) else faiss.SearchParameters(sel=selector))
    elif isinstance(index, faiss.IndexHNSWFlat) and k > HNSW_EF_SEARCH:
        params = faiss.SearchParametersHNSW(efSearch=k)
    scores, ids = index.search(q, k, params=params) if params is not None else index.search(q, k)
    keep = ids[0] >= 0
    return DenseHits(ids[0][keep].astype(np.int64), scores[0][keep])
