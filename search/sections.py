"""Find the implicit headings of a plain-text document and the section path of every offset.

Text converted from PDFs and web pages has no markup, so headings are recognised by shape:

- numbered lines: ``4. Health – fit for the 21st century``, ``3.2 What Is Wrong?``, ``a) More competition``
- labelled lines: ``Theme 2. ...``, ``Question C4: ...``, ``Witness 3 ...``, ``Session One: ...``, ``Q1. ...``
- numbered entries that own an indented body (reader comments in a blog post)
- short title-like lines that stand alone: ``Direction of travel``, ``Seminar Report``, ``INVITED GUESTS``
- Markdown ``#`` headings

and rejected when they are a table of contents (a page number after a tab), a list item (a
numbered line next to others, a sentence, or out of sequence; labelled lines listed one after
another with no text of their own), a lead-in ending with a colon, a date, a URL or the wrapped
tail of a paragraph.

Nesting follows reStructuredText's rule: a heading of a style already open closes back to it;
a new style opens a level below. Numbered sequences nest by their numbers.

    >>> [h.path for h in detect_headings("1. Scope\\n\\nText.\\n\\n1.1 Who pays\\n\\nMore.\\n\\n2. Plan\\n\\nEnd.\\n")]
    [('1. Scope',), ('1. Scope', '1.1 Who pays'), ('2. Plan',)]
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from .model import Heading, Outline
from .patterns import BULLET_CLASS, shorten_heading

OUTLINE_VERSION = 2   # bump when detection changes: a build then sections (and embeds) every document again
MAX_TITLE_WORDS = 14
MAX_TITLE_CHARS = 100

_BULLET = re.compile(rf"^{BULLET_CLASS}\s")
_MD = re.compile(r"^(#{1,6})\s+(\S.*?)\s*#*\s*$")
_MULTI = re.compile(r"^(\d{1,3}(?:\.\d{1,3})+)\.?\s+(\S.*)$")
_SINGLE = re.compile(r"^\(?(\d{1,3}|[a-zA-Z])([.)])\s+(\S.*)$")
_NUMBER_WORDS = ("one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
                 "fifteen sixteen seventeen eighteen nineteen twenty").split()
_LABEL = re.compile(
    r"^([A-Z][a-z]{2,15}\s+|Q\s?)([A-Z]{0,2}\d{1,3}[a-z]?|(?:%s))(?![\d,])(\s*[.:)\-–—]\s*|\s+(?=[A-Z\"'‘“(])|\s*$)"
    % "|".join(w.capitalize() for w in _NUMBER_WORDS))
# Words that start ordinary sentences with a number ("In 2005 the ...", "Over 300 Staff ...").
_NOT_LABELS = set("""in on at by for over under with from about since until after before during of to the
and but only some all around nearly almost approximately just every each about than up down into per
between among across page see table figure""".split())
_MONTHS = ("january|february|march|april|may|june|july|august|september|october|november|december|"
           "jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec")
_DATE = re.compile(r"^((monday|tuesday|wednesday|thursday|friday|saturday|sunday),?\s+)?(\d{1,2}(st|nd|rd|th)?\s+)?"
                   r"(%s)\.?\s+(\d{1,2}(st|nd|rd|th)?,?\s+)?\d{4}$" % _MONTHS, re.I)
_URL = re.compile(r"(https?://|www\.|\S+@\S+\.\w+)", re.I)
_ENDS_SENTENCE = re.compile(r"[.!?:;\"”’')\]]\s*$")


@dataclass
class _Line:
    no: int          # 1-based line number
    start: int       # offset of the first character
    end: int         # offset after the last character (before the newline)
    raw: str

    @property
    def text(self) -> str:
        return self.raw.strip()

    @property
    def blank(self) -> bool:
        return not self.raw.strip()

    @property
    def indent(self) -> int:
        return len(self.raw) - len(self.raw.lstrip(" \u00a0"))


@dataclass
class _Candidate:
    index: int                # position in the line list
    family: str               # style family: "title", "caps", "md", "dec", "label:theme", "seq:<style>"
    rank: int = 0             # depth within a ranked family (md levels, 3.2.1 numbering)
    style: str = ""           # numbering style for sequences, e.g. "1." or "a)"
    number: int = 0           # position in its sequence
    entry: bool = False       # numbered line owning an indented body
    text: str = ""
    end_index: int = 0        # last line of the heading block


def split_lines(text: str) -> list[_Line]:
    lines, pos = [], 0
    for no, raw in enumerate(text.split("\n"), start=1):
        lines.append(_Line(no, pos, pos + len(raw), raw.rstrip("\r")))
        pos += len(raw) + 1
    return lines


def _title_like(s: str) -> bool:
    words = s.split()
    if not words or len(words) > MAX_TITLE_WORDS or len(s) > MAX_TITLE_CHARS:
        return False
    if s.endswith((":-", ":–")):
        return True
    if s[-1] in ".,;:" or "\t" in s or _URL.search(s) or _DATE.match(s):
        return False
    first = next((c for c in s if c.isalnum()), "")
    if not first or (first.isalpha() and not first.isupper()):
        return False
    return sum(1 for w in words if re.search(r"[A-Za-z]{2}", w)) >= 1


def _number_value(token: str) -> int:
    if token.isdigit():
        return int(token)
    return ord(token.lower()) - ord("a") + 1


def _classify(lines: list[_Line], i: int) -> _Candidate | None:
    """Say what kind of heading line i could be, judging by the line and its neighbours only."""
    line = lines[i]
    s = line.text
    if not s or "\t" in line.raw.strip() or _BULLET.match(s) or _DATE.match(s):
        return None
    prev = lines[i - 1] if i > 0 else None
    nxt = lines[i + 1] if i + 1 < len(lines) else None
    md = _MD.match(s)
    if md:
        return _Candidate(i, "md", rank=len(md.group(1)), text=md.group(2))
    # A heading starts a paragraph: the line before is blank or ends a sentence.
    if prev is not None and not prev.blank and prev.indent <= line.indent and not _ENDS_SENTENCE.search(prev.text):
        return None
    if nxt is not None and not nxt.blank and re.match(r"^[a-z]", nxt.text) and not _LABEL.match(s):
        return None
    multi = _MULTI.match(s)
    if multi and _title_like(multi.group(2)) and not _in_list(lines, i, _MULTI):
        return _Candidate(i, "dec", rank=multi.group(1).count(".") + 1, text=s)
    single = _SINGLE.match(s)
    if single:
        token, delim, rest = single.groups()
        if token.isalpha() and token.upper() in "IVX" and token.isupper():
            return None  # roman numerals are too easy to confuse with letters
        style = ("1" if token.isdigit() else ("a" if token.islower() else "A")) + delim
        cand = _Candidate(i, "seq:" + style, style=style, number=_number_value(token), text=s)
        if token.isdigit() and _owns_body(lines, i):
            cand.entry = True
            return cand
        if _in_list(lines, i, _SINGLE) or not _title_like(rest):
            return None
        return cand
    label = _LABEL.match(s)
    if label and label.group(1).strip().lower() not in _NOT_LABELS and len(s) <= 400:
        if label.group(1) == "Q" and not label.group(2).isdigit():
            return None   # "Q" and a number ("Q1.", "Q 12:") label a question; "QA" is something else
        return _Candidate(i, "label:" + label.group(1).strip().lower(), text=s)
    if prev is not None and not prev.blank and nxt is not None and not nxt.blank:
        # A short line wedged between two others is a heading only if it looks like one strongly.
        if not (s.endswith((":-", ":–")) or s.isupper()):
            return None
    if not _title_like(s):
        return None
    if nxt is not None and not nxt.blank and _title_like(nxt.text) and not _SINGLE.match(nxt.text):
        return None  # a block of short lines: an address, a signature, a multi-line cover title
    letters = [c for c in s if c.isalpha()]
    family = "caps" if len(letters) > 1 and all(c.isupper() for c in letters) else "title"
    return _Candidate(i, family, text=s)


def _in_list(lines: list[_Line], i: int, pattern: re.Pattern) -> bool:
    """A numbered line with another numbered line or bullet right next to it is a list item."""
    for j in (i - 1, i + 1):
        if 0 <= j < len(lines) and not lines[j].blank:
            t = lines[j].text
            if pattern.match(t) or _BULLET.match(t) or "\t" in t:
                return True
    return False


def _owns_body(lines: list[_Line], i: int) -> bool:
    """A numbered entry followed, after a blank line, by text indented deeper than its number."""
    j = i + 1
    if j >= len(lines) or not lines[j].blank:
        return False
    while j < len(lines) and lines[j].blank:
        j += 1
    return j < len(lines) and lines[j].indent > lines[i].indent and not _SINGLE.match(lines[j].text)


def _extend_block(lines: list[_Line], cand: _Candidate) -> None:
    """Long labelled headings may wrap: take lower-case continuation lines into the heading."""
    j = cand.index
    if cand.family.startswith(("label:", "seq:")):
        while j + 1 < len(lines) and not lines[j + 1].blank and re.match(r"^[a-z]", lines[j + 1].text):
            j += 1
            cand.text += " " + lines[j].text
    cand.end_index = j


def _label_runs(lines: list[_Line], cands: list[_Candidate]) -> set[int]:
    """Positions of labelled lines listed one after another with nothing between them.

    "Recommendation 1: ..." then "Recommendation 2: ..." with no text of their own are items of a
    list, not sections: as headings their words would be dropped as empty sections.
    """
    items = set()
    for k in range(len(cands) - 1):
        a, b = cands[k], cands[k + 1]
        if a.family.startswith("label:") and a.family == b.family and \
                all(lines[j].blank for j in range(a.end_index + 1, b.index)):
            items.update((k, k + 1))
    return items


def _candidates(lines: list[_Line]) -> list[_Candidate]:
    found: list[_Candidate] = []
    body_indent = None  # inside a numbered entry's body, nothing deeper is a heading
    for i, line in enumerate(lines):
        if line.blank:
            continue
        if body_indent is not None:
            if line.indent > body_indent:
                continue
            body_indent = None
        cand = _classify(lines, i)
        if cand is None:
            continue
        _extend_block(lines, cand)
        if cand.entry:
            body_indent = line.indent
        found.append(cand)
    items = _label_runs(lines, found)
    return [c for k, c in enumerate(found) if k not in items]


def _sequence_ok(cands: list[_Candidate], k: int) -> bool:
    """A sequence that starts at 1 must go on to 2 before another 1 of its style restarts it."""
    c = cands[k]
    for later in cands[k + 1:]:
        if later.style == c.style:
            return later.number == 2 and later.entry == c.entry
    return False


def detect_headings(text: str) -> list[Heading]:
    """Every heading of the document, in order, each with its full section path."""
    lines = split_lines(text)
    cands = _candidates(lines)
    stack: list[_Candidate] = []
    headings: list[Heading] = []
    seen_sequence = False
    top: _Candidate | None = None  # latest heading of the document's top-level numbered sequence
    styles_inside_numbers: set[str] = set()
    last_end = -1
    for k, c in enumerate(cands):
        body_since_last = any(not lines[j].blank for j in range(last_end + 1, c.index))
        if c.style:
            # A numbered heading continues an open sequence, or starts a new one at 1.
            at = next((d for d in range(len(stack) - 1, -1, -1)
                       if stack[d].style == c.style and stack[d].number == c.number - 1), None)
            if at is not None:
                c.family = stack[at].family
                del stack[at:]
            elif top is not None and top.style == c.style and top.number == c.number - 1:
                c.family = top.family  # the top-level sequence goes on after unnumbered sections closed it
                stack.clear()
            elif c.number == 1 and _sequence_ok(cands, k):
                if not seen_sequence and c.style[0] == "1":
                    stack.clear()  # the document's first numbered sequence is its top level
                seen_sequence = seen_sequence or c.style[0] == "1"
                c.family = f"seq:{c.style}:{k}"
            else:
                continue
        else:
            same = next((d for d, e in enumerate(stack) if e.family == c.family and e.rank >= c.rank), None)
            if same is not None:
                del stack[same:]
            elif (body_since_last and stack and stack[0].style and c.family not in styles_inside_numbers
                  and c.family == "title"):
                stack.clear()  # an unnumbered heading never seen inside a numbered section ends them
            if stack and stack[0].style:
                styles_inside_numbers.add(c.family)
        stack.append(c)
        if c.style and len(stack) == 1:
            top = c
        last_end = c.end_index
        path = tuple(shorten_heading(e.text) for e in stack)
        first, last = lines[c.index], lines[c.end_index]
        headings.append(Heading(first.start + first.indent, last.end, first.no, path[-1], path))
    return headings


def detect_outline(text: str) -> Outline:
    """The outline of a plain-text document, from the headings its lines' shapes give."""
    return Outline(tuple(detect_headings(text)))
