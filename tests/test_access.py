"""Who may see what: the policy file, API keys, callers, and search that never shows a document to
someone who may not read it (fake embedder; the real model over HTTP is in test_access_http.py)."""
import json
import logging
import os
import re

import pytest
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

from search.access import (AccessError, AccessPolicy, WatchedFile, load_policy, may_read, parse_policy, readable)
from search.build import build_index
from search.errors import BadQuery
from search.keys import add_key, find_key, read_keys, revoke_key
from search.service import SearchService
from search.settings import Settings
from web import create_app

from .helpers import assert_error

# A corpus with public, group-only and closed documents. One paragraph of the HR case file is also
# in the public report, so duplicate folding must not point a public reader at the HR copy.
SHARED = "Every claim for overtime must be approved in writing by the line manager before it is paid.\n"
DOCS = {
    "public/report.txt": "Annual Report\n\n1. Libraries\n\nPublic libraries lend books and offer free internet "
                         "access to everyone in the town.\n\n2. Pay\n\n" + SHARED,
    "public/notes.md": "# Housing notes\n\n## Waiting lists\n\nSocial housing waiting lists grew to 1.6 million "
                       "households across the country.\n",
    "hr/case.txt": "Grievance Zarquon\n\n1. Hearing\n\nThe caretaker Quillfeather raised a grievance about "
                   "night shifts at the depot.\n\n2. Pay\n\n" + SHARED,
    "legal/advice.md": "# Counsel opinion Vexmoor\n\n## Liability\n\nCounsel advises that the council is "
                       "liable for the collapsed wall at Brackenholt.\n",
    "drafts/budget.txt": "Draft budget Oplontis\n\n1. Cuts\n\nThe draft proposes closing the Wendlebury "
                         "swimming pool next spring.\n",
}
POLICY = """default = "public"

[[rule]]
match = "hr/*"
groups = ["hr"]

[[rule]]
match = "legal/*"
groups = ["legal", "board"]

[[rule]]
match = "drafts/*"
groups = []
"""
PUBLIC_DOCS = {"public/report.txt", "public/notes.md"}
RESTRICTED = {"hr/case.txt", "legal/advice.md", "drafts/budget.txt"}
SECRET_WORDS = ("Zarquon", "Quillfeather", "Vexmoor", "Brackenholt", "Oplontis", "Wendlebury", "grievance",
                "caretaker", "Counsel", "swimming", "liable", "depot")


# -- the policy and keys files --------------------------------------------------------------

def test_the_first_matching_rule_decides_and_default_decides_the_rest():
    policy = parse_policy(POLICY + '\n[[rule]]\nmatch = "hr/*"\ngroups = "public"\n')
    assert policy.groups_of("hr/case.txt") == ("hr",)
    assert policy.groups_of("legal/advice.md") == ("legal", "board")
    assert policy.groups_of("drafts/budget.txt") == ()
    assert policy.groups_of("public/report.txt") == "public"
    assert parse_policy('default = "closed"').groups_of("anything.txt") == ()


@pytest.mark.parametrize("text,fragment", [
    ("default = 'public'\ndefualt = 'closed'", "unknown key 'defualt'"),
    ("[[rule]]\nmatch = '*'\ngroups = []", 'default must be "public" or "closed"'),
    ("default = 'open'", 'default must be "public" or "closed"'),
    ("default = 'public'\n[[rule]]\nmatch = 'hr/*'", "exactly two keys"),
    ("default = 'public'\n[[rule]]\nmatch = 'hr/*'\ngroups = ['hr']\ngroup = ['x']", "exactly two keys"),
    ("default = 'public'\n[[rule]]\nmatch = ''\ngroups = []", "match must be a glob"),
    ("default = 'public'\n[[rule]]\nmatch = 'x'\ngroups = 'hr'", "groups must be"),
    ("default = 'public'\n[[rule]]\nmatch = 'x'\ngroups = ['a,b']", "groups must be"),
    ("default = 'public'\n[[rule]]\nmatch = 'x'\ngroups = ['*']", "groups must be"),
    ("default = ", "not valid TOML"),
])
def test_a_malformed_policy_is_refused_with_the_reason(text, fragment):
    with pytest.raises(AccessError, match=re.escape(fragment)):
        parse_policy(text)


def test_a_missing_policy_file_is_refused(tmp_path):
    with pytest.raises(AccessError, match="cannot read the access policy"):
        load_policy(tmp_path / "nope.toml")


def test_a_document_must_be_allowed_by_the_record_and_by_the_policy_read_now():
    ids = ["a.txt", "b.txt", "c.txt"]
    record = parse_policy('default = "public"\n[[rule]]\nmatch = "b*"\ngroups = ["x"]').record(ids)
    assert record == {"default": "public", "documents": {"a.txt": "public", "b.txt": ["x"], "c.txt": "public"}}
    assert readable(record, None, frozenset(), ids) == {"a.txt", "c.txt"}
    assert readable(record, None, frozenset({"x"}), ids) is None
    tighter = parse_policy('default = "public"\n[[rule]]\nmatch = "c*"\ngroups = ["y"]')
    assert readable(record, tighter, frozenset({"x"}), ids) == {"a.txt", "b.txt"}   # the file tightens at once
    looser = parse_policy('default = "public"')
    assert readable(record, looser, frozenset(), ids) == {"a.txt", "c.txt"}          # loosening needs a build
    assert readable({"default": "public", "documents": {"a.txt": "public"}}, None, frozenset(), ids) == {"a.txt"}
    assert readable({"documents": "damaged"}, None, frozenset({"*"}), ids) == frozenset()
    assert readable(None, None, frozenset(), ids) is None
    assert readable(None, tighter, frozenset(), ids) == {"a.txt", "b.txt"}


def test_every_group_reads_group_documents_but_never_closed_ones():
    assert may_read(("hr",), frozenset({"*"})) and not may_read((), frozenset({"*"}))
    assert not may_read(("hr",), frozenset({"legal"})) and not may_read(("hr",), frozenset())


def test_keys_file_keeps_only_hashes_and_revoking_takes_a_key_away(tmp_path):
    path = tmp_path / "keys.json"
    one, two = add_key(path, "ci", ["hr"]), add_key(path, "desk", [])
    text = path.read_text()
    assert one not in text and two not in text and len(one) > 40 and one != two
    assert oct(os.stat(path).st_mode & 0o777) == "0o600"
    keys = read_keys(path)
    assert find_key(keys, one).groups == ("hr",) and find_key(keys, two).name == "desk"
    assert find_key(keys, one + "x") is None and find_key(keys, "") is None
    with pytest.raises(AccessError, match="already a key named 'ci'"):
        add_key(path, "ci", [])
    with pytest.raises(AccessError, match="bad key name"):
        add_key(path, "has space", [])
    assert revoke_key(path, "ci") and not revoke_key(path, "ci")
    assert find_key(read_keys(path), one) is None and find_key(read_keys(path), two).name == "desk"
    path.write_text("{not json")
    with pytest.raises(AccessError, match="malformed"):
        read_keys(path)


def test_a_watched_file_follows_changes_and_fails_closed(tmp_path):
    path = tmp_path / "policy.toml"
    path.write_text('default = "public"')
    watched = WatchedFile(path, load_policy, AccessPolicy(default="closed"))
    assert watched.get().default == "public"
    path.write_text('default = "closed"\n')
    assert watched.get().default == "closed" and watched.generation == 1
    path.write_text('default = "public"\n[[oops')
    assert watched.get() == AccessPolicy(default="closed")
    path.unlink()
    assert watched.get() == AccessPolicy(default="closed")


# -- a built corpus -----------------------------------------------------------------------------

@pytest.fixture
def access_seeds(tmp_path):
    folder = tmp_path / "seeds"
    for name, text in DOCS.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text, encoding="utf-8")
    policy = tmp_path / "policy.toml"
    policy.write_text(POLICY, encoding="utf-8")
    return folder, policy


@pytest.fixture
def access_index(access_seeds, tmp_path, fake_embedder):
    seeds, policy = access_seeds
    index = tmp_path / "index"
    build_index(seeds, index, fake_embedder, progress=False, log=lambda m: None, access=load_policy(policy))
    return index


class Counting:
    """The fake encoder, counting the texts it encodes."""

    def __init__(self, inner):
        self.inner, self.texts = inner, 0
        self.name, self.dim = inner.name, inner.dim

    def encode(self, texts, progress=False):
        self.texts += len(texts)
        return self.inner.encode(texts, progress=progress)


def test_the_build_records_groups_and_a_new_policy_republishes_without_embedding(access_seeds, tmp_path,
                                                                                  fake_embedder):
    seeds, policy = access_seeds
    index, encoder = tmp_path / "index", Counting(fake_embedder)
    first = build_index(seeds, index, encoder, progress=False, log=lambda m: None, access=load_policy(policy))
    manifest = json.loads((index / first.version / "manifest.json").read_text())
    assert manifest["access"]["documents"] == {"public/report.txt": "public", "public/notes.md": "public",
                                               "hr/case.txt": ["hr"], "legal/advice.md": ["legal", "board"],
                                               "drafts/budget.txt": []}
    embedded = encoder.texts
    same = build_index(seeds, index, encoder, progress=False, log=lambda m: None, access=load_policy(policy))
    assert not same.published and encoder.texts == embedded
    policy.write_text(POLICY.replace('groups = []', 'groups = ["finance"]'))
    changed = build_index(seeds, index, encoder, progress=False, log=lambda m: None, access=load_policy(policy))
    assert changed.published and len(changed.kept) == len(DOCS)
    assert encoder.texts == embedded + 1     # only the new version's test question, never a passage
    manifest = json.loads((index / changed.version / "manifest.json").read_text())
    assert manifest["access"]["documents"]["drafts/budget.txt"] == ["finance"]
    opened = build_index(seeds, index, encoder, progress=False, log=lambda m: None)   # no policy: all public
    assert opened.published and encoder.texts == embedded + 2
    assert set(json.loads((index / opened.version / "manifest.json").read_text())["access"]["documents"].values()) \
        == {"public"}


@pytest.fixture
def access_service(access_seeds, access_index, fake_embedder, make_settings):
    return SearchService(make_settings(access_seeds[0], access_index), fake_embedder)


def test_the_engine_draws_candidates_only_from_allowed_documents(access_service):
    engine = access_service.engine()
    asked = []
    real = engine.store.candidates
    engine.store.candidates = lambda query, n: asked.append(query.doc_ids) or real(query, n)
    response = engine.search("grievance caretaker Quillfeather overtime claim", k=10, allowed=frozenset(PUBLIC_DOCS))
    assert set(asked[-1]) == PUBLIC_DOCS    # the filter reaches retrieval
    assert response.results and {h.passage.doc_id for h in response.results} <= PUBLIC_DOCS
    assert all(d not in RESTRICTED for h in response.results for d, _ in h.also)
    full = engine.search("overtime claim approved", k=10)
    hr = engine.search("overtime claim approved", k=10, allowed=frozenset({"hr/case.txt"}))
    assert {h.passage.doc_id for h in hr.results} == {"hr/case.txt"}
    assert any(h.also for h in full.results)


def test_a_doc_filter_outside_allowed_gets_the_unknown_document_error(access_service):
    engine = access_service.engine()
    messages = []
    for doc in ("hr/case.txt", "no/such.txt"):
        with pytest.raises(BadQuery) as exc:
            engine.search("pay", docs=[doc], allowed=frozenset(PUBLIC_DOCS))
        messages.append(str(exc.value).replace(doc, "ID"))
    assert messages[0] == messages[1]


def test_allowed_nothing_answers_nothing_and_allowed_everything_answers_as_unrestricted(access_service):
    engine = access_service.engine()
    assert engine.search("pay", allowed=frozenset()).results == []
    everything = frozenset(engine.document_ids) | {"gone.txt"}
    a = engine.search("overtime pay", explain=True).to_json()
    b = engine.search("overtime pay", explain=True, allowed=everything).to_json()
    a.pop("took_ms"), b.pop("took_ms")
    assert a == b


def test_the_service_asks_for_the_allowed_set_of_the_engine_that_answers(access_service):
    engines = []
    response = access_service.search("overtime claim approved", k=10,
                                     allowed=lambda engine: engines.append(engine) or frozenset({"hr/case.txt"}))
    assert engines == [access_service.engine()]
    assert {h.passage.doc_id for h in response.results} == {"hr/case.txt"}


# -- over HTTP: every endpoint, callers with different groups --------------------------------

@pytest.fixture
def keyed(access_seeds, access_index, fake_embedder, make_settings, tmp_path):
    """A keys-mode app with four keys: full ("*"), hr, board and public-only."""
    keys = tmp_path / "keys.json"
    secrets = {name: add_key(keys, name, groups) for name, groups in
               (("full", ["*"]), ("hr", ["hr"]), ("board", ["board"]), ("public", []))}
    settings = make_settings(access_seeds[0], access_index, auth="keys", keys_file=str(keys),
                             access_policy=str(access_seeds[1]), admin_token="admin-secret")
    app = create_app(settings, service=SearchService(settings, fake_embedder))
    app.config["TESTING"] = True
    return app.test_client(), secrets, keys


def as_key(secret):
    return {"Authorization": f"Bearer {secret}"}


READS = {"full": {"public/report.txt", "public/notes.md", "hr/case.txt", "legal/advice.md"},
         "hr": PUBLIC_DOCS | {"hr/case.txt"}, "board": PUBLIC_DOCS | {"legal/advice.md"}, "public": PUBLIC_DOCS}
QUESTIONS = ["grievance Quillfeather night shifts depot", "counsel liable collapsed wall Brackenholt",
             "draft budget swimming pool Wendlebury", "overtime claim approved line manager", "libraries books"]


@pytest.mark.parametrize("who", sorted(READS))
def test_each_caller_sees_exactly_the_documents_it_may_read_on_every_endpoint(keyed, who):
    client, secrets, _ = keyed
    headers = as_key(secrets[who])
    may, may_not = READS[who], set(DOCS) - READS[who]
    listed = client.get("/api/documents", headers=headers).get_json()["documents"]
    assert {d["id"] for d in listed} == may
    health = client.get("/api/health", headers=headers).get_json()
    assert health["documents"] == len(may)
    seen = set()
    for q in QUESTIONS:
        for r in (client.get("/api/search", query_string={"q": q, "k": 50}, headers=headers),
                  client.post("/api/search", json={"q": q, "k": 50, "explain": True}, headers=headers)):
            assert r.status_code == 200
            body = r.get_data(as_text=True)
            seen |= {res["citation"]["doc"] for res in r.get_json()["results"]}
            assert not any(d in body for d in may_not), (who, q)
        page = client.get("/", query_string={"q": q}, headers=headers).get_data(as_text=True)
        assert not any(d in page for d in may_not)
    assert seen == may
    unknown = client.get("/api/documents/no/such.txt", headers=headers)
    for doc in DOCS:
        api = client.get(f"/api/documents/{doc}", headers=headers)
        page = client.get(f"/doc/{doc}", headers=headers)
        if doc in may:
            assert api.status_code == 200 and page.status_code == 200
        else:   # exactly as a document that does not exist
            assert_error(api, 404, "unknown document")
            assert api.get_json()["error"]["message"].replace(doc, "X") == \
                unknown.get_json()["error"]["message"].replace("no/such.txt", "X")
            assert page.status_code == 404 and page.get_data() == client.get("/doc/no/such.txt", headers=headers).get_data()
            filtered = client.get("/api/search", query_string={"q": "pay", "doc": doc}, headers=headers)
            assert_error(filtered, 400, f"unknown doc {doc!r}")


def test_no_key_a_bad_key_and_a_revoked_key_get_401(keyed):
    client, secrets, keys = keyed
    for headers in ({}, as_key("sk-wrong"), {"Authorization": "Basic dXNlcjpwYXNz"}, {"Authorization": "Bearer"}):
        for path in ("/api/search?q=pay", "/api/documents", "/api/documents/public/notes.md"):
            assert_error(client.get(path, headers=headers), 401)
        page = client.get("/?q=pay", headers=headers)
        assert page.status_code == 401 and "sign in" in page.get_data(as_text=True).lower()
        assert page.headers["WWW-Authenticate"].startswith("Bearer")
        assert client.get("/doc/public/notes.md", headers=headers).status_code == 401
    assert client.get("/api/search?q=pay", headers=as_key(secrets["hr"])).status_code == 200
    revoke_key(keys, "hr")
    assert_error(client.get("/api/search?q=pay", headers=as_key(secrets["hr"])), 401, "not valid")
    assert client.get("/api/openapi.json").status_code == 200   # the description stays readable
    health = client.get("/api/health").get_json()    # unknown callers: counts of public documents only
    assert health["status"] == "ok" and health["documents"] == len(PUBLIC_DOCS)


def test_reload_keeps_its_admin_token(keyed):
    client, secrets, _ = keyed
    assert client.post("/api/reload", headers=as_key("admin-secret")).status_code == 200
    assert_error(client.post("/api/reload", headers=as_key(secrets["full"])), 403)


def test_the_policy_file_tightens_at_once_and_a_broken_one_closes_everything(keyed, access_seeds):
    client, secrets, _ = keyed
    policy = access_seeds[1]
    ids = lambda: {d["id"] for d in client.get("/api/documents", headers=as_key(secrets["hr"])).get_json()["documents"]}
    assert ids() == READS["hr"]
    policy.write_text(POLICY.replace('match = "hr/*"\ngroups = ["hr"]', 'match = "hr/*"\ngroups = ["nobody"]'))
    assert ids() == PUBLIC_DOCS
    policy.write_text(POLICY.replace('default = "public"', 'default = "publik"'))
    assert ids() == set()
    health = client.get("/api/health", headers=as_key(secrets["hr"])).get_json()
    assert "default must be" in health["access_policy"] and "no document is readable" in health["access_policy"]
    policy.write_text('default = "public"\n')      # looser than the index's record: the record still holds
    assert ids() == READS["hr"]
    assert "access_policy" not in client.get("/api/health", headers=as_key(secrets["hr"])).get_json()


def test_one_audit_line_per_request_names_the_caller_never_the_question(keyed, caplog):
    client, secrets, _ = keyed
    with caplog.at_level(logging.INFO, logger="search.web"):
        client.get("/api/search", query_string={"q": "Quillfeather grievance"}, headers=as_key(secrets["hr"]))
        client.get("/api/search", query_string={"q": "Quillfeather grievance"})
    lines = [r for r in caplog.records if r.getMessage() == "request"]
    assert [r.fields["caller"] for r in lines] == ["key:hr", "unknown"]
    assert [r.fields["status"] for r in lines] == [200, 401]
    assert not any("Quillfeather" in json.dumps(r.fields) + r.getMessage() for r in caplog.records)


@hsettings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(words=st.lists(st.sampled_from(sorted({w for d in RESTRICTED for w in re.findall(r"\w+", DOCS[d])})),
                      min_size=1, max_size=8),
       quote=st.sampled_from(sorted(RESTRICTED)), cut=st.integers(0, 60))
def test_questions_quoting_restricted_text_return_nothing_from_it(keyed, words, quote, cut):
    client, secrets, _ = keyed
    text = DOCS[quote]
    for q in (" ".join(words), text[cut:cut + 80].strip() or "x"):
        body = client.post("/api/search", json={"q": q, "k": 50, "explain": True},
                           headers=as_key(secrets["public"])).get_json()
        assert {r["citation"]["doc"] for r in body["results"]} <= PUBLIC_DOCS
        found = json.dumps(body["results"])
        assert not any(w in found for w in SECRET_WORDS)


def test_a_full_key_gets_the_answers_of_an_open_server(keyed, access_seeds, tmp_path, fake_embedder, make_settings):
    client, secrets, _ = keyed
    open_index = tmp_path / "open-index"
    build_index(access_seeds[0], open_index, fake_embedder, progress=False, log=lambda m: None,
                access=parse_policy('default = "public"\n[[rule]]\nmatch = "drafts/*"\ngroups = []'))
    settings = make_settings(access_seeds[0], open_index)
    open_client = create_app(settings, service=SearchService(settings, fake_embedder)).test_client()
    for q in QUESTIONS:
        mine = client.get("/api/search", query_string={"q": q, "explain": "true"}, headers=as_key(secrets["full"]))
        theirs = open_client.get("/api/search", query_string={"q": q, "explain": "true"})
        a, b = mine.get_json(), theirs.get_json()
        for body in (a, b):
            body.pop("took_ms"), body.pop("index_version")
        assert a == b and a["results"]


# -- proxy sign-in and open mode ------------------------------------------------------------------

@pytest.fixture
def proxied(access_seeds, access_index, fake_embedder, make_settings, tmp_path):
    keys = tmp_path / "keys.json"
    secret = add_key(keys, "tool", ["board"])
    settings = make_settings(access_seeds[0], access_index, auth="proxy", keys_file=str(keys),
                             access_policy=str(access_seeds[1]), trusted_proxies="10.0.0.0/24, ::1")
    app = create_app(settings, service=SearchService(settings, fake_embedder))
    return app.test_client(), secret


def listed(client, remote, headers):
    r = client.get("/api/documents", headers=headers, environ_base={"REMOTE_ADDR": remote})
    return r.status_code, {d["id"] for d in (r.get_json().get("documents") or [])}


def test_proxy_headers_are_believed_only_from_the_proxy(proxied):
    client, secret = proxied
    user = {"X-Forwarded-User": "alice", "X-Forwarded-Groups": "staff, hr"}
    assert listed(client, "10.0.0.7", user) == (200, READS["hr"])
    assert listed(client, "::1", {**user, "X-Forwarded-Groups": ""}) == (200, PUBLIC_DOCS)
    assert listed(client, "192.168.1.9", user)[0] == 401            # not the proxy: the headers mean nothing
    assert listed(client, "10.0.0.7", {"X-Forwarded-Groups": "hr"})[0] == 401   # no user named
    assert listed(client, "192.168.1.9", as_key(secret)) == (200, READS["board"])  # tools still use keys
    assert listed(client, "10.0.0.7", {**user, **as_key("sk-bad")})[0] == 401   # a wrong key is refused in every mode
    assert listed(client, "10.0.0.7", {**user, **as_key(secret)}) == (200, READS["board"])   # a key decides
    # "*" (every group) is for keys made here: from the proxy it is no group at all
    assert listed(client, "10.0.0.7", {**user, "X-Forwarded-Groups": "*"}) == (200, PUBLIC_DOCS)
    page = client.get("/", environ_base={"REMOTE_ADDR": "192.168.1.9"})
    assert page.status_code == 401 and "organisation" in page.get_data(as_text=True)


def test_proxy_headers_written_in_utf8_are_read_as_utf8():
    from web.caller import _utf8   # WSGI hands header bytes over as Latin-1

    assert _utf8("финансы, ñandú".encode().decode("latin-1")) == "финансы, ñandú"
    assert _utf8("hr, finance") == "hr, finance" and _utf8("caf\u00e9") == "caf\u00e9"   # not UTF-8: as it came


def test_open_mode_shows_anonymous_callers_public_documents_and_keys_add_groups(access_seeds, access_index,
                                                                              fake_embedder, make_settings, tmp_path):
    keys = tmp_path / "keys.json"
    secret = add_key(keys, "hr", ["hr"])
    settings = make_settings(access_seeds[0], access_index, keys_file=str(keys))
    client = create_app(settings, service=SearchService(settings, fake_embedder)).test_client()
    assert listed(client, "127.0.0.1", {}) == (200, PUBLIC_DOCS)     # the index's record holds without a policy file
    assert listed(client, "127.0.0.1", as_key(secret)) == (200, READS["hr"])
    assert listed(client, "127.0.0.1", as_key("sk-bad"))[0] == 401


@pytest.mark.parametrize("changes,fragment", [
    ({"auth": "maybe"}, "SEARCH_AUTH must be one of"),
    ({"auth": "keys"}, "needs SEARCH_KEYS_FILE"),
    ({"auth": "proxy"}, "needs SEARCH_TRUSTED_PROXIES"),
    ({"auth": "proxy", "trusted_proxies": "not-an-address"}, "SEARCH_TRUSTED_PROXIES"),
    ({"access_policy": "/no/such/policy.toml"}, "cannot read the access policy"),
])
def test_wrong_access_settings_stop_the_server_with_the_reason(tiny_service, changes, fragment):
    with pytest.raises(AccessError, match=re.escape(fragment)):
        create_app(tiny_service.settings.replace(**changes), service=tiny_service)


def test_settings_read_the_access_variables():
    s = Settings.from_env({"SEARCH_AUTH": "proxy", "SEARCH_TRUSTED_PROXIES": "10.0.0.1",
                           "SEARCH_PROXY_GROUPS_HEADER": "X-Auth-Request-Groups"})
    assert (s.auth, s.trusted_proxies, s.proxy_groups_header) == ("proxy", "10.0.0.1", "X-Auth-Request-Groups")


@pytest.mark.parametrize("who", ["public", "hr"])
def test_paging_export_similar_and_feedback_never_reach_past_the_callers_documents(keyed, who):
    client, secrets, _ = keyed
    headers, may = as_key(secrets[who]), READS[who]
    may_not = set(DOCS) - may
    cited = {}   # a passage of every document the full key reads, as search answers cite it
    for q in QUESTIONS:
        for res in client.get("/api/search", query_string={"q": q, "k": 50}, headers=as_key(secrets["full"])).get_json()["results"]:
            cited.setdefault(res["citation"]["doc"], res["citation"])
    assert set(cited) == READS["full"]
    for q in QUESTIONS:
        for params in ({"offset": 5, "k": 5}, {"format": "csv", "k": 50}, {"format": "md", "k": 50}):
            r = client.get("/api/search", query_string={"q": q, **params}, headers=headers)
            assert r.status_code == 200 and not any(d in r.get_data(as_text=True) for d in may_not), (q, params)
    unknown = {"doc": "no/such.txt", "start": 0, "end": 10}
    for doc, c in cited.items():
        passage = {"doc": doc, "start": c["start"], "end": c["end"]}
        similar = client.get("/api/similar", query_string=passage, headers=headers)
        feedback = client.post("/api/feedback", json={"q": "overtime", **passage, "helpful": True}, headers=headers)
        if doc in may:
            assert similar.status_code == 200 and feedback.status_code == 201
            assert {r["citation"]["doc"] for r in similar.get_json()["results"]} <= may
            assert not any(d in similar.get_data(as_text=True) for d in may_not)
        else:   # exactly as a passage of a document that does not exist
            none_sim = client.get("/api/similar", query_string=unknown, headers=headers)
            none_fb = client.post("/api/feedback", json={"q": "overtime", **unknown, "helpful": True}, headers=headers)
            for got, nothing in ((similar, none_sim), (feedback, none_fb)):
                assert_error(got, 400, "unknown passage")
                assert got.get_json()["error"]["message"].replace(doc, "X").replace(f"{c['start']}-{c['end']}", "S") == \
                    nothing.get_json()["error"]["message"].replace("no/such.txt", "X").replace("0-10", "S")
# -- the command line -----------------------------------------------------------------------------

def test_keys_commands_add_list_and_revoke(tmp_path, capsys, monkeypatch):
    from search.cli import main

    path = tmp_path / "keys.json"
    monkeypatch.setenv("SEARCH_KEYS_FILE", str(path))
    assert main(["keys", "add", "reports", "--groups", "hr, finance"]) == 0
    secret = capsys.readouterr().out.strip()
    assert secret.startswith("sk-") and find_key(read_keys(path), secret).groups == ("hr", "finance")
    assert main(["keys", "list"]) == 0
    listing = capsys.readouterr().out
    assert "reports\thr,finance" in listing and secret not in listing
    assert main(["keys", "add", "reports"]) == 2 and "already a key" in capsys.readouterr().err
    assert main(["keys", "add", "x", "--groups", "public"]) == 2 and "bad group name" in capsys.readouterr().err
    assert main(["keys", "revoke", "reports"]) == 0 and find_key(read_keys(path), secret) is None
    assert main(["keys", "revoke", "reports"]) == 2
    monkeypatch.delenv("SEARCH_KEYS_FILE")
    assert main(["keys", "list"]) == 2 and "SEARCH_KEYS_FILE" in capsys.readouterr().err


def test_serve_refuses_wrong_access_settings_before_loading_the_model(monkeypatch, capsys):
    import web.serve
    from search import cli

    monkeypatch.setattr(web.serve, "setup_logging", lambda level: None)   # leave the test run's logging alone
    monkeypatch.setenv("SEARCH_AUTH", "proxy")
    monkeypatch.setattr(cli, "load_embedder", lambda settings: pytest.fail("the model was loaded"))
    assert cli.main(["serve", "--port", "1"]) == 3
    assert "SEARCH_TRUSTED_PROXIES" in capsys.readouterr().err


def test_a_rule_naming_a_file_with_brackets_matches_it_and_a_rule_matching_nothing_is_reported(tmp_path, fake_embedder):
    seeds = tmp_path / "seeds"
    (seeds / "drafts").mkdir(parents=True)
    (seeds / "drafts" / "Budget [DRAFT].txt").write_text("Budget\n\nThe secret budget cuts forty posts.\n")
    (seeds / "notes.txt").write_text("Notes\n\nThe library opens at nine.\n")
    policy = parse_policy('default = "public"\n[[rule]]\nmatch = "drafts/Budget [DRAFT].txt"\ngroups = ["finance"]\n'
                          '[[rule]]\nmatch = "HR/*"\ngroups = ["hr"]\n')
    said = []
    build_index(seeds, tmp_path / "index", fake_embedder, progress=False, log=said.append, access=policy)
    manifest = json.loads(next((tmp_path / "index").glob("v-*/manifest.json")).read_text())
    assert manifest["access"]["documents"]["drafts/Budget [DRAFT].txt"] == ["finance"]
    assert [line for line in said if "names no document" in line] == [
        "warning: the access rule match = 'HR/*' names no document; those it was meant for follow the policy's "
        "default (public)"]


def test_metrics_answer_only_callers_who_may_read_every_document(keyed):
    client, secrets, _ = keyed
    assert_error(client.get("/metrics", headers=as_key(secrets["public"])), 403, "every document")
    assert_error(client.get("/metrics", headers=as_key(secrets["hr"])), 403, "every document")
    full = client.get("/metrics", headers=as_key(secrets["full"]))
    assert full.status_code == 200 and "search_index_documents" in full.get_data(as_text=True)
