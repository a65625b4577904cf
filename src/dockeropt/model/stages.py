"""The stage graph: which stage builds on which, through ``FROM``, ``COPY --from`` and
``RUN --mount=from``, the way BuildKit's ``dockerfile2llb`` resolves them.

- A ``FROM`` reference is expanded with the global ``ARG`` defaults (the ARGs before the first
  ``FROM``), then compared case-insensitively with the aliases of *earlier* stages
  (``dispatchStates.addState``); a stage index (``FROM 0``) is an image name, not a stage,
  while ``--from=0`` is stage 0 (``findStateByIndex``).
- ``COPY --from=X`` / ``RUN --mount=from=X`` name an earlier stage (by alias or index) or else an
  image.
- ``ONBUILD`` triggers are steps of every image built FROM the stage: a child stage in this file
  runs them right after its FROM, and so does every image built from the result elsewhere.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from dockeropt.syntax import nodes as n

_VAR = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-+])([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))")


def expand(word: str, values: dict[str, str | None]) -> str:
    """``$VAR``, ``${VAR}``, ``${VAR:-x}``, ``${VAR-x}``, ``${VAR:+x}``, ``${VAR+x}`` with
    ``values`` (None: declared without a value). Unknown variables are left as written."""

    def sub(m: re.Match[str]) -> str:
        name, op, alt = m.group(1) or m.group(4), m.group(2), m.group(3)
        known = name in values
        val = values.get(name)
        if op is None:
            return val if val is not None else ("" if known else m.group(0))
        if op in (":-", "-"):
            use_val = bool(val) if op == ":-" else known
            return (val or "") if use_val else alt
        return alt if (bool(val) if op == ":+" else known) else ""

    return _VAR.sub(sub, word)


def unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value


@dataclass
class StageNode:
    """One stage and its edges in the graph."""

    index: int
    stage: n.Stage
    name: str  # alias (lower case) or the index as text
    base: str  # the FROM reference after global ARG expansion
    parent: int | None = None  # the earlier stage it is built FROM, if any
    children: list[int] = field(default_factory=list)  # stages built FROM this one
    copies_from: list[int] = field(default_factory=list)  # stages it reads files from
    images: list[str] = field(default_factory=list)  # external images it reads (FROM, --from)
    onbuild: list[n.Onbuild] = field(default_factory=list)  # triggers declared in the stage

    @property
    def external_base(self) -> bool:
        return self.parent is None and self.base.lower() != "scratch"


class StageGraph:
    """Stages of a Dockerfile with their FROM parents, COPY/mount dependencies and ONBUILDs."""

    def __init__(self, tree: n.Dockerfile):
        self.tree = tree
        self.global_args: dict[str, str | None] = {}
        for ins in tree.global_args:
            if isinstance(ins, n.Arg):
                for k, v in ins.pairs:
                    self.global_args[k] = unquote(v) if v is not None else self.global_args.get(k)
        self.nodes: list[StageNode] = []
        by_name: dict[str, int] = {}
        for stage in tree.stages:
            base = expand(stage.from_.image, self.global_args)
            node = StageNode(stage.index, stage, stage.name, base)
            parent = by_name.get(base.lower())
            if parent is not None:
                node.parent = parent
                self.nodes[parent].children.append(stage.index)
            elif "$" not in base:
                node.images.append(base)
            for ins in stage.instructions:
                refs: list[str] = []
                if isinstance(ins, (n.Copy, n.Add)):
                    ref = ins.flag("from")
                    if ref is not None:
                        refs.append(ref)
                elif isinstance(ins, n.Run):
                    refs.extend(m["from"] for m in ins.mounts if m.get("from"))
                elif isinstance(ins, n.Onbuild):
                    node.onbuild.append(ins)
                for ref in refs:
                    ref = expand(ref, self.global_args)
                    dep = by_name.get(ref.lower())
                    if dep is None and ref.isdigit() and int(ref) < stage.index:
                        dep = int(ref)
                    if dep is not None:
                        if dep not in node.copies_from:
                            node.copies_from.append(dep)
                    elif "$" not in ref and ref not in node.images:
                        node.images.append(ref)
            self.nodes.append(node)
            if stage.alias:  # FROM and --from find stages by alias; --from also by index
                by_name[stage.alias.lower()] = stage.index

    def __getitem__(self, index: int) -> StageNode:
        return self.nodes[index]

    def chain(self, index: int) -> list[int]:
        """The stage and the stages it is built FROM, root first."""
        out = [index]
        while self.nodes[out[-1]].parent is not None:
            out.append(self.nodes[out[-1]].parent)  # type: ignore[arg-type]
        return out[::-1]

    def descendants(self, index: int) -> list[int]:
        """Stages built FROM ``index``, directly or through others, in file order."""
        out: list[int] = []
        todo = list(self.nodes[index].children)
        while todo:
            i = todo.pop()
            out.append(i)
            todo.extend(self.nodes[i].children)
        return sorted(out)

    def external_images(self) -> list[str]:
        """Images pulled from outside, in order of first use (``scratch`` left out)."""
        out: list[str] = []
        for node in self.nodes:
            for ref in node.images:
                if ref.lower() != "scratch" and ref not in out:
                    out.append(ref)
        return out
