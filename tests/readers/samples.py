"""Documents the tests make: a small PDF, a DOCX with styles, a web page, in every reader's format.

Not a test module: tests of several modules (the readers, the build) build their files with these.
"""
import io

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
