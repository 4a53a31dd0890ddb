"""DOCX reader: files made here with python-docx plus raw WordprocessingML, and the shared Word cases."""
from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

import docx
import pytest
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls
from docx.shared import Pt

from search.errors import BadDocument
from search.readers import PartTooLarge
from search.readers import docx as docx_reader
from search.readers.metadata import usable_metadata_title
from search.settings import DocumentLimits

ROOT = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("SEARCH_SHARED") or ROOT.parent / "shared")
CASES = SHARED / "cases"
LIMITS = DocumentLimits()
W = nsdecls("w")


def saved(document) -> bytes:
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def body_append(document, xml: str) -> None:
    """Put raw block XML at the end of the body (before the section properties)."""
    body = document.element.body
    body.insert(len(body) - 1, parse_xml(xml))


def make_review() -> bytes:
    d = docx.Document()
    d.core_properties.title = "Microsoft Word - review_v2.docx"
    d.sections[0].header.paragraphs[0].text = "OFFICIAL - Harbourside Council"
    d.sections[0].footer.paragraphs[0].text = "Printed copies are uncontrolled"
    d.add_heading("Licensing Review", 0)
    d.add_heading("1. Fees", 1)
    p = d.add_paragraph("Fees rise by three percent.")
    p._p.append(parse_xml(f'<w:ins {W} w:id="1" w:author="A" w:date="2026-01-01T00:00:00Z">'
                          '<w:r><w:t xml:space="preserve"> Street traders pay a reduced fee.</w:t></w:r></w:ins>'))
    p._p.append(parse_xml(f'<w:del {W} w:id="2" w:author="A" w:date="2026-01-01T00:00:00Z">'
                          '<w:r><w:delText xml:space="preserve"> Taxi fees are frozen.</w:delText></w:r></w:del>'))
    p._p.append(parse_xml(f'<w:r {W}><w:rPr><w:vanish/></w:rPr><w:t>hidden drafting note</w:t></w:r>'))
    d.add_heading("1.1 Appeals", 2)
    body_append(d, f'<w:sdt {W}><w:sdtPr/><w:sdtContent><w:p><w:r><w:t>Appeals go to the magistrates court '
                   'within twenty one days.</w:t></w:r></w:p></w:sdtContent></w:sdt>')
    body_append(d, f'<w:p {W}><w:r><w:t xml:space="preserve">Ask </w:t></w:r><w:sdt><w:sdtPr/><w:sdtContent>'
                   '<w:r><w:t>the licensing team</w:t></w:r></w:sdtContent></w:sdt>'
                   '<w:r><w:t xml:space="preserve"> for a form.</w:t></w:r>'
                   '<w:sdt><w:sdtPr><w:showingPlcHdr/></w:sdtPr><w:sdtContent><w:r><w:t>Click or tap here to enter '
                   'text.</w:t></w:r></w:sdtContent></w:sdt></w:p>')
    d.add_heading("2. Costs", 1)
    d.add_paragraph("Inspections", style="List Bullet")
    d.add_paragraph("Enforcement", style="List Bullet")
    table = d.add_table(rows=2, cols=2)
    for r, row in enumerate([["Service", "Cost"], ["Inspection", "£120"]]):
        for c, text in enumerate(row):
            table.cell(r, c).text = text
    d.add_paragraph("Table 1: Costs by service", style="Caption")
    d.add_paragraph("Costs are reviewed every April.")
    return saved(d)


@pytest.fixture(scope="module")
def review():
    return docx_reader.read(make_review(), LIMITS)


def spans(result, kind):
    return [result.text[b.start:b.end] for b in result.blocks if b.kind == kind]


def test_tracked_changes_content_controls_and_hidden_text(review):
    assert "Fees rise by three percent. Street traders pay a reduced fee." in review.text
    assert "Taxi fees" not in review.text
    assert "hidden drafting note" not in review.text
    assert "Appeals go to the magistrates court within twenty one days." in spans(review, "paragraph")
    assert "Ask the licensing team for a form." in spans(review, "paragraph")
    assert "Click or tap" not in review.text


def test_heading_styles_give_levels_and_title(review):
    headings = [(b.level, review.text[b.start:b.end]) for b in review.blocks if b.kind == "heading"]
    assert headings == [(1, "# Licensing Review"), (2, "## 1. Fees"), (3, "### 1.1 Appeals"), (2, "## 2. Costs")]
    assert review.title == "Licensing Review" and review.headings_known


def test_tables_lists_and_no_headers_or_footers(review):
    assert spans(review, "table") == ["Service\tCost\nInspection\t£120"]
    assert spans(review, "item") == ["- Inspections", "- Enforcement"]
    assert spans(review, "caption") == ["Table 1: Costs by service"]
    assert "OFFICIAL" not in review.text and "uncontrolled" not in review.text


def test_every_block_span_is_its_text(review):
    for block in review.blocks:
        text = review.text[block.start:block.end]
        assert text and text == text.strip()


def test_a_table_of_contents_is_not_text():
    from docx.enum.style import WD_STYLE_TYPE

    d = docx.Document()
    d.styles.add_style("toc 1", WD_STYLE_TYPE.PARAGRAPH)
    d.add_paragraph("Introduction\t3", style="toc 1")
    body_append(d, f'<w:sdt {W}><w:sdtPr><w:docPartObj><w:docPartGallery w:val="Table of Contents"/>'
                   '</w:docPartObj></w:sdtPr><w:sdtContent><w:p><w:r><w:t>Contents</w:t></w:r></w:p>'
                   '<w:p><w:r><w:t>Budget\t4</w:t></w:r></w:p></w:sdtContent></w:sdt>')
    d.add_heading("Introduction", 1)
    d.add_paragraph("The budget is balanced.")
    result = docx_reader.read(saved(d), LIMITS)
    assert result.text == "## Introduction\n\nThe budget is balanced.\n"


def test_metadata_title_only_when_it_is_a_real_title():
    d = docx.Document()
    d.core_properties.title = "Report template"
    d.add_paragraph("Minutes of the meeting held on Tuesday.")
    assert docx_reader.read(saved(d), LIMITS).title == ""
    d.core_properties.title = "Harbour Board Minutes"
    assert docx_reader.read(saved(d), LIMITS).title == "Harbour Board Minutes"
    for junk in ("Microsoft Word - x.docx", "CAT_policy_v3_FINAL", "Document1", "plan.pdf", "Untitled"):
        assert usable_metadata_title(junk) == ""


def test_a_big_first_paragraph_is_the_title_even_in_normal_style():
    d = docx.Document()
    d.core_properties.title = "Document1"
    d.add_paragraph().add_run("Parking Strategy 2026").font.size = Pt(24)
    d.add_heading("Background", 1)
    d.add_paragraph("Car parks are full on Saturdays.")
    assert docx_reader.read(saved(d), LIMITS).title == "Parking Strategy 2026"


def test_bold_or_large_short_paragraphs_are_headings_without_heading_styles():
    d = docx.Document()
    big = d.add_paragraph().add_run("Allotment Rules")
    big.bold, big.font.size = True, Pt(18)
    d.add_paragraph().add_run("Plot sizes").bold = True
    d.add_paragraph("A full plot is ten rods; half plots are offered first to new tenants.")
    d.add_paragraph().add_run("Water").bold = True
    d.add_paragraph("Hoses are not allowed between June and August.")
    result = docx_reader.read(saved(d), LIMITS)
    assert [(b.level, result.text[b.start:b.end]) for b in result.blocks if b.kind == "heading"] == [
        (2, "## Allotment Rules"), (3, "### Plot sizes"), (3, "### Water")]
    assert result.title == "Allotment Rules"


def test_word_numbering_is_shown_before_headings_and_items():
    d = docx.Document()
    numbering = d.part.numbering_part.element
    numbering.append(parse_xml(
        f'<w:abstractNum {W} w:abstractNumId="90"><w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="decimal"/>'
        '<w:lvlText w:val="%1."/></w:lvl><w:lvl w:ilvl="1"><w:start w:val="1"/><w:numFmt w:val="decimal"/>'
        '<w:lvlText w:val="%1.%2"/></w:lvl><w:lvl w:ilvl="2"><w:start w:val="1"/><w:numFmt w:val="lowerLetter"/>'
        '<w:lvlText w:val="(%3)"/></w:lvl></w:abstractNum>'))
    numbering.append(parse_xml(f'<w:num {W} w:numId="90"><w:abstractNumId w:val="90"/></w:num>'))

    def numbered(paragraph, level):
        paragraph._p.get_or_add_pPr().append(parse_xml(
            f'<w:numPr {W}><w:ilvl w:val="{level}"/><w:numId w:val="90"/></w:numPr>'))

    numbered(d.add_heading("Fees", 1), 0)
    numbered(d.add_heading("Appeals", 2), 1)
    for text in ("Write to the clerk", "Attend the hearing"):
        numbered(d.add_paragraph(text), 2)
    numbered(d.add_heading("Costs", 1), 0)
    result = docx_reader.read(saved(d), LIMITS)
    assert [h.lstrip("# ") for h in spans(result, "heading")] == ["1. Fees", "1.1 Appeals", "2. Costs"]
    assert spans(result, "item") == ["- (a) Write to the clerk", "- (b) Attend the hearing"]


def with_footnote(data: bytes) -> bytes:
    """``data`` with a footnotes part and a reference to footnote 1 in its last paragraph."""
    notes = (f'<w:footnotes {W}><w:footnote w:type="separator" w:id="-1"><w:p><w:r><w:separator/></w:r></w:p>'
             '</w:footnote><w:footnote w:id="1"><w:p><w:r><w:footnoteRef/></w:r><w:r><w:t xml:space="preserve"> '
             'Source: council tax base return 2025.</w:t></w:r></w:p></w:footnote></w:footnotes>')
    src, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            blob = src.read(info)
            if info.filename == "[Content_Types].xml":
                blob = blob.replace(b"</Types>", b'<Override PartName="/word/footnotes.xml" ContentType="application/'
                                    b'vnd.openxmlformats-officedocument.wordprocessingml.footnotes+xml"/></Types>')
            elif info.filename == "word/_rels/document.xml.rels":
                blob = blob.replace(b"</Relationships>", b'<Relationship Id="rIdFn" Type="http://schemas.openxml'
                                    b'formats.org/officeDocument/2006/relationships/footnotes" Target="footnotes.xml"/>'
                                    b"</Relationships>")
            elif info.filename == "word/document.xml":
                blob = blob.replace(b"</w:t></w:r></w:p><w:sectPr",
                                    b'</w:t></w:r><w:r><w:footnoteReference w:id="1"/></w:r></w:p><w:sectPr')
            dst.writestr(info.filename, blob)
        dst.writestr("word/footnotes.xml", notes)
    return out.getvalue()


def test_footnotes_follow_the_body_under_their_heading():
    d = docx.Document()
    d.add_heading("Council tax", 1)
    d.add_paragraph("Band D rises to two thousand pounds.")
    result = docx_reader.read(with_footnote(saved(d)), LIMITS)
    assert result.text.endswith("## Footnotes\n\n1. Source: council tax base return 2025.\n")
    assert "pounds.\n" in result.text      # the reference mark is not glued to the text


def zip_of(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, blob in members.items():
            z.writestr(name, blob)
    return out.getvalue()


def test_zip_bombs_are_refused_before_anything_inflates():
    bomb = zip_of({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<" + b"a" * 20_000_000})
    assert len(bomb) < 100_000
    with pytest.raises(PartTooLarge, match="compression bound"):
        docx_reader.read(bomb, LIMITS)
    big = zip_of({"word/document.xml": os.urandom(300_000)})
    with pytest.raises(PartTooLarge, match="max_part_bytes"):
        docx_reader.read(big, DocumentLimits(max_part_bytes=200_000))


def test_encrypted_and_damaged_files_say_why():
    with pytest.raises(BadDocument, match="encrypted"):
        docx_reader.read(docx_reader.OLE_MAGIC + b"\0" * 512, LIMITS)
    with pytest.raises(BadDocument, match="not a readable DOCX"):
        docx_reader.read(b"PK\x03\x04 not really a zip", LIMITS)


def test_text_over_the_bound_is_cut_with_a_note():
    d = docx.Document()
    for i in range(50):
        d.add_paragraph(f"Paragraph {i} about the harbour.")
    result = docx_reader.read(saved(d), DocumentLimits(max_text_chars=100))
    assert "Paragraph 49" not in result.text
    assert any("max_text_chars" in n for n in result.notes)


# -- shared cases ----------------------------------------------------------------------------------

def case(name: str) -> Path:
    folder = CASES / name / "docs"
    if not folder.is_dir():
        pytest.skip(f"shared case {name} not found (set SEARCH_SHARED)")
    return folder


def test_case_08_tracked_changes_and_content_controls():
    result = docx_reader.read((case("08-docx-tracked-changes-content-controls") / "prs-plan.docx").read_bytes(), LIMITS)
    assert "deposit guarantee scheme opens to private tenants" in result.text
    assert "Withdrawn sentence" not in result.text
    assert "Civil penalties of up to thirty thousand pounds" in result.text
    assert "Complaints go to the housing standards officer within ten working days." in result.text
    assert [h.lstrip("# ") for h in spans(result, "heading")] == ["Private rented sector plan", "Enforcement"]


def test_case_09_template_metadata_is_not_the_title():
    result = docx_reader.read((case("09-stale-metadata-titles") / "winter-fuel.docx").read_bytes(), LIMITS)
    assert result.title == "Winter Fuel Support Review"


def test_case_18_the_lock_file_is_not_a_document():
    folder = case("18-word-lock-file")
    assert "Marsh Lane recycling centre" in docx_reader.read((folder / "minutes.docx").read_bytes(), LIMITS).text
    with pytest.raises(BadDocument):
        docx_reader.read((folder / "~$nutes.docx").read_bytes(), LIMITS)


def test_paragraph_text_takes_linear_time_on_many_runs_and_controls():
    import time

    from search.readers.docx_text import paragraph_text

    def make(n):
        runs = "".join(f'<w:ins w:id="{i}"><w:sdt><w:sdtContent><w:r><w:t>w{i} </w:t></w:r></w:sdtContent></w:sdt></w:ins>'
                       f'<w:del w:id="d{i}"><w:r><w:delText>gone</w:delText></w:r></w:del>' for i in range(n))
        return parse_xml(f"<w:p {W}>{runs}</w:p>")

    def best(n):
        p, times = make(n), []
        for _ in range(5):
            t0 = time.process_time()
            text = paragraph_text(p).text
            times.append(time.process_time() - t0)
        assert "gone" not in text and text.count(" ") == n
        return min(times)

    assert best(16000) / best(4000) < 9

