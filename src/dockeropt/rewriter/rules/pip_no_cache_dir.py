"""pip-no-cache-dir (DL3042): `pip install --no-cache-dir`, so pip's cache is not kept in the layer.

pip caches every wheel it downloads or builds in `~/.cache/pip`; in an image that cache is dead
weight (often larger than the installed packages).

Before::

    RUN pip install -r requirements.txt

After::

    RUN pip install --no-cache-dir -r requirements.txt

For `pip`, `pip3`, `pip3.12`, `/venv/bin/pip` and `python[3[.X]] -m pip`, behind `sudo`/`env`
prefixes and inside `( )`/`if`/loop bodies; the flag goes right after `install`. Only `pip
install` (hadolint does not ask it of `pip download` / `pip wheel`); `pipx`, `pipenv` and `uv pip`
are other programs.

Left alone when: `--no-cache-dir` (or an abbreviation pip accepts, `--no-cache`) is given;
`--cache-dir` is given (the author chose a cache); `PIP_NO_CACHE_DIR` is set for the RUN by ENV
or by an ARG with a default (in this stage or one it is built FROM) or inside the RUN
(`PIP_NO_CACHE_DIR=1 pip install`, `export PIP_NO_CACHE_DIR=1`); a cache mount covers pip's cache
(`/root/.cache/pip`, `/root/.cache`, any `.../.cache/pip` or the `PIP_CACHE_DIR` target); in
`--cache-strategy mount`, when `cache-mounts` mounts pip's cache for this RUN instead; exec
form, heredocs, non-POSIX shells, unparseable shell; a suppression comment.

(hadolint only recognises `ENV PIP_NO_CACHE_DIR` with a true value and cache mounts on
`/root/.cache/pip`; the other cases above keep its DL3042 although pip uses no cache there.)
"""

from __future__ import annotations

from dockeropt.rewriter.base import Change, Context, Rule
from dockeropt.rewriter.rules.pkg_common import (
    _norm, _pip_cache_disabled, candidate_runs, commands, env_before, handled_by_mounts, insert_after,
    mount_target, pip_has_no_cache_dir,
)


def pip_cache_mounted(view, env) -> bool:
    pip_dir = env.get("PIP_CACHE_DIR")
    for m in view.ins.mounts:
        if m.get("type") != "cache":
            continue
        t = mount_target(m)
        if t.endswith("/.cache") or t.endswith("/.cache/pip") or t in ("/root/.cache", "/root/.cache/pip"):
            return True
        if pip_dir and _norm(pip_dir) == t:
            return True
    return False


class PipNoCacheDir(Rule):
    id = "pip-no-cache-dir"
    summary = "Add --no-cache-dir to pip install"
    hadolint = ("DL3042",)
    safe = True
    docs = __doc__ or ""

    def check(self, ctx: Context) -> list[Change]:
        changes = []
        for view in candidate_runs(self, ctx):
            cmds = [c for c in commands(view, "pip") if c.sub == "install"]
            if not cmds:
                continue
            env = env_before(ctx, view)
            if _pip_cache_disabled(ctx, view, env) or pip_cache_mounted(view, env):
                continue
            if handled_by_mounts(ctx, view, "pip"):
                continue
            edits = [
                insert_after(view, c.word_after_sub(), "--no-cache-dir")
                for c in cmds
                if not pip_has_no_cache_dir(c) and not c.has("--cache-dir")
            ]
            if edits:
                changes.append(self.change(
                    view.ins, "pip keeps every downloaded wheel in ~/.cache/pip; use pip install --no-cache-dir", edits
                ))
        return changes
