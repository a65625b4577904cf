"""dnf-clean (DL3040): end a RUN that installs with dnf or microdnf with `dnf clean all` /
`microdnf clean all`.

dnf keeps repository metadata (tens of MB) in `/var/cache/dnf` (`/var/cache/libdnf5` with dnf5),
microdnf in `/var/cache/yum`. A RUN that leaves it behind ships it in its layer. hadolint wants
the clean command of the same program: `dnf clean all` does not count after `microdnf install`.

Before::

    RUN microdnf install -y python3

After::

    RUN microdnf install -y python3 && microdnf clean all

Triggers, placement, carried options, the removal of a clean between two dnf commands and the
exceptions are those of `yum-clean` (hadolint also
accepts `rm -rf /var/cache/yum/*` here, and so does this rule, as well as removing
`/var/cache/dnf` or `/var/cache/libdnf5`).
"""

from __future__ import annotations

from dockeropt.rewriter.managers import RPM_CACHE_DIRS, rpm_cache_only, RPM_TRIGGERS
from dockeropt.rewriter.rules.families import AppendCleanRule, CleanSpec

SPEC = CleanSpec(
    programs=("dnf", "microdnf"),
    triggers=frozenset(RPM_TRIGGERS),
    clean_subs=frozenset({"clean"}),
    tail="clean all",
    dirs={"dnf": RPM_CACHE_DIRS["dnf"] + ("/var/cache/yum",), "microdnf": RPM_CACHE_DIRS["microdnf"]},
    skip_opts=("--downloadonly", "-C", "--cacheonly"),
)



class DnfClean(AppendCleanRule):
    id = "dnf-clean"
    summary = "Run dnf/microdnf clean all in the RUN that installs with it"
    hadolint = ("DL3040",)
    safe = True
    docs = __doc__ or ""
    spec = SPEC
    blocks = staticmethod(rpm_cache_only)

    def message(self, progs, cleans) -> str:
        return f"{'/'.join(progs)} leaves its metadata cache in the layer; clean it in the RUN that installs"
