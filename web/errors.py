"""One error shape everywhere under /api: ``{"error": {"status": 400, "message": "..."}}``.

Pages get a short HTML page instead; neither ever shows a stack trace or a server banner. The
errors waitress answers by itself (malformed HTTP, bodies or headers over its limits) use the
JSON shape too: see ``web.serve.json_error_channel``.
"""
from __future__ import annotations

import logging

from flask import g, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from search.errors import Overloaded, SearchError


log = logging.getLogger("search.web")

_MESSAGES = {
    404: "no such endpoint",
    405: "method not allowed",
    413: "request body too large",
    415: "send the body as JSON with Content-Type: application/json",
    429: "too many requests; slow down",
}


class ApiError(Exception):
    """A request the web layer itself rejects (bad parameter types, bad JSON, bad credentials)."""

    def __init__(self, status: int, message: str, headers: dict | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.path == "/api"


def printable(message: str) -> str:
    """The message with anything UTF-8 cannot carry (lone surrogates from JSON escapes) spelled out."""
    return message.encode("utf-8", "backslashreplace").decode("utf-8")


def error_response(status: int, message: str, headers: dict | None = None):
    message = printable(message)
    if wants_json():
        response = jsonify({"error": {"status": status, "message": message}})
    else:
        response = render_template("error.html", status=status, message=message)
    if not isinstance(response, str):
        response.status_code = status
        response.headers.update(headers or {})
        return response
    return response, status, headers or {}


def register_error_handlers(app) -> None:
    @app.errorhandler(ApiError)
    def _api_error(exc: ApiError):
        return error_response(exc.status, exc.message, exc.headers)

    @app.errorhandler(SearchError)
    def _search_error(exc: SearchError):
        headers = {"Retry-After": "1"} if isinstance(exc, Overloaded) else None
        return error_response(exc.status, str(exc), headers)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        status = exc.code or 500
        message = _MESSAGES.get(status) or (exc.description or exc.name)
        headers = {}
        if status == 405 and exc.valid_methods:
            headers["Allow"] = ", ".join(exc.valid_methods)
        return error_response(status, message, headers)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        log.error("unhandled error on %s %s", request.method, request.path, exc_info=exc, extra={"fields": {
            "id": g.get("request_id"), "method": request.method, "path": request.path,
            "exception": f"{type(exc).__name__}: {exc}"}})
        return error_response(500, "internal error; it has been logged")
