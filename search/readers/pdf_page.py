"""One PDF page as positioned lines, in reading order, from pdfminer's layout analysis.

pdfplumber opens the file with layout parameters (``LAPARAMS``), so ``page.layout`` holds
pdfminer's text boxes in reading order (columns one after the other) with their lines and
characters. Each line becomes a ``pdf_layout.Line`` with its text, position, main font size and
boldness; a table, ruled (pdfplumber) or not (``pdf_grid``), becomes one ``Line`` holding its rows::

    lines, image_cover = page_lines(page, 0)   # image_cover: share of the page under its largest image
    lines[0]   # Line(page=0, text='1. Bus services', top=59.2, bottom=72.2, x0=56.7, x1=190.4, size=13.0, bold=True)

Reading the layout directly skips pdfplumber's per-object dictionaries, which cost more than
the layout analysis itself; pdfplumber's own objects are built only on pages with ruled lines,
to find tables.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import replace

from ..patterns import BULLET_SYMBOLS, squash
from .pdf_grid import aligned_tables
from .pdf_layout import Line
from .pdf_text import clean_glyphs, is_bold_font

# pdfminer's defaults, plus text inside figures (form XObjects); no hierarchical box ordering
# (quadratic in boxes, and unsure with columns): ``reading_order`` orders the boxes.
LAPARAMS = {"all_texts": True, "boxes_flow": None}
MAX_ROW = 64                     # lines looked at beside a bullet (a row of thousands is no list)
COLUMN_CHARS = 150               # each half of a band holds this much text: it is set in two columns
_LONE_BULLET = re.compile("^(?:[" + re.escape(BULLET_SYMBOLS + "\uf0b7\u2022\u25aa\u25e6") + r"]|\d{1,3}[.)]|"
                          r"\(?[a-z]\)|\(?[ivx]{1,4}\))$")
MAX_TABLE_EDGES = 2000           # a page with more ruled lines than this is a drawing; tables not looked for


class Sideways(Exception):
    """Most of the page's text runs sideways (rotated): its lines cannot be laid out as rows."""


def page_lines(page, number: int) -> tuple[list[Line], float]:
    """The lines of a pdfplumber ``page`` (0-based ``number``) in reading order, and the share of
    the page its largest image covers (0 without images; above 0 for any image). Raises
    ``Sideways`` when most of its text is rotated."""
    from pdfminer.layout import LTChar, LTContainer, LTCurve, LTImage, LTTextBox, LTTextLine

    layout = page.layout                # the page as laid out: rotation applied
    x0, y0, x1, y1 = (float(v) for v in layout.bbox)
    width, height = x1 - x0, y1 - y0
    boxes: list[list[Line]] = []
    found = {"cover": 0.0, "edges": 0, "across": 0, "down": 0, "sideways": 0}

    def line_of(obj) -> Line | None:
        chars, text, last = [], [], None
        for item in obj:
            piece = item.get_text()
            if isinstance(item, LTChar):
                # text drawn twice, a little offset, for a bold effect reads once
                if last is not None and piece == last.get_text() and abs(item.x0 - last.x0) < 1 \
                        and abs(item.y0 - last.y0) < 1:
                    continue
                last = item
                if not piece.isspace():
                    chars.append(item)
                    found["sideways"] += not item.upright
            text.append(piece)
        line_text = clean_glyphs("".join(text)).strip()
        if not chars or not squash(line_text):
            return None
        size = Counter(round(float(c.size), 1) for c in chars).most_common(1)[0][0]
        bold = sum(is_bold_font(str(c.fontname)) for c in chars) >= 0.6 * len(chars)
        color = Counter(_color(c) for c in chars).most_common(1)[0][0]
        return Line(number, line_text, y1 - obj.y1, y1 - obj.y0, obj.x0 - x0, obj.x1 - x0, size, bold, height, width,
                    color=color)

    def walk(objects) -> None:
        for obj in objects:
            if isinstance(obj, (LTTextBox, LTTextLine)):
                members = [line_of(line) for line in obj if isinstance(line, LTTextLine)] \
                    if isinstance(obj, LTTextBox) else [line_of(obj)]
                members = [m for m in members if m is not None]
                if members:
                    boxes.append(members)
            elif isinstance(obj, LTImage):
                area = max(obj.width, 0) * max(obj.height, 0) / max(width * height, 1.0)
                found["cover"] = max(found["cover"], min(area, 1.0), 1e-6)
            elif isinstance(obj, LTCurve):          # rectangles and lines too: table rules
                found["edges"] += 1
                if obj.width > 2 and obj.height > 2:
                    found["across"] += 2
                    found["down"] += 2
                elif obj.height <= 2:
                    found["across"] += 1
                elif obj.width <= 2:
                    found["down"] += 1
            elif isinstance(obj, LTContainer):      # figures
                walk(obj)

    walk(layout)
    if found["sideways"] * 2 > sum(len(line.text) for box in boxes for line in box):
        raise Sideways(number)
    out = reading_order(_with_bullets(boxes))
    # pdfplumber's table finder costs as much as the page: only where rules could make a grid
    if found["across"] >= 2 and found["down"] >= 2 and found["edges"] <= MAX_TABLE_EDGES:
        out = _with_tables(out, _tables(page, number))
    return _with_tables(out, aligned_tables(out)), found["cover"]


def _with_tables(lines: list[Line], tables: list[Line]) -> list[Line]:
    """``lines`` with the lines inside each table replaced by the table, placed in reading order."""
    if not tables:
        return lines
    return _place([line for line in lines if not _inside(line, tables)], tables)


def _color(char) -> str:
    """The fill colour of a character as a short key ("" when unknown)."""
    try:
        value = char.graphicstate.ncolor
    except AttributeError:
        return ""
    if isinstance(value, (int, float)):
        value = (value,)
    try:
        return ",".join(f"{float(v):.2f}" for v in value or ())
    except (TypeError, ValueError):
        return ""


def _with_bullets(boxes: list[list[Line]]) -> list[list[Line]]:
    """Boxes with each bullet set apart from its text ("•", "1.", "(a)" alone on a line) joined to
    the line level with it on the right."""
    level: dict[int, list[tuple[int, int]]] = {}        # top bin -> (box, line) positions
    for b, box in enumerate(boxes):
        for i, line in enumerate(box):
            level.setdefault(int(line.top // 4), []).append((b, i))
    moved: set[tuple[int, int]] = set()
    for b, box in enumerate(boxes):
        for i, line in enumerate(box):
            if not _LONE_BULLET.match(line.text):
                continue
            candidates = [pos for k in (-1, 0, 1) for pos in level.get(int(line.top // 4) + k, ())[:MAX_ROW]]
            near = [(c, j) for c, j in candidates
                    if (c, j) not in moved and c != b and abs(boxes[c][j].top - line.top) < 3
                    and 0 <= boxes[c][j].x0 - line.x1 < 60]
            if near:
                c, j = min(near, key=lambda pos: boxes[pos[0]][pos[1]].x0)
                target = boxes[c][j]
                boxes[c][j] = replace(target, text=f"{line.text} {target.text}", x0=line.x0)
                moved.add((b, i))
    return [[line for i, line in enumerate(box) if (b, i) not in moved] for b, box in enumerate(boxes)
            if any((b, i) not in moved for i in range(len(box)))]


def reading_order(boxes: list[list[Line]]) -> list[Line]:
    """The lines of a page's boxes in reading order. Boxes that cross the middle of the text area
    split the page into bands; within a band, when both halves hold running text (columns), the
    left column is read before the right; otherwise boxes are read top to bottom, left to right."""
    if not boxes:
        return []
    spans = [(min(line.x0 for line in box), max(line.x1 for line in box), box[0].top) for box in boxes]
    middle = (min(s[0] for s in spans) + max(s[1] for s in spans)) / 2
    order = sorted(range(len(boxes)), key=lambda i: (spans[i][2], spans[i][0]))
    bands: list[tuple[list[int], list[int], list[int]]] = [([], [], [])]   # (wide, left, right)
    for i in order:
        x0, x1, _ = spans[i]
        if x0 < middle - 6 and x1 > middle + 6:
            bands.append(([i], [], []))
        else:
            bands[-1][1 if x1 <= middle + 6 else 2].append(i)
    out: list[Line] = []
    for wide, left, right in bands:
        text_in = [sum(len(line.text) for i in side for line in boxes[i]) for side in (left, right)]
        if min(text_in) >= COLUMN_CHARS:
            sequence = wide + left + right
        else:
            sequence = wide + sorted(left + right, key=lambda i: (spans[i][2], spans[i][0]))
        for i in sequence:
            out.extend(boxes[i])
    return out


def _tables(page, number: int) -> list[Line]:
    """Ruled tables of two rows and two columns or more, each as a Line holding its rows."""
    out = []
    for table in page.find_tables():
        rows = tuple(tuple(clean_glyphs(squash(cell or "")) for cell in row) for row in table.extract())
        rows = tuple(row for row in rows if any(row))
        if len(rows) < 2 or max(len(row) for row in rows) < 2:
            continue
        x0, top, x1, bottom = (float(v) for v in table.bbox)
        text = " ".join(cell for row in rows for cell in row if cell)
        out.append(Line(number, text, top, bottom, x0, x1, 0.0, False, float(page.height), float(page.width),
                        rows))
    return out


def _inside(line: Line, tables: list[Line]) -> bool:
    middle_y, middle_x = (line.top + line.bottom) / 2, (line.x0 + line.x1) / 2
    return any(t.top <= middle_y <= t.bottom and t.x0 <= middle_x <= t.x1 for t in tables)


def _place(lines: list[Line], tables: list[Line]) -> list[Line]:
    """``lines`` in their order with each table before the first line below its top that shares
    its columns (or at the end)."""
    out, waiting = [], sorted(tables, key=lambda t: t.top)
    for line in lines:
        while waiting and line.top >= waiting[0].top and line.x1 >= waiting[0].x0 and line.x0 <= waiting[0].x1:
            out.append(waiting.pop(0))
        out.append(line)
    return out + waiting
