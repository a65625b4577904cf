"""The lexer: BuildKit's line scanner, emitting one token per piece of every line.

Dockerfile lexing is line-oriented and stateful (the escape character, the directive header,
heredoc bodies), so the grammar's terminals are produced here; see grammar/dockerfile.lark for
the token list. Every byte of the input lands in exactly one token.
"""

from __future__ import annotations

from dockeropt.syntax import buildkit as bk
from dockeropt.syntax.errors import DockerfileSyntaxError


MAX_LINE = 64 * 1024  # bufio.MaxScanTokenSize: BuildKit's scanner fails on a longer line


class Token:
    """A terminal of grammar/dockerfile.lark: its type, its text, and (for KEYWORD) the lines
    of the instruction it starts."""

    __slots__ = ("type", "value", "line", "end_line")

    def __init__(self, type: str, value: str, line: int = 0, end_line: int = 0):
        self.type = type
        self.value = value
        self.line = line
        self.end_line = end_line

    def __repr__(self) -> str:
        return f"Token({self.type!r}, {self.value!r})"


def split_lines(text: str) -> list[tuple[str, str]]:
    """Physical lines as (content, newline), split the way BuildKit's scanner splits them.

    Lines end at ``\\n`` only; trailing ``\\r`` characters belong to the newline (trimNewline).
    """
    parts = text.split("\n")
    last = parts.pop()
    lines = []
    for k, part in enumerate(parts):
        if len(part) >= MAX_LINE // 4 and len(part.encode("utf-8", "surrogateescape")) + 1 > MAX_LINE:
            raise DockerfileSyntaxError(f"dockerfile line greater than max allowed size of {MAX_LINE - 1}", k + 1, 1)
        content = part.rstrip("\r")
        lines.append((content, part[len(content) :] + "\n"))
    if last:
        if len(last) >= MAX_LINE // 4 and len(last.encode("utf-8", "surrogateescape")) > MAX_LINE:
            raise DockerfileSyntaxError(f"dockerfile line greater than max allowed size of {MAX_LINE - 1}", len(parts) + 1, 1)
        content = last.rstrip("\r")
        lines.append((content, last[len(content) :]))
    return lines


def tokenize(text: str, escape: str | None = None) -> list[Token]:
    """The token stream for ``text``; raises DockerfileSyntaxError where BuildKit's parser does.

    With ``escape``, ``text`` is a run of whole instructions from inside a file whose escape
    character is ``escape``: no BOM, no directives (see ``parse.reparse``).
    """
    toks: list[Token] = []
    add = toks.append
    lines = split_lines(text)
    n = len(lines)
    i = 0
    if escape is not None:
        return _body(lines, 0, escape, toks)
    if text.startswith("\ufeff"):
        add(Token("BOM", "\ufeff"))
        if lines:
            lines[0] = (lines[0][0][1:], lines[0][1])

    # Parser directives: only a run of them at the very top.
    escape = "\\"
    seen: set[str] = set()
    while i < n:
        content, nl = lines[i]
        m = bk.DIRECTIVE_RE.match(content, bk.lstrip_len(content))
        if not m or m.group(1).lower() not in bk.ALLOWED_DIRECTIVES:
            break
        key = m.group(1).lower()
        if key in seen:
            raise DockerfileSyntaxError(f"only one {key} parser directive can be used", i + 1, 1)
        seen.add(key)
        if key == "escape":
            value = m.group(2)
            if value not in bk.ESCAPE_TOKENS:
                raise DockerfileSyntaxError(
                    f"invalid escape token '{value}' does not match ` or \\", i + 1, m.start(2) + 1
                )
            escape = value
        add(Token("DIRECTIVE", content + nl, line=i + 1))
        i += 1

    return _body(lines, i, escape, toks)


def _body(lines, i: int, escape: str, toks: list[Token]) -> list[Token]:
    """Tokens of the lines after the directives."""
    add = toks.append
    n = len(lines)
    cont_re = bk.continuation_re(escape)
    while i < n:
        content, nl = lines[i]
        start = bk.lstrip_len(content)
        if start == len(content):
            add(Token("BLANK", content + nl, line=i + 1))
            i += 1
            continue
        if content[start] == "#":
            add(Token("COMMENT", content + nl, line=i + 1))
            i += 1
            continue
        i = _instruction(lines, i, start, cont_re, toks)
    return toks


def _instruction(lines, i: int, start: int, cont_re, toks: list[Token]) -> int:
    """Tokens of the instruction starting at line index ``i``; returns the next line index."""
    add = toks.append
    n = len(lines)
    start_line = i + 1
    content, nl = lines[i]
    if start:
        add(Token("INDENT", content[:start]))
    rest = content[start:]
    m = cont_re.search(rest)
    first = rest if m is None else rest[: m.start()]
    kw_end = bk.WHITESPACE_RE.search(first)
    kw_end = len(first) if kw_end is None else kw_end.start()
    keyword_tok = Token("KEYWORD", first[:kw_end], line=start_line)
    add(keyword_tok)
    logical = [first]
    i += 1
    if m is None:
        if kw_end < len(rest) or nl:
            add(Token("LINE_END", rest[kw_end:] + nl))
    else:
        add(Token("LINE_CONT", rest[kw_end:] + nl))
        while i < n:
            content, nl = lines[i]
            s = bk.lstrip_len(content)
            if s == len(content):
                add(Token("CONT_BLANK", content + nl))
                i += 1
                continue
            if content[s] == "#":
                add(Token("CONT_COMMENT", content + nl))
                i += 1
                continue
            m = cont_re.search(content)
            i += 1
            if m is None:
                logical.append(content)
                add(Token("LINE_END", content + nl))
                break
            logical.append(content[: m.start()])
            add(Token("LINE_CONT", content + nl))

    line = "".join(logical)
    if "<<" in line:
        keyword, offset = bk.split_command(line)
        if bk.can_contain_heredoc(keyword, line[offset:]):
            for spec in bk.heredocs_from_line(line):
                i = _heredoc(lines, i, spec, start_line, toks)
    keyword_tok.end_line = i
    return i


def _heredoc(lines, i: int, spec: bk.HeredocSpec, start_line: int, toks: list[Token]) -> int:
    body = []
    n = len(lines)
    while i < n:
        content, nl = lines[i]
        candidate = content.lstrip("\t") if spec.chomp else content
        if candidate == spec.name:
            if body:
                toks.append(Token("HEREDOC_BODY", "".join(body)))
            toks.append(Token("HEREDOC_END", content + nl))
            return i + 1
        body.append(content + nl)
        i += 1
    raise DockerfileSyntaxError(f"unterminated heredoc {spec.name!r}", start_line, 1)
