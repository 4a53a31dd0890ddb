"""ONNX Runtime and PyTorch run the same weights: their vectors agree on real text, so an index built on
one backend is served on the other."""
import json
import os

import numpy as np
import pytest

from search.build import build_index
from search.encoders import CachedEncoder, LazyEncoder, load_encoder
from search.encoders.cache import file_sha256
from search.encoders.onnx import OnnxEncoder
from search.engine import Engine
from search.settings import Settings
from search.stores import open_store
from tests.conftest import SEEDS

QUESTIONS = ["why do unions oppose payment by results in probation?", "what happened to library opening hours?",
             "Serco community payback contract", "How many households are on social housing waiting lists?"]


@pytest.fixture(scope="module")
def onnx_encoder():
    return load_encoder(Settings(backend="onnx", torch_threads=1))


def seed_texts(n=60):
    """Real paragraphs of the seed documents, short and long."""
    paragraphs = [p.strip() for path in sorted(SEEDS.glob("*.txt"))[:4]
                  for p in path.read_text(encoding="utf-8").split("\n\n") if len(p.split()) > 3]
    return paragraphs[:n] + QUESTIONS


@pytest.mark.real
def test_onnx_is_the_default_and_honours_the_protocol(onnx_encoder):
    assert type(onnx_encoder) is OnnxEncoder and onnx_encoder.threads == 1
    assert onnx_encoder.details["backend"] == "onnx" and onnx_encoder.details["precision"] == "fp32"
    vectors = onnx_encoder.encode(QUESTIONS)
    assert vectors.shape == (len(QUESTIONS), 384) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-5)
    assert onnx_encoder.encode([]).shape == (0, 384)
    lazy = load_encoder(Settings(), lazy=True)
    assert type(lazy) is LazyEncoder and lazy._model is None and lazy.details == {"backend": "onnx"}


@pytest.mark.real
def test_the_export_is_in_the_cache_with_its_checksum(onnx_encoder):
    folder = Settings().model_cache / onnx_encoder.details["onnx_folder"]
    record = json.loads((folder / "export.json").read_text())
    assert record["weights_sha256"] == onnx_encoder.checksum and record["precision"] == "fp32"
    assert file_sha256(folder / record["file"]) == record["onnx_sha256"] == onnx_encoder.details["onnx_sha256"]


@pytest.mark.real
def test_both_backends_give_the_same_vectors_on_real_text(onnx_encoder, real_embedder):
    texts = seed_texts()
    a, b = onnx_encoder.encode(texts), real_embedder.encode(texts)
    cosine = (a * b).sum(axis=1)
    assert cosine.min() >= 0.9999, texts[int(cosine.argmin())]
    assert onnx_encoder.checksum == real_embedder.checksum and onnx_encoder.name == real_embedder.name


@pytest.mark.real
def test_a_build_runs_one_lane_per_core_and_gives_a_plain_encodes_vectors(onnx_encoder):
    build = load_encoder(Settings(backend="onnx"), lazy=True)
    texts = seed_texts(150)
    vectors = build.encode(texts)
    assert build.lanes == (os.cpu_count() or 1) == build.threads
    plain = onnx_encoder._model.encode(texts, batch_size=32, normalize_embeddings=True)   # sentence-transformers' own batches
    cosine = (vectors * plain).sum(axis=1)
    assert cosine.min() >= 0.9999, texts[int(cosine.argmin())]
    assert len(build.plan(texts)) < len(texts) and sorted(np.concatenate(build.plan(texts))) == list(range(len(texts)))


@pytest.mark.real
def test_a_server_encoder_takes_several_questions_from_two_threads_at_once(onnx_encoder):
    # each encode of several questions counts their word pieces; on the model's own tokenizer that
    # raced sentence-transformers' encode in the other thread ("Already borrowed")
    import threading

    asked = [QUESTIONS[:3], QUESTIONS[1:], QUESTIONS[::2]]
    expected = [onnx_encoder.encode(q) for q in asked]
    failures = []

    def ask(k):
        for i in range(40):
            q = asked[(k + i) % len(asked)]
            try:
                if not np.allclose(onnx_encoder.encode(q), expected[(k + i) % len(asked)], atol=1e-5):
                    failures.append("other vectors")
            except Exception as exc:   # noqa: BLE001 - the test reports every failure
                failures.append(repr(exc))

    threads = [threading.Thread(target=ask, args=(k,)) for k in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []


def top(index, encoder, k=5):
    engine = Engine(open_store(Settings(index=index), encoder), CachedEncoder(encoder))
    return [[(h.passage.doc_id, h.passage.start) for h in engine.search(q, k).results] for q in QUESTIONS]


@pytest.mark.real
def test_an_index_built_on_torch_is_served_on_onnx_with_the_same_answers(real_index, onnx_encoder, real_embedder):
    assert open_store(Settings(index=real_index), real_embedder).info()["encoding"]["backend"] == "torch"
    assert top(real_index, onnx_encoder) == top(real_index, real_embedder)


@pytest.mark.real
def test_an_index_built_on_onnx_is_served_on_torch_with_the_same_answers(tmp_path, onnx_encoder, real_embedder):
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    for path in sorted(SEEDS.glob("*.txt"))[:2]:
        (seeds / path.name).write_bytes(path.read_bytes())
    build_index(seeds, tmp_path / "index", onnx_encoder, progress=False, log=lambda m: None)
    manifest = open_store(Settings(index=tmp_path / "index"), real_embedder).info()
    assert manifest["encoding"]["backend"] == "onnx" and manifest["model_sha256"] == real_embedder.checksum
    assert top(tmp_path / "index", real_embedder) == top(tmp_path / "index", onnx_encoder)
