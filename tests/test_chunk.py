"""Passages of every seed document: exact slices, right lines, inside one section, within the window."""
import pytest

from search.chunk import ChunkSettings, chunk_text, paragraph_units, sentence_spans
from search.documents import discover, load_document
from search.encoders import count_tokens

from .conftest import SEEDS

DOCS = [load_document(p, SEEDS) for p in discover(SEEDS)]


@pytest.fixture(scope="module", params=DOCS, ids=lambda d: d.doc_id)
def doc_passages(request):
    doc = request.param
    return doc, chunk_text(doc.doc_id, doc.text, doc.outline, ChunkSettings(), count_tokens)


def test_text_is_the_exact_source_slice(doc_passages):
    doc, passages = doc_passages
    assert passages
    for p in passages:
        assert doc.text[p.start:p.end] == p.text
        assert p.text == p.text.strip() and p.text


def test_line_numbers_agree_with_offsets(doc_passages):
    doc, passages = doc_passages
    lines = doc.text.split("\n")
    for p in passages:
        assert doc.text.count("\n", 0, p.start) + 1 == p.line_start
        assert doc.text.count("\n", 0, p.end - 1) + 1 == p.line_end
        assert p.text in "\n".join(lines[p.line_start - 1:p.line_end])


def test_no_passage_spans_a_heading(doc_passages):
    doc, passages = doc_passages
    starts = [h.start for h in doc.outline.headings]
    for p in passages:
        inside = [s for s in starts if p.start < s < p.end]
        assert not inside, f"{p.doc_id}:{p.line_start} crosses the heading at {inside}"
        assert p.section == doc.outline.section_at(p.start)


def test_passages_fit_the_model_window_and_do_not_overlap(doc_passages):
    doc, passages = doc_passages
    for p in passages:
        assert count_tokens(p.text) <= ChunkSettings().max_tokens
    for a, b in zip(passages, passages[1:]):
        assert a.end <= b.start


def test_every_sentence_of_the_document_is_in_some_passage(doc_passages):
    """Only heading lines of sections without body text may be left out."""
    doc, passages = doc_passages
    covered = set()
    for p in passages:
        covered.update(range(p.start, p.end))
    headings = set()
    for h in doc.outline.headings:
        headings.update(range(h.start, h.end))
    missing = [i for i, c in enumerate(doc.text) if not c.isspace() and i not in covered and i not in headings]
    assert not missing, doc.text[missing[0]:missing[0] + 80]


def test_long_paragraph_is_cut_at_sentence_ends():
    sentence = "The probation service supervises offenders released from short prison sentences. "
    text = "Intro\n\n" + sentence * 40
    from search.sections import detect_outline

    passages = chunk_text("d", text, detect_outline(text), ChunkSettings(target_tokens=60, max_tokens=80), count_tokens)
    assert len(passages) > 3
    for p in passages[1:]:
        assert p.text.endswith("sentences.")
        assert p.text.startswith("The probation")


def test_sentence_spans_keep_abbreviations_together():
    text = "Services e.g. libraries are cut. Mr. Smith agreed. Next one"
    spans = [text[a:b] for a, b in sentence_spans(text, 0, len(text))]
    assert spans == ["Services e.g. libraries are cut.", "Mr. Smith agreed.", "Next one"]


def test_paragraph_units_split_one_paragraph_per_line_text_but_not_wrapped_lines():
    text = "First paragraph ends here.\nSecond starts here.\n\nA wrapped line that goes\non and on.\n"
    units = [text[a:b] for a, b, _ in paragraph_units(text, 0, len(text))]
    assert units == ["First paragraph ends here.", "Second starts here.", "A wrapped line that goes\non and on."]


def _words(t):
    return len(t.split())


def test_no_passage_is_longer_than_max_chars_even_inside_one_enormous_word():
    from search.sections import detect_outline

    text = "Intro\n\nSome words first. " + "x" * 9000 + " and then the end.\n"
    settings = ChunkSettings(max_chars=1000)
    passages = chunk_text("d", text, detect_outline(text), settings, _words)
    assert max(len(p.text) for p in passages) <= 1000
    assert "".join(p.text for p in passages).count("x") == 9000
    for p in passages:
        assert text[p.start:p.end] == p.text


def test_a_heading_never_forms_a_passage_of_its_own_when_body_text_follows():
    from search.sections import detect_outline

    sentence = "The probation service supervises offenders released from short prison sentences. "
    text = "1. Scope\n\n" + sentence * 30 + "\n\n2. Plan\n\nShort.\n"
    outline = detect_outline(text)
    passages = chunk_text("d", text, outline, ChunkSettings(target_tokens=60, max_tokens=80), count_tokens)
    heads = {(h.start, h.end) for h in outline.headings}
    assert not any((p.start, p.end) in heads for p in passages)
    assert passages[0].text.startswith("1. Scope\n\nThe probation")
    assert all(count_tokens(p.text) <= 80 for p in passages)


def test_punctuation_only_text_makes_no_passage():
    from search.sections import detect_outline

    text = "Intro paragraph about libraries.\n\n" + "." * 5000 + "\n"
    passages = chunk_text("d", text, detect_outline(text), ChunkSettings(), _words)
    assert [p.text for p in passages] == ["Intro paragraph about libraries."]
