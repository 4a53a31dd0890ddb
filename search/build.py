"""Build the index: load, chunk, embed, write a new version, check it, then switch to it.

Only documents whose fingerprint changed are embedded again; the others keep their passages and
vectors from the live version when it was built the same way (format, model, chunking).
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
from .documents import Document, discover, load_document
from .embed import Embedder, count_tokens
from .errors import BadDocument, IndexMismatch, IndexMissing, SearchError
from .fusion import FusionSettings
from .keyword import build_keyword, save_keyword
from .represent import RepresentSettings, dense_text, keyword_text


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

    def summary(self) -> str:
        line = (f"built {self.version}: {self.documents} documents ({len(self.added)} added, {len(self.changed)} changed, "
                f"{len(self.removed)} removed, {len(self.kept)} kept), {self.passages} passages, {self.seconds:.1f} s")
        if self.skipped:
            line += f"; skipped {len(self.skipped)}: " + "; ".join(f"{d} ({why})" for d, why in self.skipped)
        return line


@dataclass
class _DocPassages:
    document: Document | store.StoredDocument
    passages: list[Passage]
    sentences: list[list[tuple[int, int]]]
    vectors: np.ndarray
    sentence_vectors: np.ndarray


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


def _previous(index_dir: Path, embedder: Embedder, chunking: ChunkSettings,
              represent: RepresentSettings) -> dict[str, _DocPassages]:
    """Reusable per-document work of the live version, or nothing when it was built differently."""
    try:
        folder = store.current_version(index_dir)
        manifest = store.read_manifest(folder)
        store.check_model(manifest, embedder.name, embedder.dim)
        if manifest.get("chunking") != chunking.as_dict() or manifest.get("represent") != represent.as_dict():
            return {}
        rows = store.read_jsonl(folder / "passages.jsonl")
        docs = {d["doc_id"]: store.StoredDocument(**d) for d in store.read_jsonl(folder / "documents.jsonl")}
        vectors = store.load_vectors(folder, len(rows), embedder.dim)
        n_sent = sum(len(r["sentences"]) for r in rows)
        svectors = store.load_vectors(folder, n_sent, embedder.dim, name="sentence_vectors.npy")
    except (IndexMissing, IndexMismatch, OSError, ValueError, KeyError, TypeError):
        return {}
    out: dict[str, _DocPassages] = {}
    s_off = 0
    for i, r in enumerate(rows):
        entry = out.setdefault(r["doc"], _DocPassages(docs[r["doc"]], [], [], [], []))
        n = len(r["sentences"])
        entry.passages.append(store.passage_from_json(r))
        entry.sentences.append([tuple(s) for s in r["sentences"]])
        entry.vectors.append(vectors[i])
        entry.sentence_vectors.extend(svectors[s_off:s_off + n])
        s_off += n
    for entry in out.values():
        entry.vectors = np.array(entry.vectors, dtype=np.float32).reshape(-1, embedder.dim)
        entry.sentence_vectors = np.array(entry.sentence_vectors, dtype=np.float32).reshape(-1, embedder.dim)
    return out


def _embed(embedder: Embedder, texts: list[str], progress: bool) -> np.ndarray:
    if not texts:
        return np.zeros((0, embedder.dim), dtype=np.float32)
    return embedder.encode(texts, progress=progress)


def build_index(seeds: Path, index_dir: Path, embedder: Embedder, chunking: ChunkSettings = ChunkSettings(),
                fusion: FusionSettings = FusionSettings(), represent: RepresentSettings = RepresentSettings(),
                strict: bool = False, progress: bool = True,
                log=lambda msg: print(msg, file=sys.stderr)) -> BuildReport:
    """Build a new index version from ``seeds`` and make it live; the old one serves until then."""
    t0 = time.perf_counter()
    seeds, index_dir = Path(seeds), Path(index_dir)
    report = BuildReport()
    with _build_lock(index_dir):
        store.prune(index_dir)  # abandoned temporaries of killed builds
        previous = _previous(index_dir, embedder, chunking, represent)
        fresh: list[Document] = []
        reused: dict[str, _DocPassages] = {}
        for path in discover(seeds):
            doc_id = path.relative_to(seeds).as_posix()
            try:
                doc = load_document(path, seeds)
            except BadDocument as exc:
                if strict:
                    raise BadDocument(f"{doc_id}: {exc}") from exc
                report.skipped.append((doc_id, str(exc)))
                log(f"skipped {doc_id}: {exc}")
                continue
            old = previous.get(doc_id)
            if old is not None and old.document.fingerprint == doc.fingerprint:
                reused[doc_id] = old
                report.kept.append(doc_id)
            else:
                fresh.append(doc)
                (report.changed if old is not None else report.added).append(doc_id)
        report.removed = sorted(set(previous) - set(reused) - {d.doc_id for d in fresh})
        if not fresh and not reused:
            raise BadDocument(f"no usable documents in {seeds}; nothing was changed")

        new_parts: dict[str, _DocPassages] = {}
        all_passages, dense_inputs, all_sentences = [], [], []
        for doc in fresh:
            ps = chunk_text(doc.doc_id, doc.text, doc.outline, chunking, count_tokens)
            sents = [passage_sentences(p, doc.text) for p in ps]
            new_parts[doc.doc_id] = _DocPassages(doc, ps, sents, None, None)
            all_passages.extend(ps)
            dense_inputs.extend(dense_text(p, doc.title, represent) for p in ps)
            all_sentences.extend(p.text[a:b] for p, ss in zip(ps, sents) for a, b in ss)
        vectors = _embed(embedder, dense_inputs, progress)
        svectors = _embed(embedder, all_sentences, progress)
        pv, sv = 0, 0
        for part in new_parts.values():
            n, m = len(part.passages), sum(len(s) for s in part.sentences)
            part.vectors, part.sentence_vectors = vectors[pv:pv + n], svectors[sv:sv + m]
            pv, sv = pv + n, sv + m

        parts = {**reused, **new_parts}
        ordered = [parts[d] for d in sorted(parts)]
        tmp, final = store.new_version_dir(index_dir)
        try:
            _write_version(tmp, ordered, embedder, chunking, fusion, represent)
            _check_version(tmp, embedder)
            store.publish(index_dir, tmp, final)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    report.version = final.name
    report.documents = len(ordered)
    report.passages = sum(len(p.passages) for p in ordered)
    report.seconds = time.perf_counter() - t0
    return report


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
    save_keyword(build_keyword([keyword_text(p, titles[p.doc_id], represent) for p in passages]), tmp / "keyword")
    manifest = {
        "format_version": store.FORMAT_VERSION,
        "model": embedder.name,
        "dim": embedder.dim,
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "version": tmp.name.removeprefix(".tmp-"),
        "passages": len(passages),
        "sentences": len(svectors),
        "dense_index": kind,
        "chunking": chunking.as_dict(),
        "fusion": fusion.as_dict(),
        "represent": represent.as_dict(),
        "keyword": {"library": "bm25s", "k1": 1.2, "b": 0.75, "stemmer": "english", "stopwords": "en"},
        "documents": {d.doc_id: {"fingerprint": d.fingerprint, "title": d.title,
                                 "passages": sum(1 for p in passages if p.doc_id == d.doc_id),
                                 "chars": len(d.text)} for d in docs},
    }
    (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False), encoding="utf-8")


def _check_version(folder: Path, embedder: Embedder) -> None:
    """Load the new version as the server would and ask it one question before switching."""
    from .embed import CachedEncoder
    from .engine import Engine, load_index

    index = load_index(folder.parent, embedder, folder=folder)
    probe = " ".join(index.passages[0].text.split()[:12]) or "test"
    response = Engine(index, CachedEncoder(embedder, size=1)).search(probe, k=3)
    if not response.results:
        raise IndexMismatch(f"the new index in {folder} answered no results to a test query; nothing was changed")
