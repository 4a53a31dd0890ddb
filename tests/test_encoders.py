"""The encoder registry and the protocol every encoder honours: float32 unit vectors, one row per text."""
import os
import subprocess
import sys
from types import SimpleNamespace

import numpy as np
import pytest

from search.encoders import (ENCODERS, MODEL_NAME, CachedEncoder, Encoder, FakeEncoder, LazyEncoder, TorchEncoder,
                             load_encoder)
from search.errors import SearchError
from search.settings import ROOT, Settings

TEXTS = ["Payment by results shifts risk to charities.", "payment by results", "", "a", "Bibliothèques publiques ☃",
         " ".join(["opening hours were cut"] * 200)]   # longer than the model reads: cut, still one unit vector


def assert_honours_the_protocol(encoder):
    assert isinstance(encoder, Encoder)
    assert isinstance(encoder.name, str) and encoder.name
    assert isinstance(encoder.dim, int) and encoder.dim > 0
    assert isinstance(encoder.threads, int) and encoder.threads >= 1
    vectors = encoder.encode(TEXTS)
    assert vectors.shape == (len(TEXTS), encoder.dim) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-5)
    assert encoder.encode([]).shape == (0, encoder.dim)
    assert np.allclose(encoder.encode(TEXTS[:1], progress=False)[0], vectors[0], atol=1e-5)   # alone or in a batch


def test_load_encoder_picks_the_fake_by_setting():
    encoder = load_encoder(SimpleNamespace(encoder="fake", torch_threads=1))
    assert type(encoder) is FakeEncoder
    assert type(load_encoder(SimpleNamespace(encoder="fake"), lazy=True)) is FakeEncoder


def test_load_encoder_defaults_to_the_model_on_onnx_and_a_build_gets_it_lazily():
    encoder = load_encoder(Settings(), lazy=True)
    assert type(encoder) is LazyEncoder and encoder._model is None and encoder.details == {"backend": "onnx"}
    assert (encoder.name, encoder.dim, len(encoder.checksum)) == (MODEL_NAME, 384, 64)
    torch = load_encoder(SimpleNamespace(encoder="torch"), lazy=True)   # the backend named as the encoder
    assert type(torch) is LazyEncoder and torch.details == {"backend": "torch"} and torch.checksum == encoder.checksum
    assert load_encoder(Settings(backend="torch"), lazy=True).details == {"backend": "torch"}


def test_an_unknown_backend_or_precision_is_refused_naming_the_known_ones():
    with pytest.raises(SearchError, match=r"unknown backend 'tpu'.*onnx, torch"):
        load_encoder(Settings(backend="tpu"), lazy=True)
    from search.encoders.onnx import export_onnx
    from search.encoders.torch import default_model

    with pytest.raises(SearchError, match=r"unknown precision 'fp8'.*fp32, int8"):
        export_onnx(default_model(), Settings().model_cache, "fp8")


def test_an_unknown_encoder_is_refused_naming_the_known_ones():
    with pytest.raises(SearchError, match=r"unknown encoder 'tensorflow'.*model, onnx, torch, fake"):
        load_encoder(SimpleNamespace(encoder="tensorflow", torch_threads=1))
    assert set(ENCODERS) == {"model", "onnx", "torch", "fake"}


def test_the_fake_encoder_honours_the_protocol():
    assert_honours_the_protocol(FakeEncoder())
    assert_honours_the_protocol(FakeEncoder(dim=32))


def test_the_fake_encoder_is_deterministic_across_instances_and_processes():
    a, b = FakeEncoder().encode(TEXTS), FakeEncoder().encode(TEXTS)
    assert np.array_equal(a, b)
    code = ("import sys, numpy as np; from search.encoders import FakeEncoder; "
            "sys.stdout.buffer.write(FakeEncoder().encode(sys.argv[1:]).tobytes())")
    other = subprocess.run([sys.executable, "-c", code, *TEXTS], cwd=ROOT, capture_output=True, check=True,
                           env={**os.environ, "PYTHONHASHSEED": "12345"})
    assert np.array_equal(np.frombuffer(other.stdout, dtype=np.float32).reshape(a.shape), a)
    sims = a @ a.T
    assert sims[0, 1] > sims[0, 3]   # shared words give similar vectors: "payment by results"
    assert np.array_equal(a[2], np.eye(64, dtype=np.float32)[0])   # no words: the first axis


def test_the_cache_gives_the_encoders_vectors_read_only(fake_embedder):
    cached = CachedEncoder(fake_embedder)
    first = cached.encode_query(TEXTS[0])
    assert np.array_equal(first, fake_embedder.encode(TEXTS[:1])[0]) and not first.flags.writeable
    assert cached.encode_query(TEXTS[0]) is first and (cached.hits, cached.misses) == (1, 1)


def test_importing_the_encoders_loads_no_torch():
    """Importing the package, counting tokens, a lazy encoder and the fake one: none needs torch."""
    code = ("import sys, types; import search.encoders as e; e.count_tokens('payment by results'); e.LazyEncoder(); "
            "e.load_encoder(types.SimpleNamespace(encoder='fake')).encode(['x']); "
            "loaded = [m for m in ('torch', 'sentence_transformers', 'transformers') if m in sys.modules]; "
            "assert not loaded, loaded")
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr


@pytest.mark.real
def test_the_torch_encoder_honours_the_protocol(real_embedder):
    assert type(real_embedder) is TorchEncoder and (real_embedder.name, real_embedder.dim) == (MODEL_NAME, 384)
    assert_honours_the_protocol(real_embedder)


@pytest.mark.real
def test_load_encoder_builds_the_torch_model_with_the_settings_threads(real_embedder):
    import torch

    before = torch.get_num_threads()
    try:
        encoder = load_encoder(Settings(backend="torch", torch_threads=1))
        assert type(encoder) is TorchEncoder and encoder.threads == 1
        assert np.abs(encoder.encode(TEXTS) - real_embedder.encode(TEXTS)).max() < 1e-5
    finally:
        torch.set_num_threads(before)   # the setting is process-wide; other tests build with torch's default


@pytest.mark.real
def test_the_lazy_encoder_loads_on_first_encode_and_then_honours_the_protocol():
    lazy = LazyEncoder()
    assert lazy._model is None and lazy.threads == 1
    assert_honours_the_protocol(lazy)
    assert lazy._model is not None and lazy.threads == lazy._model.threads
