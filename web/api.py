"""JSON endpoints: each parses the request, calls the service, shapes the answer (see API.md)."""
from __future__ import annotations

import json
import re

from flask import Blueprint, current_app, g, jsonify, request

from search.engine import MAX_K, Hit, SearchResponse
from search.layout import outline_of

from .errors import ApiError
from .openapi import openapi_spec

bp = Blueprint("api", __name__, url_prefix="/api")

_INT = re.compile(r"^\s*\+?\d{1,6}\s*$")


def service():
    return current_app.extensions["search"]


def hit_json(hit: Hit) -> dict:
    p = hit.passage
    citation = {"doc": p.doc_id, "title": hit.title, "section": list(p.section), "start": p.start, "end": p.end,
                "line_start": p.line_start, "line_end": p.line_end, "url": hit.citation_url()}
    if hit.page is not None:
        citation["page"] = hit.page
    return {"rank": hit.rank, "score": hit.score, "text": p.text, "highlights": hit.highlights, "citation": citation}


def response_json(r: SearchResponse) -> dict:
    return {"query": r.query, "k": r.k, "took_ms": r.took_ms, "index_version": r.version,
            "results": [hit_json(h) for h in r.results]}


def parse_k(value):
    """k from a query string or JSON: an integer 1..50 (a whole-number string is accepted too)."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise ApiError(400, f"k must be an integer from 1 to {MAX_K}")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str) and _INT.match(value):
        value = int(value)
    if not isinstance(value, int) or not 1 <= value <= MAX_K:
        raise ApiError(400, f"k must be an integer from 1 to {MAX_K}")
    return value


def search_params() -> tuple:
    """(q, k, docs) from the query string (GET) or a JSON object body (POST)."""
    if request.method == "POST":
        raw = request.get_data(cache=False)
        try:
            body = json.loads(raw.decode("utf-8")) if raw.strip() else None
        except (UnicodeDecodeError, ValueError):
            raise ApiError(400, "malformed JSON body: send an object like {\"q\": \"...\", \"k\": 10}") from None
        if not isinstance(body, dict):
            raise ApiError(400, "malformed JSON body: it must be an object like {\"q\": \"...\", \"k\": 10}")
        q, k, docs = body.get("q"), body.get("k"), body.get("doc")
        if q is not None and not isinstance(q, str):
            raise ApiError(400, "q must be a string")
        if isinstance(docs, str):
            docs = [docs]
        if docs is not None and (not isinstance(docs, list) or not all(isinstance(d, str) for d in docs)):
            raise ApiError(400, "doc must be a document id or a list of document ids")
    else:
        for name in ("q", "k"):
            if len(request.args.getlist(name)) > 1:
                raise ApiError(400, f"{name} is given more than once")
        q, k = request.args.get("q"), request.args.get("k")
        docs = request.args.getlist("doc") or None
    return q, parse_k(k), docs


@bp.route("/search", methods=["GET", "POST"])
def search():
    q, k, docs = search_params()
    g.q_chars = len(q) if isinstance(q, str) else None
    response = service().search(q, k, docs)
    g.result_count = len(response.results)
    return jsonify(response_json(response))


@bp.get("/health")
def health():
    info = service().health()
    return jsonify(info), (200 if info["status"] == "ok" else 503)


def document_summary(index, doc_id: str) -> dict:
    d = index.documents[doc_id]
    return {"id": doc_id, "title": d.title, "sections": len(d.outline), "passages": len(index.doc_passages.get(doc_id, [])),
            "chars": len(d.text), "url": f"/doc/{doc_id}"}


@bp.get("/documents")
def documents():
    index = service().engine().index
    return jsonify({"index_version": index.version,
                    "documents": [document_summary(index, d) for d in sorted(index.documents)]})


@bp.get("/documents/<path:doc_id>")
def document(doc_id: str):
    index = service().engine().index
    if doc_id not in index.documents:
        raise ApiError(404, f"unknown document {doc_id!r}; see /api/documents")
    d = index.documents[doc_id]
    return jsonify({**document_summary(index, doc_id), "fingerprint": d.fingerprint, "outline": outline_of(d)})


@bp.get("/openapi.json")
def openapi():
    return jsonify(openapi_spec())
