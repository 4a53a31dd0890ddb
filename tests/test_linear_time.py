"""Every text stage takes time linear in its input, on inputs built to make it backtrack or rescan.

Each case times a stage on an adversarial input of size n and of size 4n (the best of three runs)
and asserts the CPU time grows about linearly: t(4n) / t(n) under 10, where a quadratic stage gives 16
and a cubic one 64. Ratios, never wall-clock thresholds; a floor keeps tiny times from dividing.
"""
import gc
import time

import pytest

from search.chunk import ChunkSettings, chunk_text
from search.highlight import keyword_ranges
from search.sections import detect_headings, detect_outline
from search.sentences import all_sentences, sentence_spans
from search.terms import tokenize

N = 12_000
RATIO = 10
FLOOR = 0.005   # seconds: below this, timer noise is all a ratio would measure


def _timed(fn, arg) -> float:
    """CPU seconds of this process: other processes on a busy machine do not count."""
    t0 = time.process_time()
    fn(arg)
    return time.process_time() - t0


def assert_linear(stage, make):
    """t(4n) / t(n) under RATIO, each the best of several runs taken in turn (n, 4n, n, 4n, ...)
    so both sizes see the same load; a busy machine gets up to three rounds before the test fails."""
    small, large = make(N), make(4 * N)
    stage(small)   # warm caches (compiled patterns, the stemmer) outside the timing
    for _ in range(3):
        t1 = t4 = float("inf")
        gc.collect()
        gc.disable()   # a collection landing in one run is noise, not the stage's growth
        try:
            for _ in range(5):
                t1 = min(t1, _timed(stage, small))
                t4 = min(t4, _timed(stage, large))
        finally:
            gc.enable()
        if t4 / max(t1, FLOOR) < RATIO:
            return
    raise AssertionError(f"{t1:.4f}s for n, {t4:.4f}s for 4n: grows faster than linearly")


INPUTS = {
    "markdown heading of spaces": lambda n: "# a" + " " * n + "b\n\nBody.\n",
    "dots": lambda n: "Intro paragraph.\n\na" + "." * n + "x\n",
    "spaced dots": lambda n: ". " * (n // 2),
    "blank lines then numbered lines": lambda n: "Title\n\n" + "\n" * n + "".join(
        f"{i % 7 + 3}. Item\n\n" for i in range(n // 10)),
    "labelled lines": lambda n: "".join(f"X{i:06d}a 1: Heading\n\nBody text.\n\n" for i in range(n // 30)),
    "one unbroken line of words": lambda n: "Streets\n\n" + "Mill Road, " * (n // 11),
    "one enormous word": lambda n: "Title\n\n" + "x" * n,
    "label word then spaces": lambda n: "Theme" + " " * n + "x\n\nBody.\n",
    "date words then spaces": lambda n: "Monday" + " " * n + "x\n",
    "at signs": lambda n: "Contact\n\n" + "a@" * (n // 2),
    "dotted numbers": lambda n: "1" + ".1" * (n // 2) + " Title\n\nBody.\n",
    "contents leaders": lambda n: "Contents\n" + "".join(f"Part {i} {'.' * 20} {i}\n" for i in range(n // 30)),
    "indented entries": lambda n: "".join(f"  {i % 9 + 1}. Comment\n\n    Reply\n\n" for i in range(n // 25)),
}


@pytest.mark.parametrize("name", sorted(INPUTS))
def test_heading_detection_is_linear(name):
    assert_linear(detect_headings, INPUTS[name])


@pytest.mark.parametrize("name", sorted(INPUTS))
def test_sentence_splitting_is_linear(name):
    assert_linear(lambda t: all_sentences(t, 0, len(t)), INPUTS[name])
    assert_linear(lambda t: sentence_spans(t, 0, len(t)), INPUTS[name])


@pytest.mark.parametrize("name", sorted(INPUTS))
def test_chunking_is_linear(name):
    def chunk(text):
        chunk_text("d", text, detect_outline(text), ChunkSettings(), lambda s: len(s.split()) + s.count("."))

    assert_linear(chunk, INPUTS[name])


TOKEN_INPUTS = {
    "hyphens": lambda n: "a-" * (n // 2),
    "slashes": lambda n: "1/" * (n // 2),
    "commas in numbers": lambda n: "1," * (n // 2),
    "pound signs and points": lambda n: "£1." * (n // 3),
    "label words": lambda n: "Recommendation " * (n // 15),
    "one enormous word": lambda n: "x" * n,
    "letters with combining accents": lambda n: "w\u0302" * (n // 2),
    "ligatures and full width": lambda n: "\ufb01Ｆ " * (n // 3),
}


@pytest.mark.parametrize("name", sorted(TOKEN_INPUTS))
def test_keyword_tokenisation_is_linear(name):
    assert_linear(lambda t: tokenize([t]), TOKEN_INPUTS[name])


@pytest.mark.parametrize("name", sorted(TOKEN_INPUTS))
def test_keyword_highlights_are_linear(name):
    stems = {"recommend", "x", "1", "ŵ", "fif", "a-a"}
    assert_linear(lambda t: keyword_ranges(t, stems), TOKEN_INPUTS[name])


@pytest.mark.parametrize("name", ["labelled lines", "blank lines then numbered lines", "one unbroken line of words"])
def test_the_document_page_layout_is_linear(name):
    from search.model import Document
    from web.layout import layout_document

    def page(text):
        outline = detect_outline(text)
        layout_document(Document("d", "D", "", text, outline), chunk_text("d", text, outline, ChunkSettings(), len))

    assert_linear(page, INPUTS[name])
