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
from bisect import bisect_right
from dataclasses import dataclass, replace
from typing import Iterator, Mapping, Optional

from dockeropt.model.stages import StageGraph, expand, unquote
from dockeropt.syntax import nodes as n

DEFAULT_SHELL = ("/bin/sh", "-c")
WINDOWS_HINTS = ("windows", "nanoserver", "servercore", "mcr.microsoft.com/dotnet/framework")


class _History:
    """Every value a lineage of states gave each name, by version: what ENV (or ARG) did in a
    stage, after what its parent stage's history held at ``parent_version``. A State holds a
    (history, version) view instead of a dict of its own: copying the whole environment at
    every ENV made files with thousands of ENVs quadratic in time and memory."""

    __slots__ = ("parent", "parent_version", "versions", "values", "version")

    def __init__(self, parent: Optional["_History"] = None, parent_version: int = 0):
        self.parent = parent
        self.parent_version = parent_version
        self.versions: dict[str, list[int]] = {}
        self.values: dict[str, list] = {}
        self.version = 0

    def set(self, pairs: list[tuple[str, object]]) -> "Vars":
        self.version += 1
        for k, v in pairs:
            versions = self.versions.setdefault(k, [])
            if versions and versions[-1] == self.version:
                self.values[k][-1] = v
            else:
                versions.append(self.version)
                self.values.setdefault(k, []).append(v)
        return Vars(self, self.version)


class Vars(Mapping):
    """The read-only mapping of a history at one version (see _History): lookups cost a binary
    search per stage of the lineage; iterating lists the names once."""

    __slots__ = ("history", "version")

    def __init__(self, history: Optional[_History] = None, version: int = 0):
        self.history = history
        self.version = version

    def _find(self, key: str):
        h, ver = self.history, self.version
        while h is not None:
            versions = h.versions.get(key)
            if versions:
                i = bisect_right(versions, ver)
                if i:
                    return True, h.values[key][i - 1]
            h, ver = h.parent, h.parent_version
        return False, None

    def __getitem__(self, key: str):
        found, value = self._find(key)
        if not found:
            raise KeyError(key)
        return value

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self._find(key)[0]

    def get(self, key, default=None):
        found, value = self._find(key)
        return value if found else default

    def _chain(self) -> list[tuple[_History, int]]:
        """(history, version seen) from the oldest lineage to this one."""
        chain = []
        h, ver = self.history, self.version
        while h is not None:
            chain.append((h, ver))
            h, ver = h.parent, h.parent_version
        return chain[::-1]

    def _names(self) -> list[str]:
        """Every name set by this version, in the order first set (as a dict copied at every
        step would list them): oldest lineage first, and a history's dict keeps that order."""
        seen: dict[str, None] = {}
        for h, ver in self._chain():
            for k, versions in h.versions.items():
                if versions[0] <= ver:
                    seen[k] = None
        return list(seen)

    def __iter__(self) -> Iterator[str]:
        return iter(self._names())

    def __len__(self) -> int:
        return len(self._names())

    def __repr__(self) -> str:
        return f"Vars({dict(self)!r})"

    def with_pairs(self, pairs: list[tuple[str, object]]) -> "Vars":
        """These variables and ``pairs`` (a new version of the same history when this is its
        newest; else a new history on top of this one, as for a stage built FROM another)."""
        h = self.history
        if h is None or h.version != self.version:
            h = _History(h, self.version) if h is not None else _History()
        return h.set(pairs)

    def branch(self) -> "Vars":
        """The same variables, as the start of a new lineage (a stage built FROM this state)."""
        return Vars(_History(self.history, self.version), 0) if self.history is not None else Vars()


class _Overlay(Mapping):
    """``top`` over ``bottom`` (ENV over ARG): what a RUN sees."""

    __slots__ = ("top", "bottom")

    def __init__(self, top: "Vars", bottom: Mapping):
        self.top = top
        self.bottom = bottom

    def __getitem__(self, key):
        try:
            return self.top[key]
        except KeyError:
            return self.bottom[key]

    def __contains__(self, key: object) -> bool:
        return key in self.top or key in self.bottom

    def get(self, key, default=None):
        found, value = self.top._find(key)
        if found:
            return value
        return self.bottom.get(key, default)

    def __iter__(self) -> Iterator[str]:
        seen = dict.fromkeys(self.bottom)
        seen.update(dict.fromkeys(self.top))
        return iter(seen)

    def __len__(self) -> int:
        return len(set(self.bottom) | set(self.top))


@dataclass(frozen=True)
class State:
    """What is in force when an instruction runs (before its own effect)."""

    stage: int
    env: Vars  # ENV, values unquoted and expanded where static
    args: Vars  # ARGs declared in the stage (None: no default)
    workdir: str | None  # None when not static
    user: str | None  # the last USER value, None when no USER was given (the base image's)
    shell: tuple[str, ...]
    env_known: bool = True  # False: an outside base image may set more variables

    def variables(self) -> Mapping[str, str | None]:
        """What a RUN sees as its environment: ARGs, overridden by ENV (a read-only view)."""
        return _Overlay(self.env, self.args)

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
    glob = State(-1, Vars(), Vars().with_pairs(list(graph.global_args.items())), "/", None, DEFAULT_SHELL)
    for ins in tree.global_args:
        states[index[id(ins)]] = glob
    final: list[State] = []
    for node in graph.nodes:
        stage = node.stage
        if node.parent is not None:
            parent = final[node.parent]
            state = State(node.index, parent.env.branch(), Vars(), parent.workdir, parent.user, parent.shell,
                          parent.env_known)
        else:
            base = node.base.lower()
            shell = ("cmd", "/S", "/C") if any(h in base for h in WINDOWS_HINTS) else DEFAULT_SHELL
            state = State(node.index, Vars(), Vars(), "/", None, shell, env_known=node.base.lower() == "scratch")
        for ins in stage.instructions:
            states[index[id(ins)]] = state
            state = _after(state, ins, graph)
        final.append(state)
    return states  # type: ignore[return-value]


def _after(state: State, ins: n.Instruction, graph: StageGraph) -> State:
    """The state after ``ins``."""
    if isinstance(ins, n.Env):
        # every pair is expanded with the values from before the instruction, as BuildKit does
        # (Docker's reference: `ENV abc=bye def=$abc` gives def the old abc)
        values = state.variables()
        pairs = [(k, expand(unquote(v), values)) for k, v in ins.pairs]
        return replace(state, env=state.env.with_pairs(pairs))
    if isinstance(ins, n.Arg):
        pairs = []
        for k, v in ins.pairs:
            if v is not None:
                pairs.append((k, expand(unquote(v), state.variables())))
            elif k in graph.global_args:  # BuildKit's dispatchArg: the global value, even if the
                pairs.append((k, graph.global_args[k]))  # stage gave the ARG another one before
            elif k not in state.args:
                pairs.append((k, None))
        if not pairs:
            return state
        return replace(state, args=state.args.with_pairs(pairs))
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
