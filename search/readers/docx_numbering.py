"""The numbers Word shows before numbered headings and list items ("3.2", "a)"), which are not
in the document's text but in ``word/numbering.xml``.

``Numbering`` reads the numbering definitions once and counts as the body is walked::

    numbers = Numbering(document)
    numbers.label(p, style_numbering)   # "1.", then "1.1" ... for each numbered paragraph in order;
                                        # "" for bullets, unnumbered paragraphs and unknown formats

Counters follow Word's rules closely enough for reports: one counter set per abstract
numbering, a level counting up from its start value, deeper levels restarting after it.
"""
from __future__ import annotations

import re

from .docx_text import W

_ROMAN = ((1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc"), (50, "l"), (40, "xl"),
          (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i"))
MAX_LEVELS = 9


def _roman(n: int) -> str:
    out = []
    for value, letters in _ROMAN:
        while n >= value:
            out.append(letters)
            n -= value
    return "".join(out)


def _letters(n: int) -> str:
    return chr(ord("a") + (n - 1) % 26) * ((n - 1) // 26 + 1) if n > 0 else ""


def formatted(n: int, fmt: str) -> str:
    """``n`` in Word's number format ``fmt`` (decimal, lowerLetter, upperRoman ...)."""
    if fmt in ("lowerLetter", "upperLetter"):
        text = _letters(n)
        return text.upper() if fmt == "upperLetter" else text
    if fmt in ("lowerRoman", "upperRoman"):
        text = _roman(min(n, 3999))
        return text.upper() if fmt == "upperRoman" else text
    if fmt == "decimalZero":
        return f"{n:02d}"
    return str(n)


def _val(element, tag: str, default: str = "") -> str:
    found = element.find(W + tag) if element is not None else None
    return found.get(W + "val", default) if found is not None else default


class Numbering:
    """Numbering definitions of a document and the counters of a walk through its body."""

    def __init__(self, document):
        self._levels: dict[str, dict[int, tuple[int, str, str]]] = {}   # abstract id -> ilvl -> (start, fmt, text)
        self._nums: dict[str, tuple[str, dict[int, int]]] = {}          # numId -> (abstract id, start overrides)
        self._counters: dict[str, list[int]] = {}
        try:
            root = document.part.numbering_part.element
        except Exception:      # no numbering part: nothing is numbered
            return
        for abstract in root.iter(W + "abstractNum"):
            levels = {}
            for lvl in abstract.iter(W + "lvl"):
                ilvl = int(lvl.get(W + "ilvl", "0") or 0)
                start = _val(lvl, "start", "1")
                levels[ilvl] = (int(start) if start.isdigit() else 1, _val(lvl, "numFmt", "decimal"),
                                _val(lvl, "lvlText", ""))
            self._levels[abstract.get(W + "abstractNumId", "")] = levels
        for num in root.iter(W + "num"):
            overrides = {}
            for override in num.iter(W + "lvlOverride"):
                start = _val(override, "startOverride")
                if start.isdigit():
                    overrides[int(override.get(W + "ilvl", "0") or 0)] = int(start)
            self._nums[num.get(W + "numId", "")] = (_val(num, "abstractNumId"), overrides)

    def label(self, p, style_num: tuple[str, int] | None = None) -> str:
        """The number Word shows before paragraph ``p`` ("2.1", "(b)"), counting it; "" when it
        has none or is a bullet. ``style_num`` is (numId, ilvl) from the paragraph's style."""
        num_id, ilvl = self.reference(p, style_num)
        if not num_id or num_id == "0" or num_id not in self._nums:
            return ""
        abstract, overrides = self._nums[num_id]
        levels = self._levels.get(abstract, {})
        if ilvl not in levels:
            return ""
        counters = self._counters.setdefault(abstract, [0] * MAX_LEVELS)
        start = overrides.get(ilvl, levels[ilvl][0])
        counters[ilvl] = counters[ilvl] + 1 if counters[ilvl] else start
        for deeper in range(ilvl + 1, MAX_LEVELS):
            counters[deeper] = 0
        _, fmt, text = levels[ilvl]
        if fmt in ("bullet", "none") or not text:
            return ""

        def number(m: re.Match) -> str:
            k = int(m.group(1)) - 1
            if not 0 <= k < MAX_LEVELS:
                return ""
            value = counters[k] or overrides.get(k, levels.get(k, (1, "decimal", ""))[0])
            return formatted(value, levels.get(k, (1, "decimal", ""))[1])

        return re.sub(r"%([1-9])", number, text).strip()

    @staticmethod
    def reference(p, style_num: tuple[str, int] | None) -> tuple[str, int]:
        """(numId, ilvl) of paragraph ``p``: its own numPr, else its style's."""
        props = p.find(W + "pPr")
        own = props.find(W + "numPr") if props is not None else None
        num_id, ilvl = style_num or ("", 0)
        if own is not None:
            num_id = _val(own, "numId", num_id)
            level = _val(own, "ilvl")
            ilvl = int(level) if level.isdigit() else ilvl
        return num_id, min(ilvl, MAX_LEVELS - 1)
