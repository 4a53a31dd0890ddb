"""Relevance report for judged questions, in process, by the rules of ``shared/eval/score.py``.

A judged question file has one JSON object per line::

    {"id": "q1", "query": "...", "kind": "paraphrase",
     "gold": [{"file": "doc.txt", "quote": "exact text from the document", "grade": 2, "section": ["..."]}]}

Rules: a passage covers a gold quote when it holds at least half of the quote's characters; each
quote is credited once, at the first passage covering it; gains are grades (2 answers, 1 related);
recall and success count grade-2 quotes; section accuracy compares the innermost heading (one may
be a prefix of the other, case and spacing ignored); a passage whose text is not exactly the
source slice is an offset error and earns nothing.
"""
from __future__ import annotations

import collections
import json
import logging
import math
from pathlib import Path

from .encoders import CachedEncoder, load_encoder
from .engine import Engine
from .errors import SearchError
from .patterns import squash
from .settings import Settings
from .stores import open_store

METRICS = ["ndcg10", "recall5", "recall10", "mrr10", "success1", "success5"]


def load_questions(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def _norm(s) -> str:
    return squash(str(s)).casefold()


def same_heading(a, b) -> bool:
    a, b = _norm(a), _norm(b)
    return bool(a) and bool(b) and (a.startswith(b) or b.startswith(a))


def score_question(question: dict, results: list[dict], texts: dict[str, str], k: int) -> dict:
    """Scores of one question; ``results`` are API-shaped dicts with ``text`` and ``citation``."""
    spans = []
    for g in question["gold"]:
        s = texts[g["file"]].index(g["quote"])
        spans.append((g["file"], s, s + len(g["quote"]), g["grade"], g.get("section") or []))
    answers = [i for i, sp in enumerate(spans) if sp[3] == 2] or list(range(len(spans)))
    hits, bad = [], 0
    for r in results[:k]:
        c = r.get("citation", {})
        f, s, e = c.get("doc"), c.get("start"), c.get("end")
        if f in texts and isinstance(s, int) and isinstance(e, int) and texts[f][s:e] == r.get("text"):
            hits.append((f, s, e, c.get("section") or []))
        else:
            bad += 1
            hits.append(None)

    def covers(h, sp) -> bool:
        return h is not None and h[0] == sp[0] and min(h[2], sp[2]) - max(h[1], sp[1]) >= 0.5 * (sp[2] - sp[1])

    credited, gains, sec_pairs, sec_ok = set(), [], 0, 0
    for h in hits:
        new = [i for i, sp in enumerate(spans) if i not in credited and covers(h, sp)]
        gains.append(max((spans[i][3] for i in new), default=0))
        credited.update(new)
        for sp in spans:
            if covers(h, sp) and sp[4]:
                sec_pairs += 1
                sec_ok += bool(h[3]) and same_heading(h[3][-1], sp[4][-1])
    dcg = sum(g / math.log2(r + 2) for r, g in enumerate(gains))
    ideal = sorted((sp[3] for sp in spans), reverse=True)[:k]
    idcg = sum(g / math.log2(r + 2) for r, g in enumerate(ideal))

    def recall(n: int) -> float:
        return len({i for h in hits[:n] for i in answers if covers(h, spans[i])}) / len(answers)

    rr = next((1 / (r + 1) for r, h in enumerate(hits) if any(covers(h, spans[i]) for i in answers)), 0.0)
    return {"ndcg10": dcg / idcg if idcg else 0.0, "recall5": recall(5), "recall10": recall(10), "mrr10": rr,
            "success1": float(recall(1) > 0), "success5": float(recall(5) > 0),
            "sec_pairs": sec_pairs, "sec_ok": sec_ok, "offset_errors": bad}


def aggregate(rows: list[dict]) -> dict:
    out = {key: round(sum(r[key] for r in rows) / len(rows), 4) for key in METRICS}
    pairs = sum(r["sec_pairs"] for r in rows)
    out["section_acc"] = round(sum(r["sec_ok"] for r in rows) / pairs, 4) if pairs else None
    out["offset_errors"] = sum(r["offset_errors"] for r in rows)
    out["n"] = len(rows)
    return out


def evaluate(engine: Engine, questions: list[dict], k: int = 10, texts: dict[str, str] | None = None) -> dict:
    """The report: {"all": {...}, "<kind>": {...}} with the metrics of score.py."""
    store = engine.store
    texts = texts or {d: store.document(d).text for d in store.document_ids()}
    usable = [q for q in questions if all(g["quote"] in texts.get(g["file"], "") for g in q["gold"])]
    if len(usable) < len(questions):   # judged before an edit: the quote is no longer in its document
        logging.getLogger(__name__).warning("%d of %d questions left out: a quote is not in the indexed documents",
                                            len(questions) - len(usable), len(questions))
    if questions and not usable:
        raise SearchError("none of the questions' quotes is in the indexed documents: nothing to measure")
    rows = []
    for q in usable:
        response = engine.search(q["query"], k)
        row = score_question(q, [h.to_json() for h in response.results], texts, k)  # the API's JSON
        row["kind"] = q.get("kind", "all")
        row["id"] = q.get("id")
        rows.append(row)
    report = {"all": aggregate(rows)}
    kinds = collections.defaultdict(list)
    for r in rows:
        kinds[r["kind"]].append(r)
    for kind in sorted(kinds):
        report[kind] = aggregate(kinds[kind])
    return report


def evaluate_file(path: Path, settings: Settings, k: int = 10, seeds: Path | None = None, embedder=None) -> dict:
    embedder = embedder or load_encoder(settings)
    engine = Engine(open_store(settings, embedder), CachedEncoder(embedder))
    texts = None
    if seeds is not None:
        texts = seed_texts(Path(seeds), settings.limits())
    return evaluate(engine, load_questions(path), k, texts)


def seed_texts(seeds: Path, limits=None) -> dict[str, str]:
    """Each usable document's stored text by id, read as the build reads it (any format)."""
    from .documents import discover, load_document
    from .errors import BadDocument
    from .settings import DocumentLimits

    texts = {}
    for p in discover(seeds):
        try:
            doc = load_document(p, seeds, limits=limits or DocumentLimits())
        except BadDocument:
            continue   # the build skips it too
        texts[doc.doc_id] = doc.text
    return texts


def format_report(report: dict) -> str:
    lines = []
    for name, m in report.items():
        lines.append(f"{name:11s} n={m['n']:3d}  nDCG@10={m['ndcg10']:.3f}  R@5={m['recall5']:.3f}  R@10={m['recall10']:.3f}"
                     f"  MRR={m['mrr10']:.3f}  S@1={m['success1']:.3f}  S@5={m['success5']:.3f}"
                     f"  sections={m['section_acc']}  offset_errors={m['offset_errors']}")
    return "\n".join(lines)
