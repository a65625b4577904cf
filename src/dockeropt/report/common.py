"""What every output format is fed: one :class:`FileReport` per file, in the order files were
found, and one :class:`RunInfo` for the run.

A format is a module of ``dockeropt.report`` with

- ``file(report, options) -> part``: run once per file (in a worker process under ``--jobs``);
  the part must be picklable (a string or plain data);
- ``STREAM = True`` and parts that are strings, written to stdout as soon as each file is done
  (``diff``, ``github``); or ``STREAM = False`` and ``document(parts, run, options) -> str``, the
  whole stdout, written once every file is done (``json``, ``sarif``, ``rdjson``, ``markdown``).

Positions are lines and columns of the ORIGINAL file (1-based; ``end_column`` 0 = end of line).
Nothing in a document depends on time, the machine's load or the number of jobs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

FORMATS = ("diff", "json", "sarif", "rdjson", "github", "markdown")
_MODULES = {"json": "json_doc"}  # not "json": a module of that name would read as the standard one


@dataclass(frozen=True)
class FileError:
    """Why a file was not processed (or not written): ``line``/``column`` 0 when no position."""

    message: str
    line: int = 0
    column: int = 0
    kind: str = "error"  # "syntax", "read", "write", "internal"


@dataclass
class FileReport:
    """One file's outcome. ``result`` is None when the file could not be rewritten at all
    (``error`` says why); with ``--write``, ``error`` can also be a write refusal beside a result."""

    path: str  # as shown: the path given or found, "<stdin>" for -
    result: object = None  # dockeropt.rewriter.engine.RewriteResult
    error: FileError | None = None
    mode: str = "diff"  # diff | check | write
    stdin: bool = False  # read from standard input (``-``)

    @property
    def changed(self) -> bool:
        return self.result is not None and self.result.changed


def lines_of(report: FileReport) -> list[str]:
    """The original file's lines (with endings); [] when it was not read."""
    if report.result is None:
        return []
    from dockeropt.report.hunks import split_lines

    return split_lines(report.result.original)


@dataclass
class RunInfo:
    """The run as a whole, for the document formats."""

    mode: str = "diff"
    files: int = 0
    changed: int = 0
    errors: int = 0
    verify: dict = field(default_factory=dict)  # realpath of a Dockerfile -> its verify report (dict)


def module(name: str):
    """The format module for ``--format NAME`` (imported only when used)."""
    import importlib

    if name not in FORMATS:
        raise ValueError(f"unknown format: {name}")
    return importlib.import_module(f"dockeropt.report.{_MODULES.get(name, name)}")


_RULES: dict | None = None


def rules() -> dict:
    """Rule id -> rule class, in registry order."""
    global _RULES
    if _RULES is None:
        from dockeropt.rewriter.rules import ALL_RULES

        _RULES = {r.id: r for r in ALL_RULES}
    return _RULES


def hadolint_codes(rule_id: str) -> list[str]:
    rule = rules().get(rule_id)
    return list(rule.hadolint) if rule is not None else []


def end_column(lines: list[str], line: int, column: int) -> int:
    """An ``end_column`` of 0 (end of line) as a real 1-based column just past the line's last
    character (line ending excluded)."""
    if column:
        return column
    if 1 <= line <= len(lines):
        return len(lines[line - 1].rstrip("\r\n")) + 1
    return 1


def repo_path(path: str) -> str:
    """A path as code-review tools want it: normalised, with ``/`` (``./app/Dockerfile`` ->
    ``app/Dockerfile``), so it names the file relative to the repository's top."""
    import os

    return path if path == "<stdin>" else os.path.normpath(path).replace(os.sep, "/")


def rule_title(rule_id: str) -> str:
    codes = hadolint_codes(rule_id)
    return f"{rule_id} ({', '.join(codes)})" if codes else rule_id


HINTS = {
    "unsafe": "unsafe fix, not applied: --unsafe-fixes applies it",
    "display": "suggestion only, never applied",
}


def finding_message(d) -> str:
    """A finding's message with what happens to its fix, if it has one."""
    hint = HINTS.get(d.applicability or "")
    return f"{d.message} [{hint}]" if hint else d.message
