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
    from dockeropt.report.common import FORMATS

    p = argparse.ArgumentParser(
        prog="dockeropt",
        description="Find what makes Docker images big and builds slow, and rewrite the Dockerfile safely.",
        epilog="Exit codes: 0 nothing to change (or written), 1 changes found (--check), 2 error "
        "(130 interrupted, 143 terminated). Directories are searched for Dockerfile, Containerfile, "
        "Dockerfile.<x>, Dockerfile-<x>, Dockerfile_<x>, <x>.Dockerfile, <x>.dockerfile, leaving out "
        "what .gitignore and exclude patterns leave out. Configuration: [tool.dockeropt] in "
        "pyproject.toml or .dockeropt.toml, found upward from each file. "
        "Subcommand: 'dockeropt verify Dockerfile' builds before/after and compares the images.",
    )
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--diff", dest="mode", action="store_const", const="diff", help="show a unified diff (default)")
    mode.add_argument("--write", dest="mode", action="store_const", const="write",
                      help="rewrite files in place (atomically; - writes the result to stdout)")
    mode.add_argument("--check", dest="mode", action="store_const", const="check",
                      help="list the files that would change ('would rewrite PATH'); exit 1 if any")
    out = p.add_argument_group("output")
    out.add_argument("--format", choices=FORMATS, default="diff",
                     help="diff: reasons and diffs (default); json: one document (--json-schema); "
                     "sarif: SARIF 2.1.0; rdjson: reviewdog suggestions; github: workflow annotations; "
                     "markdown: a pull-request comment")
    out.add_argument("--color", choices=("auto", "always", "never"), default="auto",
                     help="colour the diff: auto = when stdout is a terminal and NO_COLOR is unset")
    out.add_argument("--verify-report", action="append", default=[], metavar="FILE",
                     help="a 'dockeropt verify --format json' report; markdown shows its savings (repeatable)")
    out.add_argument("--json-schema", action="store_true", help="print the JSON Schema of --format json and exit")
    out.add_argument("-q", "--quiet", action="store_true", help="no summary line and no 'rewrote PATH' lines")
    out.add_argument("-v", "--verbose", action="store_true",
                     help="also say which configuration applies, what was skipped and why, and each file's outcome")
    rules = p.add_argument_group("rules (the command line wins over configuration files)")
    rules.add_argument("--select", default=None, help="comma-separated rule ids or hadolint codes to run (any case)")
    rules.add_argument("--ignore", default=None, help="comma-separated rule ids or hadolint codes to skip (any case)")
    rules.add_argument("--unsafe-fixes", action=argparse.BooleanOptionalAction, default=None,
                       help="also apply fixes marked unsafe")
    rules.add_argument("--cache-strategy", choices=("clean", "mount"), default=None,
                       help="delete package-manager caches (clean, default) or use BuildKit cache mounts (mount)")
    rules.add_argument("--list-rules", action="store_true", help="print the rules and exit")
    files = p.add_argument_group("files")
    files.add_argument("--exclude", action="append", default=[], metavar="PATTERN",
                       help="leave out paths matching this .gitignore-style pattern in directory searches "
                       "(repeatable; adds to the configuration's exclude)")
    files.add_argument("--force-exclude", action="store_const", const=True, default=None,
                       help="apply exclude patterns to files named on the command line too (for pre-commit)")
    files.add_argument("--respect-gitignore", action=argparse.BooleanOptionalAction, default=None,
                       help="leave out what .gitignore leaves out, inside git work trees (default: yes)")
    files.add_argument("--config", default=None, metavar="FILE",
                       help="use this configuration file (pyproject.toml or .dockeropt.toml) for every file")
    files.add_argument("--isolated", action="store_true", help="read no configuration file")
    files.add_argument("--context", metavar="DIR", default=None,
                       help="build context of the Dockerfiles (default: each Dockerfile's directory; none for stdin)")
    files.add_argument("--dockerignore", action="store_true",
                       help="propose a .dockerignore for each Dockerfile's build context instead of rewriting the "
                       "Dockerfile: a diff (default), --write writes it, --check lists it")
    files.add_argument("-j", "--jobs", type=_positive_int, default=0, metavar="N",
                       help="process files in N processes (default: the number of cores); output is the same")
    p.add_argument("--version", action="version", version=f"dockeropt {__version__}",
                   help="print the version and exit")
    p.add_argument("paths", nargs="*", metavar="PATH", help="file, directory (searched), or - for stdin")
    p.set_defaults(mode="diff")
    return p


def _positive_int(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {value!r}") from None
    if n < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return n


def _rule_names(value: str | None) -> list[str]:
    """Rule ids and hadolint codes in any case (``dl3059``), spelled as the registry spells them."""
    from dockeropt.config import rule_names

    return rule_names(value or "")


def _check_rules(select: list[str], ignore: list[str], unsafe: bool) -> str | None:
    """An error message for a bad --select/--ignore, else None. (An unsafe rule selected without
    --unsafe-fixes is no error: its diagnostics are shown, with the fix it would make.)"""
    from dockeropt.rewriter.engine import UnknownRuleError, select_rules

    try:
        select_rules(select, ignore, unsafe)
    except UnknownRuleError as e:
        return f"{e} (see --list-rules)"
    return None


def _settings(path: str, conf, select, ignore, unsafe, cache_strategy):
    """A file's options: the command line (None: not given) over its configuration ``conf``.
    --select replaces the configuration's select and ignore; per-file-ignores still apply."""
    from dockeropt.runner import Settings

    chosen = select if select is not None else list(conf.select or ())
    if ignore is not None:
        dropped = list(ignore)
    else:
        dropped = [] if select is not None else list(conf.ignore or ())
    if path != "-":
        dropped += [r for r in conf.ignored_rules(path) if r not in dropped]
    return Settings(
        select=tuple(chosen),
        ignore=tuple(dropped),
        unsafe=unsafe if unsafe is not None else bool(conf.unsafe_fixes),
        cache_strategy=cache_strategy or conf.cache_strategy or "clean",
    )


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


GC_THRESHOLDS = (100_000, 50, 50)


def main(argv: list[str] | None = None) -> int:
    """The ``dockeropt`` command. Returns the exit code (argparse exits by itself on bad options)."""
    import gc
    import signal

    # Parsing makes many small objects and few reference cycles: with CPython's default
    # thresholds (700, 10, 10) the cyclic collector took ~18% of a run over 1,366 files. A
    # larger young generation (as mypy does) collects the same cycles, a little later.
    gc.set_threshold(*GC_THRESHOLDS)

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
    messages) with a progress bar on a terminal, cleared before anything else is printed."""

    def __init__(self, out, err, progress_total: int = 0):
        self.out, self.err = out, err
        self.bar = None
        if progress_total:
            from dockeropt.progress import Bar  # only for long runs on a terminal

            self.bar = Bar(err, progress_total)

    def stdout(self, text: str) -> None:
        if not text:
            return
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

    def step(self, done: int, name: str) -> None:
        if self.bar is not None:
            self.bar.update(done, name)

    def clear(self) -> None:
        if self.bar is not None:
            self.bar.clear()


def _use_color(choice: str, stream) -> bool:
    if choice != "auto":
        return choice == "always"
    return _isatty(stream) and not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb"


def _load_verify_reports(paths: list[str]) -> dict:
    """realpath of each verified Dockerfile -> its report. Raises ValueError (one line)."""
    import json

    out = {}
    for path in paths:
        try:
            with open(path, encoding="utf-8") as f:
                data = json.load(f)
        except OSError as e:
            raise ValueError(f"{path}: cannot read: {e.strerror or e}") from None
        except ValueError as e:
            raise ValueError(f"{path}: not JSON: {e}") from None
        for rep in data if isinstance(data, list) else [data]:
            if not isinstance(rep, dict) or "dockerfile" not in rep:
                raise ValueError(f"{path}: not a 'dockeropt verify --format json' report")
            out[os.path.realpath(rep["dockerfile"])] = rep
    return out


def _run(argv: list[str]) -> int:
    import time

    started = time.perf_counter()
    args = build_parser().parse_args(argv)
    out, err = sys.stdout, sys.stderr
    if args.list_rules:
        list_rules(out)
        return EXIT_OK
    if args.json_schema:
        from dockeropt.report.json_doc import schema_text

        out.write(schema_text())
        return EXIT_OK

    def fail(message: str) -> int:
        _stderr_line(f"dockeropt: {message}")
        return EXIT_ERROR

    if not args.paths:
        return fail("no PATH given (a file, a directory, or - for stdin); see --help")
    cli_select = _rule_names(args.select) if args.select is not None else None
    cli_ignore = _rule_names(args.ignore) if args.ignore is not None else None
    problem = _check_rules(cli_select or [], cli_ignore or [], bool(args.unsafe_fixes))
    if problem:
        return fail(problem)
    if args.mode == "write" and "-" in args.paths and args.format not in ("diff", "json"):
        return fail(f"--write - prints the rewritten file on stdout, where --format {args.format} "
                    "prints its report; use --format diff or json (its 'text' field)")
    if args.exclude:
        from dockeropt.config import check_patterns

        try:
            check_patterns(tuple(args.exclude), "--exclude")
        except ValueError as e:
            return fail(str(e))
    try:
        verify_reports = _load_verify_reports(args.verify_report)
    except ValueError as e:
        return fail(f"--verify-report {e}")
    if args.config and not os.path.isfile(args.config):
        return fail(f"--config {args.config}: no such file")
    if args.context is not None and not os.path.isdir(args.context):
        return fail(f"--context {quote_path(args.context)}: not a directory")
    if args.dockerignore:
        from dockeropt.rewriter.dockerignore import run_cli
        from dockeropt.runner import ReadError, build_context, read_text

        args.unsafe_fixes = bool(args.unsafe_fixes)
        return run_cli(args, discover, build_context, read_text, ReadError)

    from dockeropt.config import Finder
    from dockeropt.ignore import PathFilter

    finder = Finder(explicit=args.config, isolated=args.isolated)
    path_filter = PathFilter(finder, tuple(args.exclude), args.respect_gitignore)
    early: list[str] = []
    skipped: list[str] = []
    unreadable: list[tuple[str, str]] = []  # directories a search could not read: reported too

    def found_error(path: str, message: str) -> None:
        unreadable.append((path, message))
        early.append(f"{quote_path(path)}: {escape(message)}")

    def found_note(path: str, message: str) -> None:
        early.append(f"{quote_path(path)}: note: {escape(message)}")

    def skip(path: str, is_dir: bool) -> bool:
        why = path_filter.reason(path, is_dir)
        if why and args.verbose:
            skipped.append(f"{quote_path(path)}: skipped ({escape(why)})")
        return why is not None

    files = discover(args.paths, on_note=found_note, on_error=found_error, skip=skip)
    given = {p for p in args.paths if p == "-" or not os.path.isdir(p)}
    jobs = []
    from dockeropt.runner import Job, Plan, default_jobs, run

    for path in files:
        conf = finder.for_path(path)
        force = args.force_exclude if args.force_exclude is not None else conf.force_exclude
        if path in given and path != "-" and force:
            why = path_filter.reason(path, False, gitignore=False)
            if why:
                if args.verbose:
                    skipped.append(f"{quote_path(path)}: skipped ({escape(why)})")
                continue
        settings = _settings(path, conf, cli_select, cli_ignore, args.unsafe_fixes, args.cache_strategy)
        jobs.append(Job(path, settings))
    if finder.errors:
        for e in finder.errors:
            _stderr_line(escape(str(e)))
        return EXIT_ERROR
    if args.verbose:
        from collections import Counter

        used = Counter(finder.for_path(job.path).path for job in jobs)
        early += [f"dockeropt: configuration {quote_path(p)} for {n} file(s)" if p else
                  f"dockeropt: no configuration file (defaults) for {n} file(s)" for p, n in used.items()]
        early += skipped
    for line in early:
        _stderr_line(line)
    if not jobs:
        if files:  # every file found was excluded: nothing to do is no error
            if not args.quiet:
                _stderr_line(f"dockeropt: all {len(files)} file(s) excluded")
            return EXIT_ERROR if unreadable else EXIT_OK
        _stderr_line("dockeropt: no Dockerfiles found")
        return EXIT_ERROR

    from dockeropt.report.common import FileError, FileReport, RunInfo, module

    fmt = module(args.format)
    plan = Plan(
        mode=args.mode,
        fmt=args.format,
        fmt_options={"color": _use_color(args.color, out)},
        quiet=args.quiet,
        verbose=args.verbose,
        debug=_debug(),
        context=args.context,
    )
    show_progress = len(jobs) > PROGRESS_MIN_FILES and not args.quiet and _isatty(err)
    io = _Output(out, err, len(jobs) if show_progress else 0)
    parts: list = []
    changed = 0
    errors = len(unreadable)
    for path, message in unreadable:
        part = fmt.file(FileReport(path, error=FileError(message, kind="read"), mode=args.mode), plan.fmt_options)
        if fmt.STREAM:
            io.stdout(part)
        else:
            parts.append(part)

    def on_done(i: int, done) -> None:
        nonlocal changed, errors
        for line in done.messages:
            io.message(line)
        if fmt.STREAM:
            io.stdout(done.part)
        else:
            parts.append(done.part)
        changed += done.changed
        errors += done.error
        io.step(i + 1, jobs[i].path)

    try:
        run(jobs, plan, args.jobs or default_jobs(), on_done)
    finally:
        io.clear()
    if not fmt.STREAM:
        info = RunInfo(mode=args.mode, files=len(jobs), changed=changed, errors=errors, verify=verify_reports)
        io.stdout(fmt.document(parts, info, plan.fmt_options))
    if not args.quiet:
        verb = {"write": "rewritten", "check": "would be rewritten", "diff": "would be rewritten"}[args.mode]
        io.message(
            f"dockeropt: {len(jobs)} file(s) checked, {changed} {verb}"
            + (f", {errors} error(s)" if errors else "")
            + f" in {time.perf_counter() - started:.2f} s"
        )
    if errors:
        return EXIT_ERROR
    if args.mode == "check" and changed:
        return EXIT_CHANGES
    return EXIT_OK


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
    p.add_argument("--touch", metavar="PATH", default=None,
                   help="also build each version twice with the layer cache, editing PATH (relative to the "
                   "context, in a temporary copy) in between, and report which steps the second build re-runs")
    p.add_argument("--format", choices=("text", "json", "markdown"), default="text",
                   help="report format (markdown for pull-request comments)")
    p.add_argument("--select", default=None, help="comma-separated rule ids or hadolint codes to run (any case)")
    p.add_argument("--ignore", default=None, help="comma-separated rule ids or hadolint codes to skip (any case)")
    p.add_argument("--unsafe-fixes", action=argparse.BooleanOptionalAction, default=None,
                   help="also apply fixes marked unsafe")
    p.add_argument("--cache-strategy", choices=("clean", "mount"), default=None,
                   help="delete package-manager caches (clean, default) or use BuildKit cache mounts (mount)")
    p.add_argument("--config", default=None, metavar="FILE",
                   help="use this configuration file instead of the one found upward from the Dockerfile")
    p.add_argument("--isolated", action="store_true", help="read no configuration file")
    p.add_argument("--base-images", action="store_true",
                   help="only print the images the Dockerfile builds FROM (one a line), to pull them first: "
                   "verify never pulls")
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
    if args.base_images:
        from dockeropt.runner import ReadError, read_text
        from dockeropt.verify.bases import external_images

        try:
            text, _, _ = read_text(args.dockerfile)
        except ReadError as e:
            err.write(f"{shown}: {escape(e.message)}\n")
            return EXIT_ERROR
        sys.stdout.write("".join(f"{ref}\n" for ref in external_images(text)))
        return EXIT_OK
    select = _rule_names(args.select) if args.select is not None else None
    ignore = _rule_names(args.ignore) if args.ignore is not None else None
    problem = _check_rules(select or [], ignore or [], bool(args.unsafe_fixes))
    if problem:
        err.write(f"dockeropt verify: {problem}\n")
        return EXIT_ERROR
    if args.config and not os.path.isfile(args.config):
        err.write(f"dockeropt verify: --config {args.config}: no such file\n")
        return EXIT_ERROR

    from dockeropt.config import Finder
    from dockeropt.runner import Job, Plan, ReadError, rewrite_file
    from dockeropt.syntax.errors import DockerfileSyntaxError

    finder = Finder(explicit=args.config, isolated=args.isolated)
    conf = finder.for_path(args.dockerfile)  # the same options as a normal run on this file
    if finder.errors:
        for e in finder.errors:
            err.write(escape(str(e)) + "\n")
        return EXIT_ERROR
    settings = _settings(args.dockerfile, conf, select, ignore, args.unsafe_fixes, args.cache_strategy)
    try:
        result, _ = rewrite_file(Job(args.dockerfile, settings), Plan(mode="diff", context=args.context))
    except DockerfileSyntaxError as e:
        err.write(f"{shown}:{e.line}:{e.column}: {escape(e.message)}\n")
        return EXIT_ERROR
    except ReadError as e:
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
        touch=args.touch,
        smoke=args.smoke,
        split=any(c.rule == "multi-stage" for c in result.changes),
    )
    sys.stdout.write(output)
    return code
