"""JSON endpoints: each parses the request, calls the service, shapes the answer (see API.md)."""
from __future__ import annotations

import hmac
import json
import re
from urllib.parse import quote, unquote_to_bytes

from flask import Blueprint, Response, current_app, g, jsonify, request

from search.validate import validate_offset, validate_query
from search.export import to_csv, to_markdown
from search.settings import MAX_OUTLINE
from .layout import outline_of

from .caller import allowed_docs, caller
from .errors import ApiError, printable
from .openapi import openapi_spec

bp = Blueprint("api", __name__, url_prefix="/api")

_INT = re.compile(r"^\s*\+?[0-9]{1,6}\s*$")
_JSON_BODY = "malformed JSON body: send an object like {\"q\": \"...\", \"k\": 10}"


def service():
    return current_app.extensions["search"]


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
    """k as given in a query string or JSON, with whole numbers written as text ("5") or 5.0 made ints;
    anything else is passed on for ``validate_query`` to refuse with the one message for a bad k."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and _INT.match(value):
        return int(value)
    return value


_TRUE, _FALSE = ("true", "1", "yes", "on"), ("false", "0", "no", "off", "")


def parse_explain(value) -> bool:
    """``explain`` as JSON true/false or query-string text ("true", "1", "false", "0"); else a 400."""
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE + _FALSE:
        return value.strip().lower() in _TRUE
    raise ApiError(400, "explain must be true or false")


def parse_min_confidence(value) -> float:
    """``min_confidence`` as a number from 0 to 1 (JSON number or query-string text); else a 400."""
    if value is None:
        return 0.0
    if isinstance(value, str):
        try:
            value = float(value) if value.strip() else None
        except ValueError:
            value = None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
        raise ApiError(400, "min_confidence must be a number from 0 to 1")
    return float(value)


def search_options() -> tuple[bool, float]:
    """(explain, min_confidence) from the query string (GET) or the JSON body (POST, kept by ``search_params``)."""
    if request.method == "POST":
        body = g.search_body
        return parse_explain(body.get("explain")), parse_min_confidence(body.get("min_confidence"))
    for name in ("explain", "min_confidence"):
        if len(request.args.getlist(name)) > 1:
            raise ApiError(400, f"{name} is given more than once")
    return parse_explain(request.args.get("explain")), parse_min_confidence(request.args.get("min_confidence"))


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
        g.search_body = body
        q, k, docs = body.get("q"), body.get("k"), body.get("doc")
        if q is not None and not isinstance(q, str):
            raise ApiError(400, "q must be a string")
        if isinstance(docs, str):
            docs = [docs]
        q = q if q is None else utf8_text(q, "q")
        if isinstance(docs, list):   # other types, and lists of non-strings, are refused by validate_query
            docs = [utf8_text(d, "doc") if isinstance(d, str) else d for d in docs]
    else:
        for name in ("q", "k"):
            if len(request.args.getlist(name)) > 1:
                raise ApiError(400, f"{name} is given more than once")
        q, k = request.args.get("q"), request.args.get("k")
        docs = request.args.getlist("doc") or None
    return q, parse_k(k), docs


EXPORTS = {"csv": ("text/csv; charset=utf-8", to_csv), "md": ("text/markdown; charset=utf-8", to_markdown)}


def paging_options() -> tuple[int, str]:
    """(offset, format) from the query string (GET) or the JSON body (POST); 400 for a bad format."""
    if request.method == "POST":
        offset, fmt = g.search_body.get("offset"), g.search_body.get("format")
    else:
        for name in ("offset", "format"):
            if len(request.args.getlist(name)) > 1:
                raise ApiError(400, f"{name} is given more than once")
        offset, fmt = request.args.get("offset"), request.args.get("format")
    fmt = "json" if fmt is None else fmt
    if fmt != "json" and (not isinstance(fmt, str) or fmt not in EXPORTS):
        raise ApiError(400, "format must be json, csv or md")
    return (0 if offset is None else parse_k(offset)), fmt


def export_response(response, fmt: str) -> Response:
    """The answer as a CSV or Markdown file to download, its urls absolute."""
    mimetype, render = EXPORTS[fmt]
    body = render(response, request.host_url)
    return Response(body, content_type=mimetype,
                    headers={"Content-Disposition": f'attachment; filename="search-results.{fmt}"'})


@bp.route("/search", methods=["GET", "POST"])
def search():
    q, k, docs = search_params()
    g.q_chars = len(q) if isinstance(q, str) else None
    k = service().settings.default_k if k is None else k
    validate_query(q, k, docs)   # a bad request is a 400 before anything else
    explain, min_confidence = search_options()
    offset, fmt = paging_options()
    validate_offset(offset, k)
    response = service().search(q, k, docs, explain, min_confidence, offset=offset, allowed=allowed_docs)
    g.result_count = len(response.results)
    if fmt != "json":
        return export_response(response, fmt)
    return jsonify(response.to_json())


@bp.get("/health")
def health():
    info = service().health()
    if info["status"] == "ok":
        engine = service().engine()
        allowed = current_app.extensions["access"].allowed(engine, caller().groups)   # unknown callers: anonymous
        if allowed is not None:   # the counts of what this caller may read, nothing more
            info.update(documents=len(allowed), passages=sum(len(engine.store.passage_ids(d)) for d in allowed))
        policy = current_app.extensions["access"].policy
        if policy is not None and policy.get() is not None and policy.problem:   # closed until it is fixed
            problem = policy.problem.replace(str(policy.path), policy.path.name)   # no server paths to callers
            info["access_policy"] = f"unreadable, so no document is readable: {printable(problem)}"
        return jsonify(info)
    # The health fields, and the error shape every error carries (API.md).
    return jsonify({**info, "error": {"status": 503, "message": printable(info.get("message", "no usable index"))}}), 503


def document_summary(store, doc_id: str) -> dict:
    d = store.document(doc_id)
    return {"id": doc_id, "title": d.title, "sections": len(d.outline), "passages": len(store.passage_ids(doc_id)),
            "chars": len(d.text), "url": f"/doc/{quote(doc_id)}"}


def readable_ids(engine) -> list[str]:
    """The ids, sorted, of the documents of ``engine``'s version the caller may read."""
    allowed = allowed_docs(engine)
    return [d for d in engine.store.document_ids() if allowed is None or d in allowed]


@bp.get("/documents")
def documents():
    engine = service().engine()
    return jsonify({"index_version": engine.store.version,
                    "documents": [document_summary(engine.store, d) for d in readable_ids(engine)]})


@bp.get("/documents/<path:doc_id>")
def document(doc_id: str):
    engine = service().engine()
    store, allowed = engine.store, allowed_docs(engine)
    d = store.document(doc_id) if allowed is None or doc_id in allowed else None
    if d is None:   # a document the caller may not read is answered exactly as one that does not exist
        raise ApiError(404, f"unknown document {doc_id!r}; see /api/documents")
    outline = outline_of(d)
    answer = {**document_summary(store, doc_id), "fingerprint": d.fingerprint, "outline": outline[:MAX_OUTLINE]}
    if len(outline) > MAX_OUTLINE:   # a bounded answer, however many headings a document has
        answer["outline_truncated"] = True
    return jsonify(answer)


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
