"""Semantic search over public-service documents, with citations you can check."""
from .build import BuildReport, build_index
from .chunk import ChunkSettings, Passage, chunk_text
from .embed import CachedEncoder, FakeEmbedder, SentenceTransformerEmbedder
from .engine import Engine, Hit, Index, SearchResponse, load_index
from .errors import BadDocument, BadQuery, IndexMismatch, IndexMissing, Overloaded, SearchError
from .fusion import FusionSettings
from .sections import Heading, Outline, detect_headings
from .settings import Settings

__all__ = [
    "BadDocument", "BadQuery", "BuildReport", "CachedEncoder", "ChunkSettings", "Engine", "FakeEmbedder",
    "FusionSettings", "Heading", "Hit", "Index", "IndexMismatch", "IndexMissing", "Outline", "Overloaded",
    "Passage", "SearchError", "SearchResponse", "SentenceTransformerEmbedder", "Settings", "build_index",
    "chunk_text", "detect_headings", "load_index",
]
