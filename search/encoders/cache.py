"""The model cache's file helpers: weights files and their SHA-256, atomic writes, a lock per entry, copies.

Used by ``models.py`` (checksums), ``mpnet.py`` (assembling the optional model) and ``onnx.py``
(exports); imports nothing else of the package.
"""
from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import shutil
import tempfile
from pathlib import Path

from ..errors import SearchError

WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin")


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


def write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file and a rename, so readers never see half of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.chmod(tmp, 0o644)   # mkstemp makes it private; the cache is read by whoever serves
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
