"""The build's progress: embedding batch by batch gives the vectors one call gives, and reports as it goes."""
import numpy as np

from search.build import build_index
from search.embed import embed as _embed, embed_reporting as _embed_reporting


class RecordingEncoder:
    """The fake encoder, recording each call's texts."""

    def __init__(self, inner, batch_size=4):
        self.inner, self.batch_size, self.dim, self.name, self.calls = inner, batch_size, inner.dim, inner.name, []

    def encode(self, texts, progress=False):
        self.calls.append(list(texts))
        return self.inner.encode(texts)


def test_batch_by_batch_gives_the_same_vectors_encoding_each_distinct_text_once(fake_embedder):
    texts = [f"text number {i % 7} " + "x" * (i % 5) for i in range(23)] + ["text number 1 x"]
    enc = RecordingEncoder(fake_embedder)
    reports = []
    vectors = _embed_reporting(enc, texts, reports.append)
    assert np.array_equal(vectors, _embed(fake_embedder, texts, False))
    encoded = [t for call in enc.calls for t in call]
    assert sorted(encoded) == sorted(set(texts)) and all(len(c) <= enc.batch_size for c in enc.calls)
    lengths = [len(t) for t in encoded]
    assert lengths == sorted(lengths, reverse=True)   # the order one call would batch them in
    assert reports == sorted(reports) and reports[-1] == len(texts)


def test_a_build_reports_documents_then_passages_up_to_their_totals(tiny_seeds, tmp_path, fake_embedder):
    seen = []
    build_index(tiny_seeds, tmp_path / "index", fake_embedder, progress=False, log=lambda m: None,
                on_progress=lambda stage, done, total: seen.append((stage, done, total)))
    stages = [s for s, _, _ in seen]
    assert stages[0] == "documents" and stages[-1] == "passages"
    assert stages == sorted(stages, key=["documents", "passages"].index)
    passages = [(d, t) for s, d, t in seen if s == "passages"]
    assert len(passages) > 2 and [d for d, _ in passages] == sorted(d for d, _ in passages)
    assert passages[-1][0] == passages[-1][1]
