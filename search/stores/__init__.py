"""Stores: where index versions live. Chosen once, from settings, where the service or build starts.

    store = open_store(settings, encoder)     # the live version, read-only
    writer = open_writer(settings)            # for a build

``settings.store`` chooses: ``local`` (the index folder ``SEARCH_INDEX``) or a Milvus address
(``stores/milvus``; pymilvus is imported only there, and only then). Nothing above this package
knows which store it has.
"""
from __future__ import annotations

from ..errors import IndexMissing
from ..settings import Settings
from .base import Candidates, DocumentParts, LiveVersion, Query, Store, StoreWriter


def open_store(settings: Settings, encoder) -> Store:
    """The live version of the configured store, checked against the encoder's model and dimension.

    Raises ``IndexMissing`` when there is none yet (or Milvus cannot be reached) and ``IndexMismatch``
    when it cannot be used.
    """
    if uses_milvus(settings):
        from .milvus import connect, open_live

        store = open_live(connect(settings), encoder)
    else:
        from .folder import FolderStore

        store = FolderStore.load(settings.index, encoder.name, encoder.dim)
    check_weights(store.info(), encoder)
    return store


def check_weights(manifest: dict, encoder) -> None:
    """``IndexMismatch`` when the index records a weights checksum other than the encoder's.

    Indexes from before the checksum, and encoders without one (the fake), are checked by model
    name and dimension alone. The backend is not compared: its vectors agree.
    """
    from ..errors import REBUILD_HINT, IndexMismatch

    built, now = manifest.get("model_sha256"), getattr(encoder, "checksum", "")
    if built and now and built != now:
        raise IndexMismatch(f"the index was built with other weights of model {manifest.get('model')!r} "
                            f"(SHA-256 {built[:12]}…) than this service's (SHA-256 {now[:12]}…): set SEARCH_MODEL "
                            f"to the model it was built with, or {REBUILD_HINT} again")


def open_writer(settings: Settings) -> StoreWriter:
    """A writer for new versions of the configured store."""
    if uses_milvus(settings):
        from .milvus import MilvusWriter, connect

        return MilvusWriter(connect(settings))
    from .folder import FolderWriter

    return FolderWriter(settings.index)


def live_signature(settings: Settings) -> tuple:
    """Changes whenever the live version is switched or its files are touched: a cheap reload check."""
    if uses_milvus(settings):
        from .milvus import connect, signature as milvus_signature

        try:
            return milvus_signature(connect(settings))
        except IndexMissing as exc:
            return ("error", str(exc))
    from .folder.versions import signature

    return signature(settings.index)


def has_index(settings: Settings) -> bool:
    """Whether the configured store has a live version (usable or not)."""
    from .folder.versions import current_version

    if uses_milvus(settings):
        from .milvus import connect

        try:
            return connect(settings).live_collection() is not None
        except IndexMissing:   # Milvus unreachable: say so (503), do not start a build
            return True
    try:
        current_version(settings.index)
    except IndexMissing:
        return False
    except Exception:
        return True
    return True


def uses_milvus(settings: Settings) -> bool:
    """Whether ``settings.store`` names a Milvus server (an address) or Milvus Lite file (``*.db``)."""
    return settings.store.strip().lower() not in ("", "local")


__all__ = ["Candidates", "check_weights", "DocumentParts", "LiveVersion", "Query", "Store", "StoreWriter", "has_index",
           "live_signature", "open_store", "open_writer", "uses_milvus"]
