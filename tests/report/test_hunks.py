"""Hunks: whole-line replacements of the original that give the rewrite exactly, never empty,
never a lone empty line (GitHub would read it as a deletion), never overlapping."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dockeropt.report.hunks import apply_hunks, hunks, owners, split_lines
from dockeropt.rewriter.base import Diagnostic


def check(original: str, new: str):
    found = hunks(original, new)
    assert apply_hunks(original, found) == new
    last = 0
    for h in found:
        assert h.line >= 1 and h.end_line >= h.line, h
        assert h.line > last, "hunks overlap or are out of order"
        last = h.end_line
        assert list(h.old) == split_lines(original)[h.line - 1 : h.end_line]
        assert h.new, "a suggestion must replace lines with something"
        assert not (len(h.new) == 1 and h.new[0].strip("\r\n") == ""), "a lone empty line reads as a deletion"
    return found


def test_equal_texts_have_no_hunks():
    assert hunks("FROM a\n", "FROM a\n") == []


def test_replacement():
    (h,) = check("FROM a\nRUN x\nRUN y\nCMD z\n", "FROM a\nRUN x && \\\n    y\nCMD z\n")
    assert (h.line, h.end_line) == (2, 3)
    assert h.text == "RUN x && \\\n    y\n" and h.suggestion == "RUN x && \\\n    y"


def test_insertion_at_the_top_takes_in_the_line_after():
    (h,) = check("FROM a\nRUN x\n", "# syntax=docker/dockerfile:1\nFROM a\nRUN x\n")
    assert (h.line, h.end_line) == (1, 1)
    assert h.text == "# syntax=docker/dockerfile:1\nFROM a\n"


def test_insertion_takes_in_the_line_before():
    (h,) = check("FROM a\nRUN x\nCMD y\n", "FROM a\nRUN x\nRUN z\nCMD y\n")
    assert (h.line, h.end_line) == (2, 2) and h.text == "RUN x\nRUN z\n"


def test_deletion_is_never_an_empty_suggestion():
    (h,) = check("FROM a\nRUN x\n\nRUN y\n", "FROM a\nRUN x\n")
    assert h.new


def test_replacement_by_one_empty_line_takes_in_a_neighbour():
    check("FROM a\nRUN x\nRUN y\n", "FROM a\n\nRUN y\n")


def test_crlf_and_no_final_newline():
    found = check("FROM a\r\nRUN x\r\nRUN y", "FROM a\r\nRUN x && \\\r\n    y")
    assert found[-1].suggestion == "RUN x && \\\r\n    y"


def test_widened_hunks_that_meet_are_merged():
    check("A\nB\nC\nD\n", "X\nA\nY\nC\nZ\n")


def test_owners_overlap_or_nearest():
    found = hunks("# c\nFROM a\nRUN x\nRUN y\n", "# syntax=docker/dockerfile:1\n# c\nFROM a\nRUN x && y\n")
    diags = [Diagnostic("cache-mounts", 3, "m", end_line=4)]
    assert all(o == [0] for o in owners(found, diags))


lines = st.lists(st.sampled_from(["FROM a\n", "RUN x\n", "\n", "RUN y\r\n", "# c\n", "CMD z", ""]), max_size=8)


@given(lines, lines)
def test_any_pair_of_texts_round_trips(a, b):
    original, new = "".join(a), "".join(b)
    if not original.strip() or not new.strip():
        return  # an empty file is rejected before any rewrite, and no rewrite empties one
    try:
        check(original, new)
    except AssertionError:
        # the one case whole-line suggestions cannot express: the file's last line ending changes
        if split_lines(original)[-1:] and split_lines(new)[-1:]:
            if split_lines(original)[-1].endswith("\n") != split_lines(new)[-1].endswith("\n"):
                return
        raise


@pytest.mark.parametrize("original,new", [("FROM a\n", "FROM a\nRUN b\n"), ("FROM a\nRUN b\n", "FROM a\n")])
def test_changes_at_the_end(original, new):
    check(original, new)


def test_growing_at_the_top_stops_at_the_next_change():
    """Found by hypothesis: the first line deleted, an empty line kept, a line inserted after
    it; growing the first hunk down over the kept line must take in the insertion, not a line
    of the original that is still there."""
    check("FROM a\n\nFROM a\nFROM a\n", "\nRUN x\nFROM a\nFROM a\n")
