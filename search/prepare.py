"""Prepare one document for embedding: read it, find its sections, cut it into passages and sentences.

A hostile or broken file must not stall or sink a build, so ``Preparer`` does this work in a
worker process with a time budget (``DocumentLimits.seconds``) and a memory cap: a document over
either is skipped with a reason that names the bound, the worker is replaced, and the build goes
on with the next document.

    with Preparer(seeds, limits, chunking) as preparer:
        prepared = preparer.prepare(path, source)     # Prepared, or BadDocument saying why not

The exchange with the worker is pickle over its pipes: both ends are this program.
"""
from __future__ import annotations

import atexit
import logging
import os
import pickle
import select
import struct
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

from .chunk import ChunkSettings, chunk_text, sentence_spans
from .documents import Source, load
from .encoders.base import count_tokens
from .errors import BadDocument
from .model import Document, Passage
from .settings import ROOT, DocumentLimits

log = logging.getLogger("search.prepare")
WORKER_MEMORY_BYTES = 2 * 2**30   # heap a worker may hold while reading one document (RLIMIT_DATA)
STARTUP_SECONDS = 120             # for the worker's imports, before any document's budget starts


@dataclass
class Prepared:
    """One document ready to embed: its passages, each passage's sentence spans (relative to the
    passage's text) and the notes for the build summary."""

    document: Document
    passages: list[Passage]
    sentences: list[list[tuple[int, int]]]
    notes: tuple[str, ...] = ()


def passage_sentences(p: Passage, text: str, headings) -> list[tuple[int, int]]:
    """Sentence spans of a passage, relative to its text; ``headings`` (the outline's) are never answers."""
    return [(a - p.start, b - p.start) for a, b in sentence_spans(text, p.start, p.end, headings)]


def prepare(path: Path, seeds: Path, source: Source, limits: DocumentLimits, chunking: ChunkSettings) -> Prepared:
    """Read, section and chunk one document in this process; BadDocument when it cannot be used."""
    document, notes = load(path, seeds, source, limits)
    passages = chunk_text(document.doc_id, document.text, document.outline, chunking, count_tokens)
    if len(passages) > limits.max_passages:   # each passage costs an embedding: bound the work one file can ask
        notes += (f"only the first {limits.max_passages:,} of {len(passages):,} passages indexed "
                  f"(the max_passages bound)",)
        passages = passages[:limits.max_passages]
    headings = document.outline.headings
    return Prepared(document, passages, [passage_sentences(p, document.text, headings) for p in passages], notes)


def _send(stream, obj) -> None:
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(struct.pack("<Q", len(data)) + data)
    stream.flush()


def _recv(stream):
    head = stream.read(8)
    if len(head) < 8:
        raise EOFError("the other side closed the pipe")
    size = struct.unpack("<Q", head)[0]
    data = stream.read(size)
    if len(data) < size:
        raise EOFError("the other side closed the pipe")
    return pickle.loads(data)   # only ever from the parent or the worker it started: never outside data


def worker_main() -> None:
    """The worker process (started by ``Preparer``): (seeds, limits, chunking, path, source) jobs on stdin,
    ("ok", Prepared) or ("bad", reason) answers on stdout, until stdin closes."""
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_DATA, (WORKER_MEMORY_BYTES, WORKER_MEMORY_BYTES))
    except (ImportError, ValueError, OSError):   # not on this platform: the time budget still holds
        pass
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr   # nothing a library prints may corrupt the answers
    _send(stdout, ("ready", os.getpid()))   # imports done: a document's budget starts with its job
    while True:
        try:
            seeds, limits, chunking, path, source = _recv(stdin)
        except EOFError:
            return
        try:
            answer = ("ok", prepare(Path(path), Path(seeds), source, limits, chunking))
        except BadDocument as exc:
            answer = ("bad", str(exc))
        except MemoryError:
            answer = ("bad", f"needs more than the {WORKER_MEMORY_BYTES // 2**20} MB a document may use to be read")
        except Exception as exc:   # a reader or rule failing on one file must not stop the build
            answer = ("bad", f"cannot be read ({type(exc).__name__}: {exc})")
        _send(stdout, answer)


class _Worker:
    """One worker process, shared by every build of this process (started on first use, replaced
    when it dies or is stopped for going over the time budget)."""

    lock = threading.Lock()
    process: subprocess.Popen | None = None

    @classmethod
    def ask(cls, job: tuple, seconds: float) -> tuple[str, object]:
        with cls.lock:
            if cls.process is None or cls.process.poll() is not None:
                try:
                    cls._start()
                except (OSError, EOFError, pickle.UnpicklingError) as exc:   # no worker: read in this process
                    cls.stop(kill=True)
                    return "here", str(exc)
            try:
                _send(cls.process.stdin, job)
                ready, _, _ = select.select([cls.process.stdout], [], [], seconds)
                if not ready:
                    cls.stop(kill=True)
                    return "bad", f"took longer than the doc_seconds bound of {seconds:g} s to read; skipped"
                return _recv(cls.process.stdout)
            except (EOFError, OSError, pickle.UnpicklingError) as exc:
                code = cls.process.poll() if cls.process is not None else None
                cls.stop(kill=True)
                return "bad", f"reading it stopped its worker (exit code {code}; {type(exc).__name__}): too large or malformed"

    @classmethod
    def _start(cls) -> None:
        paths = [str(ROOT)] + ([os.environ["PYTHONPATH"]] if os.environ.get("PYTHONPATH") else [])
        env = {**os.environ, "TOKENIZERS_PARALLELISM": "false", "PYTHONPATH": os.pathsep.join(paths)}
        cls.process = subprocess.Popen([sys.executable, "-c", "from search.prepare import worker_main; worker_main()"],
                                       stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd=ROOT, env=env)
        ready, _, _ = select.select([cls.process.stdout], [], [], STARTUP_SECONDS)
        if not ready or _recv(cls.process.stdout)[0] != "ready":
            raise OSError(f"the document worker did not start within {STARTUP_SECONDS} s")

    @classmethod
    def stop(cls, kill: bool = False) -> None:
        process, cls.process = cls.process, None
        if process is None:
            return
        try:
            process.stdin.close()   # the worker's loop ends when its input does
        except OSError:
            pass
        try:
            process.wait(0.01 if kill else 5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
        process.stdout.close()


atexit.register(_Worker.stop)


class Preparer:
    """Prepares documents one at a time in a worker process, each within ``limits.seconds``.

    ``isolate=False`` prepares in this process instead (no time budget; for callers that cannot
    start processes). The worker is shared by the builds of one process; a document that goes
    over the time budget or the memory cap stops it, and the next document starts a new one.
    """

    def __init__(self, seeds: Path, limits: DocumentLimits = DocumentLimits(),
                 chunking: ChunkSettings = ChunkSettings(), isolate: bool = True):
        self.seeds, self.limits, self.chunking, self.isolate = Path(seeds), limits, chunking, isolate

    def __enter__(self) -> "Preparer":
        return self

    def __exit__(self, *exc) -> None:
        return None

    def prepare(self, path: Path, source: Source) -> Prepared:
        """One document, prepared; BadDocument naming the reason or the bound it went over."""
        if not self.isolate:
            return prepare(Path(path), self.seeds, source, self.limits, self.chunking)
        status, value = _Worker.ask((str(self.seeds), self.limits, self.chunking, str(path), source), self.limits.seconds)
        if status == "here":
            log.warning("reading %s in the build's own process (no time budget): %s", source.doc_id, value)
            return prepare(Path(path), self.seeds, source, self.limits, self.chunking)
        if status == "bad":
            raise BadDocument(value)
        return value
