"""Load source documents: their text (what offsets point into), title, outline and fingerprint.

A document's id is its path relative to the seeds folder, with forward slashes.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

from .errors import BadDocument
from .extract import EXTRACTORS, Extracted
from .sections import Outline

SUPPORTED = tuple(sorted(EXTRACTORS))


@dataclass(frozen=True)
class Document:
    doc_id: str
    title: str
    text: str
    fingerprint: str
    outline: Outline
    pages: tuple[int, ...] = field(default=())  # offset where each page starts (PDF only)

    def page_at(self, offset: int) -> int | None:
        if not self.pages:
            return None
        import bisect

        return bisect.bisect_right(self.pages, offset)


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


def load_document(path: Path, seeds: Path) -> Document:
    """Read one file; raise BadDocument with the reason when it cannot be used."""
    path = Path(path)
    extractor = EXTRACTORS.get(path.suffix.lower())
    if extractor is None:
        raise BadDocument(f"unsupported file type {path.suffix or '(none)'!r}; supported: {', '.join(SUPPORTED)}")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise BadDocument(f"cannot read: {exc.strerror or exc}") from exc
    extracted: Extracted = extractor(data)
    text = extracted.text
    if not text.strip():
        raise BadDocument("no text: the file is empty or has no extractable text")
    outline = Outline.of(text)
    return Document(
        doc_id=doc_id_of(path, seeds),
        title=extracted.title or derive_title(text, outline, path),
        text=text,
        fingerprint=fingerprint_bytes(data),
        outline=outline,
        pages=extracted.pages,
    )


def derive_title(text: str, outline: Outline, path: Path) -> str:
    """The first unnumbered heading of two words or more near the top, else the first sentence."""
    head = text[:2000]
    for h in outline.headings:
        if h.start > len(head):
            break
        if len(h.text.split()) >= 2 and not re.match(r"^\(?\d", h.text):
            return h.text
    first = next((line.strip() for line in text.splitlines() if len(line.split()) >= 3), "")
    first = re.split(r"(?<=[.!?])\s", first, maxsplit=1)[0]
    if first:
        words = first.split()
        return " ".join(words[:12]) + ("…" if len(words) > 12 else "")
    return path.stem
