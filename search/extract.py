"""Turn a file's bytes into the text that offsets point into, its title and its page starts.

Plain text and Markdown are the file decoded as UTF-8, unchanged. HTML (``extract_html.py``) and
DOCX are rendered as plain text in which headings are Markdown ``#`` lines, paragraphs are
separated by blank lines, list items are ``- `` lines and table rows are tab-separated lines; their
headings come from the markup (``Extracted.headings``), so a short paragraph is never taken for
one. A PDF is the text of each page, pages joined by a blank line, with the offset where each page
starts.

Each extractor raises ``BadDocument`` with the reason; nothing is returned half-read.
"""
from __future__ import annotations

import io
import re
from dataclasses import dataclass, field

from .errors import BadDocument

EXTRACT_VERSION = 1  # bump when the rendering changes: unchanged files are then extracted again

CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


@dataclass(frozen=True)
class Extracted:
    text: str
    title: str = ""
    pages: tuple[int, ...] = field(default=())   # offset where each page starts (PDF only)
    # Headings known from markup (HTML, DOCX) as (start, end, level, text); None: guess them from
    # the text's shape (plain text, Markdown, PDF).
    headings: tuple[tuple[int, int, int, str], ...] | None = None


def squash(s: str) -> str:
    return " ".join(s.split())


class Blocks:
    """Collects headings, paragraphs, list items and tables, and renders them as text."""

    def __init__(self):
        self._parts: list[tuple[str, str]] = []   # (kind, rendered text)

    def heading(self, level: int, text: str) -> None:
        if squash(text):
            self._parts.append(("heading", "#" * min(max(level, 1), 6) + " " + squash(text)))

    def paragraph(self, text: str) -> None:
        lines = [squash(line) for line in text.split("\n")]
        text = "\n".join(line for line in lines if line)
        if text:
            self._parts.append(("paragraph", text))

    def item(self, text: str) -> None:
        if squash(text):
            self._parts.append(("item", "- " + squash(text)))

    def table(self, rows: list[list[str]]) -> None:
        lines = ["\t".join(squash(c) for c in row) for row in rows]
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
        text = CONTROL.sub(" ", item.text.replace("\t", " "))
        level = _docx_heading_level(item)
        if level is not None:
            blocks.heading(level + 1, text)   # the Title style sits above Heading 1
            title = title or (squash(text) if level == 0 else "")
        elif _docx_is_item(item):
            blocks.item(text)
        else:
            blocks.paragraph(text)
    return blocks.render(squash(document.core_properties.title or "") or title)


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
        texts.append(CONTROL.sub(" ", text.replace("\r\n", "\n").replace("\r", "\n")).rstrip())
    starts, pos = [], 0
    for text in texts:
        starts.append(pos)
        pos += len(text) + 2
    try:
        title = squash(str(reader.metadata.title or "")) if reader.metadata else ""
    except Exception:  # a damaged information dictionary only costs the title
        title = ""
    return Extracted("\n\n".join(texts) + "\n", title, tuple(starts))
