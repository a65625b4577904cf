"""merge-runs (DL3059): merge consecutive RUN instructions of a stage into one.

Every RUN adds a layer; files a later RUN deletes still ship in the earlier layer. Merging
consecutive RUNs (with only comments or blank lines between them) gives one layer and lets a
cleanup at the end actually shrink the image.

Before::

    RUN apt-get update
    # the tools we need
    RUN apt-get install -y curl

After::

    RUN apt-get update && \\
        # the tools we need
        apt-get install -y curl

What every original RUN did is kept (the shell facts are in ``rewriter/safety.py``):

- Each RUN was its own shell process. A RUN that leaves shell state behind (`cd`, `export`,
  `set`, `umask`, `source`, `trap`, `exit`, a bare `VAR=value` ...) and is followed by another is
  wrapped in a subshell `( ... )`, so nothing leaks into the next command. So is one that runs a
  program a later RUN runs again (`pip install -U pip`, then `pip install`): a shell remembers
  where it found a program, and would run the old one after an upgrade.
- Failure: the RUNs are joined with `&&`, so the merged RUN stops where the original build
  stopped. A RUN that is not a plain `a && b && c` chain is wrapped in `( ... )` when something
  comes before it, so `&&` binds to the whole RUN. A RUN that relies on errexit (`set -e`,
  `set -o errexit`, a SHELL with `-e`, bash's `trap ... ERR`) in a way `&&` would switch off —
  several commands, or an `if`/loop/group/function call at its end — is only ever the *last*
  RUN of a merge: errexit is ignored left of `&&`, inside subshells too.
- Kept apart, with the reason in the output: such errexit RUNs before another RUN; a RUN that
  starts a daemon (`service x start`, `setsid`, `--daemon` ...: it would outlive its RUN), removes
  or renames the WORKDIR, or replaces `/bin/sh`; RUNs in a login shell (`bash -l`) or with
  `BASH_ENV` (start-up files are read per RUN); RUNs with a tmpfs or read-write bind mount (each
  RUN gets its own); a RUN that reads a variable an earlier one sets.
- Never merged: a shell comment would swallow what follows, a RUN starts a background job, the
  shell cannot be parsed, different flags (`--mount`, `--network`, `--security`), exec-form or
  heredoc RUNs, a SHELL change, non-POSIX shells (Windows), ONBUILD, stages, or a RUN that
  carries its own `# hadolint ignore=`/`# dockeropt:` comment.
- Comments between the RUNs move inside the merged RUN as comment lines of the continuation
  (BuildKit drops them from the command); blank lines between them are dropped.

Cache trade-off: consecutive RUNs already share every cache trigger (nothing is copied in
between), so merging never makes a step rebuild because *files* changed; it does mean that
editing the text of one part re-runs the whole merged RUN. Put a frequently edited step in its
own RUN with `# dockeropt: ignore=merge-runs` above it to keep it apart.
"""

from __future__ import annotations

import re

from dockeropt.rewriter import safety
from dockeropt.rewriter.base import Change, Context, Edit, Rule
from dockeropt.shell import find_commands
from dockeropt.rewriter.shellrun import Layout, RunView, iter_runs
from dockeropt.syntax import nodes as n


_DECLARERS = {"export", "declare", "typeset", "readonly", "local", "read"}
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _assigned_names(script) -> set[str]:
    """Variables the script sets anywhere (subshells included): `A=1`, `export A`, `read A`."""
    names: set[str] = set()
    for cmd in script.commands:
        if not cmd.argv:
            names.update(w.text.split("=", 1)[0] for w in cmd.assignments)
        elif cmd.name in _DECLARERS:
            for w in cmd.argv[1:]:
                m = _NAME.match(w.text)
                if m and not w.text.startswith("-"):
                    names.add(m.group(0))
    return names


def _rpm_installs(script) -> bool:
    """yum/dnf/microdnf/zypper installs. hadolint (DL3032/DL3040/DL3036) takes the first `rm` of a
    RUN for its cache clean-up: merged after a RUN that removes files, an install that cleans up
    properly would be reported as not cleaning up."""
    return any(find_commands(script, p, "install") for p in ("yum", "dnf", "microdnf", "zypper"))


def _reads_any(text: str, names: set[str]) -> bool:
    return any(re.search(r"\$\{?" + re.escape(name) + r"\b", text) for name in names)


def _has_directive_comment(ins: n.Instruction) -> bool:
    for line in ins.leading_lines:
        if isinstance(line, n.Comment):
            low = line.text.lower()
            if "hadolint" in low or "dockeropt:" in low:
                return True
    return False


# Commands in one merged `&&` chain at most: beyond that the RUN is unreadable and the shell
# parser's nesting limit is near (a merged RUN must still parse, or the engine drops it).
MAX_CHAIN = 200


def _chain_length(view: RunView) -> int:
    script = view.script
    return len(script.lists[0].pipelines) if script.is_and_chain() else 1


class MergeRuns(Rule):
    id = "merge-runs"
    summary = "Merge consecutive RUN instructions into one layer"
    hadolint = ("DL3059",)
    safe = True
    docs = __doc__ or ""

    def check(self, ctx: Context) -> list[Change]:
        changes: list[Change] = []
        for candidates in self._adjacent(ctx):
            group: list[RunView] = []
            for view in candidates:  # the shell is parsed only for RUNs that have a neighbour
                usable = self._usable(view, ctx)
                if usable and group and self._joins(group[-1], view):
                    reason = self._refusal(group, view, ctx)
                    if reason is None:
                        group.append(view)
                        continue
                    if reason:
                        prev = group[-1].ins
                        line = ctx.orig_line(view.ins.start_line)
                        changes.append(self.change(prev, f"not merged with the RUN at line {line}: {reason}", ()))
                self._emit(group, ctx, changes)
                group = [view] if usable else []
            self._emit(group, ctx, changes)
        return changes

    def _emit(self, group: list[RunView], ctx: Context, changes: list[Change]) -> None:
        if len(group) > 1:
            changes.append(self._merge(group, ctx))

    @staticmethod
    def _adjacent(ctx: Context) -> list[list[RunView]]:
        """Runs of RUNs next to each other in one stage (cheap: no shell parsing)."""
        runs: list[list[RunView]] = []
        for view in iter_runs(ctx):
            last = runs[-1][-1] if runs else None
            if last is not None and last.index + 1 == view.index and last.stage.index == view.stage.index:
                runs[-1].append(view)
            else:
                runs.append([view])
        return [r for r in runs if len(r) > 1]

    def _usable(self, view: RunView, ctx: Context) -> bool:
        return view.rewritable and view.script.ok and not ctx.suppressed(self, view.ins)

    @staticmethod
    def _joins(prev: RunView, view: RunView) -> bool:
        """Structural conditions (silent: nothing to explain to the user)."""
        if view.index != prev.index + 1 or view.stage.index != prev.stage.index or view.shell != prev.shell:
            return False
        if tuple(map(str, view.ins.flags)) != tuple(map(str, prev.ins.flags)):
            return False
        if _has_directive_comment(view.ins):
            return False
        prev_script = prev.script
        if prev_script.has_trailing_comment or prev_script.has_background:
            return False
        return not view.script.has_background

    @staticmethod
    def _refusal(group: list[RunView], view: RunView, ctx: Context) -> str | None:
        """Why ``view`` cannot join ``group`` (whose last member would stop being last): a reason
        to report, "" for a silent refusal, None when it can join."""
        prev = group[-1]
        state = ctx.model.state(prev.index)
        env = state.variables()
        shell = prev.shell
        if safety.login_shell(shell):
            return "the SHELL is a login shell, which reads its start-up files once per RUN"
        if safety.is_bash(shell) and "BASH_ENV" in env:
            return "BASH_ENV is set: bash reads that file once per RUN"
        mount = safety.mount_hazard(view.ins.mounts)
        if mount:
            return f"they use {mount}"
        hazard = safety.wrap_hazard(prev.script, shell, env)
        if hazard:
            return hazard
        daemon = safety.starts_daemon(prev.script)
        if daemon:
            return f"it starts a daemon ({daemon}), which must not outlive its RUN"
        moved = safety.moves_workdir(prev.script, state.workdir)
        if moved:
            return f"it may remove or rename the working directory ({moved}), which the next RUN starts in"
        replaced = safety.replaces_shell(prev.script, shell)
        if replaced:
            return f"it may replace the shell ({replaced}) that the next RUN starts"
        assigned: set[str] = set()
        for m in group:
            assigned |= _assigned_names(m.script)
        if assigned and _reads_any(view.ins.rest, assigned):
            names = ", ".join(sorted(n for n in assigned if _reads_any(view.ins.rest, {n})))
            return f"it reads {names}, which an earlier RUN of the group sets in its own shell"
        if sum(map(_chain_length, group)) + _chain_length(view) > MAX_CHAIN:
            return f"the merged RUN already has the most commands one RUN gets ({MAX_CHAIN})"
        if any(find_commands(m.script, "rm") for m in group) and _rpm_installs(view.script):
            return ""  # hadolint would take the earlier rm for this install's clean-up
        if len(group) >= 1 and not view.script.is_and_chain() and view.script.has_trailing_comment:
            return ""  # it would need a ( ) that its trailing comment would swallow
        return None

    def _merge(self, group: list[RunView], ctx: Context) -> Change:
        layout = Layout.of_group([m.ins for m in group], ctx)
        wraps = [self._wrap_reason(group, k) for k in range(len(group))]
        numbers = [ctx.orig_line(m.ins.start_line) for m in group]
        first, last = group[0], group[-1]
        ins = first.ins
        text = ins.own_code[: ins.raw_offset(ins.rest_offset)] + self._command(first, wraps[0] is not None, layout.escape)
        for k, m in enumerate(group[1:], 1):
            comments = tuple(c.text for c in m.ins.leading_lines if isinstance(c, n.Comment))
            text += layout.join(self._command(m, wraps[k] is not None, layout.escape), comments)
        shown = numbers if len(numbers) <= 8 else [*numbers[:3], "…", *numbers[-2:]]
        message = f"{len(group)} consecutive RUNs (lines {', '.join(map(str, shown))}) become one layer"
        notes = [f"line {k} {w}" for k, w in zip(numbers, wraps) if w]
        if notes:
            message += "; wrapped in ( ): " + "; ".join(notes)
        return self.change(first.ins, message, (Edit(first.start, last.end, text),), end=last.ins)

    @staticmethod
    def _wrap_reason(members: list[RunView], k: int) -> str | None:
        """Why member ``k`` goes in a subshell ``( … )``, or None."""
        view = members[k]
        script = view.script
        if k < len(members) - 1:
            changes = script.state_changes()
            if changes:
                return f"keeps its shell state to itself ({changes[0][1]})"
            if view.ends_open and view.body_end is None:
                return "ends with a separator that `&&` cannot follow"
            later = set().union(*(safety.run_programs(m.script) for m in members[k + 1 :]))
            stale = sorted(safety.hashed_programs(script) & later)
            if stale:
                return (f"runs {stale[0]}, which a later part runs again (a shell that ran a program once "
                        "does not look for it again, and would miss an upgrade)")
        if k > 0 and not script.is_and_chain():
            return "must fail as a whole (it is not a plain `&&` chain)"
        return None

    @staticmethod
    def _command(view: RunView, wrap: bool, escape: str = "\\") -> str:
        """The RUN's shell text as written; a trailing `;` is dropped (it changes nothing)."""
        ins = view.ins
        own = ins.own_code
        end = ins.args_end_offset if view.body_end is None else view.body_end - view.start
        cut = ins.raw_offset(ins.rest_offset)
        body = own[cut:end].rstrip(" \t")
        if not wrap:
            return body
        return f"( {_indent_inside(view, body, cut, escape)} )"


def _indent_inside(view: RunView, body: str, cut: int, escape: str) -> str:
    """``body`` with its continued lines indented two more columns, to sit inside the ``( )``
    that wraps it — unless that would change the shell's words (a line that starts inside a
    quoted string: its blanks are part of the string), which a re-parse checks."""
    ins = view.ins
    starts = []  # offsets in ``body`` where a continued line's text starts
    raw = len(ins.indent) + len(ins.keyword_raw)
    after_continuation = False
    for piece in ins.pieces:
        if isinstance(piece, n.Continuation):
            raw += len(piece.code)
            after_continuation = True
            continue
        if after_continuation and 0 < raw - cut < len(body):
            starts.append(raw - cut)
        after_continuation = False
        raw += len(piece.value)
    if not starts:
        return body
    out, pos = [], 0
    for at in starts:
        blank = len(body[at:]) - len(body[at:].lstrip(" \t"))
        lead = body[at : at + blank]
        at += blank  # after the line's own indentation, in its own kind (tabs stay tabs)
        out += [body[pos:at], "\t" if lead and set(lead) == {"\t"} else "  "]
        pos = at
    indented = "".join(out) + body[pos:]
    after = _shell_of(indented, escape)
    if after is None or not after.ok or _words(after) != _words(view.script):
        return body
    return indented


def _shell_of(body: str, escape: str):
    """The parsed shell of ``RUN <body>`` as BuildKit joins its lines, or None."""
    from dockeropt.rewriter.shellrun import parse_cached
    from dockeropt.syntax.errors import DockerfileSyntaxError
    from dockeropt.syntax.parse import parse

    try:
        tree = parse(f"# escape={escape}\nFROM scratch\nRUN {body}\n")
    except DockerfileSyntaxError:
        return None
    run = tree.instructions[-1]
    return parse_cached(run.rest) if isinstance(run, n.Run) else None


def _words(script) -> list:
    return [tuple(w.text for w in (*c.assignments, *c.argv)) + tuple(r.text for r in c.redirects)
            for c in script.commands]
