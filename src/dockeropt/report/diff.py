"""Git-style unified diff of one file's rewrite, with one reason line per change above it."""

from __future__ import annotations

import posixpath
import re

from dockeropt.report.quote import escape, git_quote, quote_path

_LINES = re.compile(r"[^\n]*\n|[^\n]+\Z")


def unified_diff(path: str, before: str, after: str) -> str:
    """``--- a/path`` / ``+++ b/path`` diff; lines keep their own endings (CRLF stays CRLF).

    The name is normalised (``./sub/Dockerfile`` -> ``a/sub/Dockerfile``) and quoted as git
    quotes it (``--- "a/with\\nnewline"``), so a file name cannot forge a header line; a name
    with a space gets git's trailing tab.
    """
    import difflib  # only when a diff is shown: start-up matters

    a = _LINES.findall(before)  # split on \n only, as BuildKit does (not str.splitlines)
    b = _LINES.findall(after)
    name = posixpath.normpath(path).lstrip("/")  # ./x -> x: git apply refuses a/./x
    old, new = git_quote(f"a/{name}"), git_quote(f"b/{name}")
    tab = "\t" if " " in name and not old.startswith('"') else ""
    out = []
    for i, line in enumerate(difflib.unified_diff(a, b, n=3, lineterm="\n")):
        if i == 0:
            line = f"--- {old}{tab}\n"
        elif i == 1:
            line = f"+++ {new}{tab}\n"
        out.append(line)
        if not line.endswith("\n"):
            out.append("\n\\ No newline at end of file\n")
    return "".join(out)


def explain(path: str, changes, findings=()) -> str:
    """``path:line: rule-id: reason`` lines (text a patch tool skips before the ``---`` header),
    in line order: the changes made, and the findings not fixed (with why, or with the fix that
    this run does not apply)."""
    shown = quote_path(path)
    rows = [(c.line, c.rule, escape(c.message)) for c in changes]
    rows += [(f.line, f.rule, escape(f.message) + _HINTS.get(f.applicability, "")) for f in findings]
    return "".join(f"# {shown}:{line}: {rule}: {message}\n" for line, rule, message in sorted(rows, key=lambda r: r[0]))


_HINTS = {"unsafe": " [unsafe fix: --unsafe-fixes applies it]", "display": " [suggestion, not applied]"}
