"""PDF reader: files made here with reportlab (fonts that ship with it), plus the shared PDF cases."""
from __future__ import annotations

import io
import os
import shutil
import zlib
from pathlib import Path

import pytest

from search.errors import BadDocument
from search.readers import PartTooLarge, pdf, pdf_streams
from search.readers.pdf_layout import Line, assemble, running_furniture
from search.readers.pdf_text import join_lines
from search.readers.pdf_ocr import page_ranges
from search.settings import DocumentLimits

reportlab = pytest.importorskip("reportlab")
from reportlab.lib.pagesizes import A4  # noqa: E402
from reportlab.pdfbase import pdfmetrics  # noqa: E402
from reportlab.pdfbase.ttfonts import TTFont  # noqa: E402
from reportlab.pdfgen import canvas  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("SEARCH_SHARED") or ROOT.parent / "shared")
CASES = SHARED / "cases"
HAS_TESSERACT = shutil.which("tesseract") is not None
LIMITS = DocumentLimits()

pdfmetrics.registerFont(TTFont("Vera", "Vera.ttf"))      # both ship with reportlab; Vera has ﬁ and ﬂ
pdfmetrics.registerFont(TTFont("VeraBd", "VeraBd.ttf"))

HEADER = "Harbourside Council Budget Report 2026"
REPORT = [   # (font, size, text) lines, top to bottom; None starts a new paragraph; "PAGE" a new page
    ("VeraBd", 20, "Budget Report 2026"), None,
    ("VeraBd", 13, "1. Housing"),
    ("Vera", 11, "The council will keep social rents afford-"),
    ("Vera", 11, "able for every tenant in the borough and"),
    ("Vera", 11, "will build three hundred new homes."), None,
    ("Vera", 11, "The \ufb02ood defence works and \ufb01nancial reserves are"),
    ("Vera", 11, "reviewed each spring by the audit committee."), None,
    ("VeraBd", 11, "1.1 Repairs"),
    ("Vera", 11, "Damp and mould repairs are answered within ten days."), None,
    ("Vera", 11, "Table 1: Spending by service"),
    ("Vera", 11, "Housing 12.4"),
    "PAGE",
    ("VeraBd", 13, "2. Transport"),
    ("Vera", 11, "The night bus to the hospital runs every thirty minutes and the long-"),
    ("Vera", 11, "term plan adds a second route."), None,
    ("VeraBd", 13, "3. Parks"),
    ("Vera", 11, "Park rangers patrol the seafront gardens at weekends."),
]


def make_report(path: Path, lines=REPORT, header: str = HEADER, scanned_page: str = "") -> bytes:
    """A report PDF: a running header, a "Page N of M" footer, lines set as given; with
    ``scanned_page``, a last page holding only a picture of that text."""
    pages = 1 + sum(1 for x in lines if x == "PAGE") + (1 if scanned_page else 0)
    c = canvas.Canvas(str(path), pagesize=A4)
    c.setTitle("Microsoft Word - budget_v3_FINAL.docx")
    width, height = A4
    number = 1

    def furniture():
        c.setFont("Vera", 9)
        c.drawString(72, height - 36, header)
        c.drawString(width / 2 - 20, 30, f"Page {number} of {pages}")

    furniture()
    y = height - 90
    for line in lines:
        if line is None:
            y -= 10
        elif line == "PAGE":
            c.showPage()
            number += 1
            furniture()
            y = height - 90
        else:
            font, size, text = line
            c.setFont(font, size)
            c.drawString(72, y, text)
            y -= size * 1.45
    if scanned_page:
        c.showPage()
        number += 1
        furniture_free_scan(c, scanned_page, width, height)
    c.save()
    return path.read_bytes()


def furniture_free_scan(c, text: str, width: float, height: float) -> None:
    """A page holding only an image of ``text`` (no text layer), as a scanner makes it."""
    from PIL import Image, ImageDraw, ImageFont
    from reportlab.lib.utils import ImageReader

    font_path = Path(reportlab.__file__).parent / "fonts" / "Vera.ttf"
    image = Image.new("L", (1700, 400), 255)
    ImageDraw.Draw(image).text((40, 150), text, fill=0, font=ImageFont.truetype(str(font_path), 48))
    c.drawImage(ImageReader(image), 40, height - 300, width=width - 80, height=(width - 80) * 400 / 1700)
    c.showPage()


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    path = tmp_path_factory.mktemp("pdf") / "report.pdf"
    return pdf.read(make_report(path), LIMITS)


def spans(result, kind):
    return [result.text[b.start:b.end] for b in result.blocks if b.kind == kind]


def test_headings_come_from_the_layout_with_levels(report):
    headings = [(b.level, report.text[b.start:b.end]) for b in report.blocks if b.kind == "heading"]
    assert headings == [(1, "# Budget Report 2026"), (2, "## 1. Housing"), (3, "### 1.1 Repairs"),
                        (2, "## 2. Transport"), (2, "## 3. Parks")]
    assert report.headings_known


def test_body_text_right_under_a_heading_is_its_own_paragraph(report):
    paragraphs = spans(report, "paragraph")
    assert ("The council will keep social rents affordable for every tenant in the borough and "
            "will build three hundred new homes.") in paragraphs
    assert "Damp and mould repairs are answered within ten days." in paragraphs


def test_running_header_footer_and_page_numbers_are_not_text(report):
    assert HEADER not in report.text
    assert "Page 1 of 2" not in report.text and "Page 2 of 2" not in report.text
    assert all("Page" not in h for h in spans(report, "heading"))


def test_hyphen_joins_words_and_keeps_compounds(report):
    assert "affordable" in report.text and "afford-" not in report.text
    assert "long-term plan" in report.text


def test_ligatures_are_letters(report):
    assert "flood defence" in report.text and "financial reserves" in report.text
    assert not any(ch in report.text for ch in "\ufb00\ufb01\ufb02\ufb03\ufb04")


def test_caption_is_a_caption_never_a_heading(report):
    assert spans(report, "caption") == ["Table 1: Spending by service"]
    assert not any("Table 1" in h for h in spans(report, "heading"))


def test_pages_start_where_each_page_does(report):
    assert len(report.pages) == 2 and report.pages[0] == 0
    second = report.text.index("## 2. Transport")
    assert report.pages[1] == second
    assert report.text.index("Damp and mould") < report.pages[1]


def test_title_is_the_visible_one_not_the_metadata(report):
    assert report.title == "Budget Report 2026"


def test_every_block_span_is_its_text(report):
    for block in report.blocks:
        text = report.text[block.start:block.end]
        assert text and text == text.strip()
        if block.kind == "heading":
            assert text.startswith("#" * block.level + " ")


def test_without_a_visible_title_the_running_header_names_it(tmp_path):
    lines = [x for x in REPORT[2:] if not (isinstance(x, tuple) and x[1] == 20)]
    result = pdf.read(make_report(tmp_path / "r.pdf", lines), LIMITS)
    assert result.title == HEADER
    assert HEADER not in result.text


def test_scanned_page_is_named_and_read_when_tesseract_is_there(tmp_path, monkeypatch):
    data = make_report(tmp_path / "s.pdf", REPORT[:5], scanned_page="Protected oak tree at Church Lane")
    monkeypatch.setattr(pdf, "tesseract_available", lambda: False)
    plain = pdf.read(data, LIMITS)
    assert plain.ocr_pages == ()
    assert any("page 2 has no text layer" in n and "apt-get install tesseract-ocr" in n for n in plain.notes)
    if not HAS_TESSERACT:
        pytest.skip("tesseract-ocr is not installed")
    monkeypatch.undo()
    ocr = pdf.read(data, LIMITS)
    assert ocr.ocr_pages == (2,)
    assert "Church Lane" in ocr.text[ocr.pages[1]:]
    assert any("page 2 has no text layer" in n and "OCR" in n for n in ocr.notes)


def test_a_paragraph_over_a_page_break_is_one_and_the_page_starts_inside_it(tmp_path):
    lines = [("VeraBd", 13, "1. Housing"), ("Vera", 11, "The council will keep rents low for every"), "PAGE",
             ("Vera", 11, "tenant in the borough."), None, ("VeraBd", 13, "2. Parks"), ("Vera", 11, "Parks open at dawn.")]
    result = pdf.read(make_report(tmp_path / "over.pdf", lines), LIMITS)
    assert "The council will keep rents low for every tenant in the borough." in spans(result, "paragraph")
    assert result.pages == (0, result.text.index("tenant in the borough."))


def test_ruled_tables_and_bullets(tmp_path):
    from reportlab.lib import colors
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import ListFlowable, ListItem, Paragraph, SimpleDocTemplate, Table, TableStyle

    body = ParagraphStyle("body", fontName="Vera", fontSize=11, leading=14)
    table = Table([["Service", "2025"], ["Housing", "12.4"]])
    table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.black), ("FONTNAME", (0, 0), (-1, -1), "Vera")]))
    story = [Paragraph("Spending rose in every service this year.", body),
             ListFlowable([ListItem(Paragraph(t, body)) for t in ("Housing repairs", "Street lighting")],
                          bulletType="bullet", bulletFontName="Vera"),
             Paragraph("Table 2: Spending by service", body), table]
    SimpleDocTemplate(str(tmp_path / "t.pdf")).build(story)
    result = pdf.read((tmp_path / "t.pdf").read_bytes(), LIMITS)
    assert spans(result, "table") == ["Service\t2025\nHousing\t12.4"]
    assert spans(result, "item") == ["- Housing repairs", "- Street lighting"]
    assert spans(result, "caption") == ["Table 2: Spending by service"]


def test_a_table_without_rules_is_read_row_by_row(tmp_path):
    width, height = A4
    c = canvas.Canvas(str(tmp_path / "plain-table.pdf"), pagesize=A4)
    c.setFont("Vera", 10)
    c.drawString(72, height - 90, "Missed bin reports rose in the winter on narrow streets.")
    c.drawString(72, height - 110, "Table 3: Missed collections by ward")
    rows = [("Ward", "Missed", "Rate"), ("Northfield", "120", "2.1%"), ("Southgate", "96", "1.7%")]
    for r, row in enumerate(rows):
        for x, cell in zip((72, 200, 300), row):
            c.drawString(x, height - 130 - 14 * r, cell)
    c.drawString(72, height - 190, "The rates are per thousand households.")
    c.save()
    result = pdf.read((tmp_path / "plain-table.pdf").read_bytes(), LIMITS)
    assert spans(result, "table") == ["Ward\tMissed\tRate\nNorthfield\t120\t2.1%\nSouthgate\t96\t1.7%"]
    assert spans(result, "caption") == ["Table 3: Missed collections by ward"]


def test_three_columns_of_running_text_are_not_a_table(tmp_path):
    width, height = A4
    c = canvas.Canvas(str(tmp_path / "three.pdf"), pagesize=A4)
    c.setFont("Vera", 9)
    words = "the council agreed a new plan for the harbour and its".split()
    for col, x in enumerate((40, 215, 390)):
        for r in range(12):
            c.drawString(x, height - 80 - 12 * r, " ".join(words[(r + col) % 5:][:6]) + f" line{col}{r}")
    c.save()
    result = pdf.read((tmp_path / "three.pdf").read_bytes(), LIMITS)
    assert spans(result, "table") == []
    assert "line00" in result.text and "line211" in result.text


def test_two_columns_are_read_one_after_the_other(tmp_path):
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import BaseDocTemplate, Frame, PageTemplate, Paragraph

    width, height = A4
    half = (width - 120) / 2
    frames = [Frame(50, 50, half, height - 100), Frame(70 + half, 50, half, height - 100)]
    doc = BaseDocTemplate(str(tmp_path / "cols.pdf"), pagesize=A4, pageTemplates=[PageTemplate(frames=frames)])
    body = ParagraphStyle("body", fontName="Vera", fontSize=10, leading=13)
    head = ParagraphStyle("head", fontName="VeraBd", fontSize=14, leading=18)
    story = []
    for n in range(1, 5):
        story += [Paragraph(f"Story {n}", head),
                  Paragraph(" ".join(f"Story{n} sentence {k} about the harbour." for k in range(14)), body)]
    doc.build(story)
    result = pdf.read((tmp_path / "cols.pdf").read_bytes(), LIMITS)
    paragraphs = spans(result, "paragraph")
    assert [h.lstrip("# ") for h in spans(result, "heading")] == ["Story 1", "Story 2", "Story 3", "Story 4"]
    for n in range(1, 5):   # each story's sentences in order, in one paragraph under its heading
        story_text = next(p for p in paragraphs if p.startswith(f"Story{n} sentence 0"))
        assert story_text.endswith(f"Story{n} sentence 13 about the harbour.")


def test_a_page_sized_scan_under_a_page_number_is_still_a_scan(tmp_path, monkeypatch):
    from PIL import Image
    from reportlab.lib.utils import ImageReader

    c = canvas.Canvas(str(tmp_path / "stamped.pdf"), pagesize=A4)
    c.drawImage(ImageReader(Image.new("L", (600, 850), 255)), 0, 0, width=A4[0], height=A4[1])
    c.setFont("Vera", 9)
    c.drawString(280, 30, "Page 1")
    c.save()
    monkeypatch.setattr(pdf, "tesseract_available", lambda: False)
    result = pdf.read((tmp_path / "stamped.pdf").read_bytes(), LIMITS)
    assert any(n.startswith("page 1 has no text layer") for n in result.notes)


def test_a_page_whose_text_runs_sideways_is_read_as_plain_text(tmp_path):
    c = canvas.Canvas(str(tmp_path / "sideways.pdf"), pagesize=A4)
    c.setPageRotation(90)            # shown turned, so its horizontal text runs up the screen
    c.setFont("Vera", 11)
    c.drawString(72, 680, "Body text of the section sits here.")
    c.save()
    result = pdf.read((tmp_path / "sideways.pdf").read_bytes(), LIMITS)
    assert result.text == "Body text of the section sits here.\n"


def minimal_pdf(content: bytes, filters: str = "/FlateDecode") -> bytes:
    """A one-page PDF whose page content is the stream ``content`` (already encoded)."""
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>",
               b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
               b"<< /Length %d /Filter %s >>\nstream\n" % (len(content), filters.encode()) + content + b"\nendstream"]
    out, offsets = io.BytesIO(), []
    out.write(b"%PDF-1.4\n")
    for i, body in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % i + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    out.writelines(b"%010d 00000 n \n" % o for o in offsets)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()


def test_a_stream_that_would_decompress_past_the_bound_is_refused():
    bomb = minimal_pdf(zlib.compress(b" " * 8_000_000, 9))
    assert len(bomb) < 20_000
    with pytest.raises(PartTooLarge, match="max_part_bytes"):
        pdf.read(bomb, DocumentLimits(max_part_bytes=2**20))
    assert pdf.read(minimal_pdf(zlib.compress(b" " * 1000)), LIMITS).text == ""


def test_decoded_size_counts_without_inflating_everything():
    class Stream:   # the attributes pdfminer's PDFStream has
        rawdata, data, decipher, objid, genno, attrs = zlib.compress(b"x" * 5_000_000), None, None, 1, 0, {}

        def get_filters(self):
            from pdfminer.psparser import LIT
            return [(LIT("FlateDecode"), None)]

    assert pdf_streams.decoded_size(Stream(), 10**9) == 5_000_000
    assert 1000 < pdf_streams.decoded_size(Stream(), 1000) <= 1000 + 2 * pdf_streams._CHUNK


def test_time_budget_is_checked_per_page(tmp_path):
    with pytest.raises(BadDocument, match="time budget"):
        pdf.read(make_report(tmp_path / "t.pdf"), DocumentLimits(seconds=0))


def test_encrypted_and_damaged_files_say_why(tmp_path):
    from reportlab.lib.pdfencrypt import StandardEncryption

    path = tmp_path / "secret.pdf"
    c = canvas.Canvas(str(path), encrypt=StandardEncryption("secret", ownerPassword="owner"))
    c.drawString(72, 700, "Confidential minutes")
    c.save()
    with pytest.raises(BadDocument, match="encrypted"):
        pdf.read(path.read_bytes(), LIMITS)
    with pytest.raises(BadDocument, match="not a readable PDF"):
        pdf.read(b"%PDF-1.4\nthis is not really a PDF", LIMITS)
    # Only an owner password ("no copying"): anyone may open it, and so may the reader.
    c = canvas.Canvas(str(path), encrypt=StandardEncryption("", ownerPassword="owner", canCopy=0, strength=128))
    c.drawString(72, 700, "Premises must close by midnight.")
    c.save()
    assert pdf.read(path.read_bytes(), LIMITS).text == "Premises must close by midnight.\n"


def test_text_over_the_bound_is_cut_with_a_note(tmp_path):
    data = make_report(tmp_path / "long.pdf")
    result = pdf.read(data, DocumentLimits(max_text_chars=100))
    assert "Transport" not in result.text
    assert any("max_text_chars" in n for n in result.notes)


# -- layout rules on lines, without a PDF --------------------------------------------------------

def line(page, text, top, size=11.0, bold=False, x1=500.0):
    return Line(page, text, top, top + size, 72.0, x1, size, bold)


def test_furniture_is_repeated_margin_text_or_a_page_number():
    lines = [line(p, t, top) for p in range(3) for t, top in
             (("Annual report", 30), (f"Body text on page {p}.", 300), (str(p + 1), 800))]
    lines.append(line(0, "Cover note", 40))   # in the margin but only once: kept
    furniture = running_furniture(lines, 3)
    assert {lines[i].text for i in furniture} == {"Annual report", "1", "2", "3"}


def test_a_bold_line_is_a_heading_even_with_body_text_right_under_it():
    pieces = assemble([line(0, "Scope of the review", 100, bold=True),
                       line(0, "The review covers every library in the borough and its", 113),
                       line(0, "opening hours.", 126, x1=150)])
    assert [(p.kind, p.text) for p in pieces] == [
        ("heading", "Scope of the review"),
        ("paragraph", "The review covers every library in the borough and its opening hours.")]


def test_word_style_headings_a_point_larger_in_colour_and_not_contents_lines_or_long_runs():
    blue = "0.18,0.33,0.59"
    body = [line(0, f"Body line {i} of the report on the harbour and its many boats.", 300 + i * 14, x1=520)
            for i in range(6)]
    lines = [Line(0, "Contents", 60, 72, 72, 140, 16, True),
             Line(0, "Introduction .......... 3", 80, 91, 72, 520, 11, True),
             Line(0, "Harbour dues", 280, 292, 72, 160, 12, False, color=blue)] + body + [
             Line(0, f"A larger paragraph line {i} that runs on and on.", 400 + i * 15, 412 + i * 15, 72, 520, 12, True)
             for i in range(5)]
    pieces = assemble(lines)
    assert [p.text for p in pieces if p.kind == "heading"] == ["Contents", "Harbour dues"]
    assert any(p.kind == "paragraph" and p.text.startswith("A larger paragraph line 0") for p in pieces)


def test_a_bold_row_of_cells_is_not_a_heading():
    cells = [Line(0, text, 300, 311, x, x + 60, 11, True) for text, x in (("Service", 72), ("Budget", 200))]
    body = [line(0, "Housing repairs cost more this year than last year in every ward.", 314)]
    assert [p.kind for p in assemble(cells + body)] == ["paragraph", "paragraph", "paragraph"]


def test_join_lines_keeps_capitalised_and_known_compounds():
    assert join_lines(["Anglo-", "Saxon"], set()) == "Anglo-Saxon"
    assert join_lines(["co-", "operation"], {"co-operation"}) == "co-operation"
    assert join_lines(["re-", "view"], {"review"}) == "review"
    assert join_lines(["2019-", "20 figures"], set()) == "2019- 20 figures"


def growth(make, run, n: int = 1000) -> float:
    """How much longer ``run`` takes on an input four times as large (best of five, in this
    process's CPU time, so other load barely counts): about 4 when linear, 16 when quadratic."""
    import time

    def best(size):
        data = make(size)
        times = []
        for _ in range(5):
            t0 = time.process_time()
            run(data)
            times.append(time.process_time() - t0)
        return min(times)

    return best(4 * n) / max(best(n), 1e-9)


@pytest.mark.parametrize("shape", ["one row", "bullets beside text", "hyphenated lines", "one page of headings"])
def test_layout_rules_take_linear_time_on_adversarial_lines(shape):
    def make(n):
        if shape == "one row":
            return [Line(0, f"cell {i}", 100, 111, i * 0.5, i * 0.5 + 0.4, 11, True) for i in range(n)]
        if shape == "bullets beside text":
            return [Line(0, "\u2022" if i % 2 else f"item {i}", 100, 111, i, i + 0.5, 11, False) for i in range(n)]
        if shape == "hyphenated lines":
            return [line(i // 50, "word " * 8 + "afford-", (i % 50) * 14 + 80) for i in range(n)]
        return [line(0, f"{i}. Heading {i}", 80 + i * 0.01, size=14, bold=True) for i in range(n)]

    from search.readers.pdf_page import _with_bullets, reading_order

    def run(lines):
        furniture = running_furniture(lines, lines[-1].page + 1)
        assemble(lines, furniture)
        reading_order(_with_bullets([[x] for x in lines]))

    assert growth(make, run) < 9


def test_page_ranges():
    assert page_ranges([1, 2, 3, 5]) == "pages 1-3, 5"
    assert page_ranges([4]) == "page 4"


# -- shared cases ----------------------------------------------------------------------------------

def case(name: str) -> Path:
    folder = CASES / name / "docs"
    if not folder.is_dir():
        pytest.skip(f"shared case {name} not found (set SEARCH_SHARED)")
    return folder


def test_case_05_ligatures_are_letters():
    result = pdf.read((case("05-pdf-ligatures") / "coastal-plan.pdf").read_bytes(), LIMITS)
    for word in ("flood defence", "financial case", "offers significant benefits", "harbour office"):
        assert word in result.text
    assert not any(ch in result.text for ch in "\ufb00\ufb01\ufb02\ufb03\ufb04")
    assert result.title == "Coastal resilience plan"


def test_case_07_running_header_and_footer_are_gone_and_numbered_headings_found():
    result = pdf.read((case("07-pdf-running-headers-footers") / "transport-review.pdf").read_bytes(), LIMITS)
    assert "Harbourside Council Annual Transport Review" not in result.text
    assert "Page" not in result.text
    assert [h.lstrip("# ") for h in spans(result, "heading")] == ["1. Bus services", "2. Cycling", "3. Road safety"]
    assert result.headings_known and len(result.pages) == 3
    import bisect
    assert bisect.bisect_right(result.pages, result.text.index("seafront cycle lane")) == 2


def test_case_09_title_is_the_visible_one():
    result = pdf.read((case("09-stale-metadata-titles") / "cat-policy.pdf").read_bytes(), LIMITS)
    assert result.title == "Community Asset Transfer Policy"


def test_case_19_pages_without_text_are_named_and_ocr_when_installed():
    folder = case("19-scanned-and-mixed-pdf")
    mixed = pdf.read((folder / "mixed-licensing.pdf").read_bytes(), LIMITS)
    scanned = pdf.read((folder / "scanned-tpo.pdf").read_bytes(), LIMITS)
    assert "premises licence for the Anchor Inn" in mixed.text
    assert any(n.startswith("page 2 has no text layer") for n in mixed.notes)
    assert any(n.startswith("page 1 has no text layer") for n in scanned.notes)
    if HAS_TESSERACT:
        assert mixed.ocr_pages == (2,) and scanned.ocr_pages == (1,)
        assert "Church Lane" in scanned.text and "oak" in scanned.text
    else:
        assert "apt-get install tesseract-ocr" in " ".join(scanned.notes)


def test_case_19_title_comes_from_page_one_not_a_heading_read_by_ocr_from_page_two():
    from search.documents import load_document

    folder = case("19-scanned-and-mixed-pdf")
    mixed = load_document(folder / "mixed-licensing.pdf", folder)
    assert mixed.title == "Licensing sub-committee decision notice"
    if HAS_TESSERACT:   # page 2's OCR text holds a heading-like line; it names nothing
        assert "Tree preservation order" in mixed.text
