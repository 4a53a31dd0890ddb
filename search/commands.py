"""Commands on relevance that grows with use: ``feedback export|report`` and ``tune``.

    python -m search feedback export FILE      # judged questions (dev.jsonl format) from the kept feedback
    python -m search feedback report           # questions with no helpful result, documents most often unhelpful
    python -m search tune QUESTIONS.jsonl [--folds 5] [--min-gain 0.005] [--index DIR] [--seeds DIR] [--reset]

Registered in ``cli.py`` by ``add_commands``; thin adapters over ``feedback.py`` and ``tune.py``.
"""
from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path

from .errors import IndexMissing, SearchError


def _settings(args):
    return args.make_settings(args)   # the CLI's own (``add_commands``)


def cmd_feedback_export(args) -> int:
    from .encoders import load_encoder
    from .feedback import FeedbackLog, export_questions
    from .stores import has_index, open_store

    settings = _settings(args)
    rows = FeedbackLog(settings.data).read()
    if not has_index(settings):
        raise IndexMissing(f"no index in {settings.index}: run `python -m search build` first")
    store = open_store(settings, load_encoder(settings, lazy=True))
    texts = {d: store.document(d).text for d in store.document_ids()}
    answered, unanswered, dropped = export_questions(rows, texts)
    out = Path(args.file)
    _write_jsonl(out, answered)
    others = out.with_name(out.stem + ".unanswered.jsonl")
    _write_jsonl(others, unanswered)
    print(f"{len(answered)} judged questions written to {out} (from {len(rows)} judgements); "
          f"{len(unanswered)} questions with only \"not helpful\" answers written to {others}"
          + (f"; {dropped} helpful passages left out: no longer in their documents" if dropped else ""))
    if answered:
        print(f"measure the service on them: python -m search eval {out}")
    return 0


def _write_jsonl(path: Path, rows: list[dict]) -> None:
    try:
        path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    except OSError as exc:
        raise SearchError(f"cannot write {path}: {exc.strerror or exc}") from None


def cmd_feedback_report(args) -> int:
    from .feedback import FeedbackLog, format_report, report

    summary = report(FeedbackLog(_settings(args).data).read())
    print(json.dumps(summary, ensure_ascii=False, indent=2) if args.json else format_report(summary))
    return 0


def cmd_tune(args) -> int:
    from .build import build_index
    from .encoders import load_encoder
    from .evaluate import seed_texts
    from .fusion import FusionSettings
    from .stores import has_index, open_store, open_writer
    from .tune import describe, tune

    questions = args.read_questions(Path(args.questions))   # checked before the model loads
    settings = _settings(args)
    encoder = load_encoder(settings)
    import bm25s   # noqa: F401 -- it sets its logger to DEBUG when imported: quiet it after that

    logging.getLogger("bm25s").setLevel(logging.WARNING)
    quiet = {"progress": False, "log": lambda m: print(m, file=sys.stderr), "limits": settings.limits()}
    if not has_index(settings):
        print(f"no index in {settings.index}: building it from {settings.seeds} first", file=sys.stderr)
        print(build_index(settings.seeds, open_writer(settings), encoder, **quiet).summary(), file=sys.stderr)
    if args.reset:
        report = build_index(settings.seeds, open_writer(settings), encoder, fusion=FusionSettings(), **quiet)
        print(f"fusion settings reset to the defaults ({describe(FusionSettings())}): {report.summary()}")
        return 0
    store = open_store(settings, encoder)
    texts = {d: store.document(d).text for d in store.document_ids()}
    if args.seeds:   # quotes are judged against the documents as the build reads them
        texts.update({d: t for d, t in seed_texts(Path(args.seeds), settings.limits()).items() if d in texts})
    usable = [q for q in questions if all(g["file"] in texts and g["quote"] in texts[g["file"]] for g in q["gold"])]
    if len(usable) < len(questions):
        print(f"{len(questions) - len(usable)} questions left out: a quote is not in the indexed documents",
              file=sys.stderr)
    if len(usable) < 2:
        print("error: tuning needs at least two judged questions whose quotes are in the indexed documents",
              file=sys.stderr)
        return 2
    t0 = time.perf_counter()
    report = tune(store, encoder, usable, folds=args.folds, min_gain=args.min_gain)
    print(report.summary())
    print(f"({time.perf_counter() - t0:.1f} s)")
    if not report.improved:
        print("nothing changed: the index keeps its settings")
        return 0
    tuning = {"questions": report.questions, "folds": len(report.folds), "heldout_ndcg10_before": round(report.before, 4),
              "heldout_ndcg10_after": round(report.after, 4), "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    built = build_index(settings.seeds, open_writer(settings), encoder, fusion=report.fitted, tuning=tuning, **quiet)
    print(f"published the fitted settings: {built.summary()}")
    return 0


def _folds(value: str) -> int:
    """``--folds``: a whole number of at least 2; argparse reports anything else as a usage error."""
    if not value.strip().isdigit() or int(value) < 2:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 2, not {value!r}")
    return int(value)


def add_commands(sub, paths, read_questions, make_settings) -> None:
    """Add ``feedback`` and ``tune`` to the CLI's subparsers. From the CLI: ``paths(parser, seeds=...)`` adds
    --seeds/--index, ``read_questions(path)`` checks a judged question file, ``make_settings(args)``."""
    f = sub.add_parser("feedback", help="judged questions and a summary from the feedback staff gave on results")
    fsub = f.add_subparsers(dest="feedback_command", required=True)
    e = fsub.add_parser("export", help="write judged questions (dev.jsonl format) for `eval` and `tune`")
    e.add_argument("file", help="where to write them; questions with only unhelpful answers go to FILE.unanswered.jsonl")
    paths(e, seeds=False)
    e.set_defaults(func=cmd_feedback_export, make_settings=make_settings)
    r = fsub.add_parser("report", help="questions with no helpful result, documents most often unhelpful")
    r.add_argument("--json", action="store_true")
    paths(r, seeds=False)
    r.set_defaults(func=cmd_feedback_report, make_settings=make_settings)

    t = sub.add_parser("tune", help="fit the fusion settings to judged questions (cross-validated); "
                                    "publishes them only when held-out nDCG@10 improves")
    t.add_argument("questions", help="judged questions, dev.jsonl format (e.g. from `feedback export`)")
    paths(t)
    t.add_argument("--folds", type=_folds, default=5, help="cross-validation folds, 2 or more (default 5)")
    t.add_argument("--min-gain", type=float, default=0.005,
                   help="held-out nDCG@10 the fitted settings must gain to be published (default 0.005: less is noise)")
    t.add_argument("--reset", action="store_true", help="publish the default fusion settings instead")
    t.set_defaults(func=cmd_tune, make_settings=make_settings, read_questions=read_questions)
