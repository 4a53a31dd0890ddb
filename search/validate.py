"""What a search request may ask: the question, k, the document filter, min_confidence and offset.

Each check raises ``BadQuery`` with a message saying exactly what is wrong, so the API, the page
and the command line refuse bad input alike before any work is done::

    >>> validate_query("  pay  ", 5, ["a.txt", "a.txt"])
    ('pay', 5, ['a.txt'])
"""
from __future__ import annotations

from .errors import BadQuery
from .settings import MAX_K, MAX_QUERY_CHARS, MAX_RANKED


def validate_query(q, k, docs, known=None) -> tuple[str, int, list[str] | None]:
    """Check the question, k and the document filter; BadQuery says exactly what is wrong.

    ``known`` (a container of document ids), when given, rejects unknown ids in ``docs``.
    Returns (question stripped, k, unique document ids or None).
    """
    if not isinstance(q, str) or not q.strip():
        raise BadQuery(f"q is required: a question or keywords, 1 to {MAX_QUERY_CHARS} characters")
    q = q.strip()
    if len(q) > MAX_QUERY_CHARS:
        raise BadQuery(f"q is {len(q)} characters long; the limit is {MAX_QUERY_CHARS}")
    if any(ord(c) < 32 and c not in "\t\n\r" for c in q) or "\x7f" in q:
        raise BadQuery("q contains control characters")
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= MAX_K:
        raise BadQuery(f"k must be an integer from 1 to {MAX_K}")
    if docs is not None:
        if not isinstance(docs, list) or not all(isinstance(d, str) for d in docs):
            raise BadQuery("doc must be a document id or a list of document ids")
        docs = list(dict.fromkeys(docs))
        unknown = [d for d in docs if known is not None and d not in known]
        if unknown:
            raise BadQuery(f"unknown doc {unknown[0]!r}; see /api/documents for the ids")
        docs = docs or None
    return q, k, docs


def validate_min_confidence(value) -> float:
    """``min_confidence`` as a float in [0, 1]; BadQuery otherwise."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
        raise BadQuery("min_confidence must be a number from 0 to 1")
    return float(value)



def validate_offset(offset, k: int) -> int:
    """``offset`` as an int from 0 with ``offset + k`` at most ``MAX_RANKED``; BadQuery otherwise."""
    if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0 or offset + k > MAX_RANKED:
        raise BadQuery(f"offset must be an integer from 0, with offset + k at most {MAX_RANKED}")
    return offset


