"""Paging, more like this, CSV and Markdown export, and /metrics, over the tiny index."""
import csv
import io

import pytest
from prometheus_client.parser import text_string_to_metric_families

from .helpers import assert_error

Q = "payment by results and social housing"


def ranked(client, **params):
    answer = client.get("/api/search", query_string={"q": Q, **params}).get_json()
    return answer, [(r["rank"], r["citation"]["doc"], r["citation"]["start"], r["citation"]["end"])
                    for r in answer["results"]]


def test_offset_returns_the_next_results_of_the_same_ranking(client):
    full, whole = ranked(client, k=4)
    assert len(whole) == 4
    page, rest = ranked(client, k=2, offset=2)
    assert rest == whole[2:] and page["offset"] == 2 and page["index_version"] == full["index_version"]
    assert [r[0] for r in rest] == [3, 4]   # ranks continue
    assert ranked(client, k=3, offset=1)[1] == whole[1:]
    post = client.post("/api/search", json={"q": Q, "k": 2, "offset": 2}).get_json()
    assert [r["rank"] for r in post["results"]] == [3, 4]


@pytest.mark.parametrize("offset", ["-1", "x", "1.5", "51"])
def test_a_bad_offset_is_a_400(client, offset):
    assert_error(client.get("/api/search", query_string={"q": Q, "k": 50, "offset": offset}), 400, "offset")


def test_offset_plus_k_is_at_most_100(client):
    assert client.get("/api/search", query_string={"q": Q, "k": 50, "offset": 50}).status_code == 200
    assert_error(client.get("/api/search", query_string={"q": Q, "k": 10, "offset": 91}), 400, "at most 100")


def test_similar_answers_in_the_search_shape_without_the_passage_itself(client):
    source = client.get("/api/search", query_string={"q": "payment by results", "k": 1}).get_json()["results"][0]
    c = source["citation"]
    answer = client.get("/api/similar", query_string={"doc": c["doc"], "start": c["start"], "end": c["end"]}).get_json()
    assert answer["results"] and answer["index_version"] and answer["query"] == source["text"]
    spans = [(r["citation"]["doc"], r["citation"]["start"], r["citation"]["end"]) for r in answer["results"]]
    assert (c["doc"], c["start"], c["end"]) not in spans
    assert all(not (d == c["doc"] and s < c["end"] and c["start"] < e) for d, s, e in spans)   # nor overlaps it
    assert [r["rank"] for r in answer["results"]] == list(range(1, len(spans) + 1))


def test_similar_refuses_unknown_and_forbidden_passages_alike(client, monkeypatch):
    c = client.get("/api/search", query_string={"q": "payment by results", "k": 1}).get_json()["results"][0]["citation"]
    assert_error(client.get("/api/similar", query_string={"doc": c["doc"], "start": c["start"] + 1, "end": c["end"]}),
                 400, "unknown passage")
    assert_error(client.get("/api/similar", query_string={"doc": c["doc"]}), 400, "doc, start and end are required")
    monkeypatch.setattr("web.similar.allowed_docs", lambda engine=None: frozenset({"beta.md"}) - {c["doc"]})
    forbidden = client.get("/api/similar", query_string={"doc": c["doc"], "start": c["start"], "end": c["end"]})
    assert_error(forbidden, 400, "unknown passage")


def test_similar_searches_only_the_callers_documents(client, monkeypatch):
    c = client.get("/api/search", query_string={"q": "payment by results", "k": 1}).get_json()["results"][0]["citation"]
    monkeypatch.setattr("web.similar.allowed_docs", lambda engine=None: frozenset({c["doc"]}))
    answer = client.get("/api/similar", query_string={"doc": c["doc"], "start": c["start"], "end": c["end"]}).get_json()
    assert {r["citation"]["doc"] for r in answer["results"]} <= {c["doc"]}


def test_each_result_on_the_page_links_to_more_like_this_and_the_page_answers(client):
    page = client.get("/", query_string={"q": "payment by results"}).get_data(as_text=True)
    assert page.count('class="similar" href="/similar?doc=') >= 1
    href = page.split('class="similar" href="')[1].split('"')[0].replace("&amp;", "&")
    similar = client.get(href)
    assert similar.status_code == 200 and "Passages closest in meaning" in similar.get_data(as_text=True)


def test_csv_export_has_a_header_and_one_row_a_result(client):
    answer = client.get("/api/search", query_string={"q": Q, "k": 3}).get_json()
    r = client.get("/api/search", query_string={"q": Q, "k": 3, "format": "csv"})
    assert r.status_code == 200 and r.mimetype == "text/csv" and "attachment" in r.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(r.get_data(as_text=True))))
    assert len(rows) == len(answer["results"])
    for row, hit in zip(rows, answer["results"]):
        c = hit["citation"]
        assert row["rank"] == str(hit["rank"]) and row["title"] == c["title"] and row["doc"] == c["doc"]
        assert row["url"] == "http://localhost" + c["url"] and row["section"] == " › ".join(c["section"])
        assert row["text"].lstrip("'") == hit["text"] and row["lines"].startswith(str(c["line_start"]))


def test_markdown_export_and_a_bad_format(client):
    r = client.post("/api/search", json={"q": Q, "k": 2, "format": "md"})
    text = r.get_data(as_text=True)
    assert r.mimetype == "text/markdown" and text.startswith("# payment by results") and "## 1. " in text
    assert_error(client.get("/api/search", query_string={"q": Q, "format": "xml"}), 400, "format must be")


def test_the_page_offers_downloads(client):
    page = client.get("/", query_string={"q": "payment"}).get_data(as_text=True)
    assert "/api/search?q=payment&amp;format=csv" in page and "format=md" in page


def test_a_formula_is_not_exported_as_one():
    from search.export import _cell

    assert _cell("=HYPERLINK(1)") == "'=HYPERLINK(1)" and _cell("- a bullet") == "- a bullet" and _cell(3) == 3


def metrics(client) -> dict:
    r = client.get("/metrics")
    assert r.status_code == 200 and r.mimetype == "text/plain"
    return {f.name: f for f in text_string_to_metric_families(r.get_data(as_text=True))}


def test_metrics_parse_and_count_by_route_and_status(client, tiny_service):
    client.get("/api/search", query_string={"q": "payment"})
    client.get("/api/search", query_string={"q": "payment"})   # a query-cache hit
    client.get("/api/search", query_string={"q": ""})
    client.get("/doc/alpha.txt")
    for n in range(5):   # made-up methods: one "other" series, not one each
        client.open("/nowhere", method=f"M{n}XYZ")
    families = metrics(client)
    methods = {s.labels["method"] for s in families["search_http_requests"].samples}
    assert "other" in methods and not any(m.startswith("M") for m in methods)
    requests = {(s.labels["route"], s.labels["status"]): s.value
                for s in families["search_http_requests"].samples if s.name.endswith("_total")}
    assert requests[("/api/search", "200")] == 2 and requests[("/api/search", "400")] == 1
    assert requests[("/doc/<path:doc_id>", "200")] == 1
    assert any(s.name == "search_http_request_seconds_bucket" for s in families["search_http_request_seconds"].samples)
    assert families["search_query_cache_hits"].samples[0].value >= 1
    assert families["search_searches_in_flight"].samples[0].value == 0
    info = families["search_index_info"].samples[0]
    assert info.labels["version"] == tiny_service.engine().version
    assert families["search_index_passages"].samples[0].value == tiny_service.engine().store.info()["passages"]
    assert families["search_index_documents"].samples[0].value == 2
    assert families["search_index_build_seconds"].samples[0].value > 0
    for family in families.values():   # no question text, document id or address in any label
        for sample in family.samples:
            for value in sample.labels.values():
                assert "payment" not in value and "alpha.txt" not in value and "127.0.0.1" not in value


def test_metrics_count_refusals_and_feedback(tiny_service):
    from web import create_app

    app = create_app(tiny_service.settings.replace(rate_limit=1), service=tiny_service)
    client = app.test_client()
    hit = client.get("/api/search", query_string={"q": "payment"}).get_json()["results"][0]["citation"]
    client.get("/api/search", query_string={"q": "payment"})   # over the rate limit
    tiny_service._slots = type(tiny_service._slots)(1)
    tiny_service._slots.acquire()   # every search slot is taken: the page answers 503 at once
    assert client.get("/", query_string={"q": "payment"}).status_code == 503
    app.extensions["rate_limiter"].per_minute = 0
    body = {"q": "payment", "doc": hit["doc"], "start": hit["start"], "end": hit["end"], "helpful": False}
    assert client.post("/api/feedback", json=body).status_code == 201
    families = metrics(client)
    refusals = {s.labels["reason"]: s.value for s in families["search_refusals"].samples if s.name.endswith("_total")}
    assert refusals == {"rate_limit": 1, "overload": 1}
    feedback = {s.labels["helpful"]: s.value for s in families["search_feedback"].samples if s.name.endswith("_total")}
    assert feedback == {"true": 0, "false": 1}


def test_pages_read_one_ranking_even_where_one_documents_share_binds():
    """Doc a holds the 12 best passages: page one keeps it to 7 of 10, and every offset reads the same list."""
    import numpy as np

    from search.fusion import FusionSettings, fuse_pages, fuse_rows
    from search.stores.base import Candidates

    n = 30
    cos = np.linspace(1.0, 0.5, n).astype(np.float32)
    docs = ["a.txt"] * 12 + ["b.txt"] * 9 + ["c.txt"] * 9
    cands = Candidates(np.arange(n, dtype=np.int64), cos, cos, np.zeros(n, np.float32), docs, np.zeros(n, bool))
    settings = FusionSettings()
    whole = fuse_pages(cands, 30, settings, 10)
    assert whole[:10] == fuse_rows(cands, 10, settings)            # page one is today's answer for k = 10
    assert sum(docs[rows[0]] == "a.txt" for rows, _, _ in whole[:10]) == 7
    rows = [r for group, _, _ in whole for r in group]
    assert sorted(rows) == list(range(n))                          # every passage once: nothing skipped or repeated
    for offset, k in [(5, 10), (5, 5), (10, 10), (3, 17)]:
        assert fuse_pages(cands, offset + k, settings, 10)[offset:] == whole[offset:offset + k]


def test_similar_leaves_out_every_copy_of_a_joined_passages_text(tmp_path, fake_embedder):
    from search.build import build_index
    from search.encoders import CachedEncoder
    from search.engine import Engine
    from search.stores.folder import FolderStore

    words = "harbour ferry timetable winter service council review passengers".split()
    paragraph = " ".join(f"The {words[i % 8]} report {i} found the {words[(i * 3) % 8]} changed." for i in range(90))
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    for name in ("a.txt", "copy.txt"):   # byte-identical documents: one paragraph cut into joined passages
        (seeds / name).write_text(f"Ferries\n\n{paragraph}\n\nOther matters\n\nThe library opens at nine.\n")
    build_index(seeds, tmp_path / "index", fake_embedder, progress=False, log=lambda m: None)
    engine = Engine(FolderStore.open(tmp_path / "index", fake_embedder), CachedEncoder(fake_embedder))
    joined = next(h for h in engine.search("harbour ferry timetable report", k=10).results if h.joined)
    text = joined.passage.text
    for hit in engine.similar(joined.passage.doc_id, joined.passage.start, joined.passage.end, k=10).results:
        assert hit.passage.text not in text and text not in hit.passage.text, hit.passage
