"""Heading detection: a synthetic document with every kind of heading, and things that are not."""
from search.chunk import ChunkSettings, chunk_text
from search.sections import detect_headings, detect_outline

SYNTHETIC = """City Services Review

1. Scope\t2
2. Findings\t5
3. Comments\t9

1. Scope

This review covers libraries and probation services across the city.

2. Findings

Direction of travel

The council plans to merge branch libraries into hubs.

2.1 Libraries Under Pressure
Opening hours fell by a third. The council gave three reasons:
1. Budget cuts were deep.
2. Volunteers replaced staff.

a) More competition

Private providers now bid for contracts.

b) Less accountability

Boards were abolished.

Key points from the seminar:

- Keep services local.

Question C4: How should oversight be specified in contracts?

Oversight must stay public.

Theme 2. Will volunteers fill the gap left by cuts?

Volunteering is on a downward trend.

Witness 3 Jane Doe, Director, Example Trust

Key points from opening statement:

Commissioning is a revolution whose time has come.

Postscript:-
A later note about contracts.

INVITED GUESTS

Jane Doe\tDirector
12 March 2014

3. Comments

  1. First reader comment on the review.

    ReplyDelete
    Replies
    1. A reply inside the first comment.

      Delete
    2. A second reply.

      Delete
  2. Second reader comment, longer than a title would be, with a full sentence.

    ReplyDelete
"""

EXPECTED = [
    ("City Services Review",),
    ("1. Scope",),
    ("2. Findings",),
    ("2. Findings", "Direction of travel"),
    ("2. Findings", "Direction of travel", "2.1 Libraries Under Pressure"),
    ("2. Findings", "Direction of travel", "2.1 Libraries Under Pressure", "a) More competition"),
    ("2. Findings", "Direction of travel", "2.1 Libraries Under Pressure", "b) Less accountability"),
    ("2. Findings", "Direction of travel", "2.1 Libraries Under Pressure", "b) Less accountability",
     "Question C4: How should oversight be specified in contracts?"),
    ("2. Findings", "Direction of travel", "2.1 Libraries Under Pressure", "b) Less accountability",
     "Question C4: How should oversight be specified in contracts?",
     "Theme 2. Will volunteers fill the gap left by cuts?"),
    ("2. Findings", "Direction of travel", "2.1 Libraries Under Pressure", "b) Less accountability",
     "Question C4: How should oversight be specified in contracts?",
     "Theme 2. Will volunteers fill the gap left by cuts?", "Witness 3 Jane Doe, Director, Example Trust"),
    ("2. Findings", "Postscript:-"),
    ("2. Findings", "Postscript:-", "INVITED GUESTS"),
    ("3. Comments",),
    ("3. Comments", "1. First reader comment on the review."),
    ("3. Comments", "2. Second reader comment, longer than a title would be, with a full sentence."),
]


def test_synthetic_document_gets_exactly_the_expected_paths():
    assert [h.path for h in detect_headings(SYNTHETIC)] == EXPECTED


def test_heading_offsets_point_at_the_heading_text():
    for h in detect_headings(SYNTHETIC):
        assert SYNTHETIC[h.start:h.end].strip().startswith(h.text[:20])
        assert SYNTHETIC.count("\n", 0, h.start) + 1 == h.line


def test_contents_list_list_items_and_lead_ins_are_not_headings():
    texts = [h.text for h in detect_headings(SYNTHETIC)]
    assert texts.count("1. Scope") == 1                      # the contents entry is not a heading
    assert not any(t.startswith("1. Budget") for t in texts)  # list item that is a sentence
    assert not any(t.startswith("Key points") for t in texts)  # lead-in ending with a colon
    assert not any("reply" in t.lower() for t in texts)      # replies belong to their comment
    assert "12 March 2014" not in texts                      # a date
    assert "Jane Doe\tDirector" not in texts                 # a table row


def test_numbered_list_out_of_sequence_is_not_a_heading():
    text = "1. Intro\n\nText.\n\n2. Plan\n\nWe want:\n\n1. Stronger trusts\n\n1. Local control\n\n3. Next\n\nEnd.\n"
    assert [h.text for h in detect_headings(text)] == ["1. Intro", "2. Plan", "3. Next"]


def test_markdown_headings_nest_by_level():
    text = "# Top\n\nIntro.\n\n## Sub\n\nBody.\n\n### Deeper\n\nMore.\n\n## Sub two\n\nEnd.\n"
    assert [h.path for h in detect_headings(text)] == [
        ("Top",), ("Top", "Sub"), ("Top", "Sub", "Deeper"), ("Top", "Sub two")]


def test_section_at_returns_the_innermost_enclosing_path():
    outline = detect_outline(SYNTHETIC)
    at = SYNTHETIC.index("Oversight must stay public")
    assert outline.section_at(at)[-1].startswith("Question C4")
    assert outline.section_at(0) == ("City Services Review",)
    assert detect_outline("Some preamble text here.\n\nIntro\n\nBody.\n").section_at(0) == ()
    reply = SYNTHETIC.index("A reply inside")
    assert outline.section_at(reply)[-1] == "1. First reader comment on the review."


def test_a_wrapped_paragraph_tail_is_not_a_heading():
    text = "Intro\n\nThe council said that it would look again at the plans for the\nCentral Library\n\nEnd of story here.\n"
    assert [h.text for h in detect_headings(text)] == ["Intro"]


def test_labelled_lines_listed_without_text_of_their_own_are_content_not_headings():
    text = ("1. Findings\n\nPrice won in most areas.\n\n"
            "Recommendation 1: Councils should award contracts of at least five years.\n\n"
            "Recommendation 2: Quality should count for at least half of the score.\n\n"
            "2. Next steps\n\nWe will report.\n")
    outline = detect_outline(text)
    assert [h.path for h in outline.headings] == [("1. Findings",), ("2. Next steps",)]
    passages = chunk_text("d", text, outline, ChunkSettings(), lambda t: len(t.split()))
    assert any("Quality should count for at least half" in p.text and p.section == ("1. Findings",)
               for p in passages)


def test_q_and_a_number_labels_a_question_heading():
    text = "Questions\n\nQ1. Who pays for training?\n\nProviders pay.\n\nQ 2: What about hours?\n\nMost are short.\n"
    assert [h.path for h in detect_headings(text)] == [
        ("Questions",), ("Questions", "Q1. Who pays for training?"), ("Questions", "Q 2: What about hours?")]
    assert [h.text for h in detect_headings("QA\n\nQuality assurance.\n")] == ["QA"]


REPORT = """Annual Review of Library Services

Contents
Summary ........ 2
    Key findings ........ 3
1. Introduction ........ 4
    1.1 Scope ........ 4
2. Findings ........ 6
Annex A: Methods ........ 9

Summary

The review looked at twelve branch libraries over two years.

Key findings

Visits fell in most branches but rose where hours were kept.

What readers told us

Readers asked for longer hours.

1. Introduction

The council asked for this review in 2011.

1.1 Scope

Twelve branches were visited.

Table 1: Visits by branch, 2010 to 2012

Visits fell by a fifth on average across the city.

2. Findings

Figure 2 – Opening hours and visits

Branches that kept their hours kept their visitors.

Chart 3

Staffing

Volunteers ran four branches by the end of the period.

Annex A: Methods

We counted visits at the door.

Annex: Workshop participants

Jane Doe, Example Trust
John Roe, City Council

Nottingham, 14 June 2012

Yours sincerely

John Smith

Chair of the Review Panel
"""


def test_a_contents_list_gives_levels_and_unlisted_headings_nest_under_the_listed_one_before():
    assert [h.path for h in detect_headings(REPORT)] == [
        ("Annual Review of Library Services",),
        ("Summary",),
        ("Summary", "Key findings"),                          # indented in the contents: level 2
        ("Summary", "Key findings", "What readers told us"),  # not listed: under the listed heading before it
        ("1. Introduction",),
        ("1. Introduction", "1.1 Scope"),
        ("2. Findings",),
        ("2. Findings", "Staffing"),                          # captions before it are neither headings nor parents
        ("Annex A: Methods",),
        ("Annex: Workshop participants",),                    # an annex stands at the top, listed or not
    ]


def test_captions_datelines_and_sign_offs_are_never_headings():
    texts = [h.text for h in detect_headings(REPORT)]
    for line in ("Table 1: Visits by branch, 2010 to 2012", "Figure 2 – Opening hours and visits", "Chart 3",
                 "Nottingham, 14 June 2012", "Yours sincerely", "John Smith", "Chair of the Review Panel"):
        assert line not in texts


def test_without_a_contents_list_annexes_are_top_level_headings_and_datelines_are_not():
    text = ("Consultation response\n\n1. Background\n\nThe council consulted in spring.\n\n2. Views\n\n"
            "Most people agreed.\n\nAppendix 2 – Survey questions\n\nWe asked ten questions.\n\n"
            "Schedule 1\n\nFees for each service.\n\nLeeds, 3rd March 2015\n\nSigned: Jane Doe\n\n"
            "Head of Policy\n")
    assert [h.path for h in detect_headings(text)] == [
        ("Consultation response",), ("1. Background",), ("2. Views",),
        ("Appendix 2 – Survey questions",), ("Schedule 1",)]


def test_a_caption_never_becomes_a_parent_of_the_sections_after_it():
    text = ("Results\n\nText.\n\nFigure 4: Trend in visits\n\nMore text.\n\nTable 2 – Costs\n\nCosts rose.\n\n"
            "Next steps\n\nWe will report.\n")
    assert [h.path for h in detect_headings(text)] == [("Results",), ("Next steps",)]


def test_contents_entries_with_tabs_and_a_longer_heading_in_the_body():
    text = ("Report\n\n1. Scope\t2\n2. Conclusion by the panel chair\t5\n3. Annexes\t7\n\n1. Scope\n\nText.\n\n"
            "1.1 Detail\n\nMore.\n\n2. Conclusion by the panel chair, Jane Doe, Director of Services\n\nEnd.\n\n"
            "3. Annexes\n\nList.\n")
    assert [h.path for h in detect_headings(text)] == [
        ("Report",), ("1. Scope",), ("1. Scope", "1.1 Detail"),
        ("2. Conclusion by the panel chair, Jane Doe, Director of Services",), ("3. Annexes",)]


def test_depth_and_count_are_capped():
    text = "".join(f"X{chr(97 + i // 26)}{chr(97 + i % 26)}a 1: Heading\n\nBody text.\n\n" for i in range(300))
    headings = detect_headings(text, max_headings=100, max_depth=5)
    assert len(headings) == 100
    assert max(len(h.path) for h in headings) == 5


def test_a_markdown_heading_of_spaces_is_read_without_backtracking():
    text = "#" + " " * 20000 + "a\n\nBody.\n"
    assert [h.path for h in detect_headings(text)] == [("a",)]
    assert [h.path for h in detect_headings("## Closed heading ##\n\nBody.\n")] == [("Closed heading",)]


def test_a_contents_heading_with_plain_page_numbers_and_numbers_on_their_own_lines():
    text = ("Review of Care Charges\n\nContents\n\nSummary 3\n\nRecommendations\n\n5\n\nAnnex A: Data 9\n\n"
            "Summary\n\nCharges rose in most areas.\n\nKey findings\n\nMost people paid more.\n\n"
            "Recommendations\n\nWe make five recommendations.\n\nAnnex A: Data\n\nTables follow.\n\n5\n\nPage text.\n")
    assert [h.path for h in detect_headings(text)] == [
        ("Review of Care Charges",), ("Contents",), ("Summary",), ("Summary", "Key findings"),
        ("Recommendations",), ("Annex A: Data",)]


def test_a_table_of_figures_with_tabs_is_not_taken_for_a_contents_list():
    text = ("Visits\n\nLeeds\t45\nYork\t30\nHull\t12\n\nSummary\n\nVisits fell.\n\nLeeds\n\nVisits fell most in Leeds.\n")
    assert [h.path for h in detect_headings(text)] == [("Visits",), ("Summary",), ("Leeds",)]


def test_depth_is_capped_under_contents_headings_too():
    for depth in (1, 2, 3):
        assert max(len(h.path) for h in detect_headings(REPORT, max_depth=depth)) == depth


def test_an_unnumbered_heading_between_numbered_sections_nests_under_the_one_before():
    text = ("Library Opening Hours Review\n\n1. Summary\n\nThe review considered twelve branches.\n\n"
            "Key findings\n\nEvening opening brings in working adults.\n\n2. Recommendations\n\n"
            "Keep the central library open late.\n")
    assert [h.path for h in detect_headings(text)] == [
        ("Library Opening Hours Review",), ("1. Summary",), ("1. Summary", "Key findings"), ("2. Recommendations",)]
    # after the last numbered section, with no such heading inside one before, it stands at the top
    closing = text + "\nFurther reading\n\nThe committee papers of June.\n"
    closing = closing.replace("Key findings\n\n", "")
    assert detect_headings(closing)[-1].path == ("Further reading",)
