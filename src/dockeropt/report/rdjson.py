"""``--format rdjson``: reviewdog's Diagnostic Format, so that

    dockeropt --format rdjson . | reviewdog -f=rdjson -reporter=github-pr-review

posts one-click suggested changes on the exact lines of a pull request.

reviewdog (github-pr-review) places a comment on its first suggestion's lines and accepts only
line-based suggestions there: a range of whole lines (no columns) and the text that replaces
them, without the last line's ending. So each hunk of the rewrite (``report/hunks.py``) is one
diagnostic with one suggestion, its message the reasons of every change it carries (``code`` is
the first rule). Applying every suggestion to the original gives exactly the ``--write`` result
(tested over the corpus). Findings dockeropt does not fix are INFO diagnostics without a
suggestion; files that could not be read, parsed or written are ERROR diagnostics.
Columns are counted in UTF-8 bytes, as the format asks.
"""

from __future__ import annotations

from dockeropt.report import hunks as hunk_mod
from dockeropt.report.common import finding_message, lines_of, repo_path, rule_title

STREAM = False


def _code(rule_id: str) -> dict:
    from dockeropt import __url__

    return {"value": rule_id, "url": f"{__url__}/blob/main/docs/rules.md#{rule_id}"}


def _byte_column(lines: list[str], line: int, column: int) -> int:
    if not 1 <= line <= len(lines) or column <= 1:
        return max(column, 1)
    return len(lines[line - 1][: column - 1].encode("utf-8", "surrogateescape")) + 1


def file(report, options) -> list[dict]:
    out: list[dict] = []
    path = repo_path(report.path)
    result = report.result
    if result is not None:
        lines = lines_of(report)
        found = hunk_mod.hunks(result.original, result.text)
        changes = list(result.changes)
        owned_any = set()
        for h, mine in zip(found, hunk_mod.owners(found, changes)):
            owned_any.update(mine)
            rules = [changes[k] for k in mine]
            if len(rules) == 1:
                message = rules[0].message
            else:
                message = "\n".join(f"{rule_title(d.rule)}: {d.message}" for d in rules)
            line_range = {"start": {"line": h.line}, "end": {"line": h.end_line}}
            out.append({
                "message": message or "dockeropt rewrite",
                "location": {"path": path, "range": line_range},
                "severity": "WARNING",
                "code": _code(rules[0].rule) if rules else {"value": "dockeropt"},
                "suggestions": [{"range": line_range, "text": h.suggestion}],
            })
        for k, d in enumerate(changes):
            if k not in owned_any:  # no hunk of its own (the rewrite is carried by another's)
                out.append(_plain(d, path, lines, "WARNING", d.message))
        for d in result.findings:
            out.append(_plain(d, path, lines, "INFO", finding_message(d)))
    if report.error is not None:
        e = report.error
        start = {"line": max(e.line, 1)}
        if e.column:
            start["column"] = e.column
        out.append({"message": e.message, "location": {"path": path, "range": {"start": start}},
                    "severity": "ERROR", "code": {"value": f"dockeropt/{e.kind}-error"}})
    return out


def _plain(d, path, lines, severity, message) -> dict:
    end_line = max(d.end_line or d.line, d.line)
    start = {"line": d.line, "column": _byte_column(lines, d.line, d.column)}
    end = {"line": end_line}
    if d.end_column:
        end["column"] = _byte_column(lines, end_line, d.end_column)
    return {"message": message, "location": {"path": path, "range": {"start": start, "end": end}},
            "severity": severity, "code": _code(d.rule)}


def document(parts, run, options) -> str:
    import json

    from dockeropt import __url__

    doc = {
        "source": {"name": "dockeropt", "url": __url__},
        "severity": "WARNING",
        "diagnostics": [d for p in parts for d in p],
    }
    return json.dumps(doc, indent=2) + "\n"
