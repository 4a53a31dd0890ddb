"""Building the index: every format, bad documents, incremental builds, and builds killed with kill -9."""
import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

from search.stores.folder import versions as store
from search.build import build_index
from search.chunk import ChunkSettings
from search.encoders import CachedEncoder
from search.encoders import FakeEncoder as FakeEmbedder
from search.engine import Engine
from search.stores.folder import FolderStore
from search.errors import BadDocument, IndexMismatch
from search.fusion import FusionSettings

from .conftest import ROOT, TINY_DOCS
from .readers.samples import HTML_DOC, PDF_PAGES, make_docx, make_pdf

BAD_DOCS = {
    "corrupt.pdf": (b"%PDF-1.4\nnot really a pdf", "not a readable PDF"),
    "empty.txt": (b"", "empty file"),
    "notes.xyz": (b"some notes", "unsupported file type '.xyz'"),
    "binary.txt": (b"abc\x00def", "NUL bytes"),   # Latin-1 text is decoded now (tests/readers/test_txt.py)
}


def quiet(**kw):
    return {"progress": False, "log": lambda m: None, **kw}


class CountingEmbedder(FakeEmbedder):
    """The fake embedder, counting how many texts each encode call embeds."""

    def __init__(self, dim: int = 64):
        super().__init__(dim)
        self.calls: list[int] = []

    def encode(self, texts, progress=False):
        self.calls.append(len(texts))
        return super().encode(texts, progress)


@pytest.fixture
def mixed_seeds(tiny_seeds):
    (tiny_seeds / "review.html").write_text(HTML_DOC, encoding="utf-8")
    (tiny_seeds / "housing.docx").write_bytes(make_docx())
    (tiny_seeds / "reports").mkdir()
    (tiny_seeds / "reports" / "libraries.pdf").write_bytes(make_pdf(PDF_PAGES, title="Libraries in the County"))
    return tiny_seeds


def engine_for(index_dir, embedder=None):
    embedder = embedder or FakeEmbedder()
    return Engine(FolderStore.open(index_dir, embedder), CachedEncoder(embedder))


def versions(index_dir):
    return sorted(p.name for p in index_dir.iterdir() if p.name.startswith(("v-", ".tmp-")))


# -- formats -----------------------------------------------------------------------------------

def test_every_format_builds_and_passages_are_exact_slices_of_the_extracted_text(mixed_seeds, tmp_path, fake_embedder):
    report = build_index(mixed_seeds, tmp_path / "index", fake_embedder, **quiet())
    assert report.published and not report.skipped
    assert sorted(report.added) == ["alpha.txt", "beta.md", "housing.docx", "reports/libraries.pdf", "review.html"]
    index = FolderStore.open(tmp_path / "index", fake_embedder)
    for p in index.all_passages():
        assert index.document(p.doc_id).text[p.start:p.end] == p.text
    sections = {p.section for p in index.all_passages() if p.doc_id == "review.html"}
    assert sections == {("Library Services Review",), ("Library Services Review", "Opening hours"),
                        ("Library Services Review", "Opening hours", "Weekend access"),
                        ("Library Services Review", "Budget")}
    assert {p.section for p in index.all_passages() if p.doc_id == "housing.docx"} >= {
        ("Housing Review", "Waiting lists"), ("Housing Review", "Waiting lists", "Regional detail")}


def test_pdf_citations_carry_their_page(mixed_seeds, tmp_path, fake_embedder, make_settings):
    from search.service import SearchService
    from web import create_app

    build_index(mixed_seeds, tmp_path / "index", fake_embedder, **quiet())
    settings = make_settings(mixed_seeds, tmp_path / "index")
    client = create_app(settings, service=SearchService(settings, fake_embedder)).test_client()
    body = client.get("/api/search", query_string={"q": "digital lending of electronic books", "k": 5,
                                                   "doc": "reports/libraries.pdf"}).get_json()
    pages = {r["citation"]["section"][0]: r["citation"]["page"] for r in body["results"]}
    assert pages == {"1. Scope": 1, "2. Opening hours": 2, "3. Digital lending": 3}
    top = body["results"][0]
    assert top["citation"]["section"] == ["3. Digital lending"] and top["citation"]["page"] == 3
    document = client.get("/api/documents/reports/libraries.pdf").get_json()
    assert document["title"] == "Libraries in the County"
    path, fragment = top["citation"]["url"].split("#")
    page = client.get(path)
    assert page.status_code == 200 and f'id="{fragment}"'.encode() in page.data
    html = client.get("/api/search", query_string={"q": "Saturday opening weekends", "doc": "review.html"}).get_json()
    assert "page" not in html["results"][0]["citation"]


# -- bad documents -----------------------------------------------------------------------------

def test_bad_documents_are_skipped_by_name_with_the_reason_and_the_rest_build(mixed_seeds, tmp_path, fake_embedder):
    for name, (data, _) in BAD_DOCS.items():
        (mixed_seeds / name).write_bytes(data)
    (mixed_seeds / "reports" / "half.pdf").write_bytes(make_pdf(PDF_PAGES + [["4. Annex", "More."]], bad_page=3))
    logged = []
    report = build_index(mixed_seeds, tmp_path / "index", fake_embedder, progress=False, log=logged.append)
    reasons = dict(report.skipped)
    assert sorted(reasons) == sorted([*BAD_DOCS, "reports/half.pdf"])
    for name, (_, reason) in BAD_DOCS.items():
        assert reason in reasons[name]
    assert "page 3 of 4" in reasons["reports/half.pdf"]
    assert report.documents == 5 and len(logged) >= 5
    assert "skipped 5: " in report.summary() and "corrupt.pdf (not a readable PDF" in report.summary()
    index = FolderStore.open(tmp_path / "index", fake_embedder)
    assert index.document_ids() == sorted(report.added)   # nothing of half.pdf entered, not even pages 1-2


def test_strict_fails_naming_every_bad_document_and_changes_nothing(tiny_seeds, tiny_index, fake_embedder):
    before = versions(tiny_index)
    for name, (data, _) in BAD_DOCS.items():
        (tiny_seeds / name).write_bytes(data)
    with pytest.raises(BadDocument, match="4 documents cannot be used") as exc:
        build_index(tiny_seeds, tiny_index, fake_embedder, strict=True, **quiet())
    assert all(name in str(exc.value) for name in BAD_DOCS)
    assert versions(tiny_index) == before


def test_the_cli_exits_non_zero_with_strict(tiny_seeds, tmp_path, monkeypatch, capsys):
    import search.encoders
    from search.cli import main

    monkeypatch.setattr(search.encoders, "load_encoder", lambda settings, lazy=False: FakeEmbedder())
    (tiny_seeds / "corrupt.pdf").write_bytes(b"%PDF-1.4 broken")
    args = ["build", "--seeds", str(tiny_seeds), "--index", str(tmp_path / "index"), "--quiet"]
    assert main(args + ["--strict"]) != 0
    assert "corrupt.pdf" in capsys.readouterr().err
    assert not (tmp_path / "index" / "CURRENT").exists()
    assert main(args) == 0
    captured = capsys.readouterr()
    assert "skipped 1: corrupt.pdf (not a readable PDF" in captured.out
    assert "2 documents (2 added" in captured.out


def test_a_folder_of_only_bad_documents_is_an_error(tmp_path, fake_embedder):
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "empty.txt").write_bytes(b"")
    with pytest.raises(BadDocument, match="no usable documents"):
        build_index(seeds, tmp_path / "index", fake_embedder, **quiet())


# -- incremental builds ------------------------------------------------------------------------

def test_only_added_and_changed_documents_are_embedded_again(mixed_seeds, tmp_path):
    index_dir = tmp_path / "index"
    embedder = CountingEmbedder()
    first = build_index(mixed_seeds, index_dir, embedder, **quiet())
    old = FolderStore.open(index_dir, embedder)

    (mixed_seeds / "alpha.txt").write_text(TINY_DOCS["alpha.txt"] + "\n3. Parks\n\nParks lost their wardens.\n")
    (mixed_seeds / "beta.md").unlink()
    (mixed_seeds / "gamma.txt").write_text("Gamma\n\nFire stations merged across the two counties.\n")
    embedder.calls.clear()
    report = build_index(mixed_seeds, index_dir, embedder, **quiet())

    assert (report.added, report.changed, report.removed) == (["gamma.txt"], ["alpha.txt"], ["beta.md"])
    assert sorted(report.kept) == ["housing.docx", "reports/libraries.pdf", "review.html"]
    assert report.published and report.version != first.version
    assert "5 documents (1 added, 1 changed, 1 removed, 3 kept)" in report.summary()
    new = FolderStore.open(index_dir, embedder)
    fresh = [p for p in new.all_passages() if p.doc_id in ("alpha.txt", "gamma.txt")]
    sentences = sum(len(new.sentence_spans[i]) for i, p in enumerate(new.all_passages()) if p.doc_id in ("alpha.txt", "gamma.txt"))
    # one call for the new passages and their sentences (a sentence that is a whole passage's text
    # shares its vector), then the test query
    assert len(embedder.calls) == 2 and len(fresh) < embedder.calls[0] <= len(fresh) + sentences
    assert embedder.calls[1] == 1
    for doc_id in report.kept:
        o, n = old.passage_ids(doc_id), new.passage_ids(doc_id)
        assert old.passages(o) == new.passages(n)
        assert np.array_equal(old.vectors[o], new.vectors[n])

    # the incremental index holds exactly what a build from scratch holds
    scratch = tmp_path / "scratch"
    build_index(mixed_seeds, scratch, FakeEmbedder(), **quiet())
    full = FolderStore.open(scratch, embedder)
    assert full.all_passages() == new.all_passages() and full.sentence_spans == new.sentence_spans
    assert np.allclose(full.vectors, new.vectors) and np.allclose(full.sentence_vectors, new.sentence_vectors)
    assert full.manifest["documents"] == new.manifest["documents"]


def test_a_build_with_nothing_changed_publishes_nothing_and_embeds_nothing(mixed_seeds, tmp_path):
    index_dir = tmp_path / "index"
    embedder = CountingEmbedder()
    (mixed_seeds / "empty.txt").write_bytes(b"")
    first = build_index(mixed_seeds, index_dir, embedder, **quiet())
    before = versions(index_dir)
    embedder.calls.clear()
    report = build_index(mixed_seeds, index_dir, embedder, **quiet())
    assert not report.published and embedder.calls == []
    assert report.version == first.version == store.current_version(index_dir).name
    assert versions(index_dir) == before
    assert (len(report.kept), report.added, report.changed, report.removed) == (5, [], [], [])
    assert report.summary().startswith(f"index is up to date ({first.version}): 5 documents (0 added, 0 changed, "
                                       "0 removed, 5 kept)")
    assert "skipped 1: empty.txt (empty file)" in report.summary()


def test_a_touched_but_identical_file_is_not_embedded_again(tiny_seeds, tiny_index):
    embedder = CountingEmbedder()
    path = tiny_seeds / "alpha.txt"
    path.write_bytes(path.read_bytes())
    os.utime(path, (time.time() + 60, time.time() + 60))
    assert not build_index(tiny_seeds, tiny_index, embedder, **quiet()).published
    assert embedder.calls == []


def test_new_fusion_settings_publish_a_version_without_embedding_again(tiny_seeds, tiny_index):
    embedder = CountingEmbedder()
    settings = FusionSettings().as_dict()
    name, value = next((k, v) for k, v in settings.items() if isinstance(v, (int, float)) and not isinstance(v, bool))
    fusion = FusionSettings.from_dict({**settings, name: value + 1 if isinstance(value, int) else value / 2})
    report = build_index(tiny_seeds, tiny_index, embedder, fusion=fusion, **quiet())
    assert report.published and len(report.kept) == 2
    assert embedder.calls == [1]   # only the test query of the new version
    assert FolderStore.open(tiny_index, embedder).manifest["fusion"] == fusion.as_dict()


def test_new_chunking_embeds_everything_again_and_says_why(tiny_seeds, tiny_index):
    embedder = CountingEmbedder()
    report = build_index(tiny_seeds, tiny_index, embedder, chunking=ChunkSettings(target_tokens=60), **quiet())
    assert report.published and sorted(report.added) == ["alpha.txt", "beta.md"]
    assert "chunking changed" in report.reused_nothing and "embedded everything: chunking changed" in report.summary()
    store = FolderStore.open(tiny_index, embedder)
    passages, sentences = store.info()["passages"], sum(len(s) for s in store.sentence_spans)
    assert passages < embedder.calls[0] <= passages + sentences   # every passage and its sentences, in one call


def test_a_new_heading_detector_sections_every_document_again(tiny_seeds, tiny_index, monkeypatch):
    import search.build

    monkeypatch.setattr(search.build, "OUTLINE_VERSION", search.build.OUTLINE_VERSION + 1)
    embedder = CountingEmbedder()
    report = build_index(tiny_seeds, tiny_index, embedder, **quiet())
    assert report.published and sorted(report.added) == ["alpha.txt", "beta.md"]
    assert "outline_version changed" in report.reused_nothing
    assert FolderStore.open(tiny_index, embedder).manifest["outline_version"] == search.build.OUTLINE_VERSION


def test_a_document_that_turns_bad_is_removed_and_reported(tiny_seeds, tiny_index, fake_embedder):
    (tiny_seeds / "beta.md").write_bytes(b"\xff\xfe broken")
    report = build_index(tiny_seeds, tiny_index, fake_embedder, **quiet())
    assert report.removed == ["beta.md"] and report.skipped[0][0] == "beta.md" and report.kept == ["alpha.txt"]
    assert FolderStore.open(tiny_index, fake_embedder).document_ids() == ["alpha.txt"]


def test_old_versions_are_pruned_to_the_live_one_and_the_one_before(tiny_seeds, tiny_index, fake_embedder):
    for n in range(3):
        (tiny_seeds / "alpha.txt").write_text(TINY_DOCS["alpha.txt"] + f"\nEdit number {n} of the report.\n")
        report = build_index(tiny_seeds, tiny_index, fake_embedder, **quiet())
    kept = versions(tiny_index)
    assert len(kept) == 2 and report.version == max(kept)


# -- builds killed with kill -9 ----------------------------------------------------------------

KILLED_BUILD = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from search.stores.folder import versions as store
    from search.build import build_index
    from search.encoders import FakeEncoder as FakeEmbedder

    seeds, index, marker, moment = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]), sys.argv[4]

    def stall():
        marker.write_text("now")
        time.sleep(120)

    class SlowEmbedder(FakeEmbedder):
        def encode(self, texts, progress=False):
            if moment == "embedding":
                stall()
            return super().encode(texts, progress)

    if moment == "writing":
        save = store.save_vectors
        store.save_vectors = lambda *a, **k: (save(*a, **k), stall())
    if moment == "switching":
        store.switch_to = lambda *a, **k: stall()
    build_index(seeds, index, SlowEmbedder(), progress=False)
""")


@pytest.mark.parametrize("moment", ["embedding", "writing", "switching"])
def test_a_build_killed_with_sigkill_leaves_the_previous_index_serving(tiny_seeds, tiny_index, fake_embedder,
                                                                        make_settings, tmp_path, moment):
    from search.service import SearchService

    live = store.current_version(tiny_index).name
    (tiny_seeds / "gamma.txt").write_text("Gamma\n\nFire stations merged across the two counties.\n")
    marker = tmp_path / "marker"
    proc = subprocess.Popen([sys.executable, "-c", KILLED_BUILD, str(tiny_seeds), str(tiny_index), str(marker), moment],
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while not marker.exists():
            assert proc.poll() is None, proc.stderr.read().decode()
            assert time.monotonic() < deadline, "the build never reached the moment to kill it"
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait()
        proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL
    assert len(versions(tiny_index)) == (1 if moment == "embedding" else 2)   # the live one and a leftover

    assert store.current_version(tiny_index).name == live
    service = SearchService(make_settings(tiny_seeds, tiny_index), fake_embedder)
    response = service.search("payment by results re-offending", k=3)
    assert response.version == live and response.results[0].passage.doc_id == "alpha.txt"

    report = build_index(tiny_seeds, tiny_index, fake_embedder, **quiet())   # the lock died with the process
    assert report.published and report.added == ["gamma.txt"] and sorted(report.kept) == ["alpha.txt", "beta.md"]
    left = versions(tiny_index)
    assert not [v for v in left if v.startswith(".tmp-")] and len(left) <= 2 and report.version in left
    assert not list(tiny_index.glob(".CURRENT.*"))
    service.refresh()
    assert service.search("fire stations merged", k=1).version == report.version


@pytest.mark.parametrize("damage", ["garbled dense index", "truncated dense index", "deleted keyword file"])
def test_damaged_search_files_are_remade_without_embedding_again(tiny_seeds, tiny_index, damage):
    folder = store.current_version(tiny_index)
    if damage == "garbled dense index":
        data = (folder / "dense.faiss").read_bytes()
        (folder / "dense.faiss").write_bytes(b"\x00garbled\x00" + data[9:])
    elif damage == "truncated dense index":
        os.truncate(folder / "dense.faiss", 100)
    else:
        sorted((folder / "keyword").iterdir())[0].unlink()
    embedder = CountingEmbedder()
    with pytest.raises(IndexMismatch):
        FolderStore.open(tiny_index, embedder)

    report = build_index(tiny_seeds, tiny_index, embedder, **quiet())
    assert report.published and sorted(report.kept) == ["alpha.txt", "beta.md"] and not report.reused_nothing
    assert embedder.calls == [1]   # only the test query of the new version
    assert "remade the search files" in report.summary() and ("dense.faiss" in report.repaired
                                                             or "keyword" in report.repaired)
    index = FolderStore.open(tiny_index, embedder)
    assert len(Engine(index, CachedEncoder(embedder)).search("libraries lend books", k=3).results) == 3
    best, _ = index.keyword.top(index.keyword.query_terms("libraries lend books"), 1)
    assert index.all_passages()[int(best[0])].doc_id == "alpha.txt"
    assert not build_index(tiny_seeds, tiny_index, embedder, **quiet()).published   # and now it is whole
