"""Turn a file's bytes into the text that offsets point into, its title and its page starts.

Plain text and Markdown are the file decoded as UTF-8, unchanged. HTML and DOCX are rendered as
plain text in which headings are Markdown ``#`` lines, paragraphs are separated by blank lines,
list items are ``- `` lines and table rows are tab-separated lines; their headings come from the
markup (``Extracted.headings``), so a short paragraph is never taken for one. A PDF is the text
of each page, pages joined by a blank line, with the offset where each page starts.

    >>> extract_html(b"<title>T</title><h1>Scope</h1><p>Libraries  lend <b>books</b>.</p>").text
    '# Scope\\n\\nLibraries lend books.\\n'

Each extractor raises ``BadDocument`` with the reason; nothing is returned half-read.
"""
from __future__ import annotations

import codecs
import io
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

from .errors import BadDocument

EXTRACT_VERSION = 1  # bump when the rendering changes: unchanged files are then extracted again

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


@dataclass(frozen=True)
class Extracted:
    text: str
    title: str = ""
    pages: tuple[int, ...] = field(default=())   # offset where each page starts (PDF only)
    # Headings known from markup (HTML, DOCX) as (start, end, level, text); None: guess them from
    # the text's shape (plain text, Markdown, PDF).
    headings: tuple[tuple[int, int, int, str], ...] | None = None


def _squash(s: str) -> str:
    return " ".join(s.split())


class Blocks:
    """Collects headings, paragraphs, list items and tables, and renders them as text."""

    def __init__(self):
        self._parts: list[tuple[str, str]] = []   # (kind, rendered text)

    def heading(self, level: int, text: str) -> None:
        if _squash(text):
            self._parts.append(("heading", "#" * min(max(level, 1), 6) + " " + _squash(text)))

    def paragraph(self, text: str) -> None:
        lines = [_squash(line) for line in text.split("\n")]
        text = "\n".join(line for line in lines if line)
        if text:
            self._parts.append(("paragraph", text))

    def item(self, text: str) -> None:
        if _squash(text):
            self._parts.append(("item", "- " + _squash(text)))

    def table(self, rows: list[list[str]]) -> None:
        lines = ["\t".join(_squash(c) for c in row) for row in rows]
        lines = [line for line in lines if line.strip()]
        if lines:
            self._parts.append(("table", "\n".join(lines)))

    def render(self, title: str = "", pages: tuple[int, ...] = ()) -> Extracted:
        out, pos, headings = [], 0, []
        for i, (kind, text) in enumerate(self._parts):
            if i:
                gap = "\n" if kind == "item" and self._parts[i - 1][0] == "item" else "\n\n"
                out.append(gap)
                pos += len(gap)
            if kind == "heading":
                marks = len(text) - len(text.lstrip("#"))
                headings.append((pos, pos + len(text), marks, text[marks + 1:]))
            out.append(text)
            pos += len(text)
        return Extracted("".join(out) + ("\n" if out else ""), title, pages, tuple(headings))


def extract_plain(data: bytes) -> Extracted:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadDocument(f"not UTF-8 text (byte {exc.start}: {exc.reason})") from exc
    if "\x00" in text:
        raise BadDocument("binary data in a text file (NUL bytes)")
    return Extracted(text)


# -- HTML ------------------------------------------------------------------------------------

_SKIP = {"script", "style", "nav", "noscript", "template", "svg", "iframe", "object", "select", "button"}
_HEADINGS = {f"h{n}": n for n in range(1, 7)}
_BLOCK = {"p", "div", "section", "article", "main", "header", "footer", "aside", "blockquote", "figure",
          "figcaption", "form", "fieldset", "address", "dl", "dt", "dd", "ul", "ol", "li", "pre", "hr",
          "table", "tr", "td", "th", "caption", "body", "details", "summary", *_HEADINGS}
_BREAK = "\x1e"   # a <br> inside a paragraph, until the paragraph is rendered


class _HtmlText(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.blocks = Blocks()
        self.title, self.first_h1 = "", ""
        self._open: list[str] = []        # open block elements, innermost last
        self._buffer: list[str] = []
        self._skip = 0
        self._in_title = False
        self._table: list[list[str]] | None = None
        self._cell: list[str] | None = None
        self._nested_tables = 0           # tables inside a cell: their text stays in that cell

    # The text gathered so far belongs to the innermost open block; emit it before the next one.
    def _flush(self) -> None:
        text, self._buffer = "".join(self._buffer), []
        heading = next((_HEADINGS[t] for t in reversed(self._open) if t in _HEADINGS), None)
        if heading is not None:
            if heading == 1 and not self.first_h1:
                self.first_h1 = _squash(text)
            self.blocks.heading(heading, text)
        elif "pre" in self._open:
            self.blocks.paragraph(text.replace(_BREAK, "\n"))
        elif "li" in self._open or "dd" in self._open:
            self.blocks.item(text.replace(_BREAK, " "))
        else:
            self.blocks.paragraph("\n".join(_squash(line) for line in text.split(_BREAK)))

    def handle_starttag(self, tag, attrs):
        if tag in _SKIP:
            self._skip += 1
        elif self._skip:
            return
        elif tag == "title":
            self._in_title = True
        elif self._table is not None:
            self._table_tag(tag)
        elif tag == "br":
            self._buffer.append(_BREAK)
        elif tag in _BLOCK:
            self._flush()
            self._close_implied(tag)
            if tag == "table":
                self._table = []
            elif tag not in {"hr", "br"}:
                self._open.append(tag)

    def _close_implied(self, tag):
        """HTML lets <p> end at the next block and <li> at the next item of the same list."""
        if self._open and self._open[-1] == "p":
            self._open.pop()
        if tag in {"li", "dt", "dd"} and tag in self._open:
            at = len(self._open) - 1 - self._open[::-1].index(tag)
            if not any(t in {"ul", "ol", "dl"} for t in self._open[at + 1:]):
                del self._open[at:]

    def _table_tag(self, tag):
        self._nested_tables += tag == "table"
        if self._nested_tables and self._cell is not None:
            self._cell.append(" ")
        elif tag == "tr":
            self._end_cell()
            self._table.append([])
        elif tag in {"td", "th"}:
            self._end_cell()
            if not self._table:
                self._table.append([])
            self._cell = []
        elif self._cell is not None:
            self._cell.append(" ")   # blocks inside a cell (nested tables too) stay in the cell

    def _end_cell(self):
        if self._cell is not None and self._table:
            self._table[-1].append("".join(self._cell))
        self._cell = None

    def handle_endtag(self, tag):
        if tag in _SKIP:
            self._skip = max(self._skip - 1, 0)
        elif self._skip:
            return
        elif tag == "title":
            self._in_title = False
        elif self._table is not None:
            if self._nested_tables:
                self._nested_tables -= tag == "table"
                if self._cell is not None:
                    self._cell.append(" ")
            elif tag == "table":
                self._end_cell()
                self.blocks.table(self._table)
                self._table = None
            elif tag in {"td", "th", "tr"}:
                self._end_cell()
        elif tag in self._open:
            self._flush()
            del self._open[len(self._open) - 1 - self._open[::-1].index(tag):]

    def handle_data(self, data):
        if self._skip:
            return
        if self._in_title:
            self.title += data
        elif self._table is not None:
            if self._cell is not None:
                self._cell.append(data)
        else:
            self._buffer.append(data)

    def close(self):
        super().close()
        if self._table is not None:
            self.handle_endtag("table")
        self._flush()


def _html_charset(data: bytes) -> str:
    for bom, name in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            return name
    declared = re.search(rb"""<meta[^>]+charset\s*=\s*["']?([\w.:-]+)""", data[:4096], re.I)
    if declared:
        name = declared.group(1).decode("ascii")
        try:
            return codecs.lookup(name).name
        except LookupError:
            raise BadDocument(f"unknown character set {name!r} declared in the page") from None
    return "utf-8"


def extract_html(data: bytes) -> Extracted:
    charset = _html_charset(data)
    try:
        html = data.decode(charset)
    except UnicodeDecodeError as exc:
        raise BadDocument(f"not valid {charset} text (byte {exc.start}: {exc.reason})") from exc
    parser = _HtmlText()
    parser.feed(_CONTROL.sub(" ", html.replace("\r\n", "\n")))
    parser.close()
    return parser.blocks.render(_squash(parser.title) or parser.first_h1)


# -- DOCX ------------------------------------------------------------------------------------

def _docx_heading_level(paragraph) -> int | None:
    """0 for the Title style, n for Heading n (or a style based on it), None for body text."""
    style = paragraph.style
    while style is not None:
        name = (style.name or "").strip().lower()
        if name == "title":
            return 0
        m = re.fullmatch(r"heading\s*(\d)", name)
        if m:
            return int(m.group(1))
        style = style.base_style
    return None


def _docx_is_item(paragraph) -> bool:
    ppr = paragraph._p.pPr
    return (ppr is not None and ppr.numPr is not None) or (paragraph.style.name or "").lower().startswith("list")


def _docx_rows(table) -> list[list[str]]:
    rows = []
    for row in table.rows:
        cells, seen = [], set()
        for cell in row.cells:
            if id(cell._tc) not in seen:   # a merged cell is listed once per grid column it spans
                seen.add(id(cell._tc))
                cells.append(cell.text)
        rows.append(cells)
    return rows


def extract_docx(data: bytes) -> Extracted:
    import docx
    from docx.table import Table

    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # zipfile, lxml and python-docx each raise their own kinds
        raise BadDocument(f"not a readable DOCX file ({type(exc).__name__}: {exc})") from exc
    blocks, title = Blocks(), ""
    for item in document.iter_inner_content():
        if isinstance(item, Table):
            blocks.table(_docx_rows(item))
            continue
        text = _CONTROL.sub(" ", item.text.replace("\t", " "))
        level = _docx_heading_level(item)
        if level is not None:
            blocks.heading(level + 1, text)   # the Title style sits above Heading 1
            title = title or (_squash(text) if level == 0 else "")
        elif _docx_is_item(item):
            blocks.item(text)
        else:
            blocks.paragraph(text)
    return blocks.render(_squash(document.core_properties.title or "") or title)


# -- PDF -------------------------------------------------------------------------------------

def extract_pdf(data: bytes) -> Extracted:
    import pypdf

    try:
        reader = pypdf.PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise BadDocument("the PDF is encrypted with a password")
        pages = reader.pages
        count = len(pages)
    except BadDocument:
        raise
    except Exception as exc:  # pypdf raises many kinds for damaged files
        raise BadDocument(f"not a readable PDF ({type(exc).__name__}: {exc})") from exc
    texts = []
    for number in range(count):
        try:
            text = pages[number].extract_text() or ""
        except Exception as exc:
            raise BadDocument(f"page {number + 1} of {count} cannot be read ({type(exc).__name__}: {exc})") from exc
        texts.append(_CONTROL.sub(" ", text.replace("\r\n", "\n").replace("\r", "\n")).rstrip())
    starts, pos = [], 0
    for text in texts:
        starts.append(pos)
        pos += len(text) + 2
    try:
        title = _squash(str(reader.metadata.title or "")) if reader.metadata else ""
    except Exception:  # a damaged information dictionary only costs the title
        title = ""
    return Extracted("\n\n".join(texts) + "\n", title, tuple(starts))


EXTRACTORS = {
    ".txt": extract_plain,
    ".md": extract_plain,
    ".html": extract_html,
    ".htm": extract_html,
    ".pdf": extract_pdf,
    ".docx": extract_docx,
}
