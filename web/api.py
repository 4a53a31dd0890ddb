"""JSON endpoints: each parses the request, calls the service, shapes the answer (see API.md)."""
from __future__ import annotations

import hmac
import json
import re
from urllib.parse import unquote_to_bytes

from flask import Blueprint, current_app, g, jsonify, request

from search.engine import MAX_K, Hit, SearchResponse
from web.layout import outline_of

from .errors import ApiError, printable
from .openapi import openapi_spec

bp = Blueprint("api", __name__, url_prefix="/api")

_INT = re.compile(r"^\s*\+?[0-9]{1,6}\s*$")
_JSON_BODY = "malformed JSON body: send an object like {\"q\": \"...\", \"k\": 10}"


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


@bp.before_request
def query_string_is_utf8():
    """Percent-encoded bytes must be UTF-8 (werkzeug would otherwise pass "%FF" on as literal text)."""
    for field in request.query_string.split(b"&"):
        try:
            unquote_to_bytes(field.replace(b"+", b" ")).decode("utf-8")
        except UnicodeDecodeError:
            raise ApiError(400, "the query string is not valid UTF-8 once percent-decoded") from None


def utf8_text(value: str, name: str) -> str:
    """A JSON string that UTF-8 can carry: JSON's \\ud800 escapes decode to lone surrogates, which it cannot."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ApiError(400, f"{name} is not valid Unicode text (a lone surrogate escape)") from None
    return value


def is_json_type(mimetype: str) -> bool:
    return mimetype == "application/json" or (mimetype.startswith("application/") and mimetype.endswith("+json"))


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
        if not is_json_type(request.mimetype):
            raise ApiError(415, "send the body as JSON with Content-Type: application/json")
        raw = request.get_data(cache=False)
        try:
            body = json.loads(raw.decode("utf-8")) if raw.strip() else None
        except (UnicodeDecodeError, ValueError, RecursionError):  # RecursionError: absurdly deep nesting
            raise ApiError(400, _JSON_BODY) from None
        if not isinstance(body, dict):
            raise ApiError(400, "malformed JSON body: it must be an object like {\"q\": \"...\", \"k\": 10}")
        q, k, docs = body.get("q"), body.get("k"), body.get("doc")
        if q is not None and not isinstance(q, str):
            raise ApiError(400, "q must be a string")
        if isinstance(docs, str):
            docs = [docs]
        if docs is not None and (not isinstance(docs, list) or not all(isinstance(d, str) for d in docs)):
            raise ApiError(400, "doc must be a document id or a list of document ids")
        q = q if q is None else utf8_text(q, "q")
        docs = docs if docs is None else [utf8_text(d, "doc") for d in docs]
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
    if info["status"] == "ok":
        return jsonify(info)
    # The health fields, and the error shape every error carries (API.md).
    return jsonify({**info, "error": {"status": 503, "message": printable(info.get("message", "no usable index"))}}), 503


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


def reload_index():
    """POST /api/reload: re-check the index folder now. Registered only when an admin token is set."""
    token = current_app.config["SETTINGS"].admin_token
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not given.strip():
        raise ApiError(401, "send Authorization: Bearer <admin token>", {"WWW-Authenticate": 'Bearer realm="search"'})
    if not hmac.compare_digest(given.strip().encode("utf-8"), token.encode("utf-8")):
        raise ApiError(403, "the admin token is not right")
    changed = service().refresh()
    service().engine()  # no usable index: the 503 error with the command to run
    return jsonify({"reloaded": changed, **service().health()})


@bp.get("/openapi.json")
def openapi():
    return jsonify(openapi_spec())
