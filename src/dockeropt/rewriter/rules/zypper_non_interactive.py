"""zypper-non-interactive (DL3034): `zypper --non-interactive install`, so zypper does not wait
for an answer that a build cannot give.

Before::

    RUN zypper install curl && zypper clean -a

After::

    RUN zypper --non-interactive install curl && zypper clean -a

`--non-interactive` (`-n`) is a global option, so it goes right after the `zypper` word, before
the subcommand, and it covers every prompt of that command. For `install`/`in`,
`remove`/`rm`, `update`/`up`, `dist-upgrade`/`dup`, `patch`, `source-install`/`si`,
`install-new-recommends`/`inr`, `verify`/`ve`; also behind `sudo` and inside `( )`/`if`/loop
bodies.

Left alone when: `-n`/`--non-interactive` is given before the subcommand, or the subcommand's
own `-y`/`--no-confirm` is given; a word before the subcommand is not static; exec form,
heredocs, non-POSIX shells, unparseable shell; a suppression comment.

Note `zypper install -n pkg` is *not* non-interactive: after the subcommand `-n` means
`--name`. hadolint accepts it; this rule adds `--non-interactive` there.
"""

from __future__ import annotations

from dockeropt.rewriter.rules.families import InsertOptionRule
from dockeropt.shell import Word
from dockeropt.shell.options import Cmd

TRIGGERS = {"install", "in", "remove", "rm", "update", "up", "dist-upgrade", "dup", "patch", "source-install",
            "si", "install-new-recommends", "inr", "verify", "ve"}



class ZypperNonInteractive(InsertOptionRule):
    id = "zypper-non-interactive"
    summary = "Add --non-interactive to zypper install/remove/update/patch"
    hadolint = ("DL3034",)
    safe = True
    docs = __doc__ or ""
    programs = ("zypper",)
    mention = "zypper"
    option = "--non-interactive"
    message = "zypper waits for answers a build cannot give; add --non-interactive"

    def wants(self, c: Cmd) -> bool:
        if c.sub not in TRIGGERS:
            return False
        if any(o.before_sub and o.name in ("-n", "--non-interactive") for o in c.opts):
            return False
        return not c.has("-y", "--no-confirm")

    def word(self, c: Cmd) -> Word:
        """A global option: right after the program word (`zypper --non-interactive install`)."""
        return c.argv[c.match.program_index]
