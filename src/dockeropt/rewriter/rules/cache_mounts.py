"""cache-mounts: with `--cache-strategy mount`, give package managers BuildKit cache mounts
instead of deleting their caches.

A cache mount keeps a directory out of the image *and* keeps it between builds, so the next
build re-downloads nothing that did not change. In this mode the cache-deleting rules
(`apk-no-cache`, `pip-no-cache-dir`, `yum-clean`, `dnf-clean`, `zypper-clean`,
`npm-cache-clean`, `yarn-cache-clean`) step aside for every RUN this rule handles, and act as
usual on the RUNs it leaves alone.

Before::

    RUN apt-get update && apt-get install -y gcc && rm -rf /var/lib/apt/lists/*

After::

    # syntax=docker/dockerfile:1
    RUN --mount=type=cache,target=/var/cache/apt,sharing=locked --mount=type=cache,target=/var/lib/apt/lists,sharing=locked apt-get update && apt-get install -y gcc

The flags go right after the RUN keyword (a RUN written over several lines gets one flag per
line, in its continuation style). `# syntax=docker/dockerfile:1` is added as the first line
(after a BOM, before any `# escape=`) when the file has no syntax directive; a file whose
directive names a frontend older than 1.2 or an unknown one is left alone.

| manager | mounts (sharing) | when |
|---|---|---|
| apt, apt-get | `/var/cache/apt`, `/var/lib/apt/lists` (locked) | the RUN runs `update` before it installs, and no later RUN relies on the lists |
| apk | `/var/cache/apk` (locked) | an `apk add` without `--no-cache`, the index fetched in the RUN (`apk update`, `-U`) |
| pip | `/root/.cache/pip` | `pip install` without `--no-cache-dir`, as root, `HOME`/`PIP_CACHE_DIR`/`XDG_CACHE_HOME` not set |
| yum | `/var/cache/yum`, `/var/cache/dnf` (locked) | yum installs (on RHEL 8+ `yum` is dnf and caches in `/var/cache/dnf`) |
| dnf | `/var/cache/dnf`, `/var/cache/libdnf5` (locked) | dnf installs (dnf5 caches in `/var/cache/libdnf5`) |
| microdnf | `/var/cache/yum` (locked) | microdnf installs |
| zypper | `/var/cache/zypp` (locked) | zypper installs |
| npm | `/root/.npm` | `npm install`/`ci` as root |
| yarn | `/usr/local/share/.cache/yarn` | Yarn 1 installs as root, no sign of Yarn 2+ |

Clean-up commands that only delete inside a mounted directory (`apt-get clean`, `rm -rf
/var/lib/apt/lists/*`, `yum clean all`, `npm cache clean --force`, ...) would empty the cache on
every build and are removed when they are a whole element of the RUN's `&&` chain. A command
that removes a mount point itself or a parent of it (`rm -rf /var/cache/yum`) would fail with
"Device or resource busy": it is removed, or the manager gets no mount; so is a removal of a
path that cannot be resolved (`rm -rf "$DIR"`).

Why `/var/lib/apt/lists` and not `/var/lib/apt`: `/var/lib/apt/extended_states` records which
packages were installed automatically; on a mount it would be lost from the image and shared
between unrelated builds (`apt-get autoremove` could act on another image's marks).

**docker-clean**: Debian and Ubuntu images ship `/etc/apt/apt.conf.d/docker-clean`, which deletes
downloaded `.deb` files after every install. With it in place only the package lists are reused
between builds; the mount on `/var/cache/apt` is harmless but stays empty. This rule does not
delete that file: it is part of the image being built, and removing it changes how apt behaves
for everyone who builds FROM the image (downloaded packages would pile up in their layers). To
reuse `.deb` files as well, remove it yourself in a build stage that is not shipped.

Left alone: RUNs whose caches are already mounted (missing mounts are still added), RUNs with
another kind of mount on those paths, `--downloadonly`/`-d`/`-C` (the cache is meant to be read
or kept), a user other than root for the per-user caches, exec form, heredocs, non-POSIX shells,
unparseable shell, and `# dockeropt: ignore=cache-mounts`; a suppression of a manager's own
rule or hadolint code (`# hadolint ignore=DL3042`) turns off that manager's mount only.

Needs BuildKit (or buildah/podman); the classic builder rejects `RUN --mount`. hadolint accepts
the apt, apk, pip and yarn mounts in place of its DL3009/DL3019/DL3042/DL3060; it keeps asking
for `yum/dnf clean all` and `zypper clean` (DL3032/DL3040/DL3036).
"""

from __future__ import annotations

from dockeropt.rewriter.base import Change, Context, Edit, Rule
from dockeropt.rewriter.chain import chain_layout
from dockeropt.rewriter.mounts import mount_plan, mounts_supported
from dockeropt.rewriter.runs import candidate_runs
from dockeropt.rewriter.shellrun import RunView
from dockeropt.syntax import nodes as n

SYNTAX_LINE = "# syntax=docker/dockerfile:1"


def flags_edit(ctx: Context, view: RunView, flags: list[str]) -> Edit:
    """Insert ``flags`` right after the RUN keyword; in a multi-line RUN one per line, indented
    like the RUN's commands (after ``&& `` in the leading style)."""
    ins = view.ins
    kw_end = view.start + len(ins.indent) + len(ins.keyword_raw)
    pieces = ins.pieces
    if not any(isinstance(p, n.Continuation) for p in pieces):
        return Edit(kw_end, kw_end, " " + " ".join(flags))
    layout = chain_layout(ctx, view)
    first = pieces[0] if pieces else None
    starts_on_next_line = not (isinstance(first, n.Text) and first.value.strip())
    if starts_on_next_line and len(pieces) > 2 and isinstance(pieces[2], n.Text):
        indent = _indent_of(pieces[2].value)  # `RUN \` : the command's own line says it
    elif _has_and_breaks(view) and layout.leading:
        indent = layout.indent + " " * 3  # under the command after `&& `
    elif _has_and_breaks(view):
        indent = layout.indent
    else:
        indent = "\t" if layout.indent.startswith("\t") else "    "
    sep = f" {layout.escape}{layout.newline}{indent}"
    if starts_on_next_line:
        return Edit(kw_end, kw_end, " " + sep.join(flags))
    ws = len(first.value) - len(first.value.lstrip(" \t"))  # type: ignore[union-attr]
    return Edit(kw_end, kw_end + ws, " " + sep.join(flags) + sep)


def _indent_of(line: str) -> str:
    return line[: len(line) - len(line.lstrip(" \t"))]


def _has_and_breaks(view: RunView) -> bool:
    """Does an ``&&`` meet a line continuation somewhere in this RUN?"""
    pieces = view.ins.pieces
    for i, p in enumerate(pieces):
        if isinstance(p, n.Continuation) and 0 < i < len(pieces) - 1:
            before, after = pieces[i - 1], pieces[i + 1]
            if (isinstance(before, n.Text) and before.value.rstrip().endswith("&&")) or (
                isinstance(after, n.Text) and after.value.lstrip().startswith("&&")
            ):
                return True
    return False


def directive_edit(ctx: Context) -> Edit | None:
    if any(d.name == "syntax" for d in ctx.tree.directives):
        return None
    pos = len(ctx.tree.bom)
    return Edit(pos, pos, SYNTAX_LINE + ctx.newline())


class CacheMounts(Rule):
    id = "cache-mounts"
    summary = "With --cache-strategy mount: BuildKit cache mounts for package-manager caches"
    hadolint = ()
    safe = True
    docs = __doc__ or ""

    def check(self, ctx: Context) -> list[Change]:
        if ctx.options.cache_strategy != "mount" or not mounts_supported(ctx):
            return []
        changes: list[Change] = []
        directive = directive_edit(ctx)
        for view in candidate_runs(self, ctx, "apt", "apk", "pip", "dnf", "yum", "npm", "yarn", "zypper"):
            plan = mount_plan(ctx, view)
            if not plan.mounts:
                continue
            edits = [flags_edit(ctx, view, plan.flags()), *plan.removals]
            if directive is not None and not changes:
                edits.append(directive)
            what = ", ".join(dict.fromkeys(plan.managers))
            msg = f"{what}: cache mount(s) keep the cache out of the layer and reuse it in the next build"
            if "apt" in plan.managers:
                msg += (" (for apt: the package lists; Debian and Ubuntu images delete downloaded .debs "
                        "after each install — /etc/apt/apt.conf.d/docker-clean — so those are not reused)")
            if plan.removals:
                msg += "; the clean-up inside the mounted cache is dropped"
            changes.append(self.change(view.ins, msg, edits))
        return changes
