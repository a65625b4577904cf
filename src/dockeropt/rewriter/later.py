"""What the steps after a RUN still need, answered in one linear pass per question.

A clean-up deletes files (apt's lists, apk's index, npm's cache) that a *later step* may still
read. The later steps of a RUN are: the RUNs after it in its stage, every RUN of the stages
built FROM it (directly or not), and every ``ONBUILD RUN`` of those stages — a trigger runs in
each image built FROM the stage, wherever the ONBUILD line stands.

A later step "needs" something when it reads it in a way dockeropt can see (``apt-get install``
without ``apt-get update`` first), or when it runs code dockeropt cannot read and that may: a
shell script (``sh x``, ``bash -``, ``./x.sh``, ``. x``) — unless the build context is known and
the script came from it by a COPY (``rewriter/scripts.py``): then it is read and parsed like a
RUN, and answers for itself —, a ``sh -c`` string that is not static,
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
    return _hidden_in(ctx, view, view.script, programs, nested, where(ctx, view), 0)


MAX_DEPTH = 8


def _read(ctx: Context, view: RunView, path: Optional[str], explicit_shell: bool, nested, depth: int):
    """A script from the build context (``rewriter/scripts.py``), parsed; None when unknown."""
    if path is None or depth >= MAX_DEPTH or ctx.build_context is None:
        return None
    from dockeropt.rewriter.scripts import script_for

    return script_for(ctx, view, path, explicit_shell)


def _hidden_in(ctx: Context, view: RunView, script, programs: re.Pattern[str], nested, here: str, depth: int) -> Optional[str]:
    """``hidden_use`` for the commands of ``script`` (the RUN's own, or a script it runs that
    dockeropt read from the build context: ``here`` names it)."""
    from dockeropt.shell import invocation, parse_shell

    def through(name: str, sub) -> Optional[str]:
        """The answer for a script read from the context: it uses the program itself, or
        hides a use deeper down; None when it does neither."""
        if nested(sub):
            return f"{here} runs {name}, which does (read from the build context)"
        return _hidden_in(ctx, view, sub, programs, nested, f"{here} (through {name})", depth + 1)

    for cmd in script.commands:
        inv = invocation(cmd)
        argv = cmd.argv
        if inv is None:
            if any(programs.search(w.text) for w in argv):
                return f"{here} may run it through a command whose name is not static"
            continue
        prog = inv.program
        args = argv[inv.program_index + 1 :]
        if prog in (".", "source"):
            target = args[0].value if args else None
            sub = _read(ctx, view, target, True, nested, depth)
            if sub is None:
                return f"{here} sources {args[0].text if args else 'a file'}, which dockeropt cannot read"
            found = through(target or "", sub)
            if found:
                return found
            continue
        if prog in SHELLS:
            script_arg = _dash_c(args)
            if script_arg is None:
                operand = next((w for w in args if not (w.value or "-").startswith("-")), None)
                if operand is not None or (prog != "busybox" and not args) or any(w.value == "-s" for w in args):
                    sub = _read(ctx, view, operand.value if operand is not None else None, True, nested, depth)
                    if sub is None:
                        return f"{here} runs a shell script ({' '.join(w.text for w in argv[inv.program_index:])[:60]}), which dockeropt cannot read"
                    found = through(operand.value or "", sub)  # type: ignore[union-attr]
                    if found:
                        return found
                    rest = args[args.index(operand) + 1:]  # type: ignore[arg-type]
                    if any(programs.search(w.value or w.text) for w in rest):
                        return f"{here} may run it through {operand.value}"  # type: ignore[union-attr]
                continue
            if script_arg is False:
                return f"{here} runs a `{prog} -c` string that is not static"
            if nested(parse_shell(script_arg)):
                return f"{here} runs it through `{prog} -c`"
            continue
        name = (argv[inv.program_index].value or "")
        base = name.rsplit("/", 1)[-1]
        if base.endswith((".sh", ".bash")) or (base != "install" and _HELPERS.search(base)):
            sub = _read(ctx, view, name, False, nested, depth) if "/" in name or base.endswith((".sh", ".bash")) else None
            if sub is None:
                return f"{here} runs {name}, which dockeropt cannot read"
            found = through(name, sub)
            if found:
                return found
        if any(programs.search(w.value or w.text) for w in args):
            return f"{here} may run it through {prog}"
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
