"""The benchmark's helpers, which tests reuse too: questions, percentiles, /proc figures, and a
real server in a subprocess (``ServerProcess``) with the means to start, reach and stop it.

Imports nothing else of the bench, so ``scale.py``, ``__init__.py`` and ``tests/conftest.py``
can all build on it.
"""
from __future__ import annotations

import functools
import http.client
import itertools
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Callable

import numpy as np

from ..settings import ROOT

DEV_QUESTIONS = ROOT.parent / "shared" / "eval" / "dev.jsonl"
BUILTIN_QUESTIONS = [
    "why do unions oppose payment by results in probation?",
    "what happened to library opening hours?",
    "Serco community payback contract",
    "How many households are on social housing waiting lists?",
    "Do big government contracts squeeze out small local charities and firms?",
    "what did the summit say about competition in public services",
]


# -- questions and figures ---------------------------------------------------------------------

def percentiles(seconds: list[float]) -> dict:
    """Median, p95 and p99 of durations given in seconds, in milliseconds.

        >>> percentiles([0.001, 0.002, 0.003, 0.004])
        {'n': 4, 'p50': 2.5, 'p95': 3.85, 'p99': 3.97}
    """
    ms = np.asarray(seconds, dtype=np.float64) * 1000
    return {"n": len(ms), **{f"p{p}": round(float(np.percentile(ms, p)), 2) for p in (50, 95, 99)}}


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

    Raises ValueError when the question has fewer than ``n + 1`` spellings.
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


def cpu_seconds(pid: int | str = "self") -> float:
    """User plus system CPU time a process has used so far, in seconds (from /proc/<pid>/stat)."""
    with open(f"/proc/{pid}/stat") as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def proc_status_mb(pid: int | str = "self", field: str = "VmHWM") -> float:
    """A memory figure from /proc/<pid>/status in MB (VmHWM: peak resident, VmRSS: resident now); NaN if absent."""
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return round(int(line.split()[1]) / 1024, 1)
    return float("nan")


# -- a real server over HTTP -------------------------------------------------------------------

def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listened on a moment ago."""
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


def answers_ok(url: str) -> bool:
    """Whether a GET of ``url`` answers 200 within 2 s; False for any failure."""
    try:
        with urllib.request.urlopen(url, timeout=2) as r:
            return r.status == 200
    except Exception:
        return False


def wait_for(ready: str | Callable[[], bool], timeout: float = 120.0, proc: subprocess.Popen | None = None,
             poll: float = 0.25) -> None:
    """Return once ``ready`` holds: a URL that answers 200, or a callable that returns True.

    Checks every ``poll`` seconds. Raises RuntimeError when ``proc`` exits first, TimeoutError
    after ``timeout`` seconds.
    """
    check = ready if callable(ready) else functools.partial(answers_ok, ready)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        if check():
            return
        time.sleep(poll)
    raise TimeoutError(f"{ready if isinstance(ready, str) else 'the server'} did not answer within {timeout} s")


class ServerProcess:
    """``python -m search serve`` in a subprocess on a free port, its output in a log file.

    The constructor returns once the server answers: ``probe``, a question, with 200 from
    ``/api/search``; without one, ``/api/health`` with 200. ``startup_s`` is the wall time from
    the start until then, ``startup_cpu_s`` the CPU seconds the server spent on it. ``env`` adds
    to this process's environment; the log goes to ``log_path`` (default: beside the index).
    Raises RuntimeError when the server exits first and TimeoutError after ``timeout`` seconds;
    either way the log says why, and the server is stopped.
    """

    def __init__(self, index: Path, seeds: Path | None = None, env: dict | None = None, log_path: Path | None = None,
                 probe: str | None = None, timeout: float = 120.0, poll: float = 0.25):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = Path(log_path or Path(index).parent / f"server-{self.port}.log")
        self._log = open(self.log_path, "w")
        command = [sys.executable, "-m", "search", "serve", "--port", str(self.port), "--index", str(index)]
        if seeds is not None:
            command += ["--seeds", str(seeds)]
        t0 = time.perf_counter()
        self.proc = subprocess.Popen(command, cwd=ROOT, stdout=self._log, stderr=subprocess.STDOUT,
                                     env={**os.environ, **(env or {})})
        try:
            wait_for(self.url + "/api/health" if probe is None else functools.partial(self._answers, probe),
                     timeout, self.proc, poll)
        except (RuntimeError, TimeoutError) as exc:
            self.stop()
            raise type(exc)(f"{exc}; see {self.log_path}") from None
        self.startup_s = time.perf_counter() - t0
        self.startup_cpu_s = cpu_seconds(self.proc.pid)  # what the start costs, however busy the machine

    def _answers(self, question: str) -> bool:
        client = Client(self.port)
        try:
            return client.search(question) == 200
        except OSError:
            return False
        finally:
            client.close()

    def memory_mb(self, field: str = "VmHWM") -> float:
        """The server's peak (VmHWM) or current (VmRSS) resident memory in MB."""
        return proc_status_mb(self.proc.pid, field)

    def log(self) -> str:
        """Everything the server has written so far."""
        return self.log_path.read_text()

    def stop(self) -> None:
        """SIGTERM, then SIGKILL after 10 s; closes the log. Safe to call twice."""
        if self.proc.poll() is None:
            terminate(self.proc)
        if not self._log.closed:
            self._log.close()
