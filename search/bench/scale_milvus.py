"""Scale in Milvus: the engine's query path over synthetic passages held in a Milvus server.

The same synthetic passages and questions as ``scale.py`` (vectors with the neighbourhood structure
of sentence embeddings, texts with the seeds' word statistics), written through ``MilvusWriter``
into a Milvus Lite server started for the run (or ``SEARCH_STORE``'s server when it names one),
then searched through ``MilvusStore``: latency of the engine's search and of the dense search
alone, and recall@10 of Milvus's dense index against exact search. Each size runs in a process of
its own. Needs ``requirements-milvus.txt``.

    python -c "from search.bench.scale_milvus import milvus_point; print(milvus_point(100_000))"
"""
from __future__ import annotations

import tempfile
import time
from pathlib import Path

import numpy as np

from ..settings import Settings
from .scale import (RECALL_QUERIES, FixedEncoder, exact_top_k, point_in_subprocess, recall_at_k, synthetic_texts,
                    synthetic_vectors)
from .tools import bench_questions, percentiles

MILVUS_SIZES = (100_000,)
PASSAGES_PER_DOC = 100


def _parts(vectors: np.ndarray, texts: list[str]):
    """Synthetic documents of ``PASSAGES_PER_DOC`` passages, each passage one sentence, for ``MilvusWriter.write``."""
    from ..model import Document, Passage
    from ..stores.base import DocumentParts

    parts = []
    for d, a in enumerate(range(0, len(texts), PASSAGES_PER_DOC)):
        doc_id, chunk = f"synthetic-{d:05d}", texts[a:a + PASSAGES_PER_DOC]
        offsets = np.cumsum([0] + [len(t) + 2 for t in chunk]).tolist()
        text = "\n\n".join(chunk)
        passages = [Passage(doc_id, s, s + len(t), i + 1, i + 1, ("Part A",), t) for i, (s, t) in
                    enumerate(zip(offsets, chunk))]
        block = vectors[a:a + len(chunk)]
        parts.append(DocumentParts(Document(doc_id, doc_id, f"{d:064x}", text), passages,
                                   [[(0, len(t))] for t in chunk], block, block))
    return parts


def milvus_point(n: int, rounds: int = 1, seed: int = 0) -> dict:
    """Write ``n`` synthetic passages into Milvus and time searching them; recall against exact search."""
    from ..engine import Engine
    from ..fusion import FusionSettings
    from ..stores.milvus import Connection, MilvusWriter
    from ..stores.milvus.server import LocalMilvus
    from ..terms import DEFAULT_STOPWORDS

    settings = Settings.from_env()
    server = None
    tmp = tempfile.TemporaryDirectory(prefix="milvus-scale-")
    try:
        uri = settings.store
        if uri in ("", "local"):
            server = LocalMilvus(Path(tmp.name) / "data")
            uri = server.uri
        conn = Connection(uri, settings.milvus_token, timeout=600, prefix=f"bench_{n}")
        questions = bench_questions()
        vectors = synthetic_vectors(n, seed=seed)
        texts = synthetic_texts(n, settings.seeds, seed=seed)
        probes = synthetic_vectors(RECALL_QUERIES, seed=seed + 2)
        exact = exact_top_k(vectors, probes, 10)
        writer = MilvusWriter(conn)
        manifest = {"model": "synthetic", "dim": int(vectors.shape[1]), "fusion": FusionSettings().as_dict(),
                    "keyword": {"stopwords": DEFAULT_STOPWORDS}}
        t0 = time.perf_counter()
        with writer.lock():
            version = writer.write(_parts(vectors, texts), manifest, texts)
            write_s = time.perf_counter() - t0
            store = writer.open(version, type("E", (), {"name": "synthetic", "dim": vectors.shape[1]})())
            open_s = time.perf_counter() - t0 - write_s
            writer.publish(version)
        del texts
        qvecs = synthetic_vectors(len(questions), seed=seed + 1)
        engine = Engine(store, FixedEncoder(dict(zip(questions, qvecs))))
        coll = store.collections[0]

        def dense(v: np.ndarray, k: int, ef: int | None = None) -> np.ndarray:
            params = {"metric_type": "IP", "params": {"ef": ef}} if ef else {"metric_type": "IP"}
            hits = conn.call("search", coll, data=[v.tolist()], anns_field="vector", limit=k, output_fields=["id"],
                             search_params=params)
            return np.array([h["id"] for h in hits[0]], dtype=np.int64)

        for q in questions[:5]:
            engine.search(q, 10)
        search_s, dense_s = [], []
        for _ in range(rounds):
            for q, v in zip(questions, qvecs):
                t = time.perf_counter()
                engine.search(q, 10)
                search_s.append(time.perf_counter() - t)
                t = time.perf_counter()
                dense(v, engine.fusion.candidates, 512)
                dense_s.append(time.perf_counter() - t)
        point = {"passages": n, "kind": store.info()["dense_index"], "write_s": round(write_s, 1),
                 "open_s": round(open_s, 1), "search_ms": percentiles(search_s), "dense_ms": percentiles(dense_s),
                 "recall_at_10": recall_at_k([dense(v, 10, 512) for v in probes], exact)}
        if point["kind"] == "hnsw":
            point["ef_search"] = {}
            for ef in (64, 128, 512):
                took, found = [], []
                for v in probes:
                    t = time.perf_counter()
                    found.append(dense(v, 10, ef))
                    took.append(time.perf_counter() - t)
                point["ef_search"][ef] = {"recall_at_10": recall_at_k(found, exact), "p50_ms": percentiles(took)["p50"]}
        conn.call("drop_alias", conn.alias)   # leave nothing behind on a shared server
        writer.discard(version)
        return point
    finally:
        if server is not None:
            server.stop()
        tmp.cleanup()


def milvus_installed() -> bool:
    """Whether the Milvus client and Milvus Lite are installed (``requirements-milvus.txt``)."""
    import importlib.util

    return all(importlib.util.find_spec(m) is not None for m in ("pymilvus", "milvus_lite"))


def milvus_in_subprocess(n: int, rounds: int) -> dict:
    return point_in_subprocess("search.bench.scale_milvus", "milvus_point", n, rounds)


def format_milvus(points: list[dict]) -> list[str]:
    """The Milvus scale runs as plain-text table lines, beside the local ones."""
    lines = ["scale in Milvus (Milvus Lite server on this machine): the same synthetic passages through MilvusStore;",
             "       search: the engine's query path without the encode; dense: one Milvus search; times in ms",
             f"{'passages':>10} {'index':>5} {'write':>8} {'open':>6} {'search p50':>10} {'p95':>6} {'dense p50':>9} "
             f"{'p95':>6} {'recall@10':>9}"]
    for s in points:
        if "error" in s:
            lines.append(f"{s['passages']:>10,} failed: {s['error']}")
            continue
        lines.append(f"{s['passages']:>10,} {s['kind']:>5} {s['write_s']:>7.1f}s {s['open_s']:>5.1f}s "
                     f"{s['search_ms']['p50']:>10.2f} {s['search_ms']['p95']:>6.2f} {s['dense_ms']['p50']:>9.2f} "
                     f"{s['dense_ms']['p95']:>6.2f} {s['recall_at_10']:>9.3f}")
        for ef, e in s.get("ef_search", {}).items():
            lines.append(f"{'':>10} ef {ef:>4}: recall@10 {e['recall_at_10']:.3f}, {e['p50_ms']:.2f} ms")
    return lines
