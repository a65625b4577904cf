"""Parse the shell text of a shell-form ``RUN`` -- never regex-match it.

:func:`parse_shell` runs tree-sitter-bash over the text ``/bin/sh -c`` would
receive and returns a :class:`ShellScript` of plain frozen records (and-or
lists, pipelines, every simple command with its words and context, comments,
state changes).  All offsets are ``str`` character offsets into that text.

What ``ShellScript.ok`` guarantees
----------------------------------
When ``ok`` is True, the tree contains no ``ERROR``/``MISSING`` node and every
node was one the walker understands, so: ``lists`` are exactly the top-level
and-or lists with their operators and terminators, ``commands`` are *all* the
simple commands (nothing hides in an unvisited construct), word ``value``s are
exact when not None, and ``state_changes()``/``has_background``/``has_exit``
are complete (they err on the side of reporting).  Rules must only rewrite
scripts with ``ok`` True.

``ok`` is False (``error`` says why) for:

* syntax errors (``ERROR`` or ``MISSING`` nodes, e.g. ``a &&``, ``'x``, ``(``),
  including a dangling trailing backslash;
* heredocs inside the shell text (appended text would land in the body);
* NUL, ``\\r``, ``\\f`` or ``\\v`` anywhere: tree-sitter treats them as blanks,
  sh does not (normalise CRLF before parsing);
* a backslash-newline joining two words (``ins\\<newline>tall``): sh joins
  them, tree-sitter splits them;
* nested backticks (tree-sitter does not parse inside them);
* ``!`` anywhere but at the start of a pipeline, ``;;`` outside ``case``,
  words after the redirection of a compound command, or any node type the
  walker does not know;
* ``alias NAME=...`` (later command names could be aliases).

Known limitations: ``eval``/``source``/``sh -c`` contents are opaque (they are
reported as state changes, their inner commands are not analysed);
bash-only syntax is accepted as bash parses it.
"""

from .commands import CommandMatch, Invocation, find_commands, has_option, invocation
from .model import (
    AndOrList,
    Command,
    Comment,
    Compound,
    Pipeline,
    Redirect,
    ShellScript,
    SimpleCommand,
    StateChange,
    Word,
)
from .parser import builtin_name, parse_shell

__all__ = [
    "AndOrList",
    "Command",
    "CommandMatch",
    "Comment",
    "Compound",
    "Invocation",
    "Pipeline",
    "Redirect",
    "ShellScript",
    "SimpleCommand",
    "StateChange",
    "Word",
    "builtin_name",
    "find_commands",
    "has_option",
    "invocation",
    "parse_shell",
]
