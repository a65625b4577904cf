"""npm-cache-clean: end a RUN that runs `npm install`/`npm ci` with `npm cache clean --force`.

npm keeps a copy of every tarball it fetched in `~/.npm/_cacache`; the installed files are in
`node_modules` (or the global prefix), so in an image the cache is dead weight, often as large
as `node_modules` itself. hadolint has no rule for it.

Before::

    RUN npm ci --omit=dev

After::

    RUN npm ci --omit=dev && npm cache clean --force

After `install`/`i`/`add`, `ci`/`clean-install`, `update` (and npm's other spellings of them),
also `npm install -g`; appended once at the end of the RUN, in the RUN's layout, with the
install's `sudo -u ...`/`VAR=value` prefix (so the same user's cache is cleaned).

Left alone when: `npm cache clean` follows the last install, or an `rm` of a `.npm` directory
does; the install names its cache or config (`--cache`, `--userconfig`); a cache mount covers
the npm cache (a target ending in `/.npm`, or below it); a later RUN of the stage (or of a stage
built FROM it) runs npm `--offline`, which needs the cache; in `--cache-strategy mount` when
`cache-mounts` mounts `/root/.npm` instead; the RUN ends in a comment, `;`, `&` or `exit`; exec
form, heredocs, non-POSIX shells, unparseable shell; a suppression comment.

Safe: npm never reads its cache to run installed code; cleaning it changes no installed file.
"""

from __future__ import annotations

from dockeropt.rewriter.base import Change, Context, Rule
from dockeropt.rewriter.chain import append_edit
from dockeropt.rewriter.managers import later_uses_offline, NPM_INSTALLS
from dockeropt.rewriter.mounts import handled_by_mounts
from dockeropt.rewriter.rules.families import clean_command
from dockeropt.rewriter.runs import can_append, candidate_runs, commands, mount_target, removing_commands


def npm_cache_mounted(view) -> bool:
    for m in view.ins.mounts:
        t = mount_target(m)
        if t and (t.endswith("/.npm") or "/.npm/" in t or t.endswith("/_cacache")):
            return True
    return False


def removes_npm_cache(view, after: int) -> bool:
    for c in removing_commands(view):
        if c.start > after and any(w.text.rstrip("/*").endswith(("/.npm", "/_cacache")) or ".npm/_cacache" in w.text
                                   for w in c.argv[1:]):
            return True
    return False


class NpmCacheClean(Rule):
    id = "npm-cache-clean"
    summary = "Run npm cache clean --force in the RUN that runs npm install/ci"
    hadolint = ()
    safe = True
    docs = __doc__ or ""

    def check(self, ctx: Context) -> list[Change]:
        changes = []
        for view in candidate_runs(self, ctx, "npm"):
            cmds = commands(view, "npm")
            triggers = [c for c in cmds if c.static_prefix and c.sub in NPM_INSTALLS]
            if not triggers or not can_append(view):
                continue
            last = max(c.start for c in triggers)
            if any(c.sub == "cache" and c.operand(0) in ("clean", "clear", "rm") and c.start > last for c in cmds):
                continue
            if removes_npm_cache(view, last) or npm_cache_mounted(view):
                continue
            if any(c.has("--cache", "--userconfig") for c in triggers):
                continue
            if handled_by_mounts(ctx, view, "npm"):
                continue
            offline = later_uses_offline(ctx, view, "npm")
            if offline:
                changes.append(self.change(view.ins, f"npm cache kept: {offline}", ()))
                continue
            texts = [clean_command(c, "cache clean --force") for c in triggers]
            if any(t is None for t in texts):
                continue
            hazard = view.append_hazard(ctx)
            if hazard:
                changes.append(self.change(view.ins, f"npm cache kept: {hazard}", ()))
                continue
            cleans = list(dict.fromkeys(texts))  # type: ignore[arg-type]
            changes.append(self.change(
                view.ins, "npm keeps every downloaded tarball in ~/.npm; clean the cache in the RUN that installs",
                [append_edit(ctx, view, cleans)],  # type: ignore[arg-type]
            ))
        return changes
