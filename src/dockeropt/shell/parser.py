"""Build a :class:`ShellScript` from tree-sitter-bash's syntax tree.

`_Builder` copies the tree into plain tuples in one cursor walk (which also
checks for syntax errors and skipped text), then turns the nodes we understand
into the plain records of :mod:`dockeropt.shell.model`; anything else marks
the script as not ``ok``.  See the package docstring for what ``ok`` guarantees.

This is the hot path of the whole tool: reading a tree-sitter ``Node``
attribute builds a Python object each time, so the tree is read exactly once.
"""

from __future__ import annotations

import functools
import gc
import re
from bisect import bisect_left
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
    # The copy of the tree and the records are acyclic (reference counting frees them): the
    # cycle collector would only walk them again and again while they are built.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _Builder(script).build()
    except RecursionError:
        return ShellScript(text=script, ok=False, error="nested too deeply")
    except Exception as exc:  # pragma: no cover - the promise is "never raises"
        return ShellScript(text=script, ok=False, error=f"internal error: {type(exc).__name__}: {exc}")
    finally:
        if collecting:
            gc.enable()


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
_START_OF = attrgetter("start")


# The records are frozen dataclasses: their generated ``__init__`` sets each field with a
# call of ``object.__setattr__``.  These build the same objects (same class, same
# ``__dict__``) in about half the time; tests/shell/test_fast_records.py holds them to
# the real constructors, field by field.
_new = object.__new__


def _word(text: str, value: Optional[str], start: int, end: int, has_glob: bool) -> Word:
    w = _new(Word)
    w.__dict__.update(text=text, value=value, start=start, end=end, has_glob=has_glob)
    return w


def _simple_command(argv: tuple, assignments: tuple, redirects: tuple, start: int, end: int,
                    ctx: "_Ctx") -> SimpleCommand:
    c = _new(SimpleCommand)
    c.__dict__.update(
        argv=argv, assignments=assignments, redirects=redirects, start=start, end=end,
        in_subshell=ctx.in_subshell, in_pipeline=ctx.in_pipeline, in_condition=ctx.in_condition,
        in_function=ctx.in_function, top_level=ctx.top_level,
    )
    return c


def _pipeline(start: int, end: int, commands: tuple, negated: bool) -> Pipeline:
    p = _new(Pipeline)
    p.__dict__.update(start=start, end=end, commands=commands, negated=negated)
    return p


def _and_or_list(start: int, end: int, pipelines: tuple, operators: tuple, terminator: Optional[str]) -> AndOrList:
    a = _new(AndOrList)
    a.__dict__.update(start=start, end=end, pipelines=pipelines, operators=operators, terminator=terminator)
    return a


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


# --- the syntax tree, as plain tuples ----------------------------------------
#
# Every attribute of a tree-sitter Node (``.type``, ``.children``, ...) builds a new Python
# object on each access, and the builder reads most of them several times: the tree is
# copied once into tuples (one cursor walk, which also does the syntax checks).
#
# A node is ``(type, named, start, end, field, children)``: ``field`` is the name of the
# field it fills in its parent or None, ``start``/``end`` are offsets into the text
# (tree-sitter reads an ASCII copy: byte offsets are str offsets).

_TYPE, _NAMED, _START, _END, _FIELD, _KIDS = range(6)
_Node = tuple  # for annotations


def _child(node: _Node, field: str) -> Optional[_Node]:
    """The first child in ``field`` (``Node.child_by_field_name``)."""
    for c in node[_KIDS]:
        if c[_FIELD] == field:
            return c
    return None


def _children_in(node: _Node, field: str) -> list[_Node]:
    """The children in ``field`` (``Node.children_by_field_name``)."""
    return [c for c in node[_KIDS] if c[_FIELD] == field]


def _reassociate(node: _Node) -> _Node:
    """tree-sitter-bash parses ``a | b | c && d`` as ``a | ((b | c) && d)``; sh reads
    ``(a | b | c) && d``. Rebuild the tuple tree the way sh groups it: the pipeline takes the
    leftmost pipeline of the list that tree-sitter put in its last element."""
    kids = node[_KIDS]
    last = len(kids) - 1
    while last >= 0 and (not kids[last][_NAMED] or kids[last][_TYPE] == "comment"):
        last -= 1
    if last < 0 or kids[last][_TYPE] != "list":
        return node
    lst = kids[last]
    head, rebuilt = _take_leftmost(lst)
    inner = head[_KIDS] if head[_TYPE] == "pipeline" else (head,)
    pipe = ("pipeline", True, node[_START], head[_END], node[_FIELD], kids[:last] + kids[last + 1 :] + inner)
    return _put_leftmost(rebuilt, pipe)


def _take_leftmost(lst: _Node) -> tuple[_Node, _Node]:
    """The leftmost operand of a (nested) list, and the list itself."""
    first = next(c for c in lst[_KIDS] if c[_NAMED] and c[_TYPE] != "comment")
    if first[_TYPE] == "list":
        return _take_leftmost(first)[0], lst
    return first, lst


def _put_leftmost(lst: _Node, new: _Node) -> _Node:
    kids = list(lst[_KIDS])
    for i, c in enumerate(kids):
        if c[_NAMED] and c[_TYPE] != "comment":
            kids[i] = _put_leftmost(c, new) if c[_TYPE] == "list" else new
            break
    return (lst[_TYPE], lst[_NAMED], new[_START], lst[_END], lst[_FIELD], tuple(kids))


def _named_children(node: _Node) -> list[_Node]:
    return [c for c in node[_KIDS] if c[_NAMED] and c[_TYPE] != "comment"]


# kind_id -> (type, is_named), and field_id -> field name, filled in as they are met
_KINDS: dict[int, tuple[str, bool]] = {}
_FIELDS: dict[Optional[int], Optional[str]] = {None: None}
# Node types `_scan` acts on: a word without any of them needs no scan.
_NESTING = frozenset({"command_substitution", "process_substitution", "expansion", "arithmetic_expansion"})
# Node types `_read_tree` looks at.
_CHECKED = frozenset({"word", "ERROR", "comment", "heredoc_redirect"}) | _NESTING


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
        self.nesting: list[int] = []  # start of each `_NESTING` node, in order

    def src(self, node: _Node) -> str:
        return self.text[node[_START] : node[_END]]

    def fail(self, reason: str) -> None:
        self.errors.append(reason)

    def change(self, reason: str, node: _Node, ctx: _Ctx) -> None:
        if not ctx.in_subshell:
            self.changes.append(StateChange(None, reason, node[_START]))

    # entry point
    def build(self) -> ShellScript:
        for ch, what in _ODD_BLANKS.items():
            if ch in self.text:
                self.fail(f"contains {what}")
        # keep the Tree alive while its nodes are walked: a Node does not own its Tree, and
        # walking nodes of a collected Tree reads freed memory (seen as segfaults)
        self.tree = _parser().parse(self.data)
        root = self._read_tree(self.tree)
        lists = self._sequence(root[_KIDS], _Ctx(top_level=True), end_byte=len(self.data))
        commands = sorted(self.commands, key=_position)
        has_exit = self._command_changes(commands)
        changes = sorted(self.changes, key=_START_OF)
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
        """Copy the tree into tuples (one cursor walk, in source order), and check
        for errors, heredocs, comments, and text no token covers."""
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
            leaf = not cursor.goto_first_child()  # (the cursor is on the first child, if any)
            if leaf:
                siblings.append((t, named, s, e, field, ()))
            else:
                kids: list[_Node] = []
                siblings.append((t, named, s, e, field, kids))
                stack.append(siblings)
                siblings = kids
            if check_missing and n.is_missing:
                self.fail(f"syntax error: missing {t!r} at offset {s}")
            elif t in checked:
                if t == "word":
                    if _unescaped_blank(text[s:e]):
                        self.fail(f"blank inside a word at offset {s}")  # e.g. `{ {`
                elif t == "ERROR":
                    self.fail(f"syntax error at offset {s}")
                elif t == "comment":
                    self.comments.append(Comment(text[s:e], s, e))
                elif t == "heredoc_redirect":
                    self.fail("heredoc inside the shell text")
                else:
                    self.nesting.append(s)
            if not leaf:
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
            t = n[_TYPE]
            if t == "comment" or t == "ERROR":
                continue
            if not n[_NAMED]:
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
            if lists and terms[-1] is None and self._newline_between(prev_end, n[_START]):
                terms[-1] = "\n"
            lists.append(self._and_or(n, ctx))
            terms.append(None)
            prev_end = n[_END]
        if end_byte is not None and lists and terms[-1] is None and self._newline_between(prev_end, end_byte):
            terms[-1] = "\n"
        return [_and_or_list(s, e, pipelines, ops, term) for (s, e, pipelines, ops), term in zip(lists, terms)]

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
        if node[_TYPE] == "pipeline":
            node = _reassociate(node)
        if node[_TYPE] != "list" and node[_TYPE] != "redirected_statement":  # the common case
            p = self._pipeline(node, ctx, ())
            return p.start, p.end, (p,), ()
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
        t = node[_TYPE]
        if t == "pipeline":
            fixed = _reassociate(node)
            if fixed is not node:
                self._split_list(fixed, extra, items, ops)
                return
        if t == "list":
            kids = node[_KIDS]
            named = _named_children(node)
            prev_end = node[_START]
            for c in kids:
                ct = c[_TYPE]
                if ct == "&&" or ct == "||":
                    self._no_newline_before(c, prev_end)
                    ops.append(ct)
                elif c[_NAMED] and ct != "comment":
                    self._split_list(c, extra if c is named[-1] else (), items, ops)
                    prev_end = c[_END]
                elif ct != "comment":
                    self.fail(f"unexpected {ct!r} in a list")
            return
        body = _child(node, "body") if t == "redirected_statement" else None
        if body is not None and (body[_TYPE] == "list" or body[_TYPE] == "pipeline"):
            self._split_list(body, tuple(_children_in(node, "redirect")) + extra, items, ops)
            return
        items.append((node, extra))

    def _no_newline_before(self, op: _Node, prev_end: int) -> None:
        """sh ends a command at a newline, so `a<NL>&& b` is a syntax error;
        tree-sitter accepts it after a backslash-newline (`a<NL>\\<NL>&& b`)."""
        if self._newline_between(prev_end, op[_START]):
            self.fail(f"newline before {op[_TYPE]!r} at offset {op[_START]}")

    def _pipeline_elements(self, node: _Node, extra: tuple[_Node, ...], out: list) -> None:
        t = node[_TYPE]
        if t == "pipeline":
            named = _named_children(node)
            prev_end = node[_START]
            for c in node[_KIDS]:
                ct = c[_TYPE]
                if ct == "|" or ct == "|&":
                    self._no_newline_before(c, prev_end)
                elif c[_NAMED] and ct != "comment":
                    self._pipeline_elements(c, extra if c is named[-1] else (), out)
                    prev_end = c[_END]
            return
        body = _child(node, "body") if t == "redirected_statement" else None
        if body is not None and body[_TYPE] == "pipeline":
            self._pipeline_elements(body, tuple(_children_in(node, "redirect")) + extra, out)
        else:
            out.append((node, extra))

    def _pipeline(self, node: _Node, ctx: _Ctx, extra: tuple[_Node, ...]) -> Pipeline:
        t = node[_TYPE]
        if t in _SIMPLE:  # the common case: one simple command
            cmd = self._simple(node, ctx, extra)
            return _pipeline(min(node[_START], cmd.start), max(node[_END], cmd.end), (cmd,), False)
        elems: list[tuple[_Node, tuple[_Node, ...]]] = []
        self._pipeline_elements(node, extra, elems)
        negated = False
        if elems[0][0][_TYPE] == "negated_command":
            negated = True
            ctx = ctx.but(in_condition=True)
            neg, neg_extra = elems.pop(0)
            inner = _named_children(neg)
            head: list = []
            for c in inner:
                self._pipeline_elements(c, neg_extra if c is inner[-1] else (), head)
            elems[:0] = head
        if len(elems) > 1:
            ctx = ctx.but(in_pipeline=True)
        commands = []
        for enode, eextra in elems:
            if enode[_TYPE] == "negated_command":
                self.fail("'!' inside a pipeline")
            commands.append(self._element(enode, ctx, eextra))
        start = min([node[_START]] + [c.start for c in commands])
        end = max([node[_END]] + [c.end for c in commands])
        return _pipeline(start, end, tuple(commands), negated)

    def _element(self, node: _Node, ctx: _Ctx, extra: tuple[_Node, ...]) -> Command:
        """One pipeline element: a simple command or a compound command."""
        t = node[_TYPE]
        if t in _SIMPLE:
            return self._simple(node, ctx, extra)
        if t == "redirected_statement":
            body = _child(node, "body")
            redirects = tuple(_children_in(node, "redirect")) + extra
            if body is None:  # `>file` alone
                return self._simple(None, ctx, redirects, whole=node)
            if body[_TYPE] in _SIMPLE:
                return self._simple(body, ctx, redirects)
            return self._element(body, ctx, redirects)
        comp = self._compound(node, ctx)
        if not extra:
            return comp
        s, e = comp.start, comp.end
        for r in extra:
            _, words = self._redirect(r, ctx)
            if words:
                self.fail("words after the redirection of a compound command")
            s, e = min(s, r[_START]), max(e, r[_END])
        return replace(comp, start=s, end=e)

    # simple commands ------------------------------------------------------

    def _simple(self, node: Optional[_Node], ctx: _Ctx, redirect_nodes: tuple[_Node, ...] = (),
                whole: Optional[_Node] = None) -> SimpleCommand:
        argv: list[Word] = []
        assigns: list[Word] = []
        redirect_nodes = list(redirect_nodes)
        outer = node if node is not None else whole
        assert outer is not None
        t = node[_TYPE] if node is not None else None
        if t == "command":
            word = self._word
            for child in node[_KIDS]:
                ct = child[_TYPE]
                if ct == "comment":
                    continue
                field = child[_FIELD]
                if field == "name" or field == "argument":
                    argv.append(word(child, ctx))
                elif ct == "variable_assignment":
                    assigns.append(self._assignment(child, ctx))
                elif ct in _REDIRECTS:
                    redirect_nodes.append(child)
                else:
                    self.fail(f"unsupported {ct} in a command")
        elif t == "declaration_command" or t == "unset_command":
            for child in node[_KIDS]:
                ct = child[_TYPE]
                if ct == "variable_assignment":
                    argv.append(self._assignment(child, ctx))
                elif ct != "comment":
                    argv.append(self._word(child, ctx))
        elif t == "test_command":
            argv.extend(self._word(leaf, ctx) for leaf in _test_leaves(node))
        elif t == "variable_assignment":
            assigns.append(self._assignment(node, ctx))
        elif t == "variable_assignments":
            for child in node[_KIDS]:
                ct = child[_TYPE]
                if ct == "variable_assignment":
                    assigns.append(self._assignment(child, ctx))
                elif child[_NAMED] and ct != "comment":
                    self.fail(f"unsupported {ct} in assignments")
        redirects = []
        for r in redirect_nodes:
            redirect, words = self._redirect(r, ctx)
            redirects.append(redirect)
            argv.extend(words)
        argv.sort(key=_START_OF)
        if redirects or assigns:
            redirects.sort(key=_START_OF)
            parts = assigns + argv + redirects
            parts.sort(key=_START_OF)
        else:
            parts = argv
        start = outer[_START]
        end = outer[_END]
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
        cmd = _simple_command(tuple(argv), tuple(assigns), tuple(redirects), start, end, ctx)
        if argv and argv[0].text == "!":
            self.fail("'!' where a command name is expected")
        self.commands.append(cmd)
        return cmd

    def _redirect(self, node: _Node, ctx: _Ctx) -> tuple[Redirect, list[Word]]:
        """tree-sitter-bash attaches ``b`` in ``cmd >f b`` to the redirect; in
        sh it is an argument of ``cmd``: return such words separately."""
        dests = _children_in(node, "destination")
        extra = dests[1:]
        for child in node[_KIDS]:
            if not any(child is x for x in extra):
                self._scan(child, ctx)
        s = node[_START]
        e = dests[0][_END] if dests else node[_END]
        return Redirect(self.text[s:e], s, e), [self._word(w, ctx) for w in extra]

    def _word(self, node: _Node, ctx: _Ctx) -> Word:
        t, named, s, e, _, kids = node
        if kids:
            if (t == "command_name" and len(kids) == 1 and kids[0][_TYPE] == "word" and not kids[0][_KIDS]
                    and kids[0][_START] == s and kids[0][_END] == e):
                t = "word"  # the usual command name: same text, nothing to scan
            else:
                self._scan(node, ctx)
        text = self.text[s:e]
        if t == "word" or not named:
            if _SPECIAL_CHAR(text) is None:  # the common case
                return _word(text, text, s, e, False)
            value, view, dynamic = _unquoted(text)
        else:
            value, view, dynamic = self._pieces(node)
        glob = "*" in view or "?" in view or "[" in view
        if dynamic or view[:1] == "~" or _has_brace_expansion(view):
            return _word(text, None, s, e, glob)
        return _word(text, value, s, e, glob)

    def _assignment(self, node: _Node, ctx: _Ctx) -> Word:
        """``NAME=value`` / ``NAME+=value``: no globbing, no brace expansion."""
        self._scan(node, ctx)
        s = node[_START]
        e = node[_END]
        name = _child(node, "name")
        value_node = _child(node, "value")
        prefix_end = value_node[_START] if value_node is not None else e
        value: Optional[str] = self.text[s:prefix_end]
        if name is not None and name[_TYPE] == "variable_name" and not _NAME.fullmatch(self.src(name)):
            self.fail(f"{self.src(name)!r} is not a valid sh variable name")
        if name is None or name[_TYPE] != "variable_name":
            value = None
        elif value_node is not None:
            chars, view, dynamic = self._pieces(value_node)
            if dynamic or view[:1] == "~":
                value = None
            else:
                value += chars
        return _word(self.text[s:e], value, s, e, False)

    def _pieces(self, node: _Node) -> tuple[str, str, bool]:
        """A word after quote removal: ``(value, view, dynamic)`` (see ``_unquoted``)."""
        t = node[_TYPE]
        if not node[_NAMED] or t in ("word", "number", "test_operator", "variable_name", "extglob_pattern"):
            return _unquoted(self.src(node))
        if t == "raw_string":
            inner = self.src(node)[1:-1]
            return inner, _QUOTED * len(inner), False
        if t == "string":
            for c in node[_KIDS]:
                if c[_TYPE] != '"' and c[_TYPE] != "string_content":
                    return _DYNAMIC
            return _dquoted(self.src(node)[1:-1])
        if t == "concatenation" or t == "command_name":
            values = []
            views = []
            dynamic = False
            for c in node[_KIDS]:
                v, w, d = self._pieces(c)
                values.append(v)
                views.append(w)
                dynamic = dynamic or d
            return "".join(values), "".join(views), dynamic
        return _DYNAMIC  # any expansion, $'..', $"..", {1..3}, arrays...

    def _scan(self, node: _Node, ctx: _Ctx, arith: bool = False) -> None:
        """Find command substitutions and assignments nested in a word."""
        if not arith:  # only `_NESTING` nodes matter: skip a word without any
            nesting = self.nesting
            if not nesting:
                return
            i = bisect_left(nesting, node[_START])
            if i == len(nesting) or nesting[i] > node[_END]:
                return
        stack = [(node, arith)]
        while stack:
            n, in_arith = stack.pop()
            t = n[_TYPE]
            if t == "command_substitution" or t == "process_substitution":
                if t == "command_substitution" and self.src(n).startswith("`") and "\\`" in self.src(n):
                    self.fail("nested backticks")
                self._sequence(n[_KIDS], ctx.but(in_subshell=True, top_level=False))
                continue
            if t == "expansion":
                op = _child(n, "operator")
                if op is not None and op[_TYPE] in ("=", ":="):
                    self.change("parameter expansion assigns a variable", n, ctx)
            elif in_arith and t in _ARITH_ASSIGN:
                self.change("arithmetic assignment", n, ctx)
            if n[_KIDS]:
                in_arith = in_arith or t == "arithmetic_expansion"
                stack.extend([(c, in_arith) for c in reversed(n[_KIDS])])

    # compound commands ----------------------------------------------------

    def _compound(self, node: _Node, ctx: _Ctx) -> Compound:
        t = node[_TYPE]
        kids = node[_KIDS]
        before = len(self.commands)
        inner = ctx.but(top_level=False)
        kind = t
        if t == "subshell":
            self._sequence(kids, inner.but(in_subshell=True))
        elif t == "compound_statement":
            if kids and kids[0][_TYPE] == "((":
                kind = "arith"
                self._scan(node, inner, arith=True)
            else:
                kind = "group"
                self._sequence(kids, inner)
        elif t == "if_statement":
            kind = "if"
            self._if(node, inner)
        elif t == "while_statement":
            kind = kids[0][_TYPE]  # while / until
            self._sequence(_children_in(node, "condition"), inner.but(in_condition=True))
            self._body(_child(node, "body"), inner)
        elif t == "for_statement":
            kind = kids[0][_TYPE]  # for / select
            for child in kids:
                field = child[_FIELD]
                if field == "variable":
                    self.change(f"loop sets variable {self.src(child)}", child, inner)
                elif field == "value":
                    self._scan(child, inner)
                elif field == "body":
                    self._body(child, inner)
        elif t == "c_style_for_statement":
            kind = "cfor"
            for child in kids:
                if child[_FIELD] == "body":
                    self._body(child, inner)
                else:
                    self._scan(child, inner, arith=True)
        elif t == "case_statement":
            kind = "case"
            for child in kids:
                if child[_FIELD] == "value":
                    self._scan(child, inner)
                elif child[_TYPE] == "case_item":
                    self._case_item(child, inner)
                elif child[_NAMED] and child[_TYPE] != "comment":
                    self.fail(f"unsupported {child[_TYPE]} in case")
        elif t == "function_definition":
            kind = "function"
            name = _child(node, "name")
            fname = self.src(name) if name is not None else "?"
            self.functions.add(fname)
            self.change(f"defines function {fname}", node, inner)
            for child in kids:
                if child[_FIELD] == "body":
                    self._element(child, inner.but(in_function=True), ())
                elif child[_FIELD] == "redirect":
                    self._scan(child, inner)
        else:
            self.fail(f"unsupported construct: {t}")
        nested = sorted(self.commands[before:], key=_position)
        return Compound(kind, node[_START], node[_END], tuple(nested))

    def _body(self, node: Optional[_Node], ctx: _Ctx) -> None:
        if node is None:
            self.fail("loop without a body")
        elif node[_TYPE] == "do_group":
            self._sequence(node[_KIDS], ctx)
        else:
            self._element(node, ctx, ())

    def _if(self, node: _Node, ctx: _Ctx) -> None:
        """``if``/``elif``: statements before ``then`` are the condition."""
        cond: list[_Node] = []
        body: list[_Node] = []
        part = cond
        for child in node[_KIDS]:
            ct = child[_TYPE]
            if ct == "then":
                part = body
            elif ct == "elif_clause":
                self._if(child, ctx)
            elif ct == "else_clause":
                self._sequence(child[_KIDS], ctx)
            else:
                part.append(child)
        self._sequence(cond, ctx.but(in_condition=True))
        self._sequence(body, ctx)

    def _case_item(self, node: _Node, ctx: _Ctx) -> None:
        stmts = []
        for child in node[_KIDS]:
            if child[_FIELD] == "value":
                self._scan(child, ctx)
            elif child[_TYPE] not in (";;", ";&", ";;&", "|", ")", "("):
                stmts.append(child)
        self._sequence(stmts, ctx)

    # state changes --------------------------------------------------------

    def _command_changes(self, commands: list[SimpleCommand]) -> bool:
        """Record what the commands of the current shell change; return whether one exits."""
        has_exit = False
        for cmd in commands:
            if cmd.in_subshell:
                continue
            name, i = builtin_name(cmd)
            reason = _command_change(cmd, name, self.functions)
            if reason:
                self.changes.append(StateChange(cmd, reason, cmd.start))
            if name == "alias" and len(cmd.argv) > 1:
                self.fail("alias definition (later command names may be aliases)")
            if name in _EXITS or (name == "exec" and len(cmd.argv) > i + 1):
                has_exit = True
        return has_exit


def _position(cmd: SimpleCommand) -> tuple[int, int]:
    """Sort key: source order, outer commands first."""
    return cmd.start, -cmd.end


def _test_leaves(node: _Node) -> Iterable[_Node]:
    """The words of ``[ .. ]``/``[[ .. ]]`` (tree-sitter nests them in expressions)."""
    for c in node[_KIDS]:
        if c[_TYPE] in ("binary_expression", "unary_expression", "parenthesized_expression",
                        "ternary_expression", "postfix_expression"):
            yield from _test_leaves(c)
        elif c[_TYPE] != "comment":
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


def _command_change(cmd: SimpleCommand, name: Optional[str], functions: set[str]) -> Optional[str]:
    """What ``cmd`` (running builtin ``name``, see `builtin_name`) changes in the shell."""
    if not cmd.argv:
        if cmd.assignments:
            names = ", ".join(a.text.split("=", 1)[0].rstrip("+") for a in cmd.assignments)
            return f"assigns {names}"
        return None
    if name is None:
        return "command name is not static"
    if name in _STATE_BUILTINS:
        return f"{name}: {_STATE_BUILTINS[name]}"
    if name == "printf" and any((w.value or "").startswith("-v") for w in cmd.argv[1:]):
        return "printf -v: sets variables"
    if cmd.assignments and (name in _SPECIAL_BUILTINS or name in functions):
        return f"assignment before {name} stays in the shell"
    return None

