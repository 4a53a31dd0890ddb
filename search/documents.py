"""Find and load source documents: their text (what offsets point into), title, outline, blocks.

A document's id is its path relative to the seeds folder, with forward slashes. Its fingerprint
is the SHA-256 of the file's bytes, so a build can tell an unchanged file without reading it::

    paths = discover(seeds)                      # every entry to account for; .skipped: unsafe names
    source = read_source(path, seeds, limits)    # bytes and fingerprint; BadDocument if unusable
    doc = load_document(path, seeds, source, limits)   # text, title, outline, pages, blocks

Nothing is read outside the seeds folder: a symbolic link is followed only when its target stays
inside, and special files (FIFOs, devices, sockets) are refused without being opened. The format
is read by ``search.readers``; titles are chosen in ``search.readers.titles``.
"""
from __future__ import annotations

import hashlib
import os
import re
import stat
from dataclasses import dataclass, replace
from pathlib import Path

from .errors import BadDocument
from .model import Document, Heading, Outline, page_at
from .patterns import shorten_heading, squash
from .readers import SUPPORTED, Block, ReadResult, read, reader_for
from .readers.base import megabytes, safe_name
from .readers.titles import derive_title
from .sections import detect_outline
from .settings import DocumentLimits

__all__ = ["Discovered", "Document", "SUPPORTED", "Source", "discover", "doc_id_of", "fingerprint_bytes",
           "load", "load_document", "marked_outline", "page_at", "read_source"]


@dataclass(frozen=True)
class Source:
    doc_id: str
    data: bytes
    fingerprint: str


class Discovered(list):
    """The paths ``discover`` found (a list), and ``skipped``: (safe name, reason) of entries left
    out because their names cannot be shown safely."""

    def __init__(self, paths=(), skipped=()):
        super().__init__(paths)
        self.skipped: list[tuple[str, str]] = list(skipped)


def _hidden(name: str) -> bool:
    return name.startswith(".")


def discover(seeds: Path) -> Discovered:
    """Every entry under ``seeds`` that is not hidden, sorted by id, without following links out.

    Unsupported files, symbolic links and special files are included so the build reports them:
    ``read_source`` says why each cannot be used. A link to a folder inside ``seeds`` adds nothing
    (that folder is read under its own name); one to a folder outside is refused by ``read_source``. Names with control characters are left out and
    listed in ``.skipped`` with a printable name. Raises BadDocument when ``seeds`` is no folder.
    """
    seeds = Path(seeds)
    if not seeds.is_dir():
        raise BadDocument(f"seeds folder {safe_name(str(seeds))} does not exist")
    root = seeds.resolve()
    found, skipped, seen = [], [], {root}
    stack = [seeds]
    while stack:
        folder = stack.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError as exc:
            skipped.append((safe_name(doc_id_of(folder, seeds)), f"cannot list the folder: {exc.strerror or exc}"))
            continue
        for entry in entries:
            if _hidden(entry.name):
                continue
            path = Path(entry.path)
            if safe_name(entry.name) != entry.name:
                skipped.append((safe_name(doc_id_of(path, seeds)), "its name holds control characters"))
                continue
            if entry.is_dir(follow_symlinks=False):
                stack.append(path)
            elif entry.is_symlink() and path.is_dir():
                try:
                    target = _resolve(path)
                except BadDocument:
                    found.append(path)   # read_source reports the loop
                    continue
                if not _inside(target, root):
                    found.append(path)   # read_source refuses it with the reason
                elif target not in seen and any(_hidden(p) for p in target.relative_to(root).parts):
                    seen.add(target)     # a hidden folder is read only through a link to it
                    stack.append(path)
                # any other folder inside is read under its own name: a link to it adds nothing
            else:
                found.append(path)
    found.sort(key=lambda p: doc_id_of(p, seeds))
    return Discovered(found, sorted(skipped))


def _resolve(path: Path) -> Path:
    """Where a link leads; BadDocument for a loop of links."""
    try:
        return path.resolve()
    except (RuntimeError, OSError) as exc:   # Python 3.11 raises RuntimeError for a loop, 3.13 OSError
        raise BadDocument(f"a loop of symbolic links; not followed ({type(exc).__name__})") from exc


def _inside(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def doc_id_of(path: Path, seeds: Path) -> str:
    return Path(path).relative_to(seeds).as_posix()


def fingerprint_bytes(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def read_source(path: Path, seeds: Path, limits: DocumentLimits = DocumentLimits()) -> Source:
    """The file's bytes and fingerprint.

    Raises BadDocument with the reason when its type is unsupported, it is a Word lock file, a
    link leading outside ``seeds``, not a regular file, larger than ``limits.max_file_bytes``, or
    cannot be read. A special file is never opened, so a FIFO cannot block the build.
    """
    path, seeds = Path(path), Path(seeds)
    real = path
    if path.is_symlink():
        real = _resolve(path)
        if not _inside(real, seeds.resolve()):
            raise BadDocument("a symbolic link to a place outside the seeds folder; not followed")
    if path.name.startswith("~$"):
        raise BadDocument("a Word lock file (~$...), not a document")
    if path.suffix.lower() not in SUPPORTED:
        reader_for(path.suffix)   # raises BadDocument naming the supported types
    try:
        info = os.stat(real, follow_symlinks=False)
        if not stat.S_ISREG(info.st_mode):
            raise BadDocument(f"not a regular file ({_kind(info.st_mode)}); not read")
        if info.st_size > limits.max_file_bytes:
            raise BadDocument(f"{megabytes(info.st_size)}, over the max_file_bytes bound of "
                              f"{megabytes(limits.max_file_bytes)}")
        data = _read_regular(real, limits.max_file_bytes)
    except OSError as exc:
        raise BadDocument(f"cannot read: {exc.strerror or exc}") from exc
    return Source(doc_id_of(path, seeds), data, fingerprint_bytes(data))


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a FIFO"), (stat.S_ISSOCK, "a socket"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device")):
        if test(mode):
            return name
    return "a special file"


def _read_regular(path: Path, limit: int) -> bytes:
    """The bytes of a regular file, opened without following a link or blocking, at most ``limit``."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    with os.fdopen(fd, "rb") as fh:
        if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):     # swapped since the check
            raise BadDocument("not a regular file; not read")
        data = fh.read(limit + 1)
    if len(data) > limit:
        raise BadDocument(f"larger than the max_file_bytes bound of {megabytes(limit)}")
    return data


def load(path: Path, seeds: Path, source: Source | None = None,
         limits: DocumentLimits = DocumentLimits()) -> tuple[Document, tuple[str, ...]]:
    """The document and the notes for the build summary (encoding used, text cut, headings capped,
    pages without text). Raises BadDocument with the reason when the file cannot be used."""
    path = Path(path)
    source = source or read_source(path, seeds, limits)
    if not source.data:
        raise BadDocument("empty file")
    try:
        result: ReadResult = read(path.suffix, source.data, limits)   # a missing library: BadDocument naming it
    except BadDocument:
        raise
    except Exception as exc:  # a parser failing on a damaged file must not stop the build
        raise BadDocument(f"cannot extract its text ({type(exc).__name__}: {exc})") from exc
    if not result.text.strip():
        why = "; ".join(result.notes)   # a scanned PDF: which pages, and how to have them read by OCR
        raise BadDocument(f"no text: {why}" if why else "no text: the file is empty or has no extractable text")
    notes = list(result.notes)
    if result.encoding:
        notes.append(f"decoded as {result.encoding}")
    result = _cut(result, limits.max_text_chars, notes)
    if result.headings_known:
        outline = marked_outline(result.text, [b for b in result.blocks if b.kind == "heading"], limits, notes)
    else:
        outline = bounded_outline(detect_outline(_masked(result), limits.max_headings + 1, limits.max_heading_depth + 1),
                                  limits, notes)
    document = Document(doc_id=source.doc_id, title=derive_title(result.text, outline, path, result.title, result.pages),
                        fingerprint=source.fingerprint, text=result.text, outline=outline, pages=result.pages,
                        blocks=result.blocks, ocr_pages=result.ocr_pages)
    return document, tuple(notes)


def load_document(path: Path, seeds: Path, source: Source | None = None,
                  limits: DocumentLimits = DocumentLimits()) -> Document:
    """Read one file whole (see ``load``); raise BadDocument with the reason when it cannot be used."""
    return load(path, seeds, source, limits)[0]


def _cut(result: ReadResult, limit: int, notes: list[str]) -> ReadResult:
    """The result with its text cut to ``limit`` characters (at a line end when one is near)."""
    if len(result.text) <= limit:
        return result
    end = result.text.rfind("\n", limit // 2, limit) + 1 or limit
    blocks = tuple(b if b.end <= end else Block(b.kind, b.start, end, b.level) for b in result.blocks if b.start < end)
    notes.append(f"text cut at {end:,} of {len(result.text):,} characters (the max_text_chars bound)")
    return replace(result, text=result.text[:end], blocks=blocks, pages=tuple(p for p in result.pages if p < end))


_NEVER_HEADINGS = {"code", "table", "caption"}


def _masked(result: ReadResult) -> str:
    """The text for the heading detector: code, tables and captions blanked out (newlines kept,
    so every offset and line number stays), since none of them is ever a heading."""
    spans = [b for b in result.blocks if b.kind in _NEVER_HEADINGS]
    if not spans:
        return result.text
    out, pos = [], 0
    for b in spans:
        if b.start >= pos:
            out.append(result.text[pos:b.start])
            out.append(re.sub(r"[^\n]", " ", result.text[b.start:b.end]))
            pos = b.end
    out.append(result.text[pos:])
    return "".join(out)


def bounded_outline(outline: Outline, limits: DocumentLimits, notes: list[str]) -> Outline:
    """A detected outline with at most ``limits.max_headings`` headings, each nested at most
    ``limits.max_heading_depth`` deep (a deeper one keeps the top of its path and its own text)."""
    headings = outline.headings
    if len(headings) > limits.max_headings:
        notes.append(f"only the first {limits.max_headings:,} of {len(headings):,} headings kept (the max_headings bound)")
        headings = headings[:limits.max_headings]
    depth = max(limits.max_heading_depth, 1)
    if any(len(h.path) > depth for h in headings):
        notes.append(f"headings nested deeper than {depth} kept at that depth (the max_heading_depth bound)")
        headings = tuple(replace(h, path=h.path[:depth - 1] + h.path[-1:]) if len(h.path) > depth else h
                         for h in headings)
    return Outline(tuple(headings))


def heading_label(span: str) -> str:
    """A heading block's text without its Markdown marks: ``## Costs ##`` -> ``Costs``; a setext
    heading (text over ``===`` or ``---``) without its underline."""
    lines = span.split("\n")
    if len(lines) > 1 and set(lines[-1].strip()) <= set("=-"):
        return squash(" ".join(lines[:-1]))
    text = span.strip().lstrip("#")
    stripped = text.rstrip("#")
    if stripped != text and (not stripped or stripped[-1] in " \t"):   # a closing run of #, after a space
        text = stripped
    return squash(text)


def marked_outline(text: str, headings: list[Block], limits: DocumentLimits = DocumentLimits(),
                   notes: list[str] | None = None) -> Outline:
    """The outline of headings known from markup: each nests under the nearest heading before it
    of a lower level, at most ``limits.max_heading_depth`` deep and ``limits.max_headings`` many."""
    if len(headings) > limits.max_headings and notes is not None:
        notes.append(f"only the first {limits.max_headings:,} of {len(headings):,} headings kept (the max_headings bound)")
    out: list[Heading] = []
    open_: list[tuple[int, str]] = []   # (level, text) of the headings that contain this point
    line, counted = 1, 0
    for block in headings[:limits.max_headings]:
        title = heading_label(text[block.start:block.end])
        if not title:
            continue
        level = max(block.level, 1)
        while open_ and (open_[-1][0] >= level or len(open_) >= limits.max_heading_depth):
            open_.pop()
        open_.append((level, title))
        line += text.count("\n", counted, block.start)
        counted = block.start
        out.append(Heading(block.start, block.end, line, title, tuple(shorten_heading(t) for _, t in open_)))
    return Outline(tuple(out))
