"""Word (.docx) reader: the text a reader sees, with headings from the styles.

Headings come from the Title and Heading N styles (or a paragraph outline level); when a document
uses no heading styles, short paragraphs set wholly in bold or in a larger size are its headings.
Tracked insertions and content controls are text, tracked deletions are not (``docx_text.py``);
tables are rows of cells; footnotes and endnotes follow the body under their own heading; page
headers and footers are never read::

    result = read(docx_bytes, DocumentLimits())
    result.text     # '# Private rented sector plan\\n\\nLandlords must register ...'
    result.title    # the Title-style paragraph, else a heading that opens the document, else
                    # core_properties.title unless it is a file name or a template's leftover

The archive is checked before python-docx opens it (``check_archive``): every member's declared
size, their total and each member's compression ratio. Raises ``PartTooLarge`` naming the bound,
``BadDocument`` for an encrypted, damaged or non-Word file, or for reading over ``limits.seconds``.
"""
from __future__ import annotations

import io
import re
import time
import zipfile
from collections import Counter
from dataclasses import dataclass, field

from ..errors import BadDocument
from ..patterns import squash
from ..settings import DocumentLimits
from .base import Builder, PartTooLarge, ReadResult, check_zip_sizes, megabytes, safe_name, unreadable
from .docx_numbering import Numbering
from .docx_text import W, Para, body_blocks, cell_texts, paragraph_text, table_rows
from .metadata import usable_metadata_title
from .pdf_layout import CAPTION, NUMBERED

SUFFIXES = (".docx",)
REQUIRES = "python-docx"
VERSION = 2
MAX_MEMBERS = 10_000
MAX_RATIO = 200             # deflate reaches about 1000:1 on bombs; Word's XML stays well under 100:1
RATIO_FLOOR = 2**20         # members smaller than this are never a danger, whatever their ratio
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
MAX_PSEUDO_HEADING_WORDS = 12


def check_archive(data: bytes, limit: int) -> None:
    """Refuse the DOCX archive before anything inflates it: an encrypted (OLE) file, too many
    members, a member or the total over ``limit`` (``check_zip_sizes``), or a member larger than
    ``RATIO_FLOOR`` that declares more than ``MAX_RATIO`` times its compressed size."""
    if data.startswith(OLE_MAGIC):
        raise BadDocument("the Word file is encrypted with a password, or is an old .doc file saved as .docx")
    check_zip_sizes(data, limit)
    try:
        members = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise unreadable("DOCX file", exc) from exc
    if len(members) > MAX_MEMBERS:
        raise PartTooLarge(f"the archive has {len(members):,} parts, over the bound of {MAX_MEMBERS:,}")
    for info in members:
        if info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise PartTooLarge(f"part {safe_name(info.filename)} would expand from {megabytes(info.compress_size)} "
                               f"to {megabytes(info.file_size)}, over the {MAX_RATIO}:1 compression bound "
                               f"(a zip bomb)")


def read(data: bytes, limits: DocumentLimits) -> ReadResult:
    """The Word document in ``data`` as text, blocks and title (see the module docstring)."""
    import docx

    deadline = time.monotonic() + limits.seconds
    check_archive(data, limits.max_part_bytes)
    try:
        document = docx.Document(io.BytesIO(data))
        body = document.element.body
    except Exception as exc:  # zipfile, lxml and python-docx each raise their own kinds
        raise unreadable("DOCX file", exc) from exc
    styles = _StyleLevels(document)
    numbers = Numbering(document)
    blocks: list[_Block] = []
    chars, notes = 0, []
    for count, (kind, element) in enumerate(body_blocks(body)):
        if count % 200 == 0 and time.monotonic() > deadline:
            raise BadDocument(f"reading stopped at block {count}: over the time budget of "
                              f"{limits.seconds:g} s (doc_seconds)")
        if chars > limits.max_text_chars:
            notes.append(f"text cut at {limits.max_text_chars:,} characters (max_text_chars)")
            break
        if kind == "tbl":
            rows = table_rows(element)
            chars += sum(len(c) for row in rows for c in row)
            blocks.append(_Block("table", rows=rows))
            continue
        if styles.contents(element):
            continue                                     # a table of contents line: "Introduction 3"
        para = paragraph_text(element)
        label = numbers.label(element, styles.numbering(element))
        if label and para.text.strip():
            para.text = f"{label} {para.text.lstrip()}"      # the number Word shows before it
        chars += len(para.text)
        level = styles.level(element)
        kind = "heading" if level is not None else "item" if styles.is_list(element) else "paragraph"
        if kind != "heading" and (styles.caption(element) or (CAPTION.match(squash(para.text))
                                                              and len(para.text.split()) <= 25)):
            kind = "caption"                             # "Table 1: Fees by service", never a heading
        blocks.append(_Block(kind, para, level))
        blocks.extend(_Block("paragraph", box) for box in para.boxes if box.text.strip())
    blocks = [b for b in blocks if b.kind == "table" or b.para.text.strip()]
    if not any(b.kind == "heading" for b in blocks):
        blocks = _pseudo_headings(blocks, _default_size(document))
    builder, title = Builder(), ""
    for i, block in enumerate(blocks):
        if block.kind == "table":
            builder.table(block.rows)
            continue
        text = block.para.text.replace("\t", " ")
        if block.kind == "heading":
            builder.heading(block.level + 1, text)      # the Title style sits above Heading 1
            if not title and (block.level == 0 or (i == 0 and not NUMBERED.match(squash(text)))):
                title = squash(text)             # the Title style, or an unnumbered heading opening it
        else:
            getattr(builder, block.kind)(text)
    levels = [b.level + 1 for b in blocks if b.kind == "heading" and b.level]
    _add_notes(builder, document, blocks, min(levels, default=1))
    title = title or _large_opening(blocks, _default_size(document)) or usable_metadata_title(
        document.core_properties.title)
    return builder.render(title, headings_known=any(b.kind == "heading" for b in blocks), notes=tuple(notes))


@dataclass
class _Block:
    kind: str                       # "heading" | "paragraph" | "item" | "caption" | "table"
    para: Para = field(default_factory=Para)
    level: int | None = None        # 0 Title, n Heading n
    rows: list[list[str]] = field(default_factory=list)


def _large_opening(blocks: list[_Block], default_size: float | None) -> str:
    """The first paragraph when it is short and set well above the body size (a title typed in
    Normal style and made big by hand), else ""."""
    first = next((b for b in blocks if b.kind != "table"), None)
    if first is None or first.kind != "paragraph" or first.para.size is None:
        return ""
    text = squash(first.para.text)
    larger = first.para.size >= (default_size or 11.0) + (2 if first.para.bold else 4)
    return text if larger and len(text.split()) <= 15 else ""


def _default_size(document) -> float | None:
    """The font size of text with no size of its own: the default paragraph style's, else the
    document defaults', in points."""
    from docx.enum.style import WD_STYLE_TYPE

    style = document.styles.default(WD_STYLE_TYPE.PARAGRAPH)
    if style is not None and style.font.size is not None:
        return style.font.size.pt
    size = document.styles.element.find(f"{W}docDefaults/{W}rPrDefault/{W}rPr/{W}sz")
    try:
        return int(size.get(W + "val")) / 2 if size is not None else None
    except (TypeError, ValueError):
        return None


def _pseudo_headings(blocks: list[_Block], default_size: float | None) -> list[_Block]:
    """For a document without heading styles: short paragraphs wholly in bold, or in a larger
    size than most text, are headings (larger ones a level above bold ones) unless the next
    paragraph looks the same (a bold block, not a heading) or nothing follows."""
    sizes = Counter()
    for b in blocks:
        if b.kind != "table":
            sizes[b.para.size or default_size] += len(b.para.text)
    body = sizes.most_common(1)[0][0] if sizes else None
    out = []
    for i, b in enumerate(blocks):
        text = squash(b.para.text)
        following = blocks[i + 1] if i + 1 < len(blocks) else None
        short = (0 < len(text.split()) <= MAX_PSEUDO_HEADING_WORDS and any(c.isalpha() for c in text)
                 and not text.endswith((".", ",", ";")))
        larger = b.para.size is not None and body is not None and b.para.size >= body + 2
        same_look = (following is not None and following.kind == "paragraph"
                     and following.para.bold == b.para.bold and following.para.size == b.para.size)
        if b.kind == "paragraph" and short and (larger or b.para.bold) and following is not None and not same_look:
            out.append(_Block("heading", b.para, 1 if larger else 2))
        else:
            out.append(b)
    return out


def _add_notes(builder: Builder, document, blocks: list[_Block], level: int) -> None:
    """Footnotes and endnotes referenced in the body, in order of reference, each under its heading."""
    from docx.opc.constants import RELATIONSHIP_TYPE as RT
    from docx.oxml.parser import parse_xml

    for reltype, tag, name, attr in ((RT.FOOTNOTES, "footnote", "Footnotes", "notes"),
                                     (RT.ENDNOTES, "endnote", "Endnotes", "endnotes")):
        order = [n for b in blocks if b.kind != "table" for n in getattr(b.para, attr)]
        part = next((r.target_part for r in document.part.rels.values()
                     if r.reltype == reltype and not r.is_external), None)
        if not order or part is None:
            continue
        try:
            root = parse_xml(part.blob)
        except Exception:   # a damaged notes part costs the notes, not the document
            continue
        texts = {}
        for note in root.iter(W + tag):
            if note.get(W + "type") in (None, "normal"):
                texts[note.get(W + "id")] = " ".join(cell_texts(note))
        found = [(n, texts[n]) for n in dict.fromkeys(order) if squash(texts.get(n, ""))]
        if found:
            builder.heading(level, name)
            for number, (_, text) in enumerate(found, 1):
                builder.paragraph(f"{number}. {text}")


class _StyleLevels:
    """Heading levels and list membership from paragraph styles, looked up once per style."""

    def __init__(self, document):
        from docx.enum.style import WD_STYLE_TYPE

        self._styles = {s.style_id: s for s in document.styles if s.style_id}
        self._levels: dict[str | None, int | None] = {}
        self._lists: dict[str | None, bool] = {}
        self._numbering: dict[str | None, tuple[str, int] | None] = {}
        self._default = document.styles.default(WD_STYLE_TYPE.PARAGRAPH)

    def _style(self, p):
        props = p.find(W + "pPr")
        ref = props.find(W + "pStyle") if props is not None else None
        return ref.get(W + "val") if ref is not None else None

    def level(self, p) -> int | None:
        """0 for the Title style, n for Heading n (or a style based on one, or an outline level
        n-1), None for body text."""
        props = p.find(W + "pPr")
        outline = props.find(W + "outlineLvl") if props is not None else None
        style_id = self._style(p)
        if style_id not in self._levels:
            self._levels[style_id], self._lists[style_id] = self._look_up(style_id)
        level = self._levels[style_id]
        if level is None and outline is not None and (outline.get(W + "val") or "").isdigit():
            value = int(outline.get(W + "val"))
            level = value + 1 if value < 9 else None
        return level

    def _look_up(self, style_id):
        style, depth = self._styles.get(style_id) if style_id else self._default, 0
        is_list = False
        while style is not None and depth < 20:
            name = (style.name or "").strip().lower()
            if name == "title":
                return 0, False
            m = re.fullmatch(r"heading\s*(\d)", name)
            if m:
                return int(m.group(1)), False
            is_list = is_list or name.startswith("list")
            outline = style.element.find(f"{W}pPr/{W}outlineLvl")
            if outline is not None and (outline.get(W + "val") or "").isdigit() and int(outline.get(W + "val")) < 9:
                return int(outline.get(W + "val")) + 1, False
            if style.element.find(f"{W}pPr/{W}numPr") is not None:
                is_list = True
            style, depth = style.base_style, depth + 1
        return None, is_list

    def numbering(self, p) -> tuple[str, int] | None:
        """(numId, ilvl) that paragraph ``p``'s style (or a style it is based on) numbers it with."""
        style_id = self._style(p)
        if style_id not in self._numbering:
            self._numbering[style_id] = None
            style, depth = self._styles.get(style_id) if style_id else self._default, 0
            while style is not None and depth < 20:
                num = style.element.find(f"{W}pPr/{W}numPr")
                if num is not None:
                    num_id = num.find(W + "numId")
                    ilvl = num.find(W + "ilvl")
                    level = ilvl.get(W + "val", "0") if ilvl is not None else "0"
                    if num_id is not None:
                        self._numbering[style_id] = (num_id.get(W + "val", ""), int(level) if level.isdigit() else 0)
                    break
                style, depth = style.base_style, depth + 1
        return self._numbering[style_id]

    def caption(self, p) -> bool:
        """Whether ``p`` is in Word's Caption style."""
        style = self._styles.get(self._style(p))
        return style is not None and (style.name or "").strip().lower() == "caption"

    def contents(self, p) -> bool:
        """Whether ``p`` is a line of a table of contents (a "TOC n" or "Table of Figures" style)."""
        style = self._styles.get(self._style(p))
        name = (style.name or "").strip().lower() if style is not None else ""
        return bool(re.fullmatch(r"toc\s*\d|toc heading|table of figures", name))

    def is_list(self, p) -> bool:
        """Whether ``p`` is a list item: numbered or bulleted, directly or by its style."""
        props = p.find(W + "pPr")
        if props is not None and props.find(W + "numPr") is not None:
            return True
        return self._lists.get(self._style(p), False)
