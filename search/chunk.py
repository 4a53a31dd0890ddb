"""Split a document into passages: about a paragraph each, inside one section, on sentence ends.

Every passage is an exact slice of the document: ``doc.text[p.start:p.end] == p.text``.

    >>> from search.sections import detect_outline
    >>> text = "Intro\\n\\nOne. Two.\\n\\nNext part\\n\\nThree.\\n"
    >>> [(p.text, p.section) for p in chunk_text("d", text, detect_outline(text), ChunkSettings(), len)]
    [('Intro\\n\\nOne. Two.', ('Intro',)), ('Next part\\n\\nThree.', ('Next part',))]
"""
from __future__ import annotations

import bisect
import re
from dataclasses import asdict, dataclass
from typing import Callable

from .model import Outline, Passage
from .patterns import BULLET_CLASS

TokenCounter = Callable[[str], int]

_ABBREVIATIONS = {"e.g", "i.e", "etc", "mr", "mrs", "ms", "dr", "st", "no", "vs", "cf", "prof", "inc", "ltd", "co", "al"}
_SENTENCE_END = re.compile(r"[.!?…]+[\"”’')\]]*(?=\s)")
_NEW_UNIT = re.compile(rf"^({BULLET_CLASS}\s|\(?\d{{1,3}}[.)]\s|\(?[a-z][.)]\s|[A-Z\"“‘'(#])")


@dataclass(frozen=True)
class ChunkSettings:
    target_tokens: int = 120   # pack paragraphs up to about this many word pieces
    max_tokens: int = 250      # never more: the model reads 256 word pieces, 2 are special tokens
    min_tokens: int = 24       # a shorter tail is merged into the passage before it

    def as_dict(self) -> dict:
        return asdict(self)


def sentence_spans(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Sentence boundaries within text[start:end], white space trimmed."""
    spans, cur = [], start
    for m in _SENTENCE_END.finditer(text, start, end):
        word = re.search(r"(\w+)[.!?…]*$", text[max(start, m.start() - 12): m.start() + 1])
        if m.group().startswith(".") and word and word.group(1).lower() in _ABBREVIATIONS:
            continue
        nxt = re.compile(r"\s*(\S)").match(text, m.end(), end)
        if nxt and (nxt.group(1).islower()):
            continue
        spans.append((cur, m.end()))
        cur = m.end()
    spans.append((cur, end))
    return [s for s in (_trim(text, a, b) for a, b in spans) if s[1] > s[0]]


def _trim(text: str, a: int, b: int) -> tuple[int, int]:
    while a < b and text[a].isspace():
        a += 1
    while b > a and text[b - 1].isspace():
        b -= 1
    return a, b


def paragraph_units(text: str, start: int, end: int) -> list[tuple[int, int, bool]]:
    """Paragraph-like units of text[start:end]: (start, end, begins_block).

    A blank line always separates units; inside a block, a line that starts like a new paragraph
    (a bullet, a number, a capital) after a line that ended a sentence starts a new unit too,
    which splits web text written one paragraph per line without splitting wrapped lines.
    """
    units: list[list] = []
    pos, after_blank, prev_line = start, True, ""
    while pos < end:
        nl = text.find("\n", pos, end)
        line_end = end if nl == -1 else nl
        line = text[pos:line_end]
        stripped = line.strip()
        if not stripped:
            after_blank = True
        else:
            continues = (not after_blank and units and not (
                re.search(r"[.!?:;\"”’')]\s*$", prev_line) and _NEW_UNIT.match(stripped)))
            a, b = _trim(text, pos, line_end)
            if continues:
                units[-1][1] = b
            else:
                units.append([a, b, after_blank])
            after_blank, prev_line = False, stripped
        pos = line_end + 1
    return [tuple(u) for u in units]


class _Lines:
    def __init__(self, text: str):
        self.starts = [0] + [i + 1 for i, c in enumerate(text) if c == "\n"]

    def line_of(self, offset: int) -> int:
        return bisect.bisect_right(self.starts, offset)


def chunk_text(doc_id: str, text: str, outline: Outline, settings: ChunkSettings,
               count_tokens: TokenCounter) -> list[Passage]:
    """Passages of one document, section by section; a section holding only its heading is skipped."""
    lines = _Lines(text)
    passages: list[Passage] = []
    heading_ends = {h.start: h.end for h in outline.headings}
    for s, e, path in outline.spans(len(text)):
        if s in heading_ends and not text[heading_ends[s]:e].strip():
            continue
        for a, b in _pack(text, s, e, settings, count_tokens):
            passages.append(Passage(doc_id, a, b, lines.line_of(a), lines.line_of(b - 1), path, text[a:b]))
    return passages


def _pack(text: str, start: int, end: int, settings: ChunkSettings, count: TokenCounter) -> list[tuple[int, int]]:
    """Greedy packing of units into spans of at most target tokens (max for a lone unit)."""
    pieces: list[tuple[int, int]] = []
    for a, b, _ in paragraph_units(text, start, end):
        if count(text[a:b]) <= settings.max_tokens:
            pieces.append((a, b))
        else:
            pieces.extend(_split_long(text, a, b, settings, count))
    spans: list[list[int]] = []
    for a, b in pieces:
        if spans and count(text[spans[-1][0]:b]) <= settings.target_tokens:
            spans[-1][1] = b
        else:
            spans.append([a, b])
    # a tiny tail (a sign-off, a lone short line) joins the passage before it when it fits
    merged: list[list[int]] = []
    for a, b in spans:
        if merged and (count(text[a:b]) < settings.min_tokens or count(text[merged[-1][0]:merged[-1][1]]) < settings.min_tokens) \
                and count(text[merged[-1][0]:b]) <= settings.max_tokens:
            merged[-1][1] = b
        else:
            merged.append([a, b])
    return [(a, b) for a, b in merged]


def _split_long(text: str, a: int, b: int, settings: ChunkSettings, count: TokenCounter) -> list[tuple[int, int]]:
    """A unit over the model's window: split at sentence ends, and words as a last resort."""
    out: list[tuple[int, int]] = []
    for s, e in sentence_spans(text, a, b):
        if count(text[s:e]) <= settings.max_tokens:
            out.append((s, e))
            continue
        words = [m.span() for m in re.finditer(r"\S+", text[s:e])]
        i = 0
        while i < len(words):
            j = i + 1
            while j < len(words) and count(text[s + words[i][0]: s + words[j][1]]) <= settings.max_tokens:
                j += 1
            out.append((s + words[i][0], s + words[j - 1][1]))
            i = j
    return out
