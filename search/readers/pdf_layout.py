"""Layout rules for PDF text: from positioned lines to headings, paragraphs, items, captions, tables.

A PDF has no paragraphs or headings, only lines of glyphs at positions in some font. These
functions turn the lines of a whole document (``Line``, made by ``pdf_page.py`` from pdfminer's
layout) into ``Piece`` blocks a reader sees; ``pdf_text.py`` mends the text of the lines::

    lines = [Line(page=0, text="1. Introduction", top=60, bottom=73, x0=72, x1=190, size=13, bold=True), ...]
    furniture = running_furniture(lines, page_count=3)   # ids of headers, footers, page numbers
    pieces = assemble(lines, furniture)                  # [Piece("heading", "1. Introduction", 1, 0), ...]

Everything here is linear in the number of lines, apart from sorting; no regular expression
can backtrack (each runs over one short line or a bounded prefix of it).
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from ..patterns import BULLET_SYMBOLS, squash
from .pdf_text import joined_with_starts, vocabulary_of

_SYMBOL_BULLET = re.compile("^[" + re.escape(BULLET_SYMBOLS + "\uf0b7\u2022\u25aa\u25e6") + r"]\s+")
MARGIN = 0.1        # top and bottom tenth of a page: where running headers and footers sit
MAX_HEADING_WORDS = 20
MAX_HEADING_LINES = 3
CONTENTS_LINE = re.compile(r"(?:\.\s?){4,}\s*\d{1,4}$|\u2026\s*\d{1,4}$")   # "Introduction ....... 3"
CAPTION = re.compile(r"(?i)^(?:table|figure|fig\.|chart|graph|map|diagram|image|photo|plate|box|exhibit|appendix table)"
                     r"\s+[A-Z]?\d{1,3}(?:[.\-]\d{1,3})?[a-z]?(?:\s*[:.\u2013\u2014-]|\s+(?=[A-Z]))")
PAGE_NUMBER = re.compile(r"(?i)^(?:page|p\.|pg\.?)?\s*\d{1,4}(?:\s*(?:of|/)\s*\d{1,4})?$|^[\u2013\u2014-]\s*\d{1,4}\s*[\u2013\u2014-]$"
                         r"|^[ivxlc]{1,7}$")
NUMBERED = re.compile(r"^(\d{1,3}(?:\.\d{1,3}){0,5})\.?\s+\S")
BULLET = re.compile("^(?:[" + re.escape(BULLET_SYMBOLS + "\uf0b7\u2022\u25aa\u25e6") + r"]|\(?(?:\d{1,3}|[a-z])[.)])\s")


@dataclass(frozen=True)
class Line:
    """One line of a page as set: text, position (points from the top left) and its main font."""

    page: int            # 0-based
    text: str
    top: float
    bottom: float
    x0: float
    x1: float
    size: float          # font size of most of its characters
    bold: bool           # most of its characters are in a bold face
    page_height: float = 842.0
    page_width: float = 595.0
    rows: tuple[tuple[str, ...], ...] = ()   # a ruled table found on the page stands in as one "line"
    color: str = ""                           # fill colour of most of its characters


@dataclass(frozen=True)
class Piece:
    """A block in reading order: kind is "heading", "paragraph", "item", "caption" or "table"."""

    kind: str
    text: str
    level: int = 0
    page: int = 0
    size: float = 0.0
    rows: tuple[tuple[str, ...], ...] = ()   # for "table"
    breaks: tuple[tuple[int, int], ...] = ()  # (offset in text, page) where a later page starts inside it


def _shape(text: str) -> str:
    """A line with its digits hidden, so "Page 2 of 9" repeats as "Page # of #"."""
    return re.sub(r"\d+", "#", squash(text).lower())


def running_furniture(lines: list[Line], page_count: int) -> set[int]:
    """Indexes of lines that are page furniture: in the top or bottom margin and either a page number
    ("7", "Page 2 of 9", "- 3 -", "iv") or the same text (digits aside) on several pages."""
    def in_margin(line: Line) -> bool:
        return line.top < line.page_height * MARGIN or line.bottom > line.page_height * (1 - MARGIN)

    marginal = [i for i, line in enumerate(lines) if in_margin(line)]
    pages_of: dict[str, set[int]] = {}
    for i in marginal:
        pages_of.setdefault(_shape(lines[i].text), set()).add(lines[i].page)
    repeated = {shape for shape, pages in pages_of.items()
                if len(pages) >= 2 and len(pages) >= 0.4 * page_count}
    return {i for i in marginal
            if PAGE_NUMBER.match(squash(lines[i].text)) or _shape(lines[i].text) in repeated}


def running_title(lines: list[Line], furniture: set[int], page_count: int) -> str:
    """The running header repeated at the top of most pages, when it reads like a title (3+ words)."""
    tops = Counter(squash(lines[i].text) for i in furniture
                   if lines[i].top < lines[i].page_height * MARGIN and not PAGE_NUMBER.match(squash(lines[i].text)))
    for text, count in tops.most_common(1):
        if count >= max(2, page_count // 2) and len(text.split()) >= 3:
            return text
    return ""


def body_style(lines: list[Line]) -> tuple[float, bool]:
    """The font size and boldness of most of the text, weighted by characters."""
    sizes, bold = Counter(), Counter()
    for line in lines:
        sizes[round(line.size * 2) / 2] += len(line.text)
        bold[line.bold] += len(line.text)
    return (sizes.most_common(1)[0][0] if sizes else 0.0), (bold.most_common(1)[0][0] if bold else False)


def body_color(lines: list[Line]) -> str:
    """The fill colour of most of the text."""
    colors = Counter()
    for line in lines:
        colors[line.color] += len(line.text)
    return colors.most_common(1)[0][0] if colors else ""


def _heading_like(line: Line, body_size: float, body_bold: bool, body_color: str = "") -> bool:
    """Set larger than the body text (a point larger will do when also bold or in colour, as
    Word's smaller heading styles are), or bolder at about its size; short; not a contents line."""
    if sum(c.isalpha() for c in line.text) < 2 or len(line.text.split()) > MAX_HEADING_WORDS:
        return False
    if CONTENTS_LINE.search(line.text):
        return False
    larger = line.size >= body_size * 1.12 + 0.1 or (
        line.size >= body_size + 0.9 and (line.bold or (line.color != body_color and bool(line.color))))
    bolder = line.bold and not body_bold and line.size >= body_size - 0.5
    return larger or bolder


def _kind(line: Line, body_size: float, body_bold: bool, color: str = "") -> str:
    if line.rows:
        return "table"
    text = squash(line.text)
    if CAPTION.match(text):
        return "caption"
    if _heading_like(line, body_size, body_bold, color):
        return "heading"
    if _SYMBOL_BULLET.match(text):
        return "item"
    return "paragraph"       # numbered lines too: "1. Scope" may be a heading the text detector finds


def _continues(group: tuple[str, list[Line]], line: Line, kind: str, usual_gap: float, right_edge: float) -> bool:
    """Whether ``line`` (of ``kind`` by itself) goes on the block ``group`` rather than opening one."""
    group_kind, members = group
    prev = members[-1]
    close = (prev.page == line.page and 0 <= line.top - prev.bottom <= usual_gap * 1.5 + 2
             and abs(prev.size - line.size) < 0.6 and prev.bold == line.bold)
    if not close:
        return False
    if kind == "heading":
        return group_kind == "heading"
    if kind != "paragraph" or group_kind in ("heading", "table") or BULLET.match(line.text):
        return False                                  # a caption, a bullet or a number opens a block
    width = max(right_edge - members[0].x0, 1.0)
    short = prev.x1 < right_edge - 0.15 * width
    if short and (group_kind == "caption" or re.search(r"[.!?:;\"\u201d\u2019)]$", prev.text.rstrip())
                  or not line.text.lstrip()[:1].islower()):
        return False              # a sentence, a caption or a title line ended short of the margin
    if group_kind == "item":
        return line.x0 > members[0].x0 + 1           # wrapped item text sits right of its bullet
    return True


def _side_by_side(lines: list[Line]) -> set[int]:
    """Ids of lines that share their row with another line in the same style (a row of table
    cells; a column's heading beside the next column's body text is not one)."""
    order = sorted((line for line in lines if not line.rows),
                   key=lambda line: (line.page, line.bold, round(line.size * 2), line.top))
    out = set()
    for a, b in zip(order, order[1:]):     # neighbours in this order: same page and style, nearest tops
        if (a.page, a.bold, round(a.size * 2)) == (b.page, b.bold, round(b.size * 2)) and abs(a.top - b.top) < 2:
            out.update((id(a), id(b)))
    return out


def _right_edges(lines: list[Line]) -> dict[int, float]:
    """For each line (by id), the right edge of its column: the furthest any line on its page
    reaches that starts within two bins (12 points each) of where it starts."""
    reach: dict[tuple[int, int], float] = {}
    for line in lines:
        key = (line.page, int(line.x0 // 12))
        reach[key] = max(reach.get(key, 0.0), line.x1)
    return {id(line): max(reach.get((line.page, int(line.x0 // 12) + d), 0.0) for d in (-2, -1, 0, 1, 2))
            for line in lines}


def assemble(lines: list[Line], furniture: set[int] = frozenset()) -> list[Piece]:
    """Blocks in reading order from the lines of a document (furniture left out), headings with
    levels (``heading_levels``). Lines join into one block while they share a kind and style,
    follow at the usual line spacing and the previous line did not end a sentence short of the
    right margin; a block never runs over a page break."""
    kept = [line for i, line in enumerate(lines) if i not in furniture and squash(line.text)]
    body_size, body_bold = body_style([line for line in kept if not line.rows])
    color = body_color([line for line in kept if not line.rows])
    vocabulary = vocabulary_of([line.text for line in kept])
    gaps = Counter(round(b.top - a.bottom) for a, b in zip(kept, kept[1:])
                   if a.page == b.page and 0 <= b.top - a.bottom and abs(a.size - body_size) < 0.6
                   and abs(b.size - body_size) < 0.6)
    usual_gap = gaps.most_common(1)[0][0] if gaps else body_size * 0.5
    edges = _right_edges(kept)

    groups: list[tuple[str, list[Line]]] = []
    crowded = _side_by_side(kept)
    for line in kept:
        kind = _kind(line, body_size, body_bold, color)
        if kind == "heading" and id(line) in crowded:
            kind = "paragraph"                # a heading stands alone on its row; this is a table's
        if groups and _continues(groups[-1], line, kind, usual_gap, edges[id(groups[-1][1][-1])]):
            groups[-1][1].append(line)
        else:
            groups.append((kind, [line]))

    pieces = []
    for kind, group in _across_pages(groups):
        text, starts = joined_with_starts([g.text for g in group], vocabulary)
        if kind == "heading" and (len(text.split()) > MAX_HEADING_WORDS or len(group) > MAX_HEADING_LINES):
            kind = "paragraph"                     # a bold or larger paragraph, not a heading
        if kind == "item":
            text = _SYMBOL_BULLET.sub("", text, count=1)   # the builder marks items itself
        breaks = tuple((starts[i], g.page) for i, g in enumerate(group) if i and g.page != group[i - 1].page)
        pieces.append(Piece(kind, text, 0, group[0].page, max(g.size for g in group), group[0].rows, breaks))
    return heading_levels(pieces)


def _across_pages(groups: list[tuple[str, list[Line]]]) -> list[tuple[str, list[Line]]]:
    """Groups with a paragraph that runs over a page or column break made one: the last block of a
    page (column) is a paragraph that does not end a sentence and the first of the next starts in
    lower case."""
    out: list[tuple[str, list[Line]]] = []
    for kind, group in groups:
        if out and kind == "paragraph" and out[-1][0] == "paragraph":
            prev = out[-1][1][-1]
            first = squash(group[0].text)
            next_column = group[0].page == prev.page and group[0].top < prev.top and group[0].x0 >= prev.x1 - 5
            if ((group[0].page == prev.page + 1 or next_column) and first[:1].islower()
                    and abs(prev.size - group[0].size) < 0.6 and not re.search(r"[.!?:;]$", prev.text.rstrip())):
                out[-1][1].extend(group)
                continue
        out.append((kind, group))
    return out


def heading_levels(pieces: list[Piece]) -> list[Piece]:
    """Levels for heading pieces: by font-size rank (larger is higher), and for numbered headings
    by numbering depth below the rank of the first-level numbers ("1." above "1.1")."""
    sizes = sorted({round(p.size * 2) / 2 for p in pieces if p.kind == "heading"}, reverse=True)
    rank = {size: i + 1 for i, size in enumerate(sizes)}
    depth1 = [rank[round(p.size * 2) / 2] for p in pieces
              if p.kind == "heading" and (m := NUMBERED.match(p.text)) and "." not in m.group(1)]
    base = min(depth1) if depth1 else None
    out = []
    for p in pieces:
        if p.kind != "heading":
            out.append(p)
            continue
        level = rank[round(p.size * 2) / 2]
        m = NUMBERED.match(p.text)
        if m and base is not None:
            level = max(level, base + m.group(1).count("."))
        out.append(Piece(p.kind, p.text, min(level, 6), p.page, p.size, p.rows, p.breaks))
    return out


def visible_title(pieces: list[Piece], body_size: float) -> str:
    """The largest text on the first page when it is larger than the body text and not a numbered
    section heading or a caption."""
    first = [p for p in pieces if p.page == 0 and p.kind == "heading" and p.size > body_size + 0.5
             and not NUMBERED.match(p.text)]
    if not first:
        return ""
    return max(first, key=lambda p: p.size).text
