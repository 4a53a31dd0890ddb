"""Hostile input, table by table: each case gets its exact status in the error shape of API.md.

Most cases go through the Flask test client (tiny index, fake embedder); the last section sends
malformed HTTP, oversized and chunked bodies over raw sockets to a real server process.
"""
from __future__ import annotations

import json
import logging
import socket
import sys
import threading
import time
from pathlib import Path

import pytest

from search.build import build_index
from search.service import SearchService
from web import create_app

from .conftest import TINY_DOCS
from .helpers import assert_error

ROOT = Path(__file__).resolve().parent.parent
XSS = ['<script>alert(1)</script>', '"><img src=x onerror=alert(1)>', "javascript:alert(1)", "{{7*7}}", "';--"]
TRAVERSAL = ["../../etc/passwd", "..%2f..%2fetc%2fpasswd", "%2e%2e/%2e%2e/etc/passwd", "..\\..\\etc\\passwd",
             "....//....//etc/passwd", "/etc/passwd", "%2fetc%2fpasswd", "alpha.txt%00.md", "%00", "..%00/x",
             "%252e%252e/%252e%252e/etc/passwd", "..%c0%af..%c0%afetc/passwd", "..", "."]
SECURITY_HEADERS = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer", "X-Frame-Options": "DENY"}


def short(value) -> str:
    """A readable test id for long or binary parameters."""
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= 40 else f"{text[:30]}...({len(text)})"


def assert_safe_headers(headers) -> None:
    for name, value in SECURITY_HEADERS.items():
        assert headers.get(name) == value, name
    assert "frame-ancestors 'none'" in headers.get("Content-Security-Policy", "")
    for name, value in headers.items():
        assert "waitress" not in value.lower() and "werkzeug" not in value.lower() and "python" not in value.lower(), name


# -- GET /api/search ------------------------------------------------------------------------

K_MESSAGE = "k must be an integer from 1 to 50"


@pytest.mark.parametrize("query,status,fragment", [
    ("q=%FF%FE", 400, "not valid UTF-8"),
    ("q=ok%E2%80", 400, "not valid UTF-8"),                      # a truncated sequence
    ("q=%C0%AF", 400, "not valid UTF-8"),                        # an overlong "/"
    ("q=%ED%A0%80", 400, "not valid UTF-8"),                     # an encoded surrogate
    ("q=ok&%FF=1", 400, "not valid UTF-8"),                      # in a parameter name too
    ("q=%00", 400, "control characters"),
    ("q=a%00b", 400, "control characters"),
    ("q=%1B%5B31mred", 400, "control characters"),
    ("q=%7F", 400, "control characters"),
    ("q=", 400, "q is required"),
    ("q=+++", 400, "q is required"),
    ("k=3", 400, "q is required"),
    ("q=" + "x" * 1001, 400, "the limit is 1000"),
    ("q=" + "x" * 60000, 400, "the limit is 1000"),
    ("q=ok&q=again", 400, "q is given more than once"),
    ("q=ok&k=1&k=2", 400, "k is given more than once"),
    ("q=ok&k=", 400, K_MESSAGE),
    ("q=ok&k=0", 400, K_MESSAGE),
    ("q=ok&k=-1", 400, K_MESSAGE),
    ("q=ok&k=51", 400, K_MESSAGE),
    ("q=ok&k=99999999999999999999999", 400, K_MESSAGE),
    ("q=ok&k=1e3", 400, K_MESSAGE),
    ("q=ok&k=0x10", 400, K_MESSAGE),
    ("q=ok&k=2.5", 400, K_MESSAGE),
    ("q=ok&k=NaN", 400, K_MESSAGE),
    ("q=ok&k=ten", 400, K_MESSAGE),
    ("q=ok&k=%EF%BC%91", 400, K_MESSAGE),                       # a full-width digit one
    ("q=ok&k=%D9%A3", 400, K_MESSAGE),                          # an Arabic-Indic three
    ("q=ok&k=%00", 400, K_MESSAGE),
    ("q=ok&doc=", 400, "unknown doc"),
    ("q=ok&doc=alpha.txt&doc=nope.txt", 400, "unknown doc"),
] + [(f"q=ok&doc={t}", 400, "unknown doc") for t in TRAVERSAL if "%00" not in t and "%c0" not in t]
  + [(f"q=ok&k={x}", 400, K_MESSAGE) for x in XSS], ids=short)
def test_bad_search_query_strings(client, query, status, fragment):
    assert_error(client.get("/api/search?" + query), status, fragment)


@pytest.mark.parametrize("query", [
    "q=%25", "q=%", "q=%%", "q=%zz", "q=a+b", "q=ok&k=+7", "q=ok&k=%207%20", "q=ok&junk=1&other",
    "q=%F0%9F%94%8D+libraries", "q=caf%C3%A9", "q=ok&doc=alpha.txt&doc=alpha.txt", "q=ok&&&", "&q=ok",
] + ["q=" + x for x in XSS] + ["q=" + t for t in TRAVERSAL if "%00" not in t and "%c0" not in t], ids=short)
def test_odd_but_valid_query_strings_answer(client, query):
    r = client.get("/api/search?" + query)
    assert r.status_code == 200 and r.mimetype == "application/json", r.get_data(as_text=True)
    assert_safe_headers(r.headers)
    assert isinstance(r.get_json()["results"], list)


def test_the_question_is_echoed_as_json_only(client):
    r = client.get("/api/search", query_string={"q": XSS[0]})
    assert r.status_code == 200 and r.headers["Content-Type"] == "application/json"
    assert r.get_json()["query"] == XSS[0]


# -- POST /api/search -----------------------------------------------------------------------

JSON = "application/json"


@pytest.mark.parametrize("content_type,body,status,fragment", [
    (JSON, b"{not json", 400, "malformed JSON"),
    (JSON, b"", 400, "malformed JSON"),
    (JSON, b"   \n ", 400, "malformed JSON"),
    (JSON, b"null", 400, "malformed JSON"),
    (JSON, b"[]", 400, "malformed JSON"),
    (JSON, b'[{"q": "ok"}]', 400, "malformed JSON"),
    (JSON, b'"q"', 400, "malformed JSON"),
    (JSON, b"42", 400, "malformed JSON"),
    (JSON, b"true", 400, "malformed JSON"),
    (JSON, b"\xff\xfe{}", 400, "malformed JSON"),
    (JSON, b'{"q": "caf\xe9"}', 400, "malformed JSON"),                # Latin-1, not UTF-8
    (JSON, b'\xef\xbb\xbf{"q": "ok"}', 400, "malformed JSON"),         # a byte-order mark
    (JSON, b'{"q": "ok"} {"q": "again"}', 400, "malformed JSON"),
    (JSON, b'{"q": "ok",}', 400, "malformed JSON"),
    (JSON, b"[" * 5000 + b"]" * 5000, 400, "malformed JSON"),          # deep enough to blow the stack
    (JSON, b'{"a":' * 2500 + b"1" + b"}" * 2500, 400, "malformed JSON"),
    (JSON, b'{"q": "ok", "k": ' + b"9" * 5000 + b"}", 400, "malformed JSON"),   # int() digit limit
    (JSON, b'{"q": "\\ud800"}', 400, "q is not valid Unicode"),
    (JSON, b'{"q": "ok", "doc": ["\\udfff"]}', 400, "doc is not valid Unicode"),
    (JSON, b'{"q": "ok", "doc": "\\ud83d"}', 400, "doc is not valid Unicode"),
    (JSON, b'{"q": 5}', 400, "q must be a string"),
    (JSON, b'{"q": ["ok"]}', 400, "q must be a string"),
    (JSON, b'{"q": {"$ne": ""}}', 400, "q must be a string"),
    (JSON, b'{"q": true}', 400, "q must be a string"),
    (JSON, b'{"q": null}', 400, "q is required"),
    (JSON, b'{"q": ""}', 400, "q is required"),
    (JSON, b'{"q": "\\u0000"}', 400, "control characters"),
    (JSON, b'{"q": "a\\u001bb"}', 400, "control characters"),
    (JSON, json.dumps({"q": "y" * 1001}).encode(), 400, "the limit is 1000"),
    (JSON, b'{"q": "ok", "k": "lots"}', 400, K_MESSAGE),
    (JSON, b'{"q": "ok", "k": true}', 400, K_MESSAGE),
    (JSON, b'{"q": "ok", "k": 2.5}', 400, K_MESSAGE),
    (JSON, b'{"q": "ok", "k": -1}', 400, K_MESSAGE),
    (JSON, b'{"q": "ok", "k": 1e308}', 400, K_MESSAGE),
    (JSON, b'{"q": "ok", "k": 1e999}', 400, K_MESSAGE),
    (JSON, b'{"q": "ok", "k": NaN}', 400, K_MESSAGE),
    (JSON, b'{"q": "ok", "k": -Infinity}', 400, K_MESSAGE),
    (JSON, b'{"q": "ok", "k": 100000000000000000000000000000}', 400, K_MESSAGE),
    (JSON, b'{"q": "ok", "k": [5]}', 400, K_MESSAGE),
    (JSON, b'{"q": "ok", "k": {"n": 5}}', 400, K_MESSAGE),
    (JSON, b'{"q": "ok", "doc": 3}', 400, "doc must be"),
    (JSON, b'{"q": "ok", "doc": [3]}', 400, "doc must be"),
    (JSON, b'{"q": "ok", "doc": {"id": "alpha.txt"}}', 400, "doc must be"),
    (JSON, b'{"q": "ok", "doc": [["alpha.txt"]]}', 400, "doc must be"),
    (JSON, b'{"q": "ok", "doc": ["../../etc/passwd"]}', 400, "unknown doc"),
    (JSON, b'{"q": "ok", "doc": "<script>alert(1)</script>"}', 400, "unknown doc"),
    (JSON, b'{"q": "ok", "doc": ["alpha.txt\\u0000"]}', 400, "unknown doc"),
    (JSON, b'{"q": "ok", "pad": "' + b"z" * 20000 + b'"}', 413, "too large"),
    ("text/plain", b'{"q": "ok"}', 415, "Content-Type: application/json"),
    ("application/x-www-form-urlencoded", b"q=ok", 415, "Content-Type: application/json"),
    ("multipart/form-data; boundary=x", b'--x\r\nContent-Disposition: form-data; name="q"\r\n\r\nok\r\n--x--', 415,
     "Content-Type"),
    ("application/xml", b"<q>ok</q>", 415, "Content-Type"),
    ("application/jsonx", b'{"q": "ok"}', 415, "Content-Type"),
    (None, b'{"q": "ok"}', 415, "Content-Type"),
], ids=short)
def test_bad_search_bodies(client, content_type, body, status, fragment):
    r = client.post("/api/search", data=body, content_type=content_type)
    assert_error(r, status, fragment)
    assert_safe_headers(r.headers)


@pytest.mark.parametrize("content_type,body", [
    (JSON, {"q": "libraries"}),
    ("application/json; charset=utf-8", {"q": "libraries"}),
    ("Application/JSON", {"q": "libraries"}),
    ("application/problem+json", {"q": "libraries"}),
    (JSON, {"q": "libraries", "k": None, "doc": None}),
    (JSON, {"q": "libraries", "k": "3", "doc": []}),
    (JSON, {"q": "libraries", "k": 3.0, "unknown": {"nested": [1, 2]}}),
    (JSON, {"q": "  libraries  ", "doc": "alpha.txt"}),
    (JSON, {"q": XSS[1]}),
])
def test_lenient_but_valid_bodies_answer(client, content_type, body):
    r = client.post("/api/search", data=json.dumps(body), content_type=content_type)
    assert r.status_code == 200, r.get_data(as_text=True)
    assert isinstance(r.get_json()["results"], list)


# -- methods and paths ------------------------------------------------------------------------

@pytest.mark.parametrize("method,path,allow", [
    ("PUT", "/api/search", "GET, HEAD, OPTIONS, POST"),
    ("DELETE", "/api/search", "GET, HEAD, OPTIONS, POST"),
    ("PATCH", "/api/search", "GET, HEAD, OPTIONS, POST"),
    ("TRACE", "/api/search", "GET, HEAD, OPTIONS, POST"),
    ("PROPFIND", "/api/search", "GET, HEAD, OPTIONS, POST"),
    ("POST", "/api/health", "GET, HEAD, OPTIONS"),
    ("DELETE", "/api/documents", "GET, HEAD, OPTIONS"),
    ("PUT", "/api/documents/alpha.txt", "GET, HEAD, OPTIONS"),
    ("POST", "/api/openapi.json", "GET, HEAD, OPTIONS"),
])
def test_unknown_methods_are_405_with_allow(client, method, path, allow):
    r = client.open(path, method=method)
    assert_error(r, 405, "method not allowed")
    assert sorted(r.headers["Allow"].split(", ")) == sorted(allow.split(", "))


@pytest.mark.parametrize("path", [
    "/api", "/api/", "/api/nothing", "/api/search/extra", "/api/searchx", "/api/SEARCH", "/api//search",
    "/api/documents/", "/api/documents/nope.txt", "/api/reload", "/api/%FF", "/api/<script>",
    "/api/../api/health/x", "/api/openapi.yaml", "/api/.env", "/api/documents/%00",
] + [f"/api/documents/{t}" for t in TRAVERSAL])
def test_unknown_api_paths_are_404_json(client, path):
    r = client.get(path)
    assert_error(r, 404)
    assert_safe_headers(r.headers)


def test_head_and_options(client):
    head = client.head("/api/search?q=libraries")
    assert head.status_code == 200 and head.data == b"" and head.mimetype == "application/json"
    head_error = client.head("/api/search?k=0")
    assert head_error.status_code == 400 and head_error.data == b""
    for path, allow in [("/api/search", "GET, HEAD, OPTIONS, POST"), ("/api/health", "GET, HEAD, OPTIONS")]:
        r = client.options(path)
        assert r.status_code == 204 and r.data == b"", path
        assert sorted(r.headers["Allow"].split(", ")) == sorted(allow.split(", "))
        assert_safe_headers(r.headers)
    assert_error(client.options("/api/nothing"), 404)


# -- document pages and static files: no traversal, and nothing read outside them ----------------

class FileOpens:
    """Every file this thread opens while ``watching``: an audit hook, installed once per process."""

    def __init__(self):
        self.local = threading.local()
        sys.addaudithook(self._hook)

    def _hook(self, event, args):
        if event == "open" and getattr(self.local, "paths", None) is not None and isinstance(args[0], (str, bytes)):
            self.local.paths.append(args[0] if isinstance(args[0], str) else args[0].decode(errors="replace"))

    def watching(self, call):
        self.local.paths = []
        try:
            result = call()
        finally:
            paths, self.local.paths = self.local.paths, None
        return result, paths


_OPENS: FileOpens | None = None


@pytest.fixture(scope="session")
def file_opens() -> FileOpens:
    global _OPENS
    _OPENS = _OPENS or FileOpens()
    return _OPENS


@pytest.fixture
def secret(tiny_seeds) -> Path:
    """A file beside the seeds folder that no request may ever serve."""
    path = tiny_seeds.parent / "secret.txt"
    path.write_text("TOP-SECRET-CANARY", encoding="utf-8")
    return path


TRAVERSAL_PATHS = [
    "/doc/../../etc/passwd", "/doc/%2e%2e/%2e%2e/etc/passwd", "/doc/..%2fREADME.md", "/doc/..%2f..%2fREADME.md",
    "/doc/../secret.txt", "/doc/..%2fsecret.txt", "/doc/%2e%2e%2fsecret.txt", "/doc/%2E%2E/secret.txt",
    "/doc/..\\secret.txt", "/doc/..%5csecret.txt", "/doc/%252e%252e%252fsecret.txt", "/doc/....//secret.txt",
    "/doc//etc/passwd", "/doc/%2fetc%2fpasswd", "/doc/alpha.txt%00", "/doc/alpha.txt%00.html", "/doc/%00",
    "/doc/alpha.txt/../../secret.txt", "/doc/..%c0%afsecret.txt", "/doc/%ff", "/doc/.", "/doc/..",
    "/static/../search/cli.py", "/static/..%2fsearch%2fcli.py", "/static/%2e%2e/search/cli.py",
    "/static/..\\search\\cli.py", "/static/%2e%2e%5csearch%5ccli.py", "/static//etc/passwd",
    "/static/%2fetc%2fpasswd", "/static/app.js%00", "/static/../../secret.txt", "/static/.", "/static/..",
    "/%2e%2e/%2e%2e/etc/passwd", "/..%2f..%2fetc%2fpasswd", "/search/cli.py", "/seeds/alpha.txt", "/index/CURRENT",
    "/tests/conftest.py", "/.git/config", "/doc/<script>alert(1)</script>",
]


@pytest.mark.parametrize("path", TRAVERSAL_PATHS)
def test_traversal_is_404_and_reads_nothing_outside(client, secret, tiny_seeds, file_opens, path):
    r, opened = file_opens.watching(lambda: client.get(path))
    assert r.status_code == 404, (path, r.status_code)
    body = r.get_data(as_text=True)
    assert "TOP-SECRET-CANARY" not in body and "root:" not in body and "def cmd_serve" not in body
    assert "<script>alert(1)</script>" not in body
    assert_safe_headers(r.headers)
    allowed = [ROOT / "web" / "templates", ROOT / "web" / "static"]
    for p in opened:
        assert any(Path(p).resolve().is_relative_to(a) for a in allowed), f"{path} opened {p}"


def test_the_indexed_documents_still_open(client):
    for doc in TINY_DOCS:
        assert client.get(f"/doc/{doc}").status_code == 200
        assert client.get(f"/api/documents/{doc}").status_code == 200
    assert client.get("/static/app.js").status_code == 200


# -- headers on every kind of answer ----------------------------------------------------------

@pytest.mark.parametrize("method,path,body,status", [
    ("GET", "/api/search?q=libraries", None, 200),
    ("GET", "/api/search?k=0", None, 400),
    ("POST", "/api/search", b"x" * 20000, 413),
    ("POST", "/api/search", None, 415),
    ("GET", "/api/nothing", None, 404),
    ("DELETE", "/api/search", None, 405),
    ("GET", "/api/health", None, 200),
    ("GET", "/api/openapi.json", None, 200),
    ("GET", "/", None, 200),
    ("GET", "/?q=libraries", None, 200),
    ("GET", "/doc/alpha.txt", None, 200),
    ("GET", "/doc/nope", None, 404),
    ("GET", "/static/style.css", None, 200),
    ("OPTIONS", "/api/search", None, 204),
])
def test_security_headers_on_every_answer(client, method, path, body, status):
    r = client.open(path, method=method, data=body, content_type=JSON if body else None)
    assert r.status_code == status
    assert_safe_headers(r.headers)
    assert r.headers.get("X-Request-Id")
    assert "Server" not in r.headers


# -- the in-flight bound, the rate limit and the reload endpoint -------------------------------

class GatedEmbedder:
    """The fake embedder, except that encoding waits for ``gate`` (so a search can be held in flight)."""

    def __init__(self, inner):
        self.inner, self.name, self.dim = inner, inner.name, inner.dim
        self.gate, self.entered = threading.Event(), threading.Event()
        self.gate.set()

    def hold(self):
        self.entered.clear()
        self.gate.clear()

    def encode(self, texts, progress=False):
        self.entered.set()
        self.gate.wait(10)
        return self.inner.encode(texts)


def test_searches_beyond_the_in_flight_bound_get_a_fast_503(tiny_seeds, tiny_index, fake_embedder, make_settings):
    settings = make_settings(tiny_seeds, tiny_index, max_inflight=1)
    embedder = GatedEmbedder(fake_embedder)
    app = create_app(settings, service=SearchService(settings, embedder))
    embedder.hold()
    held = threading.Thread(target=lambda: app.test_client().get("/api/search?q=held+in+flight"))
    held.start()
    try:
        assert embedder.entered.wait(10)
        t0 = time.perf_counter()
        r = app.test_client().get("/api/search?q=another+question")
        elapsed = time.perf_counter() - t0
        assert_error(r, 503, "too many searches")
        assert r.headers["Retry-After"] == "1"
        assert elapsed < 1.0, elapsed
        assert app.test_client().get("/api/health").status_code == 200   # only searches are bounded
    finally:
        embedder.gate.set()
        held.join(10)
    assert app.test_client().get("/api/search?q=another+question").status_code == 200


def test_rate_limit_answers_429_per_client(tiny_service):
    app = create_app(tiny_service.settings.replace(rate_limit=3), service=tiny_service)
    c = app.test_client()
    for _ in range(3):
        assert c.get("/api/search?q=libraries").status_code == 200
    r = c.get("/api/search?q=libraries")
    assert_error(r, 429, "too many requests")
    assert 1 <= int(r.headers["Retry-After"]) <= 60
    assert_safe_headers(r.headers)
    assert_error(c.get("/api/health"), 429)
    assert c.get("/", query_string={"q": "libraries"}).status_code == 200      # pages are not limited
    other = c.get("/api/search?q=libraries", environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert other.status_code == 200


def test_rate_limiter_forgets_idle_clients():
    from web.security import RateLimiter

    limiter = RateLimiter(5, max_clients=100)
    limiter.window = 0.0   # each client's hit has left the window by the time the next client calls
    sizes = []
    for i in range(5000):
        assert limiter.allow(f"10.0.{i // 256}.{i % 256}")
        sizes.append(len(limiter._hits))
    assert max(sizes) <= 101 and min(sizes[200:]) <= 2


def test_reload_is_off_without_an_admin_token(client):
    for method in ("POST", "GET", "PUT"):
        assert_error(client.open("/api/reload", method=method, headers={"Authorization": "Bearer x"}), 404)


@pytest.fixture
def admin(tiny_service):
    app = create_app(tiny_service.settings.replace(admin_token="s3cret-token"), service=tiny_service)
    return app.test_client()


@pytest.mark.parametrize("headers,status,fragment", [
    ({}, 401, "Authorization: Bearer"),
    ({"Authorization": ""}, 401, "Authorization: Bearer"),
    ({"Authorization": "Bearer"}, 401, "Authorization: Bearer"),
    ({"Authorization": "Bearer "}, 401, "Authorization: Bearer"),
    ({"Authorization": "Basic czNjcmV0LXRva2Vu"}, 401, "Authorization: Bearer"),
    ({"Authorization": "s3cret-token"}, 401, "Authorization: Bearer"),
    ({"Authorization": "Bearer wrong"}, 403, "not right"),
    ({"Authorization": "Bearer s3cret-token-and-more"}, 403, "not right"),
    ({"Authorization": "Bearer s3cret-toke"}, 403, "not right"),
    ({"Authorization": "Bearer S3CRET-TOKEN"}, 403, "not right"),
    ({"Authorization": "Bearer s3cret-tökén"}, 403, "not right"),
    ({"Authorization": "Bearer <script>"}, 403, "not right"),
])
def test_reload_needs_the_bearer_token(admin, headers, status, fragment):
    r = admin.post("/api/reload", headers=headers)
    assert_error(r, status, fragment)
    if status == 401:
        assert r.headers["WWW-Authenticate"].startswith("Bearer")


def test_reload_with_the_token_rechecks_the_index(admin, tiny_service, tiny_seeds, tiny_index, fake_embedder):
    auth = {"Authorization": "Bearer s3cret-token"}
    before = admin.post("/api/reload", headers=auth)
    assert before.status_code == 200 and before.get_json()["reloaded"] is False
    assert_error(admin.get("/api/reload", headers=auth), 405)
    (tiny_seeds / "gamma.txt").write_text("Gamma\n\nRiver pollution rose in the summer.\n", encoding="utf-8")
    build_index(tiny_seeds, tiny_index, fake_embedder, progress=False, log=lambda m: None)
    after = admin.post("/api/reload", headers={"Authorization": "bearer   s3cret-token  "})
    body = after.get_json()
    assert after.status_code == 200 and body["reloaded"] is True and body["documents"] == 3
    assert body["index_version"] != before.get_json()["index_version"]
    assert admin.get("/api/health").get_json()["index_version"] == body["index_version"]


def test_reload_with_no_usable_index_is_503(admin, tiny_index):
    (tiny_index / "CURRENT").write_text("v-gone\n", encoding="utf-8")
    r = admin.post("/api/reload", headers={"Authorization": "Bearer s3cret-token"})
    assert_error(r, 503, "python -m search build")
    health = admin.get("/api/health")
    assert health.status_code == 503 and health.get_json()["error"]["status"] == 503


# -- logs: one line per request, no question text, errors with context -------------------------

def request_records(caplog):
    return [r for r in caplog.records if r.name == "search.web" and r.getMessage() == "request"]


def test_one_log_line_per_request_without_the_question(client, caplog):
    question = "what happened to the opening hours of public libraries"
    with caplog.at_level(logging.INFO, logger="search.web"):
        client.get("/api/search", query_string={"q": question, "k": 2})
        post = client.post("/api/search", json={"q": question}).get_json()
        client.get("/api/search?k=0")
    rows = [r.fields for r in request_records(caplog)]
    assert [(f["method"], f["status"], f["results"], f["q_chars"]) for f in rows] == [
        ("GET", 200, 2, len(question)), ("POST", 200, len(post["results"]), len(question)), ("GET", 400, None, None)]
    for f in rows:
        assert f["path"] == "/api/search" and isinstance(f["ms"], float) and len(f["id"]) == 12
    assert not any(question in r.getMessage() or question in json.dumps(getattr(r, "fields", {}))
                   for r in caplog.records)


def test_an_unexpected_error_is_a_logged_500_without_a_traceback(client, tiny_app, caplog):
    def explode(*a, **kw):
        raise RuntimeError("boom at the engine")

    tiny_app.extensions["search"].search = explode
    with caplog.at_level(logging.INFO, logger="search.web"):
        r = client.get("/api/search?q=libraries")
    assert_error(r, 500, "internal error")
    assert "boom" not in r.get_data(as_text=True)
    [error] = [rec for rec in caplog.records if rec.levelno == logging.ERROR]
    assert error.exc_info and error.fields["path"] == "/api/search"
    assert error.fields["exception"] == "RuntimeError: boom at the engine"
    assert error.fields["id"] == r.headers["X-Request-Id"]
    [line] = request_records(caplog)
    assert line.fields["status"] == 500 and line.levelno == logging.WARNING


def test_json_log_formatter_writes_one_json_object_per_line():
    from web.serve import JsonLogFormatter

    record = logging.LogRecord("search.web", logging.INFO, __file__, 1, "request", None, None)
    record.fields = {"status": 200, "path": "/api/search", "q_chars": 12}
    row = json.loads(JsonLogFormatter().format(record))
    assert row["status"] == 200 and row["level"] == "INFO" and row["time"].endswith("Z")
    try:
        raise ValueError("bad\nthing")
    except ValueError:
        record.exc_info = sys.exc_info()
    line = JsonLogFormatter().format(record)
    assert "\n" not in line and "ValueError" in json.loads(line)["error"]


# -- malformed HTTP against a real server process (waitress in front of the app) ----------------

def raw_http(url: str, data: bytes, timeout: float = 20.0) -> tuple[int, dict, bytes]:
    """Send bytes as they are; parse the one answer (status, headers, body)."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=timeout) as s:
        try:
            s.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server may answer and close before it has read everything
        out = b""
        while True:
            try:
                chunk = s.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            out += chunk
            head, sep, rest = out.partition(b"\r\n\r\n")
            if sep:
                length = [int(l.split(b":")[1]) for l in head.split(b"\r\n") if l.lower().startswith(b"content-length:")]
                if length and len(rest) >= length[0]:
                    break
    head, _, body = out.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().title()] = value.strip()
    return status, headers, body


def request_bytes(line: str, headers: dict | None = None, body: bytes = b"") -> bytes:
    h = {"Host": "127.0.0.1", **(headers or {})}
    return (line + "\r\n" + "".join(f"{k}: {v}\r\n" for k, v in h.items()) + "\r\n").encode("latin-1") + body


def chunked(body: bytes, size: int = 4096) -> bytes:
    parts = [body[i:i + size] for i in range(0, len(body), size)]
    return b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in parts) + b"0\r\n\r\n"


POST = "POST /api/search HTTP/1.1"
BIG = json.dumps({"q": "ok", "pad": "z" * 30000}).encode()
HUGE = json.dumps({"q": "ok", "pad": "z" * 200000}).encode()

RAW_CASES = [
    ("malformed request line", b"GARBAGE\r\n\r\n", 400),
    ("space in the target", request_bytes("GET /api/search?q=a b HTTP/1.1"), 400),
    ("raw non-UTF-8 in the target", request_bytes("GET /api/search?q=\xff\xfe HTTP/1.1"), 400),
    ("header without a colon", b"GET /api/health HTTP/1.1\r\nHost: x\r\nNoColonHere\r\n\r\n", 400),
    ("headers too large", request_bytes("GET /api/health HTTP/1.1", {"X-Big": "a" * 100000}), 431),
    ("negative Content-Length", request_bytes(POST, {"Content-Type": JSON, "Content-Length": "-5"}), 400),
    ("bad chunk size", request_bytes(POST, {"Content-Type": JSON, "Transfer-Encoding": "chunked"}, b"zz\r\nab\r\n0\r\n\r\n"),
     400),
    ("unsupported transfer coding", request_bytes(POST, {"Content-Type": JSON, "Transfer-Encoding": "gzip"}), 501),
    ("body over the app limit", request_bytes(POST, {"Content-Type": JSON, "Content-Length": str(len(BIG))}, BIG), 413),
    ("chunked body over the app limit",
     request_bytes(POST, {"Content-Type": JSON, "Transfer-Encoding": "chunked"}, chunked(BIG)), 413),
    ("body over the server limit", request_bytes(POST, {"Content-Type": JSON, "Content-Length": str(len(HUGE))}, HUGE),
     413),
    ("chunked body over the server limit",
     request_bytes(POST, {"Content-Type": JSON, "Transfer-Encoding": "chunked"}, chunked(HUGE)), 413),
    ("claimed 10 GB body", request_bytes(POST, {"Content-Type": JSON, "Content-Length": str(10 ** 10)}, b"{"), 413),
    ("invalid UTF-8 percent-encoded", request_bytes("GET /api/search?q=%FF%FE HTTP/1.1"), 400),
    ("NUL percent-encoded", request_bytes("GET /api/search?q=%00 HTTP/1.1"), 400),
    ("text/plain body", request_bytes(POST, {"Content-Type": "text/plain", "Content-Length": "11"}, b'{"q": "ok"}'),
     415),
    ("unknown method", request_bytes("BREW /api/search HTTP/1.1"), 405),
    ("unknown API path", request_bytes("GET /api/../../etc/passwd HTTP/1.1"), 404),
]


@pytest.mark.real
@pytest.mark.server
@pytest.mark.parametrize("name,data,status", RAW_CASES, ids=[c[0] for c in RAW_CASES])
def test_malformed_http_to_a_real_server(real_server, name, data, status):
    got, headers, body = raw_http(real_server.url, data)
    assert got == status, (name, got, body[:300])
    assert headers["Content-Type"] == "application/json", headers
    error = json.loads(body)
    assert set(error) == {"error"} and error["error"]["status"] == status and error["error"]["message"]
    assert "Server" not in headers and b"waitress" not in body.lower() and b"Traceback" not in body
    assert_safe_headers(headers)


@pytest.mark.real
@pytest.mark.server
@pytest.mark.parametrize("path", ["/doc/../../etc/passwd", "/doc/%2e%2e/%2e%2e/etc/passwd", "/doc/..%2fREADME.md",
                                  "/doc/..%2f..%2fsearch%2fcli.py", "/static/../search/cli.py",
                                  "/static/%2e%2e/%2e%2e/search/cli.py", "/static/..%5c..%5csearch%5ccli.py",
                                  "/doc/..\\..\\search\\cli.py", "/doc/%00", "/%2e%2e/%2e%2e/etc/passwd"])
def test_traversal_against_a_real_server(real_server, path):
    status, headers, body = raw_http(real_server.url, request_bytes(f"GET {path} HTTP/1.1", {"Connection": "close"}))
    assert status == 404, (path, body[:200])
    assert b"root:" not in body and b"def cmd_serve" not in body and b"import" not in body
    assert "Server" not in headers
    assert_safe_headers(headers)
