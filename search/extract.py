"""Turn a file's bytes into the text that offsets point into.

Plain text and Markdown are decoded as UTF-8 (a byte-order mark is kept out of nothing: offsets
count characters of the decoded file, exactly as ``API.md`` says).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .errors import BadDocument


@dataclass(frozen=True)
class Extracted:
    text: str
    title: str = ""
    pages: tuple[int, ...] = field(default=())


def extract_plain(data: bytes) -> Extracted:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadDocument(f"not UTF-8 text (byte {exc.start}: {exc.reason})") from exc
    if "\x00" in text:
        raise BadDocument("binary data in a text file (NUL bytes)")
    return Extracted(text)


EXTRACTORS = {
    ".txt": extract_plain,
    ".md": extract_plain,
}
