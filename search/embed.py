"""Embedding for a build: what the encoder reads for each passage and sentence, encoded in batches.

Each distinct text is encoded once (boilerplate and repeated lines cost one vector, and a sentence
that is a whole passage's text shares its vector). New and changed documents are embedded together
in one call over their passages and sentences, which the encoder cuts into batches sized in word
pieces (``encoders/batching.py``; ``embed_documents``); a
large document is embedded a run of passages at a time within its time budget
(``embed_within_budget``)::

    parts = embed_documents(prepared_docs, encoder, RepresentSettings(), progress=False, log=print,
                            on_progress=None)    # doc id -> DocumentParts with vectors
"""
from __future__ import annotations

import time

import numpy as np

from .encoders import Encoder
from .patterns import plural
from .prepare import Prepared
from .represent import RepresentSettings, dense_text
from .stores.base import DocumentParts

EMBED_RUN = 64         # passages embedded at a time between checks of a large document's budget


def embed(encoder: Encoder, texts: list[str], progress: bool) -> np.ndarray:
    """float32 [len(texts), dim]; a text that repeats (boilerplate, a repeated line) is encoded once."""
    if not texts:
        return np.zeros((0, encoder.dim), dtype=np.float32)
    unique = list(dict.fromkeys(texts))
    if len(unique) == len(texts):
        return encoder.encode(texts, progress=progress)
    row = {text: i for i, text in enumerate(unique)}
    return encoder.encode(unique, progress=progress)[[row[t] for t in texts]]


def embed_reporting(encoder: Encoder, texts: list[str], report) -> np.ndarray:
    """As ``embed``, one batch at a time, calling ``report(texts done)`` after each. The batches are
    the ones ``embed``'s one call would make (each distinct text once, cut by the encoder's own
    ``plan``, or, for an encoder without one, ``batch_size`` (default 32) at a time longest first),
    so every vector is bit-for-bit the same."""
    if not texts:
        return embed(encoder, texts, False)
    unique = list(dict.fromkeys(texts))
    plan = getattr(encoder, "plan", None)
    if plan is not None:
        batches = plan(unique)
    else:
        size = getattr(encoder, "batch_size", 32)
        order = np.argsort([-len(t) for t in unique], kind="stable")
        batches = [order[a:a + size] for a in range(0, len(unique), size)]
    # Consecutive batches of one plan, given back together, are planned into the same batches, so
    # an encoder that runs ``lanes`` batches at once gets two per lane per call and stays busy.
    step = 2 * max(1, int(getattr(encoder, "lanes", 1))) if plan is not None else 1
    out = np.zeros((len(unique), encoder.dim), dtype=np.float32)
    done = 0
    for g in range(0, len(batches), step):
        rows = np.concatenate(batches[g:g + step])
        out[rows] = encoder.encode([unique[i] for i in rows], progress=False)
        done += len(rows)
        report(done * len(texts) // len(unique))
    if len(unique) == len(texts):
        return out
    row = {text: i for i, text in enumerate(unique)}
    return out[[row[t] for t in texts]]


def encoder_inputs(prepared: Prepared, represent: RepresentSettings, run: slice = slice(None)) -> tuple[list[str], list[str]]:
    """(what the encoder reads for each passage of ``run``, the texts of their sentences in order)."""
    passages, sentences = prepared.passages[run], prepared.sentences[run]
    return ([dense_text(p, prepared.document.title, represent) for p in passages],
            [p.text[a:b] for p, spans in zip(passages, sentences) for a, b in spans])


def embed_within_budget(prepared: Prepared, encoder: Encoder, represent: RepresentSettings,
                        seconds: float) -> tuple[DocumentParts, str]:
    """A large document's vectors, a run of passages at a time, until its time budget (``seconds``)
    runs out: (the passages embedded by then with their vectors, a note saying how many were left
    out, or "")."""
    doc, t0 = prepared.document, time.monotonic()
    vectors, svectors, done = [], [], 0
    while done < len(prepared.passages) and (done == 0 or time.monotonic() - t0 < seconds):
        dense, sentences = encoder_inputs(prepared, represent, slice(done, done + EMBED_RUN))
        both = embed(encoder, dense + sentences, False)
        vectors.append(both[:len(dense)])
        svectors.append(both[len(dense):])
        done += len(dense)
    note = "" if done == len(prepared.passages) else (
        f"only the first {done:,} of {len(prepared.passages):,} passages indexed: "
        f"embedding took longer than the doc_seconds bound of {seconds:g} s")
    return DocumentParts(doc, prepared.passages[:done], prepared.sentences[:done],
                         np.concatenate(vectors), np.concatenate(svectors)), note


def embed_documents(docs: list[Prepared], encoder: Encoder, represent: RepresentSettings,
                     progress: bool, log, on_progress) -> dict[str, DocumentParts]:
    """Embed the new and changed documents' passages and sentences, in one call."""
    parts: dict[str, DocumentParts] = {}
    dense_inputs, sentence_inputs = [], []
    for prepared in docs:
        doc = prepared.document
        parts[doc.doc_id] = DocumentParts(doc, prepared.passages, prepared.sentences)
        dense, sentences = encoder_inputs(prepared, represent)
        dense_inputs += dense
        sentence_inputs += sentences
    if docs:
        log(f"embedding {plural(len(dense_inputs), 'passage')} and {plural(len(sentence_inputs), 'sentence')} "
            f"of {plural(len(docs), 'document')}")
    texts, total = dense_inputs + sentence_inputs, len(dense_inputs)
    if on_progress:   # one bar over passages and sentences, counted in passages
        on_progress("passages", 0, total)
        both = embed_reporting(encoder, texts, lambda n: on_progress("passages", n * total // len(texts), total))
    else:
        both = embed(encoder, texts, progress)
    vectors, svectors = both[:total], both[total:]
    if on_progress:
        on_progress("passages", total, total)
    pv = sv = 0
    for part in parts.values():
        n, m = len(part.passages), sum(len(s) for s in part.sentences)
        part.vectors, part.sentence_vectors = vectors[pv:pv + n], svectors[sv:sv + m]
        pv, sv = pv + n, sv + m
    return parts
