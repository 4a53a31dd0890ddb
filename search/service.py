"""The long-lived search service behind the web app: live index reload and load limits.

It keeps one loaded ``Engine`` and swaps it for a new one when a build switches the index, so
each answer comes entirely from one index version. A watcher thread notices the switch (or
damaged files) within ``reload_seconds``. A bounded number of searches run at once; beyond
that callers get ``Overloaded`` at once instead of waiting in an unbounded queue.
"""
from __future__ import annotations

import logging
import threading

from .encoders import CachedEncoder, Encoder
from .engine import Engine
from .errors import REBUILD_HINT, IndexMismatch, IndexMissing, Overloaded, SearchError
from .model import SearchResponse
from .settings import Settings
from .stores import live_signature, open_store

log = logging.getLogger("search.service")


class SearchService:
    def __init__(self, settings: Settings, embedder: Encoder):
        self.settings = settings
        self.embedder = embedder
        self.encoder = CachedEncoder(embedder, settings.cache_size)
        self._engine: Engine | None = None
        self._error: SearchError | None = IndexMissing(f"no index yet: {REBUILD_HINT}")
        self._signature: tuple | None = None
        self._reload_lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(settings.max_inflight)
        self._stop = threading.Event()
        self._watcher: threading.Thread | None = None
        self.refresh()

    # -- index lifecycle -------------------------------------------------------------------
    def refresh(self) -> bool:
        """Load the live version if it changed since last time. True when the engine changed."""
        with self._reload_lock:
            signature = live_signature(self.settings)
            if signature == self._signature:
                return False
            self._signature = signature
            try:
                engine = Engine(open_store(self.settings, self.embedder), self.encoder)
            except (IndexMissing, IndexMismatch) as exc:
                if self._engine is not None:
                    log.error("index unavailable, answering 503 until it is back: %s", exc)
                self._engine, self._error = None, type(exc)(self._public(str(exc)))
                return True
            except Exception as exc:  # any other damage must not take the service down
                log.exception("index failed to load")
                self._engine = None
                self._error = IndexMismatch(self._public(f"the index failed to load ({exc}); {REBUILD_HINT}"))
                return True
            old = self._engine.version if self._engine else None
            self._engine, self._error = engine, None
            log.info("serving index %s (was %s)", engine.version, old)
            return True

    # -- the first build, in the background ------------------------------------------------------
    def note_build_progress(self, stage: str, done: int, total: int) -> None:
        """While there is no index yet, callers hear how far the first build has got (a 503 message)."""
        if self._engine is None:
            what = f"{done} of {total} documents read" if stage == "documents" else f"embedding {total} passages"
            self._error = IndexMissing(f"building the index: {what}; try again in a moment")

    def build_in_background(self) -> threading.Thread:
        """Build the first index from ``settings.seeds`` in a thread; the service answers 503 with the
        build's progress until the new version is live, then serves it (the watcher or this thread
        loads it). A failed build leaves a 503 that says why."""
        from .access import configured_policy
        from .build import build_index
        from .stores import open_writer

        def run() -> None:
            self.note_build_progress("documents", 0, 0)
            try:
                report = build_index(self.settings.seeds, open_writer(self.settings), self.embedder, progress=False,
                                     log=log.warning, limits=self.settings.limits(),
                                     on_progress=self.note_build_progress,
                                     access=configured_policy(self.settings))
            except Exception as exc:   # the service stays up and says why it has no index
                log.error("the first build failed: %s", exc)
                self._error = IndexMissing(self._public(f"the first build failed: {exc}; fix it and run "
                                                        "`python -m search build`"))
                return
            log.info(report.summary())
            self.refresh()

        thread = threading.Thread(target=run, name="first-build", daemon=True)
        thread.start()
        return thread

    def _public(self, message: str) -> str:
        """The message callers see: index paths relative to the index folder, no server paths."""
        return message.replace(str(self.settings.index), self.settings.index.name)

    def start_watcher(self) -> None:
        """Look for a newly built (or damaged) index every ``reload_seconds``; 0 turns it off."""
        if self._watcher is None and self.settings.reload_seconds > 0:
            self._watcher = threading.Thread(target=self._watch, name="index-watcher", daemon=True)
            self._watcher.start()

    def stop(self) -> None:
        self._stop.set()

    def _watch(self) -> None:
        while not self._stop.wait(self.settings.reload_seconds):
            try:
                self.refresh()
            except Exception:  # the watcher must outlive any surprise
                log.exception("index watcher failed")

    # -- queries ---------------------------------------------------------------------------
    def engine(self) -> Engine:
        engine = self._engine
        if engine is None:
            raise self._error
        return engine

    def search(self, q, k=None, docs=None, explain: bool = False, min_confidence: float = 0.0,
               offset: int = 0, allowed=None) -> SearchResponse:
        """``Engine.search`` within the in-flight bound. ``allowed``: the documents the caller may read (None:
        all), or a function of the engine that answers giving them (so a reload mid-request cannot mix versions)."""
        return self._bounded(lambda engine: engine.search(q, self.settings.default_k if k is None else k, docs,
                                                          explain, min_confidence, offset=offset,
                                                          allowed=_scope(allowed, engine)))

    def similar(self, doc, start, end, k=None, allowed=None) -> SearchResponse:
        """``Engine.similar`` within the bound on searches in flight; ``allowed`` as for ``search``."""
        return self._bounded(lambda engine: engine.similar(doc, start, end, self.settings.default_k if k is None else k,
                                                           allowed=_scope(allowed, engine)))

    def _bounded(self, call):
        engine = self.engine()
        if not self._slots.acquire(timeout=0.05):
            raise Overloaded("too many searches at once; retry in a moment")
        try:
            return call(engine)
        finally:
            self._slots.release()

    def health(self) -> dict:
        engine = self._engine
        if engine is None:
            return {"status": "unavailable", "message": str(self._error), "index_version": None,
                    "model": self.embedder.name}
        m = engine.store.info()
        return {"status": "ok", "index_version": engine.version, "built_at": m.get("built_at"),
                "model": m.get("model"), "dim": m.get("dim"), "documents": len(m.get("documents", {})),
                "passages": m.get("passages"), "dense_index": m.get("dense_index")}


def _scope(allowed, engine):
    """``allowed`` as a set of document ids (or None): called with ``engine`` when it is a function of it."""
    return allowed(engine) if callable(allowed) else allowed
