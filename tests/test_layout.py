"""The document page's layout: a reader's stored blocks when the document has them, line shapes otherwise."""
from dataclasses import replace

from search.model import Document, Heading, Outline, Passage
from search.readers import read
from web.layout import layout_document


def blocks_of(doc):
    return [(b.kind, b.text, b.items, b.rows) for s in layout_document(doc, []) for b in s.blocks]


def test_stored_blocks_decide_what_is_a_list_a_table_or_a_paragraph():
    result = read(".html", b"<h1>Fees</h1><p>1) This line is a paragraph, not a list.</p>"
                           b"<ul><li>one</li><li>two</li></ul><table><tr><td>A</td><td>B</td></tr></table>")
    outline = Outline((Heading(0, 6, 1, "Fees", ("Fees",)),))
    doc = Document("f.html", "Fees", "", result.text, outline)
    guessed = blocks_of(doc)
    kept = Document.from_json({**doc.to_json(), "blocks": [b.to_json() for b in result.blocks]})   # as documents.jsonl holds them
    known = blocks_of(kept)
    assert guessed[1][0] == "list"                              # the line shape looks like a numbered item
    assert known == [("heading", "Fees", [], []),
                     ("paragraph", "1) This line is a paragraph, not a list.", [], []),
                     ("list", "- one\n- two", ["one", "two"], []),
                     ("table", "A\tB", [], [["A", "B"]])]


def test_a_passage_boundary_inside_a_block_cuts_it_without_losing_text():
    result = read(".md", b"# Notes\n\nFirst paragraph of notes.\n\n- one\n- two\n")
    doc = replace(Document("n.md", "Notes", "", result.text), blocks=tuple(result.blocks))

    cut = result.text.index("paragraph")
    segments = layout_document(doc, [Passage("n.md", cut, len(result.text) - 1, 3, 6, (), result.text[cut:-1])])
    texts = [result.text[b.start:b.end] for s in segments for b in s.blocks]
    assert "".join(texts).replace("\n", "").replace(" ", "") == result.text.replace("\n", "").replace(" ", "")
