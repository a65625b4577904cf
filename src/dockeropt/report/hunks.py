"""What every review format suggests: the rewrite as whole-line replacements of the ORIGINAL file.

A rule's ``Fix.edits`` are offsets in the text that rule saw, which after an earlier pass is an
intermediate text, not the user's file. What a reviewer can apply is the difference between
``result.original`` and ``result.text``, so suggestions are built from that: each hunk replaces
original lines ``line..end_line`` (1-based, inclusive, never empty) with ``new`` lines.

Hunks are widened to whole lines a code-review tool can show and replace: a pure insertion takes
in the unchanged line before it (or after it, at the top of the file), a pure deletion likewise,
and a replacement by a single empty line takes in one more line, because GitHub (and reviewdog)
read an empty suggestion as "delete these lines". Widened hunks that touch are merged. Applying
every hunk to the original gives exactly ``result.text``; ``apply_hunks`` does that, and the tests
check it over the corpus.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_LINES = re.compile(r"[^\n]*\n|[^\n]+\Z")


def split_lines(text: str) -> list[str]:
    """Lines with their endings, split on ``\\n`` only (as BuildKit does)."""
    return _LINES.findall(text)


@dataclass(frozen=True)
class Hunk:
    line: int  # first original line replaced, 1-based
    end_line: int  # last original line replaced (>= line)
    old: tuple[str, ...]  # the original lines, with their endings
    new: tuple[str, ...]  # the lines that replace them, with their endings

    @property
    def text(self) -> str:
        """The replacement, every line with its ending."""
        return "".join(self.new)

    @property
    def suggestion(self) -> str:
        """The replacement as a review suggestion shows it: without the last line's ending,
        which the last replaced line keeps (reviewdog and GitHub replace whole lines)."""
        text = self.text
        if text.endswith("\r\n"):
            return text[:-2]
        return text[:-1] if text.endswith("\n") else text

    def overlaps(self, line: int, end_line: int) -> bool:
        return self.line <= end_line and line <= self.end_line


def hunks(original: str, new: str) -> list[Hunk]:
    """The hunks that turn ``original`` into ``new`` (empty when they are equal)."""
    if original == new:
        return []
    import difflib  # only when something changed: start-up matters

    a, b = split_lines(original), split_lines(new)
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    spans = [[i1, i2, j1, j2] for tag, i1, i2, j1, j2 in matcher.get_opcodes() if tag != "equal"]
    out: list[list[int]] = []
    k = 0
    while k < len(spans):
        span = spans[k]
        k += 1
        while not _enough(span, b):
            if span[0] > 0:  # the unchanged line before (merged with the previous hunk if it is one)
                span[0] -= 1
                span[2] -= 1
            elif k < len(spans) and (spans[k][0] <= span[1] or spans[k][2] <= span[3]):
                # at the top of the file, the next change touches it: take it in (growing over
                # "the line after" is right only while that line is unchanged on both sides)
                span = [span[0], max(span[1], spans[k][1]), span[2], max(span[3], spans[k][3])]
                k += 1
            elif span[1] < len(a):  # at the top of the file: the unchanged line after
                span[1] += 1
                span[3] += 1
            else:  # the whole file
                break
        while out and (span[0] < out[-1][1] or span[2] < out[-1][3]):  # overlaps the previous one
            prev = out.pop()
            span = [prev[0], max(prev[1], span[1]), prev[2], max(prev[3], span[3])]
        out.append(span)
    return [Hunk(i1 + 1, i2, tuple(a[i1:i2]), tuple(b[j1:j2])) for i1, i2, j1, j2 in out]


def _enough(span: list[int], b: list[str]) -> bool:
    """Does ``[i1, i2) -> [j1, j2)`` replace at least one original line with something other
    than nothing or a single empty line (which GitHub would read as a deletion)?"""
    i1, i2, j1, j2 = span
    new = b[j1:j2]
    return i2 > i1 and bool(new) and not (len(new) == 1 and new[0].rstrip("\r\n") == "")


def apply_hunks(original: str, found: list[Hunk]) -> str:
    """``original`` with every hunk applied (hunks sorted, not overlapping)."""
    lines = split_lines(original)
    out: list[str] = []
    pos = 0
    for h in sorted(found, key=lambda h: h.line):
        if h.line - 1 < pos:
            raise ValueError("overlapping hunks")
        out.extend(lines[pos : h.line - 1])
        out.extend(h.new)
        pos = h.end_line
    out.extend(lines[pos:])
    return "".join(out)


def owners(found: list[Hunk], diagnostics) -> list[list[int]]:
    """For each hunk, the indices of the diagnostics whose line range it overlaps, in order; a
    hunk no diagnostic overlaps (a ``# syntax=`` line added at the top for a cache mount further
    down) belongs to the nearest one, so every hunk has an owner while there is a diagnostic."""
    out = []
    for h in found:
        mine = [k for k, d in enumerate(diagnostics) if h.overlaps(d.line, d.end_line or d.line)]
        if not mine and diagnostics:
            mine = [min(range(len(diagnostics)),
                        key=lambda k: (_distance(h, diagnostics[k]), k))]
        out.append(mine)
    return out


def _distance(h: Hunk, d) -> int:
    end = d.end_line or d.line
    if end < h.line:
        return h.line - end
    return max(0, d.line - h.end_line)


def per_diagnostic(found: list[Hunk], diagnostics, owned_by: list[list[int]] | None = None) -> list[list[Hunk]]:
    """For each diagnostic, the hunks it owns (``owned_by``: what ``owners`` returned, if known)."""
    out: list[list[Hunk]] = [[] for _ in diagnostics]
    for h, mine in zip(found, owned_by if owned_by is not None else owners(found, diagnostics)):
        for k in mine:
            out[k].append(h)
    return out
