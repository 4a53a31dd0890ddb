"""PDF reader: the text a reader sees on each page, with headings from the layout and page starts.

pdfplumber opens the file and pdfminer.six lays each page out (``pdf_page.py``: lines in reading
order, columns one after the other, with their main font size, boldness and colour; ruled
tables). The rules in ``pdf_layout.py`` turn the lines into headings (larger or bolder than the
body text, levels by size and numbering depth), paragraphs (lines joined, over page and column
breaks too; hyphenated words mended; ligatures as letters), list items, captions and tables, with
running headers, footers and page numbers left out. Pages with no text layer are named in
``notes`` and, where Tesseract is installed, read by OCR (``pdf_ocr.py``)::

    result = read(pdf_bytes, DocumentLimits())
    result.text          # '# Annual Transport Review\\n\\n## 1. Bus services\\n\\nPassenger numbers ...'
    result.pages         # (0, 812, 1650): where each page starts in result.text (maybe mid-paragraph)
    result.ocr_pages     # (4,) when page 4 was a scan read by Tesseract
    result.headings_known  # False when the layout found no heading but a title: the text detector runs

Raises ``BadDocument`` for an encrypted or damaged file and ``PartTooLarge`` when a stream would
decompress past ``limits.max_part_bytes`` (``pdf_streams.py``, checked before any page is read).
Past four fifths of ``limits.seconds`` the pages read so far are kept, with a note; a page with
too many drawing instructions is read as plain text (pypdf) or skipped, with a note.
"""
from __future__ import annotations

import io
import time
from dataclasses import replace

from ..errors import BadDocument
from ..patterns import squash
from ..settings import DocumentLimits
from .base import Builder, ReadResult, megabytes, unreadable
from .metadata import usable_metadata_title
from .pdf_layout import Piece, assemble, body_style, running_furniture, running_title, visible_title
from .pdf_ocr import ENABLE_HINT, page_ranges, recognise, tesseract_available
from .pdf_page import LAPARAMS, Sideways, page_lines
from .pdf_streams import check_stream_sizes
from .pdf_text import clean_glyphs, join_lines

SUFFIXES = (".pdf",)
REQUIRES = "pdfplumber"
VERSION = 3     # 3: tables set without rules read row by row (pdf_grid)
MAX_LAYOUT_CONTENT = 2**19      # a page with more drawing instructions is read as plain text, not laid out
MAX_PAGE_CONTENT = 2 * 2**20    # a page with more is not read at all (minutes of parsing for a few labels)


def read(data: bytes, limits: DocumentLimits) -> ReadResult:
    """The PDF in ``data`` as text, blocks, title, page starts, notes and OCR'd pages."""
    import pdfplumber
    from pdfminer.pdfdocument import PDFPasswordIncorrect

    deadline = time.monotonic() + limits.seconds
    soft_deadline = deadline - 0.2 * limits.seconds
    try:
        pdf = pdfplumber.open(io.BytesIO(data), laparams=LAPARAMS)
        pages = pdf.pages
    except Exception as exc:  # pdfminer raises many kinds for damaged files; pdfplumber wraps them
        cause = exc.args[0] if type(exc).__name__ == "PdfminerException" and exc.args else exc
        if isinstance(cause, PDFPasswordIncorrect):
            raise BadDocument("the PDF is encrypted with a password") from exc
        raise unreadable("PDF", cause if isinstance(cause, Exception) else exc) from exc
    with pdf:
        sizes = check_stream_sizes(pdf.doc, limits.max_part_bytes, deadline, limits.seconds)
        lines, scanned, notes, chars, plain = [], [], [], 0, {}
        for number, page in enumerate(pages):
            if time.monotonic() > soft_deadline:     # keep what was read, and leave time for the rest
                _check_time(deadline if number else 0, limits.seconds, f"page {number + 1} of {len(pages)}")
                notes.append(f"only pages 1-{number} of {len(pages)} read: over the time budget of "
                             f"{limits.seconds:g} s (doc_seconds)")
                pages = pages[:number]
                break
            if chars > limits.max_text_chars:
                notes.append(f"text cut after page {number} of {len(pages)}: over max_text_chars "
                             f"({limits.max_text_chars:,} characters)")
                pages = pages[:number]
                break
            content = sum(sizes.get(getattr(s, "objid", None), 0) for s in page.page_obj.contents)
            if content > MAX_PAGE_CONTENT:
                notes.append(f"page {number + 1} skipped: {megabytes(content)} of drawing instructions, over "
                             f"the {megabytes(MAX_PAGE_CONTENT)} a page may have")
                continue
            if content > MAX_LAYOUT_CONTENT:      # layout analysis grows faster than the page: text only
                plain[number] = _plain_text(data, number)
                continue
            try:
                lines_here, image_cover = page_lines(page, number)
            except Sideways:                      # rotated text: pypdf reads it in its own direction
                plain[number] = _plain_text(data, number)
                continue
            except Exception as exc:
                raise BadDocument(f"page {number + 1} of {len(pages)} cannot be read "
                                  f"({type(exc).__name__}: {exc})") from exc
            finally:
                page.close()
            # A scan: images and no text, or a page-sized image under a stamp or a page number.
            if image_cover and (not lines_here or (image_cover >= 0.5 and sum(len(x.text) for x in lines_here) < 40)):
                scanned.append(number)
            lines.extend(lines_here)
            chars += sum(len(line.text) for line in lines_here)
        metadata = pdf.metadata or {}
    page_count = len(pages)
    furniture = running_furniture(lines, page_count)
    pieces = assemble(lines, furniture)
    ocr_texts, ocr_notes = {}, []
    if scanned:
        if tesseract_available():
            ocr_texts, ocr_notes = recognise(data, scanned, deadline)
            notes.append(f"{_no_layer(scanned)}; {'its' if len(scanned) == 1 else 'their'} text was recognised "
                         f"by OCR (Tesseract)")
        else:
            notes.append(f"{_no_layer(scanned)} (scanned images); {ENABLE_HINT}")
    notes.extend(ocr_notes)
    pieces = _with_page_texts(pieces, {**plain, **ocr_texts})
    body_size, _ = body_style([line for i, line in enumerate(lines) if i not in furniture])
    title = (visible_title(pieces, body_size) or usable_metadata_title(_decoded(metadata.get("Title")))
             or running_title(lines, furniture, page_count))
    return _render(pieces, page_count, title, notes, tuple(sorted(p + 1 for p in ocr_texts)))


def _no_layer(pages: list[int]) -> str:
    """"pages 1-3 have no text layer" for 0-based ``pages``."""
    return f"{page_ranges([p + 1 for p in pages])} {'has' if len(pages) == 1 else 'have'} no text layer"


def _plain_text(data: bytes, number: int) -> str:
    """The text of page ``number`` without layout, by pypdf (linear in the page's instructions)."""
    import pypdf

    try:
        return pypdf.PdfReader(io.BytesIO(data)).pages[number].extract_text() or ""
    except Exception as exc:   # pypdf raises many kinds, its decompression limits among them
        raise BadDocument(f"page {number + 1} cannot be read ({type(exc).__name__}: {exc})") from exc


def _with_page_texts(pieces: list[Piece], texts: dict[int, str]) -> list[Piece]:
    """``pieces`` with the paragraphs of pages read as plain text (OCR, no layout) in page order."""
    if not texts:
        return pieces
    extra = []
    for number, text in texts.items():
        for para in text.replace("\r", "\n").split("\n\n"):
            lines = [line for line in para.split("\n") if line.strip()]
            if lines:
                extra.append(Piece("paragraph", join_lines([clean_glyphs(l) for l in lines], set()), 0, number))
    order = {id(p): i for i, p in enumerate(pieces + extra)}
    return sorted(pieces + extra, key=lambda p: (p.page, order[id(p)]))


def _render(pieces: list[Piece], page_count: int, title: str, notes: list[str], ocr_pages: tuple[int, ...]) -> ReadResult:
    """The pieces through the Builder, with page starts that may fall inside a paragraph."""
    builder = Builder()
    pieces = [p for p in pieces if squash(p.text) or any(any(row) for row in p.rows)]   # one block each
    for piece in pieces:
        if piece.kind == "heading":
            builder.heading(piece.level, piece.text)
        elif piece.kind == "table":
            builder.table([list(row) for row in piece.rows])
        else:
            getattr(builder, piece.kind)(piece.text)
    headings = [p for p in pieces if p.kind == "heading" and squash(p.text) != squash(title)]
    # Layout headings are the outline only when they are more than a title; otherwise the
    # plain-text detector looks for numbered headings in the text.
    result = builder.render(title, headings_known=bool(headings), notes=tuple(notes), ocr_pages=ocr_pages)
    return replace(result, pages=page_starts(pieces, result, page_count))


def page_starts(pieces: list[Piece], result: ReadResult, page_count: int) -> tuple[int, ...]:
    """Where each page starts in ``result.text``: its first block's start, or the offset inside a
    paragraph that runs over from the page before; a page with no text starts where the next does."""
    starts: dict[int, int] = {}
    for piece, block in zip(pieces, result.blocks):     # the builder keeps every (non-empty) piece
        starts.setdefault(piece.page, block.start)
        for offset, page in piece.breaks:
            starts.setdefault(page, block.start + offset)
    out, following = [0] * page_count, len(result.text)
    for page in range(page_count - 1, -1, -1):
        following = min(starts.get(page, following), following)
        out[page] = following
    if out:
        out[0] = 0
    return tuple(out)


def _decoded(value) -> str:
    if isinstance(value, bytes):
        for encoding in ("utf-16", "latin-1") if value.startswith((b"\xfe\xff", b"\xff\xfe")) else ("utf-8", "latin-1"):
            try:
                return value.decode(encoding)
            except UnicodeDecodeError:
                continue
    return str(value or "")


def _check_time(deadline: float, seconds: float, where: str) -> None:
    if time.monotonic() > deadline:
        raise BadDocument(f"reading stopped at {where}: over the time budget of {seconds:g} s (doc_seconds)")
