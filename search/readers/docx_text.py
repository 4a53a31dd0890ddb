"""The text a reader sees in WordprocessingML elements: what ``docx.py`` walks the body with.

python-docx's ``Paragraph.text`` reads only a paragraph's direct runs, so tracked insertions
(``w:ins``) and inline content controls (``w:sdt``) would be lost. These functions walk the lxml
elements under python-docx instead::

    for kind, element in body_blocks(document.element.body):   # ("p", <w:p>) or ("tbl", <w:tbl>)
        para = paragraph_text(element)     # Para(text="Landlords must ...", bold=False, size=None, notes=["3"], boxes=[])

In: runs, hyperlinks, fields' results, tracked insertions and moves-to, content controls (block,
inline, row and cell level; not their placeholder text), text boxes (as paragraphs of their own).
Out: tracked deletions and moves-from, field codes, hidden text (``w:vanish``), property
elements, the VML fallback of drawings. Element depth is bounded by lxml (256 levels).
"""
from __future__ import annotations

from dataclasses import dataclass, field

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
MC = "{http://schemas.openxmlformats.org/markup-compatibility/2006}"

_SKIP = {W + name for name in ("del", "moveFrom", "pPr", "rPr", "instrText", "delText", "delInstrText",
                               "sdtPr", "sdtEndPr", "commentReference", "fldChar", "annotationRef",
                               "footnoteRef", "endnoteRef", "separator", "continuationSeparator")} | {MC + "Fallback"}
_WRAPPERS = {W + name for name in ("customXml", "ins", "moveTo", "smartTag")}
_OFF = {"0", "false", "off", "none"}


@dataclass
class Para:
    """One paragraph's visible text and what its runs say about its look."""

    text: str = ""
    bold_chars: int = 0
    chars: int = 0
    size: float | None = None         # largest direct font size of its text runs, in points
    notes: list[str] = field(default_factory=list)      # footnote ids referenced, in order
    endnotes: list[str] = field(default_factory=list)
    boxes: list["Para"] = field(default_factory=list)   # text boxes anchored in it

    @property
    def bold(self) -> bool:
        return self.chars > 0 and self.bold_chars == self.chars


def on(element) -> bool:
    """A toggle property (``<w:b/>``, ``<w:vanish w:val="0"/>``) read as a boolean."""
    return element is not None and element.get(W + "val", "true").lower() not in _OFF


def body_blocks(parent):
    """(kind, element) for the paragraphs ("p") and tables ("tbl") under ``parent`` in reading
    order, looking through block-level content controls, custom XML and tracked insertions."""
    for child in parent:
        tag = child.tag
        if tag == W + "p":
            yield "p", child
        elif tag == W + "tbl":
            yield "tbl", child
        elif tag == W + "sdt":
            content = child.find(W + "sdtContent")
            if content is not None and not _placeholder(child):
                yield from body_blocks(content)
        elif tag in _WRAPPERS:
            yield from body_blocks(child)
        elif tag == MC + "AlternateContent":
            choice = child.find(MC + "Choice")
            if choice is not None:
                yield from body_blocks(choice)


def _placeholder(sdt) -> bool:
    """A content control showing its placeholder text, or Word's generated table of contents."""
    props = sdt.find(W + "sdtPr")
    if props is None:
        return False
    gallery = props.find(f"{W}docPartObj/{W}docPartGallery")
    return props.find(W + "showingPlcHdr") is not None or (
        gallery is not None and gallery.get(W + "val", "").lower() == "table of contents")


def paragraph_text(p) -> Para:
    """The visible text of the paragraph element ``p`` (see the module docstring)."""
    para, parts = Para(), []
    _collect(p, para, parts, None)
    para.text = "".join(parts)
    return para


def _collect(element, para: Para, parts: list[str], run_props) -> None:
    for child in element:
        tag = child.tag
        if tag in _SKIP or not isinstance(tag, str):
            continue
        if tag == W + "t":
            text = child.text or ""
            parts.append(text)
            _count(para, run_props, text)
        elif tag == W + "r":
            props = child.find(W + "rPr")
            if props is not None and on(props.find(W + "vanish")):
                continue
            _collect(child, para, parts, props)
        elif tag in (W + "tab", W + "ptab"):
            parts.append("\t")
        elif tag in (W + "br", W + "cr"):
            parts.append("\n")
        elif tag == W + "noBreakHyphen":
            parts.append("-")
        elif tag == W + "footnoteReference":
            para.notes.append(child.get(W + "id", ""))
        elif tag == W + "endnoteReference":
            para.endnotes.append(child.get(W + "id", ""))
        elif tag == W + "sdt":
            content = child.find(W + "sdtContent")
            if content is not None and not _placeholder(child):
                _collect(content, para, parts, run_props)
        elif tag == W + "txbxContent":
            for kind, block in body_blocks(child):
                if kind == "p":
                    para.boxes.append(paragraph_text(block))
        elif tag in (W + "softHyphen", W + "sym", W + "object"):
            continue
        else:                 # hyperlinks, fields, insertions, drawings, AlternateContent choices ...
            _collect(child, para, parts, run_props)


def _count(para: Para, props, text: str) -> None:
    n = len(text.strip())
    if not n:
        return
    para.chars += n
    if props is not None:
        if on(props.find(W + "b")):
            para.bold_chars += n
        size = props.find(W + "sz")
        if size is not None:
            try:
                points = int(size.get(W + "val", "")) / 2
            except ValueError:
                return
            para.size = max(para.size or 0.0, points)


def table_rows(tbl) -> list[list[str]]:
    """The rows of the table element ``tbl`` as lists of cell texts: deleted rows left out, a
    vertically merged cell's text shown once, nested tables flattened into their cell."""
    rows = []
    for row in _children(tbl, W + "tr"):
        props = row.find(W + "trPr")
        if props is not None and props.find(W + "del") is not None:
            continue
        cells = []
        for cell in _children(row, W + "tc"):
            props = cell.find(W + "tcPr")
            merge = props.find(W + "vMerge") if props is not None else None
            if merge is not None and merge.get(W + "val", "continue") != "restart":
                cells.append("")
                continue
            cells.append(" ".join(cell_texts(cell)))
        rows.append(cells)
    return rows


def cell_texts(cell) -> list[str]:
    """Every paragraph's text in a table cell, nested tables included."""
    out = []
    for kind, block in body_blocks(cell):
        if kind == "p":
            para = paragraph_text(block)
            out.extend(t for t in [para.text, *(b.text for b in para.boxes)] if t.strip())
        else:
            out.extend(" ".join(cells) for cells in table_rows(block))
    return out


def _children(parent, tag: str):
    """Children of ``parent`` with ``tag``, looking through row/cell content controls and custom XML."""
    for child in parent:
        if child.tag == tag:
            yield child
        elif child.tag == W + "sdt":
            content = child.find(W + "sdtContent")
            if content is not None:
                yield from _children(content, tag)
        elif child.tag in _WRAPPERS:
            yield from _children(child, tag)
