"""More like this: ``GET /api/similar`` (the search answer's shape) and ``GET /similar`` (the page)."""
from __future__ import annotations

from flask import Blueprint, g, jsonify, render_template, request

from .api import parse_k, query_string_is_utf8, service
from .caller import allowed_docs
from .errors import ApiError

bp = Blueprint("similar", __name__)


def passage_params() -> tuple:
    """(doc, start, end, k) from the query string; 400 when one is missing or given twice."""
    for name in ("doc", "start", "end", "k"):
        if len(request.args.getlist(name)) > 1:
            raise ApiError(400, f"{name} is given more than once")
    doc, start, end = request.args.get("doc"), request.args.get("start"), request.args.get("end")
    if not doc or start is None or end is None:
        raise ApiError(400, "doc, start and end are required: the passage's citation.doc, citation.start and "
                            "citation.end")
    return doc, parse_k(start), parse_k(end), parse_k(request.args.get("k"))


@bp.get("/api/similar")
def api_similar():
    doc, start, end, k = passage_params()
    response = service().similar(doc, start, end, k, allowed_docs)
    g.result_count = len(response.results)
    return jsonify(response.to_json())


@bp.get("/similar")
def similar_page():
    """The search page's results, for the passages like one result (linked from each result)."""
    from .pages import result_items

    query_string_is_utf8()
    doc, start, end, k = passage_params()
    response = service().similar(doc, start, end, k, allowed_docs)
    g.result_count = len(response.results)
    source = service().engine().store.document(doc)
    return render_template("search.html", q="", k="", selected=[], documents=[], error=None, min_confidence="",
                           confidence_choices=(), results=result_items(response, request.query_string),
                           took_ms=response.took_ms, match=None,
                           similar_to={"title": source.title if source else doc, "text": response.query})
