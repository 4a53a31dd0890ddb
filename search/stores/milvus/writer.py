"""``MilvusWriter``: writes versions into Milvus and moves the alias to a checked one.

A build writes a version's three collections (blobs last, the manifest the very last row), the
build checks it through ``open`` and only then ``publish`` moves the alias ``<prefix>_live`` in one
step. A build killed at any moment leaves the alias where it was; the next build drops what it
left (``lock``). Old versions are pruned, keeping the live one and the one before it, so a replica
still answering from the previous version finishes its requests.
"""
from __future__ import annotations

import contextlib
import json
import os
import socket
import time
from typing import Sequence

import numpy as np

from ...errors import IndexMissing, SearchError
from ..base import DocumentParts, LiveVersion, version_manifest
from ..folder.dense import choose_kind
from ..folder.keyword import build_keyword
from .client import BATCH, Connection, StoreUnavailable, blob_schema, index_params, new_version, passage_schema, sentence_schema
from .store import MilvusStore

FORMAT_VERSION = 1


def keyword_weights(texts: list[str], stopwords: str) -> tuple[list[dict[int, float]], dict]:
    """Each passage's BM25 weights ({term id: weight}) as bm25s computes them, and the vocabulary
    ({"terms": [...], "df": [...]}, term id = position). The weights are bm25s's own numbers, so a
    sparse inner product with the question's term counts equals the folder store's BM25 score."""
    retriever = build_keyword(texts, stopwords)
    scores = retriever.scores
    indptr, passages, weights = scores["indptr"], scores["indices"], scores["data"]
    out: list[dict[int, float]] = [{} for _ in texts]
    terms = sorted(retriever.vocab_dict, key=retriever.vocab_dict.get)
    df = np.zeros(len(terms), dtype=np.int64)   # bm25s's vocabulary may end with terms no passage holds ("")
    for term_id in range(len(indptr) - 1):
        a, b = indptr[term_id], indptr[term_id + 1]
        df[term_id] = b - a
        for p, w in zip(passages[a:b].tolist(), weights[a:b].tolist()):
            out[p][term_id] = w
    return out, {"terms": terms, "df": df.tolist()}


class MilvusWriter:
    """Writes new versions of the index held in one Milvus (``StoreWriter``)."""

    def __init__(self, conn: Connection):
        self.conn = conn
        self._live: MilvusStore | None = None

    # -- one build at a time, from any machine -------------------------------------------------
    @contextlib.contextmanager
    def lock(self):
        """A lock collection names the build holding it (host, pid, start); one left by a build
        that died on this host is taken over; one held elsewhere fails fast with how to clear it."""
        name = f"{self.conn.prefix}_build_lock"
        me = {"host": socket.gethostname(), "pid": os.getpid(), "since": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
        if self.conn.call("has_collection", name):
            holder = self._holder(name)
            if holder and not _dead_here(holder):
                raise SearchError(f"another build is running on Milvus ({holder.get('host')} pid {holder.get('pid')} "
                                  f"since {holder.get('since')}); if it died, drop the collection {name}")
            self.conn.call("drop_collection", name)
        self.conn.call("create_collection", name, schema=blob_schema(), index_params=_blob_index(self.conn))
        self.conn.write_blob(name, "holder", json.dumps(me), 0)
        try:
            self.prune(drop_unpublished=True)
            yield
        finally:
            with contextlib.suppress(SearchError):
                self.conn.call("drop_collection", name)

    def _holder(self, name: str) -> dict:
        try:
            self.conn.load(name)
            return json.loads(self.conn.read_blobs(name, ("holder",)).get("holder", "{}"))
        except (SearchError, ValueError):
            return {}

    # -- reuse ------------------------------------------------------------------------------
    def live(self, model: str, dim: int) -> LiveVersion:
        self._live = None
        live = self.conn.live_collection()
        if live is None:
            return LiveVersion()
        version = live[len(self.conn.prefix) + 1:-2]
        try:
            store = MilvusStore.load(self.conn, version, model, dim)
        except StoreUnavailable:
            raise
        except IndexMissing:
            return LiveVersion(why_not=f"the live Milvus version {version} is gone")
        except SearchError as exc:
            return LiveVersion(why_not=f"the live index cannot be used ({exc})")
        self._live = store
        return LiveVersion(version, store.manifest, "", "",
                           {d: store.document(d).fingerprint for d in store.document_ids()}, store.passage_count)

    def reuse(self, doc_id: str) -> DocumentParts:
        return self._live.parts(doc_id)

    # -- writing ----------------------------------------------------------------------------
    def write(self, parts: Sequence[DocumentParts], manifest: dict, keyword_texts: list[str]) -> str:
        version = new_version()
        try:
            self._write(version, parts, manifest, keyword_texts)
        except BaseException:
            with contextlib.suppress(Exception):
                self.discard(version)
            raise
        return version

    def _write(self, version: str, parts: Sequence[DocumentParts], manifest: dict, keyword_texts: list[str]) -> None:
        conn, (pcoll, scoll, mcoll) = self.conn, self.conn.names(version)
        dim = int(manifest["dim"])
        passages = [p for part in parts for p in part.passages]
        sentences = [s for part in parts for s in part.sentences]
        vectors = np.concatenate([part.vectors for part in parts] or [np.zeros((0, dim))]).astype(np.float32)
        svectors = np.concatenate([part.sentence_vectors for part in parts] or [np.zeros((0, dim))]).astype(np.float32)
        weights, vocabulary = keyword_weights(keyword_texts, manifest["keyword"]["stopwords"])
        kind = choose_kind(len(vectors))
        conn.call("create_collection", pcoll, schema=passage_schema(dim), consistency_level="Strong",
                  index_params=index_params(conn.client, kind, sparse=True))
        conn.call("create_collection", scoll, schema=sentence_schema(dim), consistency_level="Strong",
                  index_params=index_params(conn.client, "flat", sparse=False))
        conn.call("create_collection", mcoll, schema=blob_schema(), consistency_level="Strong",
                  index_params=_blob_index(conn))
        for a in range(0, len(passages), BATCH):
            conn.call("insert", pcoll, [{"id": i, "doc_id": passages[i].doc_id, "vector": vectors[i].tolist(),
                                         "kw": weights[i]} for i in range(a, min(a + BATCH, len(passages)))])
        owner = np.repeat(np.arange(len(sentences)), [len(s) for s in sentences])
        for a in range(0, len(svectors), BATCH):
            conn.call("insert", scoll, [{"id": i, "passage_id": int(owner[i]), "vector": svectors[i].tolist()}
                                        for i in range(a, min(a + BATCH, len(svectors)))])
        docs = [part.document for part in parts]
        next_id = conn.write_blob(mcoll, "documents", "\n".join(json.dumps(d.to_json(), ensure_ascii=False)
                                                               for d in docs), 0)
        next_id = conn.write_blob(mcoll, "passages", "\n".join(
            json.dumps({**p.to_json(), "sentences": [list(s) for s in ss]}, ensure_ascii=False)
            for p, ss in zip(passages, sentences)), next_id)
        next_id = conn.write_blob(mcoll, "vocabulary", json.dumps(vocabulary, ensure_ascii=False), next_id)
        for coll in (pcoll, scoll):
            conn.call("flush", coll)
        manifest = version_manifest(manifest, FORMAT_VERSION, parts, len(svectors), kind, version=version,
                                    store="milvus")
        conn.write_blob(mcoll, "manifest", json.dumps(manifest, ensure_ascii=False), next_id)
        conn.call("flush", mcoll)

    def open(self, version: str, encoder) -> MilvusStore:
        return MilvusStore.load(self.conn, version, encoder.name, encoder.dim)

    def publish(self, version: str) -> None:
        """Move the alias to ``version`` in one step (create it the first time); prune old versions."""
        target = self.conn.names(version)[0]
        if self.conn.live_collection() is None:
            self.conn.call("create_alias", target, self.conn.alias)
        else:
            self.conn.call("alter_alias", target, self.conn.alias)
        self.prune()

    def discard(self, version: str) -> None:
        """Drop a version's collections; never the one the alias names (a build interrupted after its switch)."""
        if self.conn.live_collection() == self.conn.names(version)[0]:
            return
        for name in self.conn.names(version):
            self.conn.call("drop_collection", name)

    def prune(self, keep: int = 2, drop_unpublished: bool = False) -> None:
        """Drop old versions, keeping the live one and the newest whole others (``keep`` in all);
        ``drop_unpublished`` (only while holding the lock) also drops versions newer than the live
        one, which only a killed build leaves."""
        live = self.conn.live_collection()
        live_version = live[len(self.conn.prefix) + 1:-2] if live else ""
        kept = [live_version] if live_version else []
        for version in self.conn.versions():
            unpublished = not live_version or version > live_version
            if version in kept or (unpublished and not drop_unpublished):
                continue   # the live one, or perhaps another build's being written now
            if len(kept) < keep and not unpublished and self._whole(version):
                kept.append(version)
            else:
                self.discard(version)

    def _whole(self, version: str) -> bool:
        names = self.conn.names(version)
        if not all(self.conn.call("has_collection", n) for n in names):
            return False
        try:
            self.conn.load(names[2])
            return "manifest" in self.conn.read_blobs(names[2], ("manifest",))
        except SearchError:
            return False


def _blob_index(conn: Connection):
    params = conn.client.prepare_index_params()
    params.add_index("v", index_type="FLAT", metric_type="L2")
    return params


def _dead_here(holder: dict) -> bool:
    """The holder ran on this host and its process is gone (a killed build)."""
    if holder.get("host") != socket.gethostname():
        return False
    try:
        os.kill(int(holder.get("pid", 0)), 0)
    except (ProcessLookupError, ValueError):
        return True
    except PermissionError:
        return False
    return False
