"""Shell-form RUN instructions as rules see them: the parsed shell, where each shell offset is in
the file, the stage and shell they run in, and edits that keep the author's layout.

A RUN is only offered for shell-level rewriting when it runs in a POSIX shell (no Windows
`cmd`/PowerShell stage), is in shell form (no exec form, no heredoc) and its shell parses
cleanly (`ShellScript.ok`). Everything else is left alone.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from functools import cached_property

from dockeropt.rewriter.base import Context, Edit
from dockeropt.syntax import nodes as n

POSIX_SHELLS = {"sh", "bash", "ash", "dash", "zsh", "ksh", "mksh", "busybox"}


@dataclass
class RunView:
    """One RUN instruction with what a shell rewrite needs."""

    index: int  # position in tree.instructions
    ins: n.Run
    stage: n.Stage
    shell: tuple[str, ...]
    start: int  # file offset of the instruction's own code
    onbuild_line: int = 0  # for the RUN of an ONBUILD trigger: the ONBUILD's line

    @property
    def line(self) -> int:
        return self.onbuild_line or self.ins.start_line

    @property
    def posix(self) -> bool:
        if not self.shell:
            return False
        prog = self.shell[0].replace("\\", "/").rsplit("/", 1)[-1].lower()
        return prog in POSIX_SHELLS

    @property
    def rewritable(self) -> bool:
        """Shell form, no heredoc, POSIX shell: the shell text is the whole command."""
        return self.posix and not self.ins.is_exec_form and not self.ins.heredocs and self.ins.command is not None

    @cached_property
    def script(self):
        return parse_cached(self.ins.rest)

    def mentions(self, *words: str) -> bool:
        """Cheap pre-filter before parsing: does the command text (heredoc bodies included)
        contain any of ``words``?"""
        rest = self.text
        return any(w in rest for w in words)

    @cached_property
    def text(self) -> str:
        """The RUN's arguments and its heredoc bodies: all the code it may run."""
        return self.ins.rest + "".join(h.body for h in self.ins.heredocs)

    def offset(self, shell_offset: int) -> int:
        """File offset of a character offset in the shell text (``ins.rest``)."""
        return self.start + self.ins.raw_offset(self.ins.rest_offset + shell_offset)

    @property
    def end(self) -> int:
        """File offset just after the command text (before the instruction's newline)."""
        return self.start + self.ins.args_end_offset

    def insert_after_word(self, word, text: str) -> Edit:
        pos = self.offset(word.end)
        return Edit(pos, pos, " " + text)

    @cached_property
    def body_end(self) -> int | None:
        """File offset where the last command list ends, when only blanks and `;` follow it
        (no comment line, no other text); None otherwise."""
        lists = self.script.lists
        if not lists:
            return None
        tail_logical = self.ins.rest[lists[-1].end :]
        if tail_logical.strip(" \t;"):
            return None
        pos = self.offset(lists[-1].end)
        raw_tail = self.ins.own_code[pos - self.start : self.ins.args_end_offset]
        if "#" in raw_tail:
            return None
        return pos

    @property
    def ends_open(self) -> bool:
        """The script ends with `;`, `&` or a newline after its last command."""
        lists = self.script.lists
        return bool(lists) and lists[-1].terminator is not None

    def append_hazard(self, ctx: Context) -> str | None:
        """Why ``&& command`` at the end would change how this RUN fails (errexit would be
        switched off inside a final ``if``/loop/group/function call), or None."""
        from dockeropt.rewriter.safety import append_hazard

        return append_hazard(self.script, self.shell, ctx.model.state(self.index).variables())

    def append_command(self, ctx: Context, command: str) -> Edit | None:
        """Edit that appends ``&& command`` after the last command, in the RUN's own layout
        (before a trailing `;`); None when that cannot be done cleanly or safely."""
        end = self.body_end
        if end is None or self.append_hazard(ctx):
            return None
        layout = Layout.of(self.ins, ctx)
        if layout.multiline:
            return Edit(end, end, layout.join(command))
        return Edit(end, end, f" && {command}")


_SCRIPTS: dict[str, object] = {}
_LIMIT = [4096]


def parse_cached(text: str):
    """parse_shell with a bounded cache: rules and fixpoint passes look at the same RUNs."""
    script = _SCRIPTS.get(text)
    if script is None:
        from dockeropt.shell import parse_shell

        if len(_SCRIPTS) > _LIMIT[0]:
            _SCRIPTS.clear()
        script = _SCRIPTS[text] = parse_shell(text)
    return script


def cache_room(runs: int) -> None:
    """Make the cache hold the RUNs of the file about to be rewritten, with room for what the
    rules write: a file with more RUNs than the bound would otherwise parse every RUN again
    after every applied rule (quadratic in practice). Back to the usual bound for small files."""
    _LIMIT[0] = max(4096, 3 * runs)


@dataclass(frozen=True)
class Layout:
    """How an author continues RUN lines: `&& \\` at line end or `&&` starting the next line."""

    escape: str
    newline: str
    indent: str
    leading: bool  # True: ` \\` + newline + indent + `&& next`
    multiline: bool

    def join(self, command: str, comments: tuple[str, ...] = ()) -> str:
        """Text that continues the current line with ``&& command`` (comments in between)."""
        between = "".join(f"{self.indent}{c}{self.newline}" for c in comments)
        if self.leading:
            return f" {self.escape}{self.newline}{between}{self.indent}&& {command}"
        return f" && {self.escape}{self.newline}{between}{self.indent}{command}"

    @classmethod
    def of(cls, ins: n.Instruction, ctx: Context) -> "Layout":
        return cls.of_group([ins], ctx)

    @classmethod
    def of_group(cls, group: list[n.Instruction], ctx: Context) -> "Layout":
        """The layout the instructions use themselves, else the one the file's RUNs use.

        The style is judged only where an ``&&`` meets a line break (``&& \\`` at a line end,
        or a line starting with ``&&``): continued package lists say nothing about it.
        """
        escape = ctx.tree.escape
        newline = group[0].newline or ctx.newline()
        own = [line for ins in group for line in _continued_lines(ins)]
        leading, trailing = _chain_breaks(group)
        if leading or trailing:
            is_leading, indent = _chain_style(leading, trailing)
        else:
            is_leading, indent = _file_chain_style(ctx)
        indent = indent or (_common_indent(own) if own else _file_indent(ctx)) or "    "
        return cls(escape, newline, indent, is_leading, multiline=bool(own))


def _chain_style(leading: list[str], trailing: list[str]) -> tuple[bool, str]:
    """(leading style?, its most common indent or "") of the chain breaks found."""
    style = leading if len(leading) > len(trailing) else trailing
    return len(leading) > len(trailing), _most_common(style) if any(style) else ""


def _file_chain_style(ctx: Context) -> tuple[bool, str]:
    """``_chain_style`` of every RUN of the file, computed once per tree (per group, it made
    merging the RUNs of a long file quadratic)."""
    found = ctx.memo.get("layout_style")
    if found is None:
        found = ctx.memo["layout_style"] = _chain_style(
            *_chain_breaks([i for i in ctx.tree.instructions if isinstance(i, n.Run)]))
    return found


def _file_indent(ctx: Context) -> str:
    """``_common_indent`` of the continued lines of every RUN of the file, computed once per tree."""
    found = ctx.memo.get("layout_indent")
    if found is None:
        found = ctx.memo["layout_indent"] = _common_indent(_file_sample(ctx))
    return found


def _chain_breaks(group: list[n.Instruction]) -> tuple[list[str], list[str]]:
    """Indents of the lines after `&&`-line-breaks: (leading-style ones, trailing-style ones)."""
    leading: list[str] = []
    trailing: list[str] = []
    for ins in group:
        pieces = ins.pieces
        for i in range(1, len(pieces) - 1):
            before, cont, after = pieces[i - 1], pieces[i], pieces[i + 1]
            if not isinstance(cont, n.Continuation) or not isinstance(before, n.Text) or not isinstance(after, n.Text):
                continue
            indent = _INDENT.match(after.value).group(0)  # type: ignore[union-attr]
            if after.value.lstrip().startswith("&&"):
                leading.append(indent)
            elif before.value.rstrip().endswith("&&"):
                trailing.append(indent)
    return leading, trailing


def _continued_lines(ins: n.Instruction) -> list[str]:
    """Text of the physical lines after a continuation."""
    out = []
    after_cont = False
    for p in ins.pieces:
        if isinstance(p, n.Continuation):
            after_cont = True
        elif after_cont:
            out.append(p.value)
            after_cont = False
    return out


def _file_sample(ctx: Context) -> list[str]:
    out: list[str] = []
    for ins in ctx.tree.instructions:
        if isinstance(ins, n.Run):
            out.extend(_continued_lines(ins))
    return out


_INDENT = re.compile(r"[ \t]*")


def _most_common(items: list[str]) -> str:
    """The most frequent item; on a tie the one seen first (never set order: it depends on
    PYTHONHASHSEED, and the output must be the same on every run)."""
    counts = Counter(items)  # insertion-ordered: max() keeps the first of equal counts
    return max(counts, key=counts.__getitem__)


def _common_indent(lines: list[str]) -> str:
    """The indentation commands get: the shallowest one (deeper ones indent arguments)."""
    indents = [_INDENT.match(line).group(0) for line in lines if line.strip()]  # type: ignore[union-attr]
    indents = [i for i in indents if i]
    if not indents:
        return ""
    shallowest = min(len(i) for i in indents)
    candidates = [i for i in indents if len(i) == shallowest]
    return _most_common(candidates)


def iter_runs(ctx: Context) -> list[RunView]:
    """Every RUN of every stage, as a RunView, in file order (computed once per tree: every
    rule that looks at the same tree shares the views and their parsed shell)."""
    runs = ctx.memo.get("runs")
    if runs is None:
        model = ctx.model
        index = model.index
        runs = ctx.memo["runs"] = [
            RunView(index[id(ins)], ins, stage, model.state(index[id(ins)]).shell, ctx.span(index[id(ins)])[0])
            for stage in ctx.tree.stages
            for ins in stage.instructions
            if isinstance(ins, n.Run)
        ]
    return runs
