"""The local folder store: one index version per folder, FAISS for meaning, bm25s for keywords.

The format on disk is described in ``versions.py``; ``FolderStore`` serves one version and
``FolderWriter`` writes new ones and switches ``CURRENT`` atomically. No pickle anywhere.
"""
from __future__ import annotations

import contextlib
import fcntl
import json
import shutil
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from ...errors import REBUILD_HINT, IndexMismatch, IndexMissing, SearchError
from ...model import Document, Passage
from ..base import Candidates, DocumentParts, LiveVersion, Query, version_manifest
from . import versions
from .dense import build_dense, choose_kind, load_dense, save_dense, search_dense, stored_vectors
from .keyword import KeywordIndex, build_keyword, load_keyword, save_keyword


def joins_previous(passages: list[Passage], documents: dict[str, Document]) -> np.ndarray:
    """bool [n]: passage i was cut from the same paragraph of the same section as passage i - 1."""
    out = np.zeros(len(passages), dtype=bool)
    for i in range(1, len(passages)):
        a, b = passages[i - 1], passages[i]
        if a.doc_id == b.doc_id and a.section == b.section:
            gap = documents[a.doc_id].text[a.end:b.start]
            out[i] = "\n\n" not in gap and not gap.strip()
    return out


class FolderStore:
    """One version of the index folder, in memory; safe to share between threads.

    ``FolderStore.load(index_dir, model, dim)`` loads the live version (or ``folder=``), checking
    every file against the manifest; ``IndexMissing``/``IndexMismatch`` say what to run.
    """

    def __init__(self, folder: Path, manifest: dict, passages: list[Passage], sentences: list[list[tuple[int, int]]],
                 documents: dict[str, Document], dense, keyword: KeywordIndex | None,
                 sentence_vectors: np.ndarray, vectors: np.ndarray | None = None):
        self.folder = folder
        self.manifest = manifest
        self._passages = passages
        self._sentences = sentences
        self._documents = documents
        self.dense = dense
        self.keyword = keyword
        self._sentence_vectors = sentence_vectors
        self._offsets = np.cumsum([0] + [len(s) for s in sentences]).astype(np.int64)  # passage i: rows [o[i], o[i+1])
        # The passage vectors are read from the FAISS index, which holds them anyway (one copy in
        # memory, not two: 1.5 GB less at 10^6 passages); a build-only load reads vectors.npy.
        self._vectors = stored_vectors(dense) if dense is not None else vectors
        self._joins = joins_previous(passages, documents)
        by_doc: dict[str, list[int]] = {}
        for i, p in enumerate(passages):
            if p.doc_id not in documents:
                raise IndexMismatch(f"{folder}: passage {i} cites unknown document {p.doc_id!r}; {REBUILD_HINT}")
            by_doc.setdefault(p.doc_id, []).append(i)
        self._doc_passages = {d: np.array(ids, dtype=np.int64) for d, ids in by_doc.items()}
        self._passage_doc = [p.doc_id for p in passages]

    @classmethod
    def load(cls, index_dir: Path, model: str, dim: int, folder: Path | None = None,
             searchable: bool = True) -> "FolderStore":
        """Load the live version (or ``folder``). ``searchable=False`` skips the FAISS and keyword files
        (a build reusing passages and vectors when only those are damaged); such a store cannot search."""
        folder = folder or versions.current_version(Path(index_dir))
        manifest = versions.read_manifest(folder, check_derived=searchable)
        versions.check_model(manifest, model, dim)
        try:
            rows = versions.read_jsonl(folder / "passages.jsonl")
            docs = [Document.from_json(d) for d in versions.read_jsonl(folder / "documents.jsonl")]
            passages = [Passage.from_json(r) for r in rows]
            sentences = [[tuple(s) for s in r["sentences"]] for r in rows]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise IndexMismatch(f"{folder} has missing or damaged passage files ({exc}); {REBUILD_HINT}") from exc
        count, dim = manifest.get("passages"), manifest.get("dim")
        if len(passages) != count or len(docs) != len(manifest.get("documents", {})):
            raise IndexMismatch(f"{folder} holds {len(passages)} passages and {len(docs)} documents, the manifest says "
                                f"{count} and {len(manifest.get('documents', {}))}; {REBUILD_HINT}")
        n_sentences = sum(len(s) for s in sentences)
        sentence_vectors = versions.load_vectors(folder, n_sentences, dim, name="sentence_vectors.npy")
        dense = keyword = vectors = None
        if searchable:
            versions.check_vectors(folder, count, dim)
            dense = load_dense(folder / "dense.faiss", count, dim)
            stopwords = (manifest.get("keyword") or {}).get("stopwords", "en")  # versions before the setting used "en"
            keyword = KeywordIndex(load_keyword(folder / "keyword", count), stopwords)
        else:
            vectors = versions.load_vectors(folder, count, dim)
        return cls(folder, manifest, passages, sentences, {d.doc_id: d for d in docs}, dense, keyword,
                   sentence_vectors, vectors)

    @classmethod
    def open(cls, index_dir: Path, encoder, **kw) -> "FolderStore":
        """``load`` for an encoder: its name and dimension must match the manifest's."""
        return cls.load(index_dir, encoder.name, encoder.dim, **kw)

    # -- the Store protocol ----------------------------------------------------------------
    @property
    def version(self) -> str:
        return self.folder.name

    def info(self) -> dict:
        return self.manifest

    def query_terms(self, question: str) -> list[str]:
        return self.keyword.query_terms(question)

    def candidates(self, query: Query, n: int) -> Candidates:
        allowed = None
        if query.doc_ids:
            allowed = np.sort(np.concatenate([self._doc_passages.get(d, np.empty(0, np.int64)) for d in query.doc_ids]))
        dense = search_dense(self.dense, query.vector, n, allowed)
        kw_top, _ = self.keyword.top(query.terms, n, allowed)   # reads only the postings of the question's terms
        ids = np.unique(np.concatenate([dense.ids, kw_top.astype(np.int64)]))
        if len(ids) == 0:
            return Candidates.empty()
        return Candidates(
            ids=ids,
            cosine=self._vectors[ids] @ query.vector,
            best_sentence=self._best_sentence(ids, query.vector),
            bm25=self.keyword.scores_of(query.terms, ids),
            doc_ids=[self._passage_doc[i] for i in ids],
            joins_previous=self._joins[ids],
            rarity=self.keyword.rarity(query.terms) if query.terms else 0.0,
            identifier=self.keyword.identifier_match(query.terms, ids),
            term_rarity=self.keyword.term_rarity(query.terms),
        )

    def _best_sentence(self, ids: np.ndarray, vector: np.ndarray) -> np.ndarray:
        """Cosine of each passage's closest sentence to the question."""
        starts = self._offsets[ids]
        lengths = self._offsets[ids + 1] - starts
        firsts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
        rows = np.repeat(starts - firsts, lengths) + np.arange(int(lengths.sum()))
        return np.maximum.reduceat(self._sentence_vectors[rows] @ vector, firsts)

    def passages(self, ids: Iterable[int]) -> list[Passage]:
        return [self._passages[int(i)] for i in ids]

    def sentences(self, passage_id: int, vector: np.ndarray) -> tuple[list[tuple[int, int]], np.ndarray]:
        a, b = self._offsets[passage_id], self._offsets[passage_id + 1]
        return self._sentences[passage_id], self._sentence_vectors[a:b] @ vector

    def passage_ids(self, doc_id: str) -> np.ndarray:
        return self._doc_passages.get(doc_id, np.empty(0, dtype=np.int64))

    def document(self, doc_id: str) -> Document | None:
        return self._documents.get(doc_id)

    def document_ids(self) -> list[str]:
        return sorted(self._documents)

    def vector(self, passage_id: int) -> np.ndarray:
        return np.array(self._vectors[passage_id], dtype=np.float32)

    @property
    def passage_count(self) -> int:
        return len(self._passages)

    # -- the folder's own arrays (builds, benchmarks and tests of this store read them) --------------
    def all_passages(self) -> list[Passage]:
        return list(self._passages)

    @property
    def sentence_spans(self) -> list[list[tuple[int, int]]]:
        return self._sentences

    @property
    def vectors(self) -> np.ndarray:
        return self._vectors

    @property
    def sentence_vectors(self) -> np.ndarray:
        return self._sentence_vectors

    # -- what a build copies ---------------------------------------------------------------
    def parts(self, doc_id: str) -> DocumentParts:
        """One document's passages, sentences and vectors, copied out for a new version."""
        ids = self.passage_ids(doc_id)
        starts, lengths = self._offsets[ids], self._offsets[ids + 1] - self._offsets[ids]
        # the sentence rows of those passages: each passage's run [start, start + length), in order
        rows = np.repeat(starts - np.cumsum(lengths) + lengths, lengths) + np.arange(lengths.sum())
        return DocumentParts(self._documents[doc_id], [self._passages[i] for i in ids],
                             [self._sentences[i] for i in ids], self._vectors[ids], self._sentence_vectors[rows])


class FolderWriter:
    """Writes versions into an index folder and publishes them atomically (see ``versions.publish``)."""

    def __init__(self, index_dir: Path):
        self.index_dir = Path(index_dir)
        self._live: FolderStore | None = None

    @contextlib.contextmanager
    def lock(self):
        self.index_dir.mkdir(parents=True, exist_ok=True)
        with open(self.index_dir / ".build.lock", "w") as fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise SearchError(f"another build is running on {self.index_dir}") from None
            versions.prune(self.index_dir)   # abandoned temporaries of killed builds
            yield

    def live(self, model: str, dim: int) -> LiveVersion:
        self._live = None
        damage = ""
        try:
            store = FolderStore.load(self.index_dir, model, dim)
        except IndexMissing:
            return LiveVersion()
        except Exception as exc:  # damaged or foreign
            reason = str(exc).split("; " + REBUILD_HINT)[0]
            try:  # only the FAISS or keyword files: passages and vectors are still good to reuse
                store = FolderStore.load(self.index_dir, model, dim, searchable=False)
                damage = reason
            except Exception:  # the build starts afresh and replaces it
                return LiveVersion(why_not=f"the live index cannot be used ({reason})")
        self._live = store
        return LiveVersion(store.version, store.manifest, "", damage,
                           {d: store.document(d).fingerprint for d in store.document_ids()}, store.passage_count)

    def reuse(self, doc_id: str) -> DocumentParts:
        return self._live.parts(doc_id)

    def write(self, parts: Sequence[DocumentParts], manifest: dict, keyword_texts: list[str]) -> str:
        tmp, final = versions.new_version_dir(self.index_dir)
        try:
            _write_folder(tmp, parts, {**manifest, "version": final.name}, keyword_texts)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return final.name

    def _tmp(self, version: str) -> Path:
        return self.index_dir / f".tmp-{version}"

    def open(self, version: str, encoder) -> FolderStore:
        return FolderStore.load(self.index_dir, encoder.name, encoder.dim, folder=self._tmp(version))

    def publish(self, version: str) -> None:
        versions.publish(self.index_dir, self._tmp(version), self.index_dir / version)

    def discard(self, version: str) -> None:
        shutil.rmtree(self._tmp(version), ignore_errors=True)


def _write_folder(tmp: Path, parts: Sequence[DocumentParts], manifest: dict, keyword_texts: list[str]) -> None:
    """Every file of a version, the manifest last (loading checks every file it lists is whole)."""
    tmp.mkdir(parents=True)
    passages = [p for part in parts for p in part.passages]
    sentences = [s for part in parts for s in part.sentences]
    docs = [part.document for part in parts]
    dim = manifest["dim"]
    vectors = np.concatenate([part.vectors for part in parts] or [np.zeros((0, dim))]).astype(np.float32)
    svectors = np.concatenate([part.sentence_vectors for part in parts] or [np.zeros((0, dim))]).astype(np.float32)
    versions.write_jsonl(tmp / "documents.jsonl", (d.to_json() for d in docs))
    versions.write_jsonl(tmp / "passages.jsonl",
                         ({**p.to_json(), "sentences": [list(s) for s in ss]} for p, ss in zip(passages, sentences)))
    versions.save_vectors(tmp, vectors)
    versions.save_vectors(tmp, svectors, name="sentence_vectors.npy")
    kind = choose_kind(len(vectors))
    save_dense(build_dense(vectors, kind), tmp / "dense.faiss")
    (tmp / "keyword").mkdir()
    keyword = manifest["keyword"]
    save_keyword(build_keyword(keyword_texts, keyword["stopwords"]), tmp / "keyword")
    manifest = version_manifest(manifest, versions.FORMAT_VERSION, parts, len(svectors), kind)
    manifest["files"] = versions.file_sizes(tmp)
    (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False), encoding="utf-8")
