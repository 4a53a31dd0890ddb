"""A whole web page as text, for pages whose main content trafilatura cannot find.

Headings are Markdown ``#`` lines, then paragraphs, list items and table rows (``Builder``);
scripts, styles and navigation are dropped. Block nesting deeper than ``_MAX_OPEN`` is read as if
flat, so a page of 100,000 nested ``<div>`` costs time linear in its length.

    >>> read_whole_page("<title>T</title><h1>Scope</h1><p>Libraries  lend <b>books</b>.</p>").result("").text
    '# Scope\\n\\nLibraries lend books.\\n'
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser

from ..patterns import squash
from .base import Builder, ReadResult
from .titles import page_title

_MAX_OPEN = 64
_SKIP = {"script", "style", "nav", "noscript", "template", "svg", "iframe", "object", "select", "button"}
# Site furniture that the main-content extractor can miss when a page marks it only by class, id
# or ARIA role: cookie and consent notices, feedback prompts, related links, breadcrumbs, sharing.
_CHROME = re.compile(r"(?:^|[\s_-])(?:cookies?|consent|gdpr|breadcrumbs?|feedback|related|share|sharing|social|"
                     r"newsletter|skip-?link|back-?to-?top|site-?(?:header|footer|nav|search)|"
                     r"was-?this-?(?:page|helpful))(?:$|[\s_-])", re.I)
_CHROME_ROLES = {"navigation", "banner", "contentinfo", "complementary", "search", "dialog", "alertdialog"}
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
_HEADINGS = {f"h{n}": n for n in range(1, 7)}
_BLOCK = {"p", "div", "section", "article", "main", "header", "footer", "aside", "blockquote", "figure",
          "figcaption", "form", "fieldset", "address", "dl", "dt", "dd", "ul", "ol", "li", "pre", "hr",
          "table", "tr", "td", "th", "caption", "body", "details", "summary", *_HEADINGS}
_BREAK = "\x1e"   # a <br> inside a paragraph, until the paragraph is rendered


class _HtmlText(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.blocks = Builder()
        self.title, self.first_h1 = "", ""
        self._open: list[str] = []        # open block elements, innermost last
        self._buffer: list[str] = []
        self._skip = 0
        self._in_title = False
        self._table: list[list[str]] | None = None
        self._cell: list[str] | None = None
        self._nested_tables = 0           # tables inside a cell: their text stays in that cell
        self._chrome_tag: str | None = None   # the tag of the site furniture being skipped, if any
        self._chrome_depth = 0

    # The text gathered so far belongs to the innermost open block; emit it before the next one.
    def _flush(self) -> None:
        text, self._buffer = "".join(self._buffer), []
        heading = next((_HEADINGS[t] for t in reversed(self._open) if t in _HEADINGS), None)
        if heading is not None:
            if heading == 1 and not self.first_h1:
                self.first_h1 = squash(text)
            self.blocks.heading(heading, text)
        elif "pre" in self._open:
            self.blocks.paragraph(text.replace(_BREAK, "\n"))
        elif "li" in self._open or "dd" in self._open:
            self.blocks.item(text.replace(_BREAK, " "))
        else:
            self.blocks.paragraph("\n".join(squash(line) for line in text.split(_BREAK)))

    def _is_chrome(self, tag: str, attrs) -> bool:
        if tag in _VOID:
            return False
        found = dict(attrs)
        if (found.get("role") or "").strip().lower() in _CHROME_ROLES:
            return True
        return any(_CHROME.search(found.get(name) or "") for name in ("class", "id", "aria-label"))

    def handle_starttag(self, tag, attrs):
        if self._chrome_tag is not None:   # inside site furniture: count its own tag to find its end
            self._chrome_depth += tag == self._chrome_tag
            return
        if not self._skip and self._is_chrome(tag, attrs):
            self._flush()
            self._chrome_tag, self._chrome_depth = tag, 1
            return
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
            elif tag not in {"hr", "br"} and len(self._open) < _MAX_OPEN:
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
        if self._chrome_tag is not None:
            if tag == self._chrome_tag:
                self._chrome_depth -= 1
                if self._chrome_depth == 0:
                    self._chrome_tag = None
            return
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
        if self._skip or self._chrome_tag is not None:
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


@dataclass
class WholePage:
    """The page read whole: its blocks, ``<title>`` and first ``<h1>``."""

    blocks: Builder
    title: str
    first_h1: str

    def result(self, encoding: str) -> ReadResult:
        return self.blocks.render(self.first_h1 or page_title(self.title),
                                  encoding="" if encoding == "utf-8" else encoding)


def read_whole_page(html: str) -> WholePage:
    """Parse ``html`` (decoded, control characters cleaned) whole; never raises on bad markup."""
    parser = _HtmlText()
    parser.feed(html)
    parser.close()
    return WholePage(parser.blocks, squash(parser.title), parser.first_h1)
