"""Markdown: headings from the markup, never from code or tables; front matter gives the title."""
from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from search.chunk import ChunkSettings, chunk_text
from search.documents import load_document
from search.readers import read

ROOT = Path(__file__).resolve().parents[2]
CASES = Path(os.environ.get("SEARCH_SHARED") or ROOT.parent / "shared") / "cases"

GUIDE = """---
title: "Kiosk setup guide"
author: Library IT
---
# Installing the kiosk

Run these commands as the admin user:

```bash
# restart the kiosk service
sudo systemctl restart kiosk
```

After the restart the touch screen shows the booking page.

| # Room | Seats |
|--------|-------|
| North  | 12    |

Setext section
--------------

- first point
  continued
- second point

## Troubleshooting ##

If the screen stays blank, check the cable.
"""


def loaded(tmp_path, name: str, data: bytes):
    seeds = tmp_path / "seeds"
    seeds.mkdir(exist_ok=True)
    (seeds / name).write_bytes(data)
    return load_document(seeds / name, seeds)


def test_front_matter_gives_the_title_and_is_left_out_of_the_text(tmp_path):
    doc = loaded(tmp_path, "guide.md", GUIDE.encode())
    assert doc.title == "Kiosk setup guide"
    assert doc.text == GUIDE.split("---\n", 2)[2]
    assert "author" not in doc.text and "Library IT" not in doc.text


def test_toml_front_matter_gives_the_title_and_is_left_out_of_the_text(tmp_path):
    body = "# Opening hours\n\nThe library opens at nine on weekdays.\n"
    doc = loaded(tmp_path, "hours.md", ('+++\ntitle = "Library hours"\ndraft = false\n+++\n' + body).encode())
    assert (doc.title, doc.text) == ("Library hours", body)


def test_headings_come_from_the_markup_only(tmp_path):
    doc = loaded(tmp_path, "guide.md", GUIDE.encode())
    assert [(h.text, h.path) for h in doc.outline] == [
        ("Installing the kiosk", ("Installing the kiosk",)),
        ("Setext section", ("Installing the kiosk", "Setext section")),
        ("Troubleshooting", ("Installing the kiosk", "Troubleshooting")),
    ]
    for h in doc.outline:
        assert doc.text.count("\n", 0, h.start) + 1 == h.line
    assert doc.outline.section_at(doc.text.index("sudo")) == ("Installing the kiosk",)
    assert doc.outline.section_at(doc.text.index("North")) == ("Installing the kiosk",)


def test_blocks_are_exact_spans_of_the_stored_text():
    result = read(".md", GUIDE.encode())
    spans = {b.kind: [] for b in result.blocks}
    for b in result.blocks:
        spans[b.kind].append(result.text[b.start:b.end])
    assert spans["code"] == ["```bash\n# restart the kiosk service\nsudo systemctl restart kiosk\n```"]
    assert spans["table"] == ["| # Room | Seats |\n|--------|-------|\n| North  | 12    |"]
    assert spans["item"] == ["- first point\n  continued", "- second point"]
    assert spans["heading"] == ["# Installing the kiosk", "Setext section\n--------------", "## Troubleshooting ##"]
    assert [b.level for b in result.blocks if b.kind == "heading"] == [1, 2, 2]
    starts = [b.start for b in result.blocks]
    assert starts == sorted(starts) and all(a.end <= b.start for a, b in zip(result.blocks, result.blocks[1:]))


def test_a_file_without_front_matter_bom_or_cr_is_stored_unchanged():
    text = "# Beta notes\n\n## Housing\n\nSocial housing waiting lists grew.\n"
    assert read(".md", text.encode()).text == text


def test_markdown_without_markup_headings_is_left_to_the_detector(tmp_path):
    doc = loaded(tmp_path, "notes.md", b"Alpha Report\n\n1. Libraries\n\nPublic libraries lend books.\n\n"
                                       b"2. Probation\n\nPayment by results shifts risk.\n")
    assert [h.text for h in doc.outline][-2:] == ["1. Libraries", "2. Probation"]


def test_a_thematic_break_first_is_not_front_matter():
    text = "---\n\nBody text that follows a rule.\n"
    assert read(".md", text.encode()).text == text


@pytest.mark.skipif(not (CASES / "03-markdown-code-fence-comments").is_dir(), reason="shared cases not present")
def test_case_03_code_is_text_never_a_heading_and_later_passages_keep_their_section():
    folder = CASES / "03-markdown-code-fence-comments" / "docs"
    doc = load_document(folder / "kiosk-guide.md", folder)
    assert [h.text for h in doc.outline] == ["Kiosk setup guide", "Installing the booking kiosk", "Troubleshooting"]
    passages = chunk_text(doc.doc_id, doc.text, doc.outline, ChunkSettings(), lambda s: len(s.split()))
    after = next(p for p in passages if "touch screen shows" in p.text)
    assert after.section == ("Kiosk setup guide", "Installing the booking kiosk")
    assert any("# update the package list" in p.text for p in passages)
    for p in passages:
        assert doc.text[p.start:p.end] == p.text


def test_hostile_heading_lines_read_in_linear_time():
    def seconds(n: int) -> float:
        data = ("---\ntitle:" + " " * min(n, 30_000) + "x" + " " * min(n, 30_000) + "\n---\n"
                + "#" + " " * n + "a\n" + "# " * n + "\n" + "[" * n + "\n").encode()
        t0 = time.process_time()
        read(".md", data)
        return time.process_time() - t0

    seconds(1000)
    small, large = min(seconds(20_000) for _ in range(3)), min(seconds(200_000) for _ in range(3))
    assert large < 30 * small + 0.05, (small, large)   # ten times the input: about ten times the time


def test_without_markup_headings_code_is_still_never_a_heading(tmp_path):
    text = ("Kiosk notes\n\nRun this on the kiosk as the admin user, then wait a minute.\n\n"
            "```\n# Restart The Kiosk Service\nsudo systemctl restart kiosk\n```\n\n"
            "After the restart the touch screen shows the room booking page.\n")
    doc = loaded(tmp_path, "notes.md", text.encode())
    assert doc.text == text
    assert all("Restart" not in h.text for h in doc.outline)
    assert doc.outline.section_at(text.index("After the restart")) == doc.outline.section_at(0)
