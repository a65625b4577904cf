"""yarn-cache-clean (DL3060): end a RUN that runs `yarn install` with `yarn cache clean`.

Yarn 1 keeps every package it fetched in its global cache (`/usr/local/share/.cache/yarn` for
root, `~/.cache/yarn` otherwise); the installed files are in `node_modules`, so in an image the
cache is dead weight.

Before::

    RUN yarn install --frozen-lockfile

After::

    RUN yarn install --frozen-lockfile && yarn cache clean

After `yarn`, `yarn install`, `yarn add` and `yarn global add`; appended once at the end of the
RUN, in its layout, with the install's `sudo -u ...`/`VAR=value` prefix.

**Unsafe**, unlike `npm-cache-clean`: with Yarn 2+ ("Berry") and Plug'n'Play the cache *is* the
install -- programs load their dependencies from the zip files in `.yarn/cache` or the global
cache -- and `yarn cache clean` deletes them. The rule cannot see the yarn version; it skips RUNs
when it sees signs of Berry (`corepack`, `yarn set version`, `yarn dlx`, `--immutable`,
`.yarnrc.yml`/`.yarn/`/`.pnp.cjs` copied in, `YARN_ENABLE_*`/`YARN_NODE_LINKER` set, a
`packageManager: yarn@2+` or `.yarnrc.yml` next to the Dockerfile), but check the image runs.

Left alone also when: `yarn cache clean` follows the last install; the install names its cache
(`--cache-folder`, `--preferred-cache-folder`); a cache mount covers a yarn cache (a target with
`yarn` in it); a later RUN of the stage (or of one built FROM it) runs yarn `--offline`; in
`--cache-strategy mount` when `cache-mounts` mounts the yarn cache instead; the RUN ends in a
comment, `;`, `&` or `exit`; exec form, heredocs, non-POSIX shells, unparseable shell; a
suppression comment.
"""

from __future__ import annotations

from dockeropt.rewriter.base import Change, Context, Rule
from dockeropt.rewriter.chain import append_edit
from dockeropt.rewriter.managers import later_uses_offline, yarn_berry_evidence, yarn_installs
from dockeropt.rewriter.mounts import handled_by_mounts
from dockeropt.rewriter.rules.families import clean_command
from dockeropt.rewriter.runs import can_append, candidate_runs, commands, mount_target


def yarn_cache_mounted(view) -> bool:
    return any("yarn" in mount_target(m) for m in view.ins.mounts)


class YarnCacheClean(Rule):
    id = "yarn-cache-clean"
    summary = "Run yarn cache clean in the RUN that runs yarn install (Yarn 1)"
    hadolint = ("DL3060",)
    safe = False
    docs = __doc__ or ""

    def check(self, ctx: Context) -> list[Change]:
        changes = []
        for view in candidate_runs(self, ctx, "yarn"):
            cmds = commands(view, "yarn")
            triggers = [c for c in cmds if yarn_installs(c)]
            if not triggers or not can_append(view):
                continue
            last = max(c.start for c in triggers)
            if any(c.sub == "cache" and c.operand(0) == "clean" and c.start > last for c in cmds):
                continue
            if yarn_cache_mounted(view) or any(c.has("--cache-folder", "--preferred-cache-folder") for c in triggers):
                continue
            if handled_by_mounts(ctx, view, "yarn"):
                continue
            offline = later_uses_offline(ctx, view, "yarn")
            if offline:
                changes.append(self.change(view.ins, f"yarn cache kept: {offline}", ()))
                continue
            if yarn_berry_evidence(ctx, view):
                continue
            texts = [clean_command(c, "cache clean") for c in triggers]
            if any(t is None for t in texts):
                continue
            hazard = view.append_hazard(ctx)
            if hazard:
                changes.append(self.change(view.ins, f"yarn cache kept: {hazard}", ()))
                continue
            cleans = list(dict.fromkeys(texts))  # type: ignore[arg-type]
            changes.append(self.change(
                view.ins,
                "yarn keeps every package it fetched in its cache; clean it in the RUN that installs "
                "(unsafe: with Yarn 2+ Plug'n'Play the cache is the install)",
                [append_edit(ctx, view, cleans)],  # type: ignore[arg-type]
            ))
        return changes
