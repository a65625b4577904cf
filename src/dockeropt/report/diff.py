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


# --- the ``diff`` format (the default): reasons and diffs, or file lists ----------------------

STREAM = True

_COLORS = {"#": "\x1b[33m", "---": "\x1b[1m", "+++": "\x1b[1m", "@@": "\x1b[36m", "-": "\x1b[31m", "+": "\x1b[32m"}
_RESET = "\x1b[0m"


def colorize(text: str) -> str:
    """ANSI colours for a terminal: reasons yellow, headers bold, hunks cyan, -/+ red/green.
    Only line starts are looked at; the text between the codes is unchanged."""
    out = []
    for line in _LINES.findall(text):
        body = line.rstrip("\r\n")
        ending = line[len(body):]
        for prefix in ("#", "---", "+++", "@@", "-", "+"):
            if body.startswith(prefix):
                out.append(f"{_COLORS[prefix]}{body}{_RESET}{ending}")
                break
        else:
            out.append(line)
    return "".join(out)


def file(report, options) -> str:
    """What one file adds to stdout: with ``--diff`` its reasons and diff, with ``--check``
    ``would rewrite PATH``, with ``--write -`` the rewritten text; else nothing."""
    result = report.result
    if result is None:
        return ""
    if report.mode == "check":
        return f"would rewrite {quote_path(report.path)}\n" if result.changed else ""
    if report.mode == "write":
        return result.text if report.stdin else ""
    if not (result.changed or result.findings):
        return ""
    diff = unified_diff(report.path, result.original, result.text) if result.changed else ""
    text = explain(report.path, result.changes, result.findings) + diff
    return colorize(text) if options.get("color") else text
