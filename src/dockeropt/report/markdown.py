"""``--format markdown``: a pull-request comment or job summary (GitHub-flavoured Markdown).

A headline, a table per file and rule (changes, lines, hadolint codes), then per changed file
the savings ``dockeropt verify`` measured (``--verify-report``), the diff in a collapsible
``<details>`` block, and the findings not fixed; files with errors last. Text from files and
file names is escaped (HTML, Markdown, control characters); code spans and fences are made
longer than any run of backticks inside them. GitHub refuses comments and pull-request bodies
over 65,536 characters: past ``MAX_CHARS`` the largest diffs are left out, with a note, first.
"""

from __future__ import annotations

import os
import re

from dockeropt.report.common import hadolint_codes
from dockeropt.report.quote import escape

STREAM = False
MAX_CHARS = 60_000
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|~#!])")


def text(s: str) -> str:
    """Plain text in Markdown: control characters escaped, ``&`` as an entity, and the
    characters Markdown or HTML would read backslash-escaped (``<`` as ``\\<``)."""
    return _MD_SPECIAL.sub(r"\\\1", escape(s).replace("&", "&amp;"))


def code(s: str, in_table: bool = False) -> str:
    """An inline code span holding ``s`` exactly (a fence longer than any backtick run in it)."""
    s = escape(s)
    longest = max((len(m) for m in re.findall(r"`+", s)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if s.startswith("`") or s.endswith("`") or (s.startswith(" ") and s.endswith(" ") and s.strip()) else ""
    out = f"{fence}{pad}{s}{pad}{fence}"
    return out.replace("|", "\\|") if in_table else out


def fenced(body: str, info: str = "") -> str:
    longest = max((len(m) for m in re.findall(r"`{3,}", body)), default=0)
    fence = "`" * max(3, longest + 1)
    if not body.endswith("\n"):
        body += "\n"
    return f"{fence}{info}\n{body}{fence}\n"


def _ranges(lines: list[tuple[int, int]]) -> str:
    out = []
    for a, b in sorted(set(lines)):
        out.append(str(a) if a == b else f"{a}–{b}")
    return ", ".join(out)


def file(report, options) -> dict:
    """What the comment needs of one file (computed where the file was processed)."""
    from dockeropt.report.diff import unified_diff

    result = report.result
    part = {
        "path": report.path,
        "realpath": os.path.realpath(report.path) if not report.stdin else "",
        "changed": report.changed,
        "rules": {},
        "findings": [],
        "diff": "",
        "added": 0,
        "removed": 0,
        "error": None,
    }
    if result is not None:
        for d in result.changes:
            entry = part["rules"].setdefault(d.rule, [0, []])
            entry[0] += 1
            entry[1].append((d.line, max(d.end_line or d.line, d.line)))
        part["findings"] = [(d.line, d.rule, d.message, d.applicability) for d in result.findings]
        if result.changed:
            diff = unified_diff(report.path, result.original, result.text)
            part["diff"] = diff
            for line in diff.splitlines()[2:]:
                if line.startswith("+"):
                    part["added"] += 1
                elif line.startswith("-"):
                    part["removed"] += 1
    if report.error is not None:
        e = report.error
        part["error"] = (e.line, e.column, e.message)
    return part


_VERB = {"diff": "would be rewritten", "check": "would be rewritten", "write": "rewritten"}


def document(parts, run, options) -> str:
    parts = list(parts)
    diffs = {k: True for k, p in enumerate(parts) if p["diff"]}
    out = _render(parts, run, diffs)
    while len(out) > MAX_CHARS and any(diffs.values()):  # the largest diffs go first
        largest = max((k for k, keep in diffs.items() if keep), key=lambda k: (len(parts[k]["diff"]), -k))
        diffs[largest] = False
        out = _render(parts, run, diffs)
    if len(out) <= MAX_CHARS:
        return out
    low, high = 0, len(parts)  # still too long: show the first files only
    while low < high:
        mid = (low + high + 1) // 2
        if len(_render(parts, run, diffs, shown=mid)) <= MAX_CHARS:
            low = mid
        else:
            high = mid - 1
    return _render(parts, run, diffs, shown=low)


def _render(parts, run, diffs, shown: int | None = None) -> str:
    """The comment; with ``shown``, the table and sections of the first ``shown`` files only."""
    changed = [p for p in parts if p["changed"]]
    errors = [p for p in parts if p["error"]]
    n_changes = sum(c for p in parts for c, _ in p["rules"].values())
    n_findings = sum(len(p["findings"]) for p in parts)
    visible = parts if shown is None else parts[:shown]
    out = ["## dockeropt", ""]
    files = f"{run.files} Dockerfile{'s' if run.files != 1 else ''}"
    if changed:
        head = f"**{len(changed)} of {files} {_VERB[run.mode]}** ({n_changes} change{'s' if n_changes != 1 else ''})"
    else:
        head = f"**Nothing to rewrite** in {files}"
    extra = []
    if n_findings:
        extra.append(f"{n_findings} finding{'s' if n_findings != 1 else ''} not fixed")
    if errors:
        extra.append(f"{len(errors)} file{'s' if len(errors) != 1 else ''} with errors")
    out += [head + ("; " + "; ".join(extra) if extra else "") + ".", ""]
    savings = _total_savings(parts, run)
    if savings:
        out += [savings, ""]
    if changed:
        out += ["| file | rule | hadolint | changes | lines |", "|---|---|---|---:|---|"]
        for p in (p for p in visible if p["changed"]):
            for rule, (count, lines) in p["rules"].items():
                codes = ", ".join(hadolint_codes(rule)) or "–"
                out.append(f"| {code(p['path'], True)} | {code(rule, True)} | {codes} | {count} | {_ranges(lines)} |")
        out.append("")
    if shown is not None:
        out += [f"*{len(parts) - shown} more file(s) left out: the comment would pass GitHub's 65,536-character "
                "limit. Run `dockeropt` on the repository to see them all.*", ""]
    for k, p in enumerate(visible):
        if not (p["changed"] or p["findings"]):
            continue
        out += [f"### {code(p['path'])}", ""]
        verified = _verified(p, run)
        if verified:
            out += verified
        if p["diff"]:
            summary = f"Diff: +{p['added']} −{p['removed']} lines"
            out += ["<details>", f"<summary>{summary}</summary>", ""]
            if diffs.get(k):
                out.append(fenced(p["diff"], "diff"))
            else:
                out += ["*The diff is left out: the comment would pass GitHub's 65,536-character "
                        "limit. Run `dockeropt` on the file to see it.*", ""]
            out += ["</details>", ""]
        if p["findings"]:
            out += ["Not fixed:", ""]
            for line, rule, message, applicability in p["findings"]:
                hint = {"unsafe": " *(unsafe fix: `--unsafe-fixes` applies it)*",
                        "display": " *(suggestion only)*"}.get(applicability or "", "")
                out.append(f"- line {line} · {code(rule)}: {text(message)}{hint}")
            out.append("")
    if errors:
        out += ["### Errors", ""]
        for p in (p for p in visible if p["error"]):
            line, column, message = p["error"]
            where = f":{line}:{column}" if line else ""
            out.append(f"- {code(p['path'] + where)}: {text(message)}")
        out.append("")
    out += ["<sub>dockeropt — every rewrite keeps what the build does, including how it fails. "
            "`dockeropt verify` builds before and after to prove it.</sub>", ""]
    return "\n".join(out)


def _report_for(p, run):
    return run.verify.get(p["realpath"]) if p["realpath"] else None


def _mb(n) -> str:
    return f"{n / 1e6:.1f} MB"


def _signed(n, unit_mb: bool = False) -> str:
    sign = "+" if n > 0 else "−" if n < 0 else "±"
    return f"{sign}{abs(n) / 1e6:.1f} MB" if unit_mb else f"{sign}{abs(n)}"


def _verified(p, run) -> list[str]:
    rep = _report_for(p, run)
    if not rep:
        return []
    engine = text(str(rep.get("engine", "")))
    headline = text(str(rep.get("headline", "")))
    o, r = rep.get("original"), rep.get("rewritten")
    if not rep.get("verified"):
        return [f"**✗ {headline}** ({engine})", ""]
    if not (o and r):
        return [f"**✓ {headline}** ({engine})", ""]
    rows = [
        ("layers", str(o["layers"]), str(r["layers"]), _signed(r["layers"] - o["layers"])),
        ("size", _mb(o["uncompressed_bytes"]), _mb(r["uncompressed_bytes"]),
         _signed(r["uncompressed_bytes"] - o["uncompressed_bytes"], True)),
        ("compressed" + (" (gzip -1 estimate)" if o.get("compressed_estimated") else ""),
         _mb(o["compressed_bytes"]), _mb(r["compressed_bytes"]),
         _signed(r["compressed_bytes"] - o["compressed_bytes"], True)),
    ]
    out = [f"**✓ Verified by building both with {engine}**: same files and config.", "",
           "| | before | after | change |", "|---|---:|---:|---:|"]
    out += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows]
    return out + [""]


def _total_savings(parts, run) -> str:
    layers = size = n = 0
    for p in parts:
        rep = _report_for(p, run)
        if rep and rep.get("verified") and rep.get("original") and rep.get("rewritten"):
            n += 1
            layers += rep["rewritten"]["layers"] - rep["original"]["layers"]
            size += rep["rewritten"]["uncompressed_bytes"] - rep["original"]["uncompressed_bytes"]
    if not n:
        return ""
    return (f"Verified by building before and after ({n} file{'s' if n != 1 else ''}): "
            f"**{_signed(size, True)}**, {_signed(layers)} layers.")
