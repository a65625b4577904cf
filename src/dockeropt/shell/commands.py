"""Find package-manager invocations in a parsed script and inspect their options.

``sudo apt-get -y install x``, ``env A=1 apt-get install``,
``DEBIAN_FRONTEND=noninteractive apt-get install`` (a prefix assignment, not
part of argv), ``/usr/bin/apt-get``, ``pip3 install``, ``python3 -m pip install``
are all recognised.  Options are only understood from a small table per program
(see ``ARG_OPTIONS``), which is enough to skip option values when looking for
the subcommand (``apt-get -o Foo=1 install``) and inside clusters (``-qy``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional, Union

from .model import ShellScript, SimpleCommand, Word

# Wrappers that run their operand as a program: options taking a value,
# and how many leading positional operands they take (``timeout 5 cmd``).
_WRAPPERS: dict[str, tuple[frozenset[str], int, bool]] = {
    # name: (options with a separate value, positional operands, accepts NAME=value)
    "sudo": (frozenset({"-u", "-g", "-C", "-D", "-h", "-p", "-r", "-t", "-U", "-T", "--user",
                        "--group", "--chdir", "--prompt", "--role", "--type", "--other-user",
                        "--close-from", "--host", "--command-timeout"}), 0, True),
    "doas": (frozenset({"-u", "-C"}), 0, False),
    "env": (frozenset({"-u", "-C", "--unset", "--chdir"}), 0, True),
    "nice": (frozenset({"-n", "--adjustment"}), 0, False),
    "nohup": (frozenset(), 0, False),
    "time": (frozenset(), 0, False),
    "command": (frozenset(), 0, False),
    "builtin": (frozenset(), 0, False),
    "exec": (frozenset({"-a"}), 0, False),
    "stdbuf": (frozenset({"-i", "-o", "-e"}), 0, False),
    "timeout": (frozenset({"-s", "-k", "--signal", "--kill-after"}), 1, False),
    "gosu": (frozenset(), 1, False),
    "su-exec": (frozenset(), 1, False),
    "eatmydata": (frozenset(), 0, False),
}

# Options that take a separate value (``--opt value``; ``--opt=value`` is always understood).
ARG_OPTIONS: dict[str, frozenset[str]] = {
    "apt": frozenset({"-o", "-c", "-t", "-a", "--option", "--config-file", "--target-release",
                      "--default-release", "--host-architecture", "--target"}),
    "apk": frozenset({"-X", "-p", "-t", "--repository", "--root", "--arch", "--cache-dir",
                      "--keys-dir", "--repositories-file", "--virtual", "--timeout",
                      "--progress-fd", "--cache-max-age", "--wait"}),
    "pip": frozenset({"-r", "-c", "-e", "-i", "-f", "-t", "-C", "--requirement", "--constraint",
                      "--editable", "--index-url", "--extra-index-url", "--find-links",
                      "--target", "--prefix", "--root", "--cache-dir", "--log", "--proxy",
                      "--retries", "--timeout", "--trusted-host", "--src", "--upgrade-strategy",
                      "--python", "--platform", "--python-version", "--implementation", "--abi",
                      "--only-binary", "--no-binary", "--config-settings", "--global-option",
                      "--progress-bar", "--report", "--exists-action", "--cert", "--client-cert",
                      "--log-file", "--keyring-provider", "--use-feature", "--use-deprecated",
                      "--build-option", "--install-option", "--group", "--resume-retries"}),
    "dnf": frozenset({"-c", "-x", "-d", "-e", "-R", "--config", "--installroot", "--releasever",
                      "--enablerepo", "--disablerepo", "--exclude", "--repo", "--repoid",
                      "--setopt", "--repofrompath", "--downloaddir", "--destdir", "--forcearch",
                      "--color", "--comment", "--rpmverbosity", "--debuglevel", "--errorlevel",
                      "--randomwait", "--advisory", "--advisories", "--bz", "--bzs", "--cve",
                      "--cves", "--sec-severity", "--secseverity", "--excludepkgs",
                      "--disableexcludes", "--disableexcludepkgs", "--disableplugin",
                      "--enableplugin", "--use-host-config"}),
    "zypper": frozenset({"-c", "-R", "-D", "-C", "-p", "-r", "-t", "--config", "--root",
                         "--installroot", "--reposd-dir", "--cache-dir", "--raw-cache-dir",
                         "--solv-cache-dir", "--pkg-cache-dir", "--userdata", "--plus-repo",
                         "--plus-content", "--releasever", "--repo", "--from", "--type", "--download"}),
    "npm": frozenset({"-C", "-w", "--prefix", "--cache", "--registry", "--loglevel", "--userconfig",
                      "--globalconfig", "--workspace", "--omit", "--include", "--tag",
                      "--location", "--only", "--also", "--install-strategy"}),
    "yarn": frozenset({"--cwd", "--cache-folder", "--modules-folder", "--network-timeout",
                       "--mutex", "--registry", "--global-folder", "--link-folder",
                       "--preferred-cache-folder", "--use-yarnrc", "--network-concurrency",
                       "--https-proxy", "--proxy", "--otp"}),
}
ARG_OPTIONS["apt-get"] = ARG_OPTIONS["apt"]
ARG_OPTIONS["yum"] = ARG_OPTIONS["microdnf"] = ARG_OPTIONS["dnf"]

# Requested name -> program names that count as it.
_ALIASES = {
    "pip": re.compile(r"pip(\d+(\.\d+)*)?"),
    "python": re.compile(r"python(\d+(\.\d+)*)?"),
}
_ASSIGNMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*=")


@dataclass(frozen=True)
class Invocation:
    """The program a simple command really runs, past wrappers like ``sudo``."""

    program: str
    """Basename of the program word (``apt-get``, ``pip3``, ``python3``)."""
    program_index: int
    """argv index of the program word."""
    module: Optional[str] = None
    """For ``python -m MODULE``: the module (``pip``)."""
    args_index: int = 0
    """argv index of the first word after the program (after ``-m pip``)."""


def invocation(cmd: SimpleCommand) -> Optional[Invocation]:
    """Resolve wrappers; None if the program is not known statically."""
    argv = cmd.argv
    i = 0
    while i < len(argv):
        v = argv[i].value
        if v is None:
            return None
        base = v.rsplit("/", 1)[-1]
        if base not in _WRAPPERS:
            return _program(argv, i, base)
        arg_opts, positionals, assignments = _WRAPPERS[base]
        i += 1
        while i < len(argv):
            opt = argv[i].value
            if opt is None:
                return None
            if not opt.startswith("-") or (opt == "-" and base != "env"):
                break
            i += 1
            if opt == "--":
                break
            if base == "command" and ("v" in opt or "V" in opt):
                return None  # command -v: looks the name up, runs nothing
            if base == "env" and (opt in ("-S", "--split-string") or opt.startswith("--split-string=")):
                return None
            if opt in arg_opts:
                i += 1
        while assignments and i < len(argv) and _ASSIGNMENT.match(argv[i].value or ""):
            i += 1
        i += positionals
    return None


def _program(argv: tuple[Word, ...], i: int, base: str) -> Invocation:
    if _ALIASES["python"].fullmatch(base):
        j = i + 1
        while j < len(argv) and (argv[j].value or "").startswith("-"):
            opt = argv[j].value
            if opt == "-m" and j + 1 < len(argv) and argv[j + 1].value:
                return Invocation(base, i, argv[j + 1].value, j + 2)
            if opt.startswith("-m") and len(opt) > 2:
                return Invocation(base, i, opt[2:], j + 1)
            if opt in ("-c", "-W", "-X", "-") or opt.startswith("--"):
                break
            j += 1
    return Invocation(base, i, None, i + 1)


def _matches(inv: Invocation, name: str) -> bool:
    pattern = _ALIASES.get(name)
    for candidate in (inv.program, inv.module):
        if candidate is None:
            continue
        if candidate == name or (pattern is not None and pattern.fullmatch(candidate)):
            return True
    return False


def _canonical(program: str) -> str:
    for name, pattern in _ALIASES.items():
        if pattern.fullmatch(program):
            return name
    return program


@dataclass(frozen=True)
class CommandMatch:
    """One command found by :func:`find_commands`."""

    command: SimpleCommand
    program: str
    """The program, canonical: ``pip`` also for ``pip3``/``python -m pip``."""
    program_index: int
    """argv index of the program word (``python3`` in ``python3 -m pip``)."""
    args_index: int
    """argv index of the first word after the program (and ``-m pip``)."""
    subcommand_index: Optional[int]
    """argv index of the first operand (``install``), None if there is none
    or a non-static word comes before it."""

    @property
    def argv(self) -> tuple[Word, ...]:
        return self.command.argv

    @property
    def start(self) -> int:
        return self.command.start

    @property
    def end(self) -> int:
        return self.command.end

    @property
    def subcommand(self) -> Optional[str]:
        return None if self.subcommand_index is None else self.command.argv[self.subcommand_index].value

    def has_option(self, *names: str) -> bool:
        return _has_option(self.command.argv, self.args_index, self.program, names)


def _subcommand_index(argv: tuple[Word, ...], start: int, program: str) -> Optional[int]:
    arg_opts = ARG_OPTIONS.get(program, frozenset())
    i = start
    while i < len(argv):
        v = argv[i].value
        if v is None:
            return None
        if v == "--":
            return i + 1 if i + 1 < len(argv) and argv[i + 1].value is not None else None
        if not v.startswith("-") or v == "-":
            return i
        i += 2 if v in arg_opts else 1
    return None


def _invocations(script: ShellScript) -> list[tuple[SimpleCommand, Optional[Invocation]]]:
    """Each command of the script with what it runs, resolved once per script (rules ask about
    the same parsed scripts again and again; the records are immutable)."""
    found = script.__dict__.get("_invocations")
    if found is None:
        found = [(cmd, invocation(cmd)) for cmd in script.commands]
        script.__dict__["_invocations"] = found  # a cache, not a field: frozen-ness is kept
    return found


def find_commands(script: ShellScript, name: str, subcommand: Optional[str] = None) -> list[CommandMatch]:
    """Commands anywhere in ``script`` that run ``name`` [``subcommand``].

    ``name`` is compared with the program's basename; ``pip`` also matches
    ``pip3``, ``pip3.11`` and ``python[3[.X]] -m pip``; ``python`` matches
    ``python3``/``python3.X``.  Commands whose program is a shell function the
    script defines are skipped.  With ``subcommand``, only commands whose first
    operand (options and their values skipped) is exactly that word.
    """
    out = []
    for cmd, inv in _invocations(script):
        if inv is None or inv.program in script.functions or not _matches(inv, name):
            continue
        if inv.module is not None and _matches(Invocation(inv.module, 0), name):
            program, args = _canonical(inv.module), inv.args_index
        else:
            program, args = _canonical(inv.program), inv.program_index + 1
        sub = _subcommand_index(cmd.argv, args, program)
        if subcommand is not None and (sub is None or cmd.argv[sub].value != subcommand):
            continue
        out.append(CommandMatch(cmd, program, inv.program_index, args, sub))
    return out


def has_option(cmd: Union[SimpleCommand, CommandMatch], *names: str) -> bool:
    """Whether any of the options ``names`` is given to the program.

    Long options match ``--opt`` and ``--opt=value``; a short option ``-y``
    also matches inside a cluster such as ``-qy`` (a cluster stops at an option
    that takes a value: ``-ob`` is ``-o b``).  Words after ``--`` and option
    values are not options.  Non-static words (``$FLAGS``) are not looked into,
    and abbreviated long options (``--no-cache`` for pip's ``--no-cache-dir``)
    are not recognised.
    """
    if isinstance(cmd, CommandMatch):
        return cmd.has_option(*names)
    inv = invocation(cmd)
    if inv is None:
        return _has_option(cmd.argv, 1, "", names)
    program = _canonical(inv.module or inv.program)
    return _has_option(cmd.argv, inv.args_index, program, names)


def _has_option(argv: tuple[Word, ...], start: int, program: str, names: tuple[str, ...]) -> bool:
    arg_opts = ARG_OPTIONS.get(program, frozenset())
    longs = {n for n in names if n.startswith("--")}
    shorts = {n[1] for n in names if len(n) == 2 and n[0] == "-" and n[1] != "-"}
    i = start
    while i < len(argv):
        v = argv[i].value
        i += 1
        if v is None or not v.startswith("-") or v == "-":
            continue
        if v == "--":
            break
        if v.startswith("--"):
            opt = v.split("=", 1)[0]
            if opt in longs:
                return True
            if opt in arg_opts and "=" not in v:
                i += 1
            continue
        if v in names:  # e.g. a single-dash long option (-qq)
            return True
        for k, ch in enumerate(v[1:]):
            if ch in shorts:
                return True
            if f"-{ch}" in arg_opts:
                if k == len(v) - 2:  # value is the next word
                    i += 1
                break
    return False
