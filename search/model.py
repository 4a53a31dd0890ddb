"""The records every stage shares: headings, documents, passages, hits and answers, and their JSON.

Nothing here reads a file, loads a model or touches a store; every other module may import it.
``Document.to_json`` is the row of an index's ``documents.jsonl``; ``SearchResponse.to_json`` is the
API's search answer (``API.md``), which the web layer, the CLI and the evaluation all print.

    >>> p = Passage("a.txt", 0, 5, 1, 1, ("Scope",), "Hello")
    >>> Passage.from_json(p.to_json()) == p
    True
"""
from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from urllib.parse import quote


@dataclass(frozen=True)
class Heading:
    """A heading: where its text sits (character offsets, 1-based line) and the section path it opens."""

    start: int
    end: int
    line: int
    text: str
    path: tuple[str, ...]

    @property
    def level(self) -> int:
        return len(self.path)

    def to_json(self) -> dict:
        return {"start": self.start, "end": self.end, "line": self.line, "text": self.text, "path": list(self.path)}

    @classmethod
    def from_json(cls, d: dict) -> "Heading":
        return cls(d["start"], d["end"], d["line"], d["text"], tuple(d["path"]))


@dataclass(frozen=True)
class Outline:
    """Headings of one document, in order, with a fast lookup of the section that holds an offset."""

    headings: tuple[Heading, ...] = ()

    def __len__(self) -> int:
        return len(self.headings)

    def __iter__(self):
        return iter(self.headings)

    def section_at(self, offset: int) -> tuple[str, ...]:
        starts = [h.start for h in self.headings]
        i = bisect.bisect_right(starts, offset) - 1
        return self.headings[i].path if i >= 0 else ()

    def spans(self, length: int) -> list[tuple[int, int, tuple[str, ...]]]:
        """(start, end, path) of every section, including any text before the first heading."""
        bounds = [0] + [h.start for h in self.headings] + [length]
        paths = [()] + [h.path for h in self.headings]
        return [(bounds[i], bounds[i + 1], paths[i]) for i in range(len(paths)) if bounds[i + 1] > bounds[i]]


@dataclass(frozen=True)
class Block:
    """One block of a document as its reader knows it: ``text[start:end]`` is its rendered text."""

    kind: str        # "heading" | "paragraph" | "item" | "table" | "caption" | "code"
    start: int       # character offsets into the document's text
    end: int
    level: int = 0   # heading level, 1 = top; 0 for other kinds

    def to_json(self) -> list:
        return [self.kind, self.start, self.end, self.level]

    @classmethod
    def from_json(cls, row) -> "Block":
        return cls(*row)


def page_at(pages, offset: int) -> int | None:
    """The 1-based page holding ``offset``, given where each page starts; None without pages."""
    return bisect.bisect_right(pages, offset) if pages else None


@dataclass(frozen=True)
class Document:
    """A source document as the index keeps it: the text offsets point into, title, outline, pages.

    ``doc_id`` is the path relative to the seeds folder; ``fingerprint`` the SHA-256 of its bytes;
    ``pages`` the offset where each page starts (PDF only).
    """

    doc_id: str
    title: str
    fingerprint: str
    text: str
    outline: Outline = field(default_factory=Outline)
    pages: tuple[int, ...] = ()
    blocks: tuple[Block, ...] = ()    # as the reader knew them (markup formats); empty: plain text
    ocr_pages: tuple[int, ...] = ()   # 1-based pages whose text was recognised by OCR (scanned PDF pages)

    def page_at(self, offset: int) -> int | None:
        return page_at(self.pages, offset)

    def to_json(self) -> dict:
        """The ``documents.jsonl`` row; ``blocks`` only when there are any (plain text rows are unchanged)."""
        row = {"doc_id": self.doc_id, "title": self.title, "fingerprint": self.fingerprint, "text": self.text,
               "outline": [h.to_json() for h in self.outline], "pages": list(self.pages)}
        if self.blocks:
            row["blocks"] = [b.to_json() for b in self.blocks]
        if self.ocr_pages:
            row["ocr_pages"] = list(self.ocr_pages)
        return row

    @classmethod
    def from_json(cls, d: dict) -> "Document":
        return cls(d["doc_id"], d["title"], d["fingerprint"], d["text"],
                   Outline(tuple(Heading.from_json(h) for h in d["outline"])), tuple(d["pages"]),
                   tuple(Block.from_json(b) for b in d.get("blocks", ())), tuple(d.get("ocr_pages", ())))


@dataclass(frozen=True)
class Passage:
    """A cited span: ``document.text[start:end] == text``; lines are 1-based and inclusive."""

    doc_id: str
    start: int
    end: int
    line_start: int
    line_end: int
    section: tuple[str, ...]
    text: str

    def to_json(self) -> dict:
        return {"doc": self.doc_id, "start": self.start, "end": self.end, "line_start": self.line_start,
                "line_end": self.line_end, "section": list(self.section), "text": self.text}

    @classmethod
    def from_json(cls, d: dict) -> "Passage":
        return cls(d["doc"], d["start"], d["end"], d["line_start"], d["line_end"], tuple(d["section"]), d["text"])


def passage_anchor(start: int, end: int) -> str:
    """The id of a passage's element on the document page, and its citation url's fragment."""
    return f"p-{start}-{end}"


def citation_url(doc_id: str, start: int, end: int, joined: bool = False) -> str:
    """``/doc/<id>#p-START-END``; a joined span carries ``?span=START-END`` so the page can mark it."""
    span = f"?span={start}-{end}" if joined else ""
    return f"/doc/{quote(doc_id)}{span}#{passage_anchor(start, end)}"


@dataclass(frozen=True)
class Hit:
    """One ranked result: a passage (or neighbours of one paragraph joined), its score and highlights."""

    rank: int
    score: float
    passage: Passage
    title: str
    page: int | None
    highlights: list[dict]
    joined: bool = False    # neighbouring passages of one paragraph shown as one result
    last_page: int | None = None   # the page where the passage ends, when it runs over a page break
    ocr: bool = False              # some of its text was recognised by OCR from a scanned page
    also: tuple[tuple[str, str], ...] = ()   # (doc id, url) of the same text in other places
    confidence: float = 0.0        # calibrated match strength in [0, 1] (search/confidence.py)
    explain: dict | None = None    # the parts of its score, when asked for (fusion.explain)

    def citation_url(self) -> str:
        p = self.passage
        return citation_url(p.doc_id, p.start, p.end, self.joined)

    def to_json(self) -> dict:
        """The result object of API.md."""
        p = self.passage
        citation = {"doc": p.doc_id, "title": self.title, "section": list(p.section), "start": p.start, "end": p.end,
                    "line_start": p.line_start, "line_end": p.line_end, "url": self.citation_url()}
        if self.page is not None:
            citation["page"] = self.page
            citation["pages"] = [self.page, self.last_page or self.page]
        if self.ocr:
            citation["ocr"] = True
        out = {"rank": self.rank, "score": self.score, "confidence": self.confidence, "text": p.text,
               "highlights": self.highlights, "citation": citation}
        if self.also:
            citation["also"] = [{"doc": doc, "url": url} for doc, url in self.also]
        if self.explain is not None:
            out["explain"] = self.explain
        return out


@dataclass(frozen=True)
class SearchResponse:
    """One answer: the question as searched, k, time in milliseconds, the index version, the hits."""

    query: str
    k: int
    took_ms: float
    version: str
    results: list[Hit]
    match: str = "none"            # "strong" | "weak" | "none", from the top result's confidence
    min_confidence: float = 0.0    # results below it were dropped
    explain: bool = False          # each result carries ``explain``
    offset: int = 0                # results of the ranking skipped before these (ranks continue after it)

    def to_json(self) -> dict:
        """The search answer of API.md."""
        return {"query": self.query, "k": self.k, "offset": self.offset, "took_ms": self.took_ms,
                "index_version": self.version, "match": self.match, "min_confidence": self.min_confidence,
                "explain": self.explain, "results": [h.to_json() for h in self.results]}
