"""yum-yes (DL3030): `yum install -y`, so yum does not stop at its "Is this ok [y/N]" prompt.

A build has no terminal: yum reads end of file, answers no (`Exiting on user command`) and the
build fails.

Before::

    RUN yum install httpd && yum clean all

After::

    RUN yum install -y httpd && yum clean all

For every yum subcommand that asks before changing the system (`install`, `groupinstall`,
`localinstall`, `reinstall`, `update`/`upgrade`, `downgrade`, `distro-sync`, `remove`/`erase`,
`autoremove`, `group ...`, `module ...`, `swap`, `builddep`); `-y` goes after the subcommand (for
`group install` / `module enable`, after the second word). Also behind `sudo`, with options
before the subcommand, inside `( )`/`if`/loop bodies.

Left alone when: `-y`/`--assumeyes` is given, or the author chose with `--assumeno` or
`--setopt=assumeyes=...`; a word before the subcommand is not static; exec form, heredocs,
non-POSIX shells, unparseable shell; a suppression comment.

Safe: `-y` only decides what happens at the prompt, where the build would otherwise fail.
"""

from __future__ import annotations

from dockeropt.rewriter.rules.families import RpmYesRule



class YumYes(RpmYesRule):
    id = "yum-yes"
    summary = "Add -y to yum install (and the other yum commands that ask for confirmation)"
    hadolint = ("DL3030",)
    safe = True
    docs = __doc__ or ""
    programs = ("yum",)
    mention = "yum"
    message = "yum asks for confirmation and a build has no terminal to answer it; add -y"
