"""`python -m search eval` must agree with shared/eval/score.py; the rules are checked on worked examples."""
import json
import os
import subprocess
import sys

import pytest

from search.evaluate import evaluate, load_questions, score_question

from .conftest import SEEDS, SHARED

DEV = SHARED / "eval" / "dev.jsonl"
SCORE = SHARED / "eval" / "score.py"


def result(doc, start, end, text, section=("S",)):
    return {"text": text, "citation": {"doc": doc, "start": start, "end": end, "section": list(section)}}


TEXT = "Alpha beta gamma. Delta epsilon zeta. Eta theta iota."
QUESTION = {"query": "q", "gold": [
    {"file": "d.txt", "quote": "Delta epsilon zeta.", "grade": 2, "section": ["S"]},
    {"file": "d.txt", "quote": "Eta theta iota.", "grade": 1, "section": ["Other"]}]}


def test_a_passage_covering_half_a_quote_earns_its_grade_once():
    texts = {"d.txt": TEXT}
    whole = result("d.txt", 0, len(TEXT), TEXT)
    row = score_question(QUESTION, [whole, whole], texts, 10)
    ideal = 2 + 1 / 1.5849625007211563
    assert row["ndcg10"] == pytest.approx(2 / ideal)        # one credit (the higher grade) for the long passage
    assert row["success1"] == 1.0 and row["mrr10"] == 1.0
    assert row["sec_pairs"] == 4 and row["sec_ok"] == 2     # matches "S" twice, never "Other"


def test_a_wrong_slice_is_an_offset_error_and_earns_nothing():
    row = score_question(QUESTION, [result("d.txt", 0, 5, "Wrong")], {"d.txt": TEXT}, 10)
    assert row["offset_errors"] == 1 and row["ndcg10"] == 0.0 and row["success5"] == 0.0


@pytest.mark.real
@pytest.mark.server
def test_in_process_eval_agrees_with_score_py(real_server, real_index, real_embedder):
    from search.encoders import CachedEncoder
    from search.engine import Engine
    from search.stores.folder import FolderStore

    if not SCORE.is_file() or not DEV.is_file():
        message = f"{SCORE} and {DEV} are needed; set SEARCH_SHARED to the folder holding eval/"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    out = subprocess.run([sys.executable, str(SCORE), "--url", real_server.url, "--questions", str(DEV),
                          "--seeds", str(SEEDS), "--json"], capture_output=True, text=True, timeout=600, check=True)
    theirs = json.loads(out.stdout)
    engine = Engine(FolderStore.open(real_index, real_embedder), CachedEncoder(real_embedder))
    ours = evaluate(engine, load_questions(DEV))
    assert set(ours) == set(theirs)
    for kind, metrics in theirs.items():
        for key, value in metrics.items():
            if key != "http_p50_ms":
                assert ours[kind][key] == pytest.approx(value, abs=1e-4), (kind, key)
    assert ours["all"]["offset_errors"] == 0


def test_questions_whose_quotes_left_their_documents_are_left_out_not_a_crash(tiny_service, caplog):
    from search.errors import SearchError
    from search.evaluate import evaluate

    engine = tiny_service.engine()
    doc = sorted(engine.document_ids)[0]
    quote = engine.store.document(doc).text[:40]
    good = {"query": "payment", "gold": [{"file": doc, "quote": quote, "grade": 2}]}
    stale = {"query": "payment", "gold": [{"file": doc, "quote": "this text was edited away", "grade": 2}]}
    gone = {"query": "payment", "gold": [{"file": "no/such.txt", "quote": quote, "grade": 2}]}
    assert evaluate(engine, [good, stale, gone])["all"]["n"] == 1
    assert "2 of 3 questions left out" in caplog.text
    with pytest.raises(SearchError, match="nothing to measure"):
        evaluate(engine, [stale])
