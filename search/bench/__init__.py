"""How fast search is on this machine, and how its cost grows with the number of passages.

    python -m search bench [--json] [--quick] [--index DIR]

Every figure is measured on the spot, for each backend (ONNX Runtime, PyTorch) side by side:

- build: a full build of the seeds into a fresh folder, with every core as ``python -m search build``
  has them, then a no-op rebuild; the same build as its own ``python -m search build`` process
  (which also imports sentence-transformers and loads the model); beside them the build floor, the
  bare PyTorch model (SentenceTransformer, loaded) encoding the same passages and sentences in one call,
  the faster of two, in a fresh process;
- startup: from starting ``python -m search serve`` to its first answered question;
- floor: the bare PyTorch model encoding one question, on the server's threads per encode; beside it
  the backend's own encoder doing the same;
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
from pathlib import Path

from ..settings import Settings
from .measure import (bare_torch_encode_s, measure_build, measure_build_process, measure_cache, measure_latency,
                      ratio, throughput)
from .scale import SCALE_SIZES, format_scale, scale_in_subprocess
from .scale_milvus import MILVUS_SIZES, format_milvus, milvus_in_subprocess, milvus_installed
from .tools import DEV_QUESTIONS, Client, FreshQuestions, ServerProcess, bench_questions

BACKENDS = ("onnx", "torch")


def serve_backend(backend: str, served: Path, settings: Settings, floor_model, fresh: FreshQuestions, quick: bool,
                  work: Path, say) -> dict:
    """A server on ``backend`` over ``served``: startup, latency against the floor, cache, throughput, memory."""
    from ..encoders import CachedEncoder, load_encoder
    from ..engine import Engine
    from ..stores import open_store

    say(f"{backend}: python -m search serve until its first answer")
    server = ServerProcess(served, log_path=work / f"server-{backend}.log", probe=fresh.questions[0], timeout=300.0,
                           poll=0.05, env={"SEARCH_BACKEND": backend, "SEARCH_ENCODER": "model"})
    try:
        out: dict = {"startup_s": round(server.startup_s, 2), "startup_cpu_s": round(server.startup_cpu_s, 2)}
        encoder = load_encoder(settings.replace(backend=backend, encoder="model"))   # the server's threads per encode
        engine = Engine(open_store(settings.replace(index=served), encoder), CachedEncoder(encoder, settings.cache_size))
        client = Client(server.port)

        def floor_encode(q: str) -> None:
            floor_model.encode([q], convert_to_numpy=True, normalize_embeddings=True, show_progress_bar=False)

        say(f"{backend}: latency of the bare PyTorch model, the encoder, in process and over HTTP")
        measure_latency(floor_encode, lambda q: encoder.encode([q]), engine, client, fresh.take(8))   # warm-up
        asked = fresh.take((1 if quick else 4) * len(fresh.questions))
        out.update(measure_latency(floor_encode, lambda q: encoder.encode([q]), engine, client, asked))
        out["cache"] = measure_cache(engine, client, asked[:len(fresh.questions)], out["floor_ms"]["p50"])
        client.close()
        out["throughput"] = []
        for clients in (1, 4, 16):
            say(f"{backend}: throughput, {clients} clients")
            out["throughput"].append(throughput(server.port, fresh, clients, 3.0 if quick else 10.0))
        by = {t["clients"]: t for t in out["throughput"]}
        out["throughput_gain_16_vs_1"] = ratio(by[16]["qps"], by[1]["qps"])
        out["server_memory_mb"] = {"peak": server.memory_mb("VmHWM"), "now": server.memory_mb("VmRSS")}
    finally:
        server.stop()
    return out


def run(index: Path | None = None, quick: bool = False, say=lambda msg: None, backends=BACKENDS) -> dict:
    """Measure everything for each of ``backends``; ``say`` hears progress. Returns one JSON-ready dict."""
    import torch
    from sentence_transformers import SentenceTransformer

    from ..encoders import load_encoder, resolve_model
    from ..errors import IndexMismatch, IndexMissing
    from ..stores import open_store

    settings = Settings.from_env(index=index)
    questions = bench_questions()
    fresh = FreshQuestions(questions)
    model = resolve_model(settings.model, settings.model_cache)
    report: dict = {"machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0], "torch": torch.__version__,
                                "load_before": round(os.getloadavg()[0], 2)},
                    "settings": {"threads": settings.threads, "torch_threads": settings.torch_threads,
                                 "cache_size": settings.cache_size, "model": model.name,
                                 "precision": settings.precision},
                    "questions": {"source": str(DEV_QUESTIONS) if DEV_QUESTIONS.is_file() else "built-in",
                                  "count": len(questions)},
                    "backends": {b: {} for b in backends}}
    work = Path(tempfile.mkdtemp(prefix="search-bench-"))
    try:
        build_threads = torch.get_num_threads()   # `python -m search build` leaves every core to the model
        texts: list[str] = []
        for backend in backends:
            say(f"{backend}: build, full then no-op")
            encoder = load_encoder(settings.replace(backend=backend, encoder="model"), lazy=True)
            torch.set_num_threads(build_threads)
            build = measure_build(settings.seeds, work / f"index-{backend}", encoder)
            texts = build.pop("_texts")
            del encoder
            gc.collect()
            say(f"{backend}: build in a fresh process, as `python -m search build`")
            build.update(measure_build_process(settings.seeds, work / f"index-{backend}-process", backend))
            report["backends"][backend]["build"] = build
        say("build floor: the bare PyTorch model encoding the same passages and sentences")
        floor_s = bare_torch_encode_s(model.folder, texts, work)
        floor_model = SentenceTransformer(str(model.folder), device="cpu", local_files_only=True)
        report["build_floor"] = {"texts": len(texts), "seconds": round(floor_s, 2),
                                 "texts_per_s": round(len(texts) / floor_s, 1), "torch_threads": build_threads}
        for backend in backends:
            build = report["backends"][backend]["build"]
            build["x_floor"], build["embed_x_floor"] = ratio(build["full_s"], floor_s), ratio(build["embed_s"], floor_s)
            build["process_x_floor"] = ratio(build["process_s"], floor_s)

        torch.set_num_threads(settings.torch_threads)   # the server's setting from here on
        try:   # the configured index when this model can serve it, else the first backend's fresh build
            open_store(settings, load_encoder(settings.replace(encoder="model"), lazy=True))
            served = settings.index
        except (IndexMissing, IndexMismatch):
            served = work / f"index-{backends[0]}"
        report["index"] = str(served)
        for backend in backends:
            report["backends"][backend].update(serve_backend(backend, served, settings, floor_model, fresh, quick,
                                                             work, say))
        del floor_model
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


def _pct(s: dict, ratios: bool = False) -> str:
    text = f"{s['p50']:.1f} / {s['p95']:.1f} / {s['p99']:.1f} ms"
    if ratios:
        text += f" ({s['p50_x_floor']:.2f}/{s['p95_x_floor']:.2f}/{s['p99_x_floor']:.2f}x)"
    return text


def _rows(r: dict, b: dict) -> list[tuple[str, str]]:
    """(measure, value) for one backend's part of the report."""
    build, lat = b["build"], b["latency_ms"]
    rows = [("build, full", f"{build['full_s']:.1f} s = {build['x_floor']:.2f}x bare torch encode"),
            ("build, encoding", f"{build['embed_s']:.1f} s, {build['texts_per_s']:.0f} texts/s, {build['threads']} thr"),
            ("build, no-op", f"{build['noop_s']:.2f} s = {build['noop_share']:.0%} of full"),
            ("build, fresh process", f"{build['process_s']:.1f} s = {build['process_x_floor']:.2f}x "
                                     f"(importing the model's libraries {build['import_s']:.1f} s)")]
    if "startup_s" in b:
        by = {t["clients"]: t for t in b["throughput"]}
        rows += [("startup", f"{b['startup_s']:.1f} s ({b['startup_cpu_s']:.1f} s CPU)"),
                 ("floor: bare torch, 1 question", _pct(b["floor_ms"])),
                 ("encoder alone, 1 question", _pct(b["encode_ms"], True)),
                 ("in process, p50/p95/p99", _pct(lat["in_process"], True)),
                 ("HTTP c=1, p50/p95/p99", _pct(lat["http"], True)),
                 ("HTTP, cached question", _pct(b["cache"]["http_ms"])),
                 *[(f"throughput c={c}", f"{by[c]['qps']:.1f} q/s, {by[c]['errors']} errors, "
                                         f"p99 {by[c]['latency_ms']['p99']:.0f} ms") for c in sorted(by)],
                 ("throughput c=16 / c=1", f"{b['throughput_gain_16_vs_1']:.2f}"),
                 ("server memory, peak (now)", f"{b['server_memory_mb']['peak']:.0f} MB "
                                               f"({b['server_memory_mb']['now']:.0f} MB)")]
    return rows


def format_report(r: dict) -> str:
    """The report as a plain-text table, one column per backend."""
    m, s = r["machine"], r["settings"]
    lines = [
        f"machine: {m['cpus']} cpus, python {m['python']}, torch {m['torch']}; threads={s['threads']} "
        f"torch_threads={s['torch_threads']}; load average {m['load_before']:.2f} before, {m['load_after']:.2f} after",
        f"model: {s.get('model', '?')} ({s.get('precision', 'fp32')} on onnx); "
        f"questions: {r['questions']['count']} from {r['questions']['source']}",
    ]
    f = r["build_floor"]
    lines.append(f"build floor: bare torch encodes the build's {f['texts']:,} passages and sentences in "
                 f"{f['seconds']:.1f} s ({f['texts_per_s']:.0f} texts/s, {f['torch_threads']} threads)")
    names = list(r["backends"])
    columns = [dict(_rows(r, r["backends"][n])) for n in names]
    width = max(len(v) for c in columns for v in c.values()) + 2
    lines += ["", f"{'':32s}" + "".join(f"{n:<{width}s}" for n in names)]
    for key in dict(_rows(r, r["backends"][names[0]])):
        lines.append(f"{key:32s}" + "".join(f"{c.get(key, ''):<{width}s}" for c in columns))
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
