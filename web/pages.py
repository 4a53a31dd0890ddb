"""HTML pages: the search page and the document page. They work without JavaScript."""
from __future__ import annotations

import bisect
from urllib.parse import parse_qs

from flask import Blueprint, g, render_template, request, url_for

from search.errors import IndexMismatch, IndexMissing, SearchError
from .layout import layout_document, outline_of
from search.confidence import STRONG, WEAK, match_of
from search.model import passage_anchor
from search.patterns import display_path

from .api import document_summary, parse_k, parse_min_confidence, query_string_is_utf8, readable_ids, service
from .caller import allowed_docs
from .errors import ApiError

bp = Blueprint("pages", __name__)

SEARCH_PARAMS = ("q", "k", "doc", "min_confidence")   # all the search page reads, so all a back link may carry
STRENGTH_LABELS = {"strong": "close match", "weak": "weak match", "none": "not a close match"}
CONFIDENCE_CHOICES = (("", "every result"), (str(WEAK), "close and weak matches"), (str(STRONG), "close matches only"))


def marked_segments(text: str, highlights: list[dict]) -> list[tuple[str, str]]:
    """Split text at highlight edges: [(piece, css classes)], classes like "hl-answer hl-keyword"."""
    cuts = sorted({0, len(text)} | {h[x] for h in highlights for x in ("start", "end") if 0 <= h[x] <= len(text)})
    out = []
    for a, b in zip(cuts, cuts[1:]):
        kinds = sorted({h["kind"] for h in highlights if h["start"] <= a and b <= h["end"]})
        out.append((text[a:b], " ".join(f"hl-{k}" for k in kinds)))
    return out


def line_range(start: int, end: int) -> str:
    return f"line {start}" if start == end else f"lines {start}–{end}"


def citation_text(hit) -> str:
    """Plain text to paste into a note: title, § section path, lines, and the link."""
    p = hit.passage
    parts = [hit.title] + ([f"§ {display_path(p.section)}"] if p.section else []) + [line_range(p.line_start, p.line_end)]
    return ", ".join(parts) + f". {request.host_url.rstrip('/')}{hit.citation_url()}"


def back_link(query_string: str) -> str:
    """A link back to the search page, rebuilt from the search parameters only, so it stays on this site."""
    params = {k: v for k, v in parse_qs(query_string).items() if k in SEARCH_PARAMS}
    return url_for("pages.search_page", **params)


def result_items(response, query_string: bytes) -> list[dict]:
    """What the results list shows of each hit (the search page and the "more like this" page)."""
    back = query_string.decode("utf-8", "replace")
    return [{
        "hit": h, "segments": marked_segments(h.passage.text, h.highlights),
        "lines": line_range(h.passage.line_start, h.passage.line_end), "citation": citation_text(h),
        "section": display_path(h.passage.section),
        "strength": match_of(h.confidence), "strength_label": STRENGTH_LABELS[match_of(h.confidence)],
        "open_url": url_for("pages.document_page", doc_id=h.passage.doc_id, back=back,
                            span=f"{h.passage.start}-{h.passage.end}")
                    + "#" + passage_anchor(h.passage.start, h.passage.end),
        "similar_url": url_for("similar.similar_page", doc=h.passage.doc_id, start=h.passage.start,
                               end=h.passage.end),
    } for h in response.results]


@bp.get("/")
def search_page():
    q = request.args.get("q", "")
    context = {"q": q, "k": request.args.get("k", ""), "selected": request.args.getlist("doc"), "results": None,
               "error": None, "documents": [], "took_ms": None, "match": None,
               "min_confidence": request.args.get("min_confidence", ""), "confidence_choices": CONFIDENCE_CHOICES}
    try:
        query_string_is_utf8()
        engine = service().engine()
        context["documents"] = [document_summary(engine.store, d) for d in readable_ids(engine)]
        if "q" in request.args:
            docs = [d for d in context["selected"] if d] or None
            response = service().search(q, parse_k(request.args.get("k")), docs, explain=True,
                                        min_confidence=parse_min_confidence(request.args.get("min_confidence") or None),
                                        allowed=allowed_docs)
    except (SearchError, ApiError) as exc:
        unavailable = isinstance(exc, (IndexMissing, IndexMismatch))
        context["error"] = {"status": exc.status, "message": str(exc), "blank": not q.strip(), "unavailable": unavailable}
        headers = {"Retry-After": "1"} if exc.status == 503 and not unavailable else {}
        return render_template("search.html", **context), exc.status, headers
    if "q" in request.args:
        g.result_count = len(response.results)
        context["results"] = result_items(response, request.query_string)
        context["took_ms"] = response.took_ms
        context["match"] = response.match
        context["downloads"] = {fmt: url_for("api.search", **{k: v for k, v in request.args.lists()
                                                               if k in SEARCH_PARAMS}, format=fmt)
                                for fmt in ("csv", "md")}
    return render_template("search.html", **context)


@bp.get("/doc/<path:doc_id>")
def document_page(doc_id: str):
    engine = service().engine()
    allowed = allowed_docs(engine)
    doc = engine.store.document(doc_id) if allowed is None or doc_id in allowed else None
    if doc is None:   # one the caller may not read looks exactly like one that does not exist
        return render_template("error.html", status=404, message="There is no such document in the index."), 404
    passages = engine.document_passages(doc_id, request.args.get("span"))
    back = request.args.get("back")
    reading = reading_position(doc, request.args.get("span"))
    return render_template("document.html", doc=doc, segments=layout_document(doc, passages), outline=outline_of(doc),
                           back_url=back_link(back) if back else None, reading=reading,
                           sections=section_labels(doc, [p.start for p in passages]))


def section_labels(doc, offsets: list[int]) -> dict[int, dict]:
    """The section holding each offset: its path as text ("A › B") and its heading's anchor ("h-START")."""
    starts = [h.start for h in doc.outline]
    out = {}
    for offset in offsets:
        i = bisect.bisect_right(starts, offset) - 1
        out[offset] = {"path": display_path(doc.outline.headings[i].path) if i >= 0 else "",
                       "anchor": f"h-{starts[i]}" if i >= 0 else ""}
    return out


def section_label(doc, offset: int) -> dict:
    return section_labels(doc, [offset])[offset]


def reading_position(doc, span: str | None) -> dict | None:
    """The section of the cited span ``START-END`` (from ``?span=``), or None: the bar and the contents
    list then show it without JavaScript."""
    try:
        start, end = (int(x) for x in (span or "").split("-"))
    except ValueError:
        return None
    if not 0 <= start < end <= len(doc.text):
        return None
    return {**section_label(doc, start), "fragment": passage_anchor(start, end)}
