"""Build the index: load, chunk, embed, write a new version, check it, then switch to it.

Only documents whose fingerprint changed are read and embedded again; the others keep their
passages and vectors from the live version when it was built the same way (format, model,
chunking, representation, extraction, outline). When nothing changed at all, nothing is
published; ``build_index(seeds, writer, encoder).summary()`` then says::

    index is up to date (v-20261122T071500-1a2b): 5 documents (0 added, 0 changed, 0 removed, 5 kept), ...

When only the FAISS or keyword files of the live version are damaged, they are remade from its
passages and vectors without embedding anything again.

A build killed at any moment leaves the live version serving: the new one is written into a
temporary folder, renamed, and made live by replacing the ``CURRENT`` pointer in one step.
"""
from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from pathlib import Path


from .access import OPEN_POLICY, AccessPolicy
from .chunk import ChunkSettings
from .documents import discover, read_source
from .encoders import Encoder
from .errors import BadDocument, IndexMismatch
from .fusion import FusionSettings
from .embed import embed_documents, embed_within_budget
from .patterns import plural
from .prepare import Prepared, Preparer
from .readers import READER_VERSIONS
from .represent import RepresentSettings, keyword_text
from .sections import OUTLINE_VERSION
from .settings import DocumentLimits, Settings
from .stores import open_writer
from .stores.base import DocumentParts, LiveVersion, StoreWriter
from .terms import DEFAULT_STOPWORDS

LARGE_DOCUMENT = 400   # passages: a document this large is embedded on its own, within its time budget
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
    notes: list[tuple[str, str]] = field(default_factory=list)     # (document id, note): encoding, cuts, OCR
    published: bool = False       # False: the live version was already up to date
    reused_nothing: str = ""      # why the live version's work could not be reused, if it could not
    repaired: str = ""            # damage to the live version's search files, remade without embedding

    def summary(self) -> str:
        counts = (f"{plural(self.documents, 'document')} ({len(self.added)} added, {len(self.changed)} changed, "
                  f"{len(self.removed)} removed, {len(self.kept)} kept), {plural(self.passages, 'passage')}, "
                  f"{self.seconds:.1f} s")
        head = f"built {self.version}" if self.published else f"index is up to date ({self.version})"
        line = f"{head}: {counts}"
        if self.reused_nothing:
            line += f"; embedded everything: {self.reused_nothing}"
        if self.repaired:
            line += f"; remade the search files: {self.repaired}"
        if self.skipped:
            line += f"; skipped {len(self.skipped)}: " + "; ".join(f"{d} ({why})" for d, why in self.skipped)
        if self.notes:
            line += "; notes: " + "; ".join(f"{d}: {note}" for d, note in self.notes)
        return line


def _reusable(live: LiveVersion, chunking: ChunkSettings, represent: RepresentSettings,
              checksum: str = "") -> LiveVersion:
    """The live version, unless it was built another way (then ``why_not`` says how)."""
    m = live.manifest
    if live.version and not live.why_not and checksum and m.get("model_sha256", checksum) != checksum:
        live.why_not = f"the model's weights changed (SHA-256 {m['model_sha256'][:12]}… to {checksum[:12]}…)"
    for name, now in (("chunking", chunking.as_dict()), ("represent", represent.as_dict()),
                      ("outline_version", OUTLINE_VERSION)):
        if live.version and not live.why_not and m.get(name) != now:
            live.why_not = f"{name} changed from {m.get(name)} to {now}"
    return live


def _same_settings(live: LiveVersion, fusion: FusionSettings, access: dict, tuning: dict | None = None) -> bool:
    m = live.manifest
    return (live.usable() and not live.damage and m.get("fusion") == fusion.as_dict() and m.get("keyword") == KEYWORD_PARAMS
            and m.get("access") == access and m.get("tuning") == tuning)


def _live_fusion(live: LiveVersion) -> tuple[FusionSettings, dict | None]:
    """The fusion settings a build keeps when not told otherwise: those ``python -m search tune`` fitted
    to the live version (its manifest's ``tuning`` says so), else the defaults."""
    tuning = live.manifest.get("tuning") if live.usable() else None
    if tuning:
        return FusionSettings.from_dict(live.manifest.get("fusion") or {}), tuning
    return FusionSettings(), None


def build_index(seeds: Path, store: StoreWriter | Path, encoder: Encoder, chunking: ChunkSettings = ChunkSettings(),
                fusion: FusionSettings | None = None, represent: RepresentSettings = RepresentSettings(),
                strict: bool = False, progress: bool = True,
                log=lambda msg: print(msg, file=sys.stderr), limits: DocumentLimits = DocumentLimits(),
                on_progress=None, isolate: bool = True, access: AccessPolicy | None = None,
                tuning: dict | None = None) -> BuildReport:
    """Bring the store up to date with ``seeds``; the old version serves until the new one is live.

    ``store`` is a ``StoreWriter`` (``stores.open_writer(settings)``) or an index folder's path.
    Unusable documents, and documents over a bound of ``limits`` (size, time, memory), are
    reported and skipped and the rest are built (``strict``: the build stops, changing nothing:
    ``BadDocument``). ``on_progress(stage, done, total)`` hears of each document read ("documents")
    and of embedding ("passages"). ``isolate=False`` reads documents in this process (no time
    budget). ``access`` (``access.load_policy``; None: every document public) gives the groups
    recorded for each document in ``manifest["access"]``; a changed policy alone re-publishes,
    reusing every passage and vector. ``SearchError`` when another build holds the store.
    ``fusion`` None keeps the settings fitted by ``tune`` (``_live_fusion``); ``tuning`` records
    how given settings were fitted.
    """
    t0 = time.perf_counter()
    seeds = Path(seeds)
    writer = open_writer(Settings(index=Path(store))) if isinstance(store, (str, Path)) else store
    report = BuildReport()
    with writer.lock():
        live = _reusable(writer.live(encoder.name, encoder.dim), chunking, represent, getattr(encoder, "checksum", ""))
        report.reused_nothing, report.repaired = live.why_not, live.damage
        if fusion is None:
            fusion, tuning = _live_fusion(live)
        fresh, parts = _read_seeds(seeds, writer, live, report, log, limits, chunking, on_progress, isolate,
                                   getattr(encoder, "preload", None))
        if strict and report.skipped:
            raise BadDocument(f"{plural(len(report.skipped), 'document')} cannot be used, so nothing was changed (--strict): "
                              + "; ".join(f"{d}: {why}" for d, why in report.skipped))
        if not fresh and not parts:
            raise BadDocument(f"no usable documents in {seeds}; nothing was changed")
        report.documents = len(fresh) + len(parts)
        doc_ids = [p.document.doc_id for p in fresh] + list(parts)
        recorded = (access or OPEN_POLICY).record(doc_ids)
        for pattern in (access or OPEN_POLICY).unmatched(doc_ids):
            log(f"warning: the access rule match = {pattern!r} names no document; those it was meant for "
                f"follow the policy's default ({(access or OPEN_POLICY).default})")
        if not fresh and not report.removed and _same_settings(live, fusion, recorded, tuning):
            report.version = live.version
            report.passages = live.passages
            report.seconds = time.perf_counter() - t0
            return report

        large = [p for p in fresh if len(p.passages) > LARGE_DOCUMENT]
        for prepared in large:   # each within its own time budget, so one file cannot hold the build up
            parts[prepared.document.doc_id], note = embed_within_budget(prepared, encoder, represent, limits.seconds)
            if note:
                report.notes.append((prepared.document.doc_id, note))
        parts.update(embed_documents([p for p in fresh if len(p.passages) <= LARGE_DOCUMENT], encoder, represent,
                                      progress, log, on_progress))
        ordered = [parts[d] for d in sorted(parts)]
        titles = {part.document.doc_id: part.document.title for part in ordered}
        keyword_texts = [keyword_text(p, titles[p.doc_id], represent) for part in ordered for p in part.passages]
        manifest = {
            "model": encoder.name,
            "dim": encoder.dim,
            "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "readers": READER_VERSIONS,
            "outline_version": OUTLINE_VERSION,
            "chunking": chunking.as_dict(),
            "fusion": fusion.as_dict(),
            "represent": represent.as_dict(),
            "keyword": KEYWORD_PARAMS,
            "access": recorded,
            "build_seconds": round(time.perf_counter() - t0, 3),   # reading and embedding: most of a build
        }
        if tuning:
            manifest["tuning"] = tuning
        if getattr(encoder, "checksum", ""):   # the weights, whatever the backend: checked when served
            manifest["model_sha256"] = encoder.checksum
            manifest["encoding"] = getattr(encoder, "details", {})
        version = writer.write(ordered, manifest, keyword_texts)
        try:
            _check_version(writer.open(version, encoder), encoder, version)
            writer.publish(version)
        except BaseException:
            writer.discard(version)
            raise
    report.published = True
    report.version = version
    report.passages = sum(len(p.passages) for p in ordered)
    report.seconds = time.perf_counter() - t0
    return report


def _read_seeds(seeds: Path, writer: StoreWriter, live: LiveVersion, report: BuildReport, log,
                limits: DocumentLimits, chunking: ChunkSettings, on_progress,
                isolate: bool, preload=None) -> tuple[list[Prepared], dict[str, DocumentParts]]:
    """(documents to embed, reusable parts by id); fills in the report's counts, skips and notes.
    ``preload()`` (a lazy encoder's) is called at the first document to read, so the model loads
    while documents are read.

    A file whose fingerprint matches the live version, read by a reader of the same version, is
    not read again; a reader's new version re-reads only the formats it reads.
    """
    fresh: list[Prepared] = []
    reused: dict[str, DocumentParts] = {}
    known = live.fingerprints if live.usable() else {}
    built_with = live.manifest.get("readers") or {}
    paths = discover(seeds)
    for name, why in paths.skipped:
        _skip(report, log, name, why)
    with Preparer(seeds, limits, chunking, isolate) as preparer:
        for n, path in enumerate(paths, start=1):
            doc_id = path.relative_to(seeds).as_posix()
            old = known.get(doc_id)
            if on_progress:
                on_progress("documents", n - 1, len(paths))
            try:
                source = read_source(path, seeds, limits)
                suffix = path.suffix.lower()
                if old == source.fingerprint and built_with.get(suffix) == READER_VERSIONS.get(suffix):
                    reused[doc_id] = writer.reuse(doc_id)
                    report.kept.append(doc_id)
                    continue
                if preload is not None:
                    preload()
                prepared = preparer.prepare(path, source)
            except BadDocument as exc:
                _skip(report, log, doc_id, str(exc))
                continue
            fresh.append(prepared)
            report.notes.extend((doc_id, note) for note in prepared.notes)
            (report.changed if old is not None else report.added).append(doc_id)
    if on_progress:
        on_progress("documents", len(paths), len(paths))
    seen = set(reused) | {p.document.doc_id for p in fresh}
    report.removed = sorted(d for d in known if d not in seen)
    return fresh, reused


def _skip(report: BuildReport, log, doc_id: str, why: str) -> None:
    report.skipped.append((doc_id, why))
    log(f"skipped {doc_id}: {why}")


def _check_version(store, encoder: Encoder, version: str) -> None:
    """Ask the new version one question, as the server would, before switching to it."""
    from .encoders import CachedEncoder
    from .engine import Engine

    first = store.passages([0]) if store.info().get("passages") else []
    if not first:
        raise BadDocument("the documents hold no text to index; nothing was changed")
    probe = " ".join(first[0].text.split()[:12]) or "test"
    response = Engine(store, CachedEncoder(encoder, size=1)).search(probe, k=3)
    if not response.results:
        raise IndexMismatch(f"the new index {version} answered no results to a test query; nothing was changed")
