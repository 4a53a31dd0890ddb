"""Fixtures in layers: tiny documents -> built index -> service -> app -> client.

Tests marked ``real`` use the real model, the real seeds and (for ``server``) a real server
process; they run in CI too. Set SEARCH_SKIP_REAL=1 to leave them out while iterating locally.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from search.bench.tools import ServerProcess as BenchServerProcess

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
SHARED = Path(os.environ.get("SEARCH_SHARED") or ROOT.parent / "shared")   # API.md, eval/ of the workplace

TINY_DOCS = {
    "alpha.txt": (
        "Alpha Report\n\n"
        "1. Libraries\n\n"
        "Public libraries lend books and offer free internet access to everyone in the town.\n\n"
        "Opening hours were cut by a third after the budget reductions of last year.\n\n"
        "2. Probation\n\n"
        "Payment by results rewards providers only when re-offending falls, which shifts risk to charities.\n"
    ),
    "beta.md": (
        "# Beta notes\n\n"
        "## Housing\n\n"
        "Social housing waiting lists grew to 1.6 million households.\n\n"
        "## Health\n\n"
        "Primary care trusts commission most hospital services from independent providers.\n"
    ),
}


def pytest_configure(config):
    config.addinivalue_line("markers", "real: uses the real embedding model (slow; runs in CI)")
    config.addinivalue_line("markers", "server: starts a real server process")
    config.addinivalue_line("markers", "browser: drives headless Chromium")


def pytest_collection_modifyitems(config, items):
    if os.environ.get("SEARCH_SKIP_REAL") == "1" and not os.environ.get("CI"):
        skip = pytest.mark.skip(reason="SEARCH_SKIP_REAL=1")
        for item in items:
            if "real" in item.keywords:
                item.add_marker(skip)


@pytest.fixture
def tiny_seeds(tmp_path) -> Path:
    folder = tmp_path / "seeds"
    folder.mkdir()
    for name, text in TINY_DOCS.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


@pytest.fixture
def fake_embedder():
    from search.encoders import FakeEncoder

    return FakeEncoder()


@pytest.fixture
def tiny_index(tiny_seeds, tmp_path, fake_embedder) -> Path:
    from search.build import build_index

    index_dir = tmp_path / "index"
    build_index(tiny_seeds, index_dir, fake_embedder, progress=False, log=lambda m: None)
    return index_dir


# Every store implementation the contract tests run against (``tests/stores/test_contract.py``).
STORES = ["folder", "milvus"]   # milvus: Milvus Lite's local file (tests/stores/test_milvus_server.py runs a server)


@pytest.fixture(params=STORES)
def tiny_store(request, tiny_seeds, tmp_path, fake_embedder):
    """The tiny documents built into each kind of store, opened through ``open_store``."""
    from search.build import build_index
    from search.settings import Settings
    from search.stores import open_store, open_writer

    settings = Settings(seeds=tiny_seeds, index=tmp_path / f"{request.param}-index",
                        store=str(tmp_path / "milvus.db") if request.param == "milvus" else "local")
    build_index(tiny_seeds, open_writer(settings), fake_embedder, progress=False, log=lambda m: None)
    return open_store(settings, fake_embedder)


@pytest.fixture
def make_settings(tmp_path):
    from search.settings import Settings

    def make(seeds: Path, index: Path, **kw):
        return Settings(seeds=seeds, index=index, reload_seconds=0.2, **{"data": tmp_path / "data", **kw})

    return make


@pytest.fixture
def tiny_service(tiny_seeds, tiny_index, fake_embedder, make_settings):
    from search.service import SearchService

    return SearchService(make_settings(tiny_seeds, tiny_index), fake_embedder)


@pytest.fixture
def tiny_app(tiny_service):
    from web import create_app

    app = create_app(tiny_service.settings, service=tiny_service)
    app.config["TESTING"] = True
    return app


@pytest.fixture
def client(tiny_app):
    return tiny_app.test_client()


# -- the real model, the real seeds, a real server ----------------------------------------

@pytest.fixture(scope="session")
def real_embedder():
    from search.encoders import TorchEncoder

    return TorchEncoder()


@pytest.fixture(scope="session")
def real_index(tmp_path_factory, real_embedder) -> Path:
    """The seeds built with the real model, once per test session."""
    from search.build import build_index

    index_dir = tmp_path_factory.mktemp("real") / "index"
    build_index(SEEDS, index_dir, real_embedder, progress=False, log=lambda m: None)
    return index_dir


class ServerProcess(BenchServerProcess):
    """``python -m search serve`` over ``seeds`` and ``index`` on a free port, looking for a new index every 0.5 s.

    Returns once ``/api/health`` answers; ``url``, ``log()`` and ``stop()`` as in ``search.bench.tools``.
    """

    def __init__(self, seeds: Path, index: Path, env: dict | None = None):
        super().__init__(index, seeds=seeds, env={"SEARCH_RELOAD_SECONDS": "0.5", **(env or {})})


@pytest.fixture(scope="session")
def real_server(real_index):
    """A real server process over a copy of the real seed index."""
    index = real_index.parent / "served-index"
    if not index.exists():
        shutil.copytree(real_index, index, symlinks=True)
    server = ServerProcess(SEEDS, index, env={"SEARCH_DATA": str(index.parent / "data")})   # feedback: not in the repo
    yield server
    server.stop()
