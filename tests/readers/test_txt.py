"""Plain text: clean UTF-8 stored unchanged; BOM, CR and CRLF, legacy encodings, UTF-16 handled."""
from __future__ import annotations

import codecs
import os
from pathlib import Path

import pytest

from search.documents import load, load_document
from search.errors import BadDocument
from search.readers import read

ROOT = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("SEARCH_SHARED") or ROOT.parent / "shared")
CASES = SHARED / "cases"

REPORT = "Parking review\n\n1. Permits\n\nThe annual permit costs £48 – up from £40.\n\n2. Visitors\n\nVisitor vouchers stay free.\n"


def write(tmp_path, name: str, data: bytes):
    seeds = tmp_path / "seeds"
    seeds.mkdir(exist_ok=True)
    (seeds / name).write_bytes(data)
    return seeds / name, seeds


def loaded(tmp_path, name: str, data: bytes):
    return load_document(*write(tmp_path, name, data))


def test_clean_utf8_is_stored_byte_for_byte():
    text = "Title\n\n# Not touched   \n\ttabbed – “quoted” £5\n\n\n"
    result = read(".txt", text.encode())
    assert result.text == text and result.encoding == "" and not result.blocks and not result.headings_known


@pytest.mark.parametrize("ending", ["\r\n", "\r"])
def test_crlf_and_cr_only_line_ends_count_lines_and_keep_headings(tmp_path, ending):
    plain = loaded(tmp_path, "lf.txt", REPORT.encode())
    doc = loaded(tmp_path, "other.txt", REPORT.replace("\n", ending).encode())
    assert doc.text == REPORT
    assert [(h.text, h.line) for h in doc.outline] == [(h.text, h.line) for h in plain.outline]
    assert [h.text for h in doc.outline][-2:] == ["1. Permits", "2. Visitors"]
    assert doc.text.count("\n", 0, doc.text.index("Visitor vouchers")) + 1 == 9
    assert doc.outline.headings[-1].line == 7


def test_a_byte_order_mark_is_never_in_the_title_or_a_heading(tmp_path):
    doc = loaded(tmp_path, "bom.txt", codecs.BOM_UTF8 + REPORT.encode())
    assert doc.text == REPORT
    assert doc.title == "Parking review" and "\ufeff" not in doc.title
    assert all("\ufeff" not in h.text for h in doc.outline)


def test_windows_1252_is_decoded_and_named(tmp_path):
    doc, notes = load(*write(tmp_path, "ansi.txt", REPORT.replace("Parking", "Residents’ parking").encode("cp1252")))
    assert doc.text == REPORT.replace("Parking", "Residents’ parking")
    assert "decoded as cp1252" in notes


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be", "utf-32-le"])
def test_utf16_and_utf32_with_a_byte_order_mark(encoding):
    bom = {"utf-16-le": codecs.BOM_UTF16_LE, "utf-16-be": codecs.BOM_UTF16_BE, "utf-32-le": codecs.BOM_UTF32_LE}[encoding]
    result = read(".txt", bom + REPORT.replace("\n", "\r\n").encode(encoding))
    assert result.text == REPORT and result.encoding.startswith("utf-")


@pytest.mark.parametrize("text,encoding", [
    ("Привет мир, это тестовый документ о парковке жителей.", "cp1251"),
    ("Zażółć gęślą jaźń, łódź i żółw są tutaj razem.", "cp1250"),
    ("Résumé — “quoted” €5 fee for the café.", "cp1252"),
    # Czech reads without error as Windows-1252 too ("Žilinì", "poèítaèe"): the more coherent page wins
    ("Zpráva o školách\n\nŠkoly v Žilině dostanou nové počítače a ředitelé škol jsou spokojeni s rozpočtem.", "cp1250"),
    ("Le comité a décidé que la fenêtre de l'hôtel sera réparée très bientôt. Père et mère à côté.", "cp1252"),
    ("A decisão do conselho não foi aprovada. As eleições são em outubro; informações à população.", "cp1252"),
])
def test_legacy_encodings_are_detected(text, encoding):
    result = read(".txt", text.encode(encoding))
    assert (result.text, result.encoding) == (text, encoding)


def test_binary_data_is_refused():
    with pytest.raises(BadDocument, match="NUL bytes"):
        read(".txt", b"abc\x00def")
    with pytest.raises(BadDocument, match="NUL bytes"):
        read(".txt", bytes(range(256)) * 4)


@pytest.mark.skipif(not (CASES / "01-legacy-encodings-txt").is_dir(), reason="shared cases not present")
def test_case_01_legacy_encodings_read_as_an_editor_shows_them(tmp_path):
    folder = CASES / "01-legacy-encodings-txt" / "docs"
    ansi, notes_ansi = load(folder / "parking-review-ansi.txt", folder)
    wide, notes_wide = load(folder / "parking-review-unicode.txt", folder)
    assert ansi.text == wide.text and "Residents’ parking review" in ansi.text and "£" in ansi.text
    assert ansi.title == "Residents’ parking review"
    assert "decoded as cp1252" in notes_ansi and "decoded as utf-16" in notes_wide
    assert "\r" not in wide.text and "\ufeff" not in wide.text


@pytest.mark.skipif(not (CASES / "02-utf8-bom-markdown").is_dir(), reason="shared cases not present")
def test_case_02_bom_is_not_part_of_title_or_heading():
    folder = CASES / "02-utf8-bom-markdown" / "docs"
    for path in sorted(folder.iterdir()):
        doc = load_document(path, folder)
        assert not doc.text.startswith("\ufeff") and "\ufeff" not in doc.title
        assert all("\ufeff" not in h.text for h in doc.outline)
    md = load_document(folder / "library-strategy.md", folder)
    assert md.title == "Library Services Strategy 2026"
    assert md.outline.headings[0].text == "Library Services Strategy 2026"
    assert md.outline.headings[0].start == 0
