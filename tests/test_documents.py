"""Finding and loading documents: nothing read outside the seeds folder, bounds, titles, eval --seeds."""
from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import pytest

from search.documents import discover, load, load_document, read_source
from search.errors import BadDocument
from search.evaluate import evaluate_file
from search.readers.titles import derive_title, is_noise
from search.settings import DocumentLimits

from .conftest import SEEDS
from .readers.samples import PDF_PAGES, make_docx, make_pdf

SEED_TITLES = {
    "000_f0920709c756320e.txt": "Voices for Real Reform",
    "001_5755dbe5304cf02f.txt": "UNISON welcomes the opportunity to respond to the Ministry of Justice consultation "
                                "paper Transforming Rehabilitation",
    "002_7ee6d24b31a7e022.txt": "Power To The People?",
    "003_e6a6cf24a00f8233.txt": "Declaration of interdependence in children's services",
    "004_90ce6de2cf69eb80.txt": "University of Birmingham/Demos Policy Commission",
}


def reasons(seeds: Path, limits: DocumentLimits = DocumentLimits()) -> dict[str, str]:
    """What the build would report: each discovered entry's reason, or "ok"."""
    out = {}
    found = discover(seeds)
    for path in found:
        try:
            read_source(path, seeds, limits)
            out[path.relative_to(seeds).as_posix()] = "ok"
        except BadDocument as exc:
            out[path.relative_to(seeds).as_posix()] = str(exc)
    out.update(dict(found.skipped))
    return out


@pytest.fixture
def folders(tmp_path):
    seeds, outside = tmp_path / "seeds", tmp_path / "outside"
    (seeds / "sub").mkdir(parents=True)
    outside.mkdir()
    (seeds / "a.txt").write_text("Inside text.\n")
    (seeds / "sub" / "b.txt").write_text("Inside, in a folder.\n")
    (outside / "secret.txt").write_text("The secret outside the seeds folder.\n")
    return seeds, outside


def test_links_are_followed_only_when_they_stay_inside(folders):
    seeds, outside = folders
    (seeds / "secret-link.txt").symlink_to(outside / "secret.txt")
    (seeds / "outside-folder").symlink_to(outside, target_is_directory=True)
    (seeds / "inner-link.txt").symlink_to(seeds / "a.txt")
    (seeds / "sub-again").symlink_to(seeds / "sub", target_is_directory=True)
    (seeds / "sub" / "loop").symlink_to(seeds, target_is_directory=True)   # a cycle: never entered twice
    found = reasons(seeds)
    assert found["a.txt"] == found["sub/b.txt"] == found["inner-link.txt"] == "ok"
    assert "outside the seeds folder" in found["secret-link.txt"]
    assert "outside the seeds folder" in found["outside-folder"]
    assert not any("secret.txt" in name for name in found)
    assert sum(name.endswith("b.txt") for name in found) == 1        # sub/ and sub-again/ are one folder
    with pytest.raises(BadDocument, match="outside the seeds folder"):
        load_document(seeds / "secret-link.txt", seeds)


def test_loops_of_links_are_refused_with_a_reason(folders):
    seeds, _ = folders
    (seeds / "self.txt").symlink_to("self.txt")
    (seeds / "x.txt").symlink_to("y.txt")
    (seeds / "y.txt").symlink_to("x.txt")
    (seeds / "dir-loop").symlink_to("dir-loop", target_is_directory=True)
    found = reasons(seeds)
    assert all("loop of symbolic links" in found[name] for name in ("self.txt", "x.txt", "y.txt", "dir-loop"))
    assert found["a.txt"] == "ok"


def test_a_fifo_is_refused_without_being_opened(folders):
    seeds, _ = folders
    os.mkfifo(seeds / "pipe.txt")
    result = {}
    worker = threading.Thread(target=lambda: result.update(reasons(seeds)), daemon=True)
    worker.start()
    worker.join(10)
    assert not worker.is_alive(), "discovery blocked on a FIFO"
    assert result["pipe.txt"] == "not a regular file (a FIFO); not read"
    assert result["a.txt"] == "ok"


def test_lock_files_oversize_files_and_unsafe_names_are_skipped_with_a_reason(folders):
    seeds, _ = folders
    (seeds / "~$nutes.docx").write_bytes(b"\x0bowner")
    (seeds / "big.txt").write_text("word " * 1000)
    (seeds / "evil\x1b[2J.txt").write_text("Text.\n")
    (seeds / ".hidden.txt").write_text("Hidden.\n")
    found = reasons(seeds, DocumentLimits(max_file_bytes=4000))
    assert found["~$nutes.docx"] == "a Word lock file (~$...), not a document"
    assert "over the max_file_bytes bound" in found["big.txt"]
    assert found["evil\\x1b[2J.txt"] == "its name holds control characters"
    assert ".hidden.txt" not in found and not any("\x1b" in name for name in found)


def test_text_over_the_bound_is_cut_with_a_note(tmp_path):
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "long.md").write_text("# Long\n\n" + "A line of words here.\n" * 1000 + "## Late heading\n\nTail.\n")
    doc, notes = load(seeds / "long.md", seeds, limits=DocumentLimits(max_text_chars=5000))
    assert len(doc.text) <= 5000 and doc.text.endswith("\n")
    assert any("max_text_chars" in n for n in notes)
    assert [h.text for h in doc.outline] == ["Long"]
    assert all(b.end <= len(doc.text) for b in doc.blocks)


def test_markup_headings_are_capped_in_number_and_depth(tmp_path):
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    text = "".join(f"{'#' * (1 + i % 6)} Heading {i}\n\nBody {i}.\n\n" for i in range(60))
    (seeds / "many.md").write_text(text)
    doc, notes = load(seeds / "many.md", seeds, limits=DocumentLimits(max_headings=50, max_heading_depth=3))
    assert len(doc.outline) == 50 and max(len(h.path) for h in doc.outline) == 3
    assert any("max_headings" in n for n in notes)


def test_the_seed_titles_and_stored_rows_do_not_change():
    for path in discover(SEEDS):
        doc = load_document(path, SEEDS)
        assert doc.title == SEED_TITLES[doc.doc_id]
        assert doc.text == path.read_text(encoding="utf-8")   # clean UTF-8 text is stored byte for byte
        assert "blocks" not in doc.to_json() and not doc.blocks


@pytest.mark.parametrize("given,text,expected", [
    ("Microsoft Word - winter-fuel.docx", "# Winter fuel payments\n\nText.\n", "Winter fuel payments"),
    ("Report template", "# Cat welfare policy\n\nText.\n", "Cat welfare policy"),
    ("Winter fuel | Harbourside Council", "Text.\n", "Winter fuel"),
    ("", "The council has decided after a long consultation with residents and businesses across the borough "
         "that the parking charges will rise next year by five per cent.\n", "parking notes 2026"),
    ("", "Parking charges will rise next year.\n\nMore text follows here.\n", "Parking charges will rise next year"),
])
def test_titles_are_what_a_reader_calls_the_document(given, text, expected):
    from search.documents import heading_label, marked_outline
    from search.readers import read

    result = read(".md", text.encode())
    headings = [b for b in result.blocks if b.kind == "heading"]
    outline = marked_outline(result.text, headings)
    assert heading_label("## Costs ##") == "Costs"
    assert derive_title(result.text, outline, Path("parking_notes-2026.md"), given) == expected


def test_noise_titles():
    for title in ("Microsoft Word - x.docx", "Document1", "Untitled", "minutes.pdf", "Click here to enter text",
                  "Title", "notes"):
        assert is_noise(title, Path("notes.docx")), title
    assert not is_noise("Winter fuel payments", Path("notes.docx"))


def test_eval_with_seeds_reads_docx_and_pdf_through_the_readers(tmp_path, fake_embedder, make_settings):
    from search.build import build_index

    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "housing.docx").write_bytes(make_docx())
    (seeds / "libraries.pdf").write_bytes(make_pdf(PDF_PAGES))
    (seeds / "notes.txt").write_text("Parking notes\n\nResidents pay for permits each year.\n")
    build_index(seeds, tmp_path / "index", fake_embedder, progress=False, log=lambda m: None)
    questions = tmp_path / "q.jsonl"
    rows = [{"id": "1", "query": "waiting lists households", "kind": "docx",
             "gold": [{"file": "housing.docx", "quote": "1.6 million households", "grade": 2}]},
            {"id": "2", "query": "digital lending electronic books", "kind": "pdf",
             "gold": [{"file": "libraries.pdf", "quote": "electronic books doubled", "grade": 2}]}]
    questions.write_text("".join(json.dumps(r) + "\n" for r in rows))
    report = evaluate_file(questions, make_settings(seeds, tmp_path / "index"), seeds=seeds, embedder=fake_embedder)
    assert report["all"]["n"] == 2 and report["all"]["offset_errors"] == 0


def test_detected_outlines_are_capped_in_number_and_depth(tmp_path):
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    text = "Report on labels\n\n" + "".join(f"{'1.' * (1 + i % 6)} Label {i}\n\nBody text {i}.\n\n" for i in range(40))
    (seeds / "labels.txt").write_text(text)
    full, _ = load(seeds / "labels.txt", seeds)
    doc, notes = load(seeds / "labels.txt", seeds, limits=DocumentLimits(max_headings=10, max_heading_depth=2))
    assert len(full.outline) > 10 and len(doc.outline) == 10
    assert max(len(h.path) for h in doc.outline) <= 2
    assert [h.start for h in doc.outline] == [h.start for h in full.outline][:10]
    assert any("max_headings" in n for n in notes)


CASES = Path(os.environ.get("SEARCH_SHARED") or Path(__file__).resolve().parents[2] / "shared") / "cases"


@pytest.mark.skipif(not CASES.is_dir(), reason="shared cases not present")
def test_cases_12_18_and_21_discovery_names_and_hostile_markdown():
    names = reasons(CASES / "12-file-names-special-characters" / "docs")
    assert names == {"50% target?.md": "ok", "Budget 2026 #2 (draft).txt": "ok", "café notes.txt": "ok",
                     "sub folder/a&b;c=d.txt": "ok"}
    locks = reasons(CASES / "18-word-lock-file" / "docs")
    assert locks == {"minutes.docx": "ok", "~$nutes.docx": "a Word lock file (~$...), not a document"}
    hostile = CASES / "21-hostile-documents" / "docs"
    doc, _ = load(hostile / "md_spaces_6400.md", hostile)
    assert len(doc.outline) <= 1 and doc.title


@pytest.mark.parametrize("name,data,reason", [
    ("broken.pdf", b"%PDF-1.4\n1 0 obj << /Type /Catalog", "not a readable PDF"),
    ("broken.docx", b"PK\x03\x04 this is not a zip archive", "not a readable DOCX"),
    ("empty.txt", b"", "empty file"),
    ("blank.md", b"  \n\n\t\n", "no text"),
    ("binary.txt", b"abc\x00def", "NUL bytes"),
    ("data.xyz", b"hello", "unsupported file type '.xyz'"),
    ("noext", b"hello", "unsupported file type '(none)'"),
])
def test_bad_documents_are_refused_with_the_reason(tmp_path, name, data, reason):
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / name).write_bytes(data)
    with pytest.raises(BadDocument, match=reason.replace("(", r"\(").replace(")", r"\)")):
        load_document(seeds / name, seeds)


def test_an_unreadable_file_is_refused_with_the_reason(tmp_path, monkeypatch):
    from search import documents

    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "locked.txt").write_text("Some text.")

    def denied(path, flags, *args):
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(documents.os, "open", denied)
    with pytest.raises(BadDocument, match="cannot read: Permission denied"):
        read_source(seeds / "locked.txt", seeds)
