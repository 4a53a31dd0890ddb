"""Batches sized in word pieces: every text once, longest first, within the budget; a build that
reports batch by batch (and runs batches side by side) gets exactly the vectors of one call."""
import threading

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from search.embed import embed, embed_reporting
from search.encoders import FakeEncoder
from search.encoders.batching import TokenCounter, encode_in_token_batches, plan_batches, token_batches


def test_batches_hold_every_row_once_longest_first_within_the_budget():
    lengths = [5, 300, 40, 40, 7, 120, 1, 256, 33]
    batches = token_batches(lengths, budget=256, most=3)
    rows = np.concatenate(batches)
    assert sorted(rows.tolist()) == list(range(len(lengths)))
    assert [lengths[i] for i in rows] == sorted(lengths, reverse=True)
    for b in batches:
        assert len(b) <= 3 and (len(b) == 1 or len(b) * max(lengths[i] for i in b) <= 256)
    assert [len(b) for b in batches][:3] == [1, 1, 2]   # 300 and 256 alone; two of 120 and 40 fit 256
    assert token_batches([]) == []


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(1, 260), min_size=1, max_size=80), st.integers(16, 2048), st.integers(1, 64),
       st.integers(1, 5))
def test_consecutive_batches_given_back_are_planned_into_the_same_batches(lengths, budget, most, group):
    batches = token_batches(lengths, budget, most)
    for g in range(0, len(batches), group):
        together = np.concatenate(batches[g:g + group])
        again = token_batches([lengths[i] for i in together], budget, most)
        assert [together[b].tolist() for b in again] == [b.tolist() for b in batches[g:g + group]]


class WordPieces:
    """A stand-in tokenizer: one word piece per word, plus the two special tokens."""

    def __call__(self, texts, add_special_tokens, truncation, max_length):
        return {"input_ids": [list(range(min(len(t.split()) + 2, max_length))) for t in texts]}


class WordModel:
    """A stand-in sentence-transformers model: one word piece per word, the fake encoder's vectors,
    and a record of every batch it was given (and from how many threads at once)."""

    max_seq_length = 8

    def __init__(self):
        self.fake, self.batches, self.lock, self.running, self.most_at_once = FakeEncoder(), [], threading.Lock(), 0, 0
        self.tokenizer = WordPieces()
        self.count = TokenCounter(self)

    def encode(self, texts, batch_size, convert_to_numpy, normalize_embeddings, show_progress_bar):
        with self.lock:
            self.running += 1
            self.most_at_once = max(self.most_at_once, self.running)
            self.batches.append(list(texts))
        try:
            threading.Event().wait(0.002)
            return self.fake.encode(texts)
        finally:
            with self.lock:
                self.running -= 1


TEXTS = [" ".join(["word"] * (i % 11) + [f"t{i}"]) for i in range(60)]


def test_encoding_in_token_batches_keeps_each_text_on_its_row_with_one_lane_or_two():
    one, two = WordModel(), WordModel()
    a = encode_in_token_batches(one, one.count, TEXTS, 64, budget=24, lanes=1)
    b = encode_in_token_batches(two, two.count, TEXTS, 64, budget=24, lanes=2)
    expected = FakeEncoder().encode(TEXTS)
    assert np.array_equal(a, expected) and np.array_equal(b, expected)
    assert sorted(map(sorted, one.batches)) == sorted(map(sorted, two.batches))
    assert one.most_at_once == 1 and two.most_at_once == 2
    for batch in one.batches:   # within the budget: rows x longest (word pieces, cut at 8) <= 24
        assert len(batch) == 1 or len(batch) * max(min(len(t.split()) + 2, 8) for t in batch) <= 24
    empty = WordModel()
    assert encode_in_token_batches(empty, empty.count, [], 64).shape == (0, 64)
    assert [b.tolist() for b in plan_batches(empty.count, ["one"])] == [[0]]


def test_lengths_are_counted_on_a_copy_of_the_tokenizer_that_encode_uses():
    model = WordModel()
    assert model.count(["a b c", "", "w " * 20]) == [5, 2, 8]   # special tokens in, cut at max_seq_length
    assert model.count._tokenizer is not model.tokenizer


class PlannedEncoder:
    """An encoder as the real ones are: it plans its own batches and runs ``lanes`` at once."""

    name, dim, threads, lanes = "planned", 64, 2, 2

    def __init__(self):
        self.model = WordModel()

    def plan(self, texts):
        return plan_batches(self.model.count, texts, 24)

    def encode(self, texts, progress=False):
        return encode_in_token_batches(self.model, self.model.count, texts, self.dim, 24, progress, self.lanes)


def test_a_build_reporting_batch_by_batch_runs_the_batches_of_one_call():
    texts = TEXTS + TEXTS[:7]   # repeats are encoded once
    whole, reporting = PlannedEncoder(), PlannedEncoder()
    reports = []
    vectors = embed_reporting(reporting, texts, reports.append)
    assert np.array_equal(vectors, embed(whole, texts, False))
    assert sorted(map(sorted, reporting.model.batches)) == sorted(map(sorted, whole.model.batches))
    assert reports == sorted(reports) and reports[-1] == len(texts) and len(reports) > 1


def lazy_fake(load):
    from search.encoders import LazyEncoder
    from search.encoders.models import ModelFiles

    model = ModelFiles(name="fake-hash-embedder", folder=None, dim=64, sha256="")
    return LazyEncoder(None, model, load, "fake")


def test_a_build_loads_the_model_while_it_reads_and_not_when_nothing_changed(tiny_seeds, tmp_path):
    from search.build import build_index

    started = threading.Event()

    def load():
        started.set()
        return FakeEncoder()

    encoder = lazy_fake(load)
    encoder.preload()
    assert started.wait(5) and encoder.encode(["a"]).shape == (1, 64)

    first = build_index(tiny_seeds, tmp_path / "index", FakeEncoder(), progress=False, log=lambda m: None)
    untouched = lazy_fake(lambda: pytest.fail("a build with nothing to embed loaded the model"))
    again = build_index(tiny_seeds, tmp_path / "index", untouched, progress=False, log=lambda m: None)
    assert again.version == first.version and untouched._model is None and not untouched._preloading


def test_a_model_that_fails_to_load_in_the_background_raises_in_the_encode_that_needs_it():
    calls = []

    def load():
        calls.append(1)
        raise OSError("model cache unreadable")

    encoder = lazy_fake(load)
    encoder.preload()
    for _ in range(100):
        if calls:
            break
        threading.Event().wait(0.01)
    with pytest.raises(OSError, match="unreadable"):
        encoder.encode(["a"])
    assert len(calls) == 2
