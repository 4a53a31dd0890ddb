"""Fusion details: best-sentence scores, joining passages of one paragraph, one document's share."""
import numpy as np
import pytest

from search.build import build_index
from search.chunk import ChunkSettings
from search.stores.folder import FolderStore
from search.fusion import FusionSettings, fuse
from search.stores.base import Candidates, Query

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
    return FolderStore.open(tmp_path / "index", fake_embedder)


def candidates(store, cosines: dict[int, float]) -> Candidates:
    """Candidates with the given dense scores (and none from keywords or sentences), plus a zero
    floor so min-max scaling leaves the scores as given."""
    ids = np.array(sorted(cosines) + [10**6], dtype=np.int64)
    every = store.candidates(Query(store.vector(0), [], None), 10**4)     # each passage once, with its flags
    joins = np.append(every.joins_previous[np.searchsorted(every.ids, ids[:-1])], False)
    docs = [p.doc_id for p in store.passages(ids[:-1])] + ["floor.txt"]
    cos = np.array([cosines[i] for i in ids[:-1]] + [0.0], dtype=np.float32)
    return Candidates(ids, cos, cos, np.zeros(len(ids), np.float32), docs, joins)


DENSE_ONLY = FusionSettings(sentence_weight=0.0)


def test_best_sentence_is_the_max_over_each_passages_sentences(split_index, fake_embedder):
    store = split_index
    q = fake_embedder.encode(["probation contracts"])[0]
    cands = store.candidates(Query(q, [], None), 10)
    assert len(cands.ids) == 10
    expected = [max(store.sentences(int(c), q)[1]) for c in cands.ids]
    assert cands.best_sentence == pytest.approx(expected)
    assert cands.cosine == pytest.approx([store.vector(int(c)) @ q for c in cands.ids])


def test_passages_cut_from_one_paragraph_are_joined(split_index):
    store = split_index
    every = store.passages(range(store.info()["passages"]))
    long_ids = [i for i, p in enumerate(every) if p.doc_id == "long.txt" and "Sentence" in p.text]
    assert len(long_ids) >= 3
    groups = fuse(candidates(store, {long_ids[1]: 0.9, long_ids[0]: 0.8, long_ids[2]: 0.7}), 10, DENSE_ONLY)
    assert groups[0][0] == tuple(long_ids[:3])
    assert [ids for ids, _ in groups[1:]] == [(10**6,)]


def test_one_document_fills_at_most_its_share_while_others_qualify(split_index):
    store = split_index
    every = store.passages(range(store.info()["passages"]))
    long_ids = [i for i, p in enumerate(every) if p.doc_id == "long.txt"]
    other = [i for i, p in enumerate(every) if p.doc_id == "other.txt"]
    # every other long passage, so none is joined with its neighbour
    assert len(long_ids[::2]) >= 4
    ranked = {pid: 1.0 - 0.01 * n for n, pid in enumerate(long_ids[::2])} | {other[0]: 0.6}
    settings = FusionSettings(sentence_weight=0.0, max_doc_share=0.5, other_doc_min=0.5)
    docs = [every[g[0][0]].doc_id for g in fuse(candidates(store, ranked), 4, settings)]
    assert docs.count("long.txt") == 3 and docs.count("other.txt") == 1
    unlimited = FusionSettings(sentence_weight=0.0, max_doc_share=0)
    assert [every[g[0][0]].doc_id for g in fuse(candidates(store, ranked), 4, unlimited)] == ["long.txt"] * 4
    weak = {pid: s for pid, s in ranked.items() if pid != other[0]} | {other[0]: 0.1}
    docs = [every[g[0][0]].doc_id for g in fuse(candidates(store, weak), 3, settings)]
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


def test_the_passage_holding_the_named_identifier_ranks_above_its_neighbours():
    """"recommendation 3": meaning prefers its neighbour 4; the identifier match puts 3 first."""
    def cands(identifier):
        ids = np.array([0, 1, 2], dtype=np.int64)
        cos = np.array([0.90, 0.80, 0.10], dtype=np.float32)        # 0 is Recommendation 4, 1 is Recommendation 3
        bm25 = np.array([0.30, 0.35, 0.0], dtype=np.float32)
        return Candidates(ids, cos, cos, bm25, ["a.txt", "b.txt", "c.txt"], np.zeros(3, bool), identifier=identifier)

    settings = FusionSettings(sentence_weight=0.0)
    assert fuse(cands(None), 3, settings)[0][0] == (0,)
    assert fuse(cands(np.array([0, 1, 0], dtype=np.float32)), 3, settings)[0][0] == (1,)
    assert fuse(cands(np.array([0, 1, 0], dtype=np.float32)), 3, FusionSettings(sentence_weight=0.0,
                                                                             identifier_weight=0.0))[0][0] == (0,)
