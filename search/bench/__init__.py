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
  and queried in a process of its own so that its peak memory is its own (``scale.py``); and, when
  requirements-milvus.txt is installed, 10^5 of them in Milvus (``scale_milvus.py``).

Questions come from the shared dev set when it exists. Each asking uses a fresh spelling, so no
answer comes from the cache by accident: ``respell`` flips the case of some letters, which is the
same work for the uncased model and for BM25, which lower-cases. The helpers (questions,
percentiles, the server in a subprocess) are in ``tools.py``, which the tests reuse.
"""
from __future__ import annotations

import gc
import json
import os
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

from ..settings import Settings
from .scale import SCALE_SIZES, format_scale, scale_in_subprocess
from .scale_milvus import MILVUS_SIZES, format_milvus, milvus_in_subprocess, milvus_installed
from .tools import DEV_QUESTIONS, Client, FreshQuestions, ServerProcess, bench_questions, percentiles


# -- the measurements ------------------------------------------------------------------------

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


def measure_build(seeds: Path, folder: Path, encoder) -> dict:
    """A full build into an empty folder, then a no-op rebuild of the same folder."""
    from ..build import build_index

    t = time.perf_counter()
    full = build_index(seeds, folder, encoder, progress=False, log=lambda m: None)
    full_s = time.perf_counter() - t
    t = time.perf_counter()
    noop = build_index(seeds, folder, encoder, progress=False, log=lambda m: None)
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

    from ..encoders import CachedEncoder, load_encoder, model_path
    from ..engine import Engine
    from ..errors import IndexMismatch, IndexMissing
    from ..stores import open_store

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
        encoder = load_encoder(settings)
        torch.set_num_threads(build_threads)
        report["build"] = {**measure_build(settings.seeds, work / "index", encoder), "torch_threads": build_threads}
        torch.set_num_threads(settings.torch_threads)   # the server's setting from here on
        try:
            open_store(settings, encoder)
            served = settings.index
        except (IndexMissing, IndexMismatch):
            served = work / "index"
        report["index"] = str(served)

        say("startup: python -m search serve until its first answer")
        server = ServerProcess(served, log_path=work / "server.log", probe=questions[0], timeout=180.0, poll=0.05)
        try:
            report["startup_s"] = round(server.startup_s, 2)
            report["startup_cpu_s"] = round(server.startup_cpu_s, 2)
            floor_model = SentenceTransformer(str(model_path()), device="cpu", local_files_only=True)
            engine = Engine(open_store(settings.replace(index=served), encoder), CachedEncoder(encoder, settings.cache_size))
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
        del encoder, engine, floor_model
        gc.collect()

        report["scale"] = []
        for n in SCALE_SIZES[:2] if quick else SCALE_SIZES:
            say(f"scale: {n:,} synthetic passages")
            report["scale"].append(scale_in_subprocess(n, rounds=1 if quick else 2))
        if milvus_installed():   # the same measurement with the index in Milvus (scale_milvus.py)
            report["scale_milvus"] = []
            for n in (10_000,) if quick else MILVUS_SIZES:
                say(f"scale in Milvus: {n:,} synthetic passages")
                report["scale_milvus"].append(milvus_in_subprocess(n, rounds=1))
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
    lines += ["", *format_scale(r["scale"])]
    if r.get("scale_milvus"):
        lines += ["", *format_milvus(r["scale_milvus"])]
    return "\n".join(lines)


def main(args) -> int:
    """``python -m search bench``: print the table, or one JSON object with --json."""
    import logging

    logging.getLogger("bm25s").setLevel(logging.WARNING)
    say = (lambda msg: None) if args.json else (lambda msg: print(f"... {msg}", file=sys.stderr, flush=True))
    report = run(Path(args.index) if args.index else None, quick=args.quick, say=say)
    print(json.dumps(report) if args.json else format_report(report))
    return 0
