"""apt-no-install-recommends (DL3015): install only what was asked for.

By default apt also installs every package the requested ones *recommend*: documentation,
optional helpers, often whole toolchains. `--no-install-recommends` keeps the image to the
packages named and their hard dependencies.

Before::

    RUN apt-get update && apt-get install -y python3

After::

    RUN apt-get update && apt-get install -y --no-install-recommends python3

The flag goes right after `install` (after a `-y` that directly follows it). Also for `apt
install`, behind `sudo`/`env`/`VAR=value` prefixes, with options before the subcommand and
inside `( )`/`if`/loop bodies.

Left alone when: `--no-install-recommends` is already there; the author chose explicitly
(`--install-recommends`, `-o APT::Install-Recommends=...` with any value); a word before the
subcommand is not static; the RUN is in exec form, has a heredoc, runs in a non-POSIX shell or
its shell cannot be parsed; a suppression comment applies.

Unsafe: a program may need something that only came in as a recommendation (`python3-pip`
without `python3-setuptools`, `curl` without `ca-certificates` on some releases), so the image
can build and then fail at run time. Check what the image does after applying it.
"""

from __future__ import annotations

from dockeropt.rewriter.base import Change, Context, Rule
from dockeropt.rewriter.rules.pkg_common import Cmd, candidate_runs, commands, insert_after

FLAG = "--no-install-recommends"
YES_WORDS = ("-y", "--yes", "--assume-yes")


def chooses_recommends(c: Cmd) -> bool:
    if c.has(FLAG, "--install-recommends", "--no-install-recommends"):
        return True
    for v in c.values("-o", "--option"):
        key = (v or "").partition("=")[0].strip().lower()
        if key == "apt::install-recommends":
            return True
    return False


class AptNoInstallRecommends(Rule):
    id = "apt-no-install-recommends"
    summary = "Add --no-install-recommends to apt-get/apt install"
    hadolint = ("DL3015",)
    safe = False
    docs = __doc__ or ""

    def check(self, ctx: Context) -> list[Change]:
        changes = []
        for view in candidate_runs(self, ctx, "apt"):
            edits = []
            for c in commands(view, "apt-get", "apt"):
                if c.sub != "install" or chooses_recommends(c):
                    continue
                word = c.word_after_sub()
                nxt = c.sub_index + 1  # type: ignore[operator]
                if nxt < len(c.argv) and c.argv[nxt].value in YES_WORDS:
                    word = c.argv[nxt]
                edits.append(insert_after(view, word, FLAG))
            if edits:
                changes.append(self.change(
                    view.ins,
                    "apt also installs recommended packages; --no-install-recommends installs only what is named "
                    "(unsafe: check nothing needed came in as a recommendation)",
                    edits,
                ))
        return changes
