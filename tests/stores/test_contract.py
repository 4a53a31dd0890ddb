"""The store contract: every store answers the ``Store`` protocol the same way (``tiny_store`` runs each)."""
import numpy as np
import pytest

from search.engine import Engine
from search.stores.base import Query

QUESTION = "payment by results re-offending"


@pytest.fixture
def encoder(fake_embedder):
    from search.encoders import CachedEncoder

    return CachedEncoder(fake_embedder)


def every_passage(store):
    return store.passages(range(store.info()["passages"]))


def test_info_describes_the_version(tiny_store, fake_embedder):
    info = tiny_store.info()
    assert (info["model"], info["dim"]) == (fake_embedder.name, fake_embedder.dim)
    assert info["passages"] == len(every_passage(tiny_store)) > 0
    assert isinstance(tiny_store.version, str) and tiny_store.version


def test_every_passage_is_an_exact_slice_of_its_document(tiny_store):
    for p in every_passage(tiny_store):
        assert tiny_store.document(p.doc_id).text[p.start:p.end] == p.text


def test_documents_and_their_passages_in_document_order(tiny_store):
    assert tiny_store.document_ids() == ["alpha.txt", "beta.md"]
    assert tiny_store.document("missing.txt") is None
    for doc_id in tiny_store.document_ids():
        passages = tiny_store.passages(tiny_store.passage_ids(doc_id))
        assert passages and all(p.doc_id == doc_id for p in passages)
        assert [p.start for p in passages] == sorted(p.start for p in passages)
    assert len(tiny_store.passage_ids("missing.txt")) == 0


def test_candidates_are_scored_both_ways(tiny_store, fake_embedder):
    q = fake_embedder.encode([QUESTION])[0]
    terms = tiny_store.query_terms(QUESTION)
    assert terms, "the question's words are in the tiny documents"
    c = tiny_store.candidates(Query(q, terms), 100)
    n = len(c.ids)
    assert n == tiny_store.info()["passages"]           # fewer passages than asked for: all of them
    assert list(c.ids) == sorted(set(c.ids.tolist()))
    assert len(c.cosine) == len(c.best_sentence) == len(c.bm25) == len(c.doc_ids) == len(c.joins_previous) == n
    for row, pid in enumerate(c.ids):
        assert c.cosine[row] == pytest.approx(float(tiny_store.vector(int(pid)) @ q), abs=1e-5)
        assert c.best_sentence[row] == pytest.approx(float(max(tiny_store.sentences(int(pid), q)[1])), abs=1e-5)
        passage = tiny_store.passages([int(pid)])[0]
        assert c.doc_ids[row] == passage.doc_id
        holds = any(w in passage.text.lower() for w in ("payment", "result", "offend"))
        assert (c.bm25[row] > 0) == holds
    assert 0 <= c.rarity <= 1


def test_a_document_filter_holds_inside_retrieval(tiny_store, fake_embedder):
    q = fake_embedder.encode([QUESTION])[0]
    c = tiny_store.candidates(Query(q, tiny_store.query_terms(QUESTION), ("beta.md",)), 100)
    assert len(c.ids) and set(c.doc_ids) == {"beta.md"}


def test_sentences_are_spans_of_the_passage(tiny_store, fake_embedder):
    q = fake_embedder.encode([QUESTION])[0]
    for pid, p in enumerate(every_passage(tiny_store)):
        spans, sims = tiny_store.sentences(pid, q)
        assert len(spans) == len(sims) >= 1
        assert all(0 <= a < b <= len(p.text) for a, b in spans)
        assert np.all(np.abs(sims) <= 1.0001)


def test_the_top_citation_is_an_exact_slice(tiny_store, encoder):
    hit = Engine(tiny_store, encoder).search(QUESTION, k=3).results[0]
    assert hit.passage.doc_id == "alpha.txt"
    assert tiny_store.document(hit.passage.doc_id).text[hit.passage.start:hit.passage.end] == hit.passage.text
