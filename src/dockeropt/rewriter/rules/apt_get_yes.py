"""apt-get-yes (DL3014): answer apt's confirmation prompt with `-y`.

`apt-get install` asks "Do you want to continue? [Y/n]" whenever it installs more than the
packages named (dependencies) or removes something. A build has no terminal: apt reads end of
file, takes it as "no", prints `Abort.` and the build fails. `-y` (`--yes`, `--assume-yes`)
answers yes.

Before::

    RUN apt-get update && apt-get install curl

After::

    RUN apt-get update && apt-get install -y curl

Also for `apt install`, behind `sudo`/`env`/`VAR=value` prefixes, with options before the
subcommand (`apt-get -o Acquire::Retries=3 install`) and inside `( )`, `if` and loop bodies.
The flag goes right after the `install` word.

Left alone when: `-y`, `--yes` or `--assume-yes` is given, or `-qq` / `-q -q` / `-q=2` (quiet
level 2 implies `-y`); the author asked for the opposite (`--assume-no`, `--trivial-only`,
`--no-yes`, `-o APT::Get::Assume-Yes=false`); a word before the subcommand is not static
(`apt-get $OPTS install`); the RUN is in exec form, has a heredoc, runs in a non-POSIX shell or
its shell cannot be parsed; a suppression comment applies.

Safe: `-y` only changes what happens at the prompt, where the build would otherwise stop.
"""

from __future__ import annotations

from dockeropt.rewriter.rules.families import InsertOptionRule
from dockeropt.shell.options import Cmd

YES = ("-y", "--yes", "--assume-yes")
REFUSE = ("--assume-no", "--trivial-only", "--no-yes", "--no-assume-yes")


def quiet_level(c: Cmd) -> int:
    """Quiet level from short options: `-q` counts 1 each, `-q=N` sets N."""
    level = 0
    for o in c.opts:
        if o.name != "-q":
            continue
        if o.value is None:
            level += 1
        elif o.value.isdigit():
            level = int(o.value)
    return level


def assumes_yes(c: Cmd) -> bool:
    return c.has(*YES) or quiet_level(c) >= 2


def refuses(c: Cmd) -> bool:
    if c.has(*REFUSE):
        return True
    for v in c.values("-o", "--option"):
        key, _, value = (v or "").partition("=")
        if key.strip().lower() == "apt::get::assume-yes" and value.strip().lower() in ("false", "0", "no", "off"):
            return True
    return False



class AptGetYes(InsertOptionRule):
    id = "apt-get-yes"
    summary = "Add -y to apt-get/apt install so the build does not stop at the confirmation prompt"
    hadolint = ("DL3014",)
    safe = True
    docs = __doc__ or ""
    programs = ("apt-get", "apt")
    mention = "apt"
    option = "-y"
    message = "apt install without -y aborts at the confirmation prompt (a build has no terminal); add -y"

    def wants(self, c: Cmd) -> bool:
        return c.sub == "install" and not assumes_yes(c) and not refuses(c)
