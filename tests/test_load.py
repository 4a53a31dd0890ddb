"""Load and faults against a real server process with the real model, over real HTTP.

One server (default limits) takes, in order: a load of thousands of requests at concurrency 16;
the same while a build in another process switches the index (every answer must match what its
``index_version`` returns); index files deleted or truncated under it (a 503 JSON within seconds,
then a rebuild brings it back); a build killed mid-way (the old index keeps serving). A second
server with ``SEARCH_MAX_INFLIGHT=1`` shows the fast 503 beyond the in-flight bound.
"""
from __future__ import annotations

import http.client
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

import pytest

from .conftest import ROOT, SEEDS, ServerProcess

pytestmark = [pytest.mark.real, pytest.mark.server]

CONCURRENCY = 16
QUESTIONS = [
    "why do unions oppose payment by results in probation?",
    "what happened to library opening hours?",
    "Serco community payback contract",
    "social housing waiting lists",
    "who commissions hospital services?",
    "risks of privatising the probation service",
    "budget cuts to local councils",
    "how are voluntary sector organisations funded?",
    "what does the response say about accountability and transparency?",
    "staff morale and job losses",
    "public safety and reoffending rates",
    "competition and outsourcing of public services",
]
SMALL_DOC = "003_e6a6cf24a00f8233.txt"          # 40 passages: cheap to embed again
SUBSET = ["002_7ee6d24b31a7e022.txt", "003_e6a6cf24a00f8233.txt", "004_90ce6de2cf69eb80.txt"]
BIG_DOC = "000_f0920709c756320e.txt"            # the largest: embedding it takes a while


# -- a small load generator: threads with keep-alive connections -------------------------------

@dataclass
class Outcome:
    label: str
    status: int | None
    body: dict | None
    error: str | None
    ms: float
    headers: dict


def http_call(conn: http.client.HTTPConnection, method: str, path: str, body: bytes | None) -> tuple[int, dict, bytes]:
    headers = {"Content-Type": "application/json"} if body is not None else {}
    conn.request(method, path, body=body, headers=headers)
    r = conn.getresponse()
    return r.status, dict(r.getheaders()), r.read()


def run_load(url: str, make, count: int | None = None, concurrency: int = CONCURRENCY,
             stop: threading.Event | None = None, seconds: float = 240.0) -> list[Outcome]:
    """Send ``make(i) -> (label, method, path, body)`` for i = 0, 1, ... until ``count`` or ``stop``."""
    host, port = url.removeprefix("http://").split(":")
    outcomes: list[Outcome] = []
    lock = threading.Lock()
    counter = iter(range(count if count is not None else 10 ** 9))
    deadline = time.monotonic() + seconds

    def worker():
        conn = http.client.HTTPConnection(host, int(port), timeout=60)
        while not (stop and stop.is_set()) and time.monotonic() < deadline:
            with lock:
                i = next(counter, None)
            if i is None:
                break
            label, method, path, body = make(i)
            t0 = time.perf_counter()
            try:
                status, headers, raw = http_call(conn, method, path, body)
                parsed = json.loads(raw) if headers.get("Content-Type", "").startswith("application/json") else None
                outcome = Outcome(label, status, parsed, None, (time.perf_counter() - t0) * 1000, headers)
            except Exception as exc:  # a refused, reset or timed-out request is a failure to count
                conn.close()
                conn = http.client.HTTPConnection(host, int(port), timeout=60)
                outcome = Outcome(label, None, None, f"{type(exc).__name__}: {exc}", (time.perf_counter() - t0) * 1000, {})
            with lock:
                outcomes.append(outcome)
        conn.close()

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(seconds + 60)
    return outcomes


def search_request(i: int, question: str, k: int) -> tuple[str, str, str, bytes | None]:
    if i % 2:
        return question, "POST", "/api/search", json.dumps({"q": question, "k": k}).encode()
    return question, "GET", "/api/search?" + urllib.parse.urlencode({"q": question, "k": k}), None


def signature(body: dict) -> list[tuple]:
    return [(r["rank"], r["citation"]["doc"], r["citation"]["start"], r["citation"]["end"]) for r in body["results"]]


def get_json(url: str, path: str) -> tuple[int, dict]:
    host, port = url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=60)
    try:
        status, _, raw = http_call(conn, "GET", path, None)
        return status, json.loads(raw)
    finally:
        conn.close()


def answers(url: str, k: int = 10) -> dict[str, tuple[str, list[tuple], list[float]]]:
    """What the live index answers to each question: (version, signature, scores)."""
    out = {}
    for q in QUESTIONS:
        status, body = get_json(url, "/api/search?" + urllib.parse.urlencode({"q": q, "k": k}))
        assert status == 200, body
        out[q] = (body["index_version"], signature(body), [r["score"] for r in body["results"]])
    return out


def wait_until(predicate, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"not within {seconds} s: {what}")


def seeds_of(folder: Path, names: list[str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        shutil.copy(SEEDS / name, folder / name)
    return folder


def live_folder(index: Path) -> Path:
    return index / (index / "CURRENT").read_text(encoding="utf-8").strip()


def error_shape(body: dict | None, status: int) -> bool:
    return bool(body) and isinstance(body.get("error"), dict) and body["error"].get("status") == status \
        and isinstance(body["error"].get("message"), str)


# -- the served index and its server -----------------------------------------------------------

@dataclass
class Served:
    server: ServerProcess
    index: Path
    work: Path


@pytest.fixture(scope="module")
def served(real_index, tmp_path_factory):
    work = tmp_path_factory.mktemp("load")
    index = work / "index"
    shutil.copytree(real_index, index, symlinks=True)
    server = ServerProcess(SEEDS, index)
    yield Served(server, index, work)
    server.stop()


@pytest.fixture(scope="module")
def seed_texts() -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in SEEDS.iterdir() if p.is_file()}


def test_thousands_of_requests_at_concurrency_16_all_answer(served, seed_texts):
    url = served.server.url
    _, health = get_json(url, "/api/health")
    version = health["index_version"]
    variants = [q + suffix for q in QUESTIONS for suffix in ("", " please", " in 2013")]
    log_start = len(served.server.log())

    def make(i):
        if i % 20 == 0:
            return "health", "GET", "/api/health", None
        if i % 20 == 1:
            return "documents", "GET", "/api/documents", None
        if i % 20 == 2:
            return "bad-k", "GET", "/api/search?q=probation&k=0", None
        if i % 50 == 3:
            return "page", "GET", f"/doc/{SMALL_DOC}", None
        return search_request(i, variants[i % len(variants)], 1 + i % 10)

    t0 = time.perf_counter()
    outcomes = run_load(url, make, count=2000)
    elapsed = time.perf_counter() - t0
    assert len(outcomes) == 2000
    failures = []
    for o in outcomes:
        expected = 400 if o.label == "bad-k" else 200
        if o.status != expected:
            failures.append((o.label, o.status, o.error, o.body))
        elif o.label == "bad-k":
            if not error_shape(o.body, 400):
                failures.append((o.label, "not the error shape", o.body))
        elif o.label not in ("health", "documents", "page"):
            body = o.body
            if body["index_version"] != version or not 1 <= len(body["results"]) <= body["k"]:
                failures.append((o.label, "bad answer", body["index_version"], len(body["results"])))
            for rank, r in enumerate(body["results"], start=1):
                c = r["citation"]
                if r["rank"] != rank or seed_texts[c["doc"]][c["start"]:c["end"]] != r["text"]:
                    failures.append((o.label, "citation does not match the source", c))
    assert not failures, f"{len(failures)} of 2000 failed; first: {failures[:3]}"
    searches = [o.ms for o in outcomes if o.label in variants]
    searches.sort()
    print(f"\n2000 requests in {elapsed:.1f} s ({2000 / elapsed:.0f}/s); search p50 {searches[len(searches) // 2]:.0f} ms, "
          f"p99 {searches[int(len(searches) * 0.99)]:.0f} ms; failures 0")

    # The server's log: one JSON line per request, with status, latency and result count, never the question.
    lines = [json.loads(line) for line in served.server.log()[log_start:].splitlines() if line.startswith("{")]
    requests = [row for row in lines if row.get("message") == "request" and row.get("logger") == "search.web"]
    assert len(requests) >= 2000
    search_rows = [row for row in requests if row["path"] == "/api/search" and row["status"] == 200]
    assert len(search_rows) == len(searches)
    assert all(isinstance(row["ms"], float) and row["results"] >= 1 and row["q_chars"] > 0 for row in search_rows)
    log_text = served.server.log()[log_start:]
    assert not any(q in log_text for q in QUESTIONS)


def test_a_rebuild_under_load_switches_versions_cleanly(served, real_embedder):
    from search.build import build_index

    url = served.server.url
    before = answers(url)
    v1 = {v for v, _, _ in before.values()}
    assert len(v1) == 1
    subset = seeds_of(served.work / "seeds-subset", SUBSET)
    stop = threading.Event()
    results: list[Outcome] = []
    loader = threading.Thread(target=lambda: results.extend(run_load(
        url, lambda i: search_request(i, QUESTIONS[i % len(QUESTIONS)], 10), stop=stop, seconds=120)))
    loader.start()
    try:
        time.sleep(2.0)
        # The same build as `python -m search build`, with the model this session already loaded.
        report = build_index(subset, served.index, real_embedder, progress=False, log=lambda m: None)
        wait_until(lambda: get_json(url, "/api/health")[1].get("index_version") == report.version, 10, "switched")
        time.sleep(3.0)   # keep the load going on the new version too
    finally:
        stop.set()
        loader.join(120)
    after = answers(url)
    v2 = {v for v, _, _ in after.values()}
    assert v2 == {report.version}
    expected = {**{(v, q): (sig, scores) for q, (v, sig, scores) in before.items()},
                **{(v, q): (sig, scores) for q, (v, sig, scores) in after.items()}}
    assert sum(before[q][1] != after[q][1] for q in QUESTIONS) >= 3, "the two versions should answer differently"

    failures = [o for o in results if o.status != 200]
    assert not failures, f"{len(failures)} of {len(results)} failed: {[(o.status, o.error) for o in failures[:3]]}"
    seen = {o.body["index_version"] for o in results}
    assert seen == v1 | v2, f"answers came from {seen}"
    for o in results:
        sig, scores = expected[(o.body["index_version"], o.label)]
        assert signature(o.body) == sig, (o.label, o.body["index_version"])
        assert [r["score"] for r in o.body["results"]] == pytest.approx(scores, abs=1e-3)
    print(f"\n{len(results)} requests during the rebuild: "
          f"{sum(o.body['index_version'] in v1 for o in results)} from the old version, "
          f"{sum(o.body['index_version'] in v2 for o in results)} from the new one; failures 0")


def delete_files(folder: Path) -> None:
    (folder / "dense.faiss").unlink()
    shutil.rmtree(folder / "keyword")


def truncate_dense(folder: Path) -> None:
    path = folder / "dense.faiss"
    os.truncate(path, path.stat().st_size // 2)


def truncate_passages(folder: Path) -> None:
    path = folder / "passages.jsonl"
    os.truncate(path, path.stat().st_size // 3)


@pytest.mark.parametrize("damage", [delete_files, truncate_dense, truncate_passages], ids=lambda f: f.__name__)
def test_damaged_index_files_answer_503_then_a_rebuild_recovers(served, real_embedder, damage):
    from search.build import build_index

    url = served.server.url
    status, health = get_json(url, "/api/health")
    assert status == 200
    damaged = live_folder(served.index)
    damage(damaged)
    t0 = time.monotonic()
    wait_until(lambda: get_json(url, "/api/health")[0] == 503, 5, "health turned 503")
    took = time.monotonic() - t0
    status, body = get_json(url, "/api/search?q=probation")
    assert status == 503 and error_shape(body, 503) and "python -m search build" in body["error"]["message"]
    status, body = get_json(url, "/api/documents")
    assert status == 503 and error_shape(body, 503)
    status, body = get_json(url, "/api/health")
    assert status == 503 and error_shape(body, 503) and body["status"] == "unavailable"

    seeds = seeds_of(served.work / f"seeds-{damage.__name__}", [SMALL_DOC])
    report = build_index(seeds, served.index, real_embedder, progress=False, log=lambda m: None)
    wait_until(lambda: get_json(url, "/api/health")[1].get("index_version") == report.version, 10, "recovered")
    status, body = get_json(url, "/api/search?q=probation&k=3")
    assert status == 200 and {r["citation"]["doc"] for r in body["results"]} == {SMALL_DOC}
    print(f"\n{damage.__name__}: 503 after {took:.1f} s; serving {report.version} again")


def test_a_killed_build_leaves_the_old_index_serving(served, real_embedder):
    from search.build import build_index

    url = served.server.url
    before = answers(url, k=5)
    [version] = {v for v, _, _ in before.values()}
    seeds = seeds_of(served.work / "seeds-killed", [SMALL_DOC, BIG_DOC])   # a new, large document to embed
    lock = served.index / ".build.lock"
    lock_mtime = lock.stat().st_mtime_ns if lock.exists() else 0
    stop = threading.Event()
    results: list[Outcome] = []
    loader = threading.Thread(target=lambda: results.extend(run_load(
        url, lambda i: search_request(i, QUESTIONS[i % len(QUESTIONS)], 5), concurrency=4, stop=stop, seconds=60)))
    build = subprocess.Popen([sys.executable, "-m", "search", "build", "--seeds", str(seeds), "--index", str(served.index),
                              "--quiet"], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        # The build opens its lock file once its model is loaded; a moment later it is embedding the new document.
        wait_until(lambda: build.poll() is not None or (lock.exists() and lock.stat().st_mtime_ns != lock_mtime),
                   180, "the build started")
        loader.start()
        time.sleep(1.5)
        assert build.poll() is None, "the build ended before it could be killed"
        build.send_signal(signal.SIGKILL)
        build.wait(30)
        time.sleep(1.5)   # three watcher periods
    finally:
        if build.poll() is None:
            build.kill()
        stop.set()
        if loader.is_alive():
            loader.join(120)
    assert build.returncode == -signal.SIGKILL
    assert live_folder(served.index).name == version
    assert answers(url, k=5) == before
    assert results and all(o.status == 200 and o.body["index_version"] == version for o in results)

    # Killed while writing, a build leaves a temporary folder: the old index still serves, the next build clears it.
    partial = served.index / f".tmp-v-20000101T000000000-{os.getpid():x}"
    partial.mkdir()
    (partial / "manifest.json").write_text('{"format_version": 1, "trunc', encoding="utf-8")
    time.sleep(1.5)
    assert answers(url, k=5) == before
    report = build_index(seeds_of(served.work / "seeds-after-kill", [SMALL_DOC]), served.index, real_embedder,
                         progress=False, log=lambda m: None)
    assert not partial.exists()
    wait_until(lambda: get_json(url, "/api/health")[1].get("index_version") == report.version, 10, "the next build serves")
    print(f"\nkilled build: {len(results)} requests during it, all from {version}; the next build cleared its leftovers")


# -- the in-flight bound: beyond it, a fast 503 with Retry-After ---------------------------------

def test_beyond_the_in_flight_bound_a_fast_503(real_index, tmp_path):
    index = tmp_path / "index"
    shutil.copytree(real_index, index, symlinks=True)
    server = ServerProcess(SEEDS, index, env={"SEARCH_MAX_INFLIGHT": "1"})
    try:
        log_start = len(server.log())
        # Distinct questions, so every search has to encode (the slow part) rather than hit the cache.
        outcomes = run_load(server.url, lambda i: search_request(i, f"{QUESTIONS[i % len(QUESTIONS)]} {i}", 10),
                            count=300)
        statuses = {o.status for o in outcomes}
        busy = [o for o in outcomes if o.status == 503]
        assert statuses <= {200, 503}, statuses
        assert busy, "with one search slot and 16 clients some searches should be turned away"
        assert all(error_shape(o.body, 503) and o.headers.get("Retry-After") == "1" for o in busy)
        assert all(o.body["results"] for o in outcomes if o.status == 200)
        rows = [json.loads(line) for line in server.log()[log_start:].splitlines() if line.startswith("{")]
        turned_away = [row["ms"] for row in rows if row.get("message") == "request" and row.get("status") == 503]
        assert len(turned_away) == len(busy)
        assert sorted(turned_away)[len(turned_away) // 2] < 250, "the 503 should come at once, not after a queue"
        assert get_json(server.url, "/api/health")[0] == 200
        print(f"\nmax_inflight=1: {len(outcomes)} requests, {len(busy)} fast 503s "
              f"(median {sorted(turned_away)[len(turned_away) // 2]:.0f} ms in the app), the rest 200")
    finally:
        server.stop()
