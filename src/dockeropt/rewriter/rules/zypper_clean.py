"""zypper-clean (DL3036): end a RUN that installs with zypper with `zypper clean -a`.

zypper keeps the repositories' raw and parsed metadata (tens of MB) and any kept packages under
`/var/cache/zypp`. `zypper clean` alone only removes kept packages (none by default); `-a`
(`--all`) removes the metadata as well, which is what costs space.

Before::

    RUN zypper --non-interactive install curl

After::

    RUN zypper --non-interactive install curl && zypper clean -a

After `install`/`in`, `update`/`up`, `dist-upgrade`/`dup`, `patch`, `source-install`/`si`,
`install-new-recommends`/`inr`; appended once at the end of the RUN, in its layout. The
install's `sudo`/`VAR=value` prefix and the global options that locate the cache (`--root`,
`--installroot`, `--config`, `--cache-dir`, `--pkg-cache-dir`, ...) are repeated.

Left alone when: a `zypper clean`/`zypper cc` or an `rm` of `/var/cache/zypp` follows the last
install (hadolint does not accept the `rm`, the layer is clean all the same); `/var/cache/zypp`
is a cache mount; an install only downloads (`-d`, `--download-only`); a later RUN of the
stage or of a stage built FROM it uses `--no-refresh`; in `--cache-strategy mount` when
`cache-mounts` mounts the cache instead; the RUN ends in a comment, `;`, `&` or `exit`; exec form,
heredocs, non-POSIX shells, unparseable shell; a suppression comment.

As in `yum-clean`, a `zypper clean` between two zypper installs is removed when a clean still
follows the last one.

Safe: zypper downloads the metadata again when it is missing (base images ship without it).
"""

from __future__ import annotations

from dockeropt.rewriter.managers import ZYPPER_CACHE_DIRS, zypper_cache_only, ZYPPER_TRIGGERS
from dockeropt.rewriter.rules.families import AppendCleanRule, CleanSpec

SPEC = CleanSpec(
    programs=("zypper",),
    triggers=frozenset(ZYPPER_TRIGGERS),
    clean_subs=frozenset({"clean", "cc"}),
    tail="clean -a",
    dirs={"zypper": ZYPPER_CACHE_DIRS},
    skip_opts=("-d", "--download-only", "--download"),
)



class ZypperClean(AppendCleanRule):
    id = "zypper-clean"
    summary = "Run zypper clean -a in the RUN that installs with zypper"
    hadolint = ("DL3036",)
    safe = True
    docs = __doc__ or ""
    spec = SPEC

    @staticmethod
    def blocks(view, prog: str) -> bool:
        return zypper_cache_only(view)

    def message(self, progs, cleans) -> str:
        return "zypper leaves its metadata cache in the layer; clean it in the RUN that installs"
