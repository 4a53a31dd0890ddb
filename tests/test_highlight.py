"""Highlights: sentence units, answers that are body text, keyword marks on identifiers and folded text."""
import numpy as np

from search.chunk import ChunkSettings, chunk_text
from search.highlight import answer_ranges, keyword_ranges
from search.sections import detect_outline
from search.sentences import sentence_spans
from search.terms import tokenize


def _spans(text):
    return [text[a:b] for a, b in sentence_spans(text, 0, len(text))]


def test_headings_list_items_and_bullets_are_units_and_a_heading_without_a_stop_never_runs_on():
    text = ("Key findings\nFees rose this year. They fell in 2010.\n"
            "1. Budget cuts were deep\n2. Volunteers replaced staff\n- Keep services local\n• Pay for travel")
    assert _spans(text) == ["Fees rose this year.", "They fell in 2010.", "1. Budget cuts were deep",
                            "2. Volunteers replaced staff", "- Keep services local", "• Pay for travel"]


def test_the_heading_of_a_passage_is_not_among_its_answer_sentences():
    text = "Question C4: How should oversight be specified in contracts?\n\nOversight must stay public.\n"
    outline = detect_outline(text)
    assert [h.text for h in outline.headings] == ["Question C4: How should oversight be specified in contracts?"]
    (p,) = chunk_text("d", text, outline, ChunkSettings(), lambda t: len(t.split()))
    assert p.start == 0   # the heading is part of the passage ...
    assert [text[a:b] for a, b in sentence_spans(text, p.start, p.end)] == ["Oversight must stay public."]  # ... not an answer


def test_a_one_sentence_passage_is_highlighted_when_it_answers():
    one = [(0, 20)]
    assert answer_ranges(one, np.array([0.6])) == [(0, 20)]
    assert answer_ranges(one, np.array([0.05])) == []
    two = [(0, 10), (11, 20)]
    assert answer_ranges(two, np.array([0.2, 0.7])) == [(11, 20)]


def test_identifiers_and_figures_are_marked_whole():
    text = "Recommendation 3: publish times. Recommendation 13 follows. Fees rose 7%, not 17%; see CP1/2013 and £1.5bn."
    stems = set(tokenize(["recommendation 3, 7%, CP1/2013, £1.5bn"])[0])
    marked = [text[a:b] for a, b in keyword_ranges(text, stems)]
    assert "Recommendation 3" in marked and "7%" in marked and "CP1/2013" in marked and "£1.5bn" in marked
    assert "17%" not in marked and "Recommendation 13" not in marked


def test_folded_matches_map_back_to_the_source_characters():
    text = "Yr ŵyl a \u0077\u0302yl, the \ufb01nancial year, ＦＬＯＯＤ risk, the children’s centre"
    for question in ("ŵyl", "w\u0302yl"):
        marked = [text[a:b] for a, b in keyword_ranges(text, set(tokenize([question])[0]))]
        assert marked == ["ŵyl", "w\u0302yl"]
    marked = [text[a:b] for a, b in keyword_ranges(text, set(tokenize(["financial flood children's"])[0]))]
    assert marked == ["\ufb01nancial", "ＦＬＯＯＤ", "children"]


from hypothesis import assume, given, settings as hsettings, strategies as st   # noqa: E402


@hsettings(max_examples=300, deadline=None)
@given(st.text(alphabet="abcXYZ ’‘`éÉßİﬁ\u0301\u00a0ｐＡ½①ﬀΣς—“”-.,0123\u0647\u0650", max_size=16))
def test_the_fast_fold_agrees_with_folding_one_character_at_a_time(text):
    from search.highlight import fold_by_character, fold_map

    assume(not text.isascii())   # ASCII text maps to itself, lower-cased, on a path of its own
    assert fold_map(text) == fold_by_character(text)
