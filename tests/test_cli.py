"""The command line as a new user meets it: subprocesses, their exit codes, output and speed."""
import json
import os
import re
import subprocess
import sys
import time

import pytest

from .conftest import ROOT, TINY_DOCS


def run(*args, env=None, timeout=300):
    t0 = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "search", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, "SEARCH_ENCODER": "fake", **(env or {})})
    return proc, time.monotonic() - t0


@pytest.mark.parametrize("content", [None, "not json at all\n", '{"query": "q"}\n', ""])
def test_eval_with_a_missing_or_malformed_file_exits_2_at_once_with_one_line(tmp_path, content):
    path = tmp_path / "questions.jsonl"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    proc, seconds = run("eval", str(path), "--index", str(tmp_path / "no-index"), env={"SEARCH_ENCODER": "torch"})
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith("error: ") and proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
    assert str(path) in proc.stderr and proc.stdout == ""
    assert seconds < 10     # the model (torch) is never loaded


def test_query_against_a_missing_index_says_how_to_build_it(tmp_path):
    proc, seconds = run("query", "libraries", "--index", str(tmp_path / "nowhere"), env={"SEARCH_ENCODER": "torch"})
    assert proc.returncode == 3 and "Traceback" not in proc.stderr
    assert "python -m search build" in proc.stderr and proc.stderr.count("\n") == 1
    assert seconds < 10


def test_build_shows_its_own_bar_only_and_counts_one_document_in_the_singular(tmp_path):
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "alpha.txt").write_text(TINY_DOCS["alpha.txt"], encoding="utf-8")
    proc, _ = run("build", "--seeds", str(seeds), "--index", str(tmp_path / "index"))
    assert proc.returncode == 0, proc.stderr
    assert "1 document (" in proc.stdout
    assert not re.search(r"(?<![\d.])1 documents", proc.stdout + proc.stderr)   # "2.51 documents/s" is a rate
    for foreign in ("Batches", "Loading weights", "it/s]"):
        assert foreign not in proc.stderr, proc.stderr
    assert "reading" in proc.stderr and "embedding" in proc.stderr    # our bar: documents, then passages
    quiet, _ = run("build", "--quiet", "--seeds", str(seeds), "--index", str(tmp_path / "index2"))
    assert quiet.returncode == 0 and "reading" not in quiet.stderr


def test_query_prints_line_for_one_line_and_the_match(tmp_path):
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    for name, text in TINY_DOCS.items():
        (seeds / name).write_text(text, encoding="utf-8")
    (seeds / "solo.txt").write_text("Social housing waiting lists in the county grew again this year.\n", encoding="utf-8")
    assert run("build", "--quiet", "--seeds", str(seeds), "--index", str(tmp_path / "index"))[0].returncode == 0
    proc, _ = run("query", "social housing waiting lists", "--index", str(tmp_path / "index"))
    assert proc.returncode == 0, proc.stderr
    assert "match: " in proc.stdout and "confidence" in proc.stdout
    assert "solo.txt line 1 (" in proc.stdout and "lines 1–1" not in proc.stdout
    assert "beta.md lines 3–5 (" in proc.stdout
    answer = json.loads(run("query", "housing", "--json", "--index", str(tmp_path / "index"))[0].stdout)
    assert answer["match"] in ("strong", "weak", "none") and "confidence" in answer["results"][0]
