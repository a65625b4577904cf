"""The cache-mount plan: what the ``cache-mounts`` rule would add to a RUN.

The cache-deleting rules consult it when ``--cache-strategy mount`` is in force, so that exactly
one of the two approaches is applied to each package manager in each RUN.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Optional

from dockeropt.rewriter.base import Context, Edit
from dockeropt.rewriter.chain import chain_index, chain_removals
from dockeropt.rewriter.managers import (
    APK_CACHE, APT_NEEDS_LISTS, APT_TARGETS, MANAGERS, NPM_CACHE, NPM_INSTALLS, PIP_CACHE, RPM_CACHE_DIRS, RPM_TRIGGERS,
    YARN_CACHE, ZYPPER_CACHE_DIRS, ZYPPER_TRIGGERS, apk_needs_index, apt_needs_lists, later_blocks_clean,
    later_needs_apk_index, later_needs_apt_lists, later_uses_offline, pip_has_no_cache_dir, _pip_cache_disabled,
    rpm_cache_only, rpm_cache_unusual, yarn_berry_evidence, yarn_installs, zypper_cache_only,
)
from dockeropt.rewriter.runs import (
    any_mount_near, cache_mounted, commands, cwd_of, env_before, path_operands, removing_commands,
    script_sets, shell_ok, suppressed_as, user_is_root,
)
from dockeropt.model.paths import relation
from dockeropt.rewriter.shellrun import RunView
from dockeropt.shell import SimpleCommand
from dockeropt.shell.options import runs_as_other_user


MOUNTS_RULE_ID = "cache-mounts"


def manager_rule(manager: str) -> tuple[str, tuple[str, ...]]:
    """The rule that deletes ``manager``'s cache, and its hadolint codes (from the registry)."""
    from dockeropt.rewriter.rules import ALL_RULES

    rule_id = MANAGERS[manager].rule
    codes = next((r.hadolint for r in ALL_RULES if r.id == rule_id), ())
    return rule_id, tuple(codes)


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
    rule_id, codes = manager_rule(manager)
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
