"""What every reader returns, and the builder the structured formats render their blocks with.

A reader turns a file's bytes into a ``ReadResult``: the text the index stores (every offset points
into it), the blocks it knows (headings with levels, paragraphs, list items, tables, captions,
code) as character spans of that text, its title and page starts. ``Builder`` renders blocks as
plain text in which headings are Markdown ``#`` lines, blocks are separated by blank lines,
consecutive list items by one newline, and table rows are tab-separated lines::

    >>> b = Builder()
    >>> b.heading(1, "Scope"); b.paragraph("Libraries   lend books."); b.item("one"); b.item("two")
    >>> r = b.render()
    >>> r.text
    '# Scope\\n\\nLibraries lend books.\\n\\n- one\\n- two\\n'
    >>> [(k.kind, r.text[k.start:k.end]) for k in r.blocks][:2]
    [('heading', '# Scope'), ('paragraph', 'Libraries lend books.')]
"""
from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, replace

from ..errors import BadDocument
from ..model import Block   # the record lives with Document, which keeps a reader's blocks
from ..patterns import CONTROL, squash

KINDS = ("heading", "paragraph", "item", "table", "caption", "code")


@dataclass(frozen=True)
class ReadResult:
    """A file as read: its stored text, what is known of its structure, and notes for the build."""

    text: str                               # the text the index stores; every offset points into it
    title: str = ""                         # the title a reader sees ("" = let documents.py derive it)
    blocks: tuple[Block, ...] = ()
    headings_known: bool = False            # True: heading blocks ARE the outline (markup); False: detector
    pages: tuple[int, ...] = ()             # offset where each page starts (PDF)
    encoding: str = ""                      # text formats: the encoding used when not UTF-8
    notes: tuple[str, ...] = ()             # warnings for the build summary
    ocr_pages: tuple[int, ...] = ()         # 1-based pages whose text came from OCR

    def with_notes(self, *notes: str) -> "ReadResult":
        return replace(self, notes=self.notes + tuple(n for n in notes if n))


class PartTooLarge(BadDocument):
    """A part of a container (a zip member, a PDF stream) would decompress past ``max_part_bytes``."""


def unreadable(what: str, exc: Exception) -> BadDocument:
    """The error for a file its parser rejects: ``not a readable PDF (ValueError: ...)``."""
    return BadDocument(f"not a readable {what} ({type(exc).__name__}: {exc})")


def clean(text: str) -> str:
    """Line endings as ``\\n`` (CRLF and CR alone too) and control characters other than tab and
    newline as spaces; the length may shrink only where a CRLF became one newline."""
    return CONTROL.sub(" ", text.replace("\r\n", "\n").replace("\r", "\n"))


def megabytes(n: int) -> str:
    return f"{n / 2**20:.1f} MB"


def check_zip_sizes(data: bytes, limit: int) -> None:
    """Refuse a zip archive (DOCX) any member of which declares more than ``limit`` bytes
    decompressed, or all members together more than four times that, before anything inflates it.

    Python's ``zipfile`` never inflates a member past its declared size (and fails on a CRC
    mismatch), so checking the declared sizes bounds what a reader can be made to hold.
    Raises ``PartTooLarge`` naming the bound; a damaged archive is left for the reader to report.
    """
    try:
        members = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return
    total = 0
    for info in members:
        total += info.file_size
        if info.file_size > limit:
            raise PartTooLarge(f"part {safe_name(info.filename)} would be {megabytes(info.file_size)} decompressed, "
                               f"over the max_part_bytes bound of {megabytes(limit)}")
    if total > 4 * limit:
        raise PartTooLarge(f"its parts would be {megabytes(total)} decompressed, over four times the "
                           f"max_part_bytes bound of {megabytes(limit)}")


def safe_name(name: str) -> str:
    """A file name fit for logs and terminals: control characters shown as escapes.

    >>> safe_name("a\\x1b[31mb\\n.txt")
    'a\\\\x1b[31mb\\\\n.txt'
    """
    if not any(c < " " or "\x7f" <= c <= "\x9f" for c in name):
        return name
    return "".join(c.encode("unicode_escape").decode("ascii") if c < " " or "\x7f" <= c <= "\x9f" else c
                   for c in name)


class Builder:
    """Collects blocks in reading order and renders them as one text with every block's span."""

    def __init__(self):
        self._parts: list[tuple[str, str, int]] = []   # (kind, rendered text, level)
        self._breaks: list[int] = []                    # index of the part that opens each new page

    def heading(self, level: int, text: str) -> None:
        """A heading of ``level`` (1 = top, at most 6), rendered ``## text``."""
        text = squash(CONTROL.sub(" ", text))
        if text:
            level = min(max(level, 1), 6)
            self._parts.append(("heading", "#" * level + " " + text, level))

    def paragraph(self, text: str) -> None:
        """Body text; its lines are kept (each squashed), empty lines dropped."""
        lines = (squash(line) for line in CONTROL.sub(" ", text).split("\n"))
        self._add("paragraph", "\n".join(line for line in lines if line))

    def item(self, text: str) -> None:
        """A list item, rendered ``- text``; consecutive items are one newline apart."""
        text = squash(CONTROL.sub(" ", text))
        if text:
            self._parts.append(("item", "- " + text, 0))

    def table(self, rows: list[list[str]]) -> None:
        """A table: one line per row, cells separated by tabs; empty rows dropped."""
        lines = ("\t".join(squash(CONTROL.sub(" ", c)) for c in row) for row in rows)
        self._add("table", "\n".join(line for line in lines if line.strip()))

    def caption(self, text: str) -> None:
        """A table or figure caption: one squashed line."""
        self._add("caption", squash(CONTROL.sub(" ", text)))

    def code(self, text: str) -> None:
        """Preformatted text: lines kept as they are (trailing spaces and blank edges trimmed)."""
        lines = [line.rstrip() for line in CONTROL.sub(" ", text.expandtabs(4)).split("\n")]
        self._add("code", "\n".join(lines).strip("\n"))

    def page_break(self) -> None:
        """The next block starts a new page (pages without blocks still count)."""
        self._breaks.append(len(self._parts))

    @property
    def parts(self) -> tuple[tuple[str, str, int], ...]:
        """The blocks so far as (kind, rendered text, level)."""
        return tuple(self._parts)

    def keep_only(self, indexes: set[int]) -> None:
        """Drop every block whose position in ``parts`` is not in ``indexes`` (page breaks are lost)."""
        self._parts = [p for i, p in enumerate(self._parts) if i in indexes]
        self._breaks = []

    def _add(self, kind: str, text: str) -> None:
        if text.strip():
            self._parts.append((kind, text, 0))

    def render(self, title: str = "", **extra) -> ReadResult:
        """The text, its blocks and, after any ``page_break``, its page starts; ``headings_known``
        is True. ``extra`` sets other ``ReadResult`` fields (and may override ``pages``)."""
        out, blocks, pos, starts = [], [], 0, []
        for i, (kind, text, level) in enumerate(self._parts):
            if i:
                gap = "\n" if kind == "item" and self._parts[i - 1][0] == "item" else "\n\n"
                out.append(gap)
                pos += len(gap)
            starts.append(pos)
            blocks.append(Block(kind, pos, pos + len(text), level))
            out.append(text)
            pos += len(text)
        text = "".join(out) + ("\n" if out else "")
        pages = ()
        if self._breaks:
            pages = (0,) + tuple(starts[i] if i < len(starts) else len(text) for i in self._breaks)
        fields = {"pages": pages, "headings_known": True, **extra}
        return ReadResult(text, squash(title), tuple(blocks), **fields)
