"""Fusion details: best-sentence scores, joining passages of one paragraph, one document's share."""
import numpy as np
import pytest

from search.build import build_index
from search.chunk import ChunkSettings
from search.engine import load_index
from search.fusion import FusionSettings, _diversify, best_sentence

LONG = ("Intro\n\n" + " ".join(f"Sentence number {i} talks about probation contracts and local trusts." for i in range(24))
        + "\n\nA separate short paragraph about libraries.\n")


@pytest.fixture
def split_index(tmp_path, fake_embedder):
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "long.txt").write_text(LONG, encoding="utf-8")
    (seeds / "other.txt").write_text("Other\n\nA note about housing.\n\nA note about health.\n", encoding="utf-8")
    build_index(seeds, tmp_path / "index", fake_embedder, ChunkSettings(target_tokens=30, max_tokens=40, min_tokens=5),
                progress=False, log=lambda m: None)
    return load_index(tmp_path / "index", fake_embedder)


def test_best_sentence_is_the_max_over_each_passages_sentences(split_index, fake_embedder):
    ix = split_index
    q = fake_embedder.encode(["probation contracts"])[0]
    cand = np.array([0, 2, 1], dtype=np.int64)
    expected = [max(ix.sentence_vectors[ix.sentence_offsets[c]:ix.sentence_offsets[c + 1]] @ q) for c in cand]
    assert best_sentence(ix, cand, q) == pytest.approx(expected)


def test_passages_cut_from_one_paragraph_are_joined(split_index):
    ix = split_index
    long_ids = [i for i, p in enumerate(ix.passages) if p.doc_id == "long.txt" and "Sentence" in p.text]
    assert len(long_ids) >= 3
    groups = _diversify([(long_ids[1], 0.9), (long_ids[0], 0.8), (long_ids[2], 0.7)], ix, 10, FusionSettings())
    assert groups == [(tuple(long_ids[:3]), 0.9)]


def test_one_document_fills_at_most_its_share_while_others_qualify(split_index):
    ix = split_index
    long_ids = [i for i, p in enumerate(ix.passages) if p.doc_id == "long.txt"]
    other = [i for i, p in enumerate(ix.passages) if p.doc_id == "other.txt"]
    # every other long passage, so none is joined with its neighbour
    assert len(long_ids[::2]) >= 4
    ranked = [(pid, 1.0 - 0.01 * n) for n, pid in enumerate(long_ids[::2])] + [(other[0], 0.6)]
    settings = FusionSettings(max_doc_share=0.5, other_doc_min=0.5)
    docs = [ix.passages[g[0][0]].doc_id for g in _diversify(ranked, ix, 4, settings)]
    assert docs.count("long.txt") == 3 and docs.count("other.txt") == 1
    assert [ix.passages[g[0][0]].doc_id for g in _diversify(ranked, ix, 4, FusionSettings(max_doc_share=0))] == ["long.txt"] * 4
    weak = [(pid, s) for pid, s in ranked[:-1]] + [(other[0], 0.1)]
    docs = [ix.passages[g[0][0]].doc_id for g in _diversify(weak, ix, 3, settings)]
    assert docs == ["long.txt"] * 3  # the other document is too weak to qualify


def test_a_joined_result_cites_a_url_whose_page_has_its_element(tmp_path, fake_embedder, make_settings):
    from search.service import SearchService
    from web import create_app

    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "long.txt").write_text(LONG, encoding="utf-8")
    build_index(seeds, tmp_path / "index", fake_embedder, ChunkSettings(target_tokens=30, max_tokens=40, min_tokens=5),
                progress=False, log=lambda m: None)
    settings = make_settings(seeds, tmp_path / "index")
    client = create_app(settings, service=SearchService(settings, fake_embedder)).test_client()
    body = client.get("/api/search?q=probation+contracts+local+trusts&k=10").get_json()
    joined = [r for r in body["results"] if "span=" in r["citation"]["url"]]
    assert joined, "expected neighbouring pieces of the long paragraph to be joined"
    text = LONG
    for r in body["results"]:
        c = r["citation"]
        assert text[c["start"]:c["end"]] == r["text"]
        path, fragment = c["url"].split("#")
        assert f'id="{fragment}"'.encode() in client.get(path).data
    page = client.get("/?q=probation+contracts+local+trusts").data.decode()
    assert "span=" in page
