"""Paging, more like this, CSV export and /metrics on the real seeds, through a real server."""
import csv
import io
import json
import urllib.parse
import urllib.request

import pytest
from prometheus_client.parser import text_string_to_metric_families

pytestmark = [pytest.mark.real, pytest.mark.server]

Q = "why do unions oppose payment by results in probation?"


def fetch(url: str) -> tuple[str, str]:
    with urllib.request.urlopen(url, timeout=60) as r:
        return r.headers.get_content_type(), r.read().decode("utf-8")


def search(server, **params) -> dict:
    return json.loads(fetch(f"{server.url}/api/search?" + urllib.parse.urlencode({"q": Q, **params}))[1])


def spans(answer: dict) -> list[tuple]:
    return [(r["rank"], r["citation"]["doc"], r["citation"]["start"], r["citation"]["end"]) for r in answer["results"]]


def test_offset_5_gives_exactly_results_6_to_10(real_server):
    ten = spans(search(real_server, k=10))
    assert len(ten) == 10
    assert spans(search(real_server, k=5, offset=5)) == ten[5:]
    assert spans(search(real_server, offset=5))[:5] == ten[5:]


def test_similar_leaves_the_passage_out_and_csv_has_a_row_a_result(real_server):
    top = search(real_server, k=3)["results"][0]["citation"]
    query = urllib.parse.urlencode({"doc": top["doc"], "start": top["start"], "end": top["end"], "k": 5})
    similar = json.loads(fetch(f"{real_server.url}/api/similar?{query}")[1])
    assert len(similar["results"]) == 5
    assert all(not (r["citation"]["doc"] == top["doc"] and r["citation"]["start"] < top["end"]
                    and top["start"] < r["citation"]["end"]) for r in similar["results"])
    kind, text = fetch(f"{real_server.url}/api/search?" + urllib.parse.urlencode({"q": Q, "k": 4, "format": "csv"}))
    rows = list(csv.reader(io.StringIO(text)))
    assert kind == "text/csv" and rows[0][:3] == ["rank", "title", "doc"] and len(rows) == 5


def test_metrics_are_prometheus_text(real_server):
    search(real_server, k=1)
    kind, text = fetch(f"{real_server.url}/metrics")
    families = {f.name: f for f in text_string_to_metric_families(text)}
    assert kind == "text/plain" and families["search_index_passages"].samples[0].value > 100
    assert any(s.labels.get("route") == "/api/search" for s in families["search_http_requests"].samples)
