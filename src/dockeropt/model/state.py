"""The build state in force at each instruction: ENV, ARG, WORKDIR, USER, SHELL.

Computed in one pass over the file (linear in its size). A stage built FROM an earlier stage
starts from that stage's final state (ENV, WORKDIR, USER and SHELL are part of the image; ARGs
are not: each stage declares its own, and a global ARG is visible in a stage only once the
stage declares it again, as BuildKit does). A stage built FROM an outside image starts from
what we do not know about that image: its ENV is unknown (``env_known`` False), its WORKDIR
is taken as ``/`` and its user as root until the Dockerfile says otherwise (``user`` None).
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, replace
from typing import Mapping

from dockeropt.model.stages import StageGraph, expand, unquote
from dockeropt.syntax import nodes as n

DEFAULT_SHELL = ("/bin/sh", "-c")
WINDOWS_HINTS = ("windows", "nanoserver", "servercore", "mcr.microsoft.com/dotnet/framework")


@dataclass(frozen=True)
class State:
    """What is in force when an instruction runs (before its own effect)."""

    stage: int
    env: Mapping[str, str]  # ENV, values unquoted and expanded where static
    args: Mapping[str, str | None]  # ARGs declared in the stage (None: no default)
    workdir: str | None  # None when not static
    user: str | None  # the last USER value, None when no USER was given (the base image's)
    shell: tuple[str, ...]
    env_known: bool = True  # False: an outside base image may set more variables

    def variables(self) -> dict[str, str | None]:
        """What a RUN sees as its environment: ARGs, overridden by ENV."""
        out: dict[str, str | None] = dict(self.args)
        out.update(self.env)
        return out

    @property
    def user_is_root(self) -> bool:
        """No USER (the base image's user is taken as root), or USER root / 0."""
        if self.user is None:
            return True
        name = self.user.split(":", 1)[0].strip()
        return name in ("root", "0")


def compute_states(tree: n.Dockerfile, graph: StageGraph) -> list[State]:
    """The state before each instruction of ``tree`` (by index); global ARGs get a stage -1 state."""
    index = {id(ins): i for i, ins in enumerate(tree.instructions)}
    states: list[State | None] = [None] * len(tree.instructions)
    glob = State(-1, {}, dict(graph.global_args), "/", None, DEFAULT_SHELL)
    for ins in tree.global_args:
        states[index[id(ins)]] = glob
    final: list[State] = []
    for node in graph.nodes:
        stage = node.stage
        if node.parent is not None:
            parent = final[node.parent]
            state = State(node.index, parent.env, {}, parent.workdir, parent.user, parent.shell, parent.env_known)
        else:
            base = node.base.lower()
            shell = ("cmd", "/S", "/C") if any(h in base for h in WINDOWS_HINTS) else DEFAULT_SHELL
            state = State(node.index, {}, {}, "/", None, shell, env_known=node.base.lower() == "scratch")
        for ins in stage.instructions:
            states[index[id(ins)]] = state
            state = _after(state, ins, graph)
        final.append(state)
    return states  # type: ignore[return-value]


def _after(state: State, ins: n.Instruction, graph: StageGraph) -> State:
    """The state after ``ins``."""
    if isinstance(ins, n.Env):
        env = dict(state.env)
        values = state.variables()
        for k, v in ins.pairs:
            env[k] = expand(unquote(v), values)
            values[k] = env[k]
        return replace(state, env=env)
    if isinstance(ins, n.Arg):
        args = dict(state.args)
        for k, v in ins.pairs:
            if v is not None:
                args[k] = expand(unquote(v), state.variables())
            else:
                args[k] = graph.global_args.get(k) if k not in args else args[k]
        return replace(state, args=args)
    if isinstance(ins, n.Workdir):
        value = expand(unquote(ins.value), state.variables())
        if "$" in value or (state.workdir is None and not value.startswith("/")):
            return replace(state, workdir=None)
        return replace(state, workdir=posixpath.normpath(posixpath.join(state.workdir or "/", value)))
    if isinstance(ins, n.User):
        return replace(state, user=ins.value)
    if isinstance(ins, n.Shell) and ins.shell:
        return replace(state, shell=tuple(ins.shell))
    return state
