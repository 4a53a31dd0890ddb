"""The HTTP contract of ../shared/API.md over the Flask test client (fake embedder)."""
import pytest

from web import create_app

from .helpers import assert_error


def test_search_answers_the_contract(client, tiny_seeds):
    r = client.get("/api/search", query_string={"q": "opening hours of libraries", "k": 3})
    assert r.status_code == 200 and r.mimetype == "application/json"
    body = r.get_json()
    assert body["query"] == "opening hours of libraries" and body["k"] == 3
    assert isinstance(body["took_ms"], float)
    assert 1 <= len(body["results"]) <= 3
    for i, res in enumerate(body["results"], start=1):
        c = res["citation"]
        doc = (tiny_seeds / c["doc"]).read_text(encoding="utf-8")
        assert res["rank"] == i
        assert doc[c["start"]:c["end"]] == res["text"]
        assert doc.count("\n", 0, c["start"]) + 1 == c["line_start"]
        assert doc.count("\n", 0, c["end"] - 1) + 1 == c["line_end"]
        assert c["url"] == f"/doc/{c['doc']}#p-{c['start']}-{c['end']}"
        assert isinstance(c["section"], list) and c["title"]
    scores = [res["score"] for res in body["results"]]
    assert scores == sorted(scores, reverse=True)


def test_default_k_is_ten_and_post_answers_the_same(client):
    get = client.get("/api/search?q=services").get_json()
    post = client.post("/api/search", json={"q": "services"}).get_json()
    assert get["k"] == post["k"] == 10
    assert [r["citation"] for r in get["results"]] == [r["citation"] for r in post["results"]]


def test_doc_filter_repeats(client):
    body = client.get("/api/search?q=services&doc=beta.md&doc=alpha.txt").get_json()
    assert {r["citation"]["doc"] for r in body["results"]} <= {"alpha.txt", "beta.md"}
    only = client.post("/api/search", json={"q": "services", "doc": ["beta.md"]}).get_json()
    assert only["results"] and {r["citation"]["doc"] for r in only["results"]} == {"beta.md"}


@pytest.mark.parametrize("query,fragment", [
    ({}, "q is required"),
    ({"q": ""}, "q is required"),
    ({"q": "   "}, "q is required"),
    ({"q": "x" * 1001}, "limit is 1000"),
    ({"q": "ok", "k": "0"}, "k must be an integer from 1 to 50"),
    ({"q": "ok", "k": "51"}, "k must be an integer from 1 to 50"),
    ({"q": "ok", "k": "-3"}, "k must be an integer from 1 to 50"),
    ({"q": "ok", "k": "ten"}, "k must be an integer from 1 to 50"),
    ({"q": "ok", "k": "2.5"}, "k must be an integer from 1 to 50"),
    ({"q": "ok", "k": "99999999999999999999"}, "k must be an integer from 1 to 50"),
    ({"q": "ok", "doc": "missing.txt"}, "unknown doc"),
])
def test_get_400_cases(client, query, fragment):
    assert_error(client.get("/api/search", query_string=query), 400, fragment)


@pytest.mark.parametrize("body,fragment", [
    (b"{not json", "malformed JSON"),
    (b"[1, 2]", "malformed JSON"),
    (b'"just a string"', "malformed JSON"),
    (b"", "malformed JSON"),
    (b'{"q": 5}', "q must be a string"),
    (b'{"q": "ok", "k": "lots"}', "k must be"),
    (b'{"q": "ok", "k": true}', "k must be"),
    (b'{"q": "ok", "k": 0}', "k must be"),
    (b'{"q": "ok", "doc": 3}', "doc must be"),
    (b'{"q": "ok", "doc": ["nope.txt"]}', "unknown doc"),
    (b'{"k": 3}', "q is required"),
    (b"\xff\xfe{", "malformed JSON"),
])
def test_post_400_cases(client, body, fragment):
    assert_error(client.post("/api/search", data=body, content_type="application/json"), 400, fragment)


def test_missing_index_is_503_with_the_command_to_run(tmp_path, fake_embedder, make_settings):
    from search.service import SearchService

    settings = make_settings(tmp_path / "seeds", tmp_path / "no-index")
    app = create_app(settings, service=SearchService(settings, fake_embedder))
    c = app.test_client()
    assert_error(c.get("/api/search?q=hello"), 503, "python -m search build")
    health = c.get("/api/health")
    assert health.status_code == 503 and health.get_json()["status"] == "unavailable"
    page = c.get("/?q=hello")
    assert page.status_code == 503 and b"python -m search build" in page.data


def test_unknown_api_path_and_method(client):
    assert_error(client.get("/api/nothing-here"), 404)
    assert_error(client.put("/api/search?q=x"), 405)
    assert_error(client.delete("/api/health"), 405)


def test_document_page_has_the_passage_element(client):
    body = client.get("/api/search?q=payment+by+results&k=1").get_json()
    url = body["results"][0]["citation"]["url"]
    path, fragment = url.split("#")
    page = client.get(path)
    assert page.status_code == 200
    assert f'id="{fragment}"'.encode() in page.data


def test_search_page_renders_results_and_escapes_the_question(client):
    page = client.get("/", query_string={"q": "<script>alert(1)</script> libraries"})
    assert page.status_code == 200
    assert b"<script>alert(1)</script>" not in page.data
    assert b"&lt;script&gt;alert(1)&lt;/script&gt;" in page.data
    assert b"Open in document" in page.data
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
