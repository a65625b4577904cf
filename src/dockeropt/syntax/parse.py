"""Text -> tree: the lexer's tokens through Lark's LALR(1) tables (see lalr.py), building nodes
directly."""

from __future__ import annotations

import bisect

from dockeropt.syntax import buildkit as bk
from dockeropt.syntax import nodes as n
from dockeropt.syntax.errors import DockerfileSyntaxError

_tables = None


def _get_tables() -> dict:
    global _tables
    if _tables is None:
        from dockeropt.syntax import lalr

        _tables = lalr.load_tables()
    return _tables


def _split_line(value: str) -> tuple[str, str]:
    content = value.rstrip("\r\n")
    return content, value[len(content) :]


def _line_node(value: str) -> n.Line:
    content, newline = _split_line(value)
    stripped = content.lstrip(" \t\v\f\r\x85\xa0")
    if stripped.startswith("#"):
        return n.Comment(stripped, content[: len(content) - len(stripped)], newline)
    return n.EmptyLine(content, newline)


def _close(pieces: list, trivia: list) -> None:
    """Attach the comment/blank lines read since the last continuation to it."""
    if trivia:
        pieces[-1] = pieces[-1].with_changes(lines=tuple(trivia))
        trivia.clear()


class _Builder:
    """Callbacks per grammar rule: rule -> node, no intermediate tree."""

    def start(self, children):
        bom = ""
        directives = []
        instructions = []
        pending: list[n.Line] = []
        for child in children:
            if isinstance(child, n.Instruction):
                if pending:  # the node is brand new and not shared yet: fill in its leading lines
                    object.__setattr__(child, "leading_lines", tuple(pending))
                    pending = []
                instructions.append(child)
                continue
            kind = child.type
            if kind == "BOM":
                bom = child.value
            elif kind == "DIRECTIVE":
                directives.append(n.Directive(*_split_line(child.value)))
            else:
                pending.append(_line_node(child.value))
        return n.Dockerfile(tuple(instructions), tuple(directives), tuple(pending), bom)

    def instruction(self, children):
        indent = ""
        newline = ""
        pieces: list = []
        heredocs = []
        keyword = children[0]
        trivia: list[n.Line] = []  # comment/blank lines inside the open continuation
        for child in children:
            if isinstance(child, n.Heredoc):
                heredocs.append(child)
                continue
            kind = child.type
            if kind == "LINE_CONT":
                _close(pieces, trivia)
                content, nl = _split_line(child.value)
                marker = len(content.rstrip(" \t")) - 1
                if marker:
                    pieces.append(n.Text(content[:marker]))
                pieces.append(n.Continuation(content[marker:], nl))
            elif kind == "LINE_END":
                _close(pieces, trivia)
                text, newline = _split_line(child.value)
                if text:
                    pieces.append(n.Text(text))
            elif kind == "KEYWORD":
                keyword = child
            elif kind == "INDENT":
                indent = child.value
            else:
                trivia.append(_line_node(child.value))
        _close(pieces, trivia)
        line = keyword.value + "".join(p.value for p in pieces if type(p) is n.Text)
        split = bk.split_command(line)
        cls = n.INSTRUCTION_CLASSES.get(split[0].upper(), n.Unknown)
        # The hot path of parsing: fill the frozen node's fields directly (what its __init__
        # would do, field by field through object.__setattr__), with the logical line and its
        # split, which every later look at the node needs, already in its property cache.
        node = object.__new__(cls)
        node.__dict__.update(
            keyword_raw=keyword.value,
            pieces=tuple(pieces),
            newline=newline,
            heredocs=tuple(heredocs),
            indent=indent,
            leading_lines=(),
            start_line=keyword.line,
            end_line=keyword.end_line,
            line=line,
            _split=split,
        )
        return node

    def heredoc(self, children):
        if len(children) == 2:
            return n.Heredoc(children[0].value, children[1].value)
        return n.Heredoc("", children[0].value)


def parse(text: str, *, strict: bool = False) -> n.Dockerfile:
    """Parse a Dockerfile; raises DockerfileSyntaxError where BuildKit's parser rejects it.

    ``text`` is the file decoded with ``errors="surrogateescape"`` and newlines untouched.
    BuildKit checks a file in two steps: its parser (line structure, directives, heredocs,
    ENV/LABEL pairs, JSON arrays) and then its instruction parser (unknown instructions, FROM
    first, argument counts ...). ``parse`` always applies the first; ``strict=True`` adds the
    second, as ``docker build`` would before building.
    """
    from dockeropt.syntax import lalr
    from dockeropt.syntax.lexer import tokenize

    tokens = tokenize(text)
    try:
        tree = lalr.run(_get_tables(), tokens, _CALLBACKS)
    except lalr.ParseError as e:  # the lexer only emits well-formed streams; this is a bug guard
        raise DockerfileSyntaxError(f"cannot parse: {e}", e.token.line or 1, 1) from None
    from dockeropt.syntax import validate

    validate.check_parser_level(tree)
    if strict:
        validate.check_instructions(tree)
    return tree


_BUILDER = _Builder()
_CALLBACKS = {"start": _BUILDER.start, "instruction": _BUILDER.instruction, "heredoc": _BUILDER.heredoc}


def reparse(tree: n.Dockerfile, old_text: str, text: str, edits) -> n.Dockerfile:
    """The tree of ``text``, which is ``old_text`` (``tree.code``) with ``edits`` (objects with
    ``start``, ``end``, ``new``) applied, re-reading only the instructions the edits touch.

    Instructions before them are reused as they are, those after them with their lines shifted.
    Falls back to ``parse(text)`` whenever an edit reaches outside whole instructions (BOM,
    directives, footer) or the re-read run of instructions would not stand on its own (it ends
    in an open continuation). Parser-level checks run on the re-read instructions;
    instruction-level checks are the caller's.
    """
    from dockeropt.syntax import lalr
    from dockeropt.syntax import validate
    from dockeropt.syntax.lexer import tokenize

    instructions = tree.instructions
    if not instructions or not edits:
        return parse(text)
    spans = tree.offsets
    ends = [end for _, end in spans]
    first = last = None
    for e in edits:
        # the instructions whose text (leading lines included) holds the edit
        k = bisect.bisect_left(ends, e.start)
        if k == len(ends) or e.end > ends[k]:
            k2 = bisect.bisect_left(ends, e.end)
            if k2 == len(ends):
                return parse(text)
        else:
            k2 = k
        first = k if first is None else min(first, k)
        last = k2 if last is None else max(last, k2)
    leading = sum(len(line.code) for line in instructions[first].leading_lines)
    full_first = spans[first][0] - leading
    if first == 0 and any(e.start <= spans[0][0] for e in edits):
        return parse(text)  # text above the first instruction may be (or become) a directive
    start, old_end = full_first, spans[last][1]
    delta = sum(len(e.new) - (e.end - e.start) for e in edits)
    region = text[start : old_end + delta]
    old_region = old_text[start:old_end]
    if not region.endswith(("\n", "\r")) and old_end + delta != len(text):
        return parse(text)
    line0 = old_text.count("\n", 0, start)
    try:
        tokens = tokenize(region, escape=tree.escape)
        fragment = lalr.run(_get_tables(), tokens, _CALLBACKS)
    except (DockerfileSyntaxError, lalr.ParseError):
        return parse(text)
    new = fragment.instructions
    if fragment.footer or not new or (new[-1].pieces and type(new[-1].pieces[-1]) is n.Continuation):
        return parse(text)
    for ins in new:
        ins.__dict__["start_line"] += line0
        ins.__dict__["end_line"] += line0
        validate._check_parser_level(ins, ins)
    shift = region.count("\n") - old_region.count("\n")
    after = []
    for ins in instructions[last + 1 :]:
        if shift:
            moved = object.__new__(type(ins))
            moved.__dict__.update(ins.__dict__)
            moved.__dict__["start_line"] += shift
            moved.__dict__["end_line"] += shift
            ins = moved
        after.append(ins)
    return n.Dockerfile(instructions[:first] + new + tuple(after), tree.directives, tree.footer, tree.bom)
