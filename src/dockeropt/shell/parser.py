"""Build a :class:`ShellScript` from tree-sitter-bash's syntax tree.

One pass over the tree (`_Builder`) turns the nodes we understand into the
plain records of :mod:`dockeropt.shell.model`; anything else marks the script
as not ``ok``.  See the package docstring for what ``ok`` guarantees.
"""

from __future__ import annotations

import functools
import re
from dataclasses import replace
from operator import attrgetter
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
# a character that makes a word more than its text: quoting, expansions, globs, `~`, braces
_SPECIAL_CHAR = re.compile(r"[\\$`'\"*?\[{~]").search
_START = attrgetter("start")


class _Ctx:
    """Where a command sits (see the flags of :class:`SimpleCommand`)."""

    __slots__ = ("top_level", "in_subshell", "in_pipeline", "in_condition", "in_function")

    def __init__(self, top_level: bool = False, in_subshell: bool = False, in_pipeline: bool = False,
                 in_condition: bool = False, in_function: bool = False):
        self.top_level = top_level
        self.in_subshell = in_subshell
        self.in_pipeline = in_pipeline
        self.in_condition = in_condition
        self.in_function = in_function

    def but(self, **kw: bool) -> "_Ctx":
        return _Ctx(
            kw.get("top_level", self.top_level),
            kw.get("in_subshell", self.in_subshell),
            kw.get("in_pipeline", self.in_pipeline),
            kw.get("in_condition", self.in_condition),
            kw.get("in_function", self.in_function),
        )


# --- the syntax tree, as plain Python objects --------------------------------
#
# Every attribute of a tree-sitter Node (``.type``, ``.children``, ...) builds a new Python
# object on each access, and the walk reads most of them several times: the tree is copied
# once into these records (one cursor walk, which also does the syntax checks).


class _Node:
    """A tree-sitter node: ``type``, ``named``, byte range, the field it fills in its parent."""

    __slots__ = ("type", "named", "start", "end", "field", "children")

    def __init__(self, type: str, named: bool, start: int, end: int, field: Optional[str]):
        self.type = type
        self.named = named
        self.start = start  # tree-sitter reads an ASCII copy: byte offsets are str offsets
        self.end = end
        self.field = field
        self.children: list[_Node] = []

    def child(self, field: str) -> Optional["_Node"]:
        """The first child in ``field`` (``Node.child_by_field_name``)."""
        for c in self.children:
            if c.field == field:
                return c
        return None

    def children_in(self, field: str) -> list["_Node"]:
        """The children in ``field`` (``Node.children_by_field_name``)."""
        return [c for c in self.children if c.field == field]


# kind_id -> (type, is_named), and field_id -> field name, filled in as they are met
_KINDS: dict[int, tuple[str, bool]] = {}
_FIELDS: dict[Optional[int], Optional[str]] = {None: None}
# node types `_read_tree` looks at
_CHECKED = frozenset({"ERROR", "comment", "heredoc_redirect", "word"})


# --- words -----------------------------------------------------------------
#
# A word after quote removal is kept as two strings of equal length: ``value`` (its
# characters) and ``view`` (the same, with every quoted character replaced by "\x01"):
# globs, ``~`` and brace expansion only apply to the unquoted characters of ``view``.

_DYNAMIC = ("\x00", "\x01", True)  # an expansion inside a word: (value, view, dynamic)
_QUOTED = "\x01"


def _unquoted(s: str) -> tuple[str, str, bool]:
    if "\\" not in s:
        return s, s, ("$" in s or "`" in s or "'" in s or '"' in s)  # tree-sitter should have split these off
    value: list[str] = []
    view: list[str] = []
    dynamic = False
    i = 0
    n = len(s)
    while i < n:
        c = s[i]
        if c == "\\" and i + 1 < n:
            if s[i + 1] != "\n":  # backslash-newline is removed
                value.append(s[i + 1])
                view.append(_QUOTED)
            i += 2
            continue
        if c in "$`'\"":
            dynamic = True
        value.append(c)
        view.append(c)
        i += 1
    return "".join(value), "".join(view), dynamic


def _dquoted(s: str) -> tuple[str, str, bool]:
    if "\\" not in s:
        return s, _QUOTED * len(s), ("$" in s or "`" in s)
    value: list[str] = []
    dynamic = False
    i = 0
    n = len(s)
    while i < n:
        c = s[i]
        if c == "\\" and i + 1 < n and s[i + 1] in '$`"\\\n':
            if s[i + 1] != "\n":
                value.append(s[i + 1])
            i += 2
            continue
        if c in "$`":
            dynamic = True
        value.append(c)
        i += 1
    return "".join(value), _QUOTED * len(value), dynamic


def _unescaped_blank(s: str) -> bool:
    if " " not in s and "\t" not in s and "\n" not in s:
        return False
    i = 0
    while i < len(s):
        if s[i] == "\\":
            i += 2
            continue
        if s[i] in " \t\n":
            return True
        i += 1
    return False


def _has_brace_expansion(view: str) -> bool:
    """Unquoted ``{``, then ``,`` or ``..``, then ``}``: bash may expand it
    (dash does not).  Looser than bash's rules (``a{},}`` expands), on purpose."""
    return "{" in view and _BRACE.search(view) is not None


# --- the builder -----------------------------------------------------------


class _Builder:
    def __init__(self, text: str):
        self.text = text
        # tree-sitter-bash's scanner reads out of bounds on some non-ASCII input (`{` then
        # U+CC62F segfaults the process now and then). Non-ASCII characters are only ever word
        # characters to sh, so tree-sitter gets an ASCII copy with each of them as `x`: the
        # structure is the same, offsets are character offsets, and values come from ``text``.
        self.data = (text if text.isascii() else _NON_ASCII.sub("x", text)).encode("ascii")
        self.errors: list[str] = []
        self.commands: list[SimpleCommand] = []
        self.changes: list[StateChange] = []
        self.comments: list[Comment] = []
        self.functions: set[str] = set()
        self.has_background = False

    def src(self, node: _Node) -> str:
        return self.text[node.start : node.end]

    def fail(self, reason: str) -> None:
        self.errors.append(reason)

    def change(self, reason: str, node: _Node, ctx: _Ctx) -> None:
        if not ctx.in_subshell:
            self.changes.append(StateChange(None, reason, node.start))

    # entry point
    def build(self) -> ShellScript:
        for ch, what in _ODD_BLANKS.items():
            if ch in self.text:
                self.fail(f"contains {what}")
        # keep the Tree alive while its nodes are walked: a Node does not own its Tree, and
        # walking nodes of a collected Tree reads freed memory (seen as segfaults)
        self.tree = _parser().parse(self.data)
        root = self._read_tree(self.tree)
        lists = self._sequence(root.children, _Ctx(top_level=True), end_byte=len(self.data))
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

    def _read_tree(self, tree: Any) -> _Node:
        """Copy the tree into :class:`_Node` records (one cursor walk, in source order)
        and check for errors, heredocs, comments, and line continuations inside words."""
        text = self.text
        kinds = _KINDS
        fields = _FIELDS
        checked = _CHECKED
        check_missing = tree.root_node.has_error  # MISSING nodes count as errors too
        cursor = tree.walk()
        top: list[_Node] = []
        siblings = top  # the children of the current node's parent
        stack: list[list[_Node]] = []
        covered = 0  # end of the last leaf
        while True:
            n = cursor.node
            try:
                t, named = kinds[n.kind_id]
            except KeyError:
                t, named = kinds[n.kind_id] = (n.type, n.is_named)
            s = n.start_byte
            e = n.end_byte
            try:
                field = fields[cursor.field_id]
            except KeyError:
                field = fields[cursor.field_id] = cursor.field_name
            node = _Node(t, named, s, e, field)
            siblings.append(node)
            if check_missing and n.is_missing:
                self.fail(f"syntax error: missing {t!r} at offset {s}")
            elif t in checked:
                if t == "ERROR":
                    self.fail(f"syntax error at offset {s}")
                elif t == "comment":
                    self.comments.append(Comment(text[s:e], s, e))
                elif t == "heredoc_redirect":
                    self.fail("heredoc inside the shell text")
                elif _unescaped_blank(text[s:e]):  # a word
                    self.fail(f"blank inside a word at offset {s}")  # e.g. `{ {`
            if cursor.goto_first_child():
                stack.append(siblings)
                siblings = node.children
                continue
            # a leaf: the text since the previous leaf must be blanks
            if s > covered and (s > covered + 1 or text[covered] not in " \t\n"):
                self._check_gap(covered, s)
            if e > covered:
                covered = e
            while not cursor.goto_next_sibling():
                if not cursor.goto_parent():
                    break
                siblings = stack.pop()
            else:
                continue
            break
        self._check_gap(covered, len(self.data))
        self._check_continuations(tree.root_node)
        return top[0]

    def _check_gap(self, b1: int, b2: int) -> None:
        """Text between tokens must be blanks: tree-sitter-bash silently skips
        some characters, e.g. the escaped blank that starts ``\\ a``."""
        if b2 > b1:
            gap = self.text[b1:b2].replace("\\\n", "")
            if gap.strip(" \t\n"):
                self.fail(f"text skipped by the parser at offset {b1}: {gap.strip()[:10]!r}")

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

    def _sequence(self, nodes: Iterable[_Node], ctx: _Ctx, end_byte: Optional[int] = None) -> list[AndOrList]:
        """Statements separated by ``;``, ``&`` or newlines (a body, a program)."""
        lists: list[tuple[int, int, tuple[Pipeline, ...], tuple[str, ...]]] = []
        terms: list[Optional[str]] = []
        prev_end = 0
        for n in nodes:
            t = n.type
            if t == "comment" or t == "ERROR":
                continue
            if not n.named:
                if t == ";" or t == "&":
                    if t == "&":
                        self.has_background = True
                    if lists and terms[-1] is None:
                        terms[-1] = t
                    else:
                        self.fail(f"unexpected {t!r}")
                elif t not in _KEYWORDS:
                    self.fail(f"unexpected {t!r}")
                continue
            if lists and terms[-1] is None and self._newline_between(prev_end, n.start):
                terms[-1] = "\n"
            lists.append(self._and_or(n, ctx))
            terms.append(None)
            prev_end = n.end
        if end_byte is not None and lists and terms[-1] is None and self._newline_between(prev_end, end_byte):
            terms[-1] = "\n"
        return [AndOrList(s, e, pipelines, ops, term) for (s, e, pipelines, ops), term in zip(lists, terms)]

    def _newline_between(self, b1: int, b2: int) -> bool:
        s = self.text[b1:b2]
        if "\n" not in s:
            return False
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

    def _and_or(self, node: _Node, ctx: _Ctx) -> tuple[int, int, tuple[Pipeline, ...], tuple[str, ...]]:
        """An and-or list: (start, end, pipelines, operators)."""
        items: list[tuple[_Node, tuple[_Node, ...]]] = []
        ops: list[str] = []
        self._split_list(node, (), items, ops)
        pipelines = []
        last = len(items) - 1
        cond = ctx.but(in_condition=True) if last else ctx
        for i, (pnode, extra) in enumerate(items):
            pipelines.append(self._pipeline(pnode, ctx if i == last else cond, extra))
        return pipelines[0].start, pipelines[-1].end, tuple(pipelines), tuple(ops)

    def _split_list(self, node: _Node, extra: tuple[_Node, ...], items: list, ops: list) -> None:
        """Flatten ``a && b || c`` into pipelines and operators.

        tree-sitter-bash parses ``a && b >f`` as ``(a && b) >f``; in sh the
        redirect belongs to ``b``, so such redirects (``extra``) are handed
        down to the last pipeline.
        """
        t = node.type
        if t == "list":
            named = [c for c in node.children if c.named and c.type != "comment"]
            prev_end = node.start
            for c in node.children:
                ct = c.type
                if ct == "&&" or ct == "||":
                    self._no_newline_before(c, prev_end)
                    ops.append(ct)
                elif c.named and ct != "comment":
                    self._split_list(c, extra if c is named[-1] else (), items, ops)
                    prev_end = c.end
                elif ct != "comment":
                    self.fail(f"unexpected {ct!r} in a list")
            return
        body = node.child("body") if t == "redirected_statement" else None
        if body is not None and body.type in ("list", "pipeline"):
            self._split_list(body, tuple(node.children_in("redirect")) + extra, items, ops)
            return
        items.append((node, extra))

    def _no_newline_before(self, op: _Node, prev_end: int) -> None:
        """sh ends a command at a newline, so `a<NL>&& b` is a syntax error;
        tree-sitter accepts it after a backslash-newline (`a<NL>\\<NL>&& b`)."""
        if self._newline_between(prev_end, op.start):
            self.fail(f"newline before {op.type!r} at offset {op.start}")

    def _pipeline_elements(self, node: _Node, extra: tuple[_Node, ...], out: list) -> None:
        t = node.type
        if t == "pipeline":
            named = [c for c in node.children if c.named and c.type != "comment"]
            prev_end = node.start
            for c in node.children:
                if c.type == "|" or c.type == "|&":
                    self._no_newline_before(c, prev_end)
                elif c.named and c.type != "comment":
                    self._pipeline_elements(c, extra if c is named[-1] else (), out)
                    prev_end = c.end
            return
        body = node.child("body") if t == "redirected_statement" else None
        if body is not None and body.type == "pipeline":
            self._pipeline_elements(body, tuple(node.children_in("redirect")) + extra, out)
        else:
            out.append((node, extra))

    def _pipeline(self, node: _Node, ctx: _Ctx, extra: tuple[_Node, ...]) -> Pipeline:
        elems: list[tuple[_Node, tuple[_Node, ...]]] = []
        self._pipeline_elements(node, extra, elems)
        negated = False
        if elems[0][0].type == "negated_command":
            negated = True
            ctx = ctx.but(in_condition=True)
            neg, neg_extra = elems.pop(0)
            inner = [c for c in neg.children if c.named and c.type != "comment"]
            head: list = []
            for c in inner:
                self._pipeline_elements(c, neg_extra if c is inner[-1] else (), head)
            elems[:0] = head
        if len(elems) > 1:
            ctx = ctx.but(in_pipeline=True)
        commands = []
        for enode, eextra in elems:
            if enode.type == "negated_command":
                self.fail("'!' inside a pipeline")
            commands.append(self._element(enode, ctx, eextra))
        start = min([node.start] + [c.start for c in commands])
        end = max([node.end] + [c.end for c in commands])
        return Pipeline(start, end, tuple(commands), negated)

    def _element(self, node: _Node, ctx: _Ctx, extra: tuple[_Node, ...]) -> Command:
        """One pipeline element: a simple command or a compound command."""
        t = node.type
        if t == "redirected_statement":
            body = node.child("body")
            redirects = tuple(node.children_in("redirect")) + extra
            if body is None:  # `>file` alone
                return self._simple(None, ctx, redirects, whole=node)
            if body.type in _SIMPLE:
                return self._simple(body, ctx, redirects)
            return self._element(body, ctx, redirects)
        if t in _SIMPLE:
            return self._simple(node, ctx, extra)
        comp = self._compound(node, ctx)
        if not extra:
            return comp
        s, e = comp.start, comp.end
        for r in extra:
            _, words = self._redirect(r, ctx)
            if words:
                self.fail("words after the redirection of a compound command")
            s, e = min(s, r.start), max(e, r.end)
        return replace(comp, start=s, end=e)

    # simple commands ------------------------------------------------------

    def _simple(self, node: Optional[_Node], ctx: _Ctx, redirect_nodes: tuple[_Node, ...] = (),
                whole: Optional[_Node] = None) -> SimpleCommand:
        argv: list[Word] = []
        assigns: list[Word] = []
        redirect_nodes = list(redirect_nodes)
        outer = node if node is not None else whole
        assert outer is not None
        t = node.type if node is not None else None
        if t == "command":
            for child in node.children:
                ct = child.type
                if ct == "comment":
                    continue
                if child.field == "name" or child.field == "argument":
                    argv.append(self._word(child, ctx))
                elif ct == "variable_assignment":
                    assigns.append(self._assignment(child, ctx))
                elif ct in _REDIRECTS:
                    redirect_nodes.append(child)
                else:
                    self.fail(f"unsupported {ct} in a command")
        elif t == "declaration_command" or t == "unset_command":
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
                elif child.named and child.type != "comment":
                    self.fail(f"unsupported {child.type} in assignments")
        redirects = []
        for r in redirect_nodes:
            redirect, words = self._redirect(r, ctx)
            redirects.append(redirect)
            argv.extend(words)
        argv.sort(key=_START)
        redirects.sort(key=_START)
        parts = assigns + argv + redirects
        parts.sort(key=_START)
        start = outer.start
        end = outer.end
        if parts:
            text = self.text
            a = parts[0]
            if a.start < start:
                start = a.start
            if a.end > end:
                end = a.end
            newline = "\n" in text[a.start : parts[-1].end]  # else no need to look between words
            for b in parts[1:]:
                if a.end == b.start and type(a) is not Redirect and type(b) is not Redirect:
                    self.fail(f"words split without a blank at offset {b.start}")  # e.g. 'x'\$v
                elif newline and b.start > a.end and "\n" in text[a.end : b.start].replace("\\\n", ""):
                    self.fail(f"newline inside a simple command at offset {a.end}")  # e.g. `echo ==<NL>a`
                if b.start < start:
                    start = b.start
                if b.end > end:
                    end = b.end
                a = b
        cmd = SimpleCommand(
            tuple(argv),
            tuple(assigns),
            tuple(redirects),
            start,
            end,
            ctx.in_subshell,
            ctx.in_pipeline,
            ctx.in_condition,
            ctx.in_function,
            ctx.top_level,
        )
        if argv and argv[0].text == "!":
            self.fail("'!' where a command name is expected")
        self.commands.append(cmd)
        return cmd

    def _redirect(self, node: _Node, ctx: _Ctx) -> tuple[Redirect, list[Word]]:
        """tree-sitter-bash attaches ``b`` in ``cmd >f b`` to the redirect; in
        sh it is an argument of ``cmd``: return such words separately."""
        dests = node.children_in("destination")
        extra = dests[1:]
        for child in node.children:
            if child not in extra:
                self._scan(child, ctx)
        s = node.start
        e = dests[0].end if dests else node.end
        return Redirect(self.text[s:e], s, e), [self._word(w, ctx) for w in extra]

    def _word(self, node: _Node, ctx: _Ctx) -> Word:
        if node.children:
            self._scan(node, ctx)
        s = node.start
        e = node.end
        text = self.text[s:e]
        if node.type == "word" or not node.named:  # the common case, inlined
            if _SPECIAL_CHAR(text) is None:
                return Word(text, text, s, e, False)
            value, view, dynamic = _unquoted(text)
        else:
            value, view, dynamic = self._pieces(node)
        glob = "*" in view or "?" in view or "[" in view
        if dynamic or view[:1] == "~" or _has_brace_expansion(view):
            return Word(text, None, s, e, glob)
        return Word(text, value, s, e, glob)

    def _assignment(self, node: _Node, ctx: _Ctx) -> Word:
        """``NAME=value`` / ``NAME+=value``: no globbing, no brace expansion."""
        self._scan(node, ctx)
        s = node.start
        e = node.end
        name = node.child("name")
        value_node = node.child("value")
        prefix_end = value_node.start if value_node is not None else e
        value: Optional[str] = self.text[s:prefix_end]
        if name is not None and name.type == "variable_name" and not _NAME.fullmatch(self.src(name)):
            self.fail(f"{self.src(name)!r} is not a valid sh variable name")
        if name is None or name.type != "variable_name":
            value = None
        elif value_node is not None:
            chars, view, dynamic = self._pieces(value_node)
            if dynamic or view[:1] == "~":
                value = None
            else:
                value += chars
        return Word(self.text[s:e], value, s, e, False)

    def _pieces(self, node: _Node) -> tuple[str, str, bool]:
        """A word after quote removal: ``(value, view, dynamic)`` (see ``_unquoted``)."""
        t = node.type
        if not node.named or t in ("word", "number", "test_operator", "variable_name", "extglob_pattern"):
            return _unquoted(self.src(node))
        if t == "raw_string":
            inner = self.src(node)[1:-1]
            return inner, _QUOTED * len(inner), False
        if t == "string":
            for c in node.children:
                if c.type != '"' and c.type != "string_content":
                    return _DYNAMIC
            return _dquoted(self.src(node)[1:-1])
        if t == "concatenation" or t == "command_name":
            values = []
            views = []
            dynamic = False
            for c in node.children:
                v, w, d = self._pieces(c)
                values.append(v)
                views.append(w)
                dynamic = dynamic or d
            return "".join(values), "".join(views), dynamic
        return _DYNAMIC  # any expansion, $'..', $"..", {1..3}, arrays...

    def _scan(self, node: _Node, ctx: _Ctx, arith: bool = False) -> None:
        """Find command substitutions and assignments nested in a word."""
        stack = [(node, arith)]
        while stack:
            n, in_arith = stack.pop()
            t = n.type
            if t == "command_substitution" or t == "process_substitution":
                if t == "command_substitution" and self.src(n).startswith("`") and "\\`" in self.src(n):
                    self.fail("nested backticks")
                self._sequence(n.children, ctx.but(in_subshell=True, top_level=False))
                continue
            if t == "expansion":
                op = n.child("operator")
                if op is not None and op.type in ("=", ":="):
                    self.change("parameter expansion assigns a variable", n, ctx)
            elif in_arith and t in _ARITH_ASSIGN:
                self.change("arithmetic assignment", n, ctx)
            if n.children:
                in_arith = in_arith or t == "arithmetic_expansion"
                stack.extend([(c, in_arith) for c in reversed(n.children)])

    # compound commands ----------------------------------------------------

    def _compound(self, node: _Node, ctx: _Ctx) -> Compound:
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
            self._sequence(node.children_in("condition"), inner.but(in_condition=True))
            self._body(node.child("body"), inner)
        elif t == "for_statement":
            kind = node.children[0].type  # for / select
            for child in node.children:
                field = child.field
                if field == "variable":
                    self.change(f"loop sets variable {self.src(child)}", child, inner)
                elif field == "value":
                    self._scan(child, inner)
                elif field == "body":
                    self._body(child, inner)
        elif t == "c_style_for_statement":
            kind = "cfor"
            for child in node.children:
                if child.field == "body":
                    self._body(child, inner)
                else:
                    self._scan(child, inner, arith=True)
        elif t == "case_statement":
            kind = "case"
            for child in node.children:
                if child.field == "value":
                    self._scan(child, inner)
                elif child.type == "case_item":
                    self._case_item(child, inner)
                elif child.named and child.type != "comment":
                    self.fail(f"unsupported {child.type} in case")
        elif t == "function_definition":
            kind = "function"
            name = node.child("name")
            fname = self.src(name) if name is not None else "?"
            self.functions.add(fname)
            self.change(f"defines function {fname}", node, inner)
            for child in node.children:
                if child.field == "body":
                    self._element(child, inner.but(in_function=True), ())
                elif child.field == "redirect":
                    self._scan(child, inner)
        else:
            self.fail(f"unsupported construct: {t}")
        nested = sorted(self.commands[before:], key=lambda c: (c.start, -c.end))
        return Compound(kind, node.start, node.end, tuple(nested))

    def _body(self, node: Optional[_Node], ctx: _Ctx) -> None:
        if node is None:
            self.fail("loop without a body")
        elif node.type == "do_group":
            self._sequence(node.children, ctx)
        else:
            self._element(node, ctx, ())

    def _if(self, node: _Node, ctx: _Ctx) -> None:
        """``if``/``elif``: statements before ``then`` are the condition."""
        cond: list[_Node] = []
        body: list[_Node] = []
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

    def _case_item(self, node: _Node, ctx: _Ctx) -> None:
        stmts = []
        for child in node.children:
            if child.field == "value":
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


def _test_leaves(node: _Node) -> Iterable[_Node]:
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
