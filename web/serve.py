"""Serving: waitress (a production WSGI server), the JSON error channel and the log format.

    serve(settings, encoder)     # blocks; Ctrl-C stops it

Every log line is one JSON object (``JsonLogFormatter``); the web layer adds structured fields
with ``log.info("request", extra={"fields": {...}})``.
"""
from __future__ import annotations

import json
import logging
import sys
import threading
import time

from search.settings import Settings

from .security import security_header_items

log = logging.getLogger("search.web")


class JsonLogFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message and any structured fields."""

    def format(self, record: logging.LogRecord) -> str:
        row = {"time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
               "level": record.levelname, "logger": record.name, "message": record.getMessage()}
        row.update(getattr(record, "fields", {}) or {})
        if record.exc_info:
            row["error"] = self.formatException(record.exc_info)
        return json.dumps(row, ensure_ascii=False)


def setup_logging(level: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonLogFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("sentence_transformers", "transformers", "httpx", "huggingface_hub", "bm25s"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def serve(settings: Settings, encoder, service=None) -> None:
    """Serve the app on ``settings.host:port`` until interrupted; the index watcher runs alongside."""
    from waitress.server import BaseWSGIServer, create_server

    from . import create_app

    app = create_app(settings, service=service, embedder=encoder)
    app.extensions["search"].start_watcher()
    # ident="": no Server header. Bodies between max_body_bytes and the larger waitress limit get
    # the app's own 413; beyond it (and for malformed HTTP) waitress answers, in the JSON shape too.
    sockets: dict = {}
    server = create_server(app, map=sockets, host=settings.host, port=settings.port, threads=settings.threads, ident="",
                           connection_limit=256, channel_timeout=30, max_request_header_size=65536,
                           max_request_body_size=settings.max_body_bytes * 4, clear_untrusted_proxy_headers=True)
    channel = json_error_channel()
    channel.per_client_limit = settings.max_client_connections
    for listener in list(sockets.values()):
        if isinstance(listener, BaseWSGIServer):
            listener.channel_class = channel
    logging.getLogger("search.serve").info("serving on http://%s:%d/", settings.host, settings.port)
    server.run()


_UNCOUNTED = object()


def json_error_channel():
    """A waitress channel class whose own error answers use the JSON error shape and security headers.

    Waitress answers malformed HTTP (a bad request line or header, a bad chunk, a body or headers
    over its limits) before the app sees the request, in plain text; this keeps those answers in
    the shape every client of the API expects. Use it with ``server.channel_class``.
    """
    from waitress.channel import HTTPChannel
    from waitress.task import ErrorTask

    class JsonErrorTask(ErrorTask):
        def execute(self):
            error = self.request.error
            message = f"{error.reason.lower()}: {error.body}" if error.code != 500 else "internal error"
            body = json.dumps({"error": {"status": error.code, "message": message}}).encode("utf-8")
            self.status = f"{error.code} {error.reason}"
            self.response_headers.extend([("Content-Type", "application/json"), *security_header_items()])
            self.set_close_on_finish()
            self.content_length = len(body)
            self.write(body)
            log.info("request", extra={"fields": {
                "id": None, "method": getattr(self.request, "command", None), "path": getattr(self.request, "path", None),
                "status": error.code, "ms": None, "results": None, "q_chars": None,
                "client": self.channel.addr[0] if self.channel.addr else None, "server_error": message}})

    class JsonErrorChannel(HTTPChannel):
        error_task_class = JsonErrorTask
        per_client_limit = 0            # set by ``serve``: most open connections from one address; 0 is off
        _open: dict = {}
        _lock = threading.Lock()

        def __init__(self, server, sock, addr, adj, map=None):
            super().__init__(server, sock, addr, adj, map)
            self._client = addr[0] if addr else None
            with self._lock:
                count = self._open[self._client] = self._open.get(self._client, 0) + 1
            if self.per_client_limit and count > self.per_client_limit:
                # one client holding many idle connections must not lock everyone else out
                log.warning("connection refused", extra={"fields": {"client": self._client, "open": count - 1,
                                                                    "limit": self.per_client_limit}})
                self.handle_close()

        def del_channel(self, map=None):
            client, self._client = getattr(self, "_client", _UNCOUNTED), _UNCOUNTED   # count each close once
            if client is not _UNCOUNTED:
                with self._lock:
                    left = self._open.get(client, 0) - 1
                    if left > 0:
                        self._open[client] = left
                    else:
                        self._open.pop(client, None)
            super().del_channel(map)

    return JsonErrorChannel
