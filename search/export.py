"""An answer as a file to download: CSV (one row a result, with a header) or Markdown.

    csv_text = to_csv(response, "https://search.example.org")

Columns: rank, title, doc, section (the heading path joined by " › "), lines ("12–14"), page (PDF
only), confidence, text and the absolute url of the citation. A cell that a spreadsheet would read
as a formula (starting with ``=``, ``+``, ``@``, a tab or ``-`` not followed by a space) gets a
leading apostrophe, as OWASP advises for CSV files.
"""
from __future__ import annotations

import csv
import io

from .model import Hit, SearchResponse
from .patterns import display_path

COLUMNS = ("rank", "title", "doc", "section", "lines", "page", "confidence", "text", "url")


def lines_of(hit: Hit) -> str:
    p = hit.passage
    return str(p.line_start) if p.line_start == p.line_end else f"{p.line_start}–{p.line_end}"


def pages_of(hit: Hit) -> str:
    if hit.page is None:
        return ""
    return str(hit.page) if not hit.last_page or hit.last_page == hit.page else f"{hit.page}–{hit.last_page}"


def rows(response: SearchResponse, base_url: str) -> list[dict]:
    """One dict per result with the ``COLUMNS``; ``base_url`` (``https://host``) makes the urls absolute."""
    base = base_url.rstrip("/")
    return [{"rank": h.rank, "title": h.title, "doc": h.passage.doc_id, "section": display_path(h.passage.section),
             "lines": lines_of(h), "page": pages_of(h), "confidence": h.confidence, "text": h.passage.text,
             "url": base + h.citation_url()} for h in response.results]


def _cell(value) -> str | int | float:
    if isinstance(value, str) and value and (value[0] in "=+@\t\r" or (value[0] == "-" and value[1:2] != " ")):
        return "'" + value
    return value


def to_csv(response: SearchResponse, base_url: str) -> str:
    """The answer as CSV text (RFC 4180: quoted where needed, CRLF line ends), header first."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS)
    writer.writeheader()
    for row in rows(response, base_url):
        writer.writerow({k: _cell(v) for k, v in row.items()})
    return out.getvalue()


def to_markdown(response: SearchResponse, base_url: str) -> str:
    """The answer as Markdown: the question, then each result with its citation, quoted text and link."""
    out = [f"# {_inline(response.query)}", "", f"Index version {response.version}; "
           f"{len(response.results)} result{'' if len(response.results) == 1 else 's'}.", ""]
    for row in rows(response, base_url):
        where = ", ".join(x for x in (f"§ {row['section']}" if row["section"] else "", f"lines {row['lines']}",
                                      f"page {row['page']}" if row["page"] else "") if x)
        out.append(f"## {row['rank']}. {_inline(row['title'])}")
        out.append("")
        out.append(f"{_inline(where)} ({row['doc']}): <{row['url']}>")
        out.append("")
        out += ["> " + _escape(line) if line.strip() else ">" for line in row["text"].splitlines()]
        out.append("")
    return "\n".join(out)


def _inline(text: str) -> str:
    """Text on one line, with Markdown's own characters escaped."""
    return _escape(" ".join(text.split()))


def _escape(text: str) -> str:
    return "".join("\\" + c if c in "\\`*_[]<>#|" else c for c in text)
