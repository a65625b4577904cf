"""What a Dockerfile means, computed once per tree and queried by every rule.

- :class:`~dockeropt.model.stages.StageGraph`: stages, their FROM parents and children,
  ``COPY --from`` / ``RUN --mount=from`` dependencies, outside images, ONBUILD triggers;
- :class:`~dockeropt.model.state.State` per instruction: ENV, ARG, WORKDIR, USER, SHELL.

Everything is computed in one linear pass when first asked for (``Model.of(ctx)``), and shared
by all rules that look at the same tree.
"""

from __future__ import annotations

from functools import cached_property

from dockeropt.model.stages import StageGraph, expand, unquote
from dockeropt.model.state import DEFAULT_SHELL, State, compute_states
from dockeropt.syntax import nodes as n

__all__ = ["DEFAULT_SHELL", "Model", "StageGraph", "State", "expand", "unquote"]


class Model:
    """The semantic model of one syntax tree."""

    def __init__(self, tree: n.Dockerfile):
        self.tree = tree

    @cached_property
    def graph(self) -> StageGraph:
        return StageGraph(self.tree)

    @cached_property
    def states(self) -> list[State]:
        return compute_states(self.tree, self.graph)

    @cached_property
    def index(self) -> dict[int, int]:
        """id(instruction) -> its index in ``tree.instructions``."""
        return {id(ins): i for i, ins in enumerate(self.tree.instructions)}

    def state(self, ins: n.Instruction | int) -> State:
        """The state in force when ``ins`` (an instruction or its index) runs."""
        i = ins if isinstance(ins, int) else self.index[id(ins)]
        return self.states[i]

    def stage_of(self, ins: n.Instruction | int) -> int:
        return self.state(ins).stage
