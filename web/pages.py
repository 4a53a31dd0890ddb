"""HTML pages: the search page and the document page. They work without JavaScript."""
from __future__ import annotations

from flask import Blueprint, abort, g, render_template, request, url_for

from search.errors import BadQuery, IndexMismatch, IndexMissing, Overloaded
from search.layout import layout_document, outline_of

from .api import document_summary, parse_k, service
from .errors import ApiError

bp = Blueprint("pages", __name__)


def marked_segments(text: str, highlights: list[dict]) -> list[tuple[str, str]]:
    """Split text at highlight edges: [(piece, css classes)], classes like "answer keyword"."""
    cuts = sorted({0, len(text)} | {h[x] for h in highlights for x in ("start", "end") if 0 <= h[x] <= len(text)})
    out = []
    for a, b in zip(cuts, cuts[1:]):
        kinds = sorted({h["kind"] for h in highlights if h["start"] <= a and b <= h["end"]})
        out.append((text[a:b], " ".join(f"hl-{k}" for k in kinds)))
    return out


def citation_text(hit) -> str:
    p = hit.passage
    section = " › ".join(p.section)
    lines = f"line {p.line_start}" if p.line_start == p.line_end else f"lines {p.line_start}–{p.line_end}"
    parts = [hit.title] + ([f"§ {section}"] if section else []) + [lines]
    return ", ".join(parts) + f". {request.host_url.rstrip('/')}{hit.citation_url()}"


@bp.get("/")
def search_page():
    q = request.args.get("q", "")
    selected = request.args.getlist("doc")
    context = {"q": q, "selected": selected, "results": None, "error": None, "documents": [], "took_ms": None}
    try:
        index = service().engine().index
        context["documents"] = [document_summary(index, d) for d in sorted(index.documents)]
    except (IndexMissing, IndexMismatch) as exc:
        context["error"] = {"status": 503, "message": str(exc)}
        return render_template("search.html", **context), 503
    if "q" in request.args:
        try:
            k = parse_k(request.args.get("k"))
            response = service().search(q, k, [d for d in selected if d] or None)
        except (BadQuery, ApiError) as exc:
            context["error"] = {"status": 400, "message": str(exc)}
            return render_template("search.html", **context), 400
        except Overloaded as exc:
            context["error"] = {"status": 503, "message": str(exc)}
            return render_template("search.html", **context), 503, {"Retry-After": "1"}
        g.result_count = len(response.results)
        context["results"] = [{"hit": h, "segments": marked_segments(h.passage.text, h.highlights),
                               "citation": citation_text(h)} for h in response.results]
        context["took_ms"] = response.took_ms
    return render_template("search.html", **context)


@bp.get("/doc/<path:doc_id>")
def document_page(doc_id: str):
    index = service().engine().index
    doc = index.documents.get(doc_id)
    if doc is None:
        abort(404, description=f"no document {doc_id!r} in the index")
    passages = [index.passages[i] for i in index.doc_passages.get(doc_id, [])]
    back = request.args.get("back", "")
    back_url = url_for("pages.search_page") + ("?" + back if back else "")
    return render_template("document.html", doc=doc, segments=layout_document(doc, passages),
                           outline=outline_of(doc), back_url=back_url)
