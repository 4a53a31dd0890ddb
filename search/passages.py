"""Candidate passages as the engine handles them: rows kept, copies of one text collapsed, neighbours joined.

A paragraph copied into several documents (or a byte-identical document) takes one place on a
page of results; its other places are listed with it ("also in"). Passages cut from one
paragraph may be shown as one span (``join_passages``).
"""
from __future__ import annotations

import hashlib
from dataclasses import replace

import numpy as np

from .model import Passage
from .patterns import squash
from .stores.base import Candidates, Store

PASSAGE_CACHE = 65536   # passages whose terms and text digest an engine keeps between questions


def keep_rows(cands: Candidates, keep: np.ndarray) -> Candidates:
    """The candidates of rows where ``keep`` is true."""
    if keep.all():
        return cands
    return replace(cands, ids=cands.ids[keep], cosine=cands.cosine[keep], best_sentence=cands.best_sentence[keep],
                   bm25=cands.bm25[keep], doc_ids=[d for d, k in zip(cands.doc_ids, keep) if k],
                   joins_previous=cands.joins_previous[keep],
                   identifier=None if cands.identifier is None else cands.identifier[keep])


def collapse_duplicates(cands: Candidates, store: Store, digests: dict[int, bytes] | None = None
                        ) -> tuple[Candidates, dict[int, list[int]]]:
    """The candidates with each repeated passage text kept once (the lowest id: the first document
    in id order), and for each kept passage the ids of the same text elsewhere ("also in").

    Texts are compared with white space squashed and case folded, so a paragraph copied into
    several documents, or a byte-identical document, takes one place on a page of results.
    ``digests`` (passage id -> BLAKE2b digest of ``body_key``), when given, keeps each passage's
    digest for the next question (at most ``PASSAGE_CACHE`` of them).
    """
    if len(cands.ids) < 2:
        return cands, {}
    digests = {} if digests is None else digests
    missing = [int(i) for i in cands.ids if int(i) not in digests]
    if len(digests) + len(missing) > PASSAGE_CACHE:
        digests.clear()
    for i, passage in zip(missing, store.passages(missing)):
        digests[i] = hashlib.blake2b(body_key(passage).encode(), digest_size=16).digest()
    first: dict[bytes, int] = {}
    also: dict[int, list[int]] = {}
    keep = np.ones(len(cands.ids), dtype=bool)
    for row, i in enumerate(cands.ids):
        key = digests.get(int(i)) or hashlib.blake2b(body_key(store.passages([int(i)])[0]).encode(),
                                                     digest_size=16).digest()
        kept = first.setdefault(key, row)
        if kept != row:
            keep[row] = False
            also.setdefault(int(cands.ids[kept]), []).append(int(cands.ids[row]))
    if keep.all():
        return cands, {}
    return keep_rows(cands, keep), also


def body_key(passage: Passage) -> str:
    """The passage's text as compared for duplicates: squashed, case folded, without the heading line
    that opens it (the same paragraph under two documents' own headings is still the same)."""
    text = passage.text
    first, _, rest = text.partition("\n")
    if rest and passage.section and squash(first.lstrip("#")).startswith(passage.section[-1]):
        text = rest
    return squash(text).casefold()


def join_passages(passages: list[Passage], text: str) -> Passage:
    """Consecutive passages of one document as one span (their text and the gaps between them)."""
    first, last = passages[0], passages[-1]
    return Passage(first.doc_id, first.start, last.end, first.line_start, last.line_end, first.section,
                   text[first.start:last.end])
