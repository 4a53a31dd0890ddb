"""Command line: ``python -m search build|query|serve|eval|calibrate|bench|feedback|tune``. A thin adapter over the engine, like ``web/``."""
from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import sys
import textwrap
from pathlib import Path

from .errors import BadDocument, IndexMissing, SearchError
from .patterns import display_path
from .settings import DEFAULT_K, MAX_K, Settings


def _settings(args) -> Settings:
    return Settings.from_env(**{k: getattr(args, k, None) for k in ("seeds", "index", "host", "port")})


def load_embedder(settings: Settings):
    from .encoders import load_encoder

    return load_encoder(settings)


def cmd_build(args) -> int:
    from .access import configured_policy
    from .build import build_index
    from .chunk import ChunkSettings
    from .encoders import load_encoder
    from .stores import open_writer

    settings = _settings(args)
    import bm25s   # noqa: F401 -- it sets its logger to DEBUG when imported: quiet it after that

    logging.getLogger("bm25s").setLevel(logging.WARNING)
    with BuildProgress(enabled=not args.quiet) as bar:
        report = build_index(settings.seeds, open_writer(settings), load_encoder(settings, lazy=True), ChunkSettings(),
                             strict=args.strict, progress=False, limits=settings.limits(), on_progress=bar.update,
                             log=bar.write, access=configured_policy(settings))
    print(report.summary())
    return 0


class BuildProgress:
    """The build's one progress bar on stderr: documents read, then passages embedded."""

    def __init__(self, enabled: bool = True):
        self.enabled = enabled
        self.bar = None
        self.stage = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.bar is not None:
            self.bar.close()

    def update(self, stage: str, done: int, total: int) -> None:
        if not self.enabled or not total:
            return
        from tqdm import tqdm

        if stage != self.stage:
            if self.bar is not None:
                self.bar.close()
            unit = "document" if stage == "documents" else "passage"
            label = "reading" if stage == "documents" else "embedding"
            width = min(100, shutil.get_terminal_size((80, 20)).columns or 80)   # a pty may report 0 columns
            self.bar = tqdm(total=total, desc=label, unit=f" {unit}s", file=sys.stderr, ncols=width)
            self.stage = stage
        self.bar.n = done
        self.bar.refresh()

    def write(self, message: str) -> None:
        """A log line that does not break the bar."""
        if self.bar is not None:
            from tqdm import tqdm

            tqdm.write(message, file=sys.stderr)
        else:
            print(message, file=sys.stderr)


def cmd_query(args) -> int:
    from .encoders import CachedEncoder
    from .engine import Engine
    from .stores import open_store

    from .stores import has_index

    settings = _settings(args)
    if not has_index(settings):   # say so before spending seconds on loading the model
        raise IndexMissing(f"no index in {settings.index}: run `python -m search build` first")
    embedder = load_embedder(settings)
    engine = Engine(open_store(settings, embedder), CachedEncoder(embedder))
    response = engine.search(args.question, args.k or settings.default_k, args.doc or None,
                             min_confidence=args.min_confidence or 0.0)
    if args.json:
        print(json.dumps(response.to_json(), ensure_ascii=False, indent=2))
        return 0
    count = len(response.results)
    print(f"{count} passage{'' if count == 1 else 's'} in {response.took_ms:.1f} ms (index {response.version}); "
          f"match: {response.match}\n")
    if response.match == "none":
        print("No passage matches your question closely; these are the nearest.\n")
    for hit in response.results:
        p = hit.passage
        where = display_path(p.section) or "(before the first heading)"
        lines = f"line {p.line_start}" if p.line_start == p.line_end else f"lines {p.line_start}–{p.line_end}"
        print(f"{hit.rank:2d}. [{hit.score:.3f}, confidence {hit.confidence:.2f}] {hit.title}\n    § {where}\n"
              f"    {p.doc_id} {lines} (chars {p.start}–{p.end})")
        print(textwrap.indent(textwrap.fill(" ".join(p.text.split()), 96), "    > ") + "\n")
    return 0


def cmd_serve(args) -> int:
    from web.serve import serve, setup_logging

    from .service import SearchService
    from .stores import has_index

    settings = _settings(args)
    setup_logging(settings.log_level)
    from web.caller import Access

    Access(settings)   # wrong access settings stop the start before the model loads
    encoder = load_embedder(settings)
    service = SearchService(settings, encoder)
    if not has_index(settings):   # listen at once; answer 503 with the build's progress until it is done
        logging.getLogger("search.serve").info("no index in %s: building it from %s", settings.index, settings.seeds)
        service.build_in_background()
    serve(settings, encoder, service=service)
    return 0


class UsageError(Exception):
    """Bad input found before any work: a one-line message, exit status 2."""


def read_question_file(path: Path) -> list[dict]:
    """A judged question file (dev.jsonl format), checked line by line; UsageError names the first problem."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UsageError(f"no such question file: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read the question file {path}: {exc}") from None
    questions = []
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            q = json.loads(line)
        except ValueError:
            raise UsageError(f"{path}, line {n}: not JSON (one question object per line, dev.jsonl format)") from None
        if not (isinstance(q, dict) and isinstance(q.get("query"), str) and isinstance(q.get("gold"), list)
                and all(isinstance(g, dict) and {"file", "quote", "grade"} <= set(g) for g in q["gold"])):
            raise UsageError(f"{path}, line {n}: each question needs \"query\" and \"gold\" "
                             "([{\"file\", \"quote\", \"grade\"}]), as in dev.jsonl")
        questions.append(q)
    if not questions:
        raise UsageError(f"{path}: no questions")
    return questions


def cmd_eval(args) -> int:
    from .evaluate import evaluate_file, format_report
    from .stores import has_index

    read_question_file(Path(args.questions))   # before the model loads
    settings = _settings(args)
    if not has_index(settings):
        raise IndexMissing(f"no index in {settings.index}: run `python -m search build` first")
    report = evaluate_file(Path(args.questions), settings, k=args.k, seeds=Path(args.seeds) if args.seeds else None)
    print(json.dumps(report) if args.json else format_report(report))
    return 0


def cmd_calibrate(args) -> int:
    from .calibrate import calibrate
    from .encoders import CachedEncoder
    from .engine import Engine
    from .stores import has_index, open_store

    read_question_file(Path(args.dev))
    if not Path(args.offtopic).is_file():
        raise UsageError(f"no such file of off-topic questions: {args.offtopic}")
    settings = _settings(args)
    if not has_index(settings):
        raise IndexMissing(f"no index in {settings.index}: run `python -m search build` first")
    embedder = load_embedder(settings)
    engine = Engine(open_store(settings, embedder), CachedEncoder(embedder))
    print(json.dumps(calibrate(engine, Path(args.dev), Path(args.offtopic)), indent=2))
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
    q.add_argument("--min-confidence", type=float, help="leave out results less confident than this (0 to 1)")
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

    c = sub.add_parser("calibrate", help="refit the confidence model on judged and off-topic questions")
    c.add_argument("--dev", default=str(Path(__file__).resolve().parents[2] / "shared" / "eval" / "dev.jsonl"),
                   help="judged questions, dev.jsonl format (default: ../shared/eval/dev.jsonl)")
    c.add_argument("--offtopic", default=str(Path(__file__).resolve().parents[1] / "tests" / "offtopic.txt"),
                   help="off-topic questions, one a line (default: tests/offtopic.txt)")
    paths(c, seeds=False)
    c.set_defaults(func=cmd_calibrate)

    bench = sub.add_parser("bench", help="measure build, startup, latency, throughput, memory and scale")
    paths(bench, seeds=False)
    bench.add_argument("--json", action="store_true", help="print one JSON object")
    bench.add_argument("--quick", action="store_true", help="shorter runs and smaller scale sizes")
    bench.set_defaults(func=cmd_bench)

    from .cli_keys import add_parser as add_keys_parser

    add_keys_parser(sub)
    from .commands import add_commands   # feedback export|report, tune

    add_commands(sub, paths, read_question_file, _settings)
    return ap


def main(argv: list[str] | None = None) -> int:
    # Other libraries' progress bars and advice stay quiet: the build shows its own bar.
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    args = parser().parse_args(argv)
    if args.command != "serve":
        logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("bm25s").setLevel(logging.WARNING)  # it logs each index build at DEBUG
    try:
        return args.func(args)
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except BadDocument as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except SearchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 3
    except KeyboardInterrupt:
        return 130
