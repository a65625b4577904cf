"""``--format json``: one JSON document on stdout, described by a JSON Schema shipped in the
package (``dockeropt/report/schemas/dockeropt-report-1.schema.json``, also printed by
``dockeropt --json-schema``). The schema is the contract: ``version`` changes when a field is
removed or changes meaning; fields may be added.

Per file: ``path``; ``changed``; ``changes`` (fixes applied) and ``findings`` (reported, not
applied), each with ``rule``, ``hadolint``, ``line``/``column``/``end_line``/``end_column``
(1-based, ``end_column`` just past the last character), ``message``, ``applicability``
(``safe``/``unsafe``/``display``, or null without a fix) and ``replacements`` (the hunks of the
rewrite it takes part in); ``hunks``, whole-line replacements of the original that together give
the rewritten file; ``diff``; ``notes``; ``error`` (null, or why the file was not processed or
not written); ``text`` (the rewritten file, only with ``--write -``).
"""

from __future__ import annotations

from dockeropt.report import hunks as hunk_mod
from dockeropt.report.common import end_column, hadolint_codes, lines_of

STREAM = False
VERSION = 1
SCHEMA_FILE = f"dockeropt-report-{VERSION}.schema.json"


def schema_text() -> str:
    from importlib.resources import files

    return (files("dockeropt.report") / "schemas" / SCHEMA_FILE).read_text(encoding="utf-8")


def _diagnostic(d, lines, owned) -> dict:
    end_line = max(d.end_line or d.line, d.line)
    return {
        "rule": d.rule,
        "hadolint": hadolint_codes(d.rule),
        "line": d.line,
        "column": d.column,
        "end_line": end_line,
        "end_column": end_column(lines, end_line, d.end_column),
        "message": d.message,
        "applicability": d.applicability,
        "replacements": [{"line": h.line, "end_line": h.end_line, "text": h.text} for h in owned],
    }


def file(report, options) -> dict:
    from dockeropt.report.diff import unified_diff

    result = report.result
    entry: dict = {"path": report.path, "changed": report.changed, "changes": [], "findings": [],
                   "hunks": [], "diff": "", "notes": [], "error": None}
    if result is not None:
        lines = lines_of(report)
        found = hunk_mod.hunks(result.original, result.text)
        owners = hunk_mod.owners(found, result.changes)
        owned = hunk_mod.per_diagnostic(found, result.changes, owners)
        entry["changes"] = [_diagnostic(d, lines, o) for d, o in zip(result.changes, owned)]
        entry["findings"] = [_diagnostic(d, lines, []) for d in result.findings]
        entry["hunks"] = [
            {"line": h.line, "end_line": h.end_line, "text": h.text,
             "rules": list(dict.fromkeys(result.changes[k].rule for k in mine))}
            for h, mine in zip(found, owners)
        ]
        if result.changed:
            entry["diff"] = unified_diff(report.path, result.original, result.text)
        entry["notes"] = list(result.notes)
        if report.mode == "write" and report.stdin:
            entry["text"] = result.text
    if report.error is not None:
        e = report.error
        entry["error"] = {"kind": e.kind, "line": e.line, "column": e.column, "message": e.message}
    return entry


def document(parts, run, options) -> str:
    import json

    from dockeropt import __version__

    doc = {
        "version": VERSION,
        "tool": {"name": "dockeropt", "version": __version__},
        "mode": run.mode,
        "files": list(parts),
        "summary": {"files": run.files, "changed": run.changed, "errors": run.errors},
    }
    return json.dumps(doc, indent=2) + "\n"
