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

An abbreviation pip accepts (`--no-cache`, `--no-cache-d`) is spelled out as `--no-cache-dir`
(hadolint only knows the full name).

Left alone when: `--no-cache-dir` is given; `--cache-dir` is given (the author chose a cache);
`PIP_NO_CACHE_DIR` is set to a true value by ENV (in this stage or one it is built FROM) or
inside the RUN (`PIP_NO_CACHE_DIR=1 pip install`, `export PIP_NO_CACHE_DIR=1`) -- what hadolint
accepts; a cache mount covers pip's cache (`/root/.cache/pip`, `/root/.cache`, any
`.../.cache/pip` or the `PIP_CACHE_DIR` target); in `--cache-strategy mount`, when
`cache-mounts` mounts pip's cache for this RUN instead; exec form, heredocs, non-POSIX shells,
unparseable shell; a suppression comment.

pip disables its cache for *any* valid `PIP_NO_CACHE_DIR` value ("off" and "0" included, kept
that way for compatibility) and for an ARG with a default as well; hadolint only accepts a true
ENV value. In those cases the flag is added anyway: it is redundant there, and harmless.
(`ONBUILD RUN` is not rewritten.)
"""

from __future__ import annotations

from dockeropt.rewriter.base import Change, Context, Edit, Rule
from dockeropt.model.paths import _norm
from dockeropt.rewriter.managers import pip_cache_visibly_disabled
from dockeropt.rewriter.mounts import handled_by_mounts
from dockeropt.rewriter.runs import candidate_runs, commands, env_before, insert_after, mount_target


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
        for view in candidate_runs(self, ctx, "pip"):
            cmds = [c for c in commands(view, "pip") if c.sub == "install"]
            if not cmds:
                continue
            env = env_before(ctx, view)
            if pip_cache_visibly_disabled(ctx, view) or pip_cache_mounted(view, env):
                continue
            if handled_by_mounts(ctx, view, "pip"):
                continue
            edits = []
            for c in cmds:
                if c.has("--cache-dir"):
                    continue
                abbrev = [o for o in c.opts if o.name != "--no-cache-dir" and o.value is None
                          and o.name.startswith("--no-cache") and "--no-cache-dir".startswith(o.name)]
                if abbrev:
                    w = c.argv[abbrev[0].index]
                    edits.append(Edit(view.offset(w.start), view.offset(w.end), "--no-cache-dir"))
                elif not c.has("--no-cache-dir"):
                    edits.append(insert_after(view, c.word_after_sub(), "--no-cache-dir"))
            if edits:
                changes.append(self.change(
                    view.ins, "pip keeps every downloaded wheel in ~/.cache/pip; use pip install --no-cache-dir", edits
                ))
        return changes
