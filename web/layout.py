"""A document laid out for reading: headings, paragraphs, lists, tables, and the passages that cite them.

The web page renders these blocks; every passage becomes one element whose id is the fragment of
its citation url (``p-START-END``), so a citation link opens on it even without JavaScript. When
the document keeps its reader's blocks (``blocks``: HTML, Markdown, DOCX, PDF), lists and tables
are those blocks; plain text has none, and its lists and tables are recognised by their lines.

    >>> from dataclasses import replace
    >>> from search.model import Block as Kept, Outline
    >>> doc = Document("d", "D", "", "Aims\\n\\n- one\\n- two\\n", Outline((Heading(0, 4, 1, "Aims", ("Aims",)),)))
    >>> [(b.kind, b.text, b.items) for s in layout_document(doc, []) for b in s.blocks]
    [('heading', 'Aims', []), ('list', '- one\\n- two', ['one', 'two'])]
    >>> doc = replace(doc, blocks=(Kept("heading", 0, 4, 1), Kept("item", 6, 11), Kept("item", 12, 17)))
    >>> [(b.kind, b.items) for s in layout_document(doc, []) for b in s.blocks]
    [('heading', []), ('list', ['one', 'two'])]
"""
from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field

from search.chunk import paragraph_units
from search.model import Document, Heading, Passage, passage_anchor
from search.patterns import BULLET_CLASS, MAX_HEADING_CHARS, squash

_SYMBOL = BULLET_CLASS
_NUMBER = r"\(?(?:\d{1,3}|[a-z])[.)]"
_BULLET = re.compile(rf"^(?:{_SYMBOL}|{_NUMBER})\s")
_SYMBOL_BULLET = re.compile(rf"^{_SYMBOL}\s+")
_NUMBERED = re.compile(rf"^{_NUMBER}\s")
_NEXT_ITEM = re.compile(rf"\n(?=[ \t]*(?:{_SYMBOL}|{_NUMBER})\s)")


@dataclass
class Block:
    kind: str            # "heading", "paragraph", "list" (of items), "table" (tab-separated lines)
    start: int
    end: int
    text: str
    level: int = 0       # heading depth
    anchor: str = ""     # id for headings: "h-START"
    items: list[str] = field(default_factory=list)        # a list's entries, bullet symbols removed
    rows: list[list[str]] = field(default_factory=list)   # a table's cells
    numbered: bool = False                                # a list whose entries keep their own numbers


@dataclass
class Segment:
    """A run of blocks: a passage (with its citation anchor) or text outside every passage."""

    blocks: list[Block] = field(default_factory=list)
    anchor: str = ""     # "p-START-END" for a passage


class _Bounds:
    """Heading edges and the reader's blocks of one document, sorted once, so each segment finds its
    own by bisection: a page costs time linear in the document, however many headings it has."""

    def __init__(self, doc: Document, headings: dict[int, Heading]):
        self.cuts = sorted({x for h in headings.values() for x in (h.start, h.end)})
        self.known = sorted(_known_blocks(doc), key=lambda k: k[1])
        self.known_ends = [k[2] for k in self.known]

    def cuts_inside(self, start: int, end: int) -> list[int]:
        return self.cuts[bisect.bisect_right(self.cuts, start):bisect.bisect_left(self.cuts, end)]

    def known_overlapping(self, start: int, end: int) -> list[tuple[str, int, int, int]]:
        out = []
        for k in range(bisect.bisect_right(self.known_ends, start), len(self.known)):
            if self.known[k][1] >= end:
                break
            out.append(self.known[k])
        return out


def _blocks(doc: Document, start: int, end: int, headings: dict[int, Heading], bounds: _Bounds) -> list[Block]:
    if bounds.known:
        return _from_known(doc, bounds.known_overlapping(start, end), start, end, headings)
    out: list[Block] = []
    for a, b, _ in _units(doc.text, start, end, bounds.cuts_inside(start, end)):
        text = doc.text[a:b]
        h = headings.get(a)
        if h is not None:
            out.append(Block("heading", a, b, squash(text), level=h.level, anchor=f"h-{a}"))
        elif "\t" in text:
            out.append(_table(text, a, b))
        elif _BULLET.match(text):
            items = [_SYMBOL_BULLET.sub("", squash(e)) for e in _NEXT_ITEM.split(text)]
            _add_items(out, doc.text, a, b, items, all(_NUMBERED.match(i) for i in items))
        else:
            out.append(Block("paragraph", a, b, squash(text)))
    return out


def _table(text: str, a: int, b: int) -> Block:
    return Block("table", a, b, text, rows=[[squash(c) for c in line.split("\t")]
                                            for line in text.splitlines() if line.strip()])


def _add_items(out: list[Block], text: str, a: int, b: int, items: list[str], numbered: bool) -> None:
    if out and out[-1].kind == "list" and out[-1].numbered == numbered:   # consecutive items form one list
        out[-1].end, out[-1].text = b, text[out[-1].start:b]
        out[-1].items += items
    else:
        out.append(Block("list", a, b, text[a:b], items=items, numbered=numbered))


def _known_blocks(doc) -> list[tuple[str, int, int, int]]:
    """The reader's blocks as (kind, start, end, level), from records or their JSON rows."""
    rows = getattr(doc, "blocks", None) or ()
    return [(r.kind, r.start, r.end, r.level) if hasattr(r, "kind") else tuple(r) for r in rows]


def _from_known(doc, known, start: int, end: int, headings: dict[int, Heading]) -> list[Block]:
    """Blocks of [start, end) from the reader's blocks, each cut to the range; list items are
    grouped into lists, table rows into cells, and every other kind is a paragraph."""
    out: list[Block] = []
    for kind, a, b, level in known:
        a, b = max(a, start), min(b, end)
        if b <= a:
            continue
        text = doc.text[a:b]
        h = headings.get(a)
        if kind == "heading" or h is not None:
            depth = h.level if h is not None else max(level, 1)
            out.append(Block("heading", a, b, squash(text.lstrip("#")), level=depth, anchor=f"h-{a}"))
        elif kind == "table":
            out.append(_table(text, a, b))
        elif kind == "item":
            _add_items(out, doc.text, a, b, [_SYMBOL_BULLET.sub("", squash(text))], False)
        elif text.strip():
            out.append(Block("paragraph", a, b, squash(text)))
    return out


def _units(text: str, start: int, end: int, inside: list[int]):
    """Paragraph units, with every heading's line(s) a unit of its own (``inside``: heading edges in the range)."""
    cuts = [start] + inside + [end]
    for a, b in zip(cuts, cuts[1:]):
        yield from paragraph_units(text, a, b)


def layout_document(doc: Document, passages: list[Passage]) -> list[Segment]:
    """Segments covering the whole document in order: passages and the text between them."""
    headings = {h.start: h for h in doc.outline}
    bounds = _Bounds(doc, headings)
    segments: list[Segment] = []
    pos = 0
    for p in sorted(passages, key=lambda p: p.start):
        if p.start > pos:
            segments.append(Segment(_blocks(doc, pos, p.start, headings, bounds)))
        segments.append(Segment(_blocks(doc, p.start, p.end, headings, bounds), anchor=passage_anchor(p.start, p.end)))
        pos = max(pos, p.end)
    if pos < len(doc.text):
        segments.append(Segment(_blocks(doc, pos, len(doc.text), headings, bounds)))
    return [s for s in segments if s.blocks]


def outline_of(doc: Document) -> list[dict]:
    """The table of contents: text (with "…" where a long heading was shortened), depth, anchor, line."""
    def label(h: Heading) -> str:
        cut = len(squash(doc.text[h.start:h.end])) > MAX_HEADING_CHARS
        return h.text + ("…" if cut else "")

    return [{"text": label(h), "level": h.level, "anchor": f"h-{h.start}", "line": h.line,
             "path": list(h.path)} for h in doc.outline]
