"""Find the implicit headings of a plain-text document and the section path of every offset.

Text converted from PDFs and web pages has no markup, so headings are recognised by shape:

- numbered lines: ``4. Health – fit for the 21st century``, ``3.2 What Is Wrong?``, ``a) More competition``
- labelled lines: ``Theme 2. ...``, ``Question C4: ...``, ``Witness 3 ...``, ``Session One: ...``, ``Q1. ...``
- annexes: ``Annex A: ...``, ``Appendix 2 – ...``, ``Schedule 1``, ``Annex: Workshop participants``
- numbered entries that own an indented body (reader comments in a blog post)
- short title-like lines that stand alone: ``Direction of travel``, ``Seminar Report``, ``INVITED GUESTS``
- Markdown ``#`` headings

and rejected when they are a contents entry, a caption (``Table 1: ...``, ``Figure 2 – ...``), a
list item (a numbered line next to others, a sentence, or out of sequence; labelled lines listed
one after another with no text of their own), a lead-in ending with a colon, a date or dateline
(``Nottingham, 14 June 2012``), a sign-off and the signature block after it, a URL or the
wrapped tail of a paragraph.

Nesting follows reStructuredText's rule: a heading of a style already open closes back to it;
a new style opens a level below. Numbered sequences nest by their numbers. When the document has
a contents list (``contents.py``), a heading listed there takes the list's level and one not
listed nests under the listed heading before it. Depth and count are capped (``DocumentLimits``).

    >>> [h.path for h in detect_headings("1. Scope\\n\\nText.\\n\\n1.1 Who pays\\n\\nMore.\\n\\n2. Plan\\n\\nEnd.\\n")]
    [('1. Scope',), ('1. Scope', '1.1 Who pays'), ('2. Plan',)]

Every rule looks at a line and its neighbours only, with anchored, bounded patterns, and the
passes over the lines are single: time is linear in the text.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from .contents import find_contents, heading_key
from .model import Heading, Outline
from .nesting import Nesting
from .patterns import ANNEX, BULLET_CLASS, CAPTION, SIGN_OFF, is_dateline, shorten_heading

OUTLINE_VERSION = 5   # bump when detection changes: a build then sections (and embeds) every document again
MAX_TITLE_WORDS = 14
MAX_TITLE_CHARS = 100
MAX_HEADING_LINE = 400    # a longer line is body text (Markdown headings aside)
MAX_WRAPPED_LINES = 3     # continuation lines a labelled heading may take

_BULLET = re.compile(rf"^{BULLET_CLASS}\s")
_MD_MARKS = re.compile(r"#{1,6}(?=[ \t])")
_MULTI = re.compile(r"^(\d{1,3}(?:\.\d{1,3})+)\.? (\S.*)$")
_SINGLE = re.compile(r"^\(?(\d{1,3}|[a-zA-Z])([.)]) (\S.*)$")
_NUMBER_WORDS = ("one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
                 "fifteen sixteen seventeen eighteen nineteen twenty").split()
_LABEL = re.compile(
    r"^([A-Z][a-z]{2,15} |Q ?)([A-Z]{0,2}\d{1,3}[a-z]?|(?:%s))(?![\d,])( ?[.:)\-–—] ?| (?=[A-Z\"'‘“(])|$)"
    % "|".join(w.capitalize() for w in _NUMBER_WORDS))
# Words that start ordinary sentences with a number ("In 2005 the ...", "Over 300 Staff ...").
_NOT_LABELS = set("""in on at by for over under with from about since until after before during of to the
and but only some all around nearly almost approximately just every each about than up down into per
between among across page see table figure chart graph box map diagram exhibit plate panel""".split())
_URL = re.compile(r"https?://|www\.|(?<![^\s@])[^\s@]+@[^\s@.]+\.\w", re.I)
_SENTENCE_CLOSERS = frozenset(".!?:;\"”’')]")
_HAS_LETTERS = re.compile(r"[A-Za-z]{2}")


@dataclass
class _Line:
    no: int          # 1-based line number
    start: int       # offset of the first character
    end: int         # offset after the last character (before the newline)
    raw: str
    text: str = ""   # stripped
    flat: str = ""   # stripped, white space squashed (what the patterns read)
    indent: int = 0
    next_text: int = 0   # the first non-blank line at or after this one (len(lines) if none)

    @property
    def blank(self) -> bool:
        return not self.text


@dataclass
class _Candidate:
    index: int                # position in the line list
    family: str               # style family: "title", "caps", "md", "dec", "annex", "label:theme", "seq:<style>"
    rank: int = 0             # depth within a ranked family (md levels, 3.2.1 numbering)
    style: str = ""           # numbering style for sequences, e.g. "1." or "a)"
    number: int = 0           # position in its sequence
    entry: bool = False       # numbered line owning an indented body
    text: str = ""
    end_index: int = 0        # last line of the heading block


def split_lines(text: str) -> list[_Line]:
    lines, pos = [], 0
    for no, whole in enumerate(text.split("\n"), start=1):
        raw = whole.rstrip("\r")
        stripped = raw.strip()
        flat = " ".join(stripped.split())
        lines.append(_Line(no, pos, pos + len(raw), raw, stripped, flat, len(raw) - len(raw.lstrip(" \u00a0"))))
        pos += len(whole) + 1
    after = len(lines)
    for line in reversed(lines):   # one pass back: no run of blank lines is ever scanned twice
        if not line.blank:
            after = line.no - 1
        line.next_text = after
    return lines


def _title_like(s: str) -> bool:
    if not s or len(s) > MAX_TITLE_CHARS:
        return False
    words = s.split()
    if len(words) > MAX_TITLE_WORDS:
        return False
    if s.endswith((":-", ":–")):
        return True
    if s[-1] in ".,;:" or "\t" in s or _URL.search(s) or is_dateline(s):
        return False
    first = next((c for c in s if c.isalnum()), "")
    if not first or (first.isalpha() and not first.isupper()):
        return False
    return any(_HAS_LETTERS.search(w) for w in words)


def _markdown(s: str) -> tuple[int, str] | None:
    """(level, text) of an ATX heading line ``## Title ##``, parsed without a backtracking pattern."""
    m = _MD_MARKS.match(s)
    if not m:
        return None
    rest = s[m.end():].strip()
    closed = rest.rstrip("#")
    if closed != rest and (not closed or closed[-1] in " \t"):
        rest = closed.rstrip()
    return (len(m.group()), rest) if rest else None


def _number_value(token: str) -> int:
    if token.isdigit():
        return int(token)
    return ord(token.lower()) - ord("a") + 1


def _classify(lines: list[_Line], i: int) -> _Candidate | None:
    """Say what kind of heading line i could be, judging by the line and its neighbours only."""
    line = lines[i]
    s = line.flat
    if not s or "\t" in line.text or _BULLET.match(s):
        return None
    md = _markdown(s) if s[0] == "#" else None
    if md:
        return _Candidate(i, "md", rank=md[0], text=md[1])
    if len(s) > MAX_HEADING_LINE:   # body text, unless a numbered entry owning an indented body
        single = _SINGLE.match(s)
        if single and single.group(1).isdigit() and _owns_body(lines, i):
            return _Candidate(i, "seq:1" + single.group(2), style="1" + single.group(2),
                              number=int(single.group(1)), entry=True, text=s)
        return None
    if CAPTION.match(s) or is_dateline(s):
        return None
    prev = lines[i - 1] if i > 0 else None
    nxt = lines[i + 1] if i + 1 < len(lines) else None
    # A heading starts a paragraph: the line before is blank or ends a sentence.
    if prev is not None and not prev.blank and prev.indent <= line.indent and prev.text[-1] not in _SENTENCE_CLOSERS:
        return None
    if ANNEX.match(s) and len(s) <= MAX_TITLE_CHARS * 2 and s[-1] not in ".,;":
        return _Candidate(i, "annex", text=s)
    label = _LABEL.match(s)
    if nxt is not None and not nxt.blank and nxt.text[0].islower() and nxt.text[0].isalpha() and not label:
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
    if label and label.group(1).strip().lower() not in _NOT_LABELS:
        if label.group(1) == "Q" and not label.group(2).isdigit():
            return None   # "Q" and a number ("Q1.", "Q 12:") label a question; "QA" is something else
        return _Candidate(i, "label:" + label.group(1).strip().lower(), text=s)
    if prev is not None and not prev.blank and nxt is not None and not nxt.blank:
        # A short line wedged between two others is a heading only if it looks like one strongly.
        if not (s.endswith((":-", ":–")) or s.isupper()):
            return None
    if not _title_like(s):
        return None
    if nxt is not None and not nxt.blank and _title_like(nxt.flat) and not _SINGLE.match(nxt.flat):
        return None  # a block of short lines: an address, a signature, a multi-line cover title
    letters = [c for c in s if c.isalpha()]
    family = "caps" if len(letters) > 1 and all(c.isupper() for c in letters) else "title"
    return _Candidate(i, family, text=s)


def _in_list(lines: list[_Line], i: int, pattern: re.Pattern) -> bool:
    """A numbered line with another numbered line or bullet right next to it is a list item."""
    for j in (i - 1, i + 1):
        if 0 <= j < len(lines) and not lines[j].blank:
            t = lines[j].flat
            if pattern.match(t) or _BULLET.match(t) or "\t" in lines[j].text:
                return True
    return False


def _owns_body(lines: list[_Line], i: int) -> bool:
    """A numbered entry followed, after blank lines, by text indented deeper than its number."""
    if i + 1 >= len(lines) or not lines[i + 1].blank:
        return False
    j = lines[i + 1].next_text
    return j < len(lines) and lines[j].indent > lines[i].indent and not _SINGLE.match(lines[j].flat)


def _extend_block(lines: list[_Line], cand: _Candidate) -> None:
    """Long labelled headings may wrap: take a few lower-case continuation lines into the heading."""
    j = cand.index
    if cand.family.startswith(("label:", "seq:")):
        parts = [cand.text]
        while j + 1 < len(lines) and j - cand.index < MAX_WRAPPED_LINES and not lines[j + 1].blank \
                and lines[j + 1].text[0].islower():
            j += 1
            parts.append(lines[j].flat)
        cand.text = " ".join(parts)
    cand.end_index = j


def _candidates(lines: list[_Line], listed: dict[str, int], contents_lines: set[int]) -> list[_Candidate]:
    found: list[_Candidate] = []
    body_indent = None  # inside a numbered entry's body, nothing deeper is a heading
    signature = False   # after a sign-off, short lines are the signature block, not headings
    last = max((i for i, line in enumerate(lines) if not line.blank), default=-1)
    for i, line in enumerate(lines):
        if line.blank or i in contents_lines:
            continue
        if body_indent is not None:
            if line.indent > body_indent:
                continue
            body_indent = None
        if SIGN_OFF.match(line.flat):
            signature = True
            continue
        cand = _classify(lines, i)
        if signature:
            if cand is not None and cand.family in ("title", "caps") or (cand is None and _title_like(line.flat)):
                continue
            signature = False
        if cand is None and listed and len(line.flat) <= MAX_HEADING_LINE and heading_key(line.flat) in listed:
            cand = _Candidate(i, "listed", text=line.flat)   # the contents list says it is a heading
        if cand is None or (i == last and cand.family in ("title", "caps")):
            continue   # a short line that ends the document heads nothing: it is body text
        _extend_block(lines, cand)
        if cand.entry:
            body_indent = line.indent
        found.append(cand)
    items = _label_runs(lines, found)
    return [c for k, c in enumerate(found) if k not in items]


def _label_runs(lines: list[_Line], cands: list[_Candidate]) -> set[int]:
    """Positions of labelled lines listed one after another with nothing between them.

    "Recommendation 1: ..." then "Recommendation 2: ..." with no text of their own are items of a
    list, not sections: as headings their words would be dropped as empty sections.
    """
    items = set()
    for k in range(len(cands) - 1):
        a, b = cands[k], cands[k + 1]
        if a.family.startswith("label:") and a.family == b.family and \
                (a.end_index + 1 >= len(lines) or lines[a.end_index + 1].next_text >= b.index):
            items.update((k, k + 1))
    return items


def _found_in_body(lines: list[_Line], contents) -> bool:
    """Whether at least two of the contents entries stand as lines of their own in the body."""
    keys = {heading_key(ln.flat) for i, ln in enumerate(lines)
            if ln.flat and i not in contents.lines and len(ln.flat) <= MAX_HEADING_LINE}
    return sum(key in keys for key in contents.levels) >= 2


def detect_headings(text: str, max_headings: int = 5000, max_depth: int = 8) -> list[Heading]:
    """Every heading of the document, in order, each with its full section path.

    At most ``max_headings`` headings (later heading lines stay body text of the last section),
    nested at most ``max_depth`` deep (deeper headings become siblings at that depth).
    """
    lines = split_lines(text)
    contents = find_contents([ln.raw for ln in lines])
    listed = contents.levels if contents and _found_in_body(lines, contents) else {}
    cands = _candidates(lines, listed, contents.lines if contents else set())
    nonblank = [0]   # nonblank[i]: non-blank lines before line i
    for ln in lines:
        nonblank.append(nonblank[-1] + (not ln.blank))
    nesting = Nesting(cands, max_depth)
    base: list[str] = []         # the contents headings open at this point
    levels: list[int] = []
    headings: list[Heading] = []
    last_end = -1
    for k, c in enumerate(cands):
        if len(headings) >= max_headings:
            break
        body_since_last = nonblank[c.index] - nonblank[last_end + 1] > 0
        level = contents.level_of(c.text) if listed else None
        if level is not None or (contents.title_line == c.index and listed):
            level = min(level or 1, max_depth)
            while levels and levels[-1] >= level:
                levels.pop()
                base.pop()
            levels.append(level)
            base.append(shorten_heading(c.text))
            nesting.reset(len(base))
            path = tuple(base)
        else:
            if c.family == "annex" and base:   # an annex missing from the contents still stands at the top
                base.clear()
                levels.clear()
                nesting.reset(0)
            stack = nesting.place(k, body_since_last)
            if stack is None:
                continue
            path = tuple(base) + tuple(shorten_heading(e.text) for e in stack)
            if len(path) > max_depth:   # too deep under the contents headings: the deepest level allowed
                path = path[:max_depth - 1] + path[-1:]
        last_end = c.end_index
        first, last = lines[c.index], lines[c.end_index]
        headings.append(Heading(first.start + first.indent, last.end, first.no, path[-1], path))
    return headings


def detect_outline(text: str, max_headings: int = 5000, max_depth: int = 8) -> Outline:
    """The outline of a plain-text document, from the headings its lines' shapes give."""
    return Outline(tuple(detect_headings(text, max_headings, max_depth)))
