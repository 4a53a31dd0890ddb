"""The real model, the real seeds, a real server process, real HTTP."""
import json
import urllib.error
import urllib.parse
import urllib.request

import pytest

from .conftest import SEEDS

pytestmark = [pytest.mark.real, pytest.mark.server]


def get(url):
    try:
        with urllib.request.urlopen(url, timeout=60) as r:
            return r.status, r.headers, json.load(r)
    except urllib.error.HTTPError as e:
        return e.code, e.headers, json.load(e)


def post(url, body: bytes):
    req = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"}, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, json.load(r)
    except urllib.error.HTTPError as e:
        return e.code, json.load(e)


QUESTIONS = [
    "why do unions oppose payment by results in probation?",
    "what happened to library opening hours?",
    "Serco community payback contract",
]


@pytest.mark.parametrize("question", QUESTIONS)
def test_answers_keep_the_contract(real_server, question):
    status, headers, body = get(f"{real_server.url}/api/search?" + urllib.parse.urlencode({"q": question, "k": 10}))
    assert status == 200 and headers["Content-Type"].startswith("application/json")
    assert len(body["results"]) == 10
    docs = {p.name: p.read_text(encoding="utf-8") for p in SEEDS.iterdir()}
    for rank, res in enumerate(body["results"], start=1):
        c = res["citation"]
        text = docs[c["doc"]]
        assert res["rank"] == rank
        assert text[c["start"]:c["end"]] == res["text"]
        assert text.count("\n", 0, c["start"]) + 1 == c["line_start"]
        assert text.count("\n", 0, c["end"] - 1) + 1 == c["line_end"]
        assert c["section"], f"no section for {c}"
        with urllib.request.urlopen(real_server.url + c["url"].split("#")[0], timeout=30) as page:
            assert f'id="{c["url"].split("#")[1]}"' in page.read().decode()


def test_the_probation_question_finds_the_payment_by_results_passage(real_server):
    _, _, body = get(f"{real_server.url}/api/search?" + urllib.parse.urlencode({"q": QUESTIONS[0], "k": 5}))
    top = " ".join(r["text"] for r in body["results"]).lower()
    assert "payment by results" in top


def test_errors_over_real_http(real_server):
    status, _, body = get(f"{real_server.url}/api/search?q=&k=5")
    assert status == 400 and body["error"]["status"] == 400
    status, _, body = get(f"{real_server.url}/api/search?q=ok&k=500")
    assert status == 400 and "k must be" in body["error"]["message"]
    status, body = post(f"{real_server.url}/api/search", b"{oops")
    assert status == 400 and "malformed JSON" in body["error"]["message"]
    status, body = post(f"{real_server.url}/api/search", json.dumps({"q": "probation", "k": 2}).encode())
    assert status == 200 and len(body["results"]) == 2


def test_health_reports_the_index(real_server):
    status, _, body = get(f"{real_server.url}/api/health")
    assert status == 200 and body["status"] == "ok"
    assert body["documents"] == 5 and body["passages"] > 100
    assert body["model"] == "sentence-transformers/all-MiniLM-L6-v2"


def test_server_is_not_flasks_development_server(real_server):
    with urllib.request.urlopen(real_server.url + "/", timeout=30) as r:
        assert "Werkzeug" not in (r.headers.get("Server") or "")
