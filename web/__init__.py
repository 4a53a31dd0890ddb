"""The Flask app: a thin HTTP and HTML layer over ``search.service.SearchService``.

    app = create_app(Settings.from_env())      # loads the model and the index once
"""
from __future__ import annotations

import logging
import time
import uuid

from flask import Flask, g, request

from search.settings import Settings

from .caller import caller_name, init_app as init_caller
from .errors import error_response, register_error_handlers
from .security import RateLimiter, add_security_headers

log = logging.getLogger("search.web")


def create_app(settings: Settings | None = None, service=None, embedder=None) -> Flask:
    """Build the app. ``service`` (or ``embedder``) can be given by tests; otherwise the real model loads."""
    settings = settings or Settings.from_env()
    app = Flask(__name__, static_folder="static", template_folder="templates")
    app.config.update(MAX_CONTENT_LENGTH=settings.max_body_bytes, JSON_SORT_KEYS=False, SETTINGS=settings)
    app.json.sort_keys = False
    app.json.ensure_ascii = False
    # "//" in a path is a 404 like any unknown path, not a redirect page from the router.
    app.url_map.merge_slashes = False
    if service is None:
        from search.service import SearchService

        if embedder is None:
            from search.encoders import load_encoder

            embedder = load_encoder(settings)
        service = SearchService(settings, embedder)
    app.extensions["search"] = service
    app.extensions["rate_limiter"] = RateLimiter(settings.rate_limit)

    from .api import bp as api_bp
    from .api import reload_index
    from .pages import bp as pages_bp

    from . import feedback, metrics
    from .similar import bp as similar_bp

    metrics.init_app(app, service)
    app.register_blueprint(api_bp)
    app.register_blueprint(pages_bp)
    app.register_blueprint(similar_bp)
    feedback.init_app(app, settings)
    if settings.admin_token:  # the one endpoint that changes state exists only when it is protected
        app.add_url_rule("/api/reload", "api.reload", reload_index, methods=["POST"])
    register_error_handlers(app)

    @app.before_request
    def _start():
        g.t0 = time.perf_counter()
        g.request_id = uuid.uuid4().hex[:12]
        g.result_count = None

    @app.before_request
    def _rate_limit():
        if not request.path.startswith("/api/") and request.path != "/feedback":   # the page's form keeps feedback too
            return None
        wait = app.extensions["rate_limiter"].wait_seconds(request.remote_addr or "unknown")
        if wait:
            return error_response(429, f"too many requests; retry in {wait} s", {"Retry-After": str(wait)})
        return None

    init_caller(app, settings)   # after the two above: a refused caller still has a request id and a rate limit

    @app.after_request
    def _finish(response):
        add_security_headers(response)
        if request.method == "OPTIONS" and response.status_code == 200 and not response.get_data():
            response.status_code = 204  # the automatic answer: its Allow header is all there is to say
            del response.headers["Content-Type"]
        elapsed = (time.perf_counter() - g.get("t0", time.perf_counter())) * 1000
        response.headers["X-Request-Id"] = g.get("request_id", "")
        log.log(logging.WARNING if response.status_code >= 500 else logging.INFO, "request", extra={"fields": {
            "id": g.get("request_id"), "method": request.method, "path": request.path, "status": response.status_code,
            "ms": round(elapsed, 2), "results": g.get("result_count"), "q_chars": g.get("q_chars"),
            "client": request.remote_addr, "caller": caller_name()}})
        return response

    return app
