"""The engine over a tiny index built with the fake embedder."""
import numpy as np
import pytest

from search.stores.folder import versions as store
from search.stores.folder.dense import build_dense, search_dense
from search.encoders import CachedEncoder
from search.engine import Engine
from search.stores.folder import FolderStore
from search.errors import BadQuery, IndexMismatch, IndexMissing


@pytest.fixture
def engine(tiny_store, fake_embedder):
    """The engine over each kind of store: these tests hold for every store."""
    return Engine(tiny_store, CachedEncoder(fake_embedder))


def test_best_passage_answers_the_question(engine):
    top = engine.search("payment by results re-offending", k=3).results[0]
    assert top.passage.doc_id == "alpha.txt"
    assert top.passage.section == ("2. Probation",)
    assert "Payment by results" in top.passage.text


def test_asking_for_more_than_the_index_holds_returns_all_and_no_padding(engine):
    total = engine.store.info()["passages"]
    results = engine.search("libraries", k=50).results
    assert len(results) == total
    assert len({(h.passage.doc_id, h.passage.start) for h in results}) == total
    assert [h.rank for h in results] == list(range(1, total + 1))
    scores = [h.score for h in results]
    assert scores == sorted(scores, reverse=True)


def test_document_filter_only_returns_that_document(engine):
    results = engine.search("services", k=10, docs=["beta.md"]).results
    assert results and {h.passage.doc_id for h in results} == {"beta.md"}


@pytest.mark.parametrize("q,k,docs,message", [
    ("", 10, None, "q is required"),
    ("   ", 10, None, "q is required"),
    ("x" * 1001, 10, None, "limit is 1000"),
    ("ok", 0, None, "k must be"),
    ("ok", 51, None, "k must be"),
    ("ok", "5", None, "k must be"),
    ("ok", 5, ["nope.txt"], "unknown doc"),
    ("bad\x00char", 5, None, "control characters"),
])
def test_bad_queries_raise_bad_query(engine, q, k, docs, message):
    with pytest.raises(BadQuery, match=message):
        engine.search(q, k, docs)


def test_faiss_top_k_equals_numpy_brute_force(rng=np.random.default_rng(7)):
    vectors = rng.normal(size=(500, 32)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    query = vectors[3] + 0.1 * rng.normal(size=32).astype(np.float32)
    hits = search_dense(build_dense(vectors, "flat"), query, 10)
    brute = np.argsort(-(vectors @ query))[:10]
    assert hits.ids.tolist() == brute.tolist()
    allowed = np.arange(100, 200)
    sub = search_dense(build_dense(vectors, "flat"), query, 10, allowed)
    assert sub.ids.tolist() == (100 + np.argsort(-(vectors[100:200] @ query))[:10]).tolist()
    assert len(search_dense(build_dense(vectors[:4], "flat"), query, 10).ids) == 4


def test_save_and_load_round_trip(tiny_index, fake_embedder, tiny_seeds):
    index = FolderStore.open(tiny_index, fake_embedder)
    docs = {p.name: p.read_text(encoding="utf-8") for p in tiny_seeds.iterdir()}
    assert set(index.document_ids()) == set(docs)
    for p in index.all_passages():
        assert docs[p.doc_id][p.start:p.end] == p.text
    assert index.vectors.shape == (len(index.all_passages()), fake_embedder.dim)
    saved = np.load(store.current_version(tiny_index) / "vectors.npy")
    assert np.array_equal(index.vectors, saved)          # read from the FAISS index: the same numbers
    assert not index.vectors.flags.owndata               # a view of its storage, not a second copy
    assert index.manifest["documents"]["alpha.txt"]["fingerprint"].startswith("sha256:")


def test_missing_index_says_what_to_run(tmp_path, fake_embedder):
    with pytest.raises(IndexMissing, match="python -m search build"):
        FolderStore.open(tmp_path / "nothing", fake_embedder)


def test_index_built_with_another_model_is_refused(tiny_index):
    from search.encoders import FakeEncoder as FakeEmbedder

    other = FakeEmbedder(dim=32)
    with pytest.raises(IndexMismatch, match="built with model"):
        FolderStore.open(tiny_index, other)


def test_unknown_format_version_is_refused(tiny_index, fake_embedder):
    import json

    folder = store.current_version(tiny_index)
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["format_version"] = 99
    (folder / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(IndexMismatch, match="format 99"):
        FolderStore.open(tiny_index, fake_embedder)


def test_highlights_fall_inside_the_text_and_mark_query_words(engine):
    hit = engine.search("opening hours budget", k=1).results[0]
    words = {hit.passage.text[h["start"]:h["end"]].lower() for h in hit.highlights if h["kind"] == "keyword"}
    assert {"opening", "hours", "budget"} <= words
    for h in hit.highlights:
        assert 0 <= h["start"] < h["end"] <= len(hit.passage.text)


def test_a_duplicated_document_appears_once_with_the_other_place_listed(tiny_seeds, tmp_path, fake_embedder):
    from search.build import build_index

    (tiny_seeds / "copy of alpha.txt").write_bytes((tiny_seeds / "alpha.txt").read_bytes())
    build_index(tiny_seeds, tmp_path / "dup-index", fake_embedder, progress=False, log=lambda m: None)
    engine = Engine(FolderStore.open(tmp_path / "dup-index", fake_embedder), CachedEncoder(fake_embedder))
    hits = engine.search("payment by results re-offending", k=10).results
    texts = [h.passage.text for h in hits]
    assert len(texts) == len(set(texts))                     # each text once on the page
    top = hits[0].to_json()["citation"]
    assert top["doc"] == "alpha.txt"
    url = f"/doc/copy%20of%20alpha.txt#p-{top['start']}-{top['end']}"
    assert top["also"] == [{"doc": "copy of alpha.txt", "url": url}]
