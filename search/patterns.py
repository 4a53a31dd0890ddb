"""Text rules used in several places: white-space squashing, bullet symbols, heading-label cuts.

    >>> squash("  two   words \\n")
    'two words'
    >>> shorten_heading("Housing " * 40, 20)
    'Housing Housing'
"""
from __future__ import annotations

import re

# Characters that open a bulleted list item ("- ", "• ", "▪ " ...). Headings, chunking and page
# layout all read the same set.
BULLET_SYMBOLS = "-•·*–—▪◦●○■□➢>"
BULLET_CLASS = "[" + re.escape(BULLET_SYMBOLS) + "]"
MAX_HEADING_CHARS = 200    # a section path entry is at most this long, cut at a word
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")   # control characters other than tab and newline


def squash(s: str) -> str:
    """Runs of white space as one space, ends trimmed."""
    return " ".join(s.split())


def shorten_heading(heading: str, limit: int = MAX_HEADING_CHARS) -> str:
    """A heading as a section path entry: white space squashed, at most ``limit`` characters, cut at a word."""
    heading = squash(heading)
    if len(heading) <= limit:
        return heading
    cut = heading.rfind(" ", 0, limit)
    return heading[: cut if cut > 0 else limit]
