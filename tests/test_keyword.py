"""Keyword ranking: which words of a question BM25 matches, and that an index keeps its own list."""
import json

import pytest

from search.stores.folder import versions as store
from search.build import build_index
from search.stores.folder import FolderStore
from search.errors import IndexMismatch
from search.terms import tokenize
from search.terms import DEFAULT_STOPWORDS, TOKENIZER_VERSION


def test_question_words_are_dropped_and_content_words_stemmed():
    terms = tokenize(["What could councils do about the housing they would own?"])[0]
    assert terms == ["council", "hous"]


def test_the_older_list_keeps_question_words():
    assert {"what", "could", "would"} <= set(tokenize(["What could councils do, would they?"], "en")[0])


def _set_stopwords(index_dir, name):
    folder = store.current_version(index_dir)
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["keyword"]["stopwords"] = name
    (folder / "manifest.json").write_text(json.dumps(manifest))
    return folder


@pytest.fixture
def older_index(tiny_seeds, tmp_path, fake_embedder, monkeypatch):
    """An index built before the default list changed: its manifest names "en"."""
    import search.build

    monkeypatch.setitem(search.build.KEYWORD_PARAMS, "stopwords", "en")
    build_index(tiny_seeds, tmp_path / "older", fake_embedder, progress=False, log=lambda m: None)
    monkeypatch.undo()
    return tmp_path / "older"


def test_questions_are_tokenized_with_the_list_the_index_was_built_with(tiny_index, older_index, fake_embedder):
    question = "when are libraries most open"
    assert FolderStore.open(tiny_index, fake_embedder).keyword.query_terms(question) == ["librari", "open"]
    older = FolderStore.open(older_index, fake_embedder)
    assert older.keyword.stopwords == "en"
    assert older.keyword.query_terms(question) == ["when", "librari", "most", "open"]


def test_an_unknown_list_is_refused_with_the_rebuild_hint(tiny_index, fake_embedder):
    _set_stopwords(tiny_index, "klingon")
    with pytest.raises(IndexMismatch, match="unknown stop-word list 'klingon'.*python -m search build"):
        FolderStore.open(tiny_index, fake_embedder)


def test_a_build_after_the_list_changed_publishes_a_version_with_the_new_list(older_index, tiny_seeds, fake_embedder):
    old = store.current_version(older_index)
    build_index(tiny_seeds, older_index, fake_embedder, progress=False, log=lambda m: None)
    assert store.current_version(older_index) != old
    assert FolderStore.open(older_index, fake_embedder).keyword.stopwords == DEFAULT_STOPWORDS == TOKENIZER_VERSION


def test_the_previous_tokenizer_is_kept_under_its_name_for_indexes_built_with_it():
    text = ["Recommendation 3: fees rose 7% (CP1/2013)"]
    assert tokenize(text, "english-function-words") == [["recommend", "fee", "rose", "cp1", "2013"]]
    assert {"recommend_3", "7%", "cp1/2013"} <= set(tokenize(text)[0])
