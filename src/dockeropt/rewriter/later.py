"""What the steps after a RUN still need, answered in one linear pass per question.

A clean-up deletes files (apt's lists, apk's index, npm's cache) that a *later step* may still
read. The later steps of a RUN are: the RUNs after it in its stage, every RUN of the stages
built FROM it (directly or not), and every ``ONBUILD RUN`` of those stages — a trigger runs in
each image built FROM the stage, wherever the ONBUILD line stands.

A later step "needs" something when it reads it in a way dockeropt can see (``apt-get install``
without ``apt-get update`` first), or when it runs code dockeropt cannot read and that may: a
shell script (``sh x``, ``bash -``, ``./x.sh``, ``. x``), a ``sh -c`` string that is not static,
an install helper (``install_packages``, ``install-php-extensions``), or the program's name in
the words of another command (``xargs apt-get install``, ``find … -exec``). What the tool
cannot see into, it cannot prove safe.
"""

from __future__ import annotations

import re
from typing import Callable, Optional

from dockeropt.rewriter.base import Context
from dockeropt.rewriter.shellrun import RunView, iter_runs
from dockeropt.syntax import nodes as n

Test = Callable[[RunView], Optional[str]]

SHELLS = frozenset({"sh", "bash", "dash", "ash", "zsh", "ksh", "mksh", "busybox"})


def onbuild_views(ctx: Context) -> dict[int, list[RunView]]:
    """``ONBUILD RUN`` triggers per stage, as RunViews of the trigger's RUN."""
    out = ctx.memo.get("onbuild_views")
    if out is None:
        out = ctx.memo["onbuild_views"] = {}
        model = ctx.model
        for node in model.graph.nodes:
            for ins in node.onbuild:
                trigger = ins.trigger
                if isinstance(trigger, n.Run):
                    i = model.index[id(ins)]
                    view = RunView(i, trigger, node.stage, model.state(i).shell, 0, onbuild_line=ins.start_line)
                    out.setdefault(node.index, []).append(view)
    return out


def first_later(ctx: Context, view: RunView, key: str, test: Test) -> Optional[str]:
    """The answer of ``test`` for the first later step of ``view`` that has one, or None.
    ``key`` names the question: the whole table is computed once per tree and question."""
    table = ctx.memo.get(("later", key))
    if table is None:
        table = ctx.memo[("later", key)] = _table(ctx, test)
    return table.get(view.index)


def _table(ctx: Context, test: Test) -> dict[int, Optional[str]]:
    graph = ctx.model.graph
    by_stage: dict[int, list[RunView]] = {}
    for v in iter_runs(ctx):
        by_stage.setdefault(v.stage.index, []).append(v)
    onbuild = onbuild_views(ctx)
    table: dict[int, Optional[str]] = {}
    from_start: dict[int, Optional[str]] = {}
    for s in reversed(range(len(graph.nodes))):
        tail: Optional[str] = None
        for o in onbuild.get(s, ()):
            tail = tail or test(o)
        for child in graph[s].children:
            tail = tail or from_start[child]
        suffix = tail
        for v in reversed(by_stage.get(s, ())):
            table[v.index] = suffix
            suffix = test(v) or suffix
        from_start[s] = suffix
    return table


# --------------------------------------------------------------------------------------------
# Code dockeropt cannot read
# --------------------------------------------------------------------------------------------

_HELPERS = re.compile(r"(^|[-_])install([-_]|$)|^install[-_]")


def where(ctx: Context, view: RunView) -> str:
    line = ctx.orig_line(view.line)
    return f"the ONBUILD RUN at line {line}" if view.onbuild_line else f"line {line}"


def hidden_use(ctx: Context, view: RunView, programs: re.Pattern[str], nested: Callable[[object], bool]) -> Optional[str]:
    """Why ``view`` may run one of ``programs`` in a way its own commands do not show, or None.

    ``programs`` matches a program name inside a word; ``nested(script)`` answers the question
    for a static ``sh -c`` string.
    """
    from dockeropt.shell import invocation, parse_shell

    text = view.text
    if not view.rewritable or not view.script.ok:
        if programs.search(text) or any(h.search(text) for h in (_SCRIPT_HINT,)):
            return f"{where(ctx, view)} may run it in code dockeropt cannot read"
        return None
    for cmd in view.script.commands:
        inv = invocation(cmd)
        argv = cmd.argv
        if inv is None:
            if any(programs.search(w.text) for w in argv):
                return f"{where(ctx, view)} may run it through a command whose name is not static"
            continue
        prog = inv.program
        args = argv[inv.program_index + 1 :]
        if prog in (".", "source"):
            return f"{where(ctx, view)} sources {args[0].text if args else 'a file'}, which dockeropt cannot read"
        if prog in SHELLS:
            script = _dash_c(args)
            if script is None:
                operand = next((w.text for w in args if not (w.value or "-").startswith("-")), None)
                if operand is not None or (prog != "busybox" and not args) or any(w.value == "-s" for w in args):
                    return f"{where(ctx, view)} runs a shell script ({' '.join(w.text for w in argv[inv.program_index:])[:60]}), which dockeropt cannot read"
                continue
            if script is False:
                return f"{where(ctx, view)} runs a `{prog} -c` string that is not static"
            if nested(parse_shell(script)):
                return f"{where(ctx, view)} runs it through `{prog} -c`"
            continue
        name = (argv[inv.program_index].value or "")
        base = name.rsplit("/", 1)[-1]
        if base.endswith((".sh", ".bash")) or (base != "install" and _HELPERS.search(base)):
            return f"{where(ctx, view)} runs {name}, which dockeropt cannot read"
        if any(programs.search(w.value or w.text) for w in args):
            return f"{where(ctx, view)} may run it through {prog}"
    return None


def _dash_c(args) -> Optional[str] | bool:
    """The script of ``sh -c SCRIPT``: its text, False when not static, None without ``-c``."""
    for k, w in enumerate(args):
        v = w.value
        if v is None:
            return None if k else False
        if not v.startswith("-"):
            return None
        if "c" in v[1:] and not v.startswith("--"):
            if k + 1 >= len(args):
                return None
            return args[k + 1].value if args[k + 1].value is not None else False
    return None


_SCRIPT_HINT = re.compile(r"\.sh\b|\bsource\b|(^|[;&|]\s*)\.\s")
