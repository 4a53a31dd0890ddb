"""The benchmark's helpers, and the fast paths it measures. No timings are asserted here: they
belong in the benchmark's output."""
import threading
import time

import numpy as np
import pytest

from search.bench.scale import (PASSAGE_WORDS, FixedEncoder, exact_top_k, recall_at_k, seed_vocabulary, synthetic_index,
                                synthetic_texts, synthetic_vectors)
from search.bench.tools import FreshQuestions, bench_questions, percentiles, respell
from search.encoders import CachedEncoder, QueryBatcher
from search.stores.folder.dense import build_dense, search_dense, stored_vectors
from search.engine import Engine
from search.settings import ROOT

SEEDS = ROOT / "seeds"


def test_percentiles_worked_example():
    assert percentiles([0.001, 0.002, 0.003, 0.004]) == {"n": 4, "p50": 2.5, "p95": 3.85, "p99": 3.97}
    assert percentiles([0.010] * 7)["p99"] == 10.0


def test_recall_counts_exact_top_k_found_anywhere():
    exact = np.array([[1, 2, 3], [4, 5, 6]])
    assert recall_at_k([np.array([3, 2, 1]), np.array([6, 5, 4])], exact, k=3) == 1.0
    assert recall_at_k([np.array([3, 1, 9]), np.array([7, 8, 9])], exact, k=3) == round((2 / 3 + 0) / 2, 3)
    assert recall_at_k([np.array([9, 9, 2, 1])], np.array([[1, 2, 3]]), k=2) == 1.0


def test_exact_top_k_matches_a_full_sort_across_blocks():
    vectors, queries = synthetic_vectors(1000, seed=3), synthetic_vectors(7, seed=4)
    expected = np.argsort(-(queries @ vectors.T), axis=1, kind="stable")[:, :10]
    assert np.array_equal(exact_top_k(vectors, queries, 10, block=128), expected)


def test_respell_gives_new_cache_keys_for_the_same_words():
    spellings = [respell("Why do unions oppose it?", n) for n in range(64)]
    assert len(set(spellings)) == 64
    assert {s.lower() for s in spellings} == {"why do unions oppose it?"}
    with pytest.raises(ValueError):
        respell("ab", 4)


def test_fresh_questions_never_repeat():
    fresh = FreshQuestions(["one question", "another one"])
    asked = fresh.take(300)
    assert len(set(asked)) == 300
    assert {q.lower() for q in asked} == {"one question", "another one"}


def test_bench_questions_fall_back_to_built_in(tmp_path):
    assert bench_questions(tmp_path / "missing.jsonl")
    path = tmp_path / "dev.jsonl"
    path.write_text('{"id": "a", "query": "first"}\n\n{"id": "b", "query": "second"}\n')
    assert bench_questions(path) == ["first", "second"]


def test_synthetic_vectors_are_unit_length_reproducible_and_not_uniform():
    a, b = synthetic_vectors(500, seed=1), synthetic_vectors(500, seed=1)
    assert a.shape == (500, 384) and a.dtype == np.float32
    assert np.array_equal(a, b) and not np.array_equal(a, synthetic_vectors(500, seed=2))
    assert np.allclose(np.linalg.norm(a, axis=1), 1, atol=1e-5)
    sims = a @ a.T
    mean_cosine = (sims.sum() - len(a)) / (len(a) * (len(a) - 1))
    assert 0.1 < mean_cosine < 0.35   # like sentence embeddings; evenly spread vectors give ~0


def test_synthetic_texts_use_seed_words_at_passage_length():
    words, freq = seed_vocabulary(SEEDS)
    assert abs(freq.sum() - 1) < 1e-9
    texts = synthetic_texts(200, SEEDS, seed=5)
    assert texts == synthetic_texts(200, SEEDS, seed=5)
    vocabulary = set(words)
    for text in texts:
        assert PASSAGE_WORDS[0] <= len(text.split()) <= PASSAGE_WORDS[1]
        assert set(text.split()) <= vocabulary


def test_synthetic_index_answers_through_the_engine():
    questions = ["public libraries opening hours", "probation contracts and payment by results"]
    index, built = synthetic_index(synthetic_vectors(300), synthetic_texts(300, SEEDS))
    assert built["kind"] == "flat" and index.info()["passages"] == 300
    engine = Engine(index, FixedEncoder(dict(zip(questions, synthetic_vectors(2, seed=9)))))
    for q in questions:
        response = engine.search(q, 10)
        assert len(response.results) == 10
        assert len({h.passage.text for h in response.results}) == 10
        assert all(h.passage.text for h in response.results)   # no neighbours joined over a textless document
    response = engine.search(questions[0], 5, ["synthetic-00001"])
    assert [h.passage.doc_id for h in response.results] == ["synthetic-00001"] * 5


def test_hnsw_recall_against_flat_on_a_small_set():
    vectors, queries = synthetic_vectors(3000, seed=11), synthetic_vectors(50, seed=12)
    flat, hnsw = build_dense(vectors, "flat"), build_dense(vectors, "hnsw")
    exact = exact_top_k(vectors, queries, 10)
    assert recall_at_k([search_dense(flat, q, 10).ids for q in queries], exact) == 1.0
    assert recall_at_k([search_dense(hnsw, q, 10).ids for q in queries], exact) >= 0.95
    assert np.array_equal(stored_vectors(hnsw), vectors)


@pytest.mark.parametrize("kind", ["flat", "hnsw"])
def test_filtered_dense_search_is_exact_within_the_filter(kind):
    vectors, query = synthetic_vectors(2000, seed=13), synthetic_vectors(1, seed=14)[0]
    allowed = np.arange(100, 2000, 37)
    hits = search_dense(build_dense(vectors, kind), query, 10, allowed)
    expected = allowed[np.argsort(-(vectors[allowed] @ query), kind="stable")[:10]]
    assert np.array_equal(hits.ids, expected)
    assert np.allclose(hits.scores, vectors[expected] @ query, atol=1e-5)


def test_keyword_top_and_scores_of_agree_with_full_scores():
    index, _ = synthetic_index(synthetic_vectors(2000), synthetic_texts(2000, SEEDS, seed=2))
    kw = index.keyword
    allowed = np.arange(300, 700)
    for question in ["public services", "housing waiting lists councils", "probation", "zzzz unknown"]:
        terms = kw.query_terms(question)
        full = kw.scores(terms)
        ids, scores = kw.top(terms, 50)
        assert np.allclose(full[ids], scores, rtol=1e-5)
        assert np.allclose(scores, np.sort(full[full > 0])[::-1][:50], rtol=1e-5)
        assert np.all(np.diff(scores) <= 0)
        candidates = np.arange(0, 2000, 7)
        assert np.allclose(kw.scores_of(terms, candidates), full[candidates], rtol=1e-5, atol=1e-7)
        ids, scores = kw.top(terms, 10, allowed)
        inside = full[allowed]
        assert set(ids) <= set(allowed)
        assert np.allclose(scores, np.sort(inside[inside > 0])[::-1][:10], rtol=1e-5)


def test_cached_encoder_counts_hits_and_misses(fake_embedder):
    encoder = CachedEncoder(fake_embedder, size=2)
    for text in ["a b", "a b", "c d", "e f", "a b"]:
        encoder.encode_query(text)
    assert (encoder.hits, encoder.misses) == (1, 4)   # "a b" was evicted by the third distinct text


@pytest.mark.real
def test_the_server_model_gives_the_floor_model_vectors(real_embedder):
    """The bench times the floor with a bare SentenceTransformer; the server's encoder (same
    model, same library, behind the cache and batcher) must give the same vectors."""
    from sentence_transformers import SentenceTransformer

    from search.encoders import model_path

    floor = SentenceTransformer(str(model_path()), device="cpu", local_files_only=True)
    texts = bench_questions()[:20] + synthetic_texts(10, SEEDS) + [" ".join(synthetic_texts(8, SEEDS)), "", "a"]
    expected = floor.encode(texts, convert_to_numpy=True, normalize_embeddings=True, show_progress_bar=False)
    assert np.abs(real_embedder.encode(texts) - expected).max() < 1e-5
    assert np.abs(real_embedder.encode(texts[:1])[0] - expected[0]).max() < 1e-5


class _GatedEncoder:
    """The fake encoder, but its first forward pass waits for a gate: others queue meanwhile."""

    def __init__(self, inner, fail: bool = False):
        self.inner, self.fail = inner, fail
        self.name, self.dim = inner.name, inner.dim
        self.gate = threading.Event()
        self.calls: list[list[str]] = []

    def encode(self, texts, progress=False):
        self.calls.append(list(texts))
        if len(self.calls) == 1:
            self.gate.wait(10)
        if self.fail:
            raise RuntimeError("model exploded")
        return self.inner.encode(texts)


def _ask_together(batcher, encoder, texts):
    answers: dict = {}

    def ask(text):
        try:
            answers[text] = batcher.encode(text)
        except RuntimeError as exc:
            answers[text] = exc

    threads = [threading.Thread(target=ask, args=(texts[0],))]
    threads[0].start()
    _until(lambda: len(encoder.calls) == 1)
    threads += [threading.Thread(target=ask, args=(t,)) for t in texts[1:]]
    for t in threads[1:]:
        t.start()
    _until(lambda: len(batcher._waiting) == len(texts) - 1)
    encoder.gate.set()
    for t in threads:
        t.join(10)
    return answers


def _until(condition, timeout=10.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


def test_query_batcher_encodes_waiting_questions_in_one_pass(fake_embedder):
    encoder = _GatedEncoder(fake_embedder)
    batcher = QueryBatcher(encoder, lanes=1, max_batch=16)
    texts = [f"question number {i}" for i in range(6)]
    answers = _ask_together(batcher, encoder, texts)
    assert encoder.calls[0] == texts[:1] and sorted(encoder.calls[1]) == sorted(texts[1:])
    assert len(encoder.calls) == 2
    for text in texts:
        assert np.array_equal(answers[text], fake_embedder.encode([text])[0])


def test_query_batcher_tells_every_waiting_caller_about_a_failure(fake_embedder):
    encoder = _GatedEncoder(fake_embedder, fail=True)
    batcher = QueryBatcher(encoder, lanes=1, max_batch=2)
    texts = [f"question number {i}" for i in range(5)]
    answers = _ask_together(batcher, encoder, texts)
    assert all(isinstance(answers[t], RuntimeError) for t in texts)
    assert [len(c) for c in encoder.calls] == [1, 2, 2]


def test_format_report_prints_every_section_with_a_column_per_backend():
    from search.bench import format_report

    def ms(p50, ratios=False):
        out = {"n": 3, "p50": p50, "p95": p50 * 1.2, "p99": p50 * 1.5}
        return {**out, "p50_x_floor": 1.1, "p95_x_floor": 1.3, "p99_x_floor": 1.6} if ratios else out

    def backend(full_s, peak, gain):
        return {
            "build": {"documents": 5, "passages": 450, "threads": 2, "full_s": full_s, "noop_s": 0.5,
                      "noop_share": 0.01, "noop_reembedded": 0, "texts": 1985, "embed_s": full_s / 2,
                      "texts_per_s": 99.0, "x_floor": full_s / 40, "embed_x_floor": full_s / 80,
                      "process_s": full_s + 10, "import_s": 9.5, "process_x_floor": (full_s + 10) / 40},
            "startup_s": 6.3, "startup_cpu_s": 6.0, "floor_ms": ms(19.6), "encode_ms": ms(7.5, True),
            "latency_ms": {"in_process": ms(20.1, True), "http": ms(22.5, True)},
            "cache": {"hit_rate": 1.0, "in_process_ms": ms(2.0, True), "http_ms": ms(4.4, True)},
            "throughput": [{"clients": c, "seconds": 10.0, "answered": 400 * c, "errors": 0, "qps": q,
                            "latency_ms": ms(20.0 * c)} for c, q in ((1, 45.5), (4, 67.0), (16, 81.5))],
            "throughput_gain_16_vs_1": gain, "server_memory_mb": {"peak": peak, "now": peak - 9}}

    report = {
        "machine": {"cpus": 2, "python": "3.11", "torch": "2", "load_before": 0.5, "load_after": 0.7},
        "settings": {"threads": 8, "torch_threads": 1, "cache_size": 1024, "model": "m", "precision": "fp32"},
        "questions": {"source": "built-in", "count": 6},
        "build_floor": {"texts": 1985, "seconds": 40.0, "texts_per_s": 49.6, "torch_threads": 2},
        "backends": {"onnx": backend(20.0, 579.0, 1.79), "torch": backend(60.0, 901.0, 1.65)},
        "scale": [{"passages": 1_000_000, "kind": "hnsw", "dense_s": 143.2, "keyword_s": 96.0, "search_ms": ms(16.5),
                   "dense_ms": ms(1.2), "keyword_top_ms": ms(2.9), "keyword_score_all_ms": ms(12.1),
                   "recall_at_10": 0.965, "ef_search": {"512": {"recall_at_10": 0.965, "p50_ms": 2.4}},
                   "rss_mb": 4864.0, "peak_mb": 6529.0},
                  {"passages": 10_000, "error": "MemoryError"}],
    }
    text = format_report(report)
    header = next(line for line in text.splitlines() if "onnx" in line and "torch" in line)
    assert header.index("onnx") < header.index("torch")
    for expected in ("20.0 s = 0.50x bare torch encode", "60.0 s = 1.50x bare torch encode", "0.50 s = 1% of full",
                     "30.0 s = 0.75x (importing the model's libraries 9.5 s)", "1,985 passages and sentences in 40.0 s", "(1.10/1.30/1.60x)",
                     "1.79", "1.65", "579 MB (570 MB)", "901 MB (892 MB)", "1,000,000  hnsw",
                     "efSearch  512: recall@10 0.965", "10,000 failed: MemoryError"):
        assert expected in text, expected
    row = next(line for line in text.splitlines() if line.startswith("server memory"))
    assert row.index("579 MB") < row.index("901 MB")


@pytest.mark.real
def test_lazy_encoder_knows_its_dimension_before_loading_and_matches_the_model(real_embedder):
    from search.encoders import LazyEncoder

    lazy = LazyEncoder()
    assert lazy._model is None and (lazy.name, lazy.dim) == (real_embedder.name, real_embedder.dim)
    assert np.abs(lazy.encode(["probation contracts"]) - real_embedder.encode(["probation contracts"])).max() < 1e-5


def test_wait_for_returns_once_ready_and_names_a_process_that_exits_first():
    import subprocess
    import sys

    from search.bench.tools import wait_for

    calls = []
    wait_for(lambda: calls.append(1) or len(calls) == 3, timeout=5, poll=0.001)
    assert len(calls) == 3
    with pytest.raises(TimeoutError):
        wait_for(lambda: False, timeout=0.05, poll=0.01)
    exited = subprocess.Popen([sys.executable, "-c", "raise SystemExit(3)"])
    exited.wait()
    with pytest.raises(RuntimeError, match="exited with 3"):
        wait_for(lambda: False, timeout=5, proc=exited)
