"""Scale: the engine's query path over synthetic indexes of 10^4 to 10^6 passages.

Each size is built and queried in a process of its own (``scale_in_subprocess``), so that its
peak memory is its own. The vectors have the neighbourhood structure of sentence embeddings and
the texts the word statistics of the seeds; questions are the bench's, with vectors decided in
advance, so the figures are search alone, without the encode.
"""
from __future__ import annotations

import gc
import json
import re
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

from ..settings import ROOT, Settings
from .tools import BUILTIN_QUESTIONS, bench_questions, percentiles, proc_status_mb

SCALE_SIZES = (10_000, 100_000, 1_000_000)
DIM = 384
PASSAGE_WORDS = (40, 120)     # synthetic passages: uniform length in words (seed passages average ~90)
RECALL_QUERIES = 300          # random query vectors for recall@10 against exact search


def recall_at_k(found: list[np.ndarray], exact: np.ndarray, k: int = 10) -> float:
    """Mean share of each query's exact top ``k`` that appears anywhere in what was ``found``.

        >>> recall_at_k([np.array([3, 1, 9])], np.array([[1, 2, 3]]), k=3)
        0.667
    """
    shares = [len(set(f.tolist()) & set(e[:k].tolist())) / k for f, e in zip(found, exact)]
    return round(float(np.mean(shares)), 3)


def exact_top_k(vectors: np.ndarray, queries: np.ndarray, k: int, block: int = 65536) -> np.ndarray:
    """Brute-force top ``k`` ids by inner product, best first (the ground truth for recall)."""
    best_ids = np.empty((len(queries), 0), dtype=np.int64)
    best = np.empty((len(queries), 0), dtype=np.float32)
    for start in range(0, len(vectors), block):
        sims = queries @ vectors[start:start + block].T
        top = np.argpartition(-sims, min(k, sims.shape[1] - 1), axis=1)[:, :k]
        best = np.concatenate([best, np.take_along_axis(sims, top, 1)], axis=1)
        best_ids = np.concatenate([best_ids, top + start], axis=1)
        keep = np.argsort(-best, axis=1, kind="stable")[:, :k]
        best, best_ids = np.take_along_axis(best, keep, 1), np.take_along_axis(best_ids, keep, 1)
    return best_ids


def synthetic_vectors(n: int, dim: int = DIM, seed: int = 0, block: int = 100_000) -> np.ndarray:
    """Random unit vectors with the neighbourhood structure of sentence embeddings.

    FAISS's recipe for synthetic benchmark data (``faiss.contrib.datasets.SyntheticDataset``):
    a 10-dimensional Gaussian bent into ``dim`` dimensions by a random projection and a sine,
    plus a shared offset. The seed passages' embeddings have the same intrinsic dimension
    (TwoNN estimate ~20) and mean cosine (~0.2). Vectors spread evenly over the sphere would have
    no near neighbours at all, which no real collection looks like.
    """
    space = np.random.RandomState(1338)      # the same space for every seed: data and queries share it
    projection = space.rand(10, dim).astype(np.float32)
    frequency = (space.rand(dim) * 4 + 0.1).astype(np.float32)
    offset = np.full(dim, 0.35, dtype=np.float32)
    rng = np.random.default_rng(seed)
    out = np.empty((n, dim), dtype=np.float32)
    for start in range(0, n, block):
        x = np.sin((rng.standard_normal((min(block, n - start), 10), dtype=np.float32) @ projection) * frequency)
        x += offset
        out[start:start + len(x)] = x / np.linalg.norm(x, axis=1, keepdims=True)
    return out


def seed_vocabulary(seeds: Path) -> tuple[list[str], np.ndarray]:
    """Words of the seed documents and their frequencies, so synthetic text has their statistics."""
    counts: Counter[str] = Counter()
    for path in sorted(Path(seeds).glob("*.txt")) + sorted(Path(seeds).glob("*.md")):
        counts.update(re.findall(r"[A-Za-z][a-z]+", path.read_text(encoding="utf-8", errors="replace")))
    if not counts:
        counts.update(" ".join(BUILTIN_QUESTIONS).split())
    words = sorted(counts)
    freq = np.array([counts[w] for w in words], dtype=np.float64)
    return words, freq / freq.sum()


def synthetic_texts(n: int, seeds: Path, seed: int = 0) -> list[str]:
    """``n`` passages of random words drawn with the seed documents' word frequencies."""
    words, freq = seed_vocabulary(seeds)
    rng = np.random.default_rng(seed)
    lengths = rng.integers(PASSAGE_WORDS[0], PASSAGE_WORDS[1] + 1, size=n)
    picks = np.searchsorted(np.cumsum(freq), rng.random(int(lengths.sum())), side="right")
    picks = np.minimum(picks, len(words) - 1).tolist()
    ends = np.cumsum(lengths).tolist()
    return [" ".join(map(words.__getitem__, picks[a:b])) for a, b in zip([0] + ends[:-1], ends)]


class FixedEncoder:
    """Question vectors decided in advance: the scale runs measure search without the encode."""

    def __init__(self, vectors: dict[str, np.ndarray]):
        self.vectors = vectors

    def encode_query(self, text: str) -> np.ndarray:
        return self.vectors[text]


def synthetic_index(vectors: np.ndarray, texts: list[str], kind: str | None = None,
                    passages_per_doc: int = 100):
    """A ``FolderStore`` over synthetic passages (one sentence each), held in memory, and its build times."""
    from ..fusion import FusionSettings
    from ..model import Document, Passage
    from ..stores.folder import FolderStore
    from ..stores.folder.dense import build_dense, choose_kind, stored_vectors
    from ..stores.folder.keyword import KeywordIndex, build_keyword

    n = len(texts)
    kind = kind or choose_kind(n)
    t0 = time.perf_counter()
    dense = build_dense(vectors, kind)
    t1 = time.perf_counter()
    keyword = KeywordIndex(build_keyword(texts))
    t2 = time.perf_counter()
    doc_ids = [f"synthetic-{d:05d}" for d in range((n + passages_per_doc - 1) // passages_per_doc)]
    sections = (("Part A",), ("Part B",))   # neighbours differ, so fusion never joins them into one span
    passages = [Passage(doc_ids[i // passages_per_doc], 0, len(t), 1, 1, sections[i % 2], t) for i, t in enumerate(texts)]
    documents = {d: Document(d, d, "", "") for d in doc_ids}
    manifest = {"passages": n, "dense_index": kind, "fusion": FusionSettings().as_dict()}
    # one copy of the vectors, the one FAISS holds, serves passages and their one sentence each (as loading does)
    store = FolderStore(Path(f"synthetic-{n}"), manifest, passages, [[(0, len(t))] for t in texts], documents,
                        dense, keyword, stored_vectors(dense))
    return store, {"kind": kind, "dense_s": round(t1 - t0, 2), "keyword_s": round(t2 - t1, 2)}


def scale_point(n: int, rounds: int = 2, seed: int = 0) -> dict:
    """Build a synthetic index of ``n`` passages and time the engine's query path over it."""
    import faiss

    from ..engine import Engine
    from ..stores.folder.dense import search_dense

    questions = bench_questions()
    t0 = time.perf_counter()
    vectors = synthetic_vectors(n, seed=seed)
    texts = synthetic_texts(n, Settings.from_env().seeds, seed=seed)
    generate_s = time.perf_counter() - t0
    probes = synthetic_vectors(RECALL_QUERIES, seed=seed + 2)   # more questions than the dev set: a steadier recall
    exact = exact_top_k(vectors, probes, 10)
    index, built = synthetic_index(vectors, texts)
    del texts, vectors   # the index holds the only copy now, as a loaded index does
    gc.collect()
    rss = proc_status_mb("self", "VmRSS")
    qvecs = synthetic_vectors(len(questions), seed=seed + 1)
    engine = Engine(index, FixedEncoder(dict(zip(questions, qvecs))))
    candidates = engine.fusion.candidates

    for q in questions[:5]:
        engine.search(q, 10)
    search_s, dense_s, keyword_top_s, keyword_all_s = [], [], [], []
    for _ in range(rounds):
        for q, v in zip(questions, qvecs):
            t = time.perf_counter()
            engine.search(q, 10)
            search_s.append(time.perf_counter() - t)
            t = time.perf_counter()
            search_dense(index.dense, v, candidates)
            dense_s.append(time.perf_counter() - t)
            t = time.perf_counter()
            index.keyword.top(index.keyword.query_terms(q), candidates)
            keyword_top_s.append(time.perf_counter() - t)
            t = time.perf_counter()   # the other way: score every passage, then pick the best
            every = index.keyword.scores(index.keyword.query_terms(q))
            np.argpartition(-every, min(candidates, n - 1))[:candidates]
            keyword_all_s.append(time.perf_counter() - t)

    point = {"passages": n, **built, "generate_s": round(generate_s, 1),
             "search_ms": percentiles(search_s), "dense_ms": percentiles(dense_s),
             "keyword_top_ms": percentiles(keyword_top_s), "keyword_score_all_ms": percentiles(keyword_all_s),
             "recall_at_10": recall_at_k([search_dense(index.dense, v, 10).ids for v in probes], exact)}
    if built["kind"] == "hnsw":   # what a wider or narrower search would buy
        point["ef_search"] = {}
        for ef in (64, 128, 256, 512):
            found, took = [], []
            for v in probes:
                t = time.perf_counter()
                _, ids = index.dense.search(v.reshape(1, -1), 10, params=faiss.SearchParametersHNSW(efSearch=ef))
                took.append(time.perf_counter() - t)
                found.append(ids[0])
            point["ef_search"][ef] = {"recall_at_10": recall_at_k(found, exact), "p50_ms": percentiles(took)["p50"]}
    return {**point, "rss_mb": rss, "peak_mb": proc_status_mb("self", "VmHWM")}


def scale_in_subprocess(n: int, rounds: int) -> dict:
    return point_in_subprocess("search.bench.scale", "scale_point", n, rounds)


def point_in_subprocess(module: str, function: str, n: int, rounds: int) -> dict:
    """``module.function(n, rounds=rounds)`` run in a fresh process (its peak memory its own): the
    JSON it returns, or ``{"passages": n, "error": last line of stderr}`` when it fails."""
    code = f"import json; from {module} import {function}; print(json.dumps({function}({n}, rounds={rounds})))"
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    if run.returncode != 0:
        return {"passages": n, "error": (run.stderr.strip().splitlines() or ["failed"])[-1]}
    return json.loads(run.stdout.strip().splitlines()[-1])


def format_scale(points: list[dict]) -> list[str]:
    """The scale runs as plain-text table lines."""
    lines = ["scale: synthetic passages; search is the engine's query path without the encode; times in ms",
             "       kw top: KeywordIndex.top; kw all: a score for every passage, then the best picked;",
             f"       recall@10: the dense index's top 10 against exact search, {RECALL_QUERIES} random questions",
             f"{'passages':>10} {'index':>5} {'build dense':>11} {'build kw':>8} {'search p50':>10} {'p95':>6} {'p99':>6} "
             f"{'dense p50':>9} {'kw top':>6} {'kw all':>6} {'recall@10':>9} {'RSS MB':>7} {'peak MB':>7}"]
    for s in points:
        if "error" in s:
            lines.append(f"{s['passages']:>10,} failed: {s['error']}")
            continue
        lines.append(f"{s['passages']:>10,} {s['kind']:>5} {s['dense_s']:>10.1f}s {s['keyword_s']:>7.1f}s "
                     f"{s['search_ms']['p50']:>10.2f} {s['search_ms']['p95']:>6.2f} {s['search_ms']['p99']:>6.2f} "
                     f"{s['dense_ms']['p50']:>9.2f} {s['keyword_top_ms']['p50']:>6.2f} "
                     f"{s['keyword_score_all_ms']['p50']:>6.2f} {s['recall_at_10']:>9.3f} {s['rss_mb']:>7.0f} "
                     f"{s['peak_mb']:>7.0f}")
        for ef, e in s.get("ef_search", {}).items():
            lines.append(f"{'':>10} efSearch {ef:>4}: recall@10 {e['recall_at_10']:.3f}, {e['p50_ms']:.2f} ms")
    return lines
