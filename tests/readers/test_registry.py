"""The registry (suffix -> reader, missing libraries named) and the builder every reader renders with."""
from __future__ import annotations

import io
import sys
import zipfile

import pytest

from search import readers
from search.documents import load_document
from search.errors import BadDocument
from search.model import Document
from search.readers import Builder, PartTooLarge, read
from search.readers.base import check_zip_sizes, safe_name

from .samples import HTML_DOC


@pytest.mark.parametrize("module,suffix,package", [
    ("trafilatura", ".html", "trafilatura"),
    ("markdown_it", ".md", "markdown-it-py"),
    ("charset_normalizer", ".txt", "charset-normalizer"),
])
def test_a_missing_library_is_named_with_its_package(monkeypatch, module, suffix, package):
    data = {".html": HTML_DOC.encode(), ".md": b"# Notes\n\nSome text.\n", ".txt": "caf\xe9 cr\xe8me".encode("cp1252")}
    monkeypatch.setitem(sys.modules, module, None)   # ``import module`` now raises ImportError
    with pytest.raises(BadDocument, match=f"^{suffix} files need the {package} package: pip install {package}$"):
        read(suffix, data[suffix])


def test_a_missing_docx_library_skips_the_document_with_the_package_named(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "docx", None)
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "plan.docx").write_bytes(b"PK\x03\x04 anything")
    with pytest.raises(BadDocument, match="docx files need the python-docx package: pip install python-docx"):
        load_document(seeds / "plan.docx", seeds)


def test_a_reader_module_that_cannot_be_imported_is_named_too(monkeypatch):
    monkeypatch.setitem(sys.modules, "search.readers.md", None)
    with pytest.raises(BadDocument, match=r"\.md files need the markdown-it-py package"):
        readers.reader_for(".MD")


def test_unsupported_types_and_versions():
    with pytest.raises(BadDocument, match=r"unsupported file type '\.xyz'; supported: \.docx, \.htm, \.html"):
        read(".xyz", b"hello")
    versions = readers.READER_VERSIONS
    assert set(versions) == set(readers.SUPPORTED) and all(isinstance(v, int) and v >= 1 for v in versions.values())


def test_the_builder_keeps_every_block_with_exact_offsets_and_page_starts():
    b = Builder()
    b.heading(1, "Scope")
    b.paragraph("Libraries   lend\nbooks.")
    b.page_break()
    b.item("one")
    b.item("two\x07")
    b.table([["Year", "Spend"], ["", ""], ["2012", "3.4  million"]])
    b.caption("Table 1: spend by year")
    b.code("x = 1\n    y = 2\n")
    b.heading(9, "Deep")
    result = b.render("  The  title ", ocr_pages=(2,))
    assert result.text == ("# Scope\n\nLibraries lend\nbooks.\n\n- one\n- two\n\nYear\tSpend\n2012\t3.4 million\n\n"
                           "Table 1: spend by year\n\nx = 1\n    y = 2\n\n###### Deep\n")
    assert [(k.kind, result.text[k.start:k.end]) for k in result.blocks] == [
        ("heading", "# Scope"), ("paragraph", "Libraries lend\nbooks."), ("item", "- one"), ("item", "- two"),
        ("table", "Year\tSpend\n2012\t3.4 million"), ("caption", "Table 1: spend by year"),
        ("code", "x = 1\n    y = 2"), ("heading", "###### Deep")]
    assert [k.level for k in result.blocks if k.kind == "heading"] == [1, 6]
    assert result.pages == (0, result.text.index("- one"))
    assert (result.title, result.headings_known, result.ocr_pages) == ("The title", True, (2,))


def test_blocks_round_trip_through_json_and_are_left_out_when_empty():
    result = read(".md", b"# Notes\n\nSome text.\n")
    doc = Document("n.md", "Notes", "sha256:x", result.text, blocks=result.blocks)
    assert Document.from_json(doc.to_json()) == doc
    plain = Document("a.txt", "A", "sha256:y", "text\n")
    assert "blocks" not in plain.to_json() and Document.from_json(plain.to_json()) == plain


def zip_of(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return out.getvalue()


def test_zip_members_are_checked_by_their_declared_sizes_before_reading():
    bomb = zip_of({"word/document.xml": b"\0" * 3_000_000})
    assert len(bomb) < 20_000
    with pytest.raises(PartTooLarge, match="word/document.xml would be 2.9 MB decompressed, over the max_part_bytes"):
        check_zip_sizes(bomb, 2**20)
    with pytest.raises(PartTooLarge, match="four times the max_part_bytes"):
        check_zip_sizes(zip_of({f"p{i}": b"\0" * 900_000 for i in range(5)}), 2**20)
    check_zip_sizes(zip_of({"word/document.xml": b"<w/>"}), 2**20)   # small: fine
    check_zip_sizes(b"not a zip", 2**20)                              # damaged: left to the reader


def test_names_are_shown_without_control_characters():
    assert safe_name("report\x1b[2J\n.txt") == "report\\x1b[2J\\n.txt"
    assert safe_name("café notes.txt") == "café notes.txt"
