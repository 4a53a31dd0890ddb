"""Dense retrieval with FAISS: exact inner product while that is fast, HNSW beyond.

FAISS pads results with id -1 when k exceeds what it can return: k is clamped and -1 dropped.
A search is one question: FAISS's OpenMP threads are kept to one while searching, because the
server already runs questions in parallel and spinning thread teams only steal its cores.
Building uses every core.
"""
from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path

import faiss
import numpy as np

from ...errors import REBUILD_HINT, IndexMismatch

# Measured by `python -m search bench` on 2 cores: a flat scan of 384-d vectors costs ~0.08 ms per
# thousand (4 ms at 50k, 15 ms at 200k); HNSW answers in ~2.5 ms at 10^6 with recall@10 ~0.97.
EXACT_LIMIT = 50_000       # up to this many vectors (or filtered passages) search is exact
HNSW_M = 16                # graph degree: 32 builds ~2x slower; a wider search buys the recall back
HNSW_EF_CONSTRUCTION = 40
HNSW_EF_SEARCH = 512       # search breadth; at 10^6 recall@10 is ~0.93 at 128, ~0.95 at 256, ~0.97 at 512

def choose_kind(count: int) -> str:
    return "flat" if count <= EXACT_LIMIT else "hnsw"


@contextlib.contextmanager
def _omp_threads(n: int):
    before = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(n)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(before)


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
    with _omp_threads(os.cpu_count() or 1):
        index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    return index


def save_dense(index: faiss.Index, path: Path) -> None:
    faiss.write_index(index, str(path))


def load_dense(path: Path, count: int, dim: int) -> faiss.Index:
    """The FAISS index of a version, checked against the manifest's counts; searches then use one thread."""
    faiss.omp_set_num_threads(1)   # for searches; build_dense raises it while it builds
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


def stored_vectors(index: faiss.Index) -> np.ndarray:
    """The float32 vectors a flat or HNSW index holds, as a numpy view (no copy)."""
    flat = faiss.downcast_index(index.storage) if isinstance(index, faiss.IndexHNSW) else index
    return faiss.rev_swig_ptr(flat.get_xb(), flat.ntotal * flat.d).reshape(flat.ntotal, flat.d)


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
    if allowed is not None and len(allowed) <= EXACT_LIMIT:
        # A filter: score only its passages, exactly. A graph walk would step over most of them.
        allowed = np.asarray(allowed, dtype=np.int64)
        sims = stored_vectors(index)[allowed] @ q[0]
        top = np.argpartition(-sims, k - 1)[:k]
        top = top[np.argsort(-sims[top], kind="stable")]
        return DenseHits(allowed[top], sims[top])
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
