"""The reader registry: one module per format, chosen by the file's suffix, imported on first use.

Each reader module has ``SUFFIXES``, ``REQUIRES`` (the pip package it needs, "" for the standard
library), ``VERSION`` (bumped when its output changes) and ``read(data, limits) -> ReadResult``.
A reader imports its library inside ``read`` (or anywhere), and when that import fails the
registry names the package instead of calling the file damaged::

    >>> read(".txt", b"Scope\\n\\nLibraries lend books.\\n").text
    'Scope\\n\\nLibraries lend books.\\n'
    >>> from search.readers import READER_VERSIONS   # {suffix: version}, for the manifest
    >>> READER_VERSIONS[".txt"] >= 2
    True
"""
from __future__ import annotations

import importlib

from ..errors import BadDocument
from ..settings import DocumentLimits
from .base import Block, Builder, PartTooLarge, ReadResult, unreadable

READERS = {".txt": "txt", ".md": "md", ".html": "html", ".htm": "html",
           ".pdf": "pdf", ".docx": "docx"}
SUPPORTED = tuple(sorted(READERS))

__all__ = ["Block", "Builder", "PartTooLarge", "READERS", "READER_VERSIONS", "ReadResult", "SUPPORTED", "read",
           "reader_for", "unreadable"]


def reader_for(suffix: str):
    """The reader module for ``suffix`` (any case); BadDocument when the type is not supported or
    the reader's library is missing."""
    name = READERS.get(suffix.lower())
    if name is None:
        raise BadDocument(f"unsupported file type {suffix or '(none)'!r}; supported: {', '.join(SUPPORTED)}")
    try:
        return importlib.import_module(f"{__name__}.{name}")
    except ImportError as exc:
        raise _missing(suffix, name, exc) from exc


def read(suffix: str, data: bytes, limits: DocumentLimits = DocumentLimits()) -> ReadResult:
    """The text, blocks, title and page starts of a file of type ``suffix``.

    Raises BadDocument with the reason: unsupported type, the reader's library not installed
    ("... files need the pypdf package: pip install pypdf"), or a file its reader rejects.
    """
    module = reader_for(suffix)
    try:
        return module.read(data, limits)
    except ImportError as exc:    # an install problem, not a damaged document: say what to install
        raise _missing(suffix, READERS[suffix.lower()], exc, getattr(module, "REQUIRES", "")) from exc


def _missing(suffix: str, name: str, exc: ImportError, requires: str = "") -> BadDocument:
    package = requires or _REQUIRES.get(name) or exc.name or name
    return BadDocument(f"{suffix.lower()} files need the {package} package: pip install {package}")


# Used only when a reader module itself cannot be imported, so its REQUIRES cannot be read.
_REQUIRES = {"md": "markdown-it-py", "html": "trafilatura", "pdf": "pdfplumber", "docx": "python-docx", "txt": ""}


def _versions() -> dict[str, int]:
    out = {}
    for suffix, name in READERS.items():
        try:
            out[suffix] = importlib.import_module(f"{__name__}.{name}").VERSION
        except ImportError:
            out[suffix] = 0
    return out


def __getattr__(name: str):
    # READER_VERSIONS imports every reader module (not their libraries), so it is built on first use.
    if name == "READER_VERSIONS":
        return _versions()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
