"""Text rules used in several places: white-space squashing, bullet symbols, heading-label cuts.

    >>> squash("  two   words \\n")
    'two words'
    >>> shorten_heading("Housing " * 40, 20)
    'Housing Housing'
    >>> display_heading("Question C12: Given our proposals for the commissioning structure", 40)
    'Question C12: Given our proposals for…'
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


def display_heading(heading: str, limit: int = 80) -> str:
    """A section path entry as shown on screen (page, CLI, copied citation): cut at a word, with an
    ellipsis, when longer than ``limit``. The API keeps headings whole."""
    heading = squash(heading)
    if len(heading) <= limit:
        return heading
    cut = heading.rfind(" ", 0, limit)
    return heading[: cut if cut > 0 else limit - 1].rstrip(" ,;:–—-") + "…"


def display_path(section) -> str:
    """A section path as shown on screen: each heading shortened (``display_heading``), joined by " › "."""
    return " › ".join(display_heading(h) for h in section)


# -- Line kinds that look like headings but are not (or are), shared by heading detection and highlights.
# Every pattern is anchored or bounded, and is applied to a line with its white space squashed, so
# no quantifier can backtrack over a long run: each match is linear in the line.

_MONTHS = ("january|february|march|april|may|june|july|august|september|october|november|december|"
           "jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec")
_WEEKDAYS = "monday|tuesday|wednesday|thursday|friday|saturday|sunday|mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun"
# A calendar date anywhere in a line: "14 June 2012", "June 14th, 2012", "June 2012", "14/06/2012".
DATE = re.compile(
    rf"(?i)\b(?:(?:{_WEEKDAYS}),? )?(?:\d{{1,2}}(?:st|nd|rd|th)? (?:of )?(?:{_MONTHS})\.?,? \d{{4}}"
    rf"|(?:{_MONTHS})\.? \d{{1,2}}(?:st|nd|rd|th)?,? \d{{4}}|(?:{_MONTHS})\.?,? \d{{4}}"
    rf"|\d{{1,2}}[/.]\d{{1,2}}[/.](?:\d{{4}}|\d{{2}}))\b")
_WEEKDAY_WORD = re.compile(rf"(?i)^(?:{_WEEKDAYS})$")
# Table and figure captions: "Table 1: ...", "Figure 2 – ...", "Chart 3", "Fig. 4a"; and "Source: ..." lines.
CAPTION = re.compile(
    r"^(?:[Tt]able|TABLE|[Ff]igure|FIGURE|[Ff]ig\.?|FIG\.?|[Cc]hart|CHART|[Gg]raph|GRAPH|[Bb]ox|BOX|[Mm]ap|MAP|"
    r"[Dd]iagram|DIAGRAM|[Ee]xhibit|EXHIBIT|[Ii]llustration|[Ii]mage|[Pp]hoto|[Pp]late|[Pp]anel|[Ii]nfographic)"
    r" ?(?:[A-Z]?\d{1,3}(?:[.\-]\d{1,3})*[a-z]?|[A-Z]|[IVX]{1,4})\b"
    r"|^(?:[Ss]ources?|SOURCES?|[Nn]otes?|NOTES?|[Bb]ase|[Kk]ey) ?:")
# Letter endings, signatures and sign-offs: "Yours sincerely", "Kind regards", "Signed: ...".
SIGN_OFF = re.compile(
    r"(?i)^(?:yours,? (?:sincerely|faithfully|truly|ever)|(?:kind|kindest|best|warm|warmest|with best|with kind) "
    r"(?:regards|wishes)|regards|sincerely|many thanks|thanks again|signed|signature|sign-off|cc|encs?|enclosures?)"
    r"(?:\W|$)")
# Annexes and appendices are headings: "Annex A: ...", "Appendix 2 – ...", "Schedule 1", "Annex: Workshop participants".
ANNEX = re.compile(
    r"^(?:[Aa]nnexe?|ANNEXE?|[Aa]ppendix|APPENDIX|[Aa]ppendices|APPENDICES|[Ss]chedule|SCHEDULE|[Aa]ttachment|"
    r"[Ee]nclosure|[Aa]ddendum|[Ss]upplement)"
    r"(?: (?:[A-Z]{1,2}\d{0,2}|\d{1,3}(?:\.\d{1,2})?|[IVX]{1,5}))?"
    r"(?:$| ?[:.)\-–—] ?(?=\S)| (?=[A-Z\"'‘“(]))")


def is_dateline(squashed: str, max_words: int = 3) -> bool:
    """A date alone, or with a place or a weekday: "Nottingham, 14 June 2012", "Tuesday 11 February 2014".

    ``squashed`` is the line with its white space squashed (one space between words).
    """
    m = DATE.search(squashed)
    if not m:
        return False
    rest = (squashed[:m.start()] + " " + squashed[m.end():]).replace(",", " ").replace(":", " ")
    words = [w.strip("-–—()[]'\".") for w in rest.split()]
    words = [w for w in words if w and not _WEEKDAY_WORD.match(w)]
    return len(words) <= max_words and all(w[:1].isupper() or w[:1].isdigit() for w in words)


def plural(n: int, noun: str) -> str:
    """A count with its noun, singular for one.

    >>> plural(1, "document"), plural(5, "document")
    ('1 document', '5 documents')
    """
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
