"""The index folder's format: versions written whole, switched atomically, checked on load. No pickle.

Layout::

    index/
      CURRENT                 name of the live version (replaced atomically)
      v-20261122T071500-1a2b/
        manifest.json         format, model, dim, settings, documents with fingerprints, file sizes
        passages.jsonl        one passage per line, in vector order
        documents.jsonl       each document's text, title and outline
        vectors.npy           float32 [passages, dim], L2-normalised
        sentence_vectors.npy  float32 [sentences, dim], the sentences of each passage in order
        dense.faiss           the FAISS index over those vectors
        keyword/              the bm25s index (its own plain-file format)
"""
from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import numpy as np

from ...errors import REBUILD_HINT, IndexMismatch, IndexMissing, SearchError

FORMAT_VERSION = 1
CURRENT = "CURRENT"


def write_jsonl(path: Path, rows) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")


def read_jsonl(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def current_version(index_dir: Path) -> Path:
    """The folder of the live version; IndexMissing when there is none."""
    index_dir = Path(index_dir)
    pointer = index_dir / CURRENT
    try:
        name = pointer.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        raise IndexMissing(f"no index in {index_dir}: {REBUILD_HINT}") from None
    except OSError as exc:
        raise IndexMismatch(f"cannot read {pointer}: {exc}; {REBUILD_HINT}") from exc
    folder = index_dir / name
    if not name or "/" in name or not folder.is_dir():
        raise IndexMismatch(f"the index pointer {pointer} names a missing version {name!r}; {REBUILD_HINT}")
    return folder


def signature(index_dir: Path) -> tuple:
    """Changes whenever the live version is switched, or its files are touched or removed."""
    try:
        folder = current_version(index_dir)
    except SearchError as exc:
        return ("error", str(exc))
    files = []
    for path in sorted(folder.rglob("*")):
        try:
            st = path.stat()
            files.append((path.name, st.st_size, st.st_mtime_ns))
        except OSError:
            files.append((path.name, None))
    return (folder.name, tuple(files))


# Files a build derives from the passages and vectors alone: it can remake them without embedding.
DERIVED = ("dense.faiss", "keyword/")


def read_manifest(folder: Path, check_derived: bool = True) -> dict:
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise IndexMismatch(f"{folder} has no manifest.json; {REBUILD_HINT}") from None
    except (OSError, ValueError) as exc:
        raise IndexMismatch(f"{folder}/manifest.json is unreadable ({exc}); {REBUILD_HINT}") from exc
    if not isinstance(manifest, dict) or manifest.get("format_version") != FORMAT_VERSION:
        found = manifest.get("format_version") if isinstance(manifest, dict) else None
        raise IndexMismatch(f"index format {found!r} is not the supported format {FORMAT_VERSION}; {REBUILD_HINT}")
    sizes = manifest.get("files", {})
    check_files(folder, sizes if check_derived else {n: v for n, v in sizes.items() if not n.startswith(DERIVED)})
    return manifest


def file_sizes(folder: Path) -> dict[str, int]:
    """Size of every file of a version, by path relative to it: the manifest's ``files``."""
    return {p.relative_to(folder).as_posix(): p.stat().st_size for p in sorted(folder.rglob("*"))
            if p.is_file() and p.name != "manifest.json"}


def check_files(folder: Path, sizes: dict[str, int]) -> None:
    """Every file the manifest lists is present and whole (a cheap check against truncation)."""
    for name, size in sizes.items():
        try:
            found = (folder / name).stat().st_size
        except OSError:
            raise IndexMismatch(f"{folder}/{name} is missing; {REBUILD_HINT}") from None
        if found != size:
            raise IndexMismatch(f"{folder}/{name} is damaged ({found} bytes, expected {size}); {REBUILD_HINT}")


def check_model(manifest: dict, model_name: str, dim: int) -> None:
    if manifest.get("model") != model_name or manifest.get("dim") != dim:
        raise IndexMismatch(
            f"the index was built with model {manifest.get('model')!r} (dim {manifest.get('dim')}), "
            f"but this service uses {model_name!r} (dim {dim}); {REBUILD_HINT} again")


def new_version_dir(index_dir: Path) -> tuple[Path, Path]:
    """(temporary folder to write into, final folder) for a new version; names sort by time."""
    now = time.time()
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime(now)) + f"{int(now * 1000) % 1000:03d}"
    name = f"v-{stamp}-{os.getpid():x}"
    return index_dir / f".tmp-{name}", index_dir / name


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def publish(index_dir: Path, tmp: Path, final: Path, keep: int = 2) -> None:
    """Make a fully written temporary version live: rename it, then swap the pointer atomically.

    Killed before the swap, the previous version stays live and the next build removes the
    leftovers; readers see either the old pointer or the new one, never a partial file.
    """
    for path in list(tmp.rglob("*")) + [tmp]:
        _fsync(path)
    os.replace(tmp, final)
    switch_to(index_dir, final.name)
    prune(index_dir, keep)


def switch_to(index_dir: Path, name: str) -> None:
    """Point CURRENT at version ``name`` with one atomic rename."""
    pointer_tmp = index_dir / f".{CURRENT}.{os.getpid()}"
    pointer_tmp.write_text(name + "\n", encoding="utf-8")
    _fsync(pointer_tmp)
    os.replace(pointer_tmp, index_dir / CURRENT)
    _fsync(index_dir)


def prune(index_dir: Path, keep: int = 2) -> None:
    """Delete old versions (keeping the live one and the newest others) and abandoned temporaries.

    Only one build runs at a time (build.py holds a lock), so every temporary here is abandoned.
    """
    try:
        live = current_version(index_dir).name
    except (IndexMissing, IndexMismatch):
        live = None
    versions = sorted((p for p in index_dir.glob("v-*") if p.is_dir()), key=lambda p: p.name, reverse=True)
    kept = [v for v in versions if v.name == live] + [v for v in versions if v.name != live][: max(keep - 1, 0)]
    for v in versions:
        if v not in kept:
            shutil.rmtree(v, ignore_errors=True)
    for tmp in index_dir.glob(".tmp-v-*"):
        shutil.rmtree(tmp, ignore_errors=True)
    for pointer_tmp in index_dir.glob(f".{CURRENT}.*"):
        pointer_tmp.unlink(missing_ok=True)


def save_vectors(folder: Path, vectors: np.ndarray, name: str = "vectors.npy") -> None:
    np.save(folder / name, np.ascontiguousarray(vectors, dtype=np.float32), allow_pickle=False)


def load_vectors(folder: Path, count: int, dim: int, name: str = "vectors.npy") -> np.ndarray:
    return _read_vectors(folder, count, dim, name, mmap_mode=None)


def check_vectors(folder: Path, count: int, dim: int, name: str = "vectors.npy") -> None:
    """The file's header and size are right, without reading (or keeping a mapping of) its rows."""
    _read_vectors(folder, count, dim, name, mmap_mode="r")   # the mapping closes as the array is dropped


def _read_vectors(folder: Path, count: int, dim: int, name: str, mmap_mode: str | None) -> np.ndarray:
    try:
        vectors = np.load(folder / name, allow_pickle=False, mmap_mode=mmap_mode)
    except Exception as exc:  # numpy raises several kinds for truncated or foreign files
        raise IndexMismatch(f"{folder}/{name} is missing or damaged ({exc}); {REBUILD_HINT}") from exc
    if vectors.shape != (count, dim) or vectors.dtype != np.float32:
        raise IndexMismatch(f"{folder}/{name} holds {vectors.shape}, expected ({count}, {dim}); {REBUILD_HINT}")
    return vectors
