"""Git-style unified diff of one file's rewrite, with one reason line per change above it."""

from __future__ import annotations

import re

_LINES = re.compile(r"[^\n]*\n|[^\n]+\Z")


def unified_diff(path: str, before: str, after: str) -> str:
    """``--- a/path`` / ``+++ b/path`` diff; lines keep their own endings (CRLF stays CRLF)."""
    import difflib  # only when a diff is shown: start-up matters

    a = _LINES.findall(before)  # split on \n only, as BuildKit does (not str.splitlines)
    b = _LINES.findall(after)
    name = path.lstrip("/")
    out = []
    for line in difflib.unified_diff(a, b, f"a/{name}", f"b/{name}"):
        out.append(line)
        if not line.endswith("\n"):
            out.append("\n\\ No newline at end of file\n")
    return "".join(out)


def explain(path: str, changes) -> str:
    """``path:line: rule-id: reason`` lines (text a patch tool skips before the ``---`` header),
    in line order: the changes made and the findings left unfixed (with why)."""
    ordered = sorted(changes, key=lambda c: c.line)
    return "".join(f"# {path}:{c.line}: {c.rule}: {c.message}\n" for c in ordered)
