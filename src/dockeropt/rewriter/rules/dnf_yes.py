"""dnf-yes (DL3038): `dnf install -y` / `microdnf install -y`.

dnf stops at "Is this ok [y/N]"; in a build that reads end of file, means no (`Operation
aborted`), and fails the build. microdnf never asks, but accepts `-y` (a documented no-op) and
hadolint asks for it all the same.

Before::

    RUN dnf install python3 && dnf clean all

After::

    RUN dnf install -y python3 && dnf clean all

Same subcommands, placement and exceptions as `yum-yes` (`install`, `groupinstall`,
`localinstall`, `reinstall`, `upgrade`, `remove`, `autoremove`, `group ...`, `module ...`, ...;
not when `-y`, `--assumeyes`, `--assumeno` or `--setopt=assumeyes=...` is given).
"""

from __future__ import annotations

from dockeropt.rewriter.rules.families import RpmYesRule



class DnfYes(RpmYesRule):
    id = "dnf-yes"
    summary = "Add -y to dnf/microdnf install (and the other commands that ask for confirmation)"
    hadolint = ("DL3038",)
    safe = True
    docs = __doc__ or ""
    programs = ("dnf", "microdnf")
    mention = "dnf"
    message = "dnf asks for confirmation and a build has no terminal to answer it; add -y"
