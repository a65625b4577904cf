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

from dockeropt.rewriter.rules.families import InsertOptionRule
from dockeropt.shell import Word
from dockeropt.shell.options import Cmd

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



class AptNoInstallRecommends(InsertOptionRule):
    id = "apt-no-install-recommends"
    summary = "Add --no-install-recommends to apt-get/apt install"
    hadolint = ("DL3015",)
    safe = False
    docs = __doc__ or ""
    programs = ("apt-get", "apt")
    mention = "apt"
    option = FLAG
    message = ("apt also installs recommended packages; --no-install-recommends installs only what is named "
               "(unsafe: check nothing needed came in as a recommendation)")

    def wants(self, c: Cmd) -> bool:
        return c.sub == "install" and not chooses_recommends(c)

    def word(self, c: Cmd) -> Word:
        """After the subcommand, or after a `-y` right behind it (`install -y --no-install-recommends`)."""
        nxt = c.sub_index + 1  # type: ignore[operator]
        if nxt < len(c.argv) and c.argv[nxt].value in YES_WORDS:
            return c.argv[nxt]
        return c.word_after_sub()
