"""apk-no-cache (DL3019): `apk add --no-cache`, so the package index is not kept in the layer.

Without `--no-cache`, apk keeps the repository indexes (`/var/cache/apk/APKINDEX.*.tar.gz`,
about 2 MB per repository) that `apk update` / `apk add --update` downloaded. `--no-cache`
fetches a fresh index into memory and writes nothing to the cache.

Before::

    RUN apk update && apk add curl

After::

    RUN apk add --no-cache curl

The flag goes right after the `add` word, in every `apk add` of the RUN (hadolint wants it on
each). Once every apk command of the RUN uses `--no-cache`, an `apk update` in that RUN only
writes the index that `--no-cache` was meant to keep out, so it is dropped too: it must be a
whole element of the RUN's `&&` chain, without options other than `-q`/`-v`, no other apk
command of the RUN may read the cached index, and no later RUN of the stage (or of a stage built
FROM it) may rely on an index it did not fetch itself.

Left alone when: `/var/cache/apk` is a cache mount (the cache is not in the layer);
`--cache-dir`, `--cache-max-age`, an `apk cache ...` command or a link to `/etc/apk/cache` shows
the author manages the cache;
the RUN has `--network=none` (`--no-cache` has to download the index); in `--cache-strategy
mount`, when `cache-mounts` mounts `/var/cache/apk` for this RUN instead; the RUN is in exec
form, has a heredoc, runs in a non-POSIX shell or cannot be parsed; a suppression comment
applies.

A RUN that already ends with `rm -rf /var/cache/apk/*` still gets `--no-cache`: hadolint asks
for it, and it is harmless there. So does `apk add --no-network --virtual .rundeps $runDeps`
(the official images' pattern): with `--no-network` apk fetches and writes nothing, and after
an `apk add --no-cache` there is no local index it could have read.
"""

from __future__ import annotations

from dockeropt.rewriter.base import Change, Context, Rule
from dockeropt.rewriter.chain import safe_removal
from dockeropt.rewriter.managers import APK_CACHE, later_needs_apk_index
from dockeropt.rewriter.mounts import handled_by_mounts
from dockeropt.rewriter.runs import any_mount_near, cache_mounted, candidate_runs, commands, insert_after
from dockeropt.shell.options import Cmd

QUIET_OPTS = {"-q", "--quiet", "-v", "--verbose", "--no-progress", "--progress"}


def manages_cache(view, cmds: list[Cmd]) -> bool:
    if any(c.has("--cache-dir", "--cache-max-age") or c.sub == "cache" for c in cmds):
        return True
    for c in view.script.commands:  # `ln -s /var/cache/apk /etc/apk/cache` turns the package cache on
        if any((w.value or "").rstrip("/") == "/etc/apk/cache" for w in c.argv[1:]):
            return True
    return False


class ApkNoCache(Rule):
    id = "apk-no-cache"
    summary = "Use apk add --no-cache (and drop the apk update it makes redundant)"
    hadolint = ("DL3019",)
    safe = True
    docs = __doc__ or ""

    def check(self, ctx: Context) -> list[Change]:
        changes = []
        for view in candidate_runs(self, ctx, "apk"):
            cmds = commands(view, "apk")
            if not cmds:
                continue
            if cache_mounted(view, APK_CACHE) or any_mount_near(view, APK_CACHE):
                continue
            if view.ins.flag("network") == "none" or manages_cache(view, cmds):
                continue
            if handled_by_mounts(ctx, view, "apk"):
                continue
            fixed = [c for c in cmds if c.sub == "add" and not c.has("--no-cache")]
            edits = [insert_after(view, c.word_after_sub(), "--no-cache") for c in fixed]
            removal = self._update_removal(ctx, view, cmds, fixed)
            if removal is not None:
                edits.append(removal)
            if not edits:
                continue
            if fixed and removal is not None:
                msg = ("apk keeps the package index in /var/cache/apk; use apk add --no-cache, "
                       "which also makes apk update redundant")
            elif fixed:
                msg = "apk keeps the package index in /var/cache/apk; use apk add --no-cache"
            else:
                msg = "apk update only leaves its index in the layer: apk add --no-cache fetches its own"
            changes.append(self.change(view.ins, msg, edits))
        return changes

    @staticmethod
    def _update_removal(ctx, view, cmds: list[Cmd], fixed: list[Cmd]):
        updates = [c for c in cmds if c.sub == "update"]
        if len(updates) != 1:
            return None
        up = updates[0]
        if not up.static_prefix or len(up.operands) != 1 or any(o.name not in QUIET_OPTS for o in up.opts):
            return None
        for c in cmds:
            if c is up or c.sub == "del":
                continue
            if not (c.has("--no-cache") or c in fixed):
                return None
        if later_needs_apk_index(ctx, view):
            return None
        return safe_removal(ctx, view, up.command)
