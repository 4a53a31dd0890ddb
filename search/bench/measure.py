"""The bench's measurements, each a function of what it measures: a build, question latency, the
cache, throughput. ``__init__.py`` runs them once per backend and prints them side by side."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np

from .tools import Client, FreshQuestions, percentiles


def ratio(a: float, b: float) -> float:
    return round(a / b, 2) if b else float("nan")


def with_ratios(stats: dict, floor_p50: float) -> dict:
    return {**stats, **{f"{p}_x_floor": ratio(stats[p], floor_p50) for p in ("p50", "p95", "p99")}}


class RecordingEncoder:
    """An encoder that remembers every text it was asked to encode and the seconds spent encoding.

    Everything else (name, dim, checksum, batch_size, details) is the wrapped encoder's, so a build
    through it writes the same index.
    """

    def __init__(self, inner):
        self.inner = inner
        self.texts: list[str] = []
        self.seconds = 0.0

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def encode(self, texts, progress=False):
        t = time.perf_counter()
        out = self.inner.encode(texts, progress)
        self.seconds += time.perf_counter() - t
        self.texts += list(texts)
        return out


def measure_build(seeds: Path, folder: Path, encoder) -> dict:
    """A full build into an empty folder, then a no-op rebuild; ``texts`` the build encoded and the
    encoder's share of the time (``embed_s``, ``texts_per_s``). Returns the texts too, under ``_texts``."""
    from ..build import build_index

    recording = RecordingEncoder(encoder)
    t = time.perf_counter()
    full = build_index(seeds, folder, recording, progress=False, log=lambda m: None)
    full_s = time.perf_counter() - t
    embed_s, texts = recording.seconds, list(recording.texts)
    t = time.perf_counter()
    noop = build_index(seeds, folder, recording, progress=False, log=lambda m: None)
    noop_s = time.perf_counter() - t
    return {"documents": full.documents, "passages": full.passages, "full_s": round(full_s, 2),
            "noop_s": round(noop_s, 2), "noop_share": ratio(noop_s, full_s),
            "noop_reembedded": len(noop.added) + len(noop.changed), "texts": len(texts),
            "embed_s": round(embed_s, 2), "texts_per_s": round(len(texts) / embed_s, 1) if embed_s else 0.0,
            "threads": getattr(encoder, "threads", 1), "_texts": texts}


def measure_build_process(seeds: Path, folder: Path, backend: str) -> dict:
    """``python -m search build --quiet`` into an empty ``folder`` in a fresh process, as an operator
    runs it: wall seconds (``process_s``), of which importing sentence-transformers (torch,
    transformers, scikit-learn) and loading the model are a fixed cost that a build in a running
    process (the server's first start, or ``measure_build`` here) has already paid (``import_s``,
    timed in a second fresh process). Raises ``RuntimeError`` with the build's output if it fails."""
    env = {**os.environ, "SEARCH_BACKEND": backend, "SEARCH_ENCODER": "model"}
    t = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "search", "build", "--quiet", "--seeds", str(seeds),
                           "--index", str(folder)], env=env, capture_output=True, text=True)
    process_s = time.perf_counter() - t
    if done.returncode:
        raise RuntimeError(f"python -m search build failed ({done.returncode}): {done.stderr[-2000:]}")
    t = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import sentence_transformers"], env=env, check=True, capture_output=True)
    return {"process_s": round(process_s, 2), "import_s": round(time.perf_counter() - t, 2)}


FLOOR_SCRIPT = """
import json, sys, time
from sentence_transformers import SentenceTransformer
folder, texts_file, batch_size, repeats = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
texts = json.load(open(texts_file, encoding="utf-8"))
model = SentenceTransformer(folder, device="cpu", local_files_only=True)
best = float("inf")
for _ in range(repeats):
    t = time.perf_counter()
    model.encode(texts, batch_size=batch_size, convert_to_numpy=True, normalize_embeddings=True, show_progress_bar=False)
    best = min(best, time.perf_counter() - t)
print(json.dumps({"seconds": best}))
"""


def bare_torch_encode_s(folder: Path, texts: list[str], work: Path, batch_size: int = 32, repeats: int = 2) -> float:
    """Seconds the bare PyTorch model (a plain ``SentenceTransformer`` of ``folder``, loaded) takes
    to encode ``texts`` in one call, with its own length-sorted batches of ``batch_size``: the
    fastest of ``repeats`` calls, in a fresh process with torch's default threads (one per core),
    so the floor a build is compared with is the bare model at its best, untouched by what this
    process ran before. ``work`` is a folder for the texts' file. Raises ``RuntimeError`` with the
    process's output if it fails."""
    texts_file = Path(work) / "floor-texts.json"
    texts_file.write_text(json.dumps(texts), encoding="utf-8")
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    done = subprocess.run([sys.executable, "-c", FLOOR_SCRIPT, str(folder), str(texts_file), str(batch_size),
                           str(repeats)], env=env, capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"the bare model's encode failed ({done.returncode}): {done.stderr[-2000:]}")
    return float(json.loads(done.stdout.strip().splitlines()[-1])["seconds"])


def measure_latency(floor_encode, encode, engine, client: Client, asked: list[str]) -> dict:
    """Each question four ways in turn (bare PyTorch model, the backend's encoder alone, engine, HTTP),
    so all four see the same machine."""
    floor, encoded, in_process, over_http = [], [], [], []
    for q in asked:
        t0 = time.perf_counter()
        floor_encode(q)
        t1 = time.perf_counter()
        encode(q)
        t2 = time.perf_counter()
        engine.search(q, 10)
        t3 = time.perf_counter()
        status = client.search(q)
        t4 = time.perf_counter()
        if status != 200:
            raise RuntimeError(f"the server answered {status} to {q!r}")
        floor.append(t1 - t0), encoded.append(t2 - t1), in_process.append(t3 - t2), over_http.append(t4 - t3)
    f50 = percentiles(floor)["p50"]
    return {"floor_ms": percentiles(floor), "encode_ms": with_ratios(percentiles(encoded), f50),
            "latency_ms": {"in_process": with_ratios(percentiles(in_process), f50),
                           "http": with_ratios(percentiles(over_http), f50)}}


def measure_cache(engine, client: Client, again: list[str], floor_p50: float) -> dict:
    """Questions asked before, in process and over HTTP: their embeddings come from the cache."""
    hits, misses = engine.encoder.hits, engine.encoder.misses
    in_process, over_http = [], []
    for q in again:
        t0 = time.perf_counter()
        engine.search(q, 10)
        t1 = time.perf_counter()
        client.search(q)
        in_process.append(t1 - t0), over_http.append(time.perf_counter() - t1)
    hits, misses = engine.encoder.hits - hits, engine.encoder.misses - misses
    return {"hit_rate": ratio(hits, hits + misses), "in_process_ms": with_ratios(percentiles(in_process), floor_p50),
            "http_ms": with_ratios(percentiles(over_http), floor_p50)}


def throughput(port: int, questions: FreshQuestions, clients: int, seconds: float) -> dict:
    """Answers per second, errors and latency with ``clients`` asking back to back for ``seconds``."""
    deadline = time.perf_counter() + seconds
    latencies: list[list[float]] = [[] for _ in range(clients)]
    errors = [0] * clients

    def ask_until_deadline(slot: int) -> None:
        client = Client(port)
        while time.perf_counter() < deadline:
            t = time.perf_counter()
            try:
                ok = client.search(next(questions)) == 200
            except OSError:
                ok = False
            if ok:
                latencies[slot].append(time.perf_counter() - t)
            else:
                errors[slot] += 1
        client.close()

    threads = [threading.Thread(target=ask_until_deadline, args=(i,)) for i in range(clients)]
    t0 = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - t0
    answered = [x for per_client in latencies for x in per_client]
    return {"clients": clients, "seconds": round(elapsed, 1), "answered": len(answered), "errors": sum(errors),
            "qps": round(len(answered) / elapsed, 1), "latency_ms": percentiles(answered or [float("nan")])}


def vectors_agree(a: np.ndarray, b: np.ndarray) -> float:
    """The lowest cosine between matching rows of two arrays of unit vectors."""
    return round(float((a * b).sum(axis=1).min()), 6)
