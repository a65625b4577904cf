"""``--format sarif``: SARIF 2.1.0, for GitHub code scanning and other SARIF viewers.

One run; ``tool.driver.rules`` lists every rule (id, name, descriptions, the rule's docs as help,
a help URI, the hadolint codes and whether its fix is safe). Each applied change and each finding
is a ``result`` (``warning`` for a change dockeropt makes, ``note`` for a finding it does not
fix); a change carries ``fixes`` whose ``artifactChanges`` replace whole original lines with the
rewritten ones. Files that could not be read, parsed or written are ``toolExecutionNotifications``
of the invocation (``executionSuccessful`` false). Columns count Unicode code points
(``columnKind``). Paths stay relative when given relative, under ``uriBaseId`` ``%SRCROOT%``
(the working directory), so code scanning finds them in the repository.
"""

from __future__ import annotations

import os

from dockeropt.report import hunks as hunk_mod
from dockeropt.report.common import end_column, finding_message, lines_of, rules

STREAM = False
SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
SRCROOT = "%SRCROOT%"


def _uri(path: str) -> tuple[str, str | None]:
    """(uri, uriBaseId) of a path: relative paths under %SRCROOT%, absolute ones as file URIs."""
    from urllib.parse import quote

    if path == "<stdin>":
        return "stdin", None
    p = path.replace(os.sep, "/")
    if os.path.isabs(path):
        return "file://" + quote(p, safe="/"), None
    p = os.path.normpath(p).replace(os.sep, "/")
    return quote(p, safe="/"), SRCROOT


def _location(path: str) -> dict:
    uri, base = _uri(path)
    loc = {"uri": uri}
    if base:
        loc["uriBaseId"] = base
    return loc


def _region(lines, line, column, end_line, end_col) -> dict:
    end_line = max(end_line or line, line)
    return {"startLine": line, "startColumn": max(column, 1), "endLine": end_line,
            "endColumn": end_column(lines, end_line, end_col)}


def _hunk_region(h, lines) -> dict:
    """The original lines a hunk replaces, with their line endings: from the start of its first
    line to the start of the line after its last (SARIF counts the empty text after a final
    line ending as a line), or to the end of a last line that has no ending."""
    last = lines[h.end_line - 1] if 1 <= h.end_line <= len(lines) else ""
    if last.endswith("\n"):
        return {"startLine": h.line, "startColumn": 1, "endLine": h.end_line + 1, "endColumn": 1}
    return {"startLine": h.line, "startColumn": 1, "endLine": max(h.end_line, 1), "endColumn": len(last) + 1}


def file(report, options) -> dict:
    """{"results": [...], "notifications": [...]} for one file."""
    out: dict = {"results": [], "notifications": []}
    index = {rid: k for k, rid in enumerate(rules())}
    location = _location(report.path)
    result = report.result
    if result is not None:
        lines = lines_of(report)
        found = hunk_mod.hunks(result.original, result.text)
        owned = hunk_mod.per_diagnostic(found, result.changes)
        for d, mine in zip(result.changes, owned):
            r = _result(d, index, location, lines, "warning", d.message)
            if mine:
                r["fixes"] = [{
                    "description": {"text": f"{d.rule}: {d.message}"},
                    "artifactChanges": [{
                        "artifactLocation": location,
                        "replacements": [{"deletedRegion": _hunk_region(h, lines),
                                          "insertedContent": {"text": h.text}} for h in mine],
                    }],
                }]
            out["results"].append(r)
        for d in result.findings:
            out["results"].append(_result(d, index, location, lines, "note", finding_message(d)))
    if report.error is not None:
        e = report.error
        physical: dict = {"artifactLocation": location}
        if e.line:
            physical["region"] = {"startLine": e.line, "startColumn": max(e.column, 1)}
        out["notifications"].append({
            "level": "error",
            "message": {"text": e.message},
            "locations": [{"physicalLocation": physical}],
            "descriptor": {"id": f"dockeropt/{e.kind}-error"},
        })
    return out


def _result(d, index, location, lines, level, message) -> dict:
    r = {
        "ruleId": d.rule,
        "level": level,
        "message": {"text": message},
        "locations": [{"physicalLocation": {
            "artifactLocation": location,
            "region": _region(lines, d.line, d.column, d.end_line, d.end_column),
        }}],
        "properties": {"applicability": d.applicability or "none"},
    }
    if d.rule in index:
        r["ruleIndex"] = index[d.rule]
    return r


def _rule_descriptor(rule) -> dict:
    from dockeropt import __url__

    docs = (rule.docs or rule.summary).strip()
    first = docs.split("\n\n", 1)[0].replace("\n", " ")
    return {
        "id": rule.id,
        "name": rule.__name__,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": first},
        "help": {"text": docs, "markdown": docs.replace("::\n", ":\n")},
        "helpUri": f"{__url__}/blob/main/docs/rules.md#{rule.id}",
        "defaultConfiguration": {"level": "warning" if rule.safe else "note"},
        "properties": {
            "tags": ["dockerfile", "image-size", "build-speed"],
            "hadolint": list(rule.hadolint),
            "fix": "safe" if rule.safe else "unsafe",
        },
    }


def document(parts, run, options) -> str:
    import json

    from dockeropt import __url__, __version__

    results = [r for p in parts for r in p["results"]]
    notifications = [n for p in parts for n in p["notifications"]]
    invocation = {"executionSuccessful": not notifications}
    if notifications:
        invocation["toolExecutionNotifications"] = notifications
    doc = {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "dockeropt",
                "version": __version__,
                "semanticVersion": __version__,
                "informationUri": __url__,
                "rules": [_rule_descriptor(r) for r in rules().values()],
            }},
            "originalUriBaseIds": {SRCROOT: {"uri": _cwd_uri()}},
            "invocations": [invocation],
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    }
    return json.dumps(doc, indent=2) + "\n"


def _cwd_uri() -> str:
    from urllib.parse import quote

    cwd = os.getcwd().replace(os.sep, "/")
    return "file://" + quote(cwd.rstrip("/") + "/", safe="/")
