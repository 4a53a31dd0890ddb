"""Access over real HTTP with the real model: a keys file (one key for every group, one for public
documents only) and a policy restricting two seed documents, served by a real server process."""
import json
import re
import shutil
import urllib.error
import urllib.request
from urllib.parse import quote, urlencode

import pytest

from search.access import parse_policy
from search.build import build_index
from search.keys import add_key

from .conftest import SEEDS, ServerProcess

pytestmark = [pytest.mark.real, pytest.mark.server]

RESTRICTED = ("001_5755dbe5304cf02f.txt", "003_e6a6cf24a00f8233.txt")
POLICY = f"""default = "public"

[[rule]]
match = "{RESTRICTED[0]}"
groups = ["unions"]

[[rule]]
match = "{RESTRICTED[1]}"
groups = ["children", "board"]
"""


def get(url: str, key: str | None = None, body: dict | None = None) -> tuple[int, str]:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    data = None
    if body is not None:
        data, headers["Content-Type"] = json.dumps(body).encode(), "application/json"
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data=data, headers=headers), timeout=30) as r:
            return r.status, r.read().decode("utf-8")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8")


def quotes(doc: str, n: int = 4) -> list[str]:
    """Sentences of a document, as a reader would quote them."""
    text = (SEEDS / doc).read_text(encoding="utf-8")
    sentences = [s.strip() for s in re.split(r"(?<=[.?!])\s+", text) if 60 < len(s.strip()) < 300]
    step = max(1, len(sentences) // n)
    return sentences[::step][:n]


@pytest.fixture(scope="module")
def keyed_server(real_index, real_embedder, tmp_path_factory):
    folder = tmp_path_factory.mktemp("access")
    index = folder / "index"
    shutil.copytree(real_index, index, symlinks=True)
    policy = folder / "policy.toml"
    policy.write_text(POLICY, encoding="utf-8")
    report = build_index(SEEDS, index, real_embedder, progress=False, log=lambda m: None,
                         access=parse_policy(POLICY))
    assert report.published and len(report.kept) == report.documents    # re-published, nothing re-embedded
    keys = folder / "keys.json"
    secrets = {"full": add_key(keys, "full", ["*"]), "public": add_key(keys, "public", [])}
    server = ServerProcess(SEEDS, index, env={"SEARCH_AUTH": "keys", "SEARCH_KEYS_FILE": str(keys),
                                              "SEARCH_ACCESS_POLICY": str(policy)})
    yield server, secrets
    server.stop()


def test_the_public_key_never_sees_restricted_documents_even_when_quoting_them(keyed_server):
    server, secrets = keyed_server
    key = secrets["public"]
    questions = [q for doc in RESTRICTED for q in quotes(doc)] + ["payment by results in probation",
                                                                 "children's services commissioning"]
    for q in questions:
        for status, body in (get(f"{server.url}/api/search?{urlencode({'q': q, 'k': 50})}", key),
                             get(f"{server.url}/api/search", key, {"q": q, "k": 50, "explain": True}),
                             get(f"{server.url}/?{urlencode({'q': q})}", key)):
            assert status == 200 and not any(doc in body for doc in RESTRICTED), q
    status, body = get(f"{server.url}/api/documents", key)
    listed = {d["id"] for d in json.loads(body)["documents"]}
    assert status == 200 and listed and not listed & set(RESTRICTED)
    for doc in RESTRICTED:
        missing = "no_such_document.txt"
        for path in (f"/api/documents/{quote(doc)}", f"/doc/{quote(doc)}"):
            status, body = get(server.url + path, key)
            other_status, other = get(server.url + path.replace(quote(doc), missing), key)
            assert status == other_status == 404 and body.replace(doc, "X") == other.replace(missing, "X")
        status, body = get(f"{server.url}/api/search?{urlencode({'q': 'probation', 'doc': doc})}", key)
        assert status == 400 and json.loads(body)["error"]["message"].startswith(f"unknown doc '{doc}'")
    assert "public" in server.log() and "key:public" in server.log()


def test_no_key_and_a_bad_key_get_401(keyed_server):
    server, _ = keyed_server
    for key in (None, "sk-not-a-key"):
        status, body = get(f"{server.url}/api/search?q=probation", key)
        assert status == 401 and json.loads(body)["error"]["status"] == 401
        assert get(f"{server.url}/api/documents", key)[0] == 401
        assert get(f"{server.url}/?q=probation", key)[0] == 401


def test_the_full_key_sees_them_and_answers_exactly_as_an_open_server(keyed_server, real_server):
    server, secrets = keyed_server
    questions = [q for doc in RESTRICTED for q in quotes(doc, 2)] + [
        "why do unions oppose payment by results?", "what do children's charities say about commissioning?",
        "housing waiting lists", "how are probation staff affected?"]
    seen = set()
    for q in questions:
        url = f"/api/search?{urlencode({'q': q, 'k': 10, 'explain': 'true'})}"
        (status, mine), (other_status, theirs) = get(server.url + url, secrets["full"]), get(real_server.url + url)
        a, b = json.loads(mine), json.loads(theirs)
        for body in (a, b):
            body.pop("took_ms"), body.pop("index_version")
        assert status == other_status == 200 and a == b, q
        seen |= {r["citation"]["doc"] for r in a["results"]}
    assert set(RESTRICTED) <= seen
    status, body = get(f"{server.url}/doc/{RESTRICTED[0]}", secrets["full"])
    assert status == 200
