"""Command line: arguments, file discovery, output and exit codes. Nothing else.

Exit codes: 0 nothing to change (or changes written / shown), 1 changes found with --check,
2 an error (unreadable file, syntax error, bad option, a file not written, an internal error);
other files are still processed. 130 interrupted (Ctrl-C), 143 terminated (SIGTERM), 141 stdout
closed early. ``DOCKEROPT_DEBUG=1`` re-raises internal errors with their traceback.
"""

from __future__ import annotations

import argparse
import os
import sys

from dockeropt import __version__
from dockeropt.files import NOT_DOCKERFILE_SUFFIXES, SKIP_DIRS, discover, is_dockerfile_name  # noqa: F401
from dockeropt.report.quote import escape, quote_path

EXIT_OK, EXIT_CHANGES, EXIT_ERROR = 0, 1, 2
EXIT_INTERRUPTED, EXIT_BROKEN_PIPE = 130, 141
PROGRESS_MIN_FILES = 20


def _debug() -> bool:
    return os.environ.get("DOCKEROPT_DEBUG", "") not in ("", "0")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="dockeropt",
        description="Find what makes Docker images big and builds slow, and rewrite the Dockerfile safely.",
        epilog="Exit codes: 0 nothing to change (or written), 1 changes found (--check), 2 error "
        "(130 interrupted, 143 terminated). Directories are searched for Dockerfile, Containerfile, "
        "Dockerfile.<x>, Dockerfile-<x>, Dockerfile_<x>, <x>.Dockerfile, <x>.dockerfile. "
        "Subcommand: 'dockeropt verify Dockerfile' builds before/after and compares the images.",
    )
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--diff", dest="mode", action="store_const", const="diff", help="show a unified diff (default)")
    mode.add_argument("--write", dest="mode", action="store_const", const="write",
                      help="rewrite files in place (atomically; - writes the result to stdout)")
    mode.add_argument("--check", dest="mode", action="store_const", const="check",
                      help="list the files that would change ('would rewrite PATH'); exit 1 if any")
    p.add_argument("--format", choices=("diff", "json"), default="diff",
                   help="output format: text and diffs, or one JSON document on stdout")
    p.add_argument("--select", default="", help="comma-separated rule ids or hadolint codes to run (any case)")
    p.add_argument("--ignore", default="", help="comma-separated rule ids or hadolint codes to skip (any case)")
    p.add_argument("--unsafe-fixes", action="store_true", help="also apply rules marked unsafe")
    p.add_argument("--cache-strategy", choices=("clean", "mount"), default="clean",
                   help="delete package-manager caches (clean) or use BuildKit cache mounts (mount)")
    p.add_argument("--list-rules", action="store_true", help="print the rules and exit")
    p.add_argument("-q", "--quiet", action="store_true", help="no summary line and no 'rewrote PATH' lines")
    p.add_argument("--version", action="version", version=f"dockeropt {__version__}",
                   help="print the version and exit")
    p.add_argument("paths", nargs="*", metavar="PATH", help="file, directory (searched), or - for stdin")
    p.set_defaults(mode="diff")
    return p


def _split(value: str) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()]


def _rule_names(value: str) -> list[str]:
    """Rule ids and hadolint codes in any case (``dl3059``), spelled as the registry spells them."""
    from dockeropt.rewriter.rules import ALL_RULES

    canonical = {"all": "all"}
    for rule in ALL_RULES:
        canonical[rule.id.lower()] = rule.id
        for code in rule.hadolint:
            canonical[code.lower()] = code
    return [canonical.get(name.lower(), name) for name in _split(value)]


def _check_rules(select: list[str], ignore: list[str], unsafe: bool) -> str | None:
    """An error message for a bad --select/--ignore, else None. (An unsafe rule selected without
    --unsafe-fixes is no error: its diagnostics are shown, with the fix it would make.)"""
    from dockeropt.rewriter.engine import UnknownRuleError, select_rules

    try:
        select_rules(select, ignore, unsafe)
    except UnknownRuleError as e:
        return f"{e} (see --list-rules)"
    return None


def list_rules(out) -> None:
    from dockeropt.rewriter.rules import ALL_RULES

    rows = [("rule", "hadolint", "fix", "summary")]
    for r in ALL_RULES:
        rows.append((r.id, ",".join(r.hadolint) or "-", "safe" if r.safe else "unsafe", r.summary))
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    for row in rows:
        out.write("  ".join(c.ljust(w) for c, w in zip(row, widths)) + "  " + row[3] + "\n")


class _Terminated(BaseException):
    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


def _raise_terminated(signum, frame):
    raise _Terminated(signum)


def main(argv: list[str] | None = None) -> int:
    """The ``dockeropt`` command. Returns the exit code (argparse exits by itself on bad options)."""
    import signal

    argv = sys.argv[1:] if argv is None else argv
    previous = {}
    for name in ("SIGTERM", "SIGHUP"):
        sig = getattr(signal, name, None)
        if sig is not None:
            try:
                previous[sig] = signal.signal(sig, _raise_terminated)
            except (ValueError, OSError):  # not the main thread
                pass
    try:
        if argv[:1] == ["verify"]:
            return verify_main(argv[1:])
        return _run(argv)
    except KeyboardInterrupt:
        _stderr_line("dockeropt: interrupted")
        return EXIT_INTERRUPTED
    except _Terminated as e:
        _stderr_line("dockeropt: terminated")
        return 128 + e.signum
    except BrokenPipeError:
        _silence_stdout()
        return EXIT_BROKEN_PIPE
    except Exception as e:  # noqa: BLE001 - one line, never a traceback, never exit 1
        if _debug():
            raise
        _stderr_line(f"dockeropt: internal error: {escape(f'{type(e).__name__}: {e}')}")
        return EXIT_ERROR
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _stderr_line(line: str) -> None:
    try:
        if sys.stderr.isatty():
            sys.stderr.write("\r\x1b[K")  # over a progress line
        sys.stderr.write(line + "\n")
        sys.stderr.flush()
    except (OSError, ValueError):
        pass


def _silence_stdout() -> None:
    """After EPIPE: point stdout at /dev/null so the interpreter's final flush does not complain."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass


class _Output:
    """stdout (bytes, so undecodable input bytes come out as they came in) and stderr (escaped
    messages) with an optional progress line on a terminal, cleared before anything else."""

    def __init__(self, out, err, progress: bool):
        self.out, self.err, self.progress = out, err, progress
        self._line = False

    def stdout(self, text: str) -> None:
        self.clear()
        buffer = getattr(self.out, "buffer", None)
        if buffer is None:
            self.out.write(text)
            return
        self.out.flush()
        buffer.write(text.encode("utf-8", "surrogateescape"))
        buffer.flush()

    def message(self, line: str) -> None:
        self.clear()
        self.err.write(line + "\n")
        self.err.flush()

    def step(self, i: int, total: int, name: str) -> None:
        if self.progress:
            shown = quote_path(name)
            shown = shown if len(shown) <= 60 else "..." + shown[-57:]
            self.err.write(f"\r\x1b[K[{i}/{total}] {shown}")
            self.err.flush()
            self._line = True

    def clear(self) -> None:
        if self._line:
            self.err.write("\r\x1b[K")
            self._line = False


def _run(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    if args.list_rules:
        list_rules(sys.stdout)
        return EXIT_OK
    err = sys.stderr
    if not args.paths:
        err.write("dockeropt: no PATH given (a file, a directory, or - for stdin); see --help\n")
        return EXIT_ERROR

    from dockeropt.report.diff import explain, unified_diff
    from dockeropt.syntax.errors import DockerfileSyntaxError

    select, ignore = _rule_names(args.select), _rule_names(args.ignore)
    problem = _check_rules(select, ignore, args.unsafe_fixes)
    if problem:
        err.write(f"dockeropt: {problem}\n")
        return EXIT_ERROR

    as_json = args.format == "json"
    errors = changed = 0
    report: list[dict] = []
    early: list[str] = []

    def found_error(path: str, message: str) -> None:
        nonlocal errors
        errors += 1
        early.append(f"{quote_path(path)}: {escape(message)}")
        report.append({"path": path, "error": {"line": 0, "column": 0, "message": message}})

    def found_note(path: str, message: str) -> None:
        early.append(f"{quote_path(path)}: note: {escape(message)}")

    files = discover(args.paths, on_note=found_note, on_error=found_error)
    progress = len(files) > PROGRESS_MIN_FILES and not as_json and _isatty(err)
    io = _Output(sys.stdout, err, progress)
    for line in early:
        io.message(line)
    if not files:
        io.message("dockeropt: no Dockerfiles found")
        return EXIT_ERROR

    from dockeropt.rewriter import engine

    for i, path in enumerate(files, 1):
        name = "<stdin>" if path == "-" else path
        shown = quote_path(name)
        io.step(i, len(files), name)
        try:
            outcome = _one_file(path, name, args, select, ignore, engine.rewrite)
        except DockerfileSyntaxError as e:
            errors += 1
            io.message(f"{shown}:{e.line}:{e.column}: {escape(e.message)}")
            report.append({"path": name, "error": {"line": e.line, "column": e.column, "message": e.message}})
            continue
        except _FileError as e:
            errors += 1
            io.message(f"{shown}: {escape(e.message)}")
            report.append({"path": name, "error": {"line": 0, "column": 0, "message": e.message}})
            continue
        except Exception as e:  # noqa: BLE001 - a bug: one line, the other files go on
            if _debug():
                raise
            errors += 1
            io.message(f"dockeropt: internal error in {shown}: {escape(f'{type(e).__name__}: {e}')}")
            report.append({"path": name, "error": {"line": 0, "column": 0,
                                                   "message": f"internal error: {type(e).__name__}: {e}"}})
            continue
        result, write_error = outcome
        for note in result.notes:
            io.message(f"{shown}: note: {escape(note)}")
        if result.changed and not write_error:  # with --write: files actually written
            changed += 1
        diff = ""
        if result.changed and (as_json or args.mode == "diff"):
            diff = unified_diff(name, result.original, result.text)
        entry = {
            "path": name,
            "changed": result.changed,
            "changes": [_diagnostic_json(c) for c in result.changes],
            "findings": [_diagnostic_json(f) for f in result.findings],
            "diff": diff,
        }
        if write_error:
            errors += 1
            entry["error"] = {"line": 0, "column": 0, "message": write_error}
            io.message(f"{shown}: {escape(write_error)}")
        report.append(entry)
        if args.mode == "write" and path == "-":
            if as_json:
                entry["text"] = result.text
            else:
                io.stdout(result.text)
        if as_json:
            continue
        if args.mode == "diff" and (result.changed or result.findings):
            io.stdout(explain(name, result.changes, result.findings) + diff)
        elif args.mode == "check" and result.changed:
            io.stdout(f"would rewrite {shown}\n")
        elif args.mode == "write" and result.changed and path != "-" and not write_error and not args.quiet:
            io.message(f"rewrote {shown}")
    io.clear()
    if as_json:
        import json

        io.stdout(json.dumps({"files": report}, indent=2) + "\n")
    if not args.quiet:
        verb = {"write": "rewritten", "check": "would be rewritten", "diff": "would be rewritten"}[args.mode]
        io.message(
            f"dockeropt: {len(files)} file(s) checked, {changed} {verb}"
            + (f", {errors} error(s)" if errors else "")
        )
    if errors:
        return EXIT_ERROR
    if args.mode == "check" and changed:
        return EXIT_CHANGES
    return EXIT_OK


class _FileError(Exception):
    """A file that cannot be read: ``message`` says why (shown after ``path:``)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _diagnostic_json(d) -> dict:
    return {"rule": d.rule, "line": d.line, "column": d.column, "end_line": d.end_line,
            "end_column": d.end_column, "message": d.message, "applicability": d.applicability}


def _read(path: str):
    """(text, bytes, status) of a file, or of stdin for ``-`` (status None). Raises _FileError."""
    from dockeropt.files import read_file

    limit = _max_bytes()
    try:
        if path == "-":
            data, st = sys.stdin.buffer.read(limit + 1), None
        else:
            data, st = read_file(path, limit)
    except OSError as e:
        raise _FileError(e.strerror or str(e)) from None
    if len(data) > limit:
        raise _FileError(
            f"larger than {limit:,} bytes, the most dockeropt reads (real Dockerfiles stay under 1 MB; "
            "DOCKEROPT_MAX_BYTES raises the limit)"
        )
    return data.decode("utf-8", "surrogateescape"), data, st


def _max_bytes() -> int:
    """Files are refused above this size, up front: time and memory grow linearly with the
    input (benchmarks/scaling.py), and 8 MiB is ~100x the largest public Dockerfile."""
    try:
        return max(1, int(os.environ.get("DOCKEROPT_MAX_BYTES", "")))
    except ValueError:
        return 8 << 20


def _one_file(path: str, name: str, args, select, ignore, rewrite):
    """Rewrite one file (and write it back with --write). -> (result, write error or None)."""
    from dockeropt.files import NotWritten, write_back

    text, data, st = _read(path)
    result = rewrite(
        text,
        select=select,
        ignore=ignore,
        unsafe=args.unsafe_fixes,
        cache_strategy=args.cache_strategy,
        path=name,
    )
    if args.mode != "write" or path == "-" or not result.changed:
        return result, None
    try:
        write_back(path, result.text.encode("utf-8", "surrogateescape"), data, st)
    except NotWritten as e:
        return result, f"not written: {e}"
    except OSError as e:
        return result, f"not written: {e.strerror or e}"
    return result, None


def _isatty(stream) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def build_verify_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="dockeropt verify",
        description="Build the original and the rewritten Dockerfile with a real engine and compare "
        "layers, bytes and file trees. Exit 0: same files, not bigger; 1: differs or bigger; "
        "2: cannot verify (no engine, base image missing, syntax error, unreadable file).",
    )
    p.add_argument("dockerfile", metavar="Dockerfile",
                   help="the Dockerfile to rewrite and verify (a path: stdin cannot be built)")
    p.add_argument("--engine", choices=("auto", "buildah", "podman", "docker"), default="auto",
                   help="build engine (auto: docker if a daemon answers, else podman, else buildah)")
    p.add_argument("--context", default=None, help="build context (default: the Dockerfile's directory)")
    p.add_argument("--format", choices=("text", "json", "markdown"), default="text",
                   help="report format (markdown for pull-request comments)")
    p.add_argument("--select", default="", help="comma-separated rule ids or hadolint codes to run (any case)")
    p.add_argument("--ignore", default="", help="comma-separated rule ids or hadolint codes to skip (any case)")
    p.add_argument("--unsafe-fixes", action="store_true", help="also apply rules marked unsafe")
    p.add_argument("--cache-strategy", choices=("clean", "mount"), default="clean",
                   help="delete package-manager caches (clean) or use BuildKit cache mounts (mount)")
    p.add_argument("--smoke", metavar="CMD", default=None,
                   help="run CMD in both images (as `docker run IMAGE CMD` would: after the ENTRYPOINT, else "
                        "instead of the CMD; \"\" runs the image's own) and require the same exit status and output; "
                        "needed to verify a multi-stage split")
    return p


def verify_main(argv: list[str]) -> int:
    """``dockeropt verify``: rewrite, then build both versions and compare the images."""
    args = build_verify_parser().parse_args(argv)
    err = sys.stderr
    if args.dockerfile == "-":
        err.write("dockeropt verify: verify needs a Dockerfile path, not - (stdin): it builds the file "
                  "in its build context; save the text to a file first\n")
        return EXIT_ERROR
    shown = quote_path(args.dockerfile)
    select, ignore = _rule_names(args.select), _rule_names(args.ignore)
    problem = _check_rules(select, ignore, args.unsafe_fixes)
    if problem:
        err.write(f"dockeropt verify: {problem}\n")
        return EXIT_ERROR

    from dockeropt.rewriter.engine import rewrite
    from dockeropt.syntax.errors import DockerfileSyntaxError

    try:
        text, _, _ = _read(args.dockerfile)
        result = rewrite(
            text,
            select=select,
            ignore=ignore,
            unsafe=args.unsafe_fixes,
            cache_strategy=args.cache_strategy,
            path=args.dockerfile,
        )
    except DockerfileSyntaxError as e:
        err.write(f"{shown}:{e.line}:{e.column}: {escape(e.message)}\n")
        return EXIT_ERROR
    except _FileError as e:
        err.write(f"{shown}: {escape(e.message)}\n")
        return EXIT_ERROR
    except Exception as e:  # noqa: BLE001
        if _debug():
            raise
        err.write(f"dockeropt: internal error in {shown}: {escape(f'{type(e).__name__}: {e}')}\n")
        return EXIT_ERROR
    if not result.changed:
        err.write(f"dockeropt verify: {shown}: no changes to verify\n")
        return EXIT_OK

    from dockeropt.verify.run import run_verify, stderr_progress

    code, output = run_verify(
        args.dockerfile,
        engine=args.engine,
        context_dir=args.context,
        rewritten_text=result.text,
        fmt=args.format,
        progress=stderr_progress,
        smoke=args.smoke,
        split=any(c.rule == "multi-stage" for c in result.changes),
    )
    sys.stdout.write(output)
    return code
