"""Plain immutable records produced by :func:`dockeropt.shell.parse_shell`.

Every ``start``/``end`` pair is a half-open range of *str character* offsets
into the script that was parsed: ``script[x.start:x.end] == x.text``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional, Union


@dataclass(frozen=True)
class Word:
    """One shell word (argv element or prefix assignment) as written."""

    text: str
    """Raw source text, quotes and all."""
    value: Optional[str]
    """The word after quote removal when it is fully static, else None.

    None when the word contains any expansion (``$x``, ``${x}``, ``$(..)``,
    backticks, ``$((..))``, ``$'..'``, a leading ``~``, or an unquoted brace
    expansion such as ``{a,b}``).  Globs are kept as written: see
    :attr:`has_glob`.
    """
    start: int
    end: int
    has_glob: bool = False
    """An unquoted ``*``, ``?`` or ``[`` (pathname expansion may apply)."""


@dataclass(frozen=True)
class Redirect:
    """A redirection such as ``>/dev/null``, ``2>&1`` or ``<<< word``."""

    text: str
    start: int
    end: int


@dataclass(frozen=True)
class SimpleCommand:
    """A simple command: ``[assignments] [argv...] [redirects]``.

    Also used for the bash builtins tree-sitter gives their own node types
    (``export``/``declare``/``local``/``readonly``/``typeset``, ``unset``,
    ``[ .. ]``/``[[ .. ]]``) and for bare assignments (``A=1``: empty argv).

    Context flags (all are inherited by everything nested inside, including
    command substitutions):

    * ``in_subshell``: inside ``( )``, ``$( )``, backticks or ``<( )``/``>( )``.
      Pipeline elements are *not* flagged, although most shells run them in
      subshells (they are treated as the current shell, conservatively).
    * ``in_pipeline``: an element of (or nested in an element of) a pipeline
      with at least two commands.
    * ``in_condition``: its exit status is tested rather than being the status
      of its and-or list: inside an ``if``/``elif``/``while``/``until``
      condition, in any pipeline of an and-or list except the last one (the
      left of ``&&``/``||``), or in a ``!``-negated pipeline.  ``set -e`` does
      not abort on these.
    * ``in_function``: inside a function body.
    * ``top_level``: directly an element of a pipeline of a top-level and-or
      list (possibly with redirects or ``!``), not nested in any compound
      command, function, or substitution.
    """

    argv: tuple[Word, ...]
    assignments: tuple[Word, ...]
    redirects: tuple[Redirect, ...]
    start: int
    end: int
    in_subshell: bool = False
    in_pipeline: bool = False
    in_condition: bool = False
    in_function: bool = False
    top_level: bool = False

    @property
    def name(self) -> Optional[str]:
        """The static value of argv[0], or None (no argv, or not static)."""
        return self.argv[0].value if self.argv else None


@dataclass(frozen=True)
class Compound:
    """A compound pipeline element: subshell, group, if, loop, case, function...

    ``kind`` is one of ``subshell``, ``group`` (``{ }``), ``arith``
    (``(( ))``), ``if``, ``for``, ``select``, ``cfor`` (``for ((;;))``),
    ``while``, ``until``, ``case``, ``function``.
    ``commands`` are all simple commands nested inside, in source order.
    """

    kind: str
    start: int
    end: int
    commands: tuple[SimpleCommand, ...]


Command = Union[SimpleCommand, Compound]


@dataclass(frozen=True)
class Pipeline:
    """``[!] cmd1 | cmd2 ...``; ``commands`` are the pipeline elements."""

    start: int
    end: int
    commands: tuple[Command, ...]
    negated: bool = False


@dataclass(frozen=True)
class AndOrList:
    """``p1 && p2 || p3 ...`` (left-associative, equal precedence)."""

    start: int
    end: int
    pipelines: tuple[Pipeline, ...]
    operators: tuple[str, ...]
    """``'&&'``/``'||'``; ``len(operators) == len(pipelines) - 1``."""
    terminator: Optional[str] = None
    """``';'``, ``'&'``, ``'\\n'``, or None when nothing follows."""


@dataclass(frozen=True)
class Comment:
    text: str
    start: int
    end: int


@dataclass(frozen=True)
class StateChange:
    command: Optional[SimpleCommand]
    reason: str
    start: int


@dataclass(frozen=True)
class ShellScript:
    """The result of :func:`dockeropt.shell.parse_shell` (see the package doc)."""

    text: str
    ok: bool
    error: Optional[str]
    lists: tuple[AndOrList, ...] = ()
    commands: tuple[SimpleCommand, ...] = ()
    comments: tuple[Comment, ...] = ()
    has_background: bool = False
    has_exit: bool = False
    has_trailing_comment: bool = False
    changes: tuple[StateChange, ...] = field(default=(), repr=False)
    functions: frozenset[str] = frozenset()
    """Names of the shell functions the script defines."""

    def state_changes(self) -> list[tuple[Optional[SimpleCommand], str]]:
        """What would leak into a following ``&& more`` in the same shell.

        Includes a ``(None, "not understood: ...")`` entry when not ``ok``,
        so ``not script.state_changes()`` is a safe test on its own.
        """
        out = [(c.command, c.reason) for c in self.changes]
        if not self.ok:
            out.append((None, f"not understood: {self.error}"))
        return out

    def is_and_chain(self) -> bool:
        """Exactly one top-level and-or list, only ``&&``, no terminator.

        A trailing ``;``, newline or ``&`` makes it False, as does any ``||``
        or a script that is not ``ok``.
        """
        return (
            self.ok
            and len(self.lists) == 1
            and self.lists[0].terminator is None
            and all(op == "&&" for op in self.lists[0].operators)
        )
