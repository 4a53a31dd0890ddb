"""Hostile documents never leak, stall or sink a build: each kind is made here, at test time.

A symbolic link out of the seeds folder is never searchable; a FIFO does not block; a document
over its time budget is skipped with the bound named and the rest are built; a build over every
kind stays within bounded time and memory (measured by the OS, in a subprocess); a first `serve`
over a seeds folder holding hostile files comes up, answering 503 with progress until it has an index.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
import urllib.error
import urllib.request

import pytest

from search.build import build_index
from search.encoders import CachedEncoder
from search.engine import Engine
from search.settings import DocumentLimits
from search.stores.folder import FolderStore

from search.bench.tools import free_port, wait_for

from .conftest import ROOT, TINY_DOCS


def quiet(**kw):
    return {"progress": False, "log": lambda m: None, **kw}


def hostile_files(folder):
    """Small files that trigger the worst case of each text stage (the kinds of shared/cases/21)."""
    (folder / "md_spaces.md").write_text("#" + " " * 6400 + "a\n", encoding="utf-8")
    (folder / "dots.txt").write_text("." * 100_000 + "\n", encoding="utf-8")
    (folder / "labels.txt").write_text("".join(f"Section {i}: item\n" for i in range(8000)), encoding="utf-8")
    (folder / "blank_then_numbers.txt").write_text("\n" * 20000 + "".join(f"{i}. x\n" for i in range(3000)),
                                                   encoding="utf-8")
    (folder / "one_line.txt").write_text("gritting " * 30000 + "\n", encoding="utf-8")
    (folder / "word.txt").write_text("x" * 300_000 + "\n", encoding="utf-8")
    (folder / "nested.html").write_text("<div>" * 100_000 + "deep text" + "</div>" * 100_000, encoding="utf-8")


def test_a_link_out_of_the_seeds_folder_is_never_searchable(tmp_path, tiny_seeds, fake_embedder):
    secret = tmp_path / "outside" / "secret.txt"
    secret.parent.mkdir()
    secret.write_text("Zebracorn salaries\n\nThe zebracorn payroll is confidential.\n", encoding="utf-8")
    (tiny_seeds / "leak.txt").symlink_to(secret)
    (tiny_seeds / "folder-leak").symlink_to(secret.parent, target_is_directory=True)
    report = build_index(tiny_seeds, tmp_path / "index", fake_embedder, **quiet())
    skipped = dict(report.skipped)
    assert "outside the seeds folder" in skipped["leak.txt"]
    store = FolderStore.open(tmp_path / "index", fake_embedder)
    assert store.document_ids() == sorted(TINY_DOCS)
    hits = Engine(store, CachedEncoder(fake_embedder)).search("zebracorn payroll confidential", k=10).results
    assert all("zebracorn" not in h.passage.text.lower() for h in hits)


def test_a_fifo_does_not_block_the_build(tmp_path, tiny_seeds, fake_embedder):
    os.mkfifo(tiny_seeds / "pipe.txt")
    report = build_index(tiny_seeds, tmp_path / "index", fake_embedder, **quiet())
    assert "FIFO" in dict(report.skipped)["pipe.txt"]
    assert sorted(report.added) == sorted(TINY_DOCS)


def test_a_document_over_its_time_budget_is_skipped_and_the_rest_build(tmp_path, tiny_seeds, fake_embedder):
    build_index(tiny_seeds, tmp_path / "warm", fake_embedder, **quiet())   # the worker's start is not a document's time
    (tiny_seeds / "huge.txt").write_text("\n\n".join(f"Paragraph {i} about housing, roads and parks." * 4
                                                     for i in range(40_000)), encoding="utf-8")
    limits = DocumentLimits(seconds=1.0, max_text_chars=50_000_000)
    report = build_index(tiny_seeds, tmp_path / "index", fake_embedder, limits=limits, **quiet())
    assert "doc_seconds" in dict(report.skipped)["huge.txt"]
    assert sorted(report.added) == sorted(TINY_DOCS) and report.published


def test_the_next_document_after_a_stopped_worker_is_read(tmp_path, tiny_seeds, fake_embedder):
    (tiny_seeds / "aaa-huge.txt").write_text("Roads and parks. " * 600_000, encoding="utf-8")
    report = build_index(tiny_seeds, tmp_path / "index", fake_embedder,
                         limits=DocumentLimits(seconds=0.5, max_text_chars=50_000_000), **quiet())
    assert "aaa-huge.txt" in dict(report.skipped)                   # the first one stopped the worker ...
    assert sorted(report.added) == sorted(TINY_DOCS)                # ... and a new one read the rest


BUILD_AND_MEASURE = textwrap.dedent("""
    import json, resource, sys, time
    from pathlib import Path
    from search.build import build_index
    from search.encoders import FakeEncoder
    from search.stores.folder import FolderStore
    seeds, index = Path(sys.argv[1]), Path(sys.argv[2])
    t0 = time.perf_counter()
    report = build_index(seeds, index, FakeEncoder(), progress=False, log=lambda m: None)
    seconds = time.perf_counter() - t0
    store = FolderStore.open(index, FakeEncoder())
    passages = store.all_passages()
    depth = max((len(h.path) for d in store.document_ids() for h in store.document(d).outline), default=0)
    # this process's own peak (VmHWM starts afresh at exec; ru_maxrss would count the forking parent's
    # pages) and the largest worker's
    own_kb = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM:"))
    peak_kb = max(own_kb, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
    print(json.dumps({"seconds": seconds, "peak_mb": peak_kb / 1024, "longest": max(len(p.text) for p in passages),
                      "depth": depth, "added": report.added, "skipped": report.skipped}))
""")


def test_a_build_over_every_hostile_kind_is_bounded_in_time_memory_and_size(tmp_path, tiny_seeds):
    hostile_files(tiny_seeds)
    out = subprocess.run([sys.executable, "-c", BUILD_AND_MEASURE, str(tiny_seeds), str(tmp_path / "index")],
                         cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    accounted = set(result["added"]) | {d for d, _ in result["skipped"]}
    assert accounted == {p.name for p in tiny_seeds.iterdir()}      # each file indexed or named with a reason
    assert set(TINY_DOCS) <= set(result["added"])                   # the good documents are never blocked
    assert result["longest"] <= 20_000                              # no passage of megabytes
    assert result["depth"] <= DocumentLimits().max_heading_depth    # nesting bounded
    assert result["peak_mb"] < 1500, result                         # measured by the OS, build and worker
    assert result["seconds"] < 120, result


@pytest.mark.server
def test_a_first_serve_with_a_hostile_file_comes_up_and_shows_progress(tmp_path, tiny_seeds):
    hostile_files(tiny_seeds)
    for n in range(150):   # enough documents that the build takes a moment
        (tiny_seeds / f"note-{n:03d}.txt").write_text(f"Note {n}\n\nLibraries and parks, item {n}.\n", encoding="utf-8")
    port = free_port()
    log = open(tmp_path / "serve.log", "w")
    proc = subprocess.Popen([sys.executable, "-m", "search", "serve", "--port", str(port), "--seeds", str(tiny_seeds),
                             "--index", str(tmp_path / "index")], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                            env={**os.environ, "SEARCH_ENCODER": "fake", "SEARCH_RELOAD_SECONDS": "0.3"})
    try:
        url = f"http://127.0.0.1:{port}/api/search?q=libraries"
        deadline, messages = time.monotonic() + 120, []
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(url, timeout=5) as r:
                    body = json.loads(r.read())
                    break
            except urllib.error.HTTPError as exc:
                assert exc.code == 503
                messages.append(json.loads(exc.read())["error"]["message"])
            except OSError:
                pass   # not listening yet
            time.sleep(0.05)
        else:
            pytest.fail(f"serve never answered: {(tmp_path / 'serve.log').read_text()[-2000:]}")
        assert body["results"]
        assert any(m.startswith("building the index") for m in messages), messages[:3]
        wait_for(f"http://127.0.0.1:{port}/api/health", proc=proc)
    finally:
        proc.terminate()
        proc.wait(10)
        log.close()


def test_a_large_document_is_embedded_within_its_time_budget(tmp_path, tiny_seeds, fake_embedder):
    class SlowEncoder(type(fake_embedder)):
        def encode(self, texts, progress=False):
            time.sleep(0.3)   # one call per run of 64 passages (with their sentences): two runs pass 0.5 s
            return super().encode(texts, progress)

    paragraph = "The depot on Mill Road grits the route {i} first, then the hills, then the bus stops. " * 5
    (tiny_seeds / "long.txt").write_text("\n\n".join(paragraph.format(i=i) for i in range(600)), encoding="utf-8")
    report = build_index(tiny_seeds, tmp_path / "index", SlowEncoder(), isolate=False,
                         limits=DocumentLimits(seconds=0.5), **quiet())
    note = dict(report.notes)["long.txt"]
    assert "doc_seconds" in note and note.startswith("only the first 128 of ")
    store = FolderStore.open(tmp_path / "index", fake_embedder)
    assert len(store.passage_ids("long.txt")) == 128 and sorted(report.added) == sorted([*TINY_DOCS, "long.txt"])
