"""Text of PDF lines as a reader sees it: ligatures as letters, unmapped glyphs dropped, and the
lines of a paragraph joined with words hyphenated at a line end mended::

    >>> clean_glyphs("\ufb02ood (cid:3)defence")
    'flood defence'
    >>> join_lines(["keep rents afford-", "able and long-", "term"], set())
    'keep rents affordable and long-term'

Linear in the text: each regular expression runs over one line or a bounded tail of it.
"""
from __future__ import annotations

import re
import unicodedata

from ..patterns import CONTROL, squash

LIGATURES = "\ufb00\ufb01\ufb02\ufb03\ufb04\ufb05\ufb06"   # ﬀ ﬁ ﬂ ﬃ ﬄ ﬅ ﬆ
_LIGATURE = re.compile(f"[{LIGATURES}]")
_CID = re.compile(r"\(cid:\d{1,6}\)")
_LEADING_CID = re.compile(r"^\s*\(cid:\d{1,6}\)\s+")
# Left halves of compounds that stay hyphenated when a line breaks at their hyphen ("long-⏎term").
COMPOUND_HEADS = frozenset(
    "self well non cross long short full part high low half one two three four five six seven eight nine ten "
    "twenty thirty forty fifty hundred year day week month all ill so co ex".split())


def clean_glyphs(text: str) -> str:
    """Ligature glyphs as letters (NFKC on those only), control characters as spaces, and glyphs
    with no Unicode mapping (pdfminer's "(cid:127)") dropped, or read as a bullet at a line start."""
    text = _LIGATURE.sub(lambda m: unicodedata.normalize("NFKC", m.group()), text)
    if "(cid:" in text:
        text = _CID.sub("", _LEADING_CID.sub("\u2022 ", text, count=1))
    return CONTROL.sub(" ", text)


def is_bold_font(fontname: str) -> bool:
    name = fontname.split("+", 1)[-1].lower()
    return any(w in name for w in ("bold", "black", "heavy", "semibold", "demi")) or name.endswith((",b", "-b"))


def join_lines(texts: list[str], vocabulary: set[str]) -> str:
    """The lines of one paragraph as one line; a word hyphenated at a line end is joined
    ("afford-" + "able" -> "affordable") unless it reads as a real compound ("long-" + "term",
    "Anglo-" + "Saxon", or the hyphenated form appears elsewhere in the document)."""
    return joined_with_starts(texts, vocabulary)[0]


def joined_with_starts(texts: list[str], vocabulary: set[str]) -> tuple[str, list[int]]:
    """``join_lines``, and where each line's text starts in the result."""
    parts: list[str] = []
    starts: list[int] = []
    length = 0
    for text in texts:
        text = squash(text)
        if not text:
            starts.append(length)
            continue
        if parts:
            tail = parts[-1]
            m = re.search(r"([^\W\d_]+)([-\u2010\u00ad])$", tail[-60:])
            first = re.match(r"[^\W\d_]+", text)
            if m and first:
                left, right = m.group(1), first.group()
                joined = (left + right).lower()
                keep = m.group(2) != "\u00ad" and (
                    not right[0].islower() or left.lower() in COMPOUND_HEADS
                    or (f"{left}-{right}".lower() in vocabulary and joined not in vocabulary))
                if not keep:
                    parts[-1] = tail[:-1]
                    length -= 1
            else:
                parts.append(" ")
                length += 1
        starts.append(length)
        parts.append(text)
        length += len(text)
    out = "".join(parts)
    if "\u00ad" in out:       # soft hyphens inside lines are invisible; offsets after them shift
        starts = [start - out.count("\u00ad", 0, start) for start in starts]
        out = out.replace("\u00ad", "")
    return out, starts


def vocabulary_of(texts: list[str]) -> set[str]:
    """Lower-case words and hyphenated compounds as they appear within lines (not across breaks)."""
    words: set[str] = set()
    for text in texts:
        words.update(re.findall(r"[^\W\d_]+(?:-[^\W\d_]+)*", text.lower()))
        words.update(re.findall(r"[^\W\d_]+", text.lower()))
    return words
