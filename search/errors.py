"""The engine's exceptions. Adapters (CLI, web) translate each one once.

Importing this module loads nothing else: no FAISS, torch or bm25s.
"""

REBUILD_HINT = "run `python -m search build` to build it"   # the fix named by every unusable-index message


class SearchError(Exception):
    """Base class for every error the engine raises on purpose."""

    status = 500


class BadQuery(SearchError):
    """The caller asked for something malformed (empty question, bad k, unknown document)."""

    status = 400


class IndexMissing(SearchError):
    """There is no index to search yet."""

    status = 503


class IndexMismatch(SearchError):
    """The index on disk cannot be used: another model, another format, or damaged files."""

    status = 503


class BadDocument(SearchError):
    """A source document cannot be read: unsupported, empty, corrupt or undecodable."""

    status = 422


class Overloaded(SearchError):
    """Too many searches are already running."""

    status = 503
