"""Load source documents: their text (what offsets point into), title, outline and fingerprint.

A document's id is its path relative to the seeds folder, with forward slashes. Its fingerprint
is the SHA-256 of the file's bytes, so a build can tell an unchanged file without extracting it::

    source = read_source(path, seeds)           # bytes and fingerprint; BadDocument if unusable
    doc = load_document(path, seeds, source)    # the extracted text, title, outline, pages
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from .errors import BadDocument
from .extract import Extracted, extract_docx, extract_pdf, extract_plain
from .extract_html import extract_html
from .model import Document, Heading, Outline
from .patterns import shorten_heading
from .sections import detect_outline

EXTRACTORS = {
    ".txt": extract_plain,
    ".md": extract_plain,
    ".html": extract_html,
    ".htm": extract_html,
    ".pdf": extract_pdf,
    ".docx": extract_docx,
}
SUPPORTED = tuple(sorted(EXTRACTORS))


@dataclass(frozen=True)
class Source:
    doc_id: str
    data: bytes
    fingerprint: str


def discover(seeds: Path) -> list[Path]:
    """Every file under ``seeds`` that is not hidden, sorted by id; unsupported ones included
    so the build can report them."""
    seeds = Path(seeds)
    if not seeds.is_dir():
        raise BadDocument(f"seeds folder {seeds} does not exist")
    return sorted(
        (p for p in seeds.rglob("*") if p.is_file() and not any(part.startswith(".") for part in p.relative_to(seeds).parts)),
        key=lambda p: p.relative_to(seeds).as_posix(),
    )


def doc_id_of(path: Path, seeds: Path) -> str:
    return Path(path).relative_to(seeds).as_posix()


def fingerprint_bytes(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def read_source(path: Path, seeds: Path) -> Source:
    """The file's bytes and fingerprint; BadDocument when its type is unsupported or it cannot be read."""
    path = Path(path)
    if path.suffix.lower() not in EXTRACTORS:
        raise BadDocument(f"unsupported file type {path.suffix or '(none)'!r}; supported: {', '.join(SUPPORTED)}")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise BadDocument(f"cannot read: {exc.strerror or exc}") from exc
    return Source(doc_id_of(path, seeds), data, fingerprint_bytes(data))


def load_document(path: Path, seeds: Path, source: Source | None = None) -> Document:
    """Read and extract one file whole; raise BadDocument with the reason when it cannot be used."""
    path = Path(path)
    source = source or read_source(path, seeds)
    if not source.data:
        raise BadDocument("empty file")
    try:
        extracted: Extracted = EXTRACTORS[path.suffix.lower()](source.data)
    except BadDocument:
        raise
    except Exception as exc:  # a parser failing on a damaged file must not stop the build
        raise BadDocument(f"cannot extract its text ({type(exc).__name__}: {exc})") from exc
    text = extracted.text
    if not text.strip():
        raise BadDocument("no text: the file is empty or has no extractable text")
    outline = detect_outline(text) if extracted.headings is None else marked_outline(text, extracted.headings)
    return Document(
        doc_id=source.doc_id,
        title=extracted.title or derive_title(text, outline, path),
        text=text,
        fingerprint=source.fingerprint,
        outline=outline,
        pages=extracted.pages,
    )


def marked_outline(text: str, headings) -> Outline:
    """The outline of headings known from markup: each (start, end, level, text) nests under the
    nearest heading before it of a lower level."""
    out: list[Heading] = []
    open_: list[tuple[int, str]] = []   # (level, text) of the headings that contain this point
    for start, end, level, title in headings:
        while open_ and open_[-1][0] >= level:
            open_.pop()
        open_.append((level, title))
        out.append(Heading(start, end, text.count("\n", 0, start) + 1, title, tuple(shorten_heading(t) for _, t in open_)))
    return Outline(tuple(out))


def derive_title(text: str, outline: Outline, path: Path) -> str:
    """The first unnumbered heading of two words or more near the top, else the first sentence."""
    head = text[:2000]
    for h in outline.headings:
        if h.start > len(head):
            break
        if len(h.text.split()) >= 2 and not re.match(r"^\(?\d", h.text):
            return h.text
    first = next((line.strip() for line in text.splitlines() if len(line.split()) >= 3), "")
    first = re.split(r"(?<=[.!?])\s", first, maxsplit=1)[0].rstrip(".")
    if first:
        words = first.split()
        return " ".join(words[:16]) + ("…" if len(words) > 16 else "")
    return path.stem
