"""A document's own contents list: which lines are its entries, and the level each entry gives.

A contents list is a "Contents" line followed by entries, or a run of lines that end in a page
number after a tab or a dot leader (``1. Scope\\t2``, ``Summary .......... 3``). Each entry gives a
heading and its level: the depth of its numbering (``2.1`` is level 2), else its indentation
among the list's entries. Entries are matched to body lines by ``heading_key`` (letters and digits
only, case-folded), so ``2. Children’s services – a fresh start`` in the list finds
``2. Children's services - a fresh start`` in the text.

    >>> lines = ["Contents", "Summary ..... 2", "  Key findings ..... 3", "1. Scope ..... 4", "", "Summary"]
    >>> c = find_contents(lines)
    >>> sorted(c.levels.items()), sorted(c.lines)
    ([('1scope', 1), ('keyfindings', 2), ('summary', 1)], [1, 2, 3])

Every step is one pass over the lines (the entries' keys are looked up in a dict).
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

MAX_ENTRY_CHARS = 200       # a longer line is body text, never a contents entry
PREFIX_CHARS = 12           # a numbered heading matches an entry sharing this many key characters
MIN_PAGED_ENTRIES = 3       # lines with page numbers needed to call a run of them a contents list
_TITLES = {"contents", "tableofcontents", "contentspage", "listofcontents", "content"}
_NUMBERING = re.compile(r"^\(?(\d{1,3}(?:\.\d{1,3})*|[A-Z])[.)]?(?= )")


def heading_key(s: str) -> str:
    """Letters and digits only, case-folded and compatibility-normalised: how entries match headings."""
    s = unicodedata.normalize("NFKC", s).casefold()
    return "".join(c for c in s if c.isalnum())[:120]


def split_page_number(s: str) -> tuple[str, bool]:
    """(title, had a page number after a tab or leader dots); ``s`` is one stripped line."""
    head, _, last = s.rpartition(" ") if "\t" not in s else s.rpartition("\t")
    if not head or not (last.isdigit() and len(last) <= 4 or re.fullmatch(r"[ivxlc]{1,6}", last)):
        return s, False
    title = head.rstrip(" \t")
    leader = title.rstrip(".· …_").rstrip()
    if "\t" in s or len(title) - len(leader) >= 3:
        return leader, True
    return s, False


@dataclass
class Contents:
    """Keys of the entries mapped to their levels, and the line positions the list itself takes."""

    levels: dict[str, int] = field(default_factory=dict)
    lines: set[int] = field(default_factory=set)
    title_line: int | None = None     # the "Contents" line, when there is one
    prefixes: dict[str, int] = field(default_factory=dict)   # numbered entries' first key characters

    def __bool__(self) -> bool:
        return len(self.levels) >= 2

    def level_of(self, heading: str) -> int | None:
        """The level the list gives ``heading``: its entry's, or a numbered entry's whose text it extends
        ("9. Conclusion by Sue Goss, OPM" lists "9. Conclusion by Sue Goss, Director of ...")."""
        key = heading_key(heading)
        if key in self.levels:
            return self.levels[key]
        if key[:1].isdigit() and len(key) >= PREFIX_CHARS:
            return self.prefixes.get(key[:PREFIX_CHARS])
        return None


def _entry_level(title: str, indent: int, indents: list[int]) -> int:
    m = _NUMBERING.match(title)
    if m and m.group(1)[0].isdigit():
        return m.group(1).count(".") + 1
    return indents.index(indent) + 1 if indent in indents else 1


def find_contents(raw_lines: list[str]) -> Contents:
    """The first contents list of a document given as its lines (without newlines)."""
    stripped = [r.strip() for r in raw_lines]
    start, explicit = None, False
    for i, s in enumerate(stripped):
        if s and len(s) <= 40 and heading_key(s) in _TITLES:
            start, explicit = i + 1, True
            break
    if start is None:   # no "Contents" line: the first run of lines ending in page numbers
        run: list[int] = []
        for i, s in enumerate(stripped):
            if not s:
                continue
            if len(s) <= MAX_ENTRY_CHARS and split_page_number(s)[1]:
                run.append(i)
                if len(run) >= MIN_PAGED_ENTRIES:
                    start = run[0]
                    break
            else:
                run = []
        if start is None:
            return Contents()
    entries: list[tuple[int, str, int]] = []   # (line, title, indent)
    seen: set[str] = set()
    blanks = 0
    for i in range(start, len(raw_lines)):
        s = stripped[i]
        if not s:
            blanks += 1
            if blanks > 2 and entries:
                break
            continue
        title, paged = split_page_number(s) if len(s) <= MAX_ENTRY_CHARS else (s, False)
        key = heading_key(title)
        if key.isdigit() and len(key) <= 4:
            continue   # a page number on a line of its own
        # the list ends at body text, or where its first entry comes round again as the heading itself
        if not key or key in seen or len(s) > MAX_ENTRY_CHARS or (not paged and not explicit) \
                or (not paged and (s.endswith((".", ",", ";")) or len(title.split()) > 16)):
            break
        blanks = 0
        seen.add(key)
        raw = raw_lines[i].replace("\t", "    ")
        entries.append((i, title, len(raw) - len(raw.lstrip(" \u00a0"))))
        head, _, last = title.rpartition(" ")
        if explicit and not paged and head and last.isdigit():   # "Summary 5": a page number after a space
            entries.append((i, head, entries[-1][2]))
            seen.add(heading_key(head))
    indents = sorted({indent for _, _, indent in entries})
    contents = Contents(title_line=start - 1 if explicit else None)
    for i, title, indent in entries:
        key, level = heading_key(title), _entry_level(title, indent, indents)
        contents.levels.setdefault(key, level)
        if key[:1].isdigit() and len(key) >= PREFIX_CHARS:
            contents.prefixes.setdefault(key[:PREFIX_CHARS], level)
        contents.lines.add(i)
    return contents
