"""The Milvus store: index versions held in a Milvus server (Standalone, Distributed or Milvus Lite).

    conn = connect(settings)                       # settings.store is the address
    store = open_live(conn, encoder)               # the version the alias names
    writer = MilvusWriter(conn)                    # for a build

pymilvus is imported only in this package. See ``client.py`` for the collections a version is.
"""
from __future__ import annotations

import threading

from ...errors import REBUILD_HINT, IndexMissing
from .client import Connection, StoreUnavailable
from .store import MilvusStore
from .writer import MilvusWriter

_connections: dict[tuple, Connection] = {}
_lock = threading.Lock()


def connect(settings) -> Connection:
    """One shared connection per address, token, prefix and time-out (clients are safe between threads)."""
    key = (settings.store, settings.milvus_token, settings.milvus_prefix, settings.milvus_timeout)
    with _lock:
        if key not in _connections:
            _connections[key] = Connection(settings.store, settings.milvus_token, settings.milvus_timeout,
                                           settings.milvus_prefix)
        return _connections[key]


def open_live(conn: Connection, encoder) -> MilvusStore:
    """The version the alias names; ``IndexMissing`` when there is none, ``StoreUnavailable`` when Milvus is down."""
    live = conn.live_collection()
    if live is None:
        raise IndexMissing(f"no index in Milvus at {conn.uri} (no alias {conn.alias}): {REBUILD_HINT}")
    return MilvusStore.load(conn, live[len(conn.prefix) + 1:-2], encoder.name, encoder.dim)


def signature(conn: Connection) -> tuple:
    """The collection the alias names: changes when a build moves it; ("error", why) when Milvus is down."""
    try:
        return ("milvus", conn.live_collection())
    except StoreUnavailable as exc:
        return ("error", str(exc))


__all__ = ["Connection", "MilvusStore", "MilvusWriter", "StoreUnavailable", "connect", "open_live", "signature"]
