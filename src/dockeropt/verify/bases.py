"""Which images a Dockerfile needs from outside (``FROM`` and ``COPY --from``), so that a missing
base image is reported before anything is built.

A small line reader on purpose: verify must not depend on the project's full parser, and it only
needs instruction keywords and their first words.  It knows the escape directive, line
continuations, comment lines, heredoc bodies and global ``ARG`` defaults (``FROM ${BASE}``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_DIRECTIVE = re.compile(r"^\s*#\s*([a-zA-Z]+)\s*=\s*(\S+)\s*$")
_HEREDOC = re.compile(r"<<(-?)\s*([\"']?)([A-Za-z_][A-Za-z0-9_]*)\2")
_VAR = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-+])([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))")


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


def _expand(word: str, args: dict[str, str]) -> str:
    def sub(m: re.Match[str]) -> str:
        name, op, alt = m.group(1) or m.group(4), m.group(2), m.group(3)
        val = args.get(name)
        if op is None:
            return val if val is not None else m.group(0)
        if op in (":-", "-"):
            use_val = bool(val) if op == ":-" else val is not None
            return val if use_val else alt  # type: ignore[return-value]
        return alt if (val if op == ":+" else val is not None) else ""

    return _VAR.sub(sub, word)


def external_images(text: str) -> list[str]:
    """Images the Dockerfile pulls in: FROM targets that are not earlier stages or ``scratch``,
    and ``COPY/ADD --from=`` values that are not stage names or indexes.  References that still
    hold an unresolved ``$`` are left out (the build itself will say what is wrong)."""
    global_args: dict[str, str] = {}
    stages: set[str] = set()
    seen_from = False
    found: list[str] = []

    def add(ref: str) -> None:
        if ref and "$" not in ref and ref.lower() != "scratch" and ref not in found:
            found.append(ref)

    for line in logical_lines(text):
        parts = line.split()
        if not parts:
            continue
        kw = parts[0].upper()
        if kw == "ARG" and not seen_from:
            for a in parts[1:]:
                name, eq, value = a.partition("=")
                global_args[name] = value.strip("\"'") if eq else global_args.get(name, "")
        elif kw == "FROM":
            seen_from = True
            words = [w for w in parts[1:] if not w.startswith("--")]
            if not words:
                continue
            ref = _expand(words[0], global_args)
            if ref.lower() not in stages:
                add(ref)
            if len(words) >= 3 and words[1].upper() == "AS":
                stages.add(words[2].lower())
        elif kw in ("COPY", "ADD"):
            for w in parts[1:]:
                if not w.startswith("--"):
                    break
                if w.lower().startswith("--from="):
                    src = _expand(w.split("=", 1)[1], global_args)
                    if src.lower() not in stages and not src.isdigit():
                        add(src)
    return found
