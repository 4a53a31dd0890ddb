"""Build the index: load, chunk, embed, write a new version, check it, then switch to it.

Only documents whose fingerprint changed are read and embedded again; the others keep their
passages and vectors from the live version when it was built the same way (format, model,
chunking, representation, extraction, outline). When nothing changed at all, nothing is
published; ``build_index(seeds, index, embedder).summary()`` then says::

    index is up to date (v-20261122T071500-1a2b): 5 documents (0 added, 0 changed, 0 removed, 5 kept), ...

When only the FAISS or keyword files of the live version are damaged, they are remade from its
passages and vectors without embedding anything again.

A build killed at any moment leaves the live version serving: the new one is written into a
temporary folder, renamed, and made live by replacing the ``CURRENT`` pointer in one step.
"""
from __future__ import annotations

import contextlib
import fcntl
import json
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import store
from .chunk import ChunkSettings, Passage, chunk_text, sentence_spans
from .dense import build_dense, choose_kind, save_dense
from .documents import Document, discover, load_document, read_source
from .encoders import Encoder as Embedder
from .encoders import count_tokens
from .errors import BadDocument, IndexMismatch, IndexMissing, SearchError
from .extract import EXTRACT_VERSION
from .fusion import FusionSettings
from .keyword import DEFAULT_STOPWORDS, build_keyword, save_keyword
from .represent import RepresentSettings, dense_text, keyword_text
from .sections import OUTLINE_VERSION

KEYWORD_PARAMS = {"library": "bm25s", "k1": 1.2, "b": 0.75, "stemmer": "english", "stopwords": DEFAULT_STOPWORDS}


@dataclass
class BuildReport:
    version: str = ""
    documents: int = 0
    passages: int = 0
    seconds: float = 0.0
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)   # (document id, reason)
    published: bool = False       # False: the live version was already up to date
    reused_nothing: str = ""      # why the live version's work could not be reused, if it could not
    repaired: str = ""            # damage to the live version's search files, remade without embedding

    def summary(self) -> str:
        counts = (f"{self.documents} documents ({len(self.added)} added, {len(self.changed)} changed, "
                  f"{len(self.removed)} removed, {len(self.kept)} kept), {self.passages} passages, "
                  f"{self.seconds:.1f} s")
        head = f"built {self.version}" if self.published else f"index is up to date ({self.version})"
        line = f"{head}: {counts}"
        if self.reused_nothing:
            line += f"; embedded everything: {self.reused_nothing}"
        if self.repaired:
            line += f"; remade the search files: {self.repaired}"
        if self.skipped:
            line += f"; skipped {len(self.skipped)}: " + "; ".join(f"{d} ({why})" for d, why in self.skipped)
        return line


@dataclass
class _DocPassages:
    document: Document | store.StoredDocument
    passages: list[Passage]
    sentences: list[list[tuple[int, int]]]
    vectors: np.ndarray | None = None
    sentence_vectors: np.ndarray | None = None


@contextlib.contextmanager
def _build_lock(index_dir: Path):
    index_dir.mkdir(parents=True, exist_ok=True)
    with open(index_dir / ".build.lock", "w") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise SearchError(f"another build is running on {index_dir}") from None
        yield


def passage_sentences(p: Passage, text: str) -> list[tuple[int, int]]:
    return [(a - p.start, b - p.start) for a, b in sentence_spans(text, p.start, p.end)]


class _Live:
    """The live version, loaded and checked, with what a new build may take from it."""

    def __init__(self, index_dir: Path, embedder: Embedder, chunking: ChunkSettings, represent: RepresentSettings):
        from .engine import load_index

        self.index, self.why_not, self.damage = None, "", ""
        try:
            index = load_index(index_dir, embedder)
        except IndexMissing:
            return
        except Exception as exc:  # damaged or foreign
            reason = str(exc).split("; " + store.REBUILD_HINT)[0]
            try:  # only the FAISS or keyword files: passages and vectors are still good to reuse
                index = load_index(index_dir, embedder, searchable=False)
                self.damage = reason
            except Exception:  # the build starts afresh and replaces it
                self.why_not = f"the live index cannot be used ({reason})"
                return
        m = index.manifest
        for name, now in (("chunking", chunking.as_dict()), ("represent", represent.as_dict()),
                          ("extract_version", EXTRACT_VERSION), ("outline_version", OUTLINE_VERSION)):
            if m.get(name) != now:
                self.why_not = f"{name} changed from {m.get(name)} to {now}"
                return
        self.index = index

    @property
    def documents(self) -> dict[str, store.StoredDocument]:
        return self.index.documents if self.index else {}

    def parts(self, doc_id: str) -> _DocPassages:
        ix = self.index
        ids = ix.doc_passages.get(doc_id, np.zeros(0, dtype=np.int64))
        starts, lengths = ix.sentence_offsets[ids], ix.sentence_offsets[ids + 1] - ix.sentence_offsets[ids]
        # the sentence rows of those passages: each passage's run [start, start + length), in order
        rows = np.repeat(starts - np.cumsum(lengths) + lengths, lengths) + np.arange(lengths.sum())
        return _DocPassages(ix.documents[doc_id], [ix.passages[i] for i in ids], [ix.sentences[i] for i in ids],
                            ix.vectors[ids], ix.sentence_vectors[rows])

    def same_settings(self, fusion: FusionSettings) -> bool:
        m = self.index.manifest if self.index else {}
        return not self.damage and m.get("fusion") == fusion.as_dict() and m.get("keyword") == KEYWORD_PARAMS


def _embed(embedder: Embedder, texts: list[str], progress: bool) -> np.ndarray:
    if not texts:
        return np.zeros((0, embedder.dim), dtype=np.float32)
    return embedder.encode(texts, progress=progress)


def build_index(seeds: Path, index_dir: Path, embedder: Embedder, chunking: ChunkSettings = ChunkSettings(),
                fusion: FusionSettings = FusionSettings(), represent: RepresentSettings = RepresentSettings(),
                strict: bool = False, progress: bool = True,
                log=lambda msg: print(msg, file=sys.stderr)) -> BuildReport:
    """Bring the index up to date with ``seeds``; the old version serves until the new one is live.

    Unusable documents are reported and skipped (``strict``: the build stops, changing nothing).
    """
    t0 = time.perf_counter()
    seeds, index_dir = Path(seeds), Path(index_dir)
    report = BuildReport()
    with _build_lock(index_dir):
        store.prune(index_dir)  # abandoned temporaries of killed builds
        live = _Live(index_dir, embedder, chunking, represent)
        report.reused_nothing, report.repaired = live.why_not, live.damage
        fresh, parts = _read_seeds(seeds, live, report, log)
        if strict and report.skipped:
            raise BadDocument(f"{len(report.skipped)} documents cannot be used, so nothing was changed (--strict): "
                              + "; ".join(f"{d}: {why}" for d, why in report.skipped))
        if not fresh and not parts:
            raise BadDocument(f"no usable documents in {seeds}; nothing was changed")
        report.documents = len(fresh) + len(parts)
        if not fresh and not report.removed and live.same_settings(fusion):
            report.version = live.index.version
            report.passages = len(live.index.passages)
            report.seconds = time.perf_counter() - t0
            return report

        parts.update(_embed_documents(fresh, embedder, chunking, represent, progress, log))
        ordered = [parts[d] for d in sorted(parts)]
        tmp, final = store.new_version_dir(index_dir)
        try:
            _write_version(tmp, ordered, embedder, chunking, fusion, represent)
            _check_version(tmp, embedder)
            store.publish(index_dir, tmp, final)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    report.published = True
    report.version = final.name
    report.passages = sum(len(p.passages) for p in ordered)
    report.seconds = time.perf_counter() - t0
    return report


def _read_seeds(seeds: Path, live: _Live, report: BuildReport, log) -> tuple[list[Document], dict[str, _DocPassages]]:
    """(documents to embed, reusable parts by id); fills in the report's counts and skips.

    A file whose fingerprint matches the live version is not even extracted again.
    """
    fresh: list[Document] = []
    reused: dict[str, _DocPassages] = {}
    for path in discover(seeds):
        doc_id = path.relative_to(seeds).as_posix()
        old = live.documents.get(doc_id)
        try:
            source = read_source(path, seeds)
            if old is not None and old.fingerprint == source.fingerprint:
                reused[doc_id] = live.parts(doc_id)
                report.kept.append(doc_id)
                continue
            fresh.append(load_document(path, seeds, source))
        except BadDocument as exc:
            report.skipped.append((doc_id, str(exc)))
            log(f"skipped {doc_id}: {exc}")
            continue
        (report.changed if old is not None else report.added).append(doc_id)
    seen = set(reused) | {d.doc_id for d in fresh}
    report.removed = sorted(d for d in live.documents if d not in seen)
    return fresh, reused


def _embed_documents(docs: list[Document], embedder: Embedder, chunking: ChunkSettings, represent: RepresentSettings,
                     progress: bool, log) -> dict[str, _DocPassages]:
    """Chunk the new and changed documents and embed their passages and sentences in two batches."""
    parts: dict[str, _DocPassages] = {}
    dense_inputs, sentence_inputs = [], []
    for doc in docs:
        ps = chunk_text(doc.doc_id, doc.text, doc.outline, chunking, count_tokens)
        sents = [passage_sentences(p, doc.text) for p in ps]
        parts[doc.doc_id] = _DocPassages(doc, ps, sents)
        dense_inputs.extend(dense_text(p, doc.title, represent) for p in ps)
        sentence_inputs.extend(p.text[a:b] for p, ss in zip(ps, sents) for a, b in ss)
    if docs:
        log(f"embedding {len(dense_inputs)} passages and {len(sentence_inputs)} sentences of {len(docs)} documents")
    vectors = _embed(embedder, dense_inputs, progress)
    svectors = _embed(embedder, sentence_inputs, progress)
    pv = sv = 0
    for part in parts.values():
        n, m = len(part.passages), sum(len(s) for s in part.sentences)
        part.vectors, part.sentence_vectors = vectors[pv:pv + n], svectors[sv:sv + m]
        pv, sv = pv + n, sv + m
    return parts


def _stored(doc) -> store.StoredDocument:
    if isinstance(doc, store.StoredDocument):
        return doc
    outline = [{"start": h.start, "end": h.end, "line": h.line, "text": h.text, "path": list(h.path)}
               for h in doc.outline.headings]
    return store.StoredDocument(doc.doc_id, doc.title, doc.fingerprint, doc.text, outline, list(doc.pages))


def _write_version(tmp: Path, parts: list[_DocPassages], embedder: Embedder, chunking: ChunkSettings,
                   fusion: FusionSettings, represent: RepresentSettings) -> None:
    tmp.mkdir(parents=True)
    passages = [p for part in parts for p in part.passages]
    sentences = [s for part in parts for s in part.sentences]
    docs = [_stored(part.document) for part in parts]
    vectors = np.concatenate([part.vectors for part in parts]).astype(np.float32)
    svectors = np.concatenate([part.sentence_vectors for part in parts]).astype(np.float32)
    store.write_jsonl(tmp / "documents.jsonl", (vars(d) for d in docs))
    store.write_jsonl(tmp / "passages.jsonl",
                      ({**store.passage_to_json(p), "sentences": [list(s) for s in ss]} for p, ss in zip(passages, sentences)))
    store.save_vectors(tmp, vectors)
    store.save_vectors(tmp, svectors, name="sentence_vectors.npy")
    kind = choose_kind(len(vectors))
    save_dense(build_dense(vectors, kind), tmp / "dense.faiss")
    titles = {d.doc_id: d.title for d in docs}
    (tmp / "keyword").mkdir()
    keyword_texts = [keyword_text(p, titles[p.doc_id], represent) for p in passages]
    save_keyword(build_keyword(keyword_texts, KEYWORD_PARAMS["stopwords"]), tmp / "keyword")
    manifest = {
        "format_version": store.FORMAT_VERSION,
        "model": embedder.name,
        "dim": embedder.dim,
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "version": tmp.name.removeprefix(".tmp-"),
        "passages": len(passages),
        "sentences": len(svectors),
        "dense_index": kind,
        "extract_version": EXTRACT_VERSION,
        "outline_version": OUTLINE_VERSION,
        "chunking": chunking.as_dict(),
        "fusion": fusion.as_dict(),
        "represent": represent.as_dict(),
        "keyword": KEYWORD_PARAMS,
        "documents": {d.doc_id: {"fingerprint": d.fingerprint, "title": d.title,
                                 "passages": len(part.passages), "chars": len(d.text)}
                      for d, part in zip(docs, parts)},
        "files": store.file_sizes(tmp),   # written last: loading checks every file is whole
    }
    (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False), encoding="utf-8")


def _check_version(folder: Path, embedder: Embedder) -> None:
    """Load the new version as the server would and ask it one question before switching."""
    from .encoders import CachedEncoder
    from .engine import Engine, load_index

    index = load_index(folder.parent, embedder, folder=folder)
    if not index.passages:
        raise BadDocument("the documents hold no text to index; nothing was changed")
    probe = " ".join(index.passages[0].text.split()[:12]) or "test"
    response = Engine(index, CachedEncoder(embedder, size=1)).search(probe, k=3)
    if not response.results:
        raise IndexMismatch(f"the new index in {folder} answered no results to a test query; nothing was changed")
