"""The HTML pages over the Flask test client (tiny documents, fake embedder)."""
from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import pytest

from search.model import SearchResponse
from web.layout import layout_document
from search.model import Document as StoredDocument
from web import create_app
from web.pages import marked_segments

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}

HOSTILE_DOC = (
    'Notes on <b>"bold"</b> & <script>window.__pwned=1</script>\n\n'
    "1. Aims\n\n"
    "The council will <img src=x onerror=alert(1)> review every library.\n\n"
    "- first point about libraries\n"
    "- second point about opening hours\n\n"
    "2. Budget\n\n"
    "Costs fell by a third after the <a href='//evil.com'>review</a>.\n"
)


class Page(HTMLParser):
    """Every element of a page as (tag, attributes, text inside it), and the elements with an id."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict, str]] = []
        self.by_id: dict[str, tuple[str, dict, str]] = {}
        self._open: list[list] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = {k: v if v is not None else "" for k, v in attrs}
        if tag in VOID:
            self._record(tag, attrs, "")
        else:
            self._open.append([tag, attrs, []])

    def handle_endtag(self, tag):
        while self._open:
            name, attrs, parts = self._open.pop()
            text = "".join(parts)
            self._record(name, attrs, text)
            if self._open:
                self._open[-1][2].append(text)
            if name == tag:
                break

    def handle_data(self, data):
        if self._open:
            self._open[-1][2].append(data)

    def _record(self, tag, attrs, text):
        self.elements.append((tag, attrs, text))
        if "id" in attrs:
            self.by_id[attrs["id"]] = (tag, attrs, text)

    def find(self, tag: str, cls: str | None = None) -> list[tuple[str, dict, str]]:
        return [e for e in self.elements if e[0] == tag and (cls is None or cls in e[1].get("class", "").split())]


def words(text: str) -> str:
    """Letters and digits only: the same for a passage and its rendering, whatever the markup and bullets."""
    return re.sub(r"\W+", "", text)


def get(client, url, status=200, **kw) -> Page:
    response = client.get(url, **kw)
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    assert response.mimetype == "text/html"
    return Page(response.get_data(as_text=True))


@pytest.fixture
def hostile_client(tmp_path, fake_embedder, make_settings):
    """An app over a document full of markup, so escaping shows."""
    from search.build import build_index
    from search.service import SearchService

    seeds = tmp_path / "hostile-seeds"
    seeds.mkdir()
    (seeds / "notes.txt").write_text(HOSTILE_DOC, encoding="utf-8")
    build_index(seeds, tmp_path / "hostile-index", fake_embedder, progress=False, log=lambda m: None)
    settings = make_settings(seeds, tmp_path / "hostile-index")
    app = create_app(settings, service=SearchService(settings, fake_embedder))
    return app.test_client()


@pytest.fixture
def no_index_client(tmp_path, fake_embedder, make_settings):
    from search.service import SearchService

    settings = make_settings(tmp_path / "seeds", tmp_path / "no-index")
    return create_app(settings, service=SearchService(settings, fake_embedder)).test_client()


# -- the search page ---------------------------------------------------------------------

def test_the_box_is_labelled_focused_and_keeps_the_question(client):
    page = get(client, "/", query_string={"q": "opening hours of libraries"})
    box = page.by_id["q"]
    assert box[0] == "input" and "autofocus" in box[1] and box[1]["value"] == "opening hours of libraries"
    assert [e for e in page.find("label") if e[1].get("for") == "q"]
    form = [e for e in page.find("form") if e[1].get("role") == "search"][0]
    assert form[1]["method"] == "get" and form[1]["action"] == "/"
    assert page.find("main") and page.find("header") and page.find("footer")


def test_results_show_rank_passage_title_section_lines_time_and_citation(client):
    q = "opening hours of libraries"
    api = client.get("/api/search", query_string={"q": q}).get_json()["results"]
    page = get(client, "/", query_string={"q": q})
    assert re.search(r"\d+ passages · found in \d+ ms", " ".join(page.by_id["results-heading"][2].split()))
    assert page.find("mark", "hl-answer") and page.find("mark", "hl-keyword")   # the legend shows both kinds
    results = page.find("li", "result")
    assert len(results) == len(api)
    first, c = results[0][2], api[0]["citation"]
    assert first.split()[0] == "1" and c["title"] in first and " › ".join(c["section"]) in first
    assert f"line {c['line_start']}" in first or f"lines {c['line_start']}–{c['line_end']}" in first
    assert words(api[0]["text"]) in words(page.find("blockquote", "passage")[0][2])
    assert {e[2].lower() for e in page.find("mark", "hl-keyword")} >= {"opening", "hours"}
    lines = f"line {c['line_start']}" if c["line_start"] == c["line_end"] else f"lines {c['line_start']}–{c['line_end']}"
    section = f"§ {' › '.join(c['section'])}, " if c["section"] else ""
    assert page.find("button", "copy")[0][1]["data-citation"] == f"{c['title']}, {section}{lines}. http://localhost{c['url']}"
    link = urlsplit(page.find("a", "open")[0][1]["href"])
    assert link.path + "#" + link.fragment == c["url"]
    assert parse_qs(parse_qs(link.query)["back"][0]) == {"q": [q]}


def test_marked_segments_split_at_every_highlight_edge():
    text = "Payment by results shifts risk. Charities lose."
    marks = [{"start": 0, "end": 31, "kind": "answer"}, {"start": 0, "end": 7, "kind": "keyword"},
             {"start": 11, "end": 18, "kind": "keyword"}]
    assert marked_segments(text, marks) == [
        ("Payment", "hl-answer hl-keyword"), (" by ", "hl-answer"), ("results", "hl-answer hl-keyword"),
        (" shifts risk.", "hl-answer"), (" Charities lose.", "")]


def test_the_document_filter_lists_every_title_and_is_kept_in_the_form(client):
    page = get(client, "/", query_string={"q": "services", "doc": "beta.md"})
    boxes = {e[1]["value"]: "checked" in e[1] for e in page.find("input")
             if e[1].get("name") == "doc" and e[1].get("type") == "checkbox"}   # not the feedback forms' hidden doc
    assert boxes == {"alpha.txt": False, "beta.md": True}
    assert {"Alpha Report", "Beta notes"} <= {" ".join(e[2].split()) for e in page.find("label", "doc-choice")}
    assert {e[2] for e in page.find("h3", "title")} == {"Beta notes"}
    assert all(urlsplit(e[1]["href"]).path == "/doc/beta.md" for e in page.find("a", "open"))
    assert "Search in: Beta notes" in page.find("summary")[0][2]
    unfiltered = get(client, "/", query_string={"q": "services"})
    assert not any("checked" in e[1] for e in unfiltered.find("input") if e[1].get("name") == "doc")
    assert "all 2 documents" in unfiltered.find("summary")[0][2]


@pytest.mark.parametrize("q", ["", "   "])
def test_an_empty_question_asks_for_one(client, q):
    page = get(client, "/", 400, query_string={"q": q})
    alert = [e for e in page.elements if e[1].get("role") == "alert"][0][2]
    assert "Please type a question" in alert and not page.find("li", "result")


def test_a_bad_k_says_what_is_wrong(client):
    page = get(client, "/", 400, query_string={"q": "libraries", "k": "lots"})
    assert "k must be an integer from 1 to 50" in [e for e in page.elements if e[1].get("role") == "alert"][0][2]


def test_a_question_that_is_not_utf8_is_refused_not_searched_as_replacement_characters(client):
    page = get(client, "/?q=%FF%FE", 400)
    alert = [e for e in page.elements if e[1].get("role") == "alert"][0][2]
    assert "not valid UTF-8" in alert and not page.find("li", "result")


def test_no_results_says_so_and_offers_every_document(client, tiny_service, monkeypatch):
    monkeypatch.setattr(tiny_service, "search", lambda q, k=None, docs=None, **options: SearchResponse(q, 10, 0.4, "v", []))
    page = get(client, "/", query_string={"q": "zebras", "doc": "beta.md"})
    message = page.find("div", "message")[0]
    assert "No passages match" in message[2]
    assert [e[1]["href"] for e in page.find("a") if "every document" in e[2]] == ["/?q=zebras"]


def test_without_an_index_both_pages_say_search_is_unavailable(no_index_client):
    page = get(no_index_client, "/", 503, query_string={"q": "libraries"})
    alert = [e for e in page.elements if e[1].get("role") == "alert"][0][2]
    assert "Search is not available right now" in alert and "python -m search build" in alert
    assert page.by_id["q"][1]["value"] == "libraries"
    doc = get(no_index_client, "/doc/alpha.txt", 503)
    assert "python -m search build" in doc.find("div", "message")[0][2]


def test_question_and_document_text_are_escaped(hostile_client):
    q = "<script>window.__pwned=1</script> library"
    response = hostile_client.get("/", query_string={"q": q})
    html = response.get_data(as_text=True)
    assert "<script>window" not in html and "<img src=x" not in html and "<b>" not in html
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in html
    page = Page(html)
    assert page.by_id["q"][1]["value"] == q
    assert all(e[1].get("src", "").startswith("/static/") for e in page.find("script"))
    doc_html = hostile_client.get("/doc/notes.txt").get_data(as_text=True)
    assert "<script>window" not in doc_html and "<img src=x" not in doc_html and "<a href='//evil.com'>" not in doc_html
    assert "&lt;img src=x onerror=alert(1)&gt;" in doc_html
    assert not [e for e in Page(doc_html).find("a") if "evil" in e[1].get("href", "")]


# -- the document page -------------------------------------------------------------------

def test_the_document_page_reads_as_a_document_with_contents(hostile_client):
    page = get(hostile_client, "/doc/notes.txt")
    assert page.find("h1")[0][2].startswith('Notes on <b>"bold"</b>')
    headings = {e[2]: e[1]["id"] for e in page.elements if e[0] in ("h2", "h3") and e[1].get("id", "").startswith("h-")}
    assert {"1. Aims", "2. Budget"} <= set(headings)
    toc = [e for e in page.find("a") if e[1]["href"].startswith("#h-")]
    assert [e[2] for e in toc][-2:] == ["1. Aims", "2. Budget"]
    assert all(page.by_id[e[1]["href"][1:]][0] in ("h2", "h3") for e in toc)
    assert [e[2] for e in page.find("li") if "point" in e[2]] == ["first point about libraries", "second point about opening hours"]
    assert not page.find("pre") and page.find("ul") and len(page.find("p")) >= 3


@pytest.mark.parametrize("doc_id", ["alpha.txt", "beta.md", "notes.txt"])
def test_every_passage_is_one_element_holding_exactly_its_text(client, hostile_client, tiny_service, doc_id):
    c = hostile_client if doc_id == "notes.txt" else client
    index = c.application.extensions["search"].engine().store
    page = get(c, f"/doc/{doc_id}")
    passages = index.passages(index.passage_ids(doc_id))
    assert passages
    for p in passages:
        tag, attrs, text = page.by_id[f"p-{p.start}-{p.end}"]
        assert "passage" in attrs["class"].split() and words(text) == words(p.text)


@pytest.mark.parametrize("back,expected", [
    ("q=libraries&doc=alpha.txt", "/?q=libraries&doc=alpha.txt"),
    ("q=a+b&doc=alpha.txt&doc=beta.md&k=5", "/?q=a+b&k=5&doc=alpha.txt&doc=beta.md"),
    ("//evil.com", "/"),
    ("https://evil.com/?q=x", "/"),
    ("javascript:alert(1)", "/"),
    ("q=x&next=//evil.com#frag", "/?q=x"),
    ("q=%22%3E%3Cscript%3E", "/?q=%22%3E%3Cscript%3E"),
])
def test_the_back_link_only_ever_returns_to_the_search_page(client, back, expected):
    link = [e for e in get(client, "/doc/alpha.txt", query_string={"back": back}).find("a") if "Back to results" in e[2]]
    href = link[0][1]["href"]
    parts = urlsplit(href)
    assert not parts.scheme and not parts.netloc and parts.path == "/"
    assert parse_qs(parts.query) == parse_qs(urlsplit(expected).query)


def test_the_open_link_leads_back_to_the_same_search(client):
    page = get(client, "/", query_string={"q": "payment by results", "doc": ["alpha.txt", "beta.md"]})
    href = page.find("a", "open")[0][1]["href"]
    doc = get(client, href.split("#")[0])
    back = [e for e in doc.find("a") if "Back to results" in e[2]][0][1]["href"]
    assert parse_qs(urlsplit(back).query) == {"q": ["payment by results"], "doc": ["alpha.txt", "beta.md"]}
    assert href.split("#")[1] in doc.by_id


def test_without_a_back_parameter_the_page_offers_a_new_search(client):
    page = get(client, "/doc/alpha.txt")
    assert [e[1]["href"] for e in page.find("a") if "New search" in e[2]] == ["/"]


def test_an_unknown_document_is_a_friendly_404(client):
    page = get(client, "/doc/nothing.txt", 404)
    assert "Not found" in page.find("h1")[0][2]


# -- the layout behind the document page --------------------------------------------------

def test_list_items_are_grouped_into_lists_and_tables_into_cells():
    text = "Aims:\n\n- one\n- two\n\n1) first\n2) second\n\nName\tPage\nIntro\t2\n"
    doc = StoredDocument("d", "D", "", text)
    blocks = [b for s in layout_document(doc, []) for b in s.blocks]
    assert [(b.kind, b.items, b.numbered) for b in blocks[:3]] == [
        ("paragraph", [], False), ("list", ["one", "two"], False), ("list", ["1) first", "2) second"], True)]
    assert blocks[3].kind == "table" and blocks[3].rows == [["Name", "Page"], ["Intro", "2"]]
    assert all(text[b.start:b.end].strip() == text[b.start:b.end] for b in blocks)


# -- match strength, explain and the reading bar ------------------------------------------

def test_a_weak_answer_says_no_passage_matches_closely_before_the_nearest(client, tiny_service, monkeypatch):
    real_search = tiny_service.search

    def none_match(*args, **kw):
        response = real_search(*args, **kw)
        return SearchResponse(response.query, response.k, response.took_ms, response.version, response.results,
                              match="none", min_confidence=response.min_confidence, explain=response.explain)

    monkeypatch.setattr(tiny_service, "search", none_match)
    page = get(client, "/", query_string={"q": "libraries"})
    note = page.find("div", "no-match")
    assert note and "No passage matches your question closely" in note[0][2]
    html = client.get("/?q=libraries").get_data(as_text=True)
    assert html.index("No passage matches your question closely") < html.index('<ol class="results">')


def test_results_show_their_strength_and_why_and_the_strength_filter_is_kept(client):
    from search.confidence import WEAK

    page = get(client, "/", query_string={"q": "social housing waiting lists", "min_confidence": str(WEAK)})
    assert page.find("span", "strength") and page.find("details", "why")
    assert any("Why this result?" in e[2] for e in page.find("summary"))
    chosen = [e for e in page.find("option") if "selected" in e[1]]
    assert chosen and chosen[0][1]["value"] == str(WEAK)
    back = [e[1]["href"] for e in page.find("a", "open")]
    assert all("min_confidence" in parse_qs(urlsplit(h).query).get("back", [""])[0] for h in back)
    assert "min_confidence must be" in client.get("/?q=libraries&min_confidence=7").get_data(as_text=True)


def test_a_cited_span_marks_its_section_without_javascript(client):
    answer = client.get("/api/search?q=social housing waiting lists&k=1").get_json()["results"][0]
    c = answer["citation"]
    page = get(client, f"/doc/{c['doc']}", query_string={"span": f"{c['start']}-{c['end']}"})
    assert "reading" in page.by_id["reading-bar"][1]["class"].split()
    assert page.by_id["reading-section"][2].strip() == "§ " + " › ".join(c["section"])
    current = [e for e in page.find("a") if e[1].get("aria-current") == "location"]
    assert len(current) == 1 and current[0][2] == c["section"][-1]
    plain = get(client, f"/doc/{c['doc']}")
    assert "reading" not in plain.by_id["reading-bar"][1]["class"].split()
    assert not [e for e in plain.find("a") if e[1].get("aria-current")]
    passage = plain.by_id[f"p-{c['start']}-{c['end']}"][1]
    assert passage["data-section"] == " › ".join(c["section"]) and passage["data-heading"].startswith("h-")


def test_long_section_headings_are_shortened_on_the_page_and_the_copied_citation(tmp_path, fake_embedder, make_settings):
    from search.build import build_index
    from search.patterns import display_heading
    from search.service import SearchService
    from web import create_app

    seeds = tmp_path / "seeds"
    seeds.mkdir()
    long_heading = "# " + "Rural bus services and the community transport schemes that replace them " * 3
    (seeds / "buses.md").write_text(long_heading + "\n\nVillages lost their evening buses in the spring timetable.\n"
                                    "\n# Parks\n\nThe park opens at dawn.\n", encoding="utf-8")
    (seeds / "copy.md").write_text("# Copy\n\nVillages lost their evening buses in the spring timetable.\n", encoding="utf-8")
    build_index(seeds, tmp_path / "index", fake_embedder, progress=False, log=lambda m: None)
    settings = make_settings(seeds, tmp_path / "index")
    client = create_app(settings, service=SearchService(settings, fake_embedder)).test_client()
    api = client.get("/api/search?q=evening+buses+villages&k=3").get_json()["results"][0]
    assert len(api["citation"]["section"][0]) > 150                          # the API keeps headings whole
    page = client.get("/?q=evening+buses+villages&k=3").data.decode()
    shown = display_heading(api["citation"]["section"][0])
    assert shown.endswith("…") and len(shown) <= 80 and f"§ {shown}" in page
    assert "Also in" in page and "copy.md" in page                          # the same paragraph elsewhere
