"""yum-clean (DL3032): end a RUN that installs with yum with `yum clean all`.

yum keeps repository metadata (tens of MB) and, with `keepcache=1`, the downloaded RPMs under
`/var/cache/yum` (`/var/cache/dnf` where `yum` is dnf, RHEL/CentOS 8 and later). A RUN that
leaves them behind ships them in its layer.

Before::

    RUN yum install -y httpd

After::

    RUN yum install -y httpd && yum clean all

After any yum command that fills the cache (`install`, `groupinstall`, `localinstall`,
`reinstall`, `update`/`upgrade`, `downgrade`, `distro-sync`, `group ...`, `module ...`,
`swap`, `builddep`); appended once, at the end of the RUN, in the RUN's own layout (`&& \\` or
leading `&&`). A `sudo`/`VAR=value` prefix of the install and the options that say where the
cache is (`--installroot`, `--releasever`, `-c`/`--config`, `--setopt=cachedir=`) are
repeated on the clean command.

Left alone when: a `yum clean ...` or an `rm` of the cache directory follows the last install
(hadolint accepts `rm -rf /var/cache/yum`); the cache directory is a cache mount; an install uses
`--downloadonly` (the RPMs are meant to stay), `-C`/`--cacheonly`, or a later RUN of the stage
(or of a stage built FROM it) runs yum `-C`/`--cacheonly` and needs the cache; in
`--cache-strategy mount` when `cache-mounts` mounts the cache instead; the RUN ends in a
comment, a `;`, a background job or an `exit`; exec form, heredocs, non-POSIX shells,
unparseable shell; a suppression comment.

A `yum clean ...` that sits between two yum commands that fill the cache (`yum -y update &&
yum clean all && yum -y install x && yum clean all`) is removed when it is a whole element of
an `&&` list and a clean still follows the last install: it only makes the next command
download the metadata again. (hadolint compares the *first* clean with the *first* install, so
it reports such RUNs although they end clean.) A clean after anything else -- a repository file
edited with `sed`, say -- stays: it makes yum fetch the changed repository's metadata.

Safe: a later yum command downloads the metadata again when it is missing (base images ship
without it); nothing installed is touched.
"""

from __future__ import annotations

from dockeropt.rewriter.managers import RPM_CACHE_DIRS, rpm_cache_only, RPM_TRIGGERS
from dockeropt.rewriter.rules.families import AppendCleanRule, CleanSpec

SPEC = CleanSpec(
    programs=("yum",),
    triggers=frozenset(RPM_TRIGGERS),
    clean_subs=frozenset({"clean"}),
    tail="clean all",
    dirs={"yum": RPM_CACHE_DIRS["yum"]},
    skip_opts=("--downloadonly", "-C", "--cacheonly"),
)



class YumClean(AppendCleanRule):
    id = "yum-clean"
    summary = "Run yum clean all in the RUN that installs with yum"
    hadolint = ("DL3032",)
    safe = True
    docs = __doc__ or ""
    spec = SPEC
    blocks = staticmethod(rpm_cache_only)

    def message(self, progs, cleans) -> str:
        return "yum leaves its metadata cache in the layer; clean it in the RUN that installs"
