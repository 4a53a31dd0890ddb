"""Text extraction from real files made here: HTML, DOCX, PDF, and the bad ones.

The builders (``make_pdf``, ``make_docx``, ``HTML_DOC``) are used by test_build.py too.
"""
import io

import pytest

from search.documents import load_document, read_source
from search.errors import BadDocument
from search.extract import extract_docx, extract_pdf, extract_plain
from search.extract_html import extract_html

# -- documents made by the tests ---------------------------------------------------------------


def make_pdf(pages: list[list[str]], title: str = "", bad_page: int | None = None) -> bytes:
    """A small valid PDF: one text line per entry, Helvetica. ``bad_page`` (1-based) gets a content
    stream with an unknown filter, so reading that page fails while the others read fine."""
    objects: list[bytes] = [b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    contents = []
    for number, lines in enumerate(pages, start=1):
        ops = ["BT /F1 12 Tf 72 720 Td 14 TL"]
        ops += ["(" + line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") + ") Tj T*" for line in lines]
        stream = "\n".join(ops + ["ET"]).encode("latin-1")
        extra = b" /Filter /NoSuchFilter" if number == bad_page else b""
        objects.append(b"<< /Length %d%s >>\nstream\n%s\nendstream" % (len(stream), extra, stream))
        contents.append(len(objects))
    pages_id = len(objects) + len(pages) + 1
    kids = []
    for content in contents:
        objects.append(b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 612 792] "
                       b"/Resources << /Font << /F1 1 0 R >> >> /Contents %d 0 R >>" % (pages_id, content))
        kids.append(b"%d 0 R" % len(objects))
    objects.append(b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join(kids), len(kids)))
    objects.append(b"<< /Type /Catalog /Pages %d 0 R >>" % pages_id)
    root = len(objects)
    objects.append(b"<< /Title (%s) >>" % title.encode("latin-1"))
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root %d 0 R /Info %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, root, len(objects), xref)
    return bytes(out)


PDF_PAGES = [
    ["1. Scope", "This report covers public libraries in the county."],
    ["2. Opening hours", "Opening hours were cut by a third after the budget reductions."],
    ["3. Digital lending", "Digital lending of electronic books doubled in two years."],
]


def make_docx(core_title: str = "") -> bytes:
    import docx

    d = docx.Document()
    d.core_properties.title = core_title
    d.add_paragraph("Housing Review", style="Title")
    d.add_paragraph("The review looks at social housing in the region.")
    d.add_heading("Waiting lists", level=1)
    d.add_paragraph("Waiting lists grew\tto 1.6 million households.")
    d.add_paragraph("Families wait longest", style="List Bullet")
    d.add_paragraph("Single people wait least", style="List Bullet")
    d.add_heading("Regional detail", level=2)
    table = d.add_table(rows=2, cols=2)
    for (r, c), text in {(0, 0): "Region", (0, 1): "Households", (1, 0): "North", (1, 1): "1,200"}.items():
        table.cell(r, c).text = text
    d.add_heading("Costs", level=1)
    d.add_paragraph("Building costs rose faster than rents.")
    out = io.BytesIO()
    d.save(out)
    return out.getvalue()


HTML_DOC = """<!doctype html>
<html><head><meta charset="utf-8"><title>Library Services Review</title>
<style>.x { color: red }</style><script>var secret = "script text";</script></head>
<body><nav><a href="/">Home</a> | <a href="/about">About the navigation</a></nav>
<h1>Library Services Review</h1>
<p>The council reviewed how its public
   libraries are used across the county.</p>
<h2>Opening hours</h2>
<p>Opening hours were cut by a third after the budget reductions of last year.</p>
<ul><li>Central library closes at six</li><li>Branch libraries close on Mondays</ul>
<h3>Weekend access</h3>
<p>Saturday opening was kept in every branch because visits peak at weekends &amp; holidays.</p>
<h2>Budget</h2>
<table><tr><th>Year</th><th>Spend</th></tr><tr><td>2012</td><td>3.4 <b>million</b></td></tr></table>
<p>Spending on new books fell sharply while digital lending grew.</p>
</body></html>
"""

HTML_TEXT = (
    "# Library Services Review\n\n"
    "The council reviewed how its public libraries are used across the county.\n\n"
    "## Opening hours\n\n"
    "Opening hours were cut by a third after the budget reductions of last year.\n\n"
    "- Central library closes at six\n"
    "- Branch libraries close on Mondays\n\n"
    "### Weekend access\n\n"
    "Saturday opening was kept in every branch because visits peak at weekends & holidays.\n\n"
    "## Budget\n\n"
    "Year\tSpend\n2012\t3.4 million\n\n"
    "Spending on new books fell sharply while digital lending grew.\n"
)


def load(tmp_path, name: str, data: bytes):
    seeds = tmp_path / "seeds"
    seeds.mkdir(exist_ok=True)
    (seeds / name).write_bytes(data)
    return load_document(seeds / name, seeds)


# -- HTML --------------------------------------------------------------------------------------

def test_html_renders_headings_lists_and_tables_and_leaves_out_script_style_and_nav(tmp_path):
    doc = load(tmp_path, "review.html", HTML_DOC.encode())
    assert doc.text == HTML_TEXT
    assert doc.title == "Library Services Review"
    assert [h.path for h in doc.outline.headings] == [
        ("Library Services Review",),
        ("Library Services Review", "Opening hours"),
        ("Library Services Review", "Opening hours", "Weekend access"),
        ("Library Services Review", "Budget"),
    ]
    for h in doc.outline.headings:
        assert doc.text[h.start:h.end] == "#" * len(h.path) + " " + h.text
        assert doc.text.count("\n", 0, h.start) + 1 == h.line
    assert doc.outline.section_at(doc.text.index("Saturday")) == (
        "Library Services Review", "Opening hours", "Weekend access")


def test_html_short_paragraphs_are_not_taken_for_headings():
    extracted = extract_html(b"<h1>Report</h1><p>Contact us</p><p>Some body text here.</p><h2>Next</h2><p>More.</p>")
    assert extracted.text == "# Report\n\nContact us\n\nSome body text here.\n\n## Next\n\nMore.\n"
    assert [h[3] for h in extracted.headings] == ["Report", "Next"]


def test_html_nested_tables_stay_in_their_cell_and_titles_inside_svg_are_ignored():
    page = (b"<title>Page</title><svg><title>icon</title></svg><table><tr><td>a<table><tr><td>x</td><td>y</td>"
            b"</tr></table></td><td>b</td></tr><tr><td>c</td><td>d</td></tr></table><p>after</p>")
    extracted = extract_html(page)
    assert (extracted.title, extracted.text) == ("Page", "a x y\tb\nc\td\n\nafter\n")


def test_html_title_falls_back_to_the_first_h1_and_a_declared_charset_is_honoured():
    page = '<meta charset="iso-8859-1"><h2>Intro</h2><h1>Caf\xe9 report</h1><p>Na\xefve text.</p>'.encode("latin-1")
    extracted = extract_html(page)
    assert extracted.title == "Café report"
    assert "Naïve text." in extracted.text


def test_html_that_is_not_utf8_and_declares_nothing_is_refused():
    with pytest.raises(BadDocument, match="not valid utf-8"):
        extract_html(b"<p>caf\xe9</p>")


# -- DOCX --------------------------------------------------------------------------------------

def test_docx_headings_come_from_paragraph_styles(tmp_path):
    doc = load(tmp_path, "housing.docx", make_docx())
    assert doc.text == (
        "# Housing Review\n\n"
        "The review looks at social housing in the region.\n\n"
        "## Waiting lists\n\n"
        "Waiting lists grew to 1.6 million households.\n\n"
        "- Families wait longest\n"
        "- Single people wait least\n\n"
        "### Regional detail\n\n"
        "Region\tHouseholds\nNorth\t1,200\n\n"
        "## Costs\n\n"
        "Building costs rose faster than rents.\n"
    )
    assert doc.title == "Housing Review"
    assert [h.path for h in doc.outline.headings] == [
        ("Housing Review",),
        ("Housing Review", "Waiting lists"),
        ("Housing Review", "Waiting lists", "Regional detail"),
        ("Housing Review", "Costs"),
    ]


def test_docx_title_prefers_the_document_properties():
    assert extract_docx(make_docx(core_title="Regional Housing 2013")).title == "Regional Housing 2013"


# -- PDF ---------------------------------------------------------------------------------------

def test_pdf_text_is_page_by_page_and_pages_mark_where_each_starts(tmp_path):
    doc = load(tmp_path, "libraries.pdf", make_pdf(PDF_PAGES, title="Libraries in the County"))
    assert doc.text == "\n\n".join("\n".join(lines) for lines in PDF_PAGES) + "\n"
    assert doc.title == "Libraries in the County"
    assert len(doc.pages) == 3 and doc.pages[0] == 0
    for number, (start, lines) in enumerate(zip(doc.pages, PDF_PAGES), start=1):
        assert doc.text[start:].startswith(lines[0])
        assert doc.page_at(start) == number
        assert doc.page_at(start + len(lines[0])) == number
    assert doc.outline.section_at(doc.text.index("Digital lending of")) == ("3. Digital lending",)


def test_a_pdf_whose_third_page_fails_is_refused_whole():
    assert extract_pdf(make_pdf(PDF_PAGES)).pages  # the same file without the bad page reads fine
    with pytest.raises(BadDocument, match="page 3 of 4 cannot be read"):
        extract_pdf(make_pdf(PDF_PAGES + [["4. More", "Text."]], bad_page=3))


def test_an_encrypted_pdf_is_refused():
    import pypdf

    writer = pypdf.PdfWriter(clone_from=pypdf.PdfReader(io.BytesIO(make_pdf(PDF_PAGES))))
    writer.encrypt(user_password="secret", owner_password="owner", algorithm="RC4-128")
    data = io.BytesIO()
    writer.write(data)
    with pytest.raises(BadDocument, match="encrypted"):
        extract_pdf(data.getvalue())


# -- bad documents -----------------------------------------------------------------------------

@pytest.mark.parametrize("name,data,reason", [
    ("broken.pdf", b"%PDF-1.4\n1 0 obj << /Type /Catalog", "not a readable PDF"),
    ("cut.pdf", make_pdf(PDF_PAGES)[:300], "not a readable PDF"),
    ("broken.docx", b"PK\x03\x04 this is not a zip archive", "not a readable DOCX"),
    ("empty.txt", b"", "empty file"),
    ("blank.md", b"  \n\n\t\n", "no text"),
    ("latin1.txt", "caf\xe9 au lait".encode("latin-1"), "not UTF-8"),
    ("binary.txt", b"abc\x00def", "NUL bytes"),
    ("data.xyz", b"hello", "unsupported file type '.xyz'"),
    ("noext", b"hello", "unsupported file type '(none)'"),
    ("scan.pdf", make_pdf([[], []]), "no extractable text"),
])
def test_bad_documents_are_refused_with_the_reason(tmp_path, name, data, reason):
    with pytest.raises(BadDocument, match=reason.replace("(", r"\(").replace(")", r"\)")):
        load(tmp_path, name, data)


def test_an_unreadable_file_is_refused_with_the_reason(tmp_path, monkeypatch):
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "locked.txt").write_text("Some text.")

    def denied(self):
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(type(seeds), "read_bytes", denied)
    with pytest.raises(BadDocument, match="cannot read: Permission denied"):
        read_source(seeds / "locked.txt", seeds)


def test_plain_text_is_the_file_decoded_unchanged():
    text = "\ufeffTitle\r\n\r\n# Not touched   \n\ttabbed\n"
    assert extract_plain(text.encode()).text == text
