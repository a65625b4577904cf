"""Helpers shared by the package-manager rules (apt, apk, pip, yum/dnf/microdnf, zypper, npm, yarn).

Everything here works on the parsed shell (:mod:`dockeropt.shell`): commands are found with
``find_commands`` (which sees through ``sudo``, ``env``, ``VAR=x`` prefixes, ``python -m pip``),
options are read with a small per-program table of options that take a value, and edits are
made at word boundaries or by removing whole elements of an ``&&`` chain.

It also holds the *cache-mount plan*: what the ``cache-mounts`` rule would add to a RUN. The
cache-deleting rules consult it when ``--cache-strategy mount`` is in force, so that exactly one
of the two approaches is applied to each package manager in each RUN.
"""

from __future__ import annotations

import json
import posixpath
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator, Optional

from dockeropt.rewriter.base import Context, Edit, Rule
from dockeropt.rewriter import later
from dockeropt.rewriter.shellrun import Layout, RunView, iter_runs
from dockeropt.shell import CommandMatch, SimpleCommand, Word, find_commands
from dockeropt.syntax import nodes as n

MOUNTS_RULE_ID = "cache-mounts"

# --------------------------------------------------------------------------------------------
# Which RUNs a rule may touch
# --------------------------------------------------------------------------------------------


def candidate_runs(rule: Rule, ctx: Context, *programs: str) -> Iterator[RunView]:
    """Shell-form RUNs in a POSIX shell whose shell parses, not suppressed for ``rule``.

    With ``programs``, only RUNs whose text names one of them: a command the rule can act on
    has its program as a static word, so the others need no shell parse.
    """
    for view in iter_runs(ctx):
        if not view.rewritable or (programs and not view.mentions(*programs)) or ctx.suppressed(rule, view.ins):
            continue
        if not view.script.ok:
            continue
        yield view


def can_append(view: RunView) -> bool:
    """Is ``&& cmd`` at the very end of this RUN's shell text safe to add?

    Not after a trailing comment (it would be commented out), a trailing ``;``/``&``/newline
    (``a; && b`` is a syntax error), a background job, or an ``exit``/``exec``.
    """
    s = view.script
    if not s.ok or not s.lists or s.has_trailing_comment or s.has_background or s.has_exit:
        return False
    return s.lists[-1].terminator is None


class _Named:
    """Stands in for a rule in ``ctx.suppressed`` checks (id + hadolint codes)."""

    def __init__(self, id: str, hadolint: tuple[str, ...] = ()):
        self.id = id
        self.hadolint = hadolint


def suppressed_as(ctx: Context, ins: n.Instruction, rule_id: str, codes: tuple[str, ...] = ()) -> bool:
    return ctx.suppressed(_Named(rule_id, codes), ins)  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------------
# Options
# --------------------------------------------------------------------------------------------

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


def commands(view: RunView, *programs: str) -> list[Cmd]:
    """Commands of ``programs`` in the RUN, in source order, options read."""
    return script_commands(view.script, *programs)


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


def insert_after(view: RunView, word: Word, text: str) -> Edit:
    return view.insert_after_word(word, text)


# --------------------------------------------------------------------------------------------
# The Dockerfile around a RUN: stages, ENV/ARG, USER, WORKDIR, later RUNs
# --------------------------------------------------------------------------------------------


def _instructions_before(ctx: Context, view: RunView) -> Iterator[n.Instruction]:
    """The instructions of the stages ``view`` inherits from, then its own stage up to it."""
    graph = ctx.model.graph
    for i in graph.chain(view.stage.index):
        for ins in graph[i].stage.instructions:
            if ins is view.ins:
                return
            yield ins


def env_before(ctx: Context, view: RunView) -> dict[str, Optional[str]]:
    """Variables set by ENV (value) or ARG (default, or None when it has none) for this RUN."""
    return ctx.model.state(view.index).variables()


def user_is_root(ctx: Context, view: RunView) -> bool:
    """No USER in the stage chain before the RUN, or the last one is root/0."""
    return ctx.model.state(view.index).user_is_root


def workdir_before(ctx: Context, view: RunView) -> Optional[str]:
    """The WORKDIR in force (``/`` when none), None when it is not static."""
    return ctx.model.state(view.index).workdir


def shell_ok(view: RunView) -> bool:
    return view.rewritable and view.script.ok


def script_sets(view: RunView, name: str) -> bool:
    """Does the RUN set variable ``name`` (prefix assignment, bare assignment, export, env)?"""
    prefix = name + "="
    for c in view.script.commands:
        for w in c.assignments:
            if w.text.startswith(prefix):
                return True
        for w in c.argv:
            if w.text.startswith(prefix) or w.text.lstrip("\"'").startswith(prefix):
                return True
    return False


# --------------------------------------------------------------------------------------------
# Mounts and paths
# --------------------------------------------------------------------------------------------


def _norm(path: str) -> str:
    return posixpath.normpath(path) if path else path


def mount_target(m: dict[str, str]) -> str:
    return _norm(m.get("target") or m.get("dst") or m.get("destination") or "")


def is_within(path: str, base: str) -> bool:
    """``path`` is ``base`` or below it."""
    path, base = _norm(path), _norm(base)
    return path == base or path.startswith(base.rstrip("/") + "/")


def cache_mounted(view: RunView, path: str) -> bool:
    """A cache mount covers ``path`` (its target is ``path`` or a parent of it)."""
    return any(m.get("type") == "cache" and mount_target(m) and is_within(path, mount_target(m))
               for m in view.ins.mounts)


def any_mount_near(view: RunView, path: str) -> bool:
    """Some mount (any type) has its target at, above or below ``path``."""
    for m in view.ins.mounts:
        t = mount_target(m)
        if t and (is_within(path, t) or is_within(t, path)):
            return True
    return False


_GLOB = re.compile(r"[*?\[]")


@dataclass(frozen=True)
class PathRef:
    """A path operand of a file-removing command, resolved as far as it statically can be."""

    path: Optional[str] = None  # an exact absolute path
    glob_dir: Optional[str] = None  # a glob: it matches things strictly below this directory
    prefix: Optional[str] = None  # not static: every match starts with this text ("" = anything)


def path_ref(word: Word, cwd: Optional[str]) -> PathRef:
    text = word.value
    if text is None:
        raw = word.text
        cut = len(raw)
        for ch in "$`\"'\\~{":
            k = raw.find(ch)
            if k != -1:
                cut = min(cut, k)
        prefix = raw[:cut]
        if not prefix.startswith("/"):
            prefix = "" if (cwd is None or not prefix) else posixpath.join(cwd, prefix)
        return PathRef(prefix=prefix)
    if not text.startswith("/"):
        if cwd is None:
            return PathRef(prefix="")
        text = posixpath.join(cwd, text)
    m = _GLOB.search(text) if word.has_glob else None
    if m:
        head = text[: m.start()]
        d = head[: head.rfind("/")] or "/"
        return PathRef(glob_dir=_norm(d))
    return PathRef(path=_norm(text))


def relation(ref: PathRef, target: str) -> str:
    """What removing ``ref`` does to ``target``: "equal" (removes the target itself), "above"
    (removes a parent of it, and more), "inside" (only things below it), "apart", or "unknown"."""
    if ref.path is not None:
        if _norm(ref.path) == _norm(target):
            return "equal"
        if is_within(target, ref.path):
            return "above"
        return "inside" if is_within(ref.path, target) else "apart"
    if ref.glob_dir is not None:
        if is_within(ref.glob_dir, target):
            return "inside"
        return "above" if is_within(target, ref.glob_dir) else "apart"
    p = ref.prefix or ""
    t = _norm(target).rstrip("/") + "/"
    if not p or t.startswith(p):
        return "unknown"
    return "inside" if p.startswith(t) else "apart"


def covers(ref: PathRef, target: str) -> bool:
    """Removing ``ref`` removes all of ``target``'s contents."""
    if ref.path is not None:
        return is_within(target, ref.path)
    if ref.glob_dir is not None:
        return is_within(target, ref.glob_dir)
    return False


REMOVERS = {"rm", "rmdir", "mv", "find", "shred", "unlink"}


def path_operands(view: RunView, cmd: SimpleCommand, cwd: Optional[str]) -> list[PathRef]:
    """Path operands of a removing command (options skipped)."""
    out = []
    argv = cmd.argv
    name = (cmd.name or "").rsplit("/", 1)[-1]
    start = 1
    # the program may sit behind sudo etc.
    for k, w in enumerate(argv):
        if (w.value or "").rsplit("/", 1)[-1] in REMOVERS:
            start = k + 1
            name = (w.value or "").rsplit("/", 1)[-1]
            break
    ended = False
    for w in argv[start:]:
        v = w.value
        if name == "find":
            if v is not None and (v.startswith("-") or v in ("(", ")", "!")):
                break  # the expression starts; only the start points are paths
        elif not ended and v is not None and v.startswith("-") and v != "-":
            if v == "--":
                ended = True
            continue
        out.append(path_ref(w, cwd))
    return out


def removing_commands(view: RunView) -> list[SimpleCommand]:
    out = []
    for c in view.script.commands:
        for w in c.argv[:3]:
            if (w.value or "").rsplit("/", 1)[-1] in REMOVERS:
                out.append(c)
                break
    return out


def cwd_of(ctx: Context, view: RunView) -> Optional[str]:
    """The working directory relative paths in this RUN resolve against, if it is certain."""
    if any((c.name or "") in ("cd", "pushd", "popd") for c in view.script.commands):
        return None
    return workdir_before(ctx, view)


# --------------------------------------------------------------------------------------------
# Removing one element of an `&&` chain
# --------------------------------------------------------------------------------------------


def chain_index(view: RunView, cmd: SimpleCommand) -> Optional[tuple[int, int]]:
    """(list, element) of ``cmd`` in a top-level and-or list of the RUN that joins at least two
    elements with ``&&`` only, when ``cmd`` is a whole element of it (a one-command pipeline,
    not negated); None otherwise."""
    s = view.script
    if not s.ok:
        return None
    for li, lst in enumerate(s.lists):
        if len(lst.pipelines) < 2 or any(op != "&&" for op in lst.operators):
            continue
        for k, p in enumerate(lst.pipelines):
            if p.negated or len(p.commands) != 1 or not isinstance(p.commands[0], SimpleCommand):
                continue
            if p.commands[0].start == cmd.start and p.commands[0].end == cmd.end:
                return li, k
    return None


def chain_removals(ctx: Context, view: RunView, indices: Iterable[tuple[int, int]]) -> Optional[list[Edit]]:
    """Edits removing the elements ``indices`` ((list, element) pairs from ``chain_index``).

    Every list keeps at least one element. Each run of adjacent removed elements goes with the
    operator and line continuation that join it to a kept neighbour, so the author's layout
    stays as it was; comment lines are never removed (None when no span avoids them).
    """
    by_list: dict[int, list[int]] = {}
    for li, k in set(indices):
        by_list.setdefault(li, []).append(k)
    if not by_list:
        return None
    edits = []
    for li, idx in sorted(by_list.items()):
        pipes = view.script.lists[li].pipelines
        idx.sort()
        if len(idx) >= len(pipes):
            return None
        groups: list[list[int]] = []
        for k in idx:
            if groups and groups[-1][-1] == k - 1:
                groups[-1].append(k)
            else:
                groups.append([k])
        for g in groups:
            e = _group_removal(ctx, view, pipes, g[0], g[-1])
            if e is None:
                return None
            edits.append(e)
    return edits


def _group_removal(ctx: Context, view: RunView, pipes, i: int, j: int) -> Optional[Edit]:
    """One span removing elements i..j of an ``&&`` list with one of the operators around them.

    Tried in turn, the first that holds no comment line wins: from the group's start to the
    next element's start (the operator and the line break after the group go too); from the
    previous element's end to the group's end (the operator before it); from the group's start
    to just after the ``&&`` that follows it on the same line (a comment on the next lines stays).
    """
    spans = []
    if j < len(pipes) - 1:
        spans.append((view.offset(pipes[i].start), view.offset(pipes[j + 1].start)))
    if i > 0:
        spans.append((view.offset(pipes[i - 1].end), view.offset(pipes[j].end)))
    if j < len(pipes) - 1:
        text = view.script.text
        k = pipes[j].end
        while k < len(text) and text[k] in " \t":
            k += 1
        if text.startswith("&&", k):
            a, b = view.offset(pipes[i].start), view.offset(k + 2)
            while b < len(ctx.text) and ctx.text[b] in " \t":
                b += 1
            if "\n" not in ctx.text[view.offset(pipes[j].end) : b]:
                spans.append((a, b))
    for a, b in spans:
        if "#" not in ctx.text[a:b]:
            return Edit(a, b, "")
    return None


def safe_removal(ctx: Context, view: RunView, cmd: SimpleCommand) -> Optional[Edit]:
    """Edit removing ``cmd`` from the RUN's ``&&`` chain (see ``chain_removals``), or None."""
    k = chain_index(view, cmd)
    if k is None:
        return None
    edits = chain_removals(ctx, view, [k])
    return edits[0] if edits else None


# --------------------------------------------------------------------------------------------
# Clean-up appended at the end of a RUN
# --------------------------------------------------------------------------------------------


def unique(items: Iterable[str]) -> list[str]:
    seen: list[str] = []
    for x in items:
        if x not in seen:
            seen.append(x)
    return seen


def chain_layout(ctx: Context, view: RunView) -> Layout:
    """The RUN's continuation layout (``Layout.of``)."""
    return Layout.of(view.ins, ctx)


def append_edit(ctx: Context, view: RunView, commands_: list[str]) -> Edit:
    """``&& cmd1 && cmd2`` after the RUN's last command, in its own layout."""
    edit = view.append_command(ctx, " && ".join(commands_))
    assert edit is not None, "append_edit needs can_append(view)"
    return edit


# --------------------------------------------------------------------------------------------
# Yarn flavour
# --------------------------------------------------------------------------------------------

BERRY_FLAGS = {"--immutable", "--immutable-cache", "--check-cache", "--mode", "--refresh-lockfile"}


def yarn_berry_evidence(ctx: Context, view: RunView) -> bool:
    """Signs that `yarn` is Yarn 2+ (Berry), where the cache can be the install itself (PnP)."""
    for ins in _instructions_before(ctx, view):
        if isinstance(ins, (n.Copy, n.Add)):
            for src in ins.sources:
                base = src.rstrip("/").rsplit("/", 1)[-1]
                if base in (".yarnrc.yml", ".yarn", ".pnp.cjs", ".pnp.loader.mjs") or ".yarn/" in src:
                    return True
        elif isinstance(ins, n.Env):
            for k, _ in ins.pairs:
                if k.startswith("YARN_ENABLE_") or k in ("YARN_NODE_LINKER", "YARN_GLOBAL_FOLDER") or k.startswith("COREPACK"):
                    return True
    chain = set(ctx.model.graph.chain(view.stage.index))
    views = [v for v in iter_runs(ctx) if v.stage.index in chain
             and (v.stage.index != view.stage.index or v.index <= view.index)]
    for v in views:
        if not v.mentions("corepack", "yarn", "berry"):
            continue
        if not shell_ok(v):
            if "corepack" in v.ins.line or "berry" in v.ins.line:
                return True
            continue
        if find_commands(v.script, "corepack"):
            return True
        for c in commands(v, "yarn"):
            if c.sub in ("set", "dlx", "workspaces", "plugin", "constraints") or c.has(*BERRY_FLAGS):
                return True
    if ctx.path:
        here = Path(ctx.path).parent
        for name in (".yarnrc.yml", ".pnp.cjs"):
            if (here / name).exists():
                return True
        pkg = here / "package.json"
        try:
            data = json.loads(pkg.read_text(encoding="utf-8"))
            pm = str(data.get("packageManager", ""))
            if pm.startswith("yarn@") and not pm.startswith("yarn@1"):
                return True
        except (OSError, ValueError, AttributeError):
            pass
    return False


# --------------------------------------------------------------------------------------------
# The cache-mount plan (what `cache-mounts` adds to a RUN)
# --------------------------------------------------------------------------------------------

APT_NEEDS_LISTS = {"install", "upgrade", "dist-upgrade", "full-upgrade", "build-dep", "source", "download",
                   "reinstall", "satisfy", "show", "policy", "search", "depends", "rdepends", "madison",
                   "showsrc"}
RPM_TRIGGERS = {"install", "groupinstall", "localinstall", "reinstall", "update", "upgrade", "update-minimal",
                "upgrade-minimal", "downgrade", "distro-sync", "distrosync", "dsync", "group", "groups",
                "groupupdate", "builddep", "swap", "module", "in", "up"}
ZYPPER_TRIGGERS = {"install", "in", "update", "up", "dist-upgrade", "dup", "patch", "source-install", "si",
                   "install-new-recommends", "inr"}
NPM_INSTALLS = {"install", "i", "in", "ins", "inst", "insta", "instal", "isnt", "isnta", "isntal", "isntall",
                "add", "ci", "clean-install", "ic", "install-clean", "isntall-clean", "update", "up",
                "upgrade", "udpate"}
RPM_CACHE_DIRS = {"yum": ("/var/cache/yum", "/var/cache/dnf"), "dnf": ("/var/cache/dnf", "/var/cache/libdnf5"),
                  "microdnf": ("/var/cache/yum",)}
ZYPPER_CACHE_DIRS = ("/var/cache/zypp",)
APK_CACHE = "/var/cache/apk"
PIP_CACHE = "/root/.cache/pip"
NPM_CACHE = "/root/.npm"
YARN_CACHE = "/usr/local/share/.cache/yarn"
APT_TARGETS = ("/var/cache/apt", "/var/lib/apt/lists")

# manager -> the delete-rule it replaces and the hadolint codes it answers (for suppression)
MANAGER_RULES = {
    "apt": ("apt-lists-cleanup", ("DL3009",)),
    "apk": ("apk-no-cache", ("DL3019",)),
    "pip": ("pip-no-cache-dir", ("DL3042",)),
    "yum": ("yum-clean", ("DL3032",)),
    "dnf": ("dnf-clean", ("DL3040",)),
    "microdnf": ("dnf-clean", ("DL3040",)),
    "zypper": ("zypper-clean", ("DL3036",)),
    "npm": ("npm-cache-clean", ()),
    "yarn": ("yarn-cache-clean", ("DL3060",)),
}


@dataclass
class MountPlan:
    """Mounts to add to one RUN, per package manager, and the clean-ups they make redundant."""

    mounts: list[tuple[str, Optional[str]]] = field(default_factory=list)  # (target, sharing)
    managers: list[str] = field(default_factory=list)
    removals: list[Edit] = field(default_factory=list)

    def flags(self) -> list[str]:
        out = []
        for target, sharing in self.mounts:
            f = f"--mount=type=cache,target={target}"
            if sharing:
                f += f",sharing={sharing}"
            out.append(f)
        return out


def apt_needs_lists(view: RunView) -> bool:
    """Does the RUN use apt's lists before (or without) downloading them itself?"""
    if not view.mentions("apt"):
        return False
    if not shell_ok(view):
        return "apt" in view.ins.line
    return apt_script_needs_lists(view.script)


def apt_script_needs_lists(script) -> bool:
    cmds = script_commands(script, "apt-get", "apt", "aptitude", "apt-cache")
    update_at = min((c.start for c in cmds if c.sub == "update" and c.program != "apt-cache"), default=None)
    for c in cmds:
        if c.program == "apt-cache" or c.sub in APT_NEEDS_LISTS:
            if update_at is None or c.start < update_at:
                return True
    return False


def apk_needs_index(view: RunView) -> bool:
    """Does the RUN use apk's cached index without fetching it itself first?"""
    if not view.mentions("apk"):
        return False
    if not shell_ok(view):
        return "apk" in view.ins.line
    return apk_script_needs_index(view.script)


def apk_script_needs_index(script) -> bool:
    updated = False
    for c in script_commands(script, "apk"):
        if c.sub == "update":
            updated = True
            continue
        if c.sub in (None, "del", "cache", "stats", "audit", "verify", "manifest"):
            continue
        if c.has("--no-cache", "-U", "--update-cache", "--update"):
            continue
        if not updated:
            return True
    return False


APT_WORD = re.compile(r"(?<![\w/.-])(apt-get|apt|aptitude|apt-cache)(?![\w/.-])")
APK_WORD = re.compile(r"(?<![\w/.-])apk(?![\w/.-])")


def later_needs_apt_lists(ctx: Context, view: RunView) -> Optional[str]:
    """Why a later step (see ``rewriter/later.py``) may still need apt's lists, or None."""

    def test(o: RunView) -> Optional[str]:
        if apt_needs_lists(o):
            return f"{later.where(ctx, o)} uses apt without running `apt-get update` first"
        return later.hidden_use(ctx, o, APT_WORD, apt_script_needs_lists) if o.mentions("apt") or o.mentions(".") else None

    return later.first_later(ctx, view, "apt-lists", test)


def later_needs_apk_index(ctx: Context, view: RunView) -> Optional[str]:
    """Why a later step may still need apk's cached index, or None."""

    def test(o: RunView) -> Optional[str]:
        if apk_needs_index(o):
            return f"{later.where(ctx, o)} uses apk without `--no-cache` or `apk update` first"
        return later.hidden_use(ctx, o, APK_WORD, apk_script_needs_index) if o.mentions("apk") or o.mentions(".") else None

    return later.first_later(ctx, view, "apk-index", test)


def later_uses_offline(ctx: Context, view: RunView, prog: str) -> Optional[str]:
    """Why a later step may install from ``prog``'s cache alone (``--offline``, or npm's
    ``NPM_CONFIG_OFFLINE`` / ``npm config set offline``), or None."""

    def test(o: RunView) -> Optional[str]:
        if uses_offline(o, prog):
            return f"{later.where(ctx, o)} runs {prog} --offline, which installs from the cache alone"
        if prog == "npm":
            env = ctx.model.state(o.index).variables()
            if any((env.get(k) or "").lower() in TRUTHY for k in ("NPM_CONFIG_OFFLINE", "npm_config_offline")):
                return f"NPM_CONFIG_OFFLINE is set for {later.where(ctx, o)}, which installs from the cache alone"
        return None

    reason = later.first_later(ctx, view, f"offline:{prog}", test)
    if reason is None and prog == "npm" and _npm_offline_configured(ctx):
        return "`npm config set offline` makes later installs use the cache alone"
    return reason


def _npm_offline_configured(ctx: Context) -> bool:
    for v in iter_runs(ctx):
        if v.mentions("offline") and shell_ok(v):
            for c in commands(v, "npm"):
                if c.sub == "config" and c.operand(0) == "set" and (c.operand(1) or "").startswith("offline"):
                    return True
    return False


def later_blocks_clean(ctx: Context, view: RunView, prog: str, blocks) -> bool:
    """A later step for which ``blocks(step, prog)`` holds (yum/dnf ``-C``, zypper
    ``--no-refresh``: they read the cache the clean would delete)."""
    key = f"clean:{getattr(blocks, '__qualname__', id(blocks))}:{prog}"
    return later.first_later(ctx, view, key, lambda o: "x" if blocks(o, prog) else None) is not None


def _cleanup_removals(ctx: Context, view: RunView, targets: tuple[str, ...], clean_cmds: list[SimpleCommand],
                      drop: bool = True) -> Optional[dict[tuple[int, int], str]]:
    """Chain elements to remove because they only clean ``targets`` (about to become cache
    mounts): {chain index: "equal" | "inside" | "clean"}.

    A command is dropped only when every path it removes is a target or inside one. None (no
    mount for this manager) when a command removes a target itself (``rm -rf /var/cache/yum``
    on a mount point fails with EBUSY) and cannot be dropped, removes a parent of a target (it
    also removes other things, so it must stay, and would hit the mount point), or removes a
    path that cannot be resolved (``rm -rf "$DIR"``).
    """
    cwd = cwd_of(ctx, view)
    remove: dict[tuple[int, int], str] = {}
    order = ("unknown", "above", "equal", "inside", "apart")
    for c in removing_commands(view):
        refs = path_operands(view, c, cwd)
        kinds = [min((relation(r, t) for t in targets), key=order.index) for r in refs]
        if not refs or all(k == "apart" for k in kinds):
            continue
        if "unknown" in kinds or "above" in kinds:
            return None  # might remove a mount point, and removes more than the cache: keep both
        k = chain_index(view, c) if drop and all(x in ("equal", "inside") for x in kinds) else None
        if k is not None:
            remove[k] = "equal" if "equal" in kinds else "inside"
        elif "equal" in kinds:
            return None  # removing the mount point itself fails with EBUSY
    for c in clean_cmds if drop else ():
        k = chain_index(view, c)
        if k is not None:
            remove.setdefault(k, "clean")
    if remove and chain_removals(ctx, view, remove) is None:
        if "equal" in remove.values():
            return None
        return {}
    return remove


def _wanted(ctx: Context, view: RunView, manager: str) -> bool:
    rule_id, codes = MANAGER_RULES[manager]
    return not suppressed_as(ctx, view.ins, rule_id, codes)


def mount_plan(ctx: Context, view: RunView) -> MountPlan:
    """What ``cache-mounts`` would add to this RUN (empty when it would leave it alone)."""
    plan = MountPlan()
    if ctx.options.cache_strategy != "mount" or not shell_ok(view) or not mounts_supported(ctx):
        return plan
    if suppressed_as(ctx, view.ins, MOUNTS_RULE_ID):
        return plan
    env = None
    removed: dict[tuple[int, int], str] = {}

    def get_env():
        nonlocal env
        if env is None:
            env = env_before(ctx, view)
        return env

    def add(manager: str, targets: tuple[str, ...], sharing: Optional[str], clean_cmds: list[SimpleCommand],
            drop: bool = True):
        if not _wanted(ctx, view, manager):
            return
        missing = [t for t in targets if not cache_mounted(view, t)]
        if not missing:
            return
        if any(any_mount_near(view, t) for t in missing):
            return
        removals = _cleanup_removals(ctx, view, targets, clean_cmds, drop)
        if removals is None:
            return
        for k, kind in removals.items():
            removed[k] = kind if removed.get(k) != "equal" else "equal"
        plan.mounts.extend((t, sharing) for t in missing)
        plan.managers.append(manager)

    # apt ----------------------------------------------------------------------------------
    apt = [c for c in commands(view, "apt-get", "apt") if c.static_prefix]
    if any(c.sub in APT_NEEDS_LISTS - {"show", "policy", "search", "depends", "rdepends", "madison", "showsrc"}
           for c in apt):
        download_only = any(c.has("-d", "--download-only", "--print-uris") for c in apt)
        if not apt_needs_lists(view) and not download_only and not later_needs_apt_lists(ctx, view):
            cleans = [c.command for c in apt if c.sub in ("clean", "autoclean")]
            add("apt", APT_TARGETS, "locked", cleans)

    # apk ----------------------------------------------------------------------------------
    apk = commands(view, "apk")
    if any(c.sub == "add" and not c.has("--no-cache") for c in apk) and not any(c.has("--cache-dir") for c in apk):
        if not apk_needs_index(view) and not later_needs_apk_index(ctx, view):
            cleans = [c.command for c in apk if c.sub == "cache" and c.operand(0) in ("clean", "purge")]
            add("apk", (APK_CACHE,), "locked", cleans)

    # pip ----------------------------------------------------------------------------------
    pips = [c for c in commands(view, "pip") if c.sub == "install"]
    if pips and user_is_root(ctx, view) and not _pip_cache_disabled(ctx, view, get_env()):
        e = get_env()
        plain = [c for c in pips if not pip_has_no_cache_dir(c)]
        if plain and not any(c.has("--cache-dir") or runs_as_other_user(c) for c in pips) and not any(
            k in e for k in ("PIP_CACHE_DIR", "XDG_CACHE_HOME", "HOME")
        ) and not any(script_sets(view, k) for k in ("PIP_CACHE_DIR", "XDG_CACHE_HOME", "HOME")):
            cleans = [c.command for c in commands(view, "pip") if c.sub == "cache" and c.operand(0) in ("purge", "remove")]
            add("pip", (PIP_CACHE,), None, cleans)

    # yum / dnf / microdnf -----------------------------------------------------------------
    for prog in ("yum", "dnf", "microdnf"):
        cmds = [c for c in commands(view, prog) if c.static_prefix]
        if not any(c.sub in RPM_TRIGGERS for c in cmds):
            continue
        if any(rpm_cache_unusual(c) for c in cmds):
            continue
        if later_blocks_clean(ctx, view, prog, rpm_cache_only):
            continue
        # hadolint's DL3032/DL3040 do not know cache mounts (and take any `rm -rf` for a clean):
        # a RUN that already cleans keeps its clean-up and gets no mount (it would stay empty)
        last = max(c.start for c in cmds if c.sub in RPM_TRIGGERS)
        if any(c.sub == "clean" for c in cmds if c.start > last) or any(
            c.start > last for c in removing_commands(view)
        ):
            continue
        add(prog, RPM_CACHE_DIRS[prog], "locked", [], drop=False)

    # zypper -------------------------------------------------------------------------------
    zyp = [c for c in commands(view, "zypper") if c.static_prefix]
    if any(c.sub in ZYPPER_TRIGGERS for c in zyp) and not any(
        c.has("-d", "--download-only", "--download", "-R", "--root", "--installroot", "-C", "--cache-dir",
              "--pkg-cache-dir", "--raw-cache-dir", "--solv-cache-dir") for c in zyp
    ) and not later_blocks_clean(ctx, view, "zypper", lambda o, _p: zypper_cache_only(o)):
        cleans = [c.command for c in zyp if c.sub in ("clean", "cc")]
        add("zypper", ZYPPER_CACHE_DIRS, "locked", cleans)

    # npm ----------------------------------------------------------------------------------
    npm = [c for c in commands(view, "npm") if c.static_prefix]
    if any(c.sub in NPM_INSTALLS for c in npm) and user_is_root(ctx, view):
        e = get_env()
        if not any(c.has("--cache", "--userconfig") or runs_as_other_user(c) for c in npm) and not any(
            k in e for k in ("HOME", "npm_config_cache", "NPM_CONFIG_CACHE")
        ) and not any(script_sets(view, k) for k in ("HOME", "npm_config_cache", "NPM_CONFIG_CACHE")) and not (
            later_uses_offline(ctx, view, "npm")
        ):
            cleans = [c.command for c in npm if c.sub == "cache" and c.operand(0) in ("clean", "rm", "clear")]
            add("npm", (NPM_CACHE,), None, cleans)

    # yarn ---------------------------------------------------------------------------------
    yarn = [c for c in commands(view, "yarn") if c.static_prefix]
    if any(yarn_installs(c) for c in yarn) and user_is_root(ctx, view):
        e = get_env()
        if not any(c.has("--cache-folder", "--preferred-cache-folder") or runs_as_other_user(c) for c in yarn) and not any(
            k in e for k in ("HOME", "YARN_CACHE_FOLDER", "XDG_CACHE_HOME")
        ) and not any(script_sets(view, k) for k in ("HOME", "YARN_CACHE_FOLDER", "XDG_CACHE_HOME")) and not (
            later_uses_offline(ctx, view, "yarn")
        ) and not yarn_berry_evidence(ctx, view):
            cleans = [c.command for c in yarn if c.sub == "cache" and c.operand(0) == "clean"]
            add("yarn", (YARN_CACHE,), None, cleans)

    if removed:
        edits = chain_removals(ctx, view, removed)
        if edits is None:
            # the clean-ups of several managers could not be removed together: keep them all,
            # which is only possible when none of them removes a mount point itself
            if "equal" in removed.values():
                return MountPlan()
            edits = []
        plan.removals = edits
    return plan


def handled_by_mounts(ctx: Context, view: RunView, manager: str) -> bool:
    """In ``--cache-strategy mount``, is ``manager``'s cache in this RUN taken care of by
    ``cache-mounts`` (so the cache-deleting rule must step aside)?"""
    if ctx.options.cache_strategy != "mount" or "cache-mounts" not in ctx.options.rules:
        return False
    return manager in mount_plan(ctx, view).managers


SYNTAX_OK = re.compile(r"^(docker\.io/)?docker/dockerfile(-upstream)?(:(?P<tag>[^@]+))?(@sha256:[0-9a-f]+)?$")


def mounts_supported(ctx: Context) -> bool:
    """False when a `# syntax=` directive names a frontend that may not know `RUN --mount`."""
    for d in ctx.tree.directives:
        if d.name != "syntax":
            continue
        m = SYNTAX_OK.match(d.value.strip())
        if not m:
            return False
        tag = m.group("tag") or "latest"
        if re.match(r"^1\.[01](\.\d+)?$", tag):
            return False
    return True


def pip_has_no_cache_dir(c: Cmd) -> bool:
    return c.has_prefix("--no-cache-dir", "--no-cache")


TRUTHY = {"1", "true", "yes", "on"}


def _assigned_values(view: RunView, name: str) -> list[Optional[str]]:
    """Values given to ``name`` inside the RUN (prefix assignments, `export`/`env` words)."""
    out: list[Optional[str]] = []
    prefix = name + "="
    for c in view.script.commands:
        for w in list(c.assignments) + list(c.argv):
            if w.value is not None and w.value.startswith(prefix):
                out.append(w.value[len(prefix):])
            elif w.value is None and w.text.lstrip("\"'").startswith(prefix):
                out.append(None)
    return out


def _pip_cache_disabled(ctx: Context, view: RunView, env: dict[str, Optional[str]]) -> bool:
    """pip uses no cache for this RUN: PIP_NO_CACHE_DIR has a value from ENV/ARG or inside the
    RUN (pip disables the cache for any valid value, "off" and "0" included)."""
    if env.get("PIP_NO_CACHE_DIR") is not None:
        return True
    return bool(_assigned_values(view, "PIP_NO_CACHE_DIR"))


def pip_cache_visibly_disabled(ctx: Context, view: RunView) -> bool:
    """PIP_NO_CACHE_DIR set to a true value by ENV (this stage or one it is built FROM) or inside
    the RUN: what hadolint accepts in place of --no-cache-dir."""
    value = ctx.model.state(view.index).env.get("PIP_NO_CACHE_DIR")
    if value is not None and value.lower() in TRUTHY:
        return True
    return any(v is not None and v.lower() in TRUTHY for v in _assigned_values(view, "PIP_NO_CACHE_DIR"))


def rpm_cache_unusual(c: Cmd) -> bool:
    """Cache-only runs, downloads meant to stay in the cache, another root or cache dir."""
    if c.has("-C", "--cacheonly", "--downloadonly", "--installroot"):
        return True
    return any((v or "").split("=", 1)[0].strip().lower() in ("cachedir", "keepcache", "persistdir", "installroot")
               for v in c.values("--setopt"))


def rpm_cache_only(view: RunView, prog: str) -> bool:
    if not view.mentions(prog):
        return False
    if not shell_ok(view):
        return prog in view.ins.line and ("-C" in view.ins.line or "cacheonly" in view.ins.line)
    return any(c.has("-C", "--cacheonly") for c in commands(view, prog))


def zypper_cache_only(view: RunView) -> bool:
    if not view.mentions("zypper"):
        return False
    if not shell_ok(view):
        return "zypper" in view.ins.line and "no-refresh" in view.ins.line
    return any(c.has("--no-refresh") for c in commands(view, "zypper"))


def uses_offline(view: RunView, prog: str) -> bool:
    if not view.mentions(prog):
        return False
    if not shell_ok(view):
        return prog in view.ins.line and "offline" in view.ins.line
    return any(c.has("--offline") for c in commands(view, prog))


def yarn_installs(c: Cmd) -> bool:
    """``yarn``, ``yarn install``, ``yarn add``, ``yarn global add`` (all fill the cache)."""
    if not c.static_prefix:
        return False
    if c.sub is None:
        return not c.has("-v", "--version", "-h", "--help")
    if c.sub in ("install", "add"):
        return True
    return c.sub == "global" and c.operand(0) == "add"


# --------------------------------------------------------------------------------------------
# "<prog> clean" appended after installs (yum, dnf, microdnf, zypper, npm, yarn)
# --------------------------------------------------------------------------------------------

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


def removed_after(ctx: Context, view: RunView, after: int, dirs: tuple[str, ...]) -> bool:
    """An `rm`-like command after shell offset ``after`` removes all of one of ``dirs``."""
    cwd = cwd_of(ctx, view)
    for c in removing_commands(view):
        if c.start <= after:
            continue
        for ref in path_operands(view, c, cwd):
            if any(covers(ref, d) for d in dirs):
                return True
    return False


def cache_dir_mounted(view: RunView, dirs: tuple[str, ...]) -> bool:
    return any(cache_mounted(view, d) or any_mount_near(view, d) for d in dirs)


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


# --------------------------------------------------------------------------------------------
# "-y" for yum / dnf / microdnf / zypper
# --------------------------------------------------------------------------------------------

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


def rpm_yes_changes(rule: Rule, ctx: Context, programs: tuple[str, ...], message: str) -> list:
    changes = []
    for view in candidate_runs(rule, ctx, *programs):
        edits = []
        for c in commands(view, *programs):
            if c.sub not in RPM_YES_TRIGGERS:
                continue
            if c.has("-y", "--assumeyes", "--assume-yes", "--assumeno", "--assume-no") or rpm_setopt_assumes(c):
                continue
            edits.append(insert_after(view, yes_word(c), "-y"))
        if edits:
            changes.append(rule.change(view.ins, message, edits))
    return changes
