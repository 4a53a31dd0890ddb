"""What each retriever reads for a passage: the embedder and BM25 may see more than the cited text.

The cited text never changes; these only shape matching. Both are recorded in the manifest.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

from .chunk import Passage


@dataclass(frozen=True)
class RepresentSettings:
    dense_headings: int = 0      # innermost headings prefixed to the text the embedder reads
    keyword_headings: int = 9    # innermost headings appended to the text BM25 indexes
    max_heading_chars: int = 120  # longer "headings" (a whole comment) are not repeated

    def as_dict(self) -> dict:
        return asdict(self)


def _heads(section: tuple[str, ...], n: int, limit: int) -> list[str]:
    return [h for h in section[-n:] if len(h) <= limit] if n else []


def dense_text(p: Passage, title: str, settings: RepresentSettings) -> str:
    heads = _heads(p.section, settings.dense_headings, settings.max_heading_chars)
    heads = [h for h in heads if not p.text.startswith(h)]
    return "\n".join(heads + [p.text])


def keyword_text(p: Passage, title: str, settings: RepresentSettings) -> str:
    heads = _heads(p.section, settings.keyword_headings, settings.max_heading_chars)
    return "\n".join([p.text] + heads)
