"""How fast search is on this machine, and how its cost grows with the number of passages.

    python -m search bench [--json] [--quick] [--index DIR]

Every figure is measured on the spot:

- build: a full build of the seeds into a fresh folder, then a no-op rebuild of the same folder;
- startup: from starting ``python -m search serve`` to its first answered question;
- floor: the bare model (SentenceTransformer) encoding one question; no search can be faster;
- latency: ``Engine.search`` in process and ``GET /api/search`` over HTTP, one question at a time,
  each percentile also as a multiple of the floor's median;
- cache: the same questions asked again, answered from the query embedding cache;
- throughput: answers per second over HTTP with 1, 4 and 16 clients asking at once;
- memory: the server's peak resident memory (VmHWM);
- scale: the same query path over synthetic indexes of 10^4, 10^5 and 10^6 passages, each built
  and queried in a process of its own so that its peak memory is its own.

Questions come from the shared dev set when it exists. Each asking uses a fresh spelling, so no
answer comes from the cache by accident: ``respell`` flips the case of some letters, which is the
same work for the uncased model and for BM25, which lower-cases.
"""
from __future__ import annotations

import gc
import http.client
import itertools
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import Counter
from pathlib import Path

import numpy as np

from .settings import ROOT, Settings

DEV_QUESTIONS = ROOT.parent / "shared" / "eval" / "dev.jsonl"
BUILTIN_QUESTIONS = [
    "why do unions oppose payment by results in probation?",
    "what happened to library opening hours?",
    "Serco community payback contract",
    "How many households are on social housing waiting lists?",
    "Do big government contracts squeeze out small local charities and firms?",
    "what did the summit say about competition in public services",
]
SCALE_SIZES = (10_000, 100_000, 1_000_000)
DIM = 384
PASSAGE_WORDS = (40, 120)     # synthetic passages: uniform length in words (seed passages average ~90)
RECALL_QUERIES = 300          # random query vectors for recall@10 against exact search


# -- small helpers (tested in tests/test_bench.py) ---------------------------------------------

def percentiles(seconds: list[float]) -> dict:
    """Median, p95 and p99 of durations given in seconds, in milliseconds.

        >>> percentiles([0.001, 0.002, 0.003, 0.004])
        {'n': 4, 'p50': 2.5, 'p95': 3.85, 'p99': 3.97}
    """
    ms = np.asarray(seconds, dtype=np.float64) * 1000
    return {"n": len(ms), **{f"p{p}": round(float(np.percentile(ms, p)), 2) for p in (50, 95, 99)}}


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


def bench_questions(path: Path = DEV_QUESTIONS) -> list[str]:
    """The dev set's questions, read now (not copied into the repository), or a few built-in ones."""
    if path.is_file():
        with open(path, encoding="utf-8") as fh:
            questions = [json.loads(line)["query"] for line in fh if line.strip()]
        if questions:
            return questions
    return list(BUILTIN_QUESTIONS)


def respell(question: str, n: int) -> str:
    """Spelling ``n`` of a question: the bits of ``n`` choose which ASCII letters change case.

        >>> [respell("why not", n) for n in range(3)]
        ['why not', 'Why not', 'wHy not']
    """
    letters = [i for i, c in enumerate(question) if c.isascii() and c.isalpha()]
    if n >> len(letters):
        raise ValueError(f"{question!r} has fewer than {n + 1} spellings")
    chars = list(question)
    for bit, i in enumerate(letters):
        if n >> bit & 1:
            chars[i] = chars[i].swapcase()
    return "".join(chars)


class FreshQuestions:
    """An endless, thread-safe supply of questions not asked before in this run."""

    def __init__(self, questions: list[str]):
        self.questions = questions
        self._count = itertools.count()
        self._lock = threading.Lock()

    def __iter__(self):
        return self

    def __next__(self) -> str:
        with self._lock:
            n = next(self._count)
        return respell(self.questions[n % len(self.questions)], n // len(self.questions))

    def take(self, n: int) -> list[str]:
        return [next(self) for _ in range(n)]


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
    """An ``engine.Index`` over synthetic passages (one sentence each), and its build times."""
    from . import store
    from .chunk import Passage
    from .dense import build_dense, choose_kind, stored_vectors
    from .engine import Index
    from .fusion import FusionSettings
    from .keyword import KeywordIndex, build_keyword

    n = len(texts)
    kind = kind or choose_kind(n)
    t0 = time.perf_counter()
    dense = build_dense(vectors, kind)
    vectors = stored_vectors(dense)   # as load_index does: one copy, the one FAISS holds
    t1 = time.perf_counter()
    keyword = KeywordIndex(build_keyword(texts))
    t2 = time.perf_counter()
    doc_ids = [f"synthetic-{d:05d}" for d in range((n + passages_per_doc - 1) // passages_per_doc)]
    sections = (("Part A",), ("Part B",))   # neighbours differ, so fusion never joins them into one span
    passages = [Passage(doc_ids[i // passages_per_doc], 0, len(t), 1, 1, sections[i % 2], t) for i, t in enumerate(texts)]
    documents = {d: store.StoredDocument(d, d, "", "", [], []) for d in doc_ids}
    manifest = {"passages": n, "dense_index": kind, "fusion": FusionSettings().as_dict()}
    index = Index(folder=Path(f"synthetic-{n}"), manifest=manifest, passages=passages,
                  sentences=[[(0, len(t))] for t in texts], documents=documents, vectors=vectors,
                  sentence_vectors=vectors, sentence_offsets=np.arange(n + 1, dtype=np.int64), dense=dense,
                  keyword=keyword, doc_passages={d: np.arange(i * passages_per_doc, min(n, (i + 1) * passages_per_doc))
                                                 for i, d in enumerate(doc_ids)})
    return index, {"kind": kind, "dense_s": round(t1 - t0, 2), "keyword_s": round(t2 - t1, 2)}


def cpu_seconds(pid: int | str = "self") -> float:
    """User plus system CPU time a process has used so far (from /proc/<pid>/stat)."""
    with open(f"/proc/{pid}/stat") as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def proc_status_mb(pid: int | str = "self", field: str = "VmHWM") -> float:
    """A memory figure from /proc/<pid>/status in MB (VmHWM: peak resident, VmRSS: resident now)."""
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return round(int(line.split()[1]) / 1024, 1)
    return float("nan")


# -- scale: one synthetic size per process -----------------------------------------------------

def scale_point(n: int, rounds: int = 2, seed: int = 0) -> dict:
    """Build a synthetic index of ``n`` passages and time the engine's query path over it."""
    import faiss

    from .dense import search_dense
    from .engine import Engine

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
    candidates = index.fusion.candidates

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
    code = f"import json; from search.bench import scale_point; print(json.dumps(scale_point({n}, rounds={rounds})))"
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    if run.returncode != 0:
        return {"passages": n, "error": (run.stderr.strip().splitlines() or ["failed"])[-1]}
    return json.loads(run.stdout.strip().splitlines()[-1])


# -- the real server over HTTP -----------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Client:
    """One keep-alive HTTP connection, as a browser or a calling service would hold."""

    def __init__(self, port: int):
        self.port = port
        self.conn: http.client.HTTPConnection | None = None

    def search(self, question: str, k: int = 10) -> int:
        """Ask one question; the HTTP status. Raises OSError when the connection fails."""
        if self.conn is None:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            self.conn.request("GET", "/api/search?" + urllib.parse.urlencode({"q": question, "k": k}))
            response = self.conn.getresponse()
            response.read()
            return response.status
        except (OSError, http.client.HTTPException) as exc:
            self.close()
            raise OSError(f"request failed: {exc}") from exc

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def terminate(proc: subprocess.Popen, grace: float = 10.0) -> None:
    """Stop a child process: SIGTERM, then SIGKILL if it has not exited after ``grace`` seconds."""
    proc.terminate()
    try:
        proc.wait(grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


class Server:
    """``python -m search serve`` in a subprocess on a free port; its startup is timed to its first answer."""

    def __init__(self, index: Path, log_path: Path, probe: str, timeout: float = 180.0):
        self.port = free_port()
        self.log_path = log_path
        self._log = open(log_path, "w")
        t0 = time.perf_counter()
        self.proc = subprocess.Popen([sys.executable, "-m", "search", "serve", "--port", str(self.port),
                                      "--index", str(index)], cwd=ROOT, stdout=self._log, stderr=subprocess.STDOUT)
        client = Client(self.port)
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the server exited with {self.proc.returncode}; see {log_path}")
            try:
                if client.search(probe) == 200:
                    break
            except OSError:
                pass
            if time.perf_counter() - t0 > timeout:
                self.stop()
                raise TimeoutError(f"the server did not answer within {timeout:.0f} s; see {log_path}")
            time.sleep(0.05)
        self.startup_s = time.perf_counter() - t0
        self.startup_cpu_s = cpu_seconds(self.proc.pid)  # what the start costs, however busy the machine
        client.close()

    def memory_mb(self, field: str = "VmHWM") -> float:
        return proc_status_mb(self.proc.pid, field)

    def stop(self) -> None:
        terminate(self.proc)
        self._log.close()


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


# -- the run -----------------------------------------------------------------------------------

def _ratio(a: float, b: float) -> float:
    return round(a / b, 2) if b else float("nan")


def _with_ratios(stats: dict, floor_p50: float) -> dict:
    return {**stats, **{f"{p}_x_floor": _ratio(stats[p], floor_p50) for p in ("p50", "p95", "p99")}}


def measure_build(seeds: Path, folder: Path, embedder) -> dict:
    """A full build into an empty folder, then a no-op rebuild of the same folder."""
    from .build import build_index

    t = time.perf_counter()
    full = build_index(seeds, folder, embedder, progress=False, log=lambda m: None)
    full_s = time.perf_counter() - t
    t = time.perf_counter()
    noop = build_index(seeds, folder, embedder, progress=False, log=lambda m: None)
    noop_s = time.perf_counter() - t
    return {"documents": full.documents, "passages": full.passages, "full_s": round(full_s, 2),
            "noop_s": round(noop_s, 2), "noop_share": _ratio(noop_s, full_s),
            "noop_reembedded": len(noop.added) + len(noop.changed)}


def measure_latency(floor_encode, engine, client: Client, asked: list[str]) -> dict:
    """Each question three ways in turn (bare model, engine, HTTP), so all three see the same machine."""
    floor, in_process, over_http = [], [], []
    for q in asked:
        t0 = time.perf_counter()
        floor_encode(q)
        t1 = time.perf_counter()
        engine.search(q, 10)
        t2 = time.perf_counter()
        status = client.search(q)
        t3 = time.perf_counter()
        if status != 200:
            raise RuntimeError(f"the server answered {status} to {q!r}")
        floor.append(t1 - t0), in_process.append(t2 - t1), over_http.append(t3 - t2)
    f50 = percentiles(floor)["p50"]
    return {"floor_ms": percentiles(floor), "latency_ms": {"in_process": _with_ratios(percentiles(in_process), f50),
                                                           "http": _with_ratios(percentiles(over_http), f50)}}


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
    return {"hit_rate": _ratio(hits, hits + misses), "in_process_ms": _with_ratios(percentiles(in_process), floor_p50),
            "http_ms": _with_ratios(percentiles(over_http), floor_p50)}


def run(index: Path | None = None, quick: bool = False, say=lambda msg: None) -> dict:
    """Measure everything; ``say`` hears progress. Returns one JSON-ready dict."""
    import torch
    from sentence_transformers import SentenceTransformer

    from . import store
    from .embed import CachedEncoder, SentenceTransformerEmbedder, model_path
    from .engine import Engine, load_index
    from .errors import IndexMismatch, IndexMissing

    settings = Settings.from_env(index=index)
    questions = bench_questions()
    fresh = FreshQuestions(questions)
    seconds = 3.0 if quick else 10.0
    report: dict = {"machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0], "torch": torch.__version__,
                                "load_before": round(os.getloadavg()[0], 2)},
                    "settings": {"threads": settings.threads, "torch_threads": settings.torch_threads,
                                 "cache_size": settings.cache_size},
                    "questions": {"source": str(DEV_QUESTIONS) if DEV_QUESTIONS.is_file() else "built-in",
                                  "count": len(questions)}}
    work = Path(tempfile.mkdtemp(prefix="search-bench-"))
    try:
        say("build: full, then no-op")
        build_threads = torch.get_num_threads()   # `python -m search build` leaves torch's default
        embedder = SentenceTransformerEmbedder(threads=settings.torch_threads)
        torch.set_num_threads(build_threads)
        report["build"] = {**measure_build(settings.seeds, work / "index", embedder), "torch_threads": build_threads}
        torch.set_num_threads(settings.torch_threads)   # the server's setting from here on
        try:
            store.current_version(settings.index)
            served = settings.index
        except (IndexMissing, IndexMismatch):
            served = work / "index"
        report["index"] = str(served)

        say("startup: python -m search serve until its first answer")
        server = Server(served, work / "server.log", probe=questions[0])
        try:
            report["startup_s"] = round(server.startup_s, 2)
            report["startup_cpu_s"] = round(server.startup_cpu_s, 2)
            floor_model = SentenceTransformer(str(model_path()), device="cpu", local_files_only=True)
            engine = Engine(load_index(served, embedder), CachedEncoder(embedder, settings.cache_size))
            client = Client(server.port)

            def floor_encode(q: str) -> None:
                floor_model.encode([q], convert_to_numpy=True, normalize_embeddings=True, show_progress_bar=False)

            say("latency: the bare model, in process and over HTTP, question by question")
            measure_latency(floor_encode, engine, client, fresh.take(8))   # warm-up
            asked = fresh.take((1 if quick else 4) * len(questions))
            report.update(measure_latency(floor_encode, engine, client, asked))

            say("cache: the same questions again")
            report["cache"] = measure_cache(engine, client, asked[:len(questions)], report["floor_ms"]["p50"])
            client.close()

            report["throughput"] = []
            for clients in (1, 4, 16):
                say(f"throughput: {clients} clients for {seconds:.0f} s")
                report["throughput"].append(throughput(server.port, fresh, clients, seconds))
            by = {t["clients"]: t for t in report["throughput"]}
            report["throughput_gain_16_vs_1"] = _ratio(by[16]["qps"], by[1]["qps"])
            report["server_memory_mb"] = {"peak": server.memory_mb("VmHWM"), "now": server.memory_mb("VmRSS")}
        finally:
            server.stop()
        del embedder, engine, floor_model
        gc.collect()

        report["scale"] = []
        for n in SCALE_SIZES[:2] if quick else SCALE_SIZES:
            say(f"scale: {n:,} synthetic passages")
            report["scale"].append(scale_in_subprocess(n, rounds=1 if quick else 2))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    report["machine"]["load_after"] = round(os.getloadavg()[0], 2)   # other work on the machine skews every figure
    return report


def format_report(r: dict) -> str:
    """The report as a plain-text table."""
    def pct(s: dict, ratios: bool = False) -> str:
        text = f"p50 {s['p50']:8.2f}  p95 {s['p95']:8.2f}  p99 {s['p99']:8.2f} ms"
        if ratios:
            text += f"   (x floor: {s['p50_x_floor']:.2f} / {s['p95_x_floor']:.2f} / {s['p99_x_floor']:.2f})"
        return text

    b, lat, cache = r["build"], r["latency_ms"], r["cache"]
    lines = [
        f"machine: {r['machine']['cpus']} cpus, python {r['machine']['python']}, torch {r['machine']['torch']}; "
        f"threads={r['settings']['threads']} torch_threads={r['settings']['torch_threads']}; "
        f"load average {r['machine']['load_before']:.2f} before, {r['machine']['load_after']:.2f} after",
        f"questions: {r['questions']['count']} from {r['questions']['source']}",
        "",
        f"build      full {b['full_s']:.2f} s ({b['documents']} documents, {b['passages']} passages, "
        f"{b['torch_threads']} torch threads); "
        f"no-op {b['noop_s']:.2f} s = {b['noop_share']:.0%} of full",
        f"startup    {r['startup_s']:.2f} s from `python -m search serve` to the first answer "
        f"({r['startup_cpu_s']:.2f} s of CPU)",
        f"floor      {pct(r['floor_ms'])}   (bare model encoding one question)",
        f"in process {pct(lat['in_process'], True)}",
        f"HTTP c=1   {pct(lat['http'], True)}",
        f"cached     HTTP {pct(cache['http_ms'], True)}; in-process hit rate {cache['hit_rate']:.0%}",
    ]
    for t in r["throughput"]:
        lines.append(f"throughput c={t['clients']:<2} {t['qps']:7.1f} q/s, {t['errors']} errors, {t['answered']} answers "
                     f"in {t['seconds']:.1f} s; latency p50 {t['latency_ms']['p50']:.1f} p99 {t['latency_ms']['p99']:.1f} ms")
    lines.append(f"           c=16 / c=1 = {r['throughput_gain_16_vs_1']:.2f}")
    m = r["server_memory_mb"]
    lines.append(f"memory     server peak {m['peak']:.0f} MB (now {m['now']:.0f} MB)")
    lines += ["", "scale: synthetic passages; search is the engine's query path without the encode; times in ms",
              "       kw top: KeywordIndex.top; kw all: a score for every passage, then the best picked;",
              f"       recall@10: the dense index's top 10 against exact search, {RECALL_QUERIES} random questions",
              f"{'passages':>10} {'index':>5} {'build dense':>11} {'build kw':>8} {'search p50':>10} {'p95':>6} {'p99':>6} "
              f"{'dense p50':>9} {'kw top':>6} {'kw all':>6} {'recall@10':>9} {'RSS MB':>7} {'peak MB':>7}"]
    for s in r["scale"]:
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
    return "\n".join(lines)


def main(args) -> int:
    """``python -m search bench``: print the table, or one JSON object with --json."""
    import logging

    logging.getLogger("bm25s").setLevel(logging.WARNING)
    say = (lambda msg: None) if args.json else (lambda msg: print(f"... {msg}", file=sys.stderr, flush=True))
    report = run(Path(args.index) if args.index else None, quick=args.quick, say=say)
    print(json.dumps(report) if args.json else format_report(report))
    return 0
