"""Judgements of results ("helpful" or not), kept as JSONL under the data folder, outside the index.

    book = FeedbackLog(settings.data)
    book.append(feedback_record(q, passage, title, version, helpful=True))
    export_questions(book.read(), store)   # -> judged questions in the format of shared/eval/dev.jsonl

One file a month (``feedback/feedback-2026-11.jsonl``), one judgement a line: the question, the
passage's citation and text, the index version that answered and the time; never who sent it.
Rebuilding the index leaves the folder alone. A line is written with one ``write`` call and
taken back whole when the disk refuses part of it, so a full disk or a read-only folder loses
nothing already kept (``FeedbackUnavailable``, a 503). A reader skips a line it cannot parse.
"""
from __future__ import annotations

import collections
import json
import os
import threading
import time
from pathlib import Path

from .errors import SearchError
from .model import Passage
from .patterns import squash

MAX_COMMENT_CHARS = 2000


class FeedbackUnavailable(SearchError):
    """The data folder cannot take feedback now (full, read-only, missing rights); nothing was lost."""

    status = 503


def feedback_record(q: str, passage: Passage, title: str, version: str, helpful: bool, comment: str = "",
                    now: float | None = None) -> dict:
    """One judgement as it is kept: question, citation, text, index version, UTC time; no client address."""
    row = {"time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now)), "q": q, "helpful": bool(helpful),
           "doc": passage.doc_id, "title": title, "section": list(passage.section), "start": passage.start,
           "end": passage.end, "line_start": passage.line_start, "line_end": passage.line_end, "text": passage.text,
           "index_version": version}
    if comment:
        row["comment"] = comment
    return row


class FeedbackLog:
    """Append-only JSONL files under ``data/feedback/``; safe to share between threads and processes."""

    def __init__(self, data_dir: Path):
        self.folder = Path(data_dir) / "feedback"
        self._lock = threading.Lock()

    def path_for(self, now: float | None = None) -> Path:
        return self.folder / f"feedback-{time.strftime('%Y-%m', time.gmtime(now))}.jsonl"

    def append(self, record: dict) -> None:
        """Add one judgement; FeedbackUnavailable when the folder cannot take it (what was kept stays whole)."""
        line = (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8")
        path = self.path_for()
        with self._lock:
            try:
                self.folder.mkdir(parents=True, exist_ok=True)
                fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            except OSError as exc:
                raise FeedbackUnavailable(f"feedback cannot be kept right now ({_reason(exc)}); nothing was lost, "
                                          "try again later") from None
            try:
                _append_whole(fd, line)
            finally:
                os.close(fd)

    def read(self) -> list[dict]:
        """Every judgement kept, oldest first; lines that do not parse (a torn write) are skipped."""
        rows = []
        for path in sorted(self.folder.glob("feedback-*.jsonl")):
            with open(path, encoding="utf-8", errors="replace") as fh:
                for line in fh:
                    try:
                        row = json.loads(line)
                    except ValueError:
                        continue
                    if _well_formed(row):
                        rows.append(row)
        return rows

    def counts(self) -> dict[str, int]:
        """{"helpful": n, "not_helpful": n} over every judgement kept."""
        rows = self.read()
        helpful = sum(1 for r in rows if r["helpful"] is True)
        return {"helpful": helpful, "not_helpful": len(rows) - helpful}


def _well_formed(row) -> bool:
    """A kept judgement as this module writes it: text fields as text, offsets as whole numbers,
    ``helpful`` true or false (a hand-edited or foreign line that is not is left out)."""
    if not isinstance(row, dict):
        return False
    texts = all(isinstance(row.get(k), str) for k in ("q", "doc")) and isinstance(row.get("text", ""), str)
    offsets = all(isinstance(row.get(k), int) and not isinstance(row.get(k), bool) for k in ("start", "end"))
    return texts and offsets and isinstance(row.get("helpful"), bool)


def _append_whole(fd: int, line: bytes) -> None:
    """Write ``line`` at the end of the file, or nothing: a partial write is cut off again."""
    import fcntl

    fcntl.flock(fd, fcntl.LOCK_EX)   # other processes (two servers on one data folder) append whole lines too
    try:
        size = os.fstat(fd).st_size
        try:
            written = os.write(fd, line)
            while written < len(line):
                written += os.write(fd, line[written:])
            os.fsync(fd)
        except OSError as exc:
            try:
                os.ftruncate(fd, size)
            except OSError:
                pass   # readers skip a torn last line anyway
            raise FeedbackUnavailable(f"feedback cannot be kept right now ({_reason(exc)}); nothing was lost, "
                                      "try again later") from None
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)


def _reason(exc: OSError) -> str:
    """The system's reason without the server's paths."""
    return os.strerror(exc.errno) if exc.errno else type(exc).__name__


# -- from judgements to judged questions ------------------------------------------------------

def question_key(q: str) -> str:
    """Questions that differ only in case and spacing are one question."""
    return squash(q).casefold()


def judged(rows: list[dict]) -> list[dict]:
    """Per question: its text, and each judged passage's latest judgement.

    Returns [{"query", "helpful": [row, ...], "not_helpful": [row, ...]}] in order of first judgement;
    a passage judged several times counts once, by its latest judgement.
    """
    questions: dict[str, dict] = {}
    for row in rows:
        entry = questions.setdefault(question_key(row["q"]), {"query": squash(row["q"]), "passages": {}})
        key = (row["doc"], row["start"], row["end"])
        entry["passages"].pop(key, None)
        entry["passages"][key] = row
    out = []
    for entry in questions.values():
        passages = list(entry["passages"].values())
        out.append({"query": entry["query"], "helpful": [r for r in passages if r["helpful"]],
                    "not_helpful": [r for r in passages if not r["helpful"]]})
    return out


def export_questions(rows: list[dict], texts: dict[str, str]) -> tuple[list[dict], list[dict], int]:
    """(judged questions in dev.jsonl's format, questions with only "not helpful" answers, quotes dropped).

    Each helpful passage becomes a gold quote of grade 2 with its section. A quote no longer in its
    document's current text (``texts``: doc id -> stored text; the document changed or went) is
    dropped and counted, so the file always scores against the index it is measured on.
    """
    answered, unanswered, dropped = [], [], 0
    for n, entry in enumerate(judged(rows), start=1):
        gold = []
        for r in entry["helpful"]:
            if r.get("text") and r["text"] in texts.get(r["doc"], ""):
                gold.append({"file": r["doc"], "quote": r["text"], "grade": 2, "section": r.get("section") or []})
            else:
                dropped += 1
        if gold:
            answered.append({"id": f"feedback-{n:04d}", "query": entry["query"], "kind": "feedback", "gold": gold})
        elif entry["not_helpful"] and not entry["helpful"]:
            unanswered.append({"id": f"feedback-{n:04d}", "query": entry["query"],
                               "not_helpful": [{"doc": r["doc"], "start": r["start"], "end": r["end"],
                                                "section": r.get("section") or []} for r in entry["not_helpful"]]})
    return answered, unanswered, dropped


def report(rows: list[dict], top: int = 10) -> dict:
    """What the judgements say: totals, questions with no helpful result, documents most often unhelpful."""
    questions = judged(rows)
    by_doc = collections.Counter(r["doc"] for q in questions for r in q["not_helpful"])
    judged_doc = collections.Counter(r["doc"] for q in questions for r in q["helpful"] + q["not_helpful"])
    helpful = sum(1 for r in rows if r["helpful"] is True)
    return {
        "judgements": len(rows), "helpful": helpful, "not_helpful": len(rows) - helpful, "questions": len(questions),
        "no_helpful_result": [{"query": q["query"], "not_helpful": len(q["not_helpful"])}
                              for q in questions if not q["helpful"]],
        "most_unhelpful_documents": [{"doc": d, "not_helpful": n, "judged": judged_doc[d]}
                                     for d, n in by_doc.most_common(top)],
    }


def format_report(summary: dict) -> str:
    lines = [f"{summary['judgements']} judgements ({summary['helpful']} helpful, {summary['not_helpful']} not helpful) "
             f"of {summary['questions']} questions"]
    missing = summary["no_helpful_result"]
    lines.append(f"\nquestions with no helpful result: {len(missing)}")
    lines += [f"  {q['query']}  ({q['not_helpful']} not helpful)" for q in missing]
    lines.append("\ndocuments most often not helpful:")
    lines += [f"  {d['doc']}: {d['not_helpful']} of {d['judged']} judged passages" for d in
              summary["most_unhelpful_documents"]] or ["  (none)"]
    return "\n".join(lines)
