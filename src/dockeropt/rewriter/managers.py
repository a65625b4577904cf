"""What dockeropt knows about each package manager, in one table (``MANAGERS``), and the
questions rules ask about them: does a RUN (or a later step) need apt's lists or apk's index,
does pip's cache stay off, is yarn Yarn 2+, does a later step install from the cache alone.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from dockeropt.rewriter import later
from dockeropt.rewriter.base import Context
from dockeropt.rewriter.runs import _assigned_values, _instructions_before, commands, shell_ok, TRUTHY
from dockeropt.rewriter.shellrun import RunView, iter_runs
from dockeropt.shell import find_commands
from dockeropt.shell.options import Cmd, script_commands
from dockeropt.syntax import nodes as n


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


@dataclass(frozen=True)
class Manager:
    """One package manager: the programs that are it, the subcommands that fill its cache,
    where the cache is, the rule that deletes it and how a cache mount holds it."""

    name: str
    programs: tuple[str, ...]
    installs: frozenset[str]
    cache_dirs: tuple[str, ...]
    rule: str  # the rule that keeps the cache out of the layer (its hadolint codes: the registry)
    sharing: Optional[str] = None  # cache-mount sharing mode ("locked": one writer at a time)


MANAGERS: dict[str, Manager] = {
    m.name: m
    for m in (
        Manager("apt", ("apt-get", "apt", "aptitude"), frozenset(APT_NEEDS_LISTS), APT_TARGETS,
                "apt-lists-cleanup", "locked"),
        Manager("apk", ("apk",), frozenset({"add"}), (APK_CACHE,), "apk-no-cache"),
        Manager("pip", ("pip",), frozenset({"install"}), (PIP_CACHE,), "pip-no-cache-dir"),
        Manager("yum", ("yum",), frozenset(RPM_TRIGGERS), RPM_CACHE_DIRS["yum"], "yum-clean", "locked"),
        Manager("dnf", ("dnf",), frozenset(RPM_TRIGGERS), RPM_CACHE_DIRS["dnf"], "dnf-clean", "locked"),
        Manager("microdnf", ("microdnf",), frozenset(RPM_TRIGGERS), RPM_CACHE_DIRS["microdnf"], "dnf-clean",
                "locked"),
        Manager("zypper", ("zypper",), frozenset(ZYPPER_TRIGGERS), ZYPPER_CACHE_DIRS, "zypper-clean", "locked"),
        Manager("npm", ("npm",), frozenset(NPM_INSTALLS), (NPM_CACHE,), "npm-cache-clean"),
        Manager("yarn", ("yarn",), frozenset({"install", "add"}), (YARN_CACHE,), "yarn-cache-clean"),
    )
}


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


def pip_has_no_cache_dir(c: Cmd) -> bool:
    return c.has_prefix("--no-cache-dir", "--no-cache")


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
