"""What verify reads from a Dockerfile besides building it: which images it needs from outside
(``external_images``, from the rules' own stage graph in ``dockeropt.model``), and a small line
reader (``instructions``) that ``outcome.py`` uses to place a failing build step on the lines of
the file that built it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_DIRECTIVE = re.compile(r"^\s*#\s*([a-zA-Z]+)\s*=\s*(\S+)\s*$")
_HEREDOC = re.compile(r"<<(-?)\s*([\"']?)([A-Za-z_][A-Za-z0-9_]*)\2")


@dataclass(frozen=True)
class LogicalLine:
    """One instruction: its text joined over continuations (comment lines inside dropped) and
    the 1-based lines of the file it spans (heredoc bodies included)."""

    text: str
    line: int
    end_line: int


def logical_lines(text: str) -> list[str]:
    """Instructions joined over continuations, without comments and heredoc bodies."""
    return [ll.text for ll in instructions(text)]


def instructions(text: str) -> list[LogicalLine]:
    """The instructions of a Dockerfile with the lines they span."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    escape = "\\"
    i = 0
    # parser directives: only at the very top, before any other line
    while i < len(lines):
        m = _DIRECTIVE.match(lines[i])
        if not m:
            break
        if m.group(1).lower() == "escape" and m.group(2) in ("`", "\\"):
            escape = m.group(2)
        i += 1
    out: list[LogicalLine] = []
    cur: list[str] = []
    start = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        stripped = line.strip()
        if not cur and (not stripped or stripped.startswith("#")):
            continue
        if cur and stripped.startswith("#"):
            continue  # comment lines inside a continuation are dropped
        if not cur:
            start = i
        body = line.rstrip()
        if body.endswith(escape):
            cur.append(body[: -len(escape)])
            continue
        cur.append(line)
        logical = " ".join(part.strip() for part in cur)
        cur = []
        # skip heredoc bodies (RUN <<EOF ... EOF)
        for m in _HEREDOC.finditer(logical):
            dash, word = m.group(1), m.group(3)
            while i < len(lines):
                body_line = lines[i]
                i += 1
                if (body_line.lstrip("\t") if dash else body_line) == word:
                    break
        out.append(LogicalLine(logical, start, i))
    if cur:
        out.append(LogicalLine(" ".join(part.strip() for part in cur), start, len(lines)))
    return out


def external_images(text: str) -> list[str]:
    """Images the Dockerfile pulls in (FROM targets that are not earlier stages or ``scratch``,
    ``COPY/ADD --from`` and ``RUN --mount=from`` values that are not stages), from the same
    stage graph the rules use (``dockeropt.model``). References that still hold an unresolved
    ``$`` are left out, and so is everything of a file BuildKit rejects: the build itself will
    say what is wrong."""
    from dockeropt.model import StageGraph
    from dockeropt.syntax.errors import DockerfileSyntaxError
    from dockeropt.syntax.parse import parse

    try:
        tree = parse(text)
    except DockerfileSyntaxError:
        return []
    return StageGraph(tree).external_images()
