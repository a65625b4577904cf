"""What rules ask about one RUN: may it be touched, its commands with their options, the state it
runs in (from the model), its mounts, and what it removes.
"""

from __future__ import annotations

from typing import Iterator, Optional

from dockeropt.model.paths import PathRef, _norm, covers, is_within, path_ref
from dockeropt.rewriter.base import Context, Edit, Rule
from dockeropt.rewriter.shellrun import RunView, iter_runs
from dockeropt.shell import SimpleCommand, Word
from dockeropt.shell.options import Cmd, script_commands
from dockeropt.syntax import nodes as n


def candidate_runs(rule: Rule, ctx: Context, *programs: str) -> Iterator[RunView]:
    """Shell-form RUNs in a POSIX shell whose shell parses, not suppressed for ``rule``.

    With ``programs``, only RUNs whose text names one of them: a command the rule can act on
    has its program as a static word, so the others need no shell parse.
    """
    for view in iter_runs(ctx):
        if not view.rewritable or (programs and not view.mentions(*programs)) or ctx.suppressed(rule, view.ins):
            continue
        if not view.script.ok:
            continue
        yield view


def can_append(view: RunView) -> bool:
    """Is ``&& cmd`` at the very end of this RUN's shell text safe to add?

    Not after a trailing comment (it would be commented out), a trailing ``;``/``&``/newline
    (``a; && b`` is a syntax error), a background job, or an ``exit``/``exec``.
    """
    s = view.script
    if not s.ok or not s.lists or s.has_trailing_comment or s.has_background or s.has_exit:
        return False
    return s.lists[-1].terminator is None


class _Named:
    """Stands in for a rule in ``ctx.suppressed`` checks (id + hadolint codes)."""

    def __init__(self, id: str, hadolint: tuple[str, ...] = ()):
        self.id = id
        self.hadolint = hadolint


def suppressed_as(ctx: Context, ins: n.Instruction, rule_id: str, codes: tuple[str, ...] = ()) -> bool:
    return ctx.suppressed(_Named(rule_id, codes), ins)  # type: ignore[arg-type]


def commands(view: RunView, *programs: str) -> list[Cmd]:
    """Commands of ``programs`` in the RUN, in source order, options read."""
    return script_commands(view.script, *programs)


def insert_after(view: RunView, word: Word, text: str) -> Edit:
    return view.insert_after_word(word, text)


def _instructions_before(ctx: Context, view: RunView) -> Iterator[n.Instruction]:
    """The instructions of the stages ``view`` inherits from, then its own stage up to it."""
    graph = ctx.model.graph
    for i in graph.chain(view.stage.index):
        for ins in graph[i].stage.instructions:
            if ins is view.ins:
                return
            yield ins


def env_before(ctx: Context, view: RunView) -> dict[str, Optional[str]]:
    """Variables set by ENV (value) or ARG (default, or None when it has none) for this RUN."""
    return ctx.model.state(view.index).variables()


def user_is_root(ctx: Context, view: RunView) -> bool:
    """No USER in the stage chain before the RUN, or the last one is root/0."""
    return ctx.model.state(view.index).user_is_root


def workdir_before(ctx: Context, view: RunView) -> Optional[str]:
    """The WORKDIR in force (``/`` when none), None when it is not static."""
    return ctx.model.state(view.index).workdir


def shell_ok(view: RunView) -> bool:
    return view.rewritable and view.script.ok


def script_sets(view: RunView, name: str) -> bool:
    """Does the RUN set variable ``name`` (prefix assignment, bare assignment, export, env)?"""
    prefix = name + "="
    for c in view.script.commands:
        for w in c.assignments:
            if w.text.startswith(prefix):
                return True
        for w in c.argv:
            if w.text.startswith(prefix) or w.text.lstrip("\"'").startswith(prefix):
                return True
    return False


def mount_target(m: dict[str, str]) -> str:
    return _norm(m.get("target") or m.get("dst") or m.get("destination") or "")


def cache_mounted(view: RunView, path: str) -> bool:
    """A cache mount covers ``path`` (its target is ``path`` or a parent of it)."""
    return any(m.get("type") == "cache" and mount_target(m) and is_within(path, mount_target(m))
               for m in view.ins.mounts)


def any_mount_near(view: RunView, path: str) -> bool:
    """Some mount (any type) has its target at, above or below ``path``."""
    for m in view.ins.mounts:
        t = mount_target(m)
        if t and (is_within(path, t) or is_within(t, path)):
            return True
    return False


def cache_dir_mounted(view: RunView, dirs: tuple[str, ...]) -> bool:
    return any(cache_mounted(view, d) or any_mount_near(view, d) for d in dirs)


REMOVERS = {"rm", "rmdir", "mv", "find", "shred", "unlink"}


def path_operands(view: RunView, cmd: SimpleCommand, cwd: Optional[str]) -> list[PathRef]:
    """Path operands of a removing command (options skipped)."""
    out = []
    argv = cmd.argv
    name = (cmd.name or "").rsplit("/", 1)[-1]
    start = 1
    # the program may sit behind sudo etc.
    for k, w in enumerate(argv):
        if (w.value or "").rsplit("/", 1)[-1] in REMOVERS:
            start = k + 1
            name = (w.value or "").rsplit("/", 1)[-1]
            break
    ended = False
    for w in argv[start:]:
        v = w.value
        if name == "find":
            if v is not None and (v.startswith("-") or v in ("(", ")", "!")):
                break  # the expression starts; only the start points are paths
        elif not ended and v is not None and v.startswith("-") and v != "-":
            if v == "--":
                ended = True
            continue
        out.append(path_ref(w, cwd))
    return out


def removing_commands(view: RunView) -> list[SimpleCommand]:
    out = []
    for c in view.script.commands:
        for w in c.argv[:3]:
            if (w.value or "").rsplit("/", 1)[-1] in REMOVERS:
                out.append(c)
                break
    return out


def cwd_of(ctx: Context, view: RunView) -> Optional[str]:
    """The working directory relative paths in this RUN resolve against, if it is certain."""
    if any((c.name or "") in ("cd", "pushd", "popd") for c in view.script.commands):
        return None
    return workdir_before(ctx, view)


def removed_after(ctx: Context, view: RunView, after: int, dirs: tuple[str, ...]) -> bool:
    """An `rm`-like command after shell offset ``after`` removes all of one of ``dirs``."""
    cwd = cwd_of(ctx, view)
    for c in removing_commands(view):
        if c.start <= after:
            continue
        for ref in path_operands(view, c, cwd):
            if any(covers(ref, d) for d in dirs):
                return True
    return False


TRUTHY = {"1", "true", "yes", "on"}


def _assigned_values(view: RunView, name: str) -> list[Optional[str]]:
    """Values given to ``name`` inside the RUN (prefix assignments, `export`/`env` words)."""
    out: list[Optional[str]] = []
    prefix = name + "="
    for c in view.script.commands:
        for w in list(c.assignments) + list(c.argv):
            if w.value is not None and w.value.startswith(prefix):
                out.append(w.value[len(prefix):])
            elif w.value is None and w.text.lstrip("\"'").startswith(prefix):
                out.append(None)
    return out
