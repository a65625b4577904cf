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
* places where tree-sitter-bash is known to tokenise differently from sh:
  a backslash-newline joining two words (``ins\\<newline>tall``), source
  text that no token covers (the ``\\ `` starting ``\\ a``), two words with
  no blank between them (``'x'\\$v``), a blank inside a word (``{ {``), a
  newline inside a simple command (``echo ==<newline>a``), an assignment to
  a non-ASCII name (``é=1`` is a command word in sh), nested backticks;
* ``!`` anywhere but at the start of a pipeline, ``;;`` outside ``case``,
  words after the redirection of a compound command, or any node type the
  walker does not know;
* ``alias NAME=...`` (later command names could be aliases).

Conservative choices: ``has_background`` is True for a ``&`` anywhere (not
only at top level); ``has_exit`` counts ``exit``/``return``/``logout`` and
``exec CMD`` anywhere outside ``( )``/``$( )``, function bodies included;
``state_changes()`` counts pipeline elements and function bodies as the
current shell, and also reports ``read``, ``shift``, ``let``, ``getopts``,
``printf -v``, loop variables, ``${x:=y}``, arithmetic assignments, a
non-static command name, and ``VAR=x`` before a special builtin or a function.

tree-sitter is given an ASCII copy of the text (each non-ASCII character
replaced by ``x``, which sh would also treat as a word character): this keeps
offsets equal to character offsets and avoids a tree-sitter-bash segfault on
``{`` followed by a character beyond U+FFFF (tree-sitter-bash#337).

Known limitations: ``eval``/``source``/``sh -c``/``xargs`` contents are opaque
(eval and source are reported as state changes; commands inside none of them
are analysed); bash-only syntax is accepted as bash parses it; comments in
the text are kept where they are (``has_trailing_comment`` says whether
appending is safe).
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
