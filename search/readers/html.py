"""Web pages: the main content only, as headings with levels, paragraphs, list items and tables.

The page is read whole by ``html_fallback`` (scripts, styles and navigation dropped), keeping
every block the markup has: headings with levels, paragraphs, list items, tables. trafilatura then
decides which of those blocks are the main content: a block is kept when trafilatura's extraction
holds its text (run twice, precise and recall-favouring, since each drops headings, lists or tables
on some pages that the other keeps), and a heading when anything in its section is kept. So site
headers, menus, cookie banners, asides and footers go, and the structure stays. When trafilatura
finds nothing, the whole page is kept.

Bytes are decoded as the HTML standard says a browser does without a Content-Type header: a
byte-order mark, else a ``<meta charset>`` in the first 1024 bytes, else UTF-8 when the bytes are
valid UTF-8, else Windows-1252. The title is the page's first ``<h1>``, else its ``<title>``
without a site suffix ("Bin collections | Harbourside Council" -> "Bin collections")::

    >>> decode_html(b"<p>caf\\xe9</p>")
    ('<p>café</p>', 'cp1252')
    >>> page_title("Bin collections | Harbourside Council")
    'Bin collections'
"""
from __future__ import annotations

import codecs
import re

from ..settings import DocumentLimits
from .base import ReadResult, clean
from .html_fallback import read_whole_page
from .titles import page_title

SUFFIXES = (".html", ".htm")
REQUIRES = "trafilatura"
VERSION = 3     # 2: main content only (trafilatura), the HTML standard's charset sniffing, titles without site suffixes; 3: furniture by class, id and role

_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))
_META = re.compile(rb"""<meta\b[^>]{0,512}?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]{1,40})""", re.I)
# Labels the WHATWG Encoding standard maps elsewhere: Latin-1 and ASCII mean Windows-1252, and a
# UTF-16 label inside the page itself cannot be true (the page was read as ASCII to find it).
_LABELS = {"latin-1": "cp1252", "iso8859-1": "cp1252", "ascii": "cp1252", "utf-16": "utf-8",
           "utf-16-le": "utf-8", "utf-16-be": "utf-8"}
_MAX_SEARCHES = 500    # blocks looked for as a substring of the extraction (each costs its length)
_MAX_TAGS = 60_000     # trafilatura costs about 0.1 ms a tag (twice): beyond this the whole page is kept


def decode_html(data: bytes) -> tuple[str, str]:
    """(text, encoding name): BOM, else ``<meta charset>`` prescan, else UTF-8 if valid, else
    Windows-1252. Undecodable bytes become U+FFFD, as in a browser."""
    for bom, name in _BOMS:
        if data.startswith(bom):
            return data[len(bom):].decode(name, errors="replace"), name
    declared = _META.search(data[:1024])
    if declared:
        try:
            name = codecs.lookup(declared.group(1).decode("ascii")).name
        except LookupError:   # an unknown label is ignored, as browsers do
            name = ""
        if name:
            name = _LABELS.get(name, name)
            return data.decode(name, errors="replace"), name
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace"), "cp1252"


def main_content(html: str) -> tuple[set[str], str] | None:
    """The texts trafilatura takes for main content: (each paragraph, heading, item and cell
    without white space, all of them joined); None when it finds nothing."""
    import trafilatura

    pieces: list[str] = []
    for recall in (False, True):
        document = trafilatura.bare_extraction(html, include_tables=True, include_formatting=False,
                                               include_links=False, include_images=False, include_comments=False,
                                               with_metadata=False, deduplicate=False, favor_recall=recall)
        body = getattr(document, "body", None)
        if body is not None:
            pieces += [_key("".join(e.itertext())) for e in body.iter("p", "head", "item", "cell", "quote", "code")]
    pieces = [p for p in pieces if p]
    return (set(pieces), "\n".join(pieces)) if pieces else None


def _key(text: str) -> str:
    """Text without any white space: trafilatura drops line breaks (``<br>``) where we keep them."""
    return "".join(text.split())


def _plain(kind: str, text: str) -> list[str]:
    if kind == "table":
        return [_key(c) for line in text.split("\n") for c in line.split("\t") if c.strip()]
    if kind == "heading":
        text = text.lstrip("#")
    elif kind == "item":
        text = text[2:]
    return [_key(text)]


def select_main(parts, content: tuple[set[str], str]) -> set[int]:
    """Indexes of the parts to keep: those whose text trafilatura kept (a table: half its cells),
    and each heading with anything kept in its section."""
    pieces, joined = content
    budget = _MAX_SEARCHES

    def found(s: str) -> bool:
        nonlocal budget
        if s in pieces:
            return True
        if budget <= 0 or len(s) < 12:
            return False
        budget -= 1
        return s in joined

    keep = set()
    for i, (kind, text, _) in enumerate(parts):
        texts = _plain(kind, text)
        if kind != "heading" and texts and sum(map(found, texts)) * 2 >= len(texts):
            keep.add(i)
    open_: list[tuple[int, int]] = []     # (level, index) of the headings above this point
    for i, (kind, text, level) in enumerate(parts):
        if kind == "heading":
            while open_ and open_[-1][0] >= level:
                open_.pop()
            open_.append((level, i))
            if found(_plain(kind, text)[0]):
                keep.add(i)
        elif i in keep:
            keep.update(index for _, index in open_)
            open_.clear()
    return keep


def read(data: bytes, limits: DocumentLimits = DocumentLimits()) -> ReadResult:
    """The page's main content and title; the whole page when no main content is found."""
    html, encoding = decode_html(data)
    html = clean(html)
    whole = read_whole_page(html)
    notes, tags = (), html.count("<")
    try:
        if tags > _MAX_TAGS:
            content, notes = None, (f"{tags:,} tags, too many to look for the main content; the whole page was kept",)
        else:
            content = main_content(html)
    except ImportError:
        raise
    except Exception as exc:             # lxml refuses some pages trafilatura hands it: keep the whole page
        content, notes = None, (f"main content not found ({type(exc).__name__}); the whole page was kept",)
    if content is not None:
        keep = select_main(whole.blocks.parts, content)
        if keep:
            whole.blocks.keep_only(keep)
    result = whole.result(encoding)
    first_h1 = next((result.text[b.start + 2:b.end] for b in result.blocks if b.kind == "heading" and b.level == 1), "")
    title = first_h1 or page_title(whole.title) or result.title
    return ReadResult(result.text, title, result.blocks, True, encoding=result.encoding, notes=notes)
