"""Sentences of a passage: the units an answer highlight is chosen from.

A unit is a sentence of body text. Headings, list items and bullet lines are units of their own,
so a heading without a full stop never runs into the sentence after it; and heading lines are
left out of ``sentence_spans`` when body text follows them, so an answer highlight is never a
heading. Which lines are headings comes from the outline ``chunk.chunk_text`` used for that very
text (remembered here), else from ``sections.detect_headings``.

    >>> text = "Key findings\\nFees rose 7% this year. They fell e.g. in 2010.\\n- Keep services local"
    >>> [text[a:b] for a, b in sentence_spans(text, 0, len(text))]
    ['Fees rose 7% this year.', 'They fell e.g. in 2010.', '- Keep services local']

Every scan is one pass: the sentence-end pattern only starts at the first of a run of stops,
and each white-space run after a stop is read once, so 100 KB of dots takes linear time.
"""
from __future__ import annotations

import bisect
import re

from .patterns import BULLET_CLASS

MAX_SENTENCES = 16        # more units in one passage are grouped, so no passage costs more embeddings
MAX_LEAD_WORDS = 8        # a line this short without a stop, before a capitalised line, stands alone
_ABBREVIATIONS = {"e.g", "i.e", "etc", "mr", "mrs", "ms", "dr", "st", "no", "vs", "cf", "prof", "inc", "ltd", "co", "al"}
_SENTENCE_END = re.compile(r"(?<![.!?…])[.!?…]+[\"”’')\]]*(?=\s)")
_LAST_WORD = re.compile(r"(\w+)[.!?…]*$")
_NEXT_VISIBLE = re.compile(r"\s*(\S)")
_ALNUM = re.compile(r"[^\W_]")
_ITEM = re.compile(rf"^(?:{BULLET_CLASS}\s|\(?\d{{1,3}}[.)]\s|\(?[a-z][.)]\s|#)")
_ENDS = frozenset(".!?…:;\"”’')]")
_WRAP_WORDS = frozenset("the a an of to and or in on for with by at from as that which our their its".split())
def trim_span(text: str, a: int, b: int) -> tuple[int, int]:
    """(a, b) moved inwards past white space at both ends."""
    while a < b and text[a].isspace():
        a += 1
    while b > a and text[b - 1].isspace():
        b -= 1
    return a, b


def line_units(text: str, start: int, end: int, breaks: set[int] = frozenset()) -> list[tuple[int, int]]:
    """Runs of lines of text[start:end] that form one unit: split at blank lines, list items, bullets,
    short lines without a stop before a capitalised line, and at the offsets in ``breaks``."""
    units: list[list[int]] = []
    pos, prev, after_blank = start, "", True   # prev: the unit's first line while it has only one
    while pos < end:
        nl = text.find("\n", pos, end)
        line_end = end if nl == -1 else nl
        a, b = trim_span(text, pos, line_end)
        if a == b:
            after_blank = True
        else:
            first = text[a]
            lead = prev and prev[-1] not in _ENDS and (first.isupper() or first.isdigit()) and \
                len(prev.split(None, MAX_LEAD_WORDS)) <= MAX_LEAD_WORDS and \
                prev.rsplit(None, 1)[-1].lower() not in _WRAP_WORDS
            if after_blank or not units or pos in breaks or a in breaks or lead or _ITEM.match(text[a:min(b, a + 6)]):
                units.append([a, b])
                prev = text[a:b] if b - a <= 200 else ""
            else:
                units[-1][1] = b
                prev = ""
            after_blank = False
        pos = line_end + 1
    return [(a, b) for a, b in units]


def split_sentences(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Sentence boundaries within one unit text[start:end], white space trimmed; covers all its text."""
    spans, cur = [], start
    for m in _SENTENCE_END.finditer(text, start, end):
        word = _LAST_WORD.search(text, max(start, m.start() - 12), m.start() + 1)
        if m.group().startswith(".") and word and word.group(1).lower() in _ABBREVIATIONS:
            continue
        lead = text[cur:m.start()].strip()
        if len(lead) <= 3 and lead.strip("(").isalnum():
            continue   # the number or letter of a list item: "1. ...", "(b) ..."
        nxt = _NEXT_VISIBLE.match(text, m.end(), end)
        if nxt and nxt.group(1).islower():
            continue
        spans.append((cur, m.end()))
        cur = m.end()
    spans.append((cur, end))
    return [s for s in (trim_span(text, a, b) for a, b in spans) if s[1] > s[0]]


def all_sentences(text: str, start: int, end: int, breaks: set[int] = frozenset()) -> list[tuple[int, int]]:
    """Every unit's sentences in text[start:end]: together they hold all its visible text."""
    return [s for a, b in line_units(text, start, end, breaks) for s in split_sentences(text, a, b)]


def sentence_spans(text: str, start: int, end: int, headings=None) -> list[tuple[int, int]]:
    """The sentences of text[start:end] an answer may be: body units, heading lines left out.

    ``headings``: the document's headings in order (objects with ``start`` and ``end``, as
    ``Outline.headings``); None detects them from the text's lines. Units without a letter or
    digit are left out; more than ``MAX_SENTENCES`` are grouped.
    """
    if headings is None:
        from .sections import detect_headings

        headings = detect_headings(text)
    starts, ends = [h.start for h in headings], [h.end for h in headings]
    i = bisect.bisect_left(ends, start + 1)
    inside = []   # heading ranges that overlap the span
    while i < len(starts) and starts[i] < end:
        inside.append((starts[i], ends[i]))
        i += 1
    breaks = {p for a, b in inside for p in (a, b + 1)}
    spans = [(a, b) for a, b in all_sentences(text, start, end, breaks) if _has_word(text, a, b)]
    heads = [h for h, _ in inside]
    body = [(a, b) for a, b in spans if not _within(inside, heads, a, b)]
    spans = body or spans
    if len(spans) > MAX_SENTENCES:
        size = -(-len(spans) // MAX_SENTENCES)
        spans = [(spans[k][0], spans[min(k + size, len(spans)) - 1][1]) for k in range(0, len(spans), size)]
    return spans


def _within(ranges: list[tuple[int, int]], starts: list[int], a: int, b: int) -> bool:
    """Whether [a, b) lies inside one of the sorted, disjoint ``ranges`` (``starts``: their starts)."""
    k = bisect.bisect_right(starts, a) - 1
    return k >= 0 and b <= ranges[k][1]


def _has_word(text: str, a: int, b: int) -> bool:
    return _ALNUM.search(text, a, b) is not None
