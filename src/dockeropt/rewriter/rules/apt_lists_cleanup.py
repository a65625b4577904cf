"""apt-lists-cleanup (DL3009): delete apt's package lists in the RUN that installs packages.

`apt-get update` downloads ~20-50 MB of package lists into /var/lib/apt/lists; a RUN that leaves
them behind ships them in its layer forever.

Before::

    RUN apt-get update && apt-get install -y curl

After::

    RUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*

In ``--cache-strategy mount`` the lists go to a cache mount instead (rule ``cache-mounts``).

Left alone when: the lists are already removed in that RUN; `/var/lib/apt` (or `/var/cache/apt`)
is a cache mount; a later RUN of the same stage, or of a stage built FROM it, uses apt without
running `apt-get update` first (it still needs the lists); the shell cannot be parsed or ends in
a comment, a background job or an `exit`.
"""

from __future__ import annotations

from dockeropt.rewriter.base import Change, Context, Rule
from dockeropt.rewriter.shellrun import RunView, descendants, iter_runs

LISTS = "/var/lib/apt/lists"
CLEANUP = "rm -rf /var/lib/apt/lists/*"
APT_PROGRAMS = ("apt-get", "apt", "aptitude")
# apt subcommands that read the package lists
NEEDS_LISTS = {"install", "upgrade", "dist-upgrade", "full-upgrade", "build-dep", "source", "download",
               "reinstall", "satisfy", "show", "policy", "search", "depends", "rdepends", "madison"}
CACHE_TARGETS = ("/var/lib/apt", "/var/lib/apt/lists", "/var/cache/apt")


def apt_commands(view: RunView, subcommands=None):
    from dockeropt.shell import find_commands

    out = []
    for prog in APT_PROGRAMS + ("apt-cache",):
        for m in find_commands(view.script, prog):
            if subcommands is None or m.subcommand in subcommands:
                out.append(m)
    return sorted(out, key=lambda m: m.start)


def installs(view: RunView):
    return [m for m in apt_commands(view, {"install"}) if m.program != "apt-cache"]


def lists_cleaned(view: RunView) -> bool:
    from dockeropt.shell import find_commands

    for m in find_commands(view.script, "rm"):
        for w in m.argv[1:]:
            if w.value and w.value.rstrip("/").startswith(LISTS):
                return True
    return False


def apt_cache_mounted(view: RunView) -> bool:
    return any(
        m.get("type") == "cache" and (m.get("target") or m.get("dst") or m.get("destination", "")).rstrip("/") in CACHE_TARGETS
        for m in view.ins.mounts
    )


def needs_lists(view: RunView) -> bool:
    """Does this RUN use apt's lists without downloading them itself first?"""
    if not view.mentions("apt"):
        return False
    if not view.rewritable or not view.script.ok:
        return True  # cannot tell: assume it may
    update_at = min((m.start for m in apt_commands(view, {"update"})), default=None)
    for m in apt_commands(view, NEEDS_LISTS):
        if update_at is None or m.start < update_at:
            return True
    return False


class AptListsCleanup(Rule):
    id = "apt-lists-cleanup"
    summary = "Remove /var/lib/apt/lists/* in the RUN that runs apt-get install"
    hadolint = ("DL3009",)
    safe = True
    docs = __doc__ or ""

    def check(self, ctx: Context) -> list[Change]:
        runs = list(iter_runs(ctx))
        changes = []
        for view in runs:
            if not view.rewritable or not view.mentions("apt") or ctx.suppressed(self, view.ins):
                continue
            script = view.script
            if not script.ok or not installs(view):
                continue
            if lists_cleaned(view) or apt_cache_mounted(view):
                continue
            if script.has_trailing_comment or script.has_background or script.has_exit:
                continue
            if self._later_needs_lists(view, runs, ctx):
                continue
            from dockeropt.rewriter.rules.pkg_common import handled_by_mounts

            if handled_by_mounts(ctx, view, "apt"):
                continue  # --cache-strategy mount: cache-mounts keeps the lists out of the layer
            edit = view.append_command(ctx, CLEANUP)
            if edit is not None:
                changes.append(
                    self.change(
                        view.ins, "apt package lists stay in the layer; remove them in the RUN that installs", [edit]
                    )
                )
        return changes

    @staticmethod
    def _later_needs_lists(view: RunView, runs: list[RunView], ctx: Context) -> bool:
        stages = {view.stage.index} | {s.index for s in descendants(ctx.tree, view.stage)}
        for other in runs:
            if other.stage.index in stages and (other.stage.index != view.stage.index or other.index > view.index):
                if needs_lists(other):
                    return True
        return False
