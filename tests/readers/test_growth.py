"""Every text stage of the readers runs in time linear in its input: checked by ratio, not by clock.

Each stage gets an adversarial input at two sizes, ten times apart; the larger may take about ten
times the CPU time (a generous 30 allows for noise; a quadratic stage takes a hundred).
"""
from __future__ import annotations

import time
from pathlib import Path

import pytest

from search.documents import _masked, heading_label, marked_outline
from search.model import Block
from search.readers import ReadResult, read
from search.readers.titles import clean_title, derive_title
from search.model import Outline


def best_of(fn, arg, runs: int = 3) -> float:
    times = []
    for _ in range(runs):
        t0 = time.process_time()
        fn(arg)
        times.append(time.process_time() - t0)
    return min(times)


def headings(n: int) -> ReadResult:
    text = "".join(f"{'#' * (1 + i % 6)} H{i}\n" for i in range(n))
    blocks, pos = [], 0
    for line in text.splitlines(keepends=True):
        blocks.append(Block("heading", pos, pos + len(line) - 1, len(line) - len(line.lstrip("#"))))
        pos += len(line)
    return ReadResult(text, blocks=tuple(blocks), headings_known=True)


def code_blocks(n: int) -> ReadResult:
    text = "```\n# x\n```\n\n" * n
    return ReadResult(text, blocks=tuple(Block("code", 14 * i, 14 * i + 11) for i in range(n)))


STAGES = {
    "txt: CR-only lines": (lambda n: ("a\r" * n).encode(), lambda d: read(".txt", d)),
    "txt: legacy encoding": (lambda n: ("caf\xe9 \x93q\x94 " * n).encode("latin-1"), lambda d: read(".txt", d)),
    "md: spaces after #": (lambda n: ("# " + " " * n + "a\n").encode(), lambda d: read(".md", d)),
    "md: nested quotes and lists": (lambda n: ("> - " * (n // 4) + "a\n").encode(), lambda d: read(".md", d)),
    "md: front matter of spaces": (lambda n: ("---\ntitle:" + " " * n + "x\n---\nBody\n").encode(),
                                   lambda d: read(".md", d)),
    # web pages at a tenth of the size: trafilatura costs about 0.1 ms a tag
    "html: unclosed tags": (lambda n: b"<p><b><i>" * (n // 100) + b"text", lambda d: read(".html", d)),
    "html: meta prescan": (lambda n: b"<meta " + b" " * (n // 10) + b"charset=x>" + b"<p>t</p>" * (n // 100),
                           lambda d: read(".html", d)),
    "titles: site separators": (lambda n: " | ".join(["a"] * n), clean_title),
    "titles: one long line": (lambda n: "word " * n,
                              lambda t: derive_title(t, Outline(), Path("x.txt"))),
    "heading label: hashes": (lambda n: "#" * n + " a " + "#" * n, heading_label),
    "outline: many headings": (lambda n: headings(n // 10), lambda r: marked_outline(r.text, list(r.blocks))),
    "detector mask: many code blocks": (lambda n: code_blocks(n // 10), _masked),
}


@pytest.mark.parametrize("stage", sorted(STAGES))
def test_text_stages_grow_linearly(stage):
    make, run = STAGES[stage]
    small, large = make(20_000), make(200_000)
    run(small)   # warm up: imports and caches
    t_small, t_large = best_of(run, small), best_of(run, large)
    assert t_large < 30 * t_small + 0.05, (stage, t_small, t_large)
