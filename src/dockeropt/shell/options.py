"""Options of package-manager commands, read from the parsed shell.

``read_command`` turns a command found by :func:`dockeropt.shell.find_commands` into a
:class:`Cmd`: its options (with their values, as far as a per-program table of options that take
a value allows: ``apt-get -o Foo=1 install``, clusters such as ``-qy``), its subcommand and
operands, and whether every word before the subcommand is static.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from .commands import ARG_OPTIONS, CommandMatch, find_commands
from .model import SimpleCommand, Word


@dataclass(frozen=True)
class Opt:
    name: str  # "-y", "--yes"
    value: Optional[str]  # None: no value; for a value in a non-static word: None as well
    index: int  # argv index of the word the option is in
    before_sub: bool


@dataclass(frozen=True)
class Cmd:
    """A package-manager command with its options read."""

    match: CommandMatch
    program: str
    opts: tuple[Opt, ...]
    sub_index: Optional[int]  # argv index of the subcommand (first operand)
    operands: tuple[int, ...]  # argv indexes of operands (the subcommand first)
    static_prefix: bool  # every word before the subcommand is static

    @property
    def command(self) -> SimpleCommand:
        return self.match.command

    @property
    def argv(self) -> tuple[Word, ...]:
        return self.match.argv

    @property
    def start(self) -> int:
        return self.match.start

    @property
    def end(self) -> int:
        return self.match.end

    @property
    def sub(self) -> Optional[str]:
        return None if self.sub_index is None else self.argv[self.sub_index].value

    def operand(self, k: int) -> Optional[str]:
        """The k-th operand after the subcommand (0: the word after the subcommand)."""
        ops = self.operands[1:]
        return self.argv[ops[k]].value if k < len(ops) else None

    def has(self, *names: str) -> bool:
        return any(o.name in names for o in self.opts)

    def values(self, *names: str) -> list[Optional[str]]:
        return [o.value for o in self.opts if o.name in names]

    def has_prefix(self, long: str, minimum: str) -> bool:
        """A long option, also as an unambiguous abbreviation of at least ``minimum``."""
        return any(o.name.startswith(minimum) and long.startswith(o.name) for o in self.opts)

    def word_after_sub(self) -> Word:
        assert self.sub_index is not None
        return self.argv[self.sub_index]


def read_command(m: CommandMatch, program: Optional[str] = None) -> Cmd:
    program = program or m.program
    arg_opts = ARG_OPTIONS.get(program, frozenset())
    argv = m.argv
    opts: list[Opt] = []
    operands: list[int] = []
    sub: Optional[int] = None
    static_prefix = True
    i = m.args_index
    rest_operands = False
    while i < len(argv):
        w = argv[i]
        v = w.value
        if rest_operands:
            operands.append(i)
            i += 1
            continue
        if v is None:
            if sub is None:
                static_prefix = False
            operands.append(i)
            i += 1
            continue
        before = sub is None
        if v == "--":
            rest_operands = True
            i += 1
            continue
        if v.startswith("--"):
            name, eq, value = v.partition("=")
            if eq:
                opts.append(Opt(name, value, i, before))
            elif name in arg_opts and i + 1 < len(argv):
                opts.append(Opt(name, argv[i + 1].value, i, before))
                i += 1
            else:
                opts.append(Opt(name, None, i, before))
            i += 1
            continue
        if v.startswith("-") and v != "-":
            body = v[1:]
            k = 0
            while k < len(body):
                ch = body[k]
                name = "-" + ch
                tail = body[k + 1 :]
                if tail.startswith("="):
                    opts.append(Opt(name, tail[1:], i, before))
                    break
                if name in arg_opts:
                    if tail:
                        opts.append(Opt(name, tail, i, before))
                    elif i + 1 < len(argv):
                        opts.append(Opt(name, argv[i + 1].value, i, before))
                        i += 1
                    else:
                        opts.append(Opt(name, None, i, before))
                    break
                opts.append(Opt(name, None, i, before))
                k += 1
            i += 1
            continue
        if sub is None:
            sub = i
        operands.append(i)
        i += 1
    if not static_prefix:
        sub = None
    return Cmd(m, program, tuple(opts), sub, tuple(operands), static_prefix)


def script_commands(script, *programs: str) -> list[Cmd]:
    """Commands of ``programs`` in a parsed script, in source order, options read."""
    out = []
    for prog in programs:
        for m in find_commands(script, prog):
            out.append(read_command(m))
    return sorted(out, key=lambda c: c.start)


def prefix_text(cmd: Cmd) -> Optional[str]:
    """The command's prefix assignments and wrappers (``sudo -u x``), as written, followed by
    the program word as written; None when any of those words is not static."""
    words = list(cmd.command.assignments) + list(cmd.argv[: cmd.match.program_index + 1])
    if any(w.value is None for w in words):
        return None
    return " ".join(w.text for w in words)


WRAPPERS_CHANGING_USER = {"sudo", "su", "doas", "gosu", "su-exec", "runuser", "chroot", "setpriv"}


def runs_as_other_user(cmd: Cmd) -> bool:
    return any((w.value or "").rsplit("/", 1)[-1] in WRAPPERS_CHANGING_USER for w in cmd.argv[: cmd.match.program_index])
