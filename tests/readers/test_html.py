"""Web pages: main content only, with headings, lists and tables; charsets as browsers sniff them."""
from __future__ import annotations

import codecs
import time

import pytest

from search.documents import load_document
from search.readers import html as html_reader
from search.readers import read

from .samples import HTML_DOC, HTML_TEXT

SAVED_PAGE = """<!doctype html>
<html><head><title>Bin collections | Harbourside Council</title></head>
<body>
<header class="site-header"><a href="/">Harbourside Council</a>
<p>Harbourside Council serves the people of the harbour towns and villages.</p></header>
<div id="cookie-banner" class="cookie-consent"><p>We use cookies to improve your experience on our website.</p>
<button>Accept all cookies</button></div>
<nav><ul><li><a href="/bins">Bins and recycling</a></li><li><a href="/parking">Parking permits</a></li></ul></nav>
<main>
<h1>Bin collections</h1>
<p>Your general waste bin is collected every two weeks, on the same day as your recycling in alternate weeks.</p>
<h2>Garden waste</h2>
<p>Garden waste is collected fortnightly from March to November for subscribers, at \xa345 a year.</p>
<ul><li>Grass cuttings and leaves</li><li>Hedge trimmings and small branches</li></ul>
<h3>Missed collections</h3>
<p>If your bin was missed, report it within two working days and we will return to empty it.</p>
<table><tr><th>Bin</th><th>Colour</th></tr><tr><td>General</td><td>Black</td></tr></table>
</main>
<aside><h2>Related pages</h2><p>Bulky waste collections can be booked online for a fee.</p></aside>
<footer><p>Copyright Harbourside Council 2026. Privacy notice. Accessibility statement.</p></footer>
</body></html>
"""
CHROME = ["cookies", "Accept all", "Bins and recycling", "Parking permits", "Related pages", "Bulky waste",
          "Copyright", "Privacy", "serves the people"]


def loaded(tmp_path, name: str, data: bytes):
    seeds = tmp_path / "seeds"
    seeds.mkdir(exist_ok=True)
    (seeds / name).write_bytes(data)
    return load_document(seeds / name, seeds)


def test_a_saved_page_keeps_its_main_content_without_site_chrome(tmp_path):
    doc = loaded(tmp_path, "bins.html", SAVED_PAGE.encode("cp1252"))   # no charset declared: Windows-1252
    assert doc.title == "Bin collections"
    for text in CHROME:
        assert text not in doc.text, text
    assert "£45 a year" in doc.text
    assert "- Grass cuttings and leaves\n- Hedge trimmings and small branches" in doc.text
    assert "Bin\tColour\nGeneral\tBlack" in doc.text
    assert [h.path for h in doc.outline] == [
        ("Bin collections",), ("Bin collections", "Garden waste"),
        ("Bin collections", "Garden waste", "Missed collections")]
    for b in doc.blocks:
        assert doc.text[b.start:b.end].strip() == doc.text[b.start:b.end] and b.end > b.start
    kinds = [b.kind for b in doc.blocks]
    assert kinds.count("item") == 2 and kinds.count("table") == 1


def test_headings_lists_and_tables_render_as_text_and_script_style_and_nav_go(tmp_path):
    doc = loaded(tmp_path, "review.html", HTML_DOC.encode())
    assert doc.text == HTML_TEXT
    assert doc.title == "Library Services Review"
    for h in doc.outline:
        assert doc.text[h.start:h.end] == "#" * len(h.path) + " " + h.text
        assert doc.text.count("\n", 0, h.start) + 1 == h.line
    assert doc.outline.section_at(doc.text.index("Saturday")) == (
        "Library Services Review", "Opening hours", "Weekend access")


def test_short_paragraphs_are_not_taken_for_headings():
    result = read(".html", b"<h1>Report</h1><p>Contact us</p><p>Some body text here.</p><h2>Next</h2><p>More.</p>")
    assert result.text == "# Report\n\nContact us\n\nSome body text here.\n\n## Next\n\nMore.\n"
    assert [result.text[b.start:b.end] for b in result.blocks if b.kind == "heading"] == ["# Report", "## Next"]


def test_nested_tables_stay_in_their_cell_and_titles_inside_svg_are_ignored():
    page = (b"<title>Page</title><svg><title>icon</title></svg><table><tr><td>a<table><tr><td>x</td><td>y</td>"
            b"</tr></table></td><td>b</td></tr><tr><td>c</td><td>d</td></tr></table><p>after</p>")
    result = read(".html", page)
    assert (result.title, result.text) == ("Page", "a x y\tb\nc\td\n\nafter\n")


@pytest.mark.parametrize("data,expected,encoding", [
    (b"<p>caf\xe9 \x93quoted\x94</p>", "café “quoted”", "cp1252"),                   # nothing declared, not UTF-8
    ("<p>café</p>".encode(), "café", ""),                                                # valid UTF-8
    (b'<meta charset="iso-8859-1"><p>caf\xe9 \x80</p>', "café €", "cp1252"),             # Latin-1 means 1252
    (b'<meta http-equiv="Content-Type" content="text/html; charset=koi8-r"><p>\xf0\xd2\xc9</p>', "При", "koi8-r"),
    (codecs.BOM_UTF16_LE + "<p>café</p>".encode("utf-16-le"), "café", "utf-16-le"),
    (b'<meta charset="no-such-charset"><p>caf\xc3\xa9</p>', "café", ""),                 # unknown label ignored
])
def test_charsets_are_sniffed_as_the_html_standard_says(data, expected, encoding):
    result = read(".html", data)
    assert expected in result.text and result.encoding == encoding


@pytest.mark.parametrize("title,expected", [
    ("Bin collections | Harbourside Council", "Bin collections"),
    ("Council tax – Harbourside Council", "Council tax"),
    ("Budget 2026-27", "Budget 2026-27"),
])
def test_titles_lose_the_site_suffix(title, expected):
    page = f"<title>{title}</title><p>Some text about the council budget and services this year.</p>"
    assert read(".html", page.encode()).title == expected


def test_the_whole_page_is_kept_when_no_main_content_is_found(monkeypatch):
    monkeypatch.setattr(html_reader, "main_content", lambda html: None)
    result = read(".html", SAVED_PAGE.encode("cp1252"))
    assert "Bulky waste" in result.text and "Garden waste" in result.text


def test_deep_nesting_reads_in_linear_time():
    def seconds(n: int) -> float:
        data = b"<div>" * n + b"<p>hello world text</p>" + b"</div>" * n
        t0 = time.process_time()
        assert "hello world text" in read(".html", data).text
        return time.process_time() - t0

    seconds(500)
    small, large = min(seconds(4000) for _ in range(2)), seconds(40_000)
    assert large < 25 * small + 0.1, (small, large)


def test_a_page_of_too_many_tags_is_kept_whole_with_a_note():
    result = read(".html", b"<nav><p>Menu entry</p></nav>" + b"<p>t</p>" * 31_000)
    assert "too many to look for the main content" in result.notes[0] and "Menu entry" not in result.text


def test_a_page_of_divs_and_line_breaks_keeps_its_content_and_drops_its_chrome():
    page = b"""<html><head><title>Planning - Harbourside Council</title></head><body>
<div class="header"><div class="logo">Harbourside Council</div><div class="menu"><a href=/>Home</a>
<a href=/p>Planning</a> <a href=/b>Bins</a></div></div>
<div class="content"><div class="title"><h1>Planning applications</h1></div>
<div>You can comment on a planning application within 21 days of the notice being published.<br>
Comments must be in writing.</div>
<div>Write to the planning office quoting the application number, or use the online form.</div></div>
<div class="footer">Harbourside Council, Town Hall, Harbour Street. All rights reserved 2026.</div>
</body></html>"""
    result = read(".html", page)
    assert result.title == "Planning applications"
    assert "within 21 days of the notice being published.\nComments must be in writing." in result.text
    assert "Home" not in result.text and "All rights reserved" not in result.text


def test_furniture_marked_only_by_class_id_or_role_is_left_out():
    page = (b'<html><head><meta charset="utf-8"><title>Council tax bands - Eastmoor Borough Council</title></head><body>'
            b'<div role="navigation">Home | Services</div><div class="content"><h1>Council tax bands</h1>'
            b'<p>Your council tax band depends on the value of your home in 1991.</p>'
            b'<div class="related"><h3>Related content</h3><ul><li>Bins</li></ul></div></div>'
            b'<div class="cookie">This site uses cookies. <div>Accept cookies</div></div>'
            b'<div id="feedback">Was this page helpful? Yes No</div><p>Band D is the average band.</p></body></html>')
    result = read(".html", page)
    assert "cookies" not in result.text and "helpful" not in result.text and "Related" not in result.text
    assert "Home | Services" not in result.text
    assert "value of your home in 1991" in result.text and "Band D is the average band." in result.text
