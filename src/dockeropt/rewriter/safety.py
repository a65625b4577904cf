"""The promise every rewrite keeps, and the shell facts it rests on. Every rule that moves shell
code asks here; no rule decides these questions on its own.

The contract
------------
For every environment, the rewritten build fails exactly when the original fails, at the same
step (after running the same commands), and otherwise leaves the same files and runs the same
commands. Losing an optimisation is cheap; silencing a failure, deleting what a later step
needs, or changing a file in the image is not. When dockeropt cannot prove a change safe it
leaves the RUN alone and says why.

Shell facts this rests on (POSIX ``sh``; dash and bash behave so, and the differential tests in
``tests/differential`` run both)
------------------------------------------------------------------------------------------------
1. **Each RUN is a fresh process**: ``SHELL`` (default ``/bin/sh -c``) + the RUN's text, started
   in WORKDIR with the image's environment. Nothing of the shell survives the RUN: variables,
   ``cd``, ``set`` options, ``umask``, traps, functions, aliases, the **command hash** (the path a
   name was found at), open file descriptors, and every process the RUN started (the build kills
   them when the RUN ends). Start-up files are read again by every RUN (``bash --login``,
   ``BASH_ENV``, ``SHELLOPTS``), and every RUN gets its own ``tmpfs`` and read-write bind mounts.
   ``/bin/sh`` itself is looked up again by every RUN.
2. **errexit is ignored** (``set -e``, ``set -o errexit``, ``SHELL [.., "-e", ..]``, and bash's
   ``trap … ERR``, which fires under the same rules) in every command of an AND-OR list except
   the last, in a ``!`` pipeline and in ``if``/``while``/``until`` conditions — and in *everything
   run from there*: subshells, ``{ }`` groups, loops, functions, sourced files. So
   ``( set -e; false; echo x ) && y`` prints x, in dash and in bash.
   Consequences for a script ``L1; L2; …; Ln`` (top-level AND-OR lists, each ``p1 && … && pk``):
   - Put left of ``&&`` as a whole (``( script ) && next``, what merging RUNs does), the last
     pipeline of every ``Li`` loses errexit. With errexit possibly on, that changes how the
     script fails unless it is a single list (``n == 1``) whose last pipeline is *status-pure*.
   - ``script && more`` appended at its end (what a clean-up does, and what joining an unwrapped
     ``&&`` chain does) moves only the last pipeline of ``Ln`` left of ``&&``: safe unless that
     pipeline is impure and errexit may be on.
   - A pipeline is **status-pure** when a failure inside it can only show as its own exit
     status: it consists of simple commands that are not shell functions, ``eval``, ``.`` or
     ``source`` (they run code in the current shell), and have no command substitution. ``if``,
     loops, ``case``, ``{ }``, ``( )`` and function calls are impure: under errexit a failure
     *inside* them stops the shell, which ``&&`` would turn off.
   - Being last is safe: ``a && ( set -e; b; c )`` keeps errexit inside the subshell.
   - bash's ERR trap is a side effect of *any* failing command outside those contexts, status-
     pure or not: with a ``trap … ERR`` (or code dockeropt cannot read that may set one), no
     command that can fail may move left of ``&&`` — not even the last one of the RUN.
3. ``a; b`` fails only if ``b`` fails; ``a || b && c`` groups left to right; ``exit``, ``exec`` and
   ``&`` end or detach. ``( … )`` keeps every state change of the inside from the outside.
4. A ``#`` in a shell-form RUN is a comment to the end of the line: text appended after it is lost.

What dockeropt does not know: what scripts it cannot read do (a ``./install.sh``, a sourced
file, a program that runs ``apt-get`` itself), what an outside base image sets (its ENV, such as
``BASH_ENV``, its WORKDIR, its USER), and programs that behave differently when run twice.
"""

from __future__ import annotations

import json
import posixpath
import re
from typing import Optional

from dockeropt.shell.model import Compound, ShellScript, SimpleCommand
from dockeropt.shell.parser import builtin_name

# --------------------------------------------------------------------------------------------
# errexit
# --------------------------------------------------------------------------------------------

_OPAQUE_CODE = frozenset({"eval", ".", "source"})
_BASH = re.compile(r"(^|/)bash[0-9.]*$")


def _cluster_has(word: str, letter: str) -> bool:
    """``-eux`` has e; ``--login`` is not a cluster."""
    return len(word) > 1 and word[0] == "-" and word[1] != "-" and letter in word[1:]


def shell_flags_errexit(shell: tuple[str, ...]) -> bool:
    """Does the SHELL's own argv turn errexit on (``-e``, ``-eo pipefail``, ``-o errexit``)?"""
    args = shell[1:]
    for i, a in enumerate(args):
        if a == "-o" and i + 1 < len(args) and args[i + 1] == "errexit":
            return True
        if _cluster_has(a, "e"):
            return True
        if _cluster_has(a, "c"):
            break
    return False


def is_bash(shell: tuple[str, ...]) -> bool:
    return bool(shell) and bool(_BASH.search(shell[0]))


def login_shell(shell: tuple[str, ...]) -> bool:
    """``bash --login``/``-l``/``-i``: start-up files are read by every RUN."""
    for a in shell[1:]:
        if a in ("--login", "-l", "--interactive", "-i") or (_cluster_has(a, "l") or _cluster_has(a, "i")):
            return True
        if a == "-c":
            break
    return False


def _set_turns_on_errexit(cmd: SimpleCommand, i: int) -> Optional[str]:
    """``set``/``shopt`` words that may turn errexit on (the reason), or None."""
    words = cmd.argv[i + 1 :]
    for k, w in enumerate(words):
        v = w.value
        if v is None:
            return f"`{cmd.argv[i].value} {w.text}` may turn on errexit"
        if _cluster_has(v, "e") and not v.startswith("-o"):
            return f"`set {v}`"
        if v.startswith("-") and "o" in v[1:] and not v.startswith("--"):
            nxt = words[k + 1].value if k + 1 < len(words) else None
            inline = v.split("o", 1)[1] if v.startswith("-o") and len(v) > 2 else ""
            if nxt is None and k + 1 < len(words):
                return f"`set {v} {words[k + 1].text}` may turn on errexit"
            if "errexit" in (nxt, inline):
                return "`set -o errexit`"
        if cmd.argv[i].value == "shopt" and v == "errexit":
            return "`shopt -o errexit`"
    return None


def _command_reasons(script: ShellScript, effect: str) -> list[tuple[str, str]]:
    """(kind, reason) per command of the RUN that may turn on errexit ("set") or set an ERR
    trap ("trap"), or runs code dockeropt cannot read ("opaque", which may do either)."""
    out: list[tuple[str, str]] = []
    for cmd in script.commands:
        name, i = builtin_name(cmd)
        if name in ("set", "shopt"):
            reason = _set_turns_on_errexit(cmd, i)
            if reason:
                out.append(("set", reason))
        elif name == "trap":
            sigs = cmd.argv[i + 2 :] if len(cmd.argv) > i + 2 else ()
            if any(w.value is None or w.value.upper() in ("ERR", "SIGERR") for w in sigs):
                out.append(("trap", "`trap … ERR`"))
        elif name in _OPAQUE_CODE:
            out.append(("opaque", f"`{name}` runs code dockeropt cannot read, which may {effect}"))
        elif name is None and i < len(cmd.argv) and "/" not in cmd.argv[i].text:
            # `$T 'x' ERR` with T=trap, `$S -e` with S=set: a name that is not static may be a
            # builtin (one with a / in it is a path, never a builtin)
            out.append(("opaque", f"`{cmd.argv[i].text}` is a command name dockeropt cannot read, which may {effect}"))
    return out


def errexit_reasons(script: ShellScript, shell: tuple[str, ...], env: dict) -> list[str]:
    """Why errexit (or bash's ERR trap) may be on somewhere in this RUN; empty when it cannot."""
    out: list[str] = []
    if shell_flags_errexit(shell):
        out.append(f"SHELL {json.dumps(list(shell))} turns on errexit")
    if is_bash(shell):
        for name in ("SHELLOPTS", "BASH_ENV"):
            if name in env:
                out.append(f"{name} is set, so bash may start with errexit on")
    if login_shell(shell):
        out.append("the SHELL is a login shell, whose start-up files may turn on errexit")
    return out + [reason for _, reason in _command_reasons(script, "turn on errexit")]


def err_trap_reasons(script: ShellScript, shell: tuple[str, ...], env: dict) -> list[str]:
    """Why bash's ERR trap may be set in this RUN. Unlike errexit, the trap is a side effect of
    *any* failing command, so purity does not help: ``f && more`` runs no trap when ``f`` fails
    (see fact 2), where ``f`` alone ran it. Empty when no trap can be set."""
    out = ["BASH_ENV is set, so bash may start with an ERR trap"] if is_bash(shell) and "BASH_ENV" in env else []
    if login_shell(shell):
        out.append("the SHELL is a login shell, whose start-up files may set an ERR trap")
    return out + [reason for kind, reason in _command_reasons(script, "set an ERR trap") if kind != "set"]


def _trap_hazard(script: ShellScript, shell: tuple[str, ...], env: dict) -> Optional[str]:
    last = _last_pipeline(script)
    if last is None or _cannot_fail(last):
        return None
    reasons = err_trap_reasons(script, shell, env)
    if reasons:
        return f"its last command may fail under {reasons[0]}, which does not fire left of `&&`"
    return None


def pipeline_impurity(script: ShellScript, pipeline) -> Optional[str]:
    """Why a failure inside ``pipeline`` could stop the shell under errexit without being its
    exit status (see fact 2), or None when it is status-pure."""
    for element in pipeline.commands:
        if isinstance(element, Compound):
            if element.kind in ("function", "arith"):
                continue  # a definition runs nothing; (( )) only computes its status
            return {"subshell": "a ( ) subshell", "group": "a { } group"}.get(element.kind, f"`{element.kind}`")
        name, _ = builtin_name(element)
        if name in script.functions:
            return f"a call of function {name}"
        if name in _OPAQUE_CODE:
            return f"`{name}`"
        if name is None and element.argv:
            return "a command whose name is not static"
    for cmd in script.commands:
        if cmd.in_subshell and pipeline.start <= cmd.start and cmd.end <= pipeline.end:
            return "a command substitution"
    return None


_NEVER_FAIL = frozenset({"set", "true", ":", "export", "readonly"})
# options of `set` that dash and bash both know (an unknown one fails, in bash without exiting)
_SET_LETTERS = frozenset("abCefhmnuvx")
_SET_NAMES = frozenset({"allexport", "errexit", "noclobber", "noglob", "notify", "nounset", "verbose",
                        "xtrace", "noexec", "monitor", "pipefail"})
# variables bash will not let `export NAME=value` / `readonly NAME=value` assign
_READONLY = frozenset({"UID", "EUID", "PPID", "SHELLOPTS", "BASHOPTS", "BASH_VERSINFO", "GROUPS"})
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def _cannot_fail(pipeline) -> bool:
    """``set -eux``, ``true``, ``export A=b``: one builtin with static words and no redirection,
    whose status is 0 (so errexit has nothing to stop there). Not ``export -f f`` (fails when f
    is no function), ``export UID=1`` (read-only in bash), ``set -o nosuch`` or ``export 1x``."""
    if len(pipeline.commands) != 1 or pipeline.negated:
        return False
    cmd = pipeline.commands[0]
    if not isinstance(cmd, SimpleCommand) or cmd.redirects or not cmd.argv:
        return False
    name, i = builtin_name(cmd)
    if i != 0 or name not in _NEVER_FAIL:
        return False
    if not all(w.value is not None for w in (*cmd.argv, *cmd.assignments)):
        return False
    args = [w.value for w in cmd.argv[1:]]
    if name == "set":
        for k, a in enumerate(args):
            if a in ("-o", "+o"):
                continue
            if k and args[k - 1] in ("-o", "+o"):
                if a not in _SET_NAMES:
                    return False
            elif not (len(a) > 1 and a[0] in "-+" and set(a[1:]) <= _SET_LETTERS):
                return False  # `set -- a b` and positional words are fine, but rare: not judged
        return not args or args[-1] not in ("-o", "+o")
    if name in ("export", "readonly"):
        for a in args:
            var = a.split("=", 1)[0]
            if not _NAME.match(var) or var in _READONLY:
                return False  # an option (-f, -p, -n), a bad name, a read-only variable
        return True
    return True


def _last_pipeline(script: ShellScript):
    return script.lists[-1].pipelines[-1] if script.lists else None


def wrap_hazard(script: ShellScript, shell: tuple[str, ...], env: dict) -> Optional[str]:
    """Why ``( script ) && next`` would fail differently from ``script`` alone, or None."""
    if not script.lists:
        return None
    reasons = errexit_reasons(script, shell, env)
    if not reasons:
        return None
    if any(not _cannot_fail(lst.pipelines[-1]) for lst in script.lists[:-1]):
        return f"it relies on errexit ({reasons[0]}), which `&&` after it would turn off"
    impure = pipeline_impurity(script, _last_pipeline(script))
    if impure:
        return f"it ends in {impure} under errexit ({reasons[0]}), which `&&` after it would turn off"
    return _trap_hazard(script, shell, env)


def append_hazard(script: ShellScript, shell: tuple[str, ...], env: dict) -> Optional[str]:
    """Why ``script && more`` would fail differently from ``script``, or None."""
    if not script.lists:
        return None
    impure = pipeline_impurity(script, _last_pipeline(script))
    if impure:
        reasons = errexit_reasons(script, shell, env)
        if reasons:
            return f"it ends in {impure} under errexit ({reasons[0]}): `&&` after it would turn errexit off inside"
    return _trap_hazard(script, shell, env)


# --------------------------------------------------------------------------------------------
# One shell instead of several (merging RUNs)
# --------------------------------------------------------------------------------------------

# Programs that stay where the OS put them: a second run of one of these in the same shell
# finds the same file, so its hashed path cannot go stale. Anything else (pip, npm, node,
# python, git, cmake ...) may be upgraded or installed again into another PATH directory by an
# earlier step, and a shell that already hashed it would run the old one.
FIXED_PROGRAMS = frozenset(
    """
    apt apt-get apt-cache apt-key apt-mark aptitude dpkg dpkg-reconfigure dpkg-divert debconf-set-selections
    apk yum dnf microdnf rpm zypper pacman tdnf
    sh bash dash ash env nice nohup timeout xargs find sudo su
    rm rmdir mkdir cp mv ln chmod chown chgrp touch cat echo printf test [ true false
    sed awk gawk mawk grep egrep fgrep cut tr sort uniq head tail tee wc sleep date id whoami
    tar gzip gunzip zcat bzip2 xz unxz unzip zip ls stat install mktemp dirname basename readlink
    realpath sha1sum sha256sum sha512sum md5sum gpg gpgconf dirmngr curl wget
    useradd groupadd adduser addgroup usermod userdel groupdel chpasswd passwd
    ldconfig update-alternatives locale-gen localedef update-ca-certificates update-locale
    ln chsh which command type hash getent mknod sync
    """.split()
)

# Commands that start a process which outlives them (a daemon), and options that ask for one.
DAEMON_PROGRAMS = frozenset(
    """
    service setsid start-stop-daemon daemon daemonize invoke-rc.d rc-service systemctl
    mysqld_safe pg_ctl pg_ctlcluster supervisord dockerd containerd sshd nginx apachectl httpd
    apache2ctl crond rsyslogd dbus-daemon Xvfb xvfb-run redis-server memcached mongod
    """.split()
)
DAEMON_OPTIONS = ("--daemon", "--daemonize", "--fork", "-daemon", "--background")


def _program(cmd: SimpleCommand) -> Optional[str]:
    from dockeropt.shell.commands import invocation

    inv = invocation(cmd)
    return inv.program if inv is not None else None


def starts_daemon(script: ShellScript) -> Optional[str]:
    """The first command that starts a process that outlives it (as it would outlive its RUN
    once merged), or None."""
    for cmd in script.commands:
        prog = _program(cmd)
        if prog is None:
            continue
        if prog in DAEMON_PROGRAMS or prog.startswith("/etc/init.d/") or "/init.d/" in (cmd.argv[0].value or ""):
            if prog == "systemctl" and not any(w.value in ("start", "restart") for w in cmd.argv[1:]):
                continue
            if prog == "pg_ctl" and not any(w.value in ("start", "restart") for w in cmd.argv[1:]):
                continue
            return prog
        if any((w.value or "").split("=", 1)[0] in DAEMON_OPTIONS for w in cmd.argv[1:]):
            return prog
    return None


def hashed_programs(script: ShellScript) -> set[str]:
    """Names looked up in PATH by the shell running the script (subshells aside), whose
    hashed path could go stale: the shell would run the old file after an upgrade."""
    out: set[str] = set()
    for cmd in script.commands:
        if cmd.in_subshell or not cmd.argv:
            continue
        name, i = builtin_name(cmd)
        if not name or "/" in name or name in script.functions or name in FIXED_PROGRAMS:
            continue
        out.add(name)
    return out


def run_programs(script: ShellScript) -> set[str]:
    """Names the script runs through a PATH search (anywhere, subshells included)."""
    out: set[str] = set()
    for cmd in script.commands:
        name, _ = builtin_name(cmd)
        if name and "/" not in name and name not in script.functions:
            out.add(name)
    return out


_MOVERS = {"rm", "rmdir", "mv", "unlink"}


def _ancestor_or_self(path: str, of: str) -> bool:
    path = posixpath.normpath(path)
    of = posixpath.normpath(of)
    return of == path or of.startswith(path.rstrip("/") + "/")


def moves_workdir(script: ShellScript, workdir: Optional[str]) -> Optional[str]:
    """A command that may remove or rename the working directory (or a directory above it):
    separate RUNs start in the new directory at that path, one shell stays in the old one."""
    if workdir in (None, "/"):
        return None
    for cmd in script.commands:
        prog = _program(cmd)
        if prog not in _MOVERS:
            continue
        if prog == "unlink" or (prog == "rm" and not _recursive(cmd)):
            continue  # cannot remove a directory
        for w in cmd.argv[1:]:
            v = w.value
            if v is not None and v.startswith("-"):
                continue
            if v is None:
                if w.text.lstrip("\"'").startswith("$"):
                    return f"`{prog} {w.text}`"
                continue
            target = v if v.startswith("/") else posixpath.join(workdir, v)
            if _ancestor_or_self(target, workdir):
                return f"`{prog} {v}`"
    return None


def _recursive(cmd: SimpleCommand) -> bool:
    for w in cmd.argv[1:]:
        v = w.value
        if v is None or v == "--recursive" or (v.startswith("-") and not v.startswith("--") and ("r" in v or "R" in v)):
            return True
    return False


def replaces_shell(script: ShellScript, shell: tuple[str, ...]) -> Optional[str]:
    """A command that may replace the shell binary: later RUNs start the new one, one merged
    shell would keep running the old."""
    paths = {shell[0], "/bin/sh", "/usr/bin/sh"} if shell else {"/bin/sh"}
    for cmd in script.commands:
        prog = _program(cmd) or ""
        words = [w.value for w in cmd.argv[1:]]
        if prog == "dpkg-reconfigure" and any(v and "dash" in v for v in words):
            return "`dpkg-reconfigure dash`"
        if prog in ("ln", "rm", "mv", "cp", "install", "update-alternatives", "dpkg-divert", "unlink"):
            for v in words:
                if v and posixpath.normpath(v) in paths:
                    return f"`{prog} … {v}`"
    return None


def mount_hazard(mounts: list[dict[str, str]]) -> Optional[str]:
    """Mounts each RUN gets a fresh copy of: one shared mount would carry writes across."""
    for m in mounts:
        kind = m.get("type", "bind")
        if kind == "tmpfs":
            return "a tmpfs mount (each RUN gets an empty one)"
        if kind == "bind" and any(m.get(k, "x").lower() not in ("x", "false", "0") for k in ("rw", "readwrite")):
            return "a read-write bind mount (each RUN's writes to it are thrown away)"
    return None
