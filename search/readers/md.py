"""Markdown: the file as written, with its structure from the markup (markdown-it-py, CommonMark).

The stored text is the file decoded as plain text is (``txt.decode``: no byte-order mark, ``\\n``
line ends, legacy encodings detected) with any front matter left out (YAML between ``---`` lines or
TOML between ``+++`` lines, as Jekyll and Hugo write them): its ``title`` is the document's title, and the rest of it is metadata, never a passage. Offsets point
into that text; a file with neither front matter, BOM nor CR line ends is stored byte for byte.

Headings come from the markup (``#`` lines and setext underlines), so a ``#`` line inside fenced
code, a table row or a list item is never a heading. A file without any markup heading is left to
the plain-text heading detector (a Markdown file is often plain text with a ``.md`` name)::

    >>> r = read(b"---\\ntitle: Kiosk guide\\n---\\n# Setup\\n\\n```\\n# not a heading\\n```\\n")
    >>> (r.title, r.text[:8], [(b.kind, b.level) for b in r.blocks])
    ('Kiosk guide', '# Setup\\n', [('heading', 1), ('code', 0)])
"""
from __future__ import annotations

import re

from ..settings import DocumentLimits
from .base import Block, ReadResult
from .txt import decode, normalise_lines

SUFFIXES = (".md",)
REQUIRES = "markdown-it-py"
VERSION = 3     # 2: headings from the markup; front matter out of the text; BOM and CR dropped; 3: TOML front matter

_CLOSE = {"---\n": re.compile(r"^(?:---|\.\.\.)[ \t]*$", re.M),    # YAML
          "+++\n": re.compile(r"^\+\+\+[ \t]*$", re.M)}             # TOML (Hugo)
_TITLE = re.compile(r"^title[ \t]*[:=](.*)$", re.M)    # one unbounded part per line: linear
_KINDS = {"heading_open": "heading", "paragraph_open": "paragraph", "list_item_open": "item",
          "table_open": "table", "fence": "code", "code_block": "code", "html_block": "paragraph"}


def split_front_matter(text: str) -> tuple[str, str]:
    """(front matter without its fence lines, the rest); ("", text) when there is none.

    YAML front matter opens on the first line with ``---`` and closes at the next ``---`` or ``...``
    line; TOML front matter opens and closes with ``+++`` lines. The close must come within the
    first 64 KB (a file opening with a thematic break has no closing line).

    >>> split_front_matter("---\\ntitle: A\\n---\\nBody\\n")
    ('title: A\\n', 'Body\\n')
    """
    fence = text[:4]
    if fence not in _CLOSE:
        return "", text
    close = _CLOSE[fence].search(text, 4, min(len(text), 65536))
    if close is None:
        return "", text
    after = close.end() + 1 if text.startswith("\n", close.end()) else close.end()
    return text[4:close.start()], text[after:]


def front_matter_title(meta: str) -> str:
    """The ``title: …`` (YAML) or ``title = "…"`` (TOML) of front matter, quotes removed; "" without one."""
    m = _TITLE.search(meta)
    if not m:
        return ""
    title = m.group(1).strip()
    if len(title) >= 2 and title[0] == title[-1] and title[0] in "'\"":
        title = title[1:-1]
    return " ".join(title.split())


def _parser():
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark").enable("table")
    md.core.ruler.disable(["inline", "text_join"])   # block structure only: inline markup is not needed
    return md


def markup_blocks(text: str) -> tuple[Block, ...]:
    """The top-level blocks of ``text`` as spans of it: headings (with levels), paragraphs, list
    items, tables and code; blocks inside a list item belong to that item."""
    starts = [0]
    pos = text.find("\n")
    while pos >= 0:
        starts.append(pos + 1)
        pos = text.find("\n", pos + 1)
    starts.append(len(text) + 1)
    blocks, depth = [], 0     # depth: list items open around the current token
    for token in _parser().parse(text):
        if token.type == "list_item_close":
            depth -= 1
            continue
        kind = _KINDS.get(token.type)
        if kind is None or token.map is None:
            continue
        if depth == 0:
            first, last = token.map
            start, end = starts[first], min(starts[min(last, len(starts) - 1)] - 1, len(text))
            while end > start and text[end - 1] in " \t\n":
                end -= 1
            if end > start:
                level = int(token.tag[1]) if kind == "heading" else 0
                blocks.append(Block(kind, start, end, level))
        if token.type == "list_item_open":
            depth += 1
    return tuple(blocks)


def read(data: bytes, limits: DocumentLimits = DocumentLimits()) -> ReadResult:
    """The text without front matter, its blocks and its front-matter title; BadDocument for
    binary or undecodable data."""
    text, encoding = decode(data)
    meta, text = split_front_matter(normalise_lines(text))
    notes = ["front matter left out of the text"] if meta else []
    if len(text) > limits.max_text_chars:   # cut before parsing: the parser's time grows with the text
        end = text.rfind("\n", limits.max_text_chars // 2, limits.max_text_chars) + 1 or limits.max_text_chars
        notes.append(f"text cut at {end:,} of {len(text):,} characters (the max_text_chars bound)")
        text = text[:end]
    blocks = markup_blocks(text)
    known = any(b.kind == "heading" for b in blocks)
    return ReadResult(text, front_matter_title(meta), blocks, headings_known=known, encoding=encoding,
                      notes=tuple(notes))
