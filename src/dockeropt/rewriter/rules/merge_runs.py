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

What every original RUN did is kept:

- Each RUN was its own shell process. A RUN that leaves shell state behind (`cd`, `export`,
  `set`, `umask`, `source`, `trap`, `exit`, a bare `VAR=value` ...) and is followed by another is
  wrapped in a subshell `( ... )`, so nothing leaks into the next command.
- Failure: the RUNs are joined with `&&`, so the merged RUN stops where the original build
  stopped. A RUN that is not a plain `a && b && c` chain (it has `;`, `||` or newlines at its top
  level) is wrapped in `( ... )` when something comes before it, so `&&` binds to the whole RUN.
- RUNs are not merged when a shell comment would swallow what follows, when a RUN starts a
  background job, when the shell cannot be parsed, across different flags (`--mount`,
  `--network`, `--security`), exec-form or heredoc RUNs, a SHELL change, non-POSIX shells
  (Windows), ONBUILD, stages, or a RUN that carries its own `# hadolint ignore=`/`# dockeropt:`
  comment.
- Comments between the RUNs move inside the merged RUN as comment lines of the continuation
  (BuildKit drops them from the command); blank lines between them are dropped.

Cache trade-off: consecutive RUNs already share every cache trigger (nothing is copied in
between), so merging never makes a step rebuild because *files* changed; it does mean that
editing the text of one part re-runs the whole merged RUN. Put a frequently edited step in its
own RUN with `# dockeropt: ignore=merge-runs` above it to keep it apart.
"""

from __future__ import annotations

import re

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


class MergeRuns(Rule):
    id = "merge-runs"
    summary = "Merge consecutive RUN instructions into one layer"
    hadolint = ("DL3059",)
    safe = True
    docs = __doc__ or ""

    def check(self, ctx: Context) -> list[Change]:
        changes = []
        for candidates in self._adjacent(ctx):
            current: list[RunView] = []
            for view in candidates:  # the shell is parsed only for RUNs that have a neighbour
                usable = self._usable(view, ctx)
                if usable and current and self._joins(current[-1], view):
                    current.append(view)
                    continue
                if len(current) > 1:
                    changes.append(self._merge(current, ctx))
                current = [view] if usable else []
            if len(current) > 1:
                changes.append(self._merge(current, ctx))
        return [c for c in changes if c is not None]

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

    def _merge(self, group: list[RunView], ctx: Context) -> Change | None:
        # trim the group until every member can be written safely
        members = list(group)
        while len(members) > 1:
            bad = self._first_unwrappable(members)
            if bad is None:
                break
            members = members[:bad] if bad > 1 else members[1:]
        if len(members) < 2:
            return None
        first, last = members[0], members[-1]
        layout = Layout.of_group([m.ins for m in members], ctx)
        ins = first.ins
        own = ins.own_code
        cut = ins.raw_offset(ins.rest_offset)
        text = own[:cut] + self._command(first, wrap=self._needs_wrap(members, 0))
        for k, m in enumerate(members[1:], 1):
            comments = tuple(c.text for c in m.ins.leading_lines if isinstance(c, n.Comment))
            text += layout.join(self._command(m, wrap=self._needs_wrap(members, k)), comments)
        lines = ", ".join(str(m.ins.start_line) for m in members)
        return Change(
            self.id,
            first.ins.start_line,
            f"{len(members)} consecutive RUNs (lines {lines}) become one layer",
            (Edit(first.start, last.end, text),),
            last.ins.end_line,
        )

    @staticmethod
    def _needs_wrap(members: list[RunView], k: int) -> bool:
        view = members[k]
        script = view.script
        if k < len(members) - 1 and (script.state_changes() or (view.ends_open and view.body_end is None)):
            return True
        return k > 0 and not script.is_and_chain()

    def _first_unwrappable(self, members: list[RunView]) -> int | None:
        """Index of the first member that cannot join the ones before it: it would need a `( )`
        it cannot take (a comment would eat the `)`), or it reads a variable that an earlier
        member sets (separate RUNs, or a subshell, keep the value apart; merged, the result
        reads like a bug, so such RUNs are better left as they are)."""
        assigned: set[str] = set()
        removes = False
        for k, m in enumerate(members):
            if self._needs_wrap(members, k) and m.script.has_trailing_comment:
                return k
            if assigned and _reads_any(m.ins.rest, assigned):
                return k
            if removes and _rpm_installs(m.script):
                return k
            assigned |= _assigned_names(m.script)
            removes = removes or bool(find_commands(m.script, "rm"))
        return None

    @staticmethod
    def _command(view: RunView, wrap: bool) -> str:
        """The RUN's shell text as written; a trailing `;` is dropped (it changes nothing)."""
        ins = view.ins
        own = ins.own_code
        end = ins.args_end_offset if view.body_end is None else view.body_end - view.start
        body = own[ins.raw_offset(ins.rest_offset) : end].rstrip(" \t")
        return f"( {body} )" if wrap else body
