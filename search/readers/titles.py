"""A document's title as a reader would call it, and the titles that are only noise.

The visible title a reader found (front matter, ``<h1>``, the Title style, the largest text on the
first page) comes first, unless it is a generator's artefact, a template's leftover or a file
name; then the first heading near the top; then a short first line or sentence; then the file's
name. A site suffix is dropped wherever it comes from::

    >>> from pathlib import Path
    >>> is_noise("Microsoft Word - minutes.docx", Path("minutes.docx"))
    True
    >>> clean_title("Winter fuel payments | Harbourside Council")
    'Winter fuel payments'
"""
from __future__ import annotations

import re
from pathlib import Path

from ..patterns import squash

MAX_TITLE_WORDS = 16
_GENERATOR = re.compile(r"^(?:microsoft\s+(?:word|excel|powerpoint)\s*-|untitled\b|document\s*\d*$|"
                        r"presentation\s*\d*$|book\s*\d+$|slide\s*\d+$)", re.I)
_TEMPLATE = re.compile(r"(?:[\w-]+\s+){0,2}template|title|heading\s*\d?|normal|subtitle|"
                       r"(?:enter|insert|type)\s+(?:your\s+|the\s+)?(?:document\s+)?title(?:\s+here)?|"
                       r"click\s+(?:or\s+tap\s+)?(?:here\s+)?to\s+(?:enter|add)\s+(?:text|a\s+title)\.?|"
                       r"(?:document|report)\s+title|your\s+title\s+here|title\s+of\s+(?:the\s+)?(?:report|document)",
                       re.I)
_FILE = re.compile(r"\.(?:docx?|pdf|txt|md|html?|rtf|odt|dotx?)$", re.I)
_SITE_SUFFIX = re.compile(r"\s+(?:\||–|—|::|·|»)\s+")
_NUMBERED = re.compile(r"\(?\d")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s")


def clean_title(title: str) -> str:
    """White space squashed and a site suffix after `` | ``, `` – ``, `` — ``, ``::``, ``·``, ``»`` dropped."""
    parts = _SITE_SUFFIX.split(squash(title))
    return parts[0] if len(parts) > 1 and parts[0] else squash(title)


_PAGE_SUFFIX = re.compile(r"\s+(?:\||–|—|-|::|·|»)\s+")   # in a <title>, " - " parts the site's name too


def page_title(title: str) -> str:
    """A web page's ``<title>`` without the site's name after a separator (``|``, `` - ``, ``–``, ``::`` ...).

    >>> page_title("Bin collections | Harbourside Council")
    'Bin collections'
    """
    parts = _PAGE_SUFFIX.split(squash(title))
    return parts[0] if len(parts) > 1 and parts[0] else squash(title)


def is_noise(title: str, path: Path) -> bool:
    """True for a title no reader would use: a generator's artefact ("Microsoft Word - x.docx",
    "Document1"), a template's leftover ("Report template", "Click here to enter text"), or a
    file name (the file's own, or any name ending .docx, .pdf ...)."""
    title = squash(title)
    if not title:
        return True
    stem = Path(path).stem
    return bool(_GENERATOR.match(title) or _TEMPLATE.fullmatch(title) or _FILE.search(title)
                or title.casefold() in {stem.casefold(), Path(path).name.casefold()})


def _first_heading(text: str, outline, first_page_end: int) -> str:
    """The first unnumbered heading near the top (and on the first page) of two words or more, or of
    one word when it is the document's first line ("Parks", "# Notes"): a title, where a lone word
    lower down is a label."""
    top = len(text) - len(text.lstrip())
    for h in outline.headings:
        if h.start > 2000 or h.start >= first_page_end:
            break
        if (len(h.text.split()) >= 2 or h.start == top) and not _NUMBERED.match(h.text):
            return h.text
    return ""


def derive_title(text: str, outline, path: Path, given: str = "", pages: tuple[int, ...] = ()) -> str:
    """The reader's ``given`` title unless it is noise; else the first unnumbered heading of two
    words or more near the top (or of one word on the first line), on the first page when ``pages``
    (offsets where pages start) are known, so a heading read by OCR from page 2 never names a
    document whose page 1 has text; else the first line's first sentence when it is at most sixteen
    words; else the file's name in words ("winter-fuel_2026" -> "winter fuel 2026")."""
    first_page_end = next((start for start in pages[1:] if start > 0), len(text) + 1)   # of the first page with text
    for candidate in (clean_title(given), _first_heading(text, outline, first_page_end)):
        if candidate and not is_noise(candidate, path):
            return candidate
    first = next((line.strip() for line in text[:20000].splitlines() if len(line.split()) >= 3), "")
    first = _SENTENCE_END.split(first, maxsplit=1)[0].rstrip(".")
    if first and len(first.split()) <= MAX_TITLE_WORDS and not is_noise(first, path):
        return squash(first)
    return squash(re.sub(r"[-_]+", " ", Path(path).stem)) or Path(path).name
