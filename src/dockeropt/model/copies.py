"""What each instruction reads from the build context: COPY/ADD sources (without ``--from``),
and ``RUN --mount=type=bind`` without ``from`` (a bind mount of the context).

A source is kept as BuildKit cleans it (``./a//b/`` is ``a/b``; ``.`` is the whole context).
Sources that name a variable are expanded with the ENV values in force; an ARG can be changed
with ``--build-arg``, so a source that depends on one is *unknown* (``None``), as is one that
cannot be expanded. URLs and git sources of ADD are not context sources.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from typing import Mapping, Optional

from dockeropt.model.context import clean_rel
from dockeropt.model.stages import expand
from dockeropt.syntax import nodes as n

_URL = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://|^git@")
GLOB_CHARS = "*?["


@dataclass(frozen=True)
class ContextRead:
    """One instruction that reads the context."""

    index: int  # in tree.instructions
    ins: n.Instruction
    stage: int
    sources: tuple[Optional[str], ...]  # cleaned context paths (may hold globs); None: unknown
    kind: str  # "copy", "add", "mount"

    @property
    def whole(self) -> bool:
        """Copies the whole context (``COPY . x``, a bind mount of the context root)."""
        return "." in self.sources

    @property
    def line(self) -> int:
        return self.ins.start_line


def _expand_static(word: str, env: Mapping[str, Optional[str]], args: Mapping) -> Optional[str]:
    """``word`` with ENV variables expanded; None when it uses an ARG or an unknown variable."""
    if "$" not in word:
        return word
    names = set(re.findall(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)", word))
    if any(name in args and name not in env for name in names):
        return None
    out = expand(word, env)
    return None if "$" in out else out


def context_reads(model) -> list[ContextRead]:
    """Every COPY/ADD/RUN --mount of the file that reads the build context, in file order."""
    out: list[ContextRead] = []
    tree = model.tree
    for i, ins in enumerate(tree.instructions):
        if isinstance(ins, (n.Copy, n.Add)):
            if ins.flag("from") is not None or ins.heredocs:
                continue
            state = model.state(i)
            env = state.env if state.env_known else {}
            srcs: list[Optional[str]] = []
            for s in ins.sources:
                if isinstance(ins, n.Add) and _URL.match(s):
                    continue
                value = _expand_static(s, env, state.args)
                srcs.append(clean_rel(value) if value is not None else None)
            if srcs:
                out.append(ContextRead(i, ins, state.stage, tuple(srcs), "add" if isinstance(ins, n.Add) else "copy"))
        elif isinstance(ins, n.Run):
            state = model.state(i)
            for m in ins.mounts:
                if m.get("type", "bind") != "bind" or m.get("from"):
                    continue
                src = m.get("source") or m.get("src") or "."
                value = _expand_static(src, state.env, state.args)
                out.append(ContextRead(i, ins, state.stage, (clean_rel(value) if value is not None else None,), "mount"))
    return out


def has_glob(path: str) -> bool:
    return any(c in path for c in GLOB_CHARS)


def destination(ins: n.Instruction, workdir: Optional[str]) -> Optional[str]:
    """The absolute destination directory of a COPY/ADD whose sources are directories (the
    destination as written, made absolute against WORKDIR); None when not static."""
    dest = ins.destination  # type: ignore[attr-defined]
    if dest is None or "$" in dest:
        return None
    if dest.startswith("/"):
        return posixpath.normpath(dest)
    if workdir is None:
        return None
    return posixpath.normpath(posixpath.join(workdir, dest))


def within(path: str, base: str) -> bool:
    """``path`` is ``base`` or below it (both absolute, normalised)."""
    return path == base or path.startswith(base.rstrip("/") + "/")
