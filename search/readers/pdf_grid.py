"""Tables set without ruled lines: cells aligned in rows and columns, found from line positions.

pdfminer groups the text of such a table column by column (one box holds "Ward / Northfield /
Southgate", the next "Missed / 120 / 96"), so read box by box each row loses its cells. Here the
page's lines are grouped into rows by their top, and consecutive rows whose short cells fall into
the same columns become one table ``Line`` holding its rows, as a ruled table found by
pdfplumber does::

    Ward        Missed   Rate          ->   Line(rows=(("Ward", "Missed", "Rate"),
    Northfield  120      2.1%                          ("Northfield", "120", "2.1%"),
    Southgate   96       1.7%                          ("Southgate", "96", "1.7%")))

Running text set in columns is not a table: its lines are long, so a table needs a column of
short cells (numbers, codes, labels) and short cells on average.
"""
from __future__ import annotations

from statistics import mean

from .pdf_layout import Line

ROW_TOLERANCE = 2.0        # points: lines whose tops differ by less share a row
MAX_CELL_SHARE = 0.4       # a cell is narrower than this share of the page
MAX_MEAN_CELL_CHARS = 30   # cells of a table are short on average ...
SHORT_COLUMN_CHARS = 12    # ... and at least one column is shorter still
MAX_ROW_GAP = 2.5          # rows further apart than this many line heights are not one table


def aligned_tables(lines: list[Line]) -> list[Line]:
    """Unruled tables among one page's ``lines`` (any order): each a ``Line`` with ``rows`` (cell
    texts, "" for an empty cell) spanning its cells, at least two columns and three rows (or two
    rows of three columns). Lines of ruled tables (``rows`` set) are left alone."""
    rows = _rows([line for line in lines if not line.rows])
    tables, run = [], []
    for row in rows:
        if run and _continues(run, row):
            run.append(row)
            continue
        tables.extend(_table(run))
        run = [row] if _cells(row) else []
    tables.extend(_table(run))
    return tables


def _rows(lines: list[Line]) -> list[list[Line]]:
    """Lines grouped by top, each row sorted left to right, rows top to bottom."""
    rows: list[list[Line]] = []
    for line in sorted(lines, key=lambda line: line.top):
        if rows and abs(line.top - rows[-1][0].top) < ROW_TOLERANCE:
            rows[-1].append(line)
        else:
            rows.append([line])
    return [sorted(row, key=lambda line: line.x0) for row in rows]


def _cells(row: list[Line]) -> bool:
    """A row of two or more separate, narrow cells."""
    if len(row) < 2:
        return False
    narrow = all(line.x1 - line.x0 < MAX_CELL_SHARE * line.page_width for line in row)
    apart = all(b.x0 > a.x1 + 2 for a, b in zip(row, row[1:]))
    return narrow and apart


def _continues(run: list[list[Line]], row: list[Line]) -> bool:
    last = run[-1]
    height = max(line.bottom - line.top for line in last)
    return _cells(row) and 0 < row[0].top - last[0].top <= MAX_ROW_GAP * max(height, 1.0)


def _columns(run: list[list[Line]]) -> list[tuple[float, float]]:
    """The run's columns: the x-extents of its cells merged where they overlap."""
    spans = sorted((line.x0, line.x1) for row in run for line in row)
    merged = [list(spans[0])]
    for x0, x1 in spans[1:]:
        if x0 <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], x1)
        else:
            merged.append([x0, x1])
    return [(a, b) for a, b in merged]


def _table(run: list[list[Line]]) -> list[Line]:
    if len(run) < 2:
        return []
    columns = _columns(run)
    if len(columns) < 2 or (len(run) < 3 and len(columns) < 3):
        return []
    grid = []
    for row in run:
        cells = [""] * len(columns)
        for line in row:
            c = next(i for i, (x0, x1) in enumerate(columns) if x0 <= line.x0 <= x1)
            if cells[c]:
                return []                       # two cells of a row in one column: not a grid
            cells[c] = line.text
        grid.append(tuple(cells))
    texts = [cell for row in grid for cell in row if cell]
    column_chars = [mean([len(row[c]) for row in grid if row[c]] or [0]) for c in range(len(columns))]
    if mean(len(t) for t in texts) > MAX_MEAN_CELL_CHARS or min(column_chars) > SHORT_COLUMN_CHARS:
        return []
    first, members = run[0][0], [line for row in run for line in row]
    return [Line(first.page, " ".join(texts), min(m.top for m in members), max(m.bottom for m in members),
                 min(m.x0 for m in members), max(m.x1 for m in members), first.size, False,
                 first.page_height, first.page_width, tuple(grid))]
