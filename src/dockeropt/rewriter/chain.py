"""Editing a RUN's ``&&`` chain in the author's layout: remove elements with the operator and
line continuation that join them (never a comment line), or append commands at the end.
"""

from __future__ import annotations

from typing import Iterable, Optional

from dockeropt.rewriter.base import Context, Edit
from dockeropt.rewriter.shellrun import Layout, RunView
from dockeropt.shell import SimpleCommand


def chain_index(view: RunView, cmd: SimpleCommand) -> Optional[tuple[int, int]]:
    """(list, element) of ``cmd`` in a top-level and-or list of the RUN that joins at least two
    elements with ``&&`` only, when ``cmd`` is a whole element of it (a one-command pipeline,
    not negated); None otherwise."""
    s = view.script
    if not s.ok:
        return None
    for li, lst in enumerate(s.lists):
        if len(lst.pipelines) < 2 or any(op != "&&" for op in lst.operators):
            continue
        for k, p in enumerate(lst.pipelines):
            if p.negated or len(p.commands) != 1 or not isinstance(p.commands[0], SimpleCommand):
                continue
            if p.commands[0].start == cmd.start and p.commands[0].end == cmd.end:
                return li, k
    return None


def chain_removals(ctx: Context, view: RunView, indices: Iterable[tuple[int, int]]) -> Optional[list[Edit]]:
    """Edits removing the elements ``indices`` ((list, element) pairs from ``chain_index``).

    Every list keeps at least one element. Each run of adjacent removed elements goes with the
    operator and line continuation that join it to a kept neighbour, so the author's layout
    stays as it was; comment lines are never removed (None when no span avoids them).
    """
    by_list: dict[int, list[int]] = {}
    for li, k in set(indices):
        by_list.setdefault(li, []).append(k)
    if not by_list:
        return None
    edits = []
    for li, idx in sorted(by_list.items()):
        pipes = view.script.lists[li].pipelines
        idx.sort()
        if len(idx) >= len(pipes):
            return None
        groups: list[list[int]] = []
        for k in idx:
            if groups and groups[-1][-1] == k - 1:
                groups[-1].append(k)
            else:
                groups.append([k])
        for g in groups:
            e = _group_removal(ctx, view, pipes, g[0], g[-1])
            if e is None:
                return None
            edits.append(e)
    return edits


def _group_removal(ctx: Context, view: RunView, pipes, i: int, j: int) -> Optional[Edit]:
    """One span removing elements i..j of an ``&&`` list with one of the operators around them.

    Tried in turn, the first that holds no comment line wins: from the group's start to the
    next element's start (the operator and the line break after the group go too); from the
    previous element's end to the group's end (the operator before it); from the group's start
    to just after the ``&&`` that follows it on the same line (a comment on the next lines stays).
    """
    spans = []
    if j < len(pipes) - 1:
        spans.append((view.offset(pipes[i].start), view.offset(pipes[j + 1].start)))
    if i > 0:
        spans.append((view.offset(pipes[i - 1].end), view.offset(pipes[j].end)))
    if j < len(pipes) - 1:
        text = view.script.text
        k = pipes[j].end
        while k < len(text) and text[k] in " \t":
            k += 1
        if text.startswith("&&", k):
            a, b = view.offset(pipes[i].start), view.offset(k + 2)
            while b < len(ctx.text) and ctx.text[b] in " \t":
                b += 1
            if "\n" not in ctx.text[view.offset(pipes[j].end) : b]:
                spans.append((a, b))
    for a, b in spans:
        if "#" not in ctx.text[a:b]:
            return Edit(a, b, "")
    return None


def safe_removal(ctx: Context, view: RunView, cmd: SimpleCommand) -> Optional[Edit]:
    """Edit removing ``cmd`` from the RUN's ``&&`` chain (see ``chain_removals``), or None."""
    k = chain_index(view, cmd)
    if k is None:
        return None
    edits = chain_removals(ctx, view, [k])
    return edits[0] if edits else None


def unique(items: Iterable[str]) -> list[str]:
    seen: list[str] = []
    for x in items:
        if x not in seen:
            seen.append(x)
    return seen


def chain_layout(ctx: Context, view: RunView) -> Layout:
    """The RUN's continuation layout (``Layout.of``)."""
    return Layout.of(view.ins, ctx)


def append_edit(ctx: Context, view: RunView, commands_: list[str]) -> Edit:
    """``&& cmd1 && cmd2`` after the RUN's last command, in its own layout."""
    edit = view.append_command(ctx, " && ".join(commands_))
    assert edit is not None, "append_edit needs can_append(view)"
    return edit
