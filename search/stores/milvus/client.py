"""One Milvus connection: collection names, short time-outs, errors translated, plain blobs.

A version ``v_<time>_<pid>`` of the index is three collections, named after it::

    <prefix>_<version>_p   passages: id (position), doc_id, vector, kw (sparse BM25 weights)
    <prefix>_<version>_s   sentences: id (row), passage_id, vector
    <prefix>_<version>_m   blobs: the manifest, documents, passage records and keyword vocabulary as
                           JSON, cut into VARCHAR rows (written last: the manifest marks a whole version)

and the alias ``<prefix>_live`` names the passages collection of the served version. pymilvus is
imported only in this package (``search/stores/milvus``).
"""
from __future__ import annotations

import json
import logging
import re
import time

import numpy as np
from pymilvus import DataType, Function, FunctionType, MilvusClient, MilvusException

from ...errors import IndexMissing

log = logging.getLogger("search.stores.milvus")
logging.getLogger("pymilvus").setLevel(logging.CRITICAL)   # it logs every failed call with a traceback; we say why once

BLOB_CHARS = 16_000          # characters per blob row: at most 4 bytes each, under VARCHAR's 65,535
BATCH = 1000                 # rows per insert or get


class StoreUnavailable(IndexMissing):
    """The Milvus server cannot be reached, or failed a call: answer 503 and try again shortly."""


def version_of(collection: str, prefix: str) -> str:
    """The version a collection belongs to (``<prefix>_<version>_p`` -> ``<version>``); '' for others."""
    m = re.fullmatch(re.escape(prefix) + r"_(v_\d{8}T\d{9}_[0-9a-f]+)_[psm]", collection)
    return m.group(1) if m else ""


def new_version() -> str:
    import os

    now = time.time()
    return f"v_{time.strftime('%Y%m%dT%H%M%S', time.gmtime(now))}{int(now * 1000) % 1000:03d}_{os.getpid():x}"


class Connection:
    """A ``MilvusClient`` for ``uri`` with every call bounded by ``timeout`` seconds.

    ``call(name, ...)`` runs a client method and raises ``StoreUnavailable`` (503) with a plain
    message when the server is down or refuses; a collection found released (a restarted server)
    is loaded again and the call retried once.
    """

    def __init__(self, uri: str, token: str = "", timeout: float = 5.0, prefix: str = "search"):
        self.uri, self.timeout, self.prefix = uri, timeout, prefix
        self.alias = f"{prefix}_live"
        try:
            self.client = MilvusClient(uri=uri, token=token, timeout=timeout)
        except Exception as exc:   # pymilvus raises several kinds for an unreachable or refusing server
            raise StoreUnavailable(self._message(exc)) from exc

    def _message(self, exc: Exception) -> str:
        reason = getattr(exc, "message", None) or str(exc)
        return f"the Milvus server at {_public(self.uri)} is unavailable ({reason.splitlines()[0][:200]}); try again shortly"

    def call(self, method: str, *args, **kwargs):
        kwargs.setdefault("timeout", self.timeout)
        for attempt in (0, 1):
            try:
                return getattr(self.client, method)(*args, **kwargs)
            except MilvusException as exc:
                collection = kwargs.get("collection_name") or (args[0] if args else None)
                if attempt == 0 and isinstance(collection, str) and _released(exc):
                    self.load(collection)
                    continue
                raise StoreUnavailable(self._message(exc)) from exc
            except Exception as exc:   # grpc errors, time-outs, closed channels
                raise StoreUnavailable(self._message(exc)) from exc

    def load(self, collection: str) -> None:
        try:
            self.client.load_collection(collection, timeout=max(self.timeout, 30))
        except Exception as exc:
            raise StoreUnavailable(self._message(exc)) from exc

    def names(self, version: str) -> tuple[str, str, str]:
        """(passages, sentences, blobs) collection names of ``version``."""
        base = f"{self.prefix}_{version}"
        return f"{base}_p", f"{base}_s", f"{base}_m"

    def live_collection(self) -> str | None:
        """The collection the alias names, or None when there is no alias yet."""
        if self.alias not in self.call("list_aliases").get("aliases", []):
            return None
        return self.call("describe_alias", alias=self.alias)["collection_name"]

    def versions(self) -> list[str]:
        """Every version with at least one collection, newest first."""
        found = {version_of(c, self.prefix) for c in self.call("list_collections")}
        return sorted((v for v in found if v), reverse=True)

    # -- blobs -------------------------------------------------------------------------------
    def write_blob(self, collection: str, name: str, text: str, first_id: int) -> int:
        """Store ``text`` as rows ``(id, name, seq, body)``; returns the next free id."""
        pieces = [text[i:i + BLOB_CHARS] for i in range(0, len(text), BLOB_CHARS)] or [""]
        rows = [{"id": first_id + n, "name": name, "seq": n, "body": p, "v": [0.0, 0.0]} for n, p in enumerate(pieces)]
        for a in range(0, len(rows), 64):
            self.call("insert", collection, rows[a:a + 64])
        return first_id + len(rows)

    def read_blobs(self, collection: str, names: tuple[str, ...]) -> dict[str, str]:
        """The named blobs of ``collection`` (each joined back from its rows); missing ones are absent."""
        out = {}
        for name in names:
            rows = self._query_all(collection, f"name == {json.dumps(name)}", ["seq", "body"])
            if rows:
                out[name] = "".join(r["body"] for r in sorted(rows, key=lambda r: r["seq"]))
        return out

    def _query_all(self, collection: str, expr: str, fields: list[str]) -> list[dict]:
        rows, last = [], -1
        while True:   # pages by primary key: works on Milvus Lite and servers alike
            page = self.call("query", collection, filter=f"({expr}) and id > {last}", output_fields=["id", *fields],
                             limit=BATCH)
            rows.extend(page)
            if len(page) < BATCH:
                return rows
            last = max(r["id"] for r in page)

    def get_vectors(self, collection: str, ids, dim: int, field: str = "vector") -> np.ndarray:
        """float32 [len(ids), dim]: the ``field`` of rows ``ids``, in the order asked."""
        ids = [int(i) for i in ids]
        out = np.zeros((len(ids), dim), dtype=np.float32)
        at = {pid: n for n, pid in enumerate(ids)}
        for a in range(0, len(ids), BATCH):
            for row in self.call("get", collection, ids=ids[a:a + BATCH], output_fields=[field]):
                out[at[row["id"]]] = np.asarray(row[field], dtype=np.float32)
        return out


def _released(exc: MilvusException) -> bool:
    text = str(getattr(exc, "message", exc)).lower()
    return "released" in text or "not loaded" in text or "load" in text and "call" in text


def _public(uri: str) -> str:
    """The address without credentials (``http://user:pw@host`` -> ``http://host``)."""
    return re.sub(r"//[^/@]*@", "//", uri)


def passage_schema(dim: int):
    schema = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
    schema.add_field("id", DataType.INT64, is_primary=True)
    schema.add_field("doc_id", DataType.VARCHAR, max_length=4096)
    schema.add_field("vector", DataType.FLOAT_VECTOR, dim=dim)
    schema.add_field("kw", DataType.SPARSE_FLOAT_VECTOR)
    return schema


def sentence_schema(dim: int):
    schema = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
    schema.add_field("id", DataType.INT64, is_primary=True)
    schema.add_field("passage_id", DataType.INT64)
    schema.add_field("vector", DataType.FLOAT_VECTOR, dim=dim)
    return schema


def blob_schema():
    schema = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
    schema.add_field("id", DataType.INT64, is_primary=True)
    schema.add_field("name", DataType.VARCHAR, max_length=256)
    schema.add_field("seq", DataType.INT64)
    schema.add_field("body", DataType.VARCHAR, max_length=65535)
    schema.add_field("v", DataType.FLOAT_VECTOR, dim=2)   # Milvus needs a vector field in every collection
    return schema


def index_params(client: MilvusClient, dense_kind: str, sparse: bool):
    """FLAT (exact) up to the folder store's exact limit, HNSW beyond (as ``folder/dense.py``)."""
    from ..folder.dense import HNSW_EF_CONSTRUCTION, HNSW_M

    params = client.prepare_index_params()
    if dense_kind == "hnsw":
        params.add_index("vector", index_type="HNSW", metric_type="IP",
                         params={"M": HNSW_M, "efConstruction": HNSW_EF_CONSTRUCTION})
    else:
        params.add_index("vector", index_type="FLAT", metric_type="IP")
    if sparse:
        params.add_index("kw", index_type="SPARSE_INVERTED_INDEX", metric_type="IP")
    return params


def bm25_collection(conn: Connection, analyzer: dict):
    """(schema, index params) of a collection scored by Milvus's own BM25 function over ``text``
    (k1 1.2, b 0.75 as bm25s): what ``bench/milvus_bm25.py`` measures against the sparse weights."""
    schema = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
    schema.add_field("id", DataType.INT64, is_primary=True)
    schema.add_field("doc_id", DataType.VARCHAR, max_length=4096)
    schema.add_field("text", DataType.VARCHAR, max_length=65535, enable_analyzer=True, analyzer_params=analyzer)
    schema.add_field("bm25", DataType.SPARSE_FLOAT_VECTOR)
    schema.add_function(Function(name="bm25", function_type=FunctionType.BM25, input_field_names=["text"],
                                 output_field_names=["bm25"]))
    params = conn.client.prepare_index_params()
    params.add_index("bm25", index_type="SPARSE_INVERTED_INDEX", metric_type="BM25",
                     params={"bm25_k1": 1.2, "bm25_b": 0.75})
    return schema, params
