"""Semantic search over public-service documents, with citations you can check.

Public names only, loaded on first use: ``import search`` (or ``search.errors``,
``search.settings``) loads no FAISS, torch or bm25s.
"""
from __future__ import annotations

import importlib

_PUBLIC = {
    "BuildReport": "build", "build_index": "build",
    "ChunkSettings": "chunk", "chunk_text": "chunk",
    "Engine": "engine",
    "BadDocument": "errors", "BadQuery": "errors", "IndexMismatch": "errors", "IndexMissing": "errors",
    "Overloaded": "errors", "SearchError": "errors",
    "FusionSettings": "fusion",
    "Document": "model", "Heading": "model", "Hit": "model", "Outline": "model", "Passage": "model",
    "SearchResponse": "model",
    "detect_headings": "sections", "detect_outline": "sections",
    "Settings": "settings",
    "open_store": "stores", "open_writer": "stores",
}
__all__ = sorted(_PUBLIC)


def __getattr__(name: str):
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module 'search' has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)
