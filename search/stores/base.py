"""The store interface: what the engine, fusion, build and service may ask of an index, whatever holds it.

A store serves one index version. Fusion needs only ``Candidates`` (arrays); the engine needs
passages, sentence scores for highlights and documents. The local folder (``stores/folder``) is
the first implementation; another (Milvus) implements the same two protocols.

Shapes: vectors are float32, L2-normalised, ``[dim]`` for one question; passage ids are int64
positions ``0 .. passages-1`` in the version's own order.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Protocol, Sequence

import numpy as np

from ..model import Document, Passage


@dataclass(frozen=True)
class Query:
    """A question as the retrievers read it: its vector, its keyword terms, an optional document filter."""

    vector: np.ndarray                 # float32 [dim], L2-normalised
    terms: list[str]                   # tokenised as the version was built (``Store.query_terms``)
    doc_ids: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Candidates:
    """Passages worth ranking, each scored both ways: all that fusion needs, as parallel arrays.

    ``ids`` ascending, each once. ``joins_previous[i]`` says passage ``ids[i]`` was cut from the
    same paragraph (and section) as passage ``ids[i] - 1``, so the two may be shown as one result.
    """

    ids: np.ndarray                    # int64 [n]
    cosine: np.ndarray                 # float32 [n]: passage vector · question
    best_sentence: np.ndarray          # float32 [n]: the closest sentence's cosine
    bm25: np.ndarray                   # float32 [n]: BM25 score, 0 where no question term occurs
    doc_ids: list[str]                 # [n]: each candidate's document
    joins_previous: np.ndarray         # bool [n]
    rarity: float = 0.0                # mean normalised idf of the question's terms, 0 common .. 1 unique
    identifier: np.ndarray | None = None   # float32 [n]: 1 where the passage holds every identifier or
                                           # figure the question names ("recommendation 3", "7%"); None: none named
    term_rarity: dict = field(default_factory=dict)   # each known question term's normalised idf, 0 .. 1

    @classmethod
    def empty(cls) -> "Candidates":
        return cls(np.empty(0, np.int64), np.empty(0, np.float32), np.empty(0, np.float32),
                   np.empty(0, np.float32), [], np.empty(0, bool))


class Store(Protocol):
    """One index version, read-only and safe to share between threads."""

    version: str                       # changes whenever the served content changes

    def info(self) -> dict:
        """The version's manifest: model, dim, counts, ranking settings, documents."""

    def query_terms(self, question: str) -> list[str]:
        """The question's keyword terms, tokenised as this version was built; only known terms."""

    def candidates(self, query: Query, n: int) -> Candidates:
        """The top ``n`` by meaning united with the top ``n`` by keywords, each scored both ways."""

    def passages(self, ids: Iterable[int]) -> list[Passage]:
        """Passages by id, in the order asked."""

    def sentences(self, passage_id: int, vector: np.ndarray) -> tuple[list[tuple[int, int]], np.ndarray]:
        """A passage's sentence spans (relative to its text) and each one's cosine with ``vector``."""

    def passage_ids(self, doc_id: str) -> np.ndarray:
        """Ids of a document's passages in document order (int64; empty for an unknown document)."""

    def document(self, doc_id: str) -> Document | None:
        """A document with its stored text, title, outline and pages; None when the version lacks it."""

    def document_ids(self) -> list[str]:
        """Every document id, sorted."""

    def vector(self, passage_id: int) -> np.ndarray:
        """A passage's vector, float32 [dim] (for more-like-this)."""


@dataclass
class DocumentParts:
    """One document's share of a version: what a build writes, and what it may copy from the live one."""

    document: Document
    passages: list[Passage]
    sentences: list[list[tuple[int, int]]]           # per passage, sentence spans relative to its text
    vectors: np.ndarray | None = None                # float32 [len(passages), dim]
    sentence_vectors: np.ndarray | None = None       # float32 [sum of sentences, dim]


@dataclass
class LiveVersion:
    """What a build may reuse from the version being served (``parts`` copies, not re-embeds)."""

    version: str = ""
    manifest: dict = field(default_factory=dict)
    why_not: str = ""          # why nothing may be reused, when nothing may
    damage: str = ""           # search files damaged: passages and vectors are still good
    fingerprints: dict[str, str] = field(default_factory=dict)
    passages: int = 0

    def usable(self) -> bool:
        return bool(self.version) and not self.why_not


class StoreWriter(Protocol):
    """Writes new versions of one store and switches readers to them atomically."""

    def lock(self):
        """A context manager held for a whole build; a second build fails fast with ``SearchError``."""

    def live(self, model: str, dim: int) -> LiveVersion:
        """The served version's reusable state, or an empty ``LiveVersion`` (with ``why_not``)."""

    def reuse(self, doc_id: str) -> DocumentParts:
        """One document's parts copied from the live version."""

    def write(self, parts: Sequence[DocumentParts], manifest: dict, keyword_texts: list[str]) -> str:
        """Write a new version (not yet served) of ``parts`` in order; ``keyword_texts`` is what BM25 indexes
        for each passage, in the same order. Returns the version's name."""

    def open(self, version: str, encoder) -> Store:
        """A written version, loaded and checked as the server would load it."""

    def publish(self, version: str) -> None:
        """Make a written version the served one, in one atomic step; prune old versions."""

    def discard(self, version: str) -> None:
        """Remove a written version that will not be published."""


def version_manifest(manifest: dict, format_version: int, parts: Sequence[DocumentParts], sentences: int,
                     dense_index: str, **store_fields) -> dict:
    """A written version's manifest, as every store records it: the build's ``manifest``, the store's
    format and fields (``store_fields``), counts, the dense index kind and each document's summary."""
    return {
        "format_version": format_version,
        **manifest,
        **store_fields,
        "passages": sum(len(part.passages) for part in parts),
        "sentences": sentences,
        "dense_index": dense_index,
        "documents": {part.document.doc_id: {"fingerprint": part.document.fingerprint, "title": part.document.title,
                                             "passages": len(part.passages), "chars": len(part.document.text)}
                      for part in parts},
    }
