"""``--format github``: GitHub Actions workflow commands, shown as annotations on the files of a
run and of a pull request: ``::warning`` for a change dockeropt makes, ``::notice`` for a finding
it does not fix, ``::error`` for a file it could not read, parse or write.

    ::warning file=app/Dockerfile,line=3,endLine=5,col=1,title=dockeropt merge-runs (DL3059)::Merge ...

Escaping follows the runner (actions/toolkit ``command.ts``): in the message ``%``, CR and LF are
written ``%25``, ``%0D``, ``%0A``; in property values ``:`` and ``,`` too (``%3A``, ``%2C``), so a
file name or message can neither end the command nor start another one.
"""

from __future__ import annotations

from dockeropt.report.common import finding_message, repo_path, rule_title

STREAM = True


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(kind: str, message: str, **props) -> str:
    fields = ",".join(f"{k}={escape_property(str(v))}" for k, v in props.items() if v not in (None, ""))
    return f"::{kind} {fields}::{escape_data(message)}\n" if fields else f"::{kind}::{escape_data(message)}\n"


def _where(d) -> dict:
    where = {"line": d.line}
    end = max(d.end_line or d.line, d.line)
    if end != d.line:
        where["endLine"] = end
    else:
        where["col"] = d.column
    return where


def file(report, options) -> str:
    out = []
    result = report.result
    path = repo_path(report.path)
    if result is not None:
        for d in result.changes:
            out.append(command("warning", d.message, file=path, **_where(d),
                               title=f"dockeropt {rule_title(d.rule)}"))
        for d in result.findings:
            out.append(command("notice", finding_message(d), file=path, **_where(d),
                               title=f"dockeropt {rule_title(d.rule)}"))
    if report.error is not None:
        e = report.error
        props = {"file": path, "title": f"dockeropt: {e.kind} error"}
        if e.line:
            props["line"] = e.line
            if e.column:
                props["col"] = e.column
        out.append(command("error", e.message, **props))
    return "".join(out)
