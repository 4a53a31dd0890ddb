"""The pages in headless Chromium against the real server: real model, real seeds, real HTTP.

Uses Debian's chromium (/usr/bin/chromium) through Playwright; never ``playwright install``.
Screenshots of the pages land in artifacts/screenshots/ for a person to look at.
"""
from __future__ import annotations

import re
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from playwright.sync_api import expect, sync_playwright

from .conftest import ROOT

pytestmark = [pytest.mark.real, pytest.mark.server, pytest.mark.browser]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SHOTS = ROOT / "artifacts" / "screenshots"
QUESTION = "why is payment by results risky for probation?"
PAYLOAD = "<script>window.__pwned=1</script>"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 740}


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def open_page(browser, real_server):
    """A fresh browser tab at a viewport size; afterwards, no script error or CSP violation may have happened.

    (Pages answered with a 4xx on purpose log "Failed to load resource"; that is not a problem.)
    """
    contexts, problems = [], []

    def note(message):
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            problems.append(message.text)

    def make(viewport=DESKTOP):
        context = browser.new_context(viewport=viewport, base_url=real_server.url)
        contexts.append(context)
        page = context.new_page()
        page.on("console", note)
        page.on("pageerror", lambda exc: problems.append(str(exc)))
        return page

    yield make
    for context in contexts:
        context.close()
    assert not problems, problems


def search(page, question=QUESTION):
    """Type a question into the focused box and press Enter, as a person would."""
    page.goto("/")
    expect(page.locator("#q")).to_be_focused()
    page.keyboard.type(question)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/\?q="))


def overflows(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth > document.documentElement.clientWidth")


def pwned(page) -> bool:
    return page.evaluate("window.__pwned !== undefined")


def test_a_question_shows_highlighted_results_with_their_sources(open_page):
    page = open_page()
    search(page)
    expect(page.locator("#q")).to_have_value(QUESTION)
    expect(page.locator("#results-heading")).to_contain_text(re.compile(r"10 passages\s+· found in \d+ ms"))
    first = page.locator("li.result").first
    expect(first.locator(".rank")).to_have_text("1")
    expect(first.locator("h3.title")).not_to_be_empty()
    expect(first.locator(".where")).to_contain_text(re.compile(r"lines? \d+"))
    expect(page.locator("li.result mark.hl-keyword").first).to_be_visible()
    answer = page.locator("li.result mark.hl-answer").first
    expect(answer).to_be_visible()
    assert answer.evaluate("m => getComputedStyle(m).backgroundColor") == "rgb(255, 241, 168)"
    expect(page.locator("p.legend")).to_be_visible()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "results.png"))


def test_copy_citation_puts_the_plain_text_citation_on_the_clipboard(open_page):
    page = open_page()
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    search(page)
    button = page.locator("button.copy").first
    expected = button.get_attribute("data-citation")
    assert re.fullmatch(r".+, (§ .+, )?lines? \d+(–\d+)?\. http://127\.0\.0\.1:\d+/doc/\S+#p-\d+-\d+", expected)
    button.click()
    expect(button).to_contain_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == expected


def test_open_in_document_shows_the_cited_passage_and_leads_back(open_page):
    page = open_page()
    search(page)
    page.locator("a.open").first.click()
    page.wait_for_url(re.compile(r"/doc/.+#p-\d+-\d+$"))
    anchor = urlsplit(page.url).fragment
    passage = page.locator(f"#{anchor}")
    expect(passage).to_have_class(re.compile(r"\bcited\b"))
    expect(passage).to_be_in_viewport()
    expect(passage).to_be_focused()
    assert passage.evaluate("p => getComputedStyle(p).backgroundColor") == "rgb(255, 241, 168)"
    assert page.locator("nav.toc a").count() > 3
    expect(page.locator("nav.toc details")).to_have_attribute("open", "")
    page.screenshot(path=str(SHOTS / "document.png"))
    page.get_by_role("link", name="Back to results").click()
    page.wait_for_url(re.compile(r"/\?q="))
    expect(page.locator("#q")).to_have_value(QUESTION)
    expect(page.locator("li.result")).to_have_count(10)


def test_a_contents_link_jumps_to_its_heading(open_page):
    page = open_page()
    page.goto("/doc/001_5755dbe5304cf02f.txt")
    link = page.locator("nav.toc a").nth(2)
    heading = page.locator(link.get_attribute("href"))
    link.click()
    expect(heading).to_be_in_viewport()
    expect(heading).to_have_text(link.inner_text())


def test_the_document_filter_narrows_results_and_stays_in_the_link(open_page, real_server):
    page = open_page()
    documents = page.request.get(real_server.url + "/api/documents").json()["documents"]
    chosen = next(d for d in documents if d["id"].startswith("003_"))
    page.goto("/")
    page.locator("details.filter summary").click()
    page.get_by_label(chosen["title"]).check()
    page.locator("#q").fill("what should commissioners do?")
    page.get_by_role("button", name="Search").click()
    page.wait_for_url(re.compile(r"/\?q="))
    assert parse_qs(urlsplit(page.url).query)["doc"] == [chosen["id"]]
    titles = page.locator("li.result h3.title").all_inner_texts()
    assert titles and set(titles) == {chosen["title"]}
    expect(page.get_by_label(chosen["title"])).to_be_checked()
    expect(page.locator("details.filter summary")).to_contain_text(chosen["title"])


def test_an_injected_script_never_runs(open_page, real_server):
    page = open_page()
    search(page, PAYLOAD)
    expect(page.locator("#q")).to_have_value(PAYLOAD)
    assert not pwned(page)
    for url in ["/?q=" + quote(PAYLOAD), "/?q=x&doc=" + quote(PAYLOAD), "/?q=" + quote('"><svg onload=window.__pwned=1>'),
                "/doc/001_5755dbe5304cf02f.txt?back=" + quote("q=" + quote(PAYLOAD)),
                "/doc/" + quote(PAYLOAD)]:
        page.goto(url)
        assert not pwned(page), url
    page.goto("/?q=x&doc=" + quote(PAYLOAD))
    expect(page.get_by_role("alert")).to_contain_text(PAYLOAD)


def test_a_phone_screen_needs_no_horizontal_scrolling(open_page):
    page = open_page(PHONE)
    search(page)
    expect(page.locator("li.result").first).to_be_visible()
    expect(page.locator("details.filter")).not_to_have_attribute("open", "")
    assert not overflows(page)
    page.screenshot(path=str(SHOTS / "phone-results.png"))
    page.locator("a.open").first.click()
    page.wait_for_url(re.compile(r"/doc/"))
    expect(page.locator(f"#{urlsplit(page.url).fragment}")).to_be_in_viewport()
    assert not overflows(page)
    page.screenshot(path=str(SHOTS / "phone-document.png"))
    page.goto("/doc/000_f0920709c756320e.txt")   # the widest text: a contents table and long lists
    assert not overflows(page)


def test_the_keyboard_alone_reaches_everything_with_a_visible_focus(open_page):
    page = open_page()
    search(page)
    expect(page.locator("#q")).to_be_focused()
    focus_ring = "() => { const s = getComputedStyle(document.activeElement); return s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2; }"
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Search")).to_be_focused()
    assert page.evaluate(focus_ring)
    for _ in range(40):
        page.keyboard.press("Tab")
        assert page.evaluate(focus_ring), page.evaluate("document.activeElement.outerHTML")
        if page.evaluate("document.activeElement.matches('a.open')"):
            break
    else:
        pytest.fail("Tab never reached an 'Open in document' link")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/doc/.+#p-\d+-\d+$"))
    expect(page.locator(f"#{urlsplit(page.url).fragment}")).to_be_focused()


def test_a_cited_passage_keeps_the_title_and_its_section_in_view(open_page):
    page = open_page()
    search(page)
    first = page.locator("li.result").first
    section = first.locator(".section").inner_text().removeprefix("§ ").strip()
    title = first.locator("h3.title").inner_text()
    first.locator("a.open").click()
    page.wait_for_url(re.compile(r"/doc/.+\?.*span=\d+-\d+.*#p-\d+-\d+$"))
    bar = page.locator("#reading-bar")
    expect(bar).to_be_in_viewport()
    expect(bar).to_contain_text(title)
    expect(page.locator("#reading-section")).to_have_text("§ " + section)
    current = page.locator('nav.toc a[aria-current="location"]')
    expect(current).to_have_count(1)
    assert section.endswith(current.inner_text().rstrip("…").strip()[:20]) or current.inner_text() in section
    page.mouse.wheel(0, 2500)   # reading on: the bar stays at the top
    page.wait_for_timeout(300)
    expect(bar).to_be_in_viewport()
    page.screenshot(path=str(SHOTS / "document-reading-bar.png"))


def test_a_bare_fragment_link_also_shows_the_section(open_page):
    page = open_page()
    page.goto("/api/search?q=" + quote(QUESTION))
    hit = page.evaluate("() => JSON.parse(document.body.innerText).results[0].citation")
    page.goto(f"/doc/{hit['doc']}#p-{hit['start']}-{hit['end']}")
    expect(page.locator("#reading-bar")).to_be_in_viewport()
    expect(page.locator("#reading-section")).to_have_text("§ " + " › ".join(hit["section"]))
    expect(page.locator('nav.toc a[aria-current="location"]')).to_have_count(1)


def test_without_javascript_the_server_marks_the_section_of_the_span(browser, real_server):
    context = browser.new_context(viewport=DESKTOP, base_url=real_server.url, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto("/api/search?q=" + quote(QUESTION))
        hit = __import__("json").loads(page.locator("body").inner_text())["results"][0]["citation"]
        page.goto(f"/doc/{hit['doc']}?span={hit['start']}-{hit['end']}#p-{hit['start']}-{hit['end']}")
        expect(page.locator("#reading-bar")).to_be_visible()
        expect(page.locator("#reading-bar")).to_contain_text(hit["title"])
        expect(page.locator("#reading-section")).to_have_text("§ " + " › ".join(hit["section"]))
        expect(page.locator('nav.toc a[aria-current="location"]')).to_have_count(1)
    finally:
        context.close()


def test_a_nonsense_question_says_nothing_matches_and_results_explain_themselves(open_page):
    page = open_page()
    search(page, "xyzzyqwv flurble")
    note = page.locator(".message.no-match")
    expect(note).to_contain_text("No passage matches your question closely")
    assert note.evaluate("n => !!(n.compareDocumentPosition(document.querySelector('ol.results')) & 4)")
    page.goto("/?q=" + quote(QUESTION))
    expect(page.locator(".message.no-match")).to_have_count(0)
    why = page.locator("details.why").first
    why.locator("summary").click()
    expect(why).to_contain_text("Meaning part")
    expect(why).to_contain_text("Keyword part")
    expect(page.locator(".strength").first).to_contain_text("close match")


def test_feedback_is_kept_in_place_and_more_like_this_opens(open_page, real_server):
    page = open_page()
    search(page)
    url = page.url
    first = page.locator("li.result").first
    first.get_by_role("button", name="Not helpful").click()
    expect(first.locator(".feedback-status")).to_have_text("Thank you: marked not helpful")
    assert page.url == url   # kept in place: no page load
    expect(first.get_by_role("button", name="Helpful").first).to_be_hidden()
    first.locator("a.similar").click()
    page.wait_for_url(re.compile(r"/similar\?doc="))
    expect(page.locator("p.similar-to")).to_contain_text("Passages closest in meaning")
    expect(page.locator("li.result").first).to_be_visible()
