"""Feedback on results: the API and the page's form, what is kept (and what never is), disk errors,
export to judged questions read back by ``eval``, and the report."""
import errno
import json
import os

import pytest

from search import cli
from search.feedback import FeedbackLog, export_questions, judged

from .helpers import assert_error


def cite(client, q="payment by results", rank=0):
    hit = client.get("/api/search", query_string={"q": q, "k": 3}).get_json()["results"][rank]
    return hit["citation"], hit["text"]


def kept(tiny_service):
    return FeedbackLog(tiny_service.settings.data).read()


def test_feedback_is_kept_with_its_citation_and_never_the_client_address(client, tiny_service):
    c, text = cite(client)
    r = client.post("/api/feedback", json={"q": " payment by results ", "doc": c["doc"], "start": c["start"],
                                           "end": c["end"], "helpful": True, "comment": "just right"},
                    environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert r.status_code == 201 and r.get_json()["recorded"] is True
    [row] = kept(tiny_service)
    assert (row["q"], row["doc"], row["start"], row["end"], row["text"], row["helpful"], row["comment"]) == \
        ("payment by results", c["doc"], c["start"], c["end"], text, True, "just right")
    assert row["section"] == c["section"] and row["index_version"] == r.get_json()["index_version"]
    files = list((tiny_service.settings.data / "feedback").iterdir())
    assert len(files) == 1 and "203.0.113.9" not in files[0].read_text() and "127.0.0.1" not in files[0].read_text()


@pytest.mark.parametrize("change, fragment", [
    ({"helpful": "yes"}, "helpful must be true or false"),
    ({"helpful": None}, "helpful must be true or false"),
    ({"q": ""}, "q is required"),
    ({"start": "0"}, "a passage is named by"),
    ({"doc": "nope.txt"}, "unknown passage"),
    ({"end": 3}, "unknown passage"),
    ({"comment": 5}, "comment must be a string"),
    ({"comment": "x" * 5000}, "comment must be text"),
])
def test_malformed_feedback_or_an_unknown_passage_is_a_400_and_keeps_nothing(client, tiny_service, change, fragment):
    c, _ = cite(client)
    body = {"q": "payment", "doc": c["doc"], "start": c["start"], "end": c["end"], "helpful": False, **change}
    assert_error(client.post("/api/feedback", json=body), 400, fragment)
    assert kept(tiny_service) == []


def test_feedback_bodies_that_are_not_json_objects_are_refused(client):
    assert_error(client.post("/api/feedback", data="[1]", content_type="application/json"), 400, "malformed JSON")
    assert_error(client.post("/api/feedback", data="q=1", content_type="text/plain"), 415)


def test_a_passage_outside_the_callers_documents_is_unknown(client, tiny_service, monkeypatch):
    c, _ = cite(client)
    monkeypatch.setattr("web.feedback.allowed_docs", lambda engine=None: frozenset({"other.txt"}))
    body = {"q": "payment", "doc": c["doc"], "start": c["start"], "end": c["end"], "helpful": True}
    assert_error(client.post("/api/feedback", json=body), 400, "unknown passage")


def test_the_page_form_works_without_javascript(client, tiny_service):
    page = client.get("/?q=payment+by+results").get_data(as_text=True)
    assert page.count('<form class="feedback" method="post" action="/feedback">') >= 1
    assert 'name="helpful" value="1"' in page and 'name="helpful" value="0"' in page
    c, _ = cite(client)
    r = client.post("/feedback", data={"q": "payment by results", "doc": c["doc"], "start": str(c["start"]),
                                       "end": str(c["end"]), "helpful": "0", "back": "q=payment+by+results"})
    assert r.status_code == 200 and "Thank you" in r.get_data(as_text=True)
    assert "/?q=payment+by+results" in r.get_data(as_text=True)
    assert [row["helpful"] for row in kept(tiny_service)] == [False]
    bad = client.post("/feedback", data={"q": "x", "doc": c["doc"], "start": "1", "end": "2", "helpful": "1"})
    assert bad.status_code == 400 and "unknown passage" in bad.get_data(as_text=True)


def test_feedback_is_rate_limited_with_the_rest_of_the_api(tiny_service):
    from web import create_app

    app = create_app(tiny_service.settings.replace(rate_limit=2), service=tiny_service)
    client = app.test_client()
    c, _ = cite(client)   # one request
    body = {"q": "payment", "doc": c["doc"], "start": c["start"], "end": c["end"], "helpful": True}
    assert client.post("/api/feedback", json=body).status_code == 201
    assert_error(client.post("/api/feedback", json=body), 429)
    assert client.post("/feedback", data={**body, "helpful": "1"}).status_code == 429


def test_a_full_disk_answers_503_and_loses_nothing_already_kept(client, tiny_service, monkeypatch):
    c, _ = cite(client)
    body = {"q": "payment", "doc": c["doc"], "start": c["start"], "end": c["end"], "helpful": True}
    assert client.post("/api/feedback", json=body).status_code == 201
    [path] = (tiny_service.settings.data / "feedback").iterdir()
    before = path.read_bytes()
    real_write = os.write

    def half_then_full(fd, data):   # the disk takes part of the line, then is full
        real_write(fd, data[: len(data) // 2])
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("search.feedback.os.write", half_then_full)
    assert_error(client.post("/api/feedback", json={**body, "helpful": False}), 503, "No space left on device")
    assert path.read_bytes() == before and len(kept(tiny_service)) == 1
    monkeypatch.undo()
    assert client.post("/api/feedback", json={**body, "helpful": False}).status_code == 201
    assert [r["helpful"] for r in kept(tiny_service)] == [True, False]


def test_a_read_only_data_folder_answers_503(client, tiny_service, monkeypatch):
    c, _ = cite(client)
    real_open = os.open

    def read_only(path, flags, *args):
        if flags & os.O_WRONLY:
            raise OSError(errno.EROFS, "Read-only file system")
        return real_open(path, flags, *args)

    monkeypatch.setattr("search.feedback.os.open", read_only)
    body = {"q": "payment", "doc": c["doc"], "start": c["start"], "end": c["end"], "helpful": True}
    r = client.post("/api/feedback", json=body)
    assert_error(r, 503, "Read-only file system")
    assert str(tiny_service.settings.data) not in r.get_data(as_text=True)


def test_a_torn_last_line_is_skipped_when_read(tmp_path):
    log = FeedbackLog(tmp_path)
    log.folder.mkdir(parents=True)
    (log.folder / "feedback-2026-01.jsonl").write_text(
        json.dumps({"q": "a", "doc": "d", "start": 0, "end": 1, "helpful": True}) + "\n{\"q\": \"b\", \"do")
    assert [r["q"] for r in log.read()] == ["a"]


@pytest.mark.parametrize("bad", [{"q": None}, {"q": 3}, {"doc": ["d"]}, {"start": "0"}, {"end": 1.5},
                                 {"helpful": "yes"}, {"start": True}, {"text": None}])
def test_a_kept_line_of_the_wrong_shape_is_left_out_and_export_and_report_go_on(tmp_path, bad):
    from search.feedback import report

    log = FeedbackLog(tmp_path)
    log.folder.mkdir(parents=True)
    good = {"q": "a", "doc": "d", "start": 0, "end": 1, "helpful": True, "text": "t"}
    (log.folder / "feedback-2026-01.jsonl").write_text(json.dumps({**good, **bad}) + "\n" + json.dumps(good) + "\n")
    rows = log.read()
    assert rows == [good]
    assert report(rows) and export_questions(rows, {"d": "t"})[0]


def test_tune_refuses_fewer_than_two_folds(capsys):
    with pytest.raises(SystemExit):
        cli.main(["tune", "questions.jsonl", "--folds", "1"])
    assert "--folds: must be a whole number of at least 2" in capsys.readouterr().err


def test_feedback_survives_a_rebuild(client, tiny_service, tiny_seeds, fake_embedder):
    from search.build import build_index

    c, _ = cite(client)
    client.post("/api/feedback", json={"q": "payment", "doc": c["doc"], "start": c["start"], "end": c["end"],
                                       "helpful": True})
    (tiny_seeds / "gamma.txt").write_text("Gamma\n\nA new document about parks and their gardens.\n")
    assert build_index(tiny_seeds, tiny_service.settings.index, fake_embedder, progress=False,
                       log=lambda m: None).published
    assert len(kept(tiny_service)) == 1


def test_judged_keeps_each_passages_latest_judgement_per_question():
    rows = [{"q": "Why?", "doc": "a", "start": 0, "end": 5, "helpful": True, "text": "hello"},
            {"q": " WHY? ", "doc": "a", "start": 0, "end": 5, "helpful": False, "text": "hello"},
            {"q": "why?", "doc": "a", "start": 9, "end": 12, "helpful": True, "text": "you"},
            {"q": "other", "doc": "a", "start": 0, "end": 5, "helpful": False, "text": "hello"}]
    out = judged(rows)
    assert [(q["query"], len(q["helpful"]), len(q["not_helpful"])) for q in out] == [("Why?", 1, 1), ("other", 0, 1)]
    answered, unanswered, dropped = export_questions(rows, {"a": "hello you"})
    assert answered[0]["gold"] == [{"file": "a", "quote": "you", "grade": 2, "section": []}]
    assert [q["query"] for q in unanswered] == ["other"] and dropped == 0
    assert export_questions(rows, {"a": "changed"})[2] == 1   # quotes no longer in the document are dropped


def test_export_is_read_back_by_eval_and_the_report_names_unhelped_questions(client, tiny_service, monkeypatch,
                                                                          tmp_path, capsys):
    for q, rank, helpful in [("payment by results", 0, True), ("social housing waiting lists", 0, True),
                             ("payment by results", 1, False), ("opening hours of libraries", 0, False)]:
        c, _ = cite(client, q, rank)
        assert client.post("/api/feedback", json={"q": q, "doc": c["doc"], "start": c["start"], "end": c["end"],
                                                  "helpful": helpful}).status_code == 201
    settings = tiny_service.settings
    monkeypatch.setenv("SEARCH_ENCODER", "fake")
    monkeypatch.setenv("SEARCH_DATA", str(settings.data))
    out = tmp_path / "judged.jsonl"
    assert cli.main(["feedback", "export", str(out), "--index", str(settings.index)]) == 0
    questions = [json.loads(line) for line in out.read_text().splitlines()]
    assert [q["query"] for q in questions] == ["payment by results", "social housing waiting lists"]
    assert all(g["grade"] == 2 and g["section"] for q in questions for g in q["gold"])
    unanswered = [json.loads(line) for line in (tmp_path / "judged.unanswered.jsonl").read_text().splitlines()]
    assert [q["query"] for q in unanswered] == ["opening hours of libraries"]
    capsys.readouterr()
    assert cli.main(["eval", str(out), "--json", "--index", str(settings.index)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["all"]["n"] == 2 and report["all"]["success1"] == 1.0   # each was judged at rank 1
    assert cli.main(["feedback", "report"]) == 0
    text = capsys.readouterr().out
    assert "4 judgements (2 helpful, 2 not helpful) of 3 questions" in text
    assert "questions with no helpful result: 1\n  opening hours of libraries" in text
