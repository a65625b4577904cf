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
from dockeropt.rewriter.managers import later_needs_apt_lists
from dockeropt.rewriter.mounts import handled_by_mounts
from dockeropt.shell.options import WRAPPERS_CHANGING_USER
from dockeropt.rewriter.shellrun import RunView, iter_runs

LISTS = "/var/lib/apt/lists"
CLEANUP = "rm -rf /var/lib/apt/lists/*"
APT_PROGRAMS = ("apt-get", "apt", "aptitude")
CACHE_TARGETS = ("/var/lib/apt", "/var/lib/apt/lists", "/var/cache/apt")


def installs(view: RunView):
    from dockeropt.shell import find_commands

    return [m for prog in APT_PROGRAMS for m in find_commands(view.script, prog, "install")]


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


class AptListsCleanup(Rule):
    id = "apt-lists-cleanup"
    summary = "Remove /var/lib/apt/lists/* in the RUN that runs apt-get install"
    hadolint = ("DL3009",)
    safe = True
    docs = __doc__ or ""

    def check(self, ctx: Context) -> list[Change]:
        changes = []
        for view in iter_runs(ctx):
            if not view.rewritable or not view.mentions("apt") or ctx.suppressed(self, view.ins):
                continue
            script = view.script
            if not script.ok:
                continue
            found = installs(view)
            if not found:
                continue
            if lists_cleaned(view) or apt_cache_mounted(view):
                continue
            if script.has_trailing_comment or script.has_background or script.has_exit:
                continue
            if handled_by_mounts(ctx, view, "apt"):
                continue  # --cache-strategy mount: cache-mounts keeps the lists out of the layer
            why = later_needs_apt_lists(ctx, view) or view.append_hazard(ctx)
            if why:
                changes.append(self.change(view.ins, f"apt lists kept: {why}", ()))
                continue
            wrapper = _wrapper(found)
            if wrapper is None:
                continue
            edit = view.append_command(ctx, f"{wrapper}{CLEANUP}")
            if edit is not None:
                changes.append(
                    self.change(
                        view.ins, "apt package lists stay in the layer; remove them in the RUN that installs", [edit]
                    )
                )
        return changes


def _wrapper(found) -> str | None:
    """The wrappers the installs run under (``sudo ``, ``sudo -E ``, as written) when one of
    them changes the user, so that the clean-up runs as the same user; "" when none does;
    None when that prefix is not static or the installs disagree."""
    prefixes = set()
    for m in found:
        words = m.argv[: m.program_index]
        if any(w.value is None for w in words):
            return None
        changes_user = any(w.value.rsplit("/", 1)[-1] in WRAPPERS_CHANGING_USER for w in words)  # type: ignore[union-attr]
        prefixes.add("".join(w.text + " " for w in words) if changes_user else "")
    return prefixes.pop() if len(prefixes) == 1 else None
