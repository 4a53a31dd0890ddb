"""Semantic search over public-service documents, with citations you can check."""
from .build import BuildReport, build_index
from .chunk import ChunkSettings, Passage, chunk_text
from .encoders import CachedEncoder, Encoder, FakeEncoder, TorchEncoder, load_encoder
from .engine import Engine, Hit, Index, SearchResponse, load_index
from .errors import BadDocument, BadQuery, IndexMismatch, IndexMissing, Overloaded, SearchError
from .fusion import FusionSettings
from .sections import Heading, Outline, detect_headings
from .settings import Settings

__all__ = [
    "BadDocument", "BadQuery", "BuildReport", "CachedEncoder", "ChunkSettings", "Encoder", "Engine", "FakeEncoder",
    "FusionSettings", "Heading", "Hit", "Index", "IndexMismatch", "IndexMissing", "Outline", "Overloaded",
    "Passage", "SearchError", "SearchResponse", "Settings", "TorchEncoder", "build_index",
    "chunk_text", "detect_headings", "load_encoder", "load_index",
]
