"""Tuning: cross-validated fusion settings, published only when held-out nDCG@10 improves, kept by later builds."""
import hashlib
import json

import numpy as np
import pytest

from search import cli
from search.build import build_index
from search.encoders import FakeEncoder
from search.settings import Settings
from search.stores import open_store, open_writer
from search.tune import tune

CODES = ["zorblat", "quixet", "marvane", "trellop", "vinquor", "dasplin", "glomrix", "hestavo", "prundel", "wexolin",
         "lumbrik", "sorvane", "tepliqa", "yarnish", "cobrelt", "faxumel", "jindrop", "nexalor", "ploskiv", "umbrane"]
FILLER = "the council reviewed service funding and staff arrangements across the region this year"


class NoiseEncoder:
    """Vectors that carry no meaning (a hash-seeded random direction per text): only keywords can find answers."""

    name, dim, threads = "noise-encoder", 32, 1

    def encode(self, texts, progress=False):
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            seed = int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little")
            v = np.random.default_rng(seed).standard_normal(self.dim)
            out[row] = v / np.linalg.norm(v)
        return out


def sentence(code: str) -> str:
    return f"The {code} scheme: {FILLER}."


@pytest.fixture
def coded_seeds(tmp_path):
    """Twenty sections that read alike but for one made-up word each, in two documents."""
    folder = tmp_path / "seeds"
    folder.mkdir()
    for n, half in enumerate((CODES[:10], CODES[10:])):
        body = "".join(f"## Part {code}\n\n{sentence(code)}\n\n" for code in half)
        (folder / f"doc{n}.md").write_text(f"# Report {n}\n\n{body}", encoding="utf-8")
    return folder


def questions(text=lambda code: f"what about {code} for funding"):
    return [{"id": code, "query": text(code), "gold": [{"file": f"doc{i // 10}.md", "quote": sentence(code),
                                                      "grade": 2, "section": [f"Report {i // 10}", f"Part {code}"]}]}
            for i, code in enumerate(CODES)]


def test_keyword_questions_move_the_weights_towards_keywords_and_raise_held_out_ndcg(coded_seeds, tmp_path):
    encoder = NoiseEncoder()
    settings = Settings(seeds=coded_seeds, index=tmp_path / "index")
    build_index(coded_seeds, open_writer(settings), encoder, progress=False, log=lambda m: None)
    store = open_store(settings, encoder)
    report = tune(store, encoder, questions(), folds=5)
    assert report.improved and report.after > report.before
    assert report.fitted.dense_weight < report.current.dense_weight
    assert all(f.after >= f.before for f in report.folds) and len(report.folds) == 5
    assert "held-out nDCG@10: before" in report.summary()


def test_the_cli_publishes_fitted_settings_without_embedding_and_a_plain_build_keeps_them(coded_seeds, tmp_path,
                                                                                         monkeypatch, capsys):
    encoder = NoiseEncoder()
    index = tmp_path / "index"
    monkeypatch.setattr("search.encoders.load_encoder", lambda settings, lazy=False: encoder)
    file = tmp_path / "judged.jsonl"
    file.write_text("".join(json.dumps(q) + "\n" for q in questions()))
    args = ["--index", str(index), "--seeds", str(coded_seeds)]
    assert cli.main(["tune", str(file), "--min-gain", "1", *args]) == 0   # builds the index first: there is none
    assert "under the minimum 1" in capsys.readouterr().out
    built = (index / "CURRENT").read_text()
    assert "tuning" not in open_store(Settings(index=index), encoder).info()
    assert cli.main(["tune", str(file), *args]) == 0
    out = capsys.readouterr().out
    assert (index / "CURRENT").read_text() != built
    assert "fold 5:" in out and "published the fitted settings" in out
    store = open_store(Settings(index=index), encoder)
    fusion, tuning = store.info()["fusion"], store.info()["tuning"]
    assert fusion["dense_weight"] < 0.75 and tuning["heldout_ndcg10_after"] > tuning["heldout_ndcg10_before"]
    calls = []
    monkeypatch.setattr(encoder, "encode", lambda texts, progress=False: calls.append(len(texts)) or
                        NoiseEncoder.encode(encoder, texts))
    report = build_index(coded_seeds, open_writer(Settings(index=index)), encoder, progress=False, log=lambda m: None)
    assert not report.published and calls == []   # a plain build keeps the fitted settings
    assert open_store(Settings(index=index), encoder).info()["fusion"] == fusion
    assert cli.main(["tune", str(file), "--reset", *args]) == 0
    assert open_store(Settings(index=index), encoder).info()["fusion"]["dense_weight"] == 0.75
    assert calls == [1]   # the republish embedded only its test question


def test_questions_that_agree_with_todays_settings_change_nothing(coded_seeds, tmp_path, monkeypatch, capsys):
    encoder = FakeEncoder()
    settings = Settings(seeds=coded_seeds, index=tmp_path / "index")
    build_index(coded_seeds, open_writer(settings), encoder, progress=False, log=lambda m: None)
    live = (settings.index / "CURRENT").read_text()
    monkeypatch.setattr("search.encoders.load_encoder", lambda settings, lazy=False: encoder)
    file = tmp_path / "judged.jsonl"
    file.write_text("".join(json.dumps(q) + "\n" for q in questions(sentence)))
    assert cli.main(["tune", str(file), "--index", str(settings.index), "--seeds", str(coded_seeds)]) == 0
    out = capsys.readouterr().out
    assert "no improvement held out" in out and "nothing changed" in out
    assert (settings.index / "CURRENT").read_text() == live


def test_tune_refuses_a_bad_question_file_before_loading_anything(tmp_path, capsys):
    bad = tmp_path / "bad.jsonl"
    bad.write_text("not json\n")
    assert cli.main(["tune", str(bad), "--index", str(tmp_path / "none")]) == 2
    assert "not JSON" in capsys.readouterr().err
