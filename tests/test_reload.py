"""A running service switches to a rebuilt index without a restart, and refuses unusable ones.

Every answer comes from exactly one index version; an index built another way, or damaged under
a running server, answers 503 with the command to rebuild, and the service recovers after it.
"""
import json
import shutil
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

import numpy as np
import pytest

from search.stores.folder import versions as store
from search.build import build_index
from search.encoders import FakeEncoder as FakeEmbedder
from search.stores.folder import FolderStore
from search.errors import IndexMismatch
from search.service import SearchService
from web import create_app

from .conftest import TINY_DOCS, ServerProcess

HINT = "python -m search build"
QUESTION = "payment by results re-offending charities"


def quiet(**kw):
    return {"progress": False, "log": lambda m: None, **kw}


def wait_until(condition, timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def passage_keys(index_dir, embedder, version) -> set:
    index = FolderStore.open(index_dir, embedder, folder=index_dir / version)
    return {(p.doc_id, p.start, p.end, p.text) for p in index.all_passages()}


def revise_alpha(seeds):
    """A new wording at the top of alpha.txt moves every one of its passages."""
    (seeds / "alpha.txt").write_text(TINY_DOCS["alpha.txt"].replace("Alpha Report", "Alpha Report, revised edition"))


@pytest.fixture
def live_service(tiny_seeds, tiny_index, fake_embedder, make_settings):
    service = SearchService(make_settings(tiny_seeds, tiny_index), fake_embedder)
    service.start_watcher()
    yield service
    service.stop()


@pytest.fixture
def live_client(live_service):
    app = create_app(live_service.settings, service=live_service)
    app.config["TESTING"] = True
    return app.test_client()


def assert_unavailable(client):
    response = client.get("/api/search", query_string={"q": QUESTION})
    assert response.status_code == 503 and response.is_json
    error = response.get_json()["error"]
    assert error["status"] == 503 and HINT in error["message"]
    health = client.get("/api/health")
    assert health.status_code == 503 and health.get_json()["status"] == "unavailable"


# -- live reload -------------------------------------------------------------------------------

def test_searches_in_flight_each_see_one_whole_version_while_the_index_switches(tiny_seeds, tiny_index, live_service,
                                                                               fake_embedder):
    old = live_service.engine().version
    stop, errors, answers = threading.Event(), [], []

    def ask():
        seen = []
        while not stop.is_set():
            try:
                r = live_service.search(QUESTION, k=5)
                seen.append((r.version, [(h.passage.doc_id, h.passage.start, h.passage.end, h.passage.text)
                                         for h in r.results]))
            except Exception as exc:  # any error at all fails the test
                errors.append(exc)
        answers.append(seen)

    threads = [threading.Thread(target=ask) for _ in range(4)]
    for t in threads:
        t.start()
    try:
        time.sleep(0.3)
        revise_alpha(tiny_seeds)
        new = build_index(tiny_seeds, tiny_index, fake_embedder, **quiet()).version
        switched = time.monotonic()
        wait_until(lambda: live_service.engine().version == new, timeout=5)
        assert time.monotonic() - switched < 2   # reload_seconds is 0.2
        time.sleep(0.3)
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert errors == []
    keys = {v: passage_keys(tiny_index, fake_embedder, v) for v in (old, new)}
    assert not keys[old] & keys[new] & {k for k in keys[old] if k[0] == "alpha.txt"}
    order = [old, new]
    for seen in answers:
        versions = [v for v, _ in seen]
        assert versions == sorted(versions, key=order.index)     # never back to the old version
        for version, hits in seen:
            assert hits and set(hits) <= keys[version]          # the whole answer from that version
    everything = [v for seen in answers for v, _ in seen]
    assert everything.count(old) > 0 and everything.count(new) > 0


def test_health_reports_the_live_index(live_client, live_service):
    body = live_client.get("/api/health").get_json()
    manifest = live_service.engine().store.manifest
    assert body["status"] == "ok" and body["index_version"] == live_service.engine().version
    assert (body["built_at"], body["model"]) == (manifest["built_at"], "fake-hash-embedder")
    assert (body["documents"], body["passages"]) == (2, live_service.engine().store.info()["passages"])


def test_answers_carry_the_index_version(live_client, live_service):
    body = live_client.get("/api/search", query_string={"q": QUESTION}).get_json()
    assert body["index_version"] == live_service.engine().version


@pytest.mark.real
@pytest.mark.server
def test_a_real_server_switches_to_a_rebuilt_index_with_requests_in_flight(tiny_seeds, tmp_path, real_embedder):
    index = tmp_path / "index"
    old = build_index(tiny_seeds, index, real_embedder, **quiet()).version
    server = ServerProcess(tiny_seeds, index)
    stop, failures, answers = threading.Event(), [], []

    def ask():
        url = f"{server.url}/api/search?" + urllib.parse.urlencode({"q": QUESTION, "k": 5})
        while not stop.is_set():
            try:
                with urllib.request.urlopen(url, timeout=30) as r:
                    body = json.load(r)
                answers.append((body["index_version"], [(h["citation"]["doc"], h["citation"]["start"],
                                                         h["citation"]["end"], h["text"]) for h in body["results"]]))
            except Exception as exc:
                failures.append(exc)

    threads = [threading.Thread(target=ask) for _ in range(3)]
    try:
        for t in threads:
            t.start()
        time.sleep(1)
        revise_alpha(tiny_seeds)
        new = build_index(tiny_seeds, index, real_embedder, **quiet()).version

        def health_version():
            with urllib.request.urlopen(server.url + "/api/health", timeout=30) as r:
                return json.load(r)["index_version"]

        wait_until(lambda: health_version() == new, timeout=15)
        time.sleep(1)
    finally:
        stop.set()
        for t in threads:
            t.join()
        server.stop()
    assert failures == []
    keys = {v: passage_keys(index, real_embedder, v) for v in (old, new)}
    assert {v for v, _ in answers} == {old, new}
    for version, hits in answers:
        assert hits and set(hits) <= keys[version]


# -- indexes that cannot be used ---------------------------------------------------------------

class OtherModel(FakeEmbedder):
    name = "some-other-model"


@pytest.mark.parametrize("embedder,words", [
    (FakeEmbedder(dim=32), "(dim 64), but this service uses 'fake-hash-embedder' (dim 32)"),
    (OtherModel(), "built with model 'fake-hash-embedder' (dim 64), but this service uses 'some-other-model'"),
])
def test_an_index_built_with_another_model_is_503_until_rebuilt(tiny_seeds, tiny_index, make_settings, embedder, words):
    service = SearchService(make_settings(tiny_seeds, tiny_index), embedder)
    service.start_watcher()
    try:
        client = create_app(service.settings, service=service).test_client()
        assert_unavailable(client)
        assert words in client.get("/api/health").get_json()["message"]
        report = build_index(tiny_seeds, tiny_index, embedder, **quiet())
        assert "cannot be used" in report.reused_nothing and report.published
        wait_until(lambda: client.get("/api/health").status_code == 200)
        assert client.get("/api/search", query_string={"q": QUESTION}).get_json()["index_version"] == report.version
    finally:
        service.stop()


def test_an_unknown_manifest_format_is_refused_with_the_rebuild_hint(tiny_index, fake_embedder):
    folder = store.current_version(tiny_index)
    manifest = json.loads((folder / "manifest.json").read_text())
    (folder / "manifest.json").write_text(json.dumps({**manifest, "format_version": 99}))
    with pytest.raises(IndexMismatch, match=r"index format 99 is not the supported format 1; run `python -m search"):
        FolderStore.open(tiny_index, fake_embedder)


def test_the_cli_refuses_a_mismatched_index_with_a_non_zero_exit(tiny_index, monkeypatch, capsys):
    import search.cli

    monkeypatch.setattr(search.cli, "load_embedder", lambda settings: FakeEmbedder(dim=32))
    assert search.cli.main(["query", "libraries", "--index", str(tiny_index)]) != 0
    err = capsys.readouterr().err
    assert "dim 32" in err and HINT in err


def test_pickled_arrays_are_never_loaded(tiny_index, fake_embedder):
    folder = store.current_version(tiny_index)
    np.save(folder / "vectors.npy", np.array([{"payload": 1}], dtype=object), allow_pickle=True)
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["files"]["vectors.npy"] = (folder / "vectors.npy").stat().st_size   # pass the size check
    (folder / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(IndexMismatch, match="vectors.npy is missing or damaged .*(allow_pickle|Python objects)"):
        FolderStore.open(tiny_index, fake_embedder)


def truncate(path):
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def garble(path):
    """The same size, the first bytes overwritten: only loading the file can tell."""
    data = path.read_bytes()
    path.write_bytes(b"\x00garbled\x00" + data[9:])


DAMAGE = {
    "truncated vectors": lambda v, ix: truncate(v / "vectors.npy"),
    "garbled vectors": lambda v, ix: garble(v / "vectors.npy"),
    "garbled sentence vectors": lambda v, ix: garble(v / "sentence_vectors.npy"),
    "deleted dense index": lambda v, ix: (v / "dense.faiss").unlink(),
    "garbled dense index": lambda v, ix: garble(v / "dense.faiss"),
    "truncated passages": lambda v, ix: truncate(v / "passages.jsonl"),
    "garbled documents": lambda v, ix: garble(v / "documents.jsonl"),
    "deleted keyword file": lambda v, ix: sorted((v / "keyword").iterdir())[0].unlink(),
    "deleted manifest": lambda v, ix: (v / "manifest.json").unlink(),
    "truncated manifest": lambda v, ix: truncate(v / "manifest.json"),
    "deleted version folder": lambda v, ix: shutil.rmtree(v),
    "deleted pointer": lambda v, ix: (ix / "CURRENT").unlink(),
    "pointer to nowhere": lambda v, ix: (ix / "CURRENT").write_text("v-nothing\n"),
}


@pytest.mark.parametrize("damage", DAMAGE)
def test_index_files_damaged_under_a_running_server_answer_503_then_recover_after_a_rebuild(
        tiny_seeds, tiny_index, live_client, fake_embedder, damage):
    assert live_client.get("/api/search", query_string={"q": QUESTION}).status_code == 200
    DAMAGE[damage](store.current_version(tiny_index), tiny_index)
    wait_until(lambda: live_client.get("/api/health").status_code == 503, timeout=5)
    assert_unavailable(live_client)
    assert live_client.get("/").status_code == 503

    report = build_index(tiny_seeds, tiny_index, fake_embedder, **quiet())
    assert report.published and report.documents == 2
    wait_until(lambda: live_client.get("/api/health").status_code == 200, timeout=5)
    body = live_client.get("/api/search", query_string={"q": QUESTION}).get_json()
    assert body["index_version"] == report.version and body["results"]
