"""Whether a title from a file's metadata (PDF Info, DOCX core properties) is one a reader would use.

Metadata titles are often left over from whatever made the file: a file name, "Microsoft Word -
x.docx", a template's "Report template" or "Document1"::

    >>> usable_metadata_title("Microsoft Word - CAT_policy_v3_FINAL.docx")
    ''
    >>> usable_metadata_title("Report template")
    ''
    >>> usable_metadata_title("  Coastal resilience   plan ")
    'Coastal resilience plan'
"""
from __future__ import annotations

import re

from ..patterns import squash

_GENERATOR = re.compile(r"(?i)^(?:microsoft\s+(?:word|powerpoint|excel)\s*-|untitled\b|document\s*\d*$|title$|"
                        r"slide\s*\d*$|presentation\s*\d*$|book\s*\d+$|no title$|\(?anonymous\)?$|"
                        r"type (?:the )?(?:document )?title)")
_FILE_NAME = re.compile(r"(?i)\.(?:docx?|dotx?|pdf|rtf|odt|txt|xlsx?|pptx?|indd|qxp|html?|tmp)$|^[~$]|[\\/]")
_TEMPLATE = re.compile(r"(?i)\btemplate\b|\b(?:insert|enter|your)\s+(?:document\s+)?title\b|^\[.*\]$|^<.*>$|^x+$")


def usable_metadata_title(title: str | None) -> str:
    """``title`` squashed, or "" when it is empty, a file name, a generator's or a template's leftover."""
    title = squash(str(title or "")).strip("\x00\ufeff ")
    if not title or not any(c.isalpha() for c in title):
        return ""
    if _GENERATOR.search(title) or _FILE_NAME.search(title) or _TEMPLATE.search(title):
        return ""
    if " " not in title and ("_" in title or re.search(r"[a-z][A-Z]|\d{4,}|v\d+$", title)):
        return ""                                       # one token like CAT_policy_v3 or reportFinal2024
    return title
