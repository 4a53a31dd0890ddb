"""Split a document into passages: about a paragraph each, inside one section, on sentence ends.

Every passage is an exact slice of the document: ``doc.text[p.start:p.end] == p.text``; none is
longer than ``max_tokens`` word pieces or ``max_chars`` characters (one enormous "word" is cut
inside), and a heading is never a passage of its own when body text follows it.

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
from .sentences import all_sentences, sentence_spans, trim_span

__all__ = ["ChunkSettings", "Passage", "chunk_text", "paragraph_units", "sentence_spans"]

TokenCounter = Callable[[str], int]

_NEW_UNIT = re.compile(rf"^({BULLET_CLASS}\s|\(?\d{{1,3}}[.)]\s|\(?[a-z][.)]\s|[A-Z\"“‘'(#])")
_ENDS = frozenset(".!?:;\"”’')")
_WORD_RUN = re.compile(r"\S+")
_ALNUM = re.compile(r"[^\W_]")


@dataclass(frozen=True)
class ChunkSettings:
    target_tokens: int = 120   # pack paragraphs up to about this many word pieces
    max_tokens: int = 250      # never more: the model reads 256 word pieces, 2 are special tokens
    min_tokens: int = 24       # a shorter tail is merged into the passage before it
    max_chars: int = 2000      # never more characters either: a passage is cut even inside one enormous word

    def as_dict(self) -> dict:
        return asdict(self)


def paragraph_units(text: str, start: int, end: int) -> list[tuple[int, int, bool]]:
    """Paragraph-like units of text[start:end]: (start, end, begins_block).

    A blank line always separates units; inside a block, a line that starts like a new paragraph
    (a bullet, a number, a capital) after a line that ended a sentence starts a new unit too,
    which splits web text written one paragraph per line without splitting wrapped lines.
    """
    units: list[list] = []
    pos, after_blank, prev_end = start, True, ""
    while pos < end:
        nl = text.find("\n", pos, end)
        line_end = end if nl == -1 else nl
        a, b = trim_span(text, pos, line_end)
        if a == b:
            after_blank = True
        else:
            continues = not after_blank and units and not (prev_end in _ENDS and _NEW_UNIT.match(text[a:a + 3]))
            if continues:
                units[-1][1] = b
            else:
                units.append([a, b, after_blank])
            after_blank, prev_end = False, text[b - 1]
        pos = line_end + 1
    return [tuple(u) for u in units]


class _Lines:
    def __init__(self, text: str):
        self.starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def line_of(self, offset: int) -> int:
        return bisect.bisect_right(self.starts, offset)


def chunk_text(doc_id: str, text: str, outline: Outline, settings: ChunkSettings,
               count_tokens: TokenCounter) -> list[Passage]:
    """Passages of one document, section by section.

    The heading opening a section joins the passage of the body text after it. A section holding
    only its heading is skipped when more sections follow (a heading is never a result on its
    own); at the very end of a document it forms a passage, so its words are not lost.
    """
    lines = _Lines(text)
    passages: list[Passage] = []
    heading_ends = {h.start: h.end for h in outline.headings}
    spans = outline.spans(len(text))
    for n, (s, e, path) in enumerate(spans):
        head_end = heading_ends.get(s)
        if head_end is not None and (head_end >= e or text[head_end:e].isspace()):
            if n + 1 < len(spans):
                continue      # body text follows under later headings: a heading is never a result on its own
            head_end = None   # the document's last words: the heading is all there is, so it is the passage
        for a, b in _Packer(text, settings, count_tokens).pack(s, e, head_end):
            if not _has_alnum(text, a, b):
                continue   # punctuation only (a rule, a run of dots): nothing to find
            passages.append(Passage(doc_id, a, b, lines.line_of(a), lines.line_of(b - 1), path, text[a:b]))
    return passages


def _has_alnum(text: str, a: int, b: int) -> bool:
    return _ALNUM.search(text, a, b) is not None


class _Packer:
    """Cuts one section into passages within the token and character bounds."""

    def __init__(self, text: str, settings: ChunkSettings, count: TokenCounter):
        self.text, self.settings, self.count = text, settings, count

    def fits(self, a: int, b: int, tokens: int | None = None) -> bool:
        limit = self.settings.max_tokens if tokens is None else tokens
        return b - a <= self.settings.max_chars and self.count(self.text[a:b]) <= limit

    def pack(self, start: int, end: int, head_end: int | None = None) -> list[tuple[int, int]]:
        """Greedy packing of units into spans of at most target tokens (max for a lone unit)."""
        pieces: list[tuple[int, int]] = []
        for a, b, _ in paragraph_units(self.text, start, end):
            pieces.extend([(a, b)] if self.fits(a, b) else self.split_long(a, b))
        if head_end is not None:
            pieces = self.glue_heading(pieces, head_end)
        target, cap = self.settings.target_tokens, self.settings.max_tokens
        spans: list[list[int]] = []
        for a, b in pieces:
            if spans and self.fits(spans[-1][0], b, target):
                spans[-1][1] = b
            else:
                spans.append([a, b])
        # a tiny tail (a sign-off, a lone short line) joins the passage before it when it fits
        merged: list[list[int]] = []
        small = self.settings.min_tokens
        for a, b in spans:
            if merged and (self.count(self.text[a:b]) < small or
                           self.count(self.text[merged[-1][0]:merged[-1][1]]) < small) \
                    and self.fits(merged[-1][0], b, cap):
                merged[-1][1] = b
            else:
                merged.append([a, b])
        return [(a, b) for a, b in merged]

    def glue_heading(self, pieces: list[tuple[int, int]], head_end: int) -> list[tuple[int, int]]:
        """The heading's pieces joined to the start of the body after it, cut to fit if need be."""
        k = 0
        while k < len(pieces) and pieces[k][1] <= head_end:
            k += 1
        if k == 0 or k == len(pieces):
            return pieces
        head, (a, b) = pieces[0][0], pieces[k]
        if self.fits(head, b):
            return [(head, b)] + pieces[k + 1:]
        cut = self.cut_point(head, a, b, inside_words=False)
        if cut is None:
            return pieces
        rest = trim_span(self.text, cut, b)
        return [(head, cut)] + ([rest] if rest[1] > rest[0] else []) + pieces[k + 1:]

    def split_long(self, a: int, b: int) -> list[tuple[int, int]]:
        """A unit over the bounds: split at sentence ends, then at words, then inside a word."""
        out: list[tuple[int, int]] = []
        for s, e in all_sentences(self.text, a, b):
            while s < e:
                if self.fits(s, e):
                    out.append((s, e))
                    break
                cut = self.cut_point(s, s, e, inside_words=True)
                out.append((s, cut))
                s = trim_span(self.text, cut, e)[0]
        return out

    def cut_point(self, a: int, lo: int, hi: int, inside_words: bool) -> int | None:
        """The furthest end in (lo, hi] such that text[a:end] fits: a word end if any fits, else
        (``inside_words``) any character. Binary searches over at most ``max_chars`` characters."""
        stop = min(hi, a + self.settings.max_chars)
        ends = [m.end() for m in _WORD_RUN.finditer(self.text, lo, stop)]
        if ends and ends[-1] == stop and stop < hi and not self.text[stop].isspace():
            ends.pop()   # the window cut this word short: not a word end
        best = _last_true(ends, lambda p: self.fits(a, p))
        if best is not None:
            return best
        if not inside_words:
            return None
        positions = range(lo + 1, stop + 1)
        return _last_true(positions, lambda p: self.fits(a, p)) or lo + 1


def _last_true(seq, ok) -> int | None:
    """The last item of ``seq`` for which ``ok`` holds, given that ``ok`` is true then false."""
    lo, hi, best = 0, len(seq) - 1, None
    while lo <= hi:
        mid = (lo + hi) // 2
        if ok(seq[mid]):
            best, lo = seq[mid], mid + 1
        else:
            hi = mid - 1
    return best
