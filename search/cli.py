"""Command line: ``python -m search build|query|serve|eval|bench``. A thin adapter over the engine, like ``web/``."""
from __future__ import annotations

import argparse
import json
import logging
import sys
import textwrap
from pathlib import Path

from .errors import BadDocument, SearchError
from .settings import DEFAULT_K, MAX_K, Settings


def _settings(args) -> Settings:
    return Settings.from_env(**{k: getattr(args, k, None) for k in ("seeds", "index", "host", "port")})


def load_embedder(settings: Settings):
    from .encoders import load_encoder

    return load_encoder(settings)


def cmd_build(args) -> int:
    from .build import build_index
    from .chunk import ChunkSettings
    from .encoders import load_encoder
    from .stores import open_writer

    settings = _settings(args)
    report = build_index(settings.seeds, open_writer(settings), load_encoder(settings, lazy=True), ChunkSettings(),
                         strict=args.strict, progress=not args.quiet, limits=settings.limits())
    print(report.summary())
    return 0


def cmd_query(args) -> int:
    from .encoders import CachedEncoder
    from .engine import Engine
    from .stores import open_store

    settings = _settings(args)
    embedder = load_embedder(settings)
    engine = Engine(open_store(settings, embedder), CachedEncoder(embedder))
    response = engine.search(args.question, args.k or settings.default_k, args.doc or None)
    if args.json:
        print(json.dumps(response.to_json(), ensure_ascii=False, indent=2))
        return 0
    print(f"{len(response.results)} passages in {response.took_ms:.1f} ms (index {response.version})\n")
    for hit in response.results:
        p = hit.passage
        where = " › ".join(p.section) or "(before the first heading)"
        print(f"{hit.rank:2d}. [{hit.score:.3f}] {hit.title}\n    § {where}\n    {p.doc_id} lines {p.line_start}–{p.line_end}"
              f" (chars {p.start}–{p.end})")
        print(textwrap.indent(textwrap.fill(" ".join(p.text.split()), 96), "    > ") + "\n")
    return 0


def cmd_serve(args) -> int:
    from web.serve import serve, setup_logging

    from .service import SearchService
    from .stores import has_index

    settings = _settings(args)
    setup_logging(settings.log_level)
    encoder = load_embedder(settings)
    service = SearchService(settings, encoder)
    if not has_index(settings):   # listen at once; answer 503 with the build's progress until it is done
        logging.getLogger("search.serve").info("no index in %s: building it from %s", settings.index, settings.seeds)
        service.build_in_background()
    serve(settings, encoder, service=service)
    return 0


def cmd_eval(args) -> int:
    from .evaluate import evaluate_file, format_report

    settings = _settings(args)
    report = evaluate_file(Path(args.questions), settings, k=args.k, seeds=Path(args.seeds) if args.seeds else None)
    print(json.dumps(report) if args.json else format_report(report))
    return 0


def cmd_bench(args) -> int:
    from .bench import main as bench_main

    return bench_main(args)


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="python -m search", description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="command", required=True)

    def paths(p, seeds=True):
        if seeds:
            p.add_argument("--seeds", help="folder of source documents (default: seeds/)")
        p.add_argument("--index", help="index folder (default: index/)")

    b = sub.add_parser("build", help="build or update the index from the seeds folder")
    paths(b)
    b.add_argument("--strict", action="store_true", help="stop at the first unreadable document")
    b.add_argument("--quiet", action="store_true", help="no progress bar")
    b.set_defaults(func=cmd_build)

    q = sub.add_parser("query", help="ask one question and print ranked passages")
    paths(q, seeds=False)
    q.add_argument("question")
    q.add_argument("-k", type=int, help=f"how many passages (1-{MAX_K}; default {DEFAULT_K}, SEARCH_DEFAULT_K)")
    q.add_argument("--doc", action="append", help="only this document id (repeatable)")
    q.add_argument("--json", action="store_true", help="print the API's JSON answer")
    q.set_defaults(func=cmd_query)

    s = sub.add_parser("serve", help="serve the web page and JSON API (builds the index first if missing)")
    paths(s)
    s.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    s.add_argument("--port", type=int, help="port to listen on (default 8000)")
    s.set_defaults(func=cmd_serve)

    e = sub.add_parser("eval", help="relevance report for a judged question file (dev.jsonl format)")
    e.add_argument("questions")
    paths(e)
    e.add_argument("--k", type=int, default=DEFAULT_K, help="rank cut-off of the metrics (nDCG@k and the rest)")
    e.add_argument("--json", action="store_true")
    e.set_defaults(func=cmd_eval)

    bench = sub.add_parser("bench", help="measure build, startup, latency, throughput, memory and scale")
    paths(bench, seeds=False)
    bench.add_argument("--json", action="store_true", help="print one JSON object")
    bench.add_argument("--quick", action="store_true", help="shorter runs and smaller scale sizes")
    bench.set_defaults(func=cmd_bench)
    return ap


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.command != "serve":
        logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("bm25s").setLevel(logging.WARNING)  # it logs each index build at DEBUG
    try:
        return args.func(args)
    except BadDocument as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except SearchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 3
    except KeyboardInterrupt:
        return 130
