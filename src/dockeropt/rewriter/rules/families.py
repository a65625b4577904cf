"""Shared shapes of the package-manager rules: *append a clean-up* (``yum clean all``,
``zypper clean -a``: ``CleanSpec`` / ``AppendCleanRule``) and *insert an option after the
subcommand* (``-y``, ``--no-install-recommends``, ``--non-interactive``: ``InsertOptionRule``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import ClassVar, Optional

from dockeropt.rewriter.base import Context, Diagnostic, Edit, Rule
from dockeropt.rewriter.chain import append_edit, chain_index, chain_removals, unique
from dockeropt.rewriter.managers import later_blocks_clean
from dockeropt.rewriter.mounts import handled_by_mounts
from dockeropt.rewriter.runs import cache_dir_mounted, can_append, candidate_runs, commands, insert_after, removed_after
from dockeropt.rewriter.shellrun import RunView
from dockeropt.shell import Word
from dockeropt.shell.options import Cmd, prefix_text


# Global options carried into the appended clean command: they say where the cache is.
CARRIED = {
    "yum": ("--installroot", "--releasever", "-c", "--config"),
    "dnf": ("--installroot", "--releasever", "-c", "--config"),
    "microdnf": ("--installroot", "--releasever", "--config"),
    "zypper": ("-R", "--root", "--installroot", "-c", "--config", "-C", "--cache-dir", "--pkg-cache-dir",
               "--raw-cache-dir", "--solv-cache-dir", "-D", "--reposd-dir"),
}


_SAFE_VALUE = re.compile(r"^[A-Za-z0-9_./:@%+,=-]+$")


def carried_options(c: Cmd) -> Optional[str]:
    """The cache-locating global options of ``c`` (before its subcommand), as ``--opt=value``
    words; None when one has a value that cannot be copied verbatim."""
    names = CARRIED.get(c.program, ())
    out = []
    for o in c.opts:
        if not o.before_sub:
            continue
        if o.name == "--setopt" and (o.value or "").split("=", 1)[0].strip().lower() in ("cachedir", "persistdir"):
            pass
        elif o.name not in names:
            continue
        if o.value is None or not _SAFE_VALUE.match(o.value):
            return None
        out.append(f"{o.name}={o.value}" if o.name.startswith("--") else f"{o.name} {o.value}")
    return " ".join(out)


def clean_command(c: Cmd, tail: str) -> Optional[str]:
    """``<prefix> <program> [carried options] <tail>`` for trigger command ``c``."""
    prefix = prefix_text(c)
    carried = carried_options(c)
    if prefix is None or carried is None:
        return None
    return " ".join(x for x in (prefix, carried, tail) if x)


@dataclass
class CleanSpec:
    """How one package manager's cache is cleaned at the end of a RUN."""

    programs: tuple[str, ...]
    triggers: frozenset[str]
    clean_subs: frozenset[str]  # `<prog> <sub>` commands that count as cleaning already
    tail: str  # appended after the program: "clean all"
    dirs: dict[str, tuple[str, ...]]  # program -> its cache directories
    skip_opts: tuple[str, ...] = ()  # options on a trigger that mean: leave this RUN alone
    manager: dict[str, str] = field(default_factory=dict)  # program -> manager name for the mount plan

    def is_trigger(self, c: Cmd) -> bool:
        return c.static_prefix and c.sub in self.triggers


def clean_edits(ctx: Context, view: RunView, spec: CleanSpec, later_blocks) -> tuple[list[str], list[str]]:
    """(clean commands to append, programs they are for) for one RUN; empty when nothing to do."""
    found: list[tuple[int, str]] = []
    progs: list[str] = []
    for prog in spec.programs:
        cmds = commands(view, prog)
        triggers = [c for c in cmds if spec.is_trigger(c)]
        if not triggers:
            continue
        if handled_by_mounts(ctx, view, spec.manager.get(prog, prog)):
            continue
        last = max(c.start for c in triggers)
        if any(c.sub in spec.clean_subs and c.start > last for c in cmds):
            continue
        dirs = spec.dirs[prog]
        if removed_after(ctx, view, last, dirs):
            continue
        if cache_dir_mounted(view, dirs):
            continue
        if any(c.has(*spec.skip_opts) for c in triggers):
            continue
        if later_blocks_clean(ctx, view, prog, later_blocks):
            continue
        texts = [(c.start, clean_command(c, spec.tail)) for c in triggers]
        if any(t is None for _, t in texts):
            continue
        found.extend(texts)  # type: ignore[arg-type]
        progs.append(prog)
    cleans = unique(t for _, t in sorted(found))
    return cleans, progs


def redundant_cleans(ctx: Context, view: RunView, spec: CleanSpec, appending: list[str]) -> tuple[list[Edit], list[str]]:
    """Edits removing a `<prog> clean` that sits between two commands of the same program that
    fill the cache (`dnf -y update && dnf clean all && dnf -y install x && dnf clean all`), while
    a clean still follows the last of them. Such a clean only makes the next command download
    the metadata again; it does nothing for the layer. (hadolint compares the *first* clean with
    the *first* install, so it reports these RUNs although they are clean.)"""
    order = list(view.script.commands)
    pos = {id(c): i for i, c in enumerate(order)}
    picked: list[tuple[int, int]] = []
    progs: list[str] = []
    for prog in spec.programs:
        cmds = commands(view, prog)
        by_cmd = {id(c.command): c for c in cmds}
        triggers = [c for c in cmds if spec.is_trigger(c)]
        if not triggers:
            continue
        last = max(c.start for c in triggers)
        if not (prog in appending or any(c.sub in spec.clean_subs and c.start > last for c in cmds)):
            continue
        for c in cmds:
            if c.sub not in spec.clean_subs or c.start > last:
                continue
            i = pos.get(id(c.command))
            if i is None or i == 0 or i + 1 >= len(order):
                continue
            before, after = by_cmd.get(id(order[i - 1])), by_cmd.get(id(order[i + 1]))
            if before is None or after is None or not spec.is_trigger(before) or not spec.is_trigger(after):
                continue
            k = chain_index(view, c.command)
            if k is not None:
                picked.append(k)
                if prog not in progs:
                    progs.append(prog)
    if not picked:
        return [], []
    edits = chain_removals(ctx, view, picked)
    return (edits, progs) if edits else ([], [])


def clean_changes(rule: Rule, ctx: Context, spec: CleanSpec, later_blocks, message) -> list:
    changes = []
    for view in candidate_runs(rule, ctx, *spec.programs):
        cleans, progs = clean_edits(ctx, view, spec, later_blocks) if can_append(view) else ([], [])
        hazard = view.append_hazard(ctx) if cleans else None
        if hazard:
            changes.append(rule.change(view.ins, f"{'/'.join(progs)} cache kept: {hazard}", ()))
            cleans, progs = [], []
        removals, removed_for = redundant_cleans(ctx, view, spec, progs)
        edits = list(removals)
        if cleans:
            edits.append(append_edit(ctx, view, cleans))
        if not edits:
            continue
        parts = []
        if cleans:
            parts.append(message(progs, cleans))
        if removals:
            names = "/".join(removed_for)
            parts.append(f"a {names} clean between two {names} commands only makes the second download the "
                         "metadata again: the clean at the end is enough")
        changes.append(rule.change(view.ins, "; ".join(parts), edits))
    return changes


class AppendCleanRule(Rule):
    """A rule that appends ``<program> <clean>`` to a RUN that fills a cache (see ``CleanSpec``).
    Subclasses set ``spec``, ``blocks`` (a later step that reads the cache) and ``message``."""

    spec: ClassVar[CleanSpec]

    @staticmethod
    def blocks(view: RunView, prog: str) -> bool:
        return False

    def message(self, progs: list[str], cleans: list[str]) -> str:
        raise NotImplementedError

    def check(self, ctx: Context) -> list[Diagnostic]:
        return clean_changes(self, ctx, self.spec, type(self).blocks, self.message)


RPM_YES_TRIGGERS = frozenset({
    "install", "in", "localinstall", "groupinstall", "reinstall", "rei", "update", "upgrade", "up",
    "update-to", "upgrade-to", "localupdate", "update-minimal", "upgrade-minimal", "downgrade", "dg",
    "distro-sync", "distrosync", "distribution-synchronization", "dsync", "remove", "erase", "rm",
    "autoremove", "group", "groups", "grp", "groupupdate", "groupremove", "groupupgrade",
    "builddep", "build-dep", "swap", "module",
})


GROUPED = {"group", "groups", "grp", "module"}


def yes_word(c: Cmd) -> Word:
    """Where `-y` goes: after the subcommand (`dnf install -y`), for `dnf group install` /
    `dnf module enable` after the second word."""
    word = c.word_after_sub()
    if c.sub in GROUPED:
        ops = c.operands[1:]
        if ops and c.argv[ops[0]].value is not None and ops[0] == c.sub_index + 1:  # type: ignore[operator]
            word = c.argv[ops[0]]
    return word


def rpm_setopt_assumes(c: Cmd) -> bool:
    return any((v or "").split("=", 1)[0].strip().lower() in ("assumeyes", "assumeno") for v in c.values("--setopt"))


class InsertOptionRule(Rule):
    """A rule that inserts an option into package-manager commands that lack it. Subclasses set
    ``programs`` (and ``mention``, the word the RUN's text must contain), ``option``,
    ``message``, and decide per command with ``wants`` (and ``word``: the word it goes after)."""

    programs: ClassVar[tuple[str, ...]]
    mention: ClassVar[str]
    option: ClassVar[str]
    message: ClassVar[str]

    def wants(self, c: Cmd) -> bool:
        raise NotImplementedError

    def word(self, c: Cmd) -> Word:
        return c.word_after_sub()

    def check(self, ctx: Context) -> list[Diagnostic]:
        changes = []
        for view in candidate_runs(self, ctx, self.mention):
            edits = [insert_after(view, self.word(c), self.option) for c in commands(view, *self.programs)
                     if self.wants(c)]
            if edits:
                changes.append(self.change(view.ins, self.message, edits))
        return changes


class RpmYesRule(InsertOptionRule):
    """``-y`` for yum / dnf / microdnf commands that ask for confirmation."""

    option = "-y"

    def wants(self, c: Cmd) -> bool:
        if c.sub not in RPM_YES_TRIGGERS:
            return False
        return not (c.has("-y", "--assumeyes", "--assume-yes", "--assumeno", "--assume-no") or rpm_setopt_assumes(c))

    def word(self, c: Cmd) -> Word:
        return yes_word(c)
