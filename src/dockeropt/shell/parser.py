"""Build a :class:`ShellScript` from tree-sitter-bash's syntax tree.

One pass over the tree (`_Builder`) turns the nodes we understand into the
plain records of :mod:`dockeropt.shell.model`; anything else marks the script
as not ``ok``.  See the package docstring for what ``ok`` guarantees.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, replace
from typing import Any, Iterable, Optional

from .model import (
    AndOrList,
    Command,
    Comment,
    Compound,
    Pipeline,
    Redirect,
    ShellScript,
    SimpleCommand,
    StateChange,
    Word,
)

Node = Any  # tree_sitter.Node; not imported at module level (startup time)

_PARSER = None


def _parser():
    """The tree-sitter parser, created on first use (importing it costs time)."""
    global _PARSER
    if _PARSER is None:
        import tree_sitter
        import tree_sitter_bash

        _PARSER = tree_sitter.Parser(tree_sitter.Language(tree_sitter_bash.language()))
    return _PARSER


@functools.lru_cache(maxsize=1024)
def parse_shell(script: str) -> ShellScript:
    """Parse the text ``/bin/sh -c`` would receive.  Never raises for a str."""
    try:
        return _Builder(script).build()
    except RecursionError:
        return ShellScript(text=script, ok=False, error="nested too deeply")
    except Exception as exc:  # pragma: no cover - the promise is "never raises"
        return ShellScript(text=script, ok=False, error=f"internal error: {type(exc).__name__}: {exc}")


# Node types that become a SimpleCommand.
_SIMPLE = frozenset(
    {
        "command",
        "declaration_command",
        "unset_command",
        "test_command",
        "variable_assignment",
        "variable_assignments",
    }
)
_REDIRECTS = frozenset({"file_redirect", "herestring_redirect", "heredoc_redirect"})
# Anonymous tokens that may appear among the statements of a body.
_KEYWORDS = frozenset(
    {"{", "}", "(", ")", "$(", "`", "<(", ">(", "do", "done", "then", "fi", "if", "elif", "else"}
)
# Characters tree-sitter treats as blanks but sh does not split words on.
_ODD_BLANKS = {"\x00": "a NUL character", "\r": "a carriage return", "\f": "a form feed", "\v": "a vertical tab"}
_ARITH_ASSIGN = frozenset({"=", "+=", "-=", "*=", "/=", "%=", "<<=", ">>=", "&=", "^=", "|=", "**=", "++", "--"})

# Builtins whose effect outlives the command in the current shell.
_STATE_BUILTINS = {
    **dict.fromkeys(("cd", "pushd", "popd", "dirs"), "changes the working directory"),
    **dict.fromkeys(
        ("export", "readonly", "declare", "typeset", "local", "unset", "read", "getopts", "let",
         "mapfile", "readarray", "shift"),
        "sets variables",
    ),
    **dict.fromkeys(("set", "shopt"), "changes shell options"),
    "umask": "changes the umask",
    "ulimit": "changes resource limits",
    **dict.fromkeys(("source", "."), "runs a script in the current shell"),
    **dict.fromkeys(("alias", "unalias"), "changes aliases"),
    "trap": "sets a trap",
    "eval": "evaluates code in the current shell",
    "exec": "replaces the shell or its file descriptors",
    **dict.fromkeys(("exit", "return", "logout"), "stops the shell"),
    "hash": "changes the command hash table",
    "enable": "enables or disables builtins",
    "coproc": "starts a coprocess",
}
# POSIX special builtins: `VAR=x special` keeps VAR in the shell.
_SPECIAL_BUILTINS = frozenset(
    {":", ".", "break", "continue", "eval", "exec", "exit", "export", "readonly", "return", "set",
     "shift", "times", "trap", "unset"}
)
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
_BRACE = re.compile(r"\{.*(,|\.\.).*\}", re.S)
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_EXITS = frozenset({"exit", "return", "logout"})


@dataclass(frozen=True)
class _Ctx:
    top_level: bool = False
    in_subshell: bool = False
    in_pipeline: bool = False
    in_condition: bool = False
    in_function: bool = False

    def but(self, **kw: bool) -> "_Ctx":
        return replace(self, **kw)


def _fields(node: Node) -> Iterable[tuple[Optional[str], Node]]:
    for i, child in enumerate(node.children):
        yield node.field_name_for_child(i), child


# --- words -----------------------------------------------------------------

Pieces = list[tuple[str, bool]]  # (character, quoted)
_DYNAMIC = ("\x00", True)  # placeholder for an expansion inside a word


def _unquoted(s: str) -> tuple[Pieces, bool]:
    out: Pieces = []
    dynamic = False
    i = 0
    while i < len(s):
        c = s[i]
        if c == "\\" and i + 1 < len(s):
            if s[i + 1] != "\n":  # backslash-newline is removed
                out.append((s[i + 1], True))
            i += 2
            continue
        if c in "$`'\"":  # tree-sitter should have split these off: be safe
            dynamic = True
        out.append((c, False))
        i += 1
    return out, dynamic


def _dquoted(s: str) -> tuple[Pieces, bool]:
    out: Pieces = []
    dynamic = False
    i = 0
    while i < len(s):
        c = s[i]
        if c == "\\" and i + 1 < len(s) and s[i + 1] in '$`"\\\n':
            if s[i + 1] != "\n":
                out.append((s[i + 1], True))
            i += 2
            continue
        if c in "$`":
            dynamic = True
        out.append((c, True))
        i += 1
    return out, dynamic


def _unescaped_blank(s: str) -> bool:
    i = 0
    while i < len(s):
        if s[i] == "\\":
            i += 2
            continue
        if s[i] in " \t\n":
            return True
        i += 1
    return False


def _has_brace_expansion(pieces: Pieces) -> bool:
    """Unquoted ``{``, then ``,`` or ``..``, then ``}``: bash may expand it
    (dash does not).  Looser than bash's rules (``a{},}`` expands), on purpose."""
    chars = "".join(c if not q else "\x01" for c, q in pieces)
    return _BRACE.search(chars) is not None


# --- the builder -----------------------------------------------------------


class _Builder:
    def __init__(self, text: str):
        self.text = text
        # tree-sitter-bash's scanner reads out of bounds on some non-ASCII input (`{` then
        # U+CC62F segfaults the process now and then). Non-ASCII characters are only ever word
        # characters to sh, so tree-sitter gets an ASCII copy with each of them as `x`: the
        # structure is the same, offsets are character offsets, and values come from ``text``.
        self.data = _NON_ASCII.sub("x", text).encode("ascii")
        self.errors: list[str] = []
        self.commands: list[SimpleCommand] = []
        self.changes: list[StateChange] = []
        self.comments: list[Comment] = []
        self.functions: set[str] = set()
        self.has_background = False

    # positions
    def pos(self, byte: int) -> int:
        """tree-sitter's byte offsets are character offsets: it reads an ASCII copy."""
        return byte

    def span(self, node: Node) -> tuple[int, int]:
        return self.pos(node.start_byte), self.pos(node.end_byte)

    def src(self, node: Node) -> str:
        s, e = self.span(node)
        return self.text[s:e]

    def fail(self, reason: str) -> None:
        self.errors.append(reason)

    def change(self, reason: str, node: Node, ctx: _Ctx) -> None:
        if not ctx.in_subshell:
            self.changes.append(StateChange(None, reason, self.pos(node.start_byte)))

    # entry point
    def build(self) -> ShellScript:
        for ch, what in _ODD_BLANKS.items():
            if ch in self.text:
                self.fail(f"contains {what}")
        # keep the Tree alive while its nodes are walked: a Node does not own its Tree, and
        # walking nodes of a collected Tree reads freed memory (seen as segfaults)
        self.tree = _parser().parse(self.data)
        root = self.tree.root_node
        self._check_syntax(root)
        top = _Ctx(top_level=True)
        lists = self._sequence(root.children, top, end_byte=len(self.data))
        commands = sorted(self.commands, key=lambda c: (c.start, -c.end))
        self._command_changes(commands)
        changes = sorted(self.changes, key=lambda c: c.start)
        has_exit = any(_exits(c) for c in commands if not c.in_subshell)
        trailing = any("\n" not in self.text[c.end :] for c in self.comments)
        return ShellScript(
            text=self.text,
            ok=not self.errors,
            error=self.errors[0] if self.errors else None,
            lists=tuple(lists),
            commands=tuple(commands),
            comments=tuple(self.comments),
            has_background=self.has_background,
            has_exit=has_exit,
            has_trailing_comment=trailing,
            changes=tuple(changes),
            functions=frozenset(self.functions),
        )

    def _check_syntax(self, root: Node) -> None:
        """Errors, heredocs, comments, and line continuations inside words."""
        stack = [root]
        covered = 0
        while stack:
            n = stack.pop()
            t = n.type
            if n.is_missing:
                self.fail(f"syntax error: missing {t!r} at offset {self.pos(n.start_byte)}")
            elif t == "ERROR":
                self.fail(f"syntax error at offset {self.pos(n.start_byte)}")
            elif t == "comment":
                s, e = self.span(n)
                self.comments.append(Comment(self.text[s:e], s, e))
            elif t == "heredoc_redirect":
                self.fail("heredoc inside the shell text")
            elif t == "word" and _unescaped_blank(self.src(n)):
                self.fail(f"blank inside a word at offset {self.pos(n.start_byte)}")  # e.g. `{ {`
            if n.child_count == 0:
                self._check_gap(covered, n.start_byte)
                covered = max(covered, n.end_byte)
            stack.extend(reversed(n.children))
        self._check_gap(covered, len(self.data))
        self._check_continuations(root)

    def _check_gap(self, b1: int, b2: int) -> None:
        """Text between tokens must be blanks: tree-sitter-bash silently skips
        some characters, e.g. the escaped blank that starts ``\\ a``."""
        if b2 > b1:
            gap = self.text[self.pos(b1) : self.pos(b2)].replace("\\\n", "")
            if gap.strip(" \t\n"):
                self.fail(f"text skipped by the parser at offset {self.pos(b1)}: {gap.strip()[:10]!r}")

    def _check_continuations(self, root: Node) -> None:
        """sh removes backslash-newline before splitting words; tree-sitter
        treats it as a blank.  They only agree when a blank sits on one side."""
        start = 0
        while (i := self.text.find("\\\n", start)) != -1:
            start = i + 2
            run = 1
            while i - run >= 0 and self.text[i - run] == "\\":
                run += 1
            if run % 2 == 0:  # an escaped backslash, then a newline
                continue
            before = self.text[i - 1] if i > 0 else " "
            after = self.text[i + 2] if i + 2 < len(self.text) else " "
            if before in " \t\n" or after in " \t\n":
                continue
            n = root.descendant_for_byte_range(i, i + 2)  # tree-sitter reads an ASCII copy
            literal = False
            while n is not None:
                if n.type in ("raw_string", "string_content", "comment", "ansi_c_string", "heredoc_body"):
                    literal = True
                    break
                n = n.parent
            if not literal:
                self.fail(f"line continuation inside a word at offset {i}")

    # statement lists ------------------------------------------------------

    def _sequence(self, nodes: Iterable[Node], ctx: _Ctx, end_byte: Optional[int] = None) -> list[AndOrList]:
        """Statements separated by ``;``, ``&`` or newlines (a body, a program)."""
        lists: list[AndOrList] = []
        terms: list[Optional[str]] = []
        prev_end = 0
        for n in nodes:
            t = n.type
            if t in ("comment", "ERROR"):
                continue
            if not n.is_named:
                if t in (";", "&"):
                    if t == "&":
                        self.has_background = True
                    if lists and terms[-1] is None:
                        terms[-1] = t
                    else:
                        self.fail(f"unexpected {t!r}")
                elif t not in _KEYWORDS:
                    self.fail(f"unexpected {t!r}")
                continue
            if lists and terms[-1] is None and self._newline_between(prev_end, n.start_byte):
                terms[-1] = "\n"
            lists.append(self._and_or(n, ctx))
            terms.append(None)
            prev_end = n.end_byte
        if end_byte is not None and lists and terms[-1] is None and self._newline_between(prev_end, end_byte):
            terms[-1] = "\n"
        return [replace(lst, terminator=term) for lst, term in zip(lists, terms)]

    def _newline_between(self, b1: int, b2: int) -> bool:
        s = self.text[self.pos(b1) : self.pos(b2)]
        i = 0
        while i < len(s):
            c = s[i]
            if c == "#":  # a comment: up to (not including) the newline
                j = s.find("\n", i)
                i = len(s) if j == -1 else j
                continue
            if c == "\\" and s[i + 1 : i + 2] == "\n":
                i += 2
                continue
            if c == "\n":
                return True
            i += 1
        return False

    def _and_or(self, node: Node, ctx: _Ctx) -> AndOrList:
        items: list[tuple[Node, tuple[Node, ...]]] = []
        ops: list[str] = []
        self._split_list(node, (), items, ops)
        pipelines = []
        for i, (pnode, extra) in enumerate(items):
            c = ctx if i == len(items) - 1 else ctx.but(in_condition=True)
            pipelines.append(self._pipeline(pnode, c, extra))
        return AndOrList(pipelines[0].start, pipelines[-1].end, tuple(pipelines), tuple(ops))

    def _split_list(self, node: Node, extra: tuple[Node, ...], items: list, ops: list) -> None:
        """Flatten ``a && b || c`` into pipelines and operators.

        tree-sitter-bash parses ``a && b >f`` as ``(a && b) >f``; in sh the
        redirect belongs to ``b``, so such redirects (``extra``) are handed
        down to the last pipeline.
        """
        t = node.type
        if t == "list":
            named = [c for c in node.children if c.is_named and c.type != "comment"]
            prev_end = node.start_byte
            for c in node.children:
                if c.type in ("&&", "||"):
                    self._no_newline_before(c, prev_end)
                    ops.append(c.type)
                elif c.is_named and c.type != "comment":
                    self._split_list(c, extra if c == named[-1] else (), items, ops)
                    prev_end = c.end_byte
                elif c.type != "comment":
                    self.fail(f"unexpected {c.type!r} in a list")
            return
        body = node.child_by_field_name("body") if t == "redirected_statement" else None
        if body is not None and body.type in ("list", "pipeline"):
            self._split_list(body, tuple(node.children_by_field_name("redirect")) + extra, items, ops)
            return
        items.append((node, extra))

    def _no_newline_before(self, op: Node, prev_end: int) -> None:
        """sh ends a command at a newline, so `a<NL>&& b` is a syntax error;
        tree-sitter accepts it after a backslash-newline (`a<NL>\\<NL>&& b`)."""
        if self._newline_between(prev_end, op.start_byte):
            self.fail(f"newline before {op.type!r} at offset {self.pos(op.start_byte)}")

    def _pipeline_elements(self, node: Node, extra: tuple[Node, ...], out: list) -> None:
        t = node.type
        body = node.child_by_field_name("body") if t == "redirected_statement" else None
        if t == "pipeline":
            named = [c for c in node.children if c.is_named and c.type != "comment"]
            prev_end = node.start_byte
            for c in node.children:
                if c.type in ("|", "|&"):
                    self._no_newline_before(c, prev_end)
                elif c.is_named and c.type != "comment":
                    self._pipeline_elements(c, extra if c == named[-1] else (), out)
                    prev_end = c.end_byte
        elif body is not None and body.type == "pipeline":
            self._pipeline_elements(body, tuple(node.children_by_field_name("redirect")) + extra, out)
        else:
            out.append((node, extra))

    def _pipeline(self, node: Node, ctx: _Ctx, extra: tuple[Node, ...]) -> Pipeline:
        elems: list[tuple[Node, tuple[Node, ...]]] = []
        self._pipeline_elements(node, extra, elems)
        negated = False
        if elems[0][0].type == "negated_command":
            negated = True
            ctx = ctx.but(in_condition=True)
            neg, neg_extra = elems.pop(0)
            inner = [c for c in neg.children if c.is_named and c.type != "comment"]
            head: list = []
            for c in inner:
                self._pipeline_elements(c, neg_extra if c == inner[-1] else (), head)
            elems[:0] = head
        if len(elems) > 1:
            ctx = ctx.but(in_pipeline=True)
        commands = []
        for enode, eextra in elems:
            if enode.type == "negated_command":
                self.fail("'!' inside a pipeline")
            commands.append(self._element(enode, ctx, eextra))
        start = min([self.pos(node.start_byte)] + [c.start for c in commands])
        end = max([self.pos(node.end_byte)] + [c.end for c in commands])
        return Pipeline(start, end, tuple(commands), negated)

    def _element(self, node: Node, ctx: _Ctx, extra: tuple[Node, ...]) -> Command:
        """One pipeline element: a simple command or a compound command."""
        t = node.type
        if t == "redirected_statement":
            body = node.child_by_field_name("body")
            redirects = tuple(node.children_by_field_name("redirect")) + extra
            if body is None:  # `>file` alone
                return self._simple(None, ctx, redirects, whole=node)
            if body.type in _SIMPLE:
                return self._simple(body, ctx, redirects)
            return self._element(body, ctx, redirects)
        if t in _SIMPLE:
            return self._simple(node, ctx, extra)
        comp = self._compound(node, ctx)
        s, e = comp.start, comp.end
        for r in extra:
            _, words = self._redirect(r, ctx)
            if words:
                self.fail("words after the redirection of a compound command")
            s, e = min(s, self.pos(r.start_byte)), max(e, self.pos(r.end_byte))
        return replace(comp, start=s, end=e)

    # simple commands ------------------------------------------------------

    def _simple(self, node: Optional[Node], ctx: _Ctx, redirect_nodes: tuple[Node, ...] = (),
                whole: Optional[Node] = None) -> SimpleCommand:
        argv: list[Word] = []
        assigns: list[Word] = []
        redirect_nodes = list(redirect_nodes)
        outer = node if node is not None else whole
        t = node.type if node is not None else None
        if t == "command":
            for field, child in _fields(node):
                ct = child.type
                if ct == "comment":
                    continue
                if field in ("name", "argument"):
                    argv.append(self._word(child, ctx))
                elif ct == "variable_assignment":
                    assigns.append(self._assignment(child, ctx))
                elif ct in _REDIRECTS:
                    redirect_nodes.append(child)
                else:
                    self.fail(f"unsupported {ct} in a command")
        elif t in ("declaration_command", "unset_command"):
            for child in node.children:
                if child.type == "variable_assignment":
                    argv.append(self._assignment(child, ctx))
                elif child.type != "comment":
                    argv.append(self._word(child, ctx))
        elif t == "test_command":
            argv.extend(self._word(leaf, ctx) for leaf in _test_leaves(node))
        elif t == "variable_assignment":
            assigns.append(self._assignment(node, ctx))
        elif t == "variable_assignments":
            for child in node.children:
                if child.type == "variable_assignment":
                    assigns.append(self._assignment(child, ctx))
                elif child.is_named and child.type != "comment":
                    self.fail(f"unsupported {child.type} in assignments")
        redirects = []
        for r in redirect_nodes:
            redirect, words = self._redirect(r, ctx)
            redirects.append(redirect)
            argv.extend(words)
        argv.sort(key=lambda w: w.start)
        redirects.sort(key=lambda r: r.start)
        parts = sorted((*assigns, *argv, *redirects), key=lambda w: w.start)
        for a, b in zip(parts, parts[1:]):
            gap = self.text[a.end : b.start].replace("\\\n", "")
            if a.end == b.start and not isinstance(a, Redirect) and not isinstance(b, Redirect):
                self.fail(f"words split without a blank at offset {b.start}")  # e.g. 'x'\$v
            elif "\n" in gap:
                self.fail(f"newline inside a simple command at offset {a.end}")  # e.g. `echo ==<NL>a`
        spans = [self.span(outer)] + [(x.start, x.end) for x in (*argv, *assigns, *redirects)]
        cmd = SimpleCommand(
            argv=tuple(argv),
            assignments=tuple(assigns),
            redirects=tuple(redirects),
            start=min(s for s, _ in spans),
            end=max(e for _, e in spans),
            in_subshell=ctx.in_subshell,
            in_pipeline=ctx.in_pipeline,
            in_condition=ctx.in_condition,
            in_function=ctx.in_function,
            top_level=ctx.top_level,
        )
        if argv and argv[0].text == "!":
            self.fail("'!' where a command name is expected")
        self.commands.append(cmd)
        return cmd

    def _redirect(self, node: Node, ctx: _Ctx) -> tuple[Redirect, list[Word]]:
        """tree-sitter-bash attaches ``b`` in ``cmd >f b`` to the redirect; in
        sh it is an argument of ``cmd``: return such words separately."""
        dests = node.children_by_field_name("destination")
        extra = dests[1:]
        for child in node.children:
            if child not in extra:
                self._scan(child, ctx)
        s = self.pos(node.start_byte)
        e = self.pos(dests[0].end_byte) if dests else self.pos(node.end_byte)
        return Redirect(self.text[s:e], s, e), [self._word(w, ctx) for w in extra]

    def _word(self, node: Node, ctx: _Ctx) -> Word:
        self._scan(node, ctx)
        s, e = self.span(node)
        pieces, dynamic = self._pieces(node)
        glob = any(not q and c in "*?[" for c, q in pieces)
        value = None
        if not dynamic and not (pieces and pieces[0] == ("~", False)) and not _has_brace_expansion(pieces):
            value = "".join(c for c, _ in pieces)
        return Word(self.text[s:e], value, s, e, glob)

    def _assignment(self, node: Node, ctx: _Ctx) -> Word:
        """``NAME=value`` / ``NAME+=value``: no globbing, no brace expansion."""
        self._scan(node, ctx)
        s, e = self.span(node)
        name = node.child_by_field_name("name")
        value_node = node.child_by_field_name("value")
        prefix_end = self.pos(value_node.start_byte) if value_node is not None else e
        value: Optional[str] = self.text[s:prefix_end]
        if name is not None and name.type == "variable_name" and not _NAME.fullmatch(self.src(name)):
            self.fail(f"{self.src(name)!r} is not a valid sh variable name")
        if name is None or name.type != "variable_name":
            value = None
        elif value_node is not None:
            pieces, dynamic = self._pieces(value_node)
            if dynamic or (pieces and pieces[0] == ("~", False)):
                value = None
            else:
                value += "".join(c for c, _ in pieces)
        return Word(self.text[s:e], value, s, e, False)

    def _pieces(self, node: Node) -> tuple[Pieces, bool]:
        """Characters of a word after quote removal, and whether it expands."""
        t = node.type
        text = self.src(node)
        if not node.is_named or t in ("word", "number", "test_operator", "variable_name", "extglob_pattern"):
            return _unquoted(text)
        if t == "raw_string":
            return [(c, True) for c in text[1:-1]], False
        if t == "string":
            if any(c.type not in ('"', "string_content") for c in node.children):
                return [_DYNAMIC], True
            return _dquoted(text[1:-1])
        if t in ("concatenation", "command_name"):
            out: Pieces = []
            dynamic = False
            for c in node.children:
                p, d = self._pieces(c)
                out += p
                dynamic = dynamic or d
            return out, dynamic
        return [_DYNAMIC], True  # any expansion, $'..', $"..", {1..3}, arrays...

    def _scan(self, node: Node, ctx: _Ctx, arith: bool = False) -> None:
        """Find command substitutions and assignments nested in a word."""
        stack = [(node, arith)]
        while stack:
            n, in_arith = stack.pop()
            t = n.type
            if t in ("command_substitution", "process_substitution"):
                if t == "command_substitution" and self.src(n).startswith("`") and "\\`" in self.src(n):
                    self.fail("nested backticks")
                self._sequence(n.children, ctx.but(in_subshell=True, top_level=False))
                continue
            if t == "expansion":
                op = n.child_by_field_name("operator")
                if op is not None and op.type in ("=", ":="):
                    self.change("parameter expansion assigns a variable", n, ctx)
            elif in_arith and t in _ARITH_ASSIGN:
                self.change("arithmetic assignment", n, ctx)
            in_arith = in_arith or t == "arithmetic_expansion"
            stack.extend((c, in_arith) for c in reversed(n.children))

    # compound commands ----------------------------------------------------

    def _compound(self, node: Node, ctx: _Ctx) -> Compound:
        t = node.type
        before = len(self.commands)
        inner = ctx.but(top_level=False)
        kind = t
        if t == "subshell":
            self._sequence(node.children, inner.but(in_subshell=True))
        elif t == "compound_statement":
            if node.children and node.children[0].type == "((":
                kind = "arith"
                self._scan(node, inner, arith=True)
            else:
                kind = "group"
                self._sequence(node.children, inner)
        elif t == "if_statement":
            kind = "if"
            self._if(node, inner)
        elif t == "while_statement":
            kind = node.children[0].type  # while / until
            self._sequence(node.children_by_field_name("condition"), inner.but(in_condition=True))
            self._body(node.child_by_field_name("body"), inner)
        elif t == "for_statement":
            kind = node.children[0].type  # for / select
            for field, child in _fields(node):
                if field == "variable":
                    self.change(f"loop sets variable {self.src(child)}", child, inner)
                elif field == "value":
                    self._scan(child, inner)
                elif field == "body":
                    self._body(child, inner)
        elif t == "c_style_for_statement":
            kind = "cfor"
            for field, child in _fields(node):
                if field == "body":
                    self._body(child, inner)
                else:
                    self._scan(child, inner, arith=True)
        elif t == "case_statement":
            kind = "case"
            for field, child in _fields(node):
                if field == "value":
                    self._scan(child, inner)
                elif child.type == "case_item":
                    self._case_item(child, inner)
                elif child.is_named and child.type != "comment":
                    self.fail(f"unsupported {child.type} in case")
        elif t == "function_definition":
            kind = "function"
            name = node.child_by_field_name("name")
            fname = self.src(name) if name is not None else "?"
            self.functions.add(fname)
            self.change(f"defines function {fname}", node, inner)
            for field, child in _fields(node):
                if field == "body":
                    self._element(child, inner.but(in_function=True), ())
                elif field == "redirect":
                    self._scan(child, inner)
        else:
            self.fail(f"unsupported construct: {t}")
        s, e = self.span(node)
        nested = sorted(self.commands[before:], key=lambda c: (c.start, -c.end))
        return Compound(kind, s, e, tuple(nested))

    def _body(self, node: Optional[Node], ctx: _Ctx) -> None:
        if node is None:
            self.fail("loop without a body")
        elif node.type == "do_group":
            self._sequence(node.children, ctx)
        else:
            self._element(node, ctx, ())

    def _if(self, node: Node, ctx: _Ctx) -> None:
        """``if``/``elif``: statements before ``then`` are the condition."""
        cond: list[Node] = []
        body: list[Node] = []
        part = cond
        for child in node.children:
            if child.type == "then":
                part = body
            elif child.type == "elif_clause":
                self._if(child, ctx)
            elif child.type == "else_clause":
                self._sequence(child.children, ctx)
            else:
                part.append(child)
        self._sequence(cond, ctx.but(in_condition=True))
        self._sequence(body, ctx)

    def _case_item(self, node: Node, ctx: _Ctx) -> None:
        stmts = []
        for field, child in _fields(node):
            if field == "value":
                self._scan(child, ctx)
            elif child.type not in (";;", ";&", ";;&", "|", ")", "("):
                stmts.append(child)
        self._sequence(stmts, ctx)

    # state changes --------------------------------------------------------

    def _command_changes(self, commands: list[SimpleCommand]) -> None:
        for cmd in commands:
            if cmd.in_subshell:
                continue
            reason = _command_change(cmd, self.functions)
            if reason:
                self.changes.append(StateChange(cmd, reason, cmd.start))
            if builtin_name(cmd)[0] == "alias" and len(cmd.argv) > 1:
                self.fail("alias definition (later command names may be aliases)")


def _test_leaves(node: Node) -> Iterable[Node]:
    """The words of ``[ .. ]``/``[[ .. ]]`` (tree-sitter nests them in expressions)."""
    for c in node.children:
        if c.type in ("binary_expression", "unary_expression", "parenthesized_expression",
                      "ternary_expression", "postfix_expression"):
            yield from _test_leaves(c)
        elif c.type != "comment":
            yield c


def builtin_name(cmd: SimpleCommand) -> tuple[Optional[str], int]:
    """The builtin a command runs after ``builtin``/``command``/``time``.

    Returns ``(name, argv index)``; name is None when not static, ``""`` when
    nothing is run (no argv, ``command -v``).
    """
    argv = cmd.argv
    i = 0
    while i < len(argv):
        v = argv[i].value
        if v not in ("builtin", "command", "time"):
            return v, i
        i += 1
        while i < len(argv) and (argv[i].value or "").startswith("-") and argv[i].value != "-":
            opt = argv[i].value
            i += 1
            if opt == "--":
                break
            if v == "command" and ("v" in opt or "V" in opt):
                return "", i
        if i < len(argv) and argv[i].value is None:
            return None, i
    return "", i


def _command_change(cmd: SimpleCommand, functions: set[str]) -> Optional[str]:
    if not cmd.argv:
        if cmd.assignments:
            names = ", ".join(a.text.split("=", 1)[0].rstrip("+") for a in cmd.assignments)
            return f"assigns {names}"
        return None
    name, _ = builtin_name(cmd)
    if name is None:
        return "command name is not static"
    if name in _STATE_BUILTINS:
        return f"{name}: {_STATE_BUILTINS[name]}"
    if name == "printf" and any((w.value or "").startswith("-v") for w in cmd.argv[1:]):
        return "printf -v: sets variables"
    if cmd.assignments and (name in _SPECIAL_BUILTINS or name in functions):
        return f"assignment before {name} stays in the shell"
    return None


def _exits(cmd: SimpleCommand) -> bool:
    name, i = builtin_name(cmd)
    return name in _EXITS or (name == "exec" and len(cmd.argv) > i + 1)
