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

from dockeropt.rewriter.base import Change, Context, Rule
from dockeropt.rewriter.rules.pkg_common import candidate_runs, commands, insert_after

TRIGGERS = {"install", "in", "remove", "rm", "update", "up", "dist-upgrade", "dup", "patch", "source-install",
            "si", "install-new-recommends", "inr", "verify", "ve"}


class ZypperNonInteractive(Rule):
    id = "zypper-non-interactive"
    summary = "Add --non-interactive to zypper install/remove/update/patch"
    hadolint = ("DL3034",)
    safe = True
    docs = __doc__ or ""

    def check(self, ctx: Context) -> list[Change]:
        changes = []
        for view in candidate_runs(self, ctx, "zypper"):
            edits = []
            for c in commands(view, "zypper"):
                if c.sub not in TRIGGERS:
                    continue
                if any(o.before_sub and o.name in ("-n", "--non-interactive") for o in c.opts):
                    continue
                if c.has("-y", "--no-confirm"):
                    continue
                edits.append(insert_after(view, c.argv[c.match.program_index], "--non-interactive"))
            if edits:
                changes.append(self.change(
                    view.ins, "zypper waits for answers a build cannot give; add --non-interactive", edits
                ))
        return changes
