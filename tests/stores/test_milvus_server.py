"""The Milvus store against a real Milvus server (Milvus Lite's gRPC server, started and stopped here).

Build, search, reuse, pruning, failed and killed builds, parity with the local store (the fake
encoder here, the real model on the seeds), two stateless replicas following a switch under
load, and Milvus killed and restarted. One server for the module; each test has its own prefix.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from search.build import build_index
from search.encoders import CachedEncoder
from search.engine import Engine
from search.settings import Settings
from search.stores import has_index, live_signature, open_store, open_writer
from search.stores.milvus import StoreUnavailable, connect
from search.stores.milvus.server import LocalMilvus

from ..conftest import ROOT, SEEDS, ServerProcess

pytestmark = pytest.mark.server

QUESTIONS = ["payment by results re-offending", "social housing waiting lists", "opening hours of libraries",
             "hospital services", "1.6 million households"]
EXTRA = ("gamma.txt", "Gamma Memo\n\n1. Transport\n\nRural bus routes were withdrawn after the subsidy ended in March.\n")


@pytest.fixture(scope="module")
def milvus(tmp_path_factory):
    server = LocalMilvus(tmp_path_factory.mktemp("milvus") / "data")
    yield server
    server.stop()


def settings_for(milvus, tmp_path, seeds, prefix: str) -> Settings:
    return Settings(seeds=seeds, index=tmp_path / "no-index", store=milvus.uri, milvus_prefix=prefix,
                    milvus_timeout=3.0)


def answer(engine: Engine, q: str, **kw) -> dict:
    """An answer as the API gives it, without what may differ between two stores (time, version name)."""
    out = engine.search(q, **kw).to_json()
    out.pop("took_ms"), out.pop("index_version")
    return out


def versions(settings: Settings) -> list[str]:
    return connect(settings).versions()


def test_build_search_reuse_and_prune(milvus, tiny_seeds, tmp_path, fake_embedder):
    settings = settings_for(milvus, tmp_path, tiny_seeds, "t_build")
    assert not has_index(settings)
    first = build_index(tiny_seeds, open_writer(settings), fake_embedder, progress=False, log=lambda m: None)
    assert first.published and has_index(settings)
    store = open_store(settings, fake_embedder)
    assert store.version == first.version and store.info()["store"] == "milvus"
    assert not (tmp_path / "no-index").exists()          # nothing local

    # every answer field the same as the local store's, with and without a document filter
    local = build_index(tiny_seeds, tmp_path / "local", fake_embedder, progress=False, log=lambda m: None)
    assert local.published
    folder = open_store(Settings(index=tmp_path / "local"), fake_embedder)
    a, b = Engine(store, CachedEncoder(fake_embedder)), Engine(folder, CachedEncoder(fake_embedder))
    for q in QUESTIONS:
        assert answer(a, q, explain=True) == answer(b, q, explain=True)
        assert answer(a, q, docs=["beta.md"]) == answer(b, q, docs=["beta.md"])
    for doc_id in folder.document_ids():   # document pages read the same records
        assert store.document(doc_id) == folder.document(doc_id)
        assert a.document_passages(doc_id) == b.document_passages(doc_id)
        assert [store.sentences(int(i), store.vector(int(i)))[0] for i in store.passage_ids(doc_id)] == \
            [folder.sentences(int(i), folder.vector(int(i)))[0] for i in folder.passage_ids(doc_id)]
    assert {k: v for k, v in store.info().items() if k not in ("version", "store", "files", "built_at", "build_seconds")} == \
        {k: v for k, v in folder.info().items() if k not in ("version", "files", "dense_index", "built_at", "build_seconds")} | \
        {"dense_index": "flat"}

    # a new document: the others are copied across, not embedded again; the alias moves; two versions kept
    (tiny_seeds / EXTRA[0]).write_text(EXTRA[1], encoding="utf-8")
    second = build_index(tiny_seeds, open_writer(settings), fake_embedder, progress=False, log=lambda m: None)
    assert second.added == ["gamma.txt"] and sorted(second.kept) == ["alpha.txt", "beta.md"]
    assert open_store(settings, fake_embedder).version == second.version != first.version
    (tiny_seeds / "alpha.txt").write_text("Alpha Report\n\nEverything was rewritten.\n", encoding="utf-8")
    third = build_index(tiny_seeds, open_writer(settings), fake_embedder, progress=False, log=lambda m: None)
    assert third.changed == ["alpha.txt"]
    assert versions(settings) == [third.version, second.version]      # the oldest pruned
    new = open_store(settings, fake_embedder)
    assert new.passages(new.passage_ids("beta.md")) == store.passages(store.passage_ids("beta.md"))


def test_a_build_failing_at_any_call_leaves_the_alias(milvus, tiny_seeds, tmp_path, fake_embedder, monkeypatch):
    """A build interrupted at each of its Milvus calls in turn: the old version keeps serving, and the
    next build clears what the broken one left."""
    from search.stores.milvus.client import Connection

    settings = settings_for(milvus, tmp_path, tiny_seeds, "t_fail")
    live = build_index(tiny_seeds, open_writer(settings), fake_embedder, progress=False, log=lambda m: None).version
    (tiny_seeds / EXTRA[0]).write_text(EXTRA[1], encoding="utf-8")
    real_call, count = Connection.call, {"n": 0, "at": 0}

    def failing(self, method, *args, **kwargs):
        count["n"] += 1
        if count["n"] == count["at"]:
            raise KeyboardInterrupt(f"interrupted at call {count['n']} ({method})")
        return real_call(self, method, *args, **kwargs)

    monkeypatch.setattr(Connection, "call", failing)
    count["at"] = 10 ** 9
    build_index(tiny_seeds, open_writer(settings), fake_embedder, progress=False, log=lambda m: None)  # counts calls
    total = count["n"]
    connect(settings).call("alter_alias", connect(settings).names(live)[0], connect(settings).alias)  # back to live
    interrupted = 0
    for at in range(1, total, max(1, total // 25)):
        count.update(n=0, at=at)
        try:
            build_index(tiny_seeds, open_writer(settings), fake_embedder, progress=False, log=lambda m: None)
        except KeyboardInterrupt:
            interrupted += 1
            count["at"] = 10 ** 9
            served = open_store(settings, fake_embedder)   # the old version, or the new one once switched
            assert served.version == live or served.info()["documents"].keys() >= {"gamma.txt"}, f"call {at}"
            assert Engine(served, CachedEncoder(fake_embedder)).search(QUESTIONS[0]).results
            live = served.version
            connect(settings).call("drop_collection", "t_fail_build_lock")   # as a killed build's next run would
        else:   # interrupted after publishing: the new version is whole
            break
    assert interrupted >= 5
    monkeypatch.setattr(Connection, "call", real_call)
    report = build_index(tiny_seeds, open_writer(settings), fake_embedder, progress=False, log=lambda m: None)
    assert len(versions(settings)) <= 2 and open_store(settings, fake_embedder).version == report.version


def test_a_killed_build_process_leaves_the_alias(milvus, tmp_path, fake_embedder):
    """``python -m search build`` killed (SIGKILL) while writing: the alias stays, the next build takes
    over the dead build's lock and removes its half-written version."""
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    for n in range(40):
        (seeds / f"doc{n:02}.txt").write_text(f"Document {n}\n\n" + "\n\n".join(
            f"Paragraph {p} of document {n} says something about topic {p * n % 17}." for p in range(60)))
    settings = settings_for(milvus, tmp_path, seeds, "t_kill")
    (seeds / "doc00.txt").rename(tmp_path / "doc00.txt")
    live = build_index(seeds, open_writer(settings), fake_embedder, progress=False, log=lambda m: None).version
    (tmp_path / "doc00.txt").rename(seeds / "doc00.txt")
    env = {**os.environ, "SEARCH_STORE": milvus.uri, "SEARCH_MILVUS_PREFIX": "t_kill", "SEARCH_ENCODER": "fake"}
    proc = subprocess.Popen([sys.executable, "-m", "search", "build", "--seeds", str(seeds), "--index",
                             str(tmp_path / "no-index")], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    conn = connect(settings)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(conn.versions()) < 2:   # killed once it has begun a new version
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert len(conn.versions()) == 2, "the build was killed while writing its version"
    assert live_signature(settings) == ("milvus", conn.names(live)[0])
    assert open_store(settings, fake_embedder).version == live
    report = build_index(seeds, open_writer(settings), fake_embedder, progress=False, log=lambda m: None)
    assert report.published and conn.versions() == [report.version, live]


def _get(url: str, timeout: float = 10) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def test_two_replicas_follow_a_switch_under_load_and_survive_milvus_restarting(milvus, tiny_seeds, tmp_path,
                                                                               fake_embedder):
    settings = settings_for(milvus, tmp_path, tiny_seeds, "t_serve")
    first = build_index(tiny_seeds, open_writer(settings), fake_embedder, progress=False, log=lambda m: None)
    env = {"SEARCH_STORE": milvus.uri, "SEARCH_MILVUS_PREFIX": "t_serve", "SEARCH_ENCODER": "fake",
           "SEARCH_MILVUS_TIMEOUT": "3"}
    replicas = [ServerProcess(tiny_seeds, tmp_path / f"no-index-{n}", env) for n in range(2)]
    try:
        for q in QUESTIONS:   # stateless replicas with no local index answer identically
            a, b = (_get(f"{r.url}/api/search?q={urllib.request.quote(q)}") for r in replicas)
            assert a[0] == b[0] == 200 and a[1]["results"] and \
                {**a[1], "took_ms": 0} == {**b[1], "took_ms": 0}
        assert not any((tmp_path / f"no-index-{n}").exists() for n in range(2))

        # a rebuild adding a document while four clients query both replicas: no failed request
        failures, statuses, stop = [], [], threading.Event()

        def client(n: int) -> None:
            while not stop.is_set():
                url = f"{replicas[n % 2].url}/api/search?q={urllib.request.quote(QUESTIONS[n])}"
                try:
                    status, body = _get(url)
                    statuses.append(status)
                    if status != 200:
                        failures.append((status, body))
                except Exception as exc:
                    failures.append(repr(exc))

        threads = [threading.Thread(target=client, args=(n,)) for n in range(4)]
        for t in threads:
            t.start()
        (tiny_seeds / EXTRA[0]).write_text(EXTRA[1], encoding="utf-8")
        second = build_index(tiny_seeds, open_writer(settings), fake_embedder, progress=False, log=lambda m: None)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and any(_get(r.url + "/api/health")[1].get("index_version") !=
                                                  second.version for r in replicas):
            time.sleep(0.2)
        time.sleep(1)
        stop.set()
        for t in threads:
            t.join()
        assert failures == [] and len(statuses) > 20
        assert [_get(r.url + "/api/health")[1]["index_version"] for r in replicas] == [second.version] * 2
        status, body = _get(f"{replicas[1].url}/api/search?q=rural+bus+routes")
        assert body["results"][0]["citation"]["doc"] == "gamma.txt"

        # Milvus killed: a fast 503 in the API's error shape, and health says why
        milvus.kill()
        t0 = time.monotonic()
        status, body = _get(f"{replicas[0].url}/api/search?q=hospital+services+commissioned")
        assert status == 503 and "Milvus" in body["error"]["message"] and time.monotonic() - t0 < 10
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and _get(replicas[1].url + "/api/health")[0] != 503:
            time.sleep(0.2)
        status, health = _get(replicas[1].url + "/api/health")
        assert status == 503 and "Milvus" in health["error"]["message"]

        # Milvus back: both replicas answer again by themselves, well within 30 s
        milvus.start()
        t0 = time.monotonic()
        while time.monotonic() - t0 < 30 and not all(
                _get(f"{r.url}/api/search?q=social+housing")[0] == 200 for r in replicas):
            time.sleep(0.2)
        recovered = time.monotonic() - t0
        assert recovered < 30, [r.log()[-2000:] for r in replicas]
        assert [_get(r.url + "/api/health")[1]["index_version"] for r in replicas] == [second.version] * 2
    finally:
        for r in replicas:
            r.stop()
    assert first.version != second.version


@pytest.mark.real
def test_parity_with_the_local_store_on_the_seeds(milvus, tmp_path, real_index, real_embedder):
    """The real model on the seeds: every dev question answered the same by both stores, field for field."""
    from ..conftest import SHARED
    from search.evaluate import load_questions

    settings = settings_for(milvus, tmp_path, SEEDS, "t_real")
    build_index(SEEDS, open_writer(settings), real_embedder, progress=False, log=lambda m: None)
    encoder = CachedEncoder(real_embedder)
    milvus_engine = Engine(open_store(settings, real_embedder), encoder)
    local_engine = Engine(open_store(Settings(index=real_index), real_embedder), encoder)
    questions = [q["query"] for q in load_questions(SHARED / "eval" / "dev.jsonl")]
    assert len(questions) >= 50
    for q in questions:
        assert answer(milvus_engine, q) == answer(local_engine, q), q
