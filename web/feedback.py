"""Feedback on results: ``POST /api/feedback`` (JSON) and ``POST /feedback`` (the page's plain form).

Both check the question and the cited passage against the index being served (a passage the caller
may not read is answered like an unknown one), then append a judgement to ``search.feedback``'s
log under the data folder. No client address is kept.
"""
from __future__ import annotations

import json

from flask import Blueprint, current_app, jsonify, render_template, request

from search.validate import validate_query
from search.feedback import MAX_COMMENT_CHARS, FeedbackLog, feedback_record

from .api import is_json_type, parse_k, service, utf8_text
from .caller import allowed_docs
from .errors import ApiError
from .pages import back_link

bp = Blueprint("feedback", __name__)

_SHAPE = ('send a JSON object like {"q": "...", "doc": "...", "start": 0, "end": 10, "helpful": true, '
          '"comment": "..."}')


def init_app(app, settings) -> None:
    """Register the routes and the log under ``settings.data``."""
    app.extensions["feedback"] = FeedbackLog(settings.data)
    app.register_blueprint(bp)


def record(q, doc, start, end, helpful, comment) -> dict:
    """Check a judgement and keep it; BadQuery/ApiError (400) for bad input, FeedbackUnavailable (503)."""
    q = validate_query(q, 1, None)[0]
    if not isinstance(helpful, bool):
        raise ApiError(400, "helpful must be true or false")
    if comment is None:
        comment = ""
    if not isinstance(comment, str) or len(comment) > MAX_COMMENT_CHARS:
        raise ApiError(400, f"comment must be text of at most {MAX_COMMENT_CHARS} characters")
    engine = service().engine()
    passage = engine.cited_passage(doc, start, end, allowed_docs(engine))
    row = feedback_record(q, passage, engine.store.document(passage.doc_id).title, engine.version, helpful,
                          comment.strip())
    current_app.extensions["feedback"].append(row)
    metrics = current_app.extensions.get("metrics")
    if metrics is not None:
        metrics.feedback(helpful)
    return row


@bp.post("/api/feedback")
def api_feedback():
    if not is_json_type(request.mimetype):
        raise ApiError(415, "send the body as JSON with Content-Type: application/json")
    try:
        body = json.loads(request.get_data(cache=False).decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise ApiError(400, f"malformed JSON body: {_SHAPE}") from None
    if not isinstance(body, dict):
        raise ApiError(400, f"malformed JSON body: {_SHAPE}")
    q, doc, comment = body.get("q"), body.get("doc"), body.get("comment")
    for name, value in (("q", q), ("doc", doc), ("comment", comment)):
        if value is not None and not isinstance(value, str):
            raise ApiError(400, f"{name} must be a string")
        if isinstance(value, str):
            utf8_text(value, name)
    row = record(q, doc, body.get("start"), body.get("end"), body.get("helpful"), comment)
    return jsonify({"recorded": True, "helpful": row["helpful"], "index_version": row["index_version"],
                    "citation": {"doc": row["doc"], "start": row["start"], "end": row["end"]}}), 201


@bp.post("/feedback")
def page_feedback():
    """The form under each result, without JavaScript: keep the judgement, then say so with a way back."""
    form = request.form
    helpful = {"1": True, "0": False}.get(form.get("helpful", ""), form.get("helpful"))
    record(form.get("q"), form.get("doc"), parse_k(form.get("start")), parse_k(form.get("end")), helpful,
           form.get("comment"))   # errors: the app's handlers answer with the error page
    back = form.get("back")
    return render_template("feedback.html", helpful=helpful, back_url=back_link(back) if back else None)
