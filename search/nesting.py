"""Nest heading candidates by style, the way reStructuredText nests its underline styles.

A heading of a style already open closes back to it; a new style opens a level below. An
unnumbered heading after a numbered section ends the numbered sections unless the top-level
sequence goes on right after it ("Key findings" between "1. Summary" and "2. Plan"). Numbered
headings continue an open sequence (``2.`` after ``1.``) or start a new one at 1, which must go on
to 2 before another 1 of its style restarts it. The document's first numbered sequence is its top
level. Used by ``sections.detect_headings``, which also resets it under each contents-list heading.

    >>> from types import SimpleNamespace as C
    >>> cands = [C(family="title", rank=0, style="", number=0, entry=False, text="Scope"),
    ...          C(family="caps", rank=0, style="", number=0, entry=False, text="KEY POINTS"),
    ...          C(family="title", rank=0, style="", number=0, entry=False, text="Plan")]
    >>> n = Nesting(cands, max_depth=8)
    >>> [[e.text for e in n.place(k, True)] for k in range(3)]
    [['Scope'], ['Scope', 'KEY POINTS'], ['Plan']]

Each placement looks at the open stack only (at most ``max_depth`` deep), and where each numbered
style next appears is found in one backward pass, so placing n headings is linear in n.
"""
from __future__ import annotations


class Nesting:
    """The open headings (a stack) as candidates are placed one by one, in document order."""

    def __init__(self, cands: list, max_depth: int = 8):
        self.cands = cands
        self.max_depth = max(1, max_depth)
        self.depth = self.max_depth      # room left under the contents headings open above
        # next_same[k]: the next candidate of candidate k's numbering style, if any
        self.next_same: list[int | None] = [None] * len(cands)
        # next_numbered[k]: the first numbered candidate after candidate k, if any
        self.next_numbered: list[int | None] = [None] * len(cands)
        seen: dict[str, int] = {}
        following = None
        for k in range(len(cands) - 1, -1, -1):
            self.next_numbered[k] = following
            style = cands[k].style
            if style:
                self.next_same[k] = seen.get(style)
                seen[style] = k
                following = k
        self.reset(0)

    def reset(self, base_depth: int) -> None:
        """Start afresh under ``base_depth`` headings that are open above this nesting."""
        self.stack: list = []
        self.depth = max(1, self.max_depth - base_depth)
        self.seen_sequence = base_depth > 0   # under a contents heading, the top sequence is the contents'
        self.top = None                      # latest heading of the top-level numbered sequence
        self.styles_inside_numbers: set[str] = set()

    def _sequence_ok(self, k: int) -> bool:
        """A sequence that starts at 1 must go on to 2 before another 1 of its style restarts it."""
        later = self.next_same[k]
        return later is not None and self.cands[later].number == 2 and \
            self.cands[later].entry == self.cands[k].entry

    def _inside_top(self, k: int) -> bool:
        """Whether the top-level numbered sequence goes on right after candidate ``k`` ("Key findings"
        between "1. Summary" and "2. Recommendations"): then ``k`` sits inside the open section."""
        later = self.next_numbered[k]
        top = self.top
        return (later is not None and top is not None and self.cands[later].style == top.style
                and self.cands[later].number == top.number + 1)

    def place(self, k: int, body_since_last: bool) -> list | None:
        """Open candidate ``k``; the stack of open headings it ends, or None when it is not a heading."""
        c, stack = self.cands[k], self.stack
        if c.style:
            at = next((d for d in range(len(stack) - 1, -1, -1)
                       if stack[d].style == c.style and stack[d].number == c.number - 1), None)
            if at is not None:
                c.family = stack[at].family
                del stack[at:]
            elif self.top is not None and self.top.style == c.style and self.top.number == c.number - 1:
                c.family = self.top.family   # the top-level sequence goes on after unnumbered sections closed it
                stack.clear()
            elif c.number == 1 and self._sequence_ok(k):
                if not self.seen_sequence and c.style[0] == "1":
                    stack.clear()   # the document's first numbered sequence is its top level
                self.seen_sequence = self.seen_sequence or c.style[0] == "1"
                c.family = f"seq:{c.style}:{k}"
            else:
                return None
        elif c.family == "annex":
            stack.clear()           # an annex or appendix stands at the top level
        else:
            same = next((d for d, e in enumerate(stack) if e.family == c.family and e.rank >= c.rank), None)
            if same is not None:
                del stack[same:]
            elif (body_since_last and stack and stack[0].style and c.family not in self.styles_inside_numbers
                  and c.family == "title" and not self._inside_top(k)):
                stack.clear()   # an unnumbered heading never seen inside a numbered section ends them
            if stack and stack[0].style:
                self.styles_inside_numbers.add(c.family)
        if len(stack) >= self.depth:
            del stack[self.depth - 1:]   # too deep: a sibling at the deepest level allowed
        stack.append(c)
        if c.style and len(stack) == 1:
            self.top = c
        return stack
