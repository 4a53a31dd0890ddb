"""Fuzzing every JSON endpoint through the Flask test client (tiny index, fake embedder).

Two sources of requests, each with a bounded number of examples so CI stays fast:

- schemathesis reads /api/openapi.json and generates valid and invalid requests for every
  operation; each answer must be no 5xx, a documented status, and match its documented schema;
- hypothesis sends what a schema cannot describe: arbitrary bytes in query strings and bodies,
  arbitrary JSON, odd content types, methods and paths (traversal pieces included).

Every answer under /api/ must be JSON, carry the security headers, and every 4xx must be the
error shape of API.md.
"""
from __future__ import annotations

import json
import string
from urllib.parse import quote, quote_from_bytes

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import (content_type_conformance, not_a_server_error, response_schema_conformance,
                                 status_code_conformance)

from web import create_app

from .conftest import ROOT, TINY_DOCS

STATIC_FILES = {p.read_bytes() for p in (ROOT / "web" / "static").iterdir() if p.is_file()}
FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck), database=None)
ADMIN_TOKEN = "fuzz-admin-token"


@pytest.fixture
def fuzz_app(tiny_service):
    """The tiny app with the reload endpoint switched on, so that it is fuzzed too."""
    app = create_app(tiny_service.settings.replace(admin_token=ADMIN_TOKEN), service=tiny_service)
    app.config["TESTING"] = True
    return app


@pytest.fixture
def fuzz_client(fuzz_app):
    return fuzz_app.test_client()


def check_answer(response, path: str) -> None:
    """The invariants every answer keeps, whatever was asked."""
    body = response.get_data()
    assert response.status_code < 500, (path, response.status_code, body[:300])
    assert response.headers.get("X-Content-Type-Options") == "nosniff"
    assert "frame-ancestors 'none'" in response.headers.get("Content-Security-Policy", "")
    assert b"Traceback" not in body
    if not (path.startswith("/api/") or path == "/api") or response.status_code == 204 or not body:
        return
    if response.status_code < 400 and response.mimetype in ("text/csv", "text/markdown"):   # format=csv|md
        return
    assert response.mimetype == "application/json", (path, response.status_code, body[:300])
    data = json.loads(body)
    if response.status_code >= 400:
        assert set(data) == {"error"}, data
        assert data["error"]["status"] == response.status_code and isinstance(data["error"]["message"], str)
    elif path.startswith("/api/search"):
        ranks = [r["rank"] for r in data["results"]]
        first = data["offset"] + 1   # ranks continue after the results an offset skips
        assert ranks == list(range(first, first + len(ranks))) and len(ranks) <= data["k"]
        for r in data["results"]:
            c = r["citation"]
            assert TINY_DOCS[c["doc"]][c["start"]:c["end"]] == r["text"]


# -- schema-driven: schemathesis over /api/openapi.json ----------------------------------------

@pytest.fixture
def api_schema(fuzz_app):
    return schemathesis.openapi.from_wsgi("/api/openapi.json", fuzz_app)


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@FUZZ
def test_every_operation_keeps_its_documented_contract(case):
    response = case.call()
    case.validate_response(response, checks=[not_a_server_error, status_code_conformance, content_type_conformance,
                                             response_schema_conformance])
    if response.status_code >= 400:
        body = response.json()
        assert set(body) == {"error"} and body["error"]["status"] == response.status_code


# -- beyond the schema: hypothesis --------------------------------------------------------------

NAMES = st.sampled_from(["q", "k", "doc", "Q", "q[]", "", "x", "k\x00", "doc "])
TRICKY = st.sampled_from(["", " ", "0", "-1", "51", "1e3", "NaN", "%", "%%", "%FF", "%00", "..", "../../etc/passwd",
                          "alpha.txt", "beta.md", "<script>alert(1)</script>", "\u202e", "\ufeff", "\x00", "\x1b[2J",
                          "9" * 40, "x" * 1001, "  libraries  "])
VALUES = st.one_of(TRICKY, st.text(max_size=60), st.integers(-10 ** 20, 10 ** 20).map(str))


def encode_pair(name: str, value: str, raw: bytes | None) -> str:
    encoded = quote_from_bytes(raw, safe="") if raw is not None else quote(value, safe="")
    return f"{quote(name, safe='')}={encoded}"


@FUZZ
@given(pairs=st.lists(st.tuples(NAMES, VALUES, st.none() | st.binary(max_size=12)), max_size=6),
       junk=st.sampled_from(["", "&", "&&", "=", "&=&", "&q", "+", "%"]))
def test_any_query_string(fuzz_client, pairs, junk):
    query = "&".join(encode_pair(*p) for p in pairs) + junk
    check_answer(fuzz_client.get("/api/search?" + query), "/api/search")


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30) | TRICKY,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12)
CONTENT_TYPES = st.sampled_from(["application/json", "application/json; charset=utf-8", "application/problem+json",
                                 "text/plain", "application/x-www-form-urlencoded", "", "multipart/form-data",
                                 "application/json; charset=latin-1", "APPLICATION/JSON", "application/*"])


@FUZZ
@given(q=JSON_VALUES, k=JSON_VALUES, doc=JSON_VALUES, present=st.sets(st.sampled_from(["q", "k", "doc"])),
       extra=st.dictionaries(st.text(max_size=8), JSON_VALUES, max_size=2), content_type=CONTENT_TYPES)
def test_any_json_body(fuzz_client, q, k, doc, present, extra, content_type):
    fields = {**extra, **{name: value for name, value in (("q", q), ("k", k), ("doc", doc)) if name in present}}
    body = json.dumps(fields, allow_nan=True)
    check_answer(fuzz_client.post("/api/search", data=body, content_type=content_type or None), "/api/search")


@FUZZ
@given(body=st.one_of(st.binary(max_size=300), JSON_VALUES.map(lambda v: json.dumps(v, allow_nan=True).encode()),
                      st.text(max_size=200).map(lambda t: t.encode("utf-8", "surrogatepass"))),
       content_type=CONTENT_TYPES)
def test_any_body_bytes(fuzz_client, body, content_type):
    check_answer(fuzz_client.post("/api/search", data=body, content_type=content_type or None), "/api/search")


SEGMENTS = st.one_of(
    st.sampled_from(["..", ".", "%2e%2e", "%2E%2e", "..%2f", "%2f", "%5c", "\\", "%00", "%ff", "%c0%af", "etc",
                     "passwd", "alpha.txt", "beta.md", "search", "cli.py", "app.js", "%252e%252e", "", "~", "CON"]),
    st.text(alphabet=string.ascii_letters + string.digits + "-._~%", max_size=12),
    st.text(max_size=8).map(lambda t: quote(t, safe="")))
PREFIXES = st.sampled_from(["/api/documents/", "/api/", "/api/search/", "/doc/", "/static/", "/", "/api/reload/"])
HEADER_TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs")), max_size=40)
METHODS = st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "TRACE", "PROPFIND", "FOO"])


def open_path(client, path: str, method: str):
    """Request ``path`` as a server would pass it on.

    The test client reads a leading "//host" as a host name (and fails on a name like "."), so the
    path is sent behind a dummy first segment and PATH_INFO set to what it decodes to without it.
    """
    from werkzeug.test import EnvironBuilder

    info = EnvironBuilder(path="/_" + path).get_environ()["PATH_INFO"][2:]
    return client.open("/_" + path, method=method,
                       environ_overrides={"PATH_INFO": info, "REQUEST_URI": path, "RAW_URI": path})


def test_a_path_starting_with_two_slashes_reaches_the_app(fuzz_client):
    assert open_path(fuzz_client, "//./x", "GET").status_code == 404
    assert open_path(fuzz_client, "/api/health", "GET").status_code == 200


@FUZZ
@given(prefix=PREFIXES, segments=st.lists(SEGMENTS, max_size=5), method=METHODS)
def test_any_path_and_method(fuzz_client, tiny_seeds, prefix, segments, method):
    (tiny_seeds.parent / "secret.txt").write_text("TOP-SECRET-CANARY", encoding="utf-8")
    path = prefix + "/".join(segments)
    response = open_path(fuzz_client, path, method)
    check_answer(response, path)
    assert b"TOP-SECRET-CANARY" not in response.get_data()
    doc_id = path.removeprefix("/doc/")
    if path.startswith("/doc/") and response.status_code == 200:
        assert doc_id in TINY_DOCS and method in ("GET", "HEAD")
    if path.startswith("/static/") and response.status_code == 200 and method == "GET":
        assert response.get_data() in STATIC_FILES, path


@FUZZ
@given(method=METHODS, auth=st.one_of(
    st.none(), HEADER_TEXT, st.sampled_from([f"Bearer {ADMIN_TOKEN}", f"bearer  {ADMIN_TOKEN} ", f"Basic {ADMIN_TOKEN}",
                                             f"Bearer {ADMIN_TOKEN}x", f"Bearer{ADMIN_TOKEN}", ADMIN_TOKEN]),
    HEADER_TEXT.map(lambda t: f"Bearer {t}")))
def test_the_reload_endpoint_under_fuzz(fuzz_client, method, auth):
    headers = {} if auth is None else {"Authorization": auth.encode("utf-8").decode("latin-1")}
    response = fuzz_client.open("/api/reload", method=method, headers=headers)
    check_answer(response, "/api/reload")
    if method == "POST":
        scheme, _, token = (auth or "").partition(" ")
        right = scheme.lower() == "bearer" and token.strip() == ADMIN_TOKEN
        assert (response.status_code == 200) == right, (auth, response.status_code)
        assert response.status_code in ((200,) if right else (401, 403))
