"""Command line: arguments, file discovery, output and exit codes. Nothing else.

Exit codes: 0 nothing to change (or changes written / shown), 1 changes found with --check,
2 an error (unreadable file, syntax error, bad option); other files are still processed.
"""

from __future__ import annotations

import argparse
import os
import sys

EXIT_OK, EXIT_CHANGES, EXIT_ERROR = 0, 1, 2
SKIP_DIRS = {".git", "node_modules", ".hg", ".svn", ".venv", "__pycache__"}


def is_dockerfile_name(name: str) -> bool:
    low = name.lower()
    return (
        low in ("dockerfile", "containerfile")
        or low.endswith(".dockerfile")
        or low.startswith("dockerfile.")
        or low.startswith("containerfile.")
    )


def discover(paths: list[str]) -> list[str]:
    """Files to process: files as given, directories searched recursively (sorted)."""
    out: list[str] = []
    for p in paths:
        if p == "-" or not os.path.isdir(p):
            out.append(p)
            continue
        found = []
        for root, dirs, files in os.walk(p):
            dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS)
            found.extend(os.path.join(root, f) for f in files if is_dockerfile_name(f))
        out.extend(sorted(found))
    return out


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="dockeropt",
        description="Find what makes Docker images big and builds slow, and rewrite the Dockerfile safely.",
        epilog="Exit codes: 0 nothing to change (or written), 1 changes found (--check), 2 error. "
        "Subcommand: 'dockeropt verify Dockerfile' builds before/after and compares the images.",
    )
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--diff", dest="mode", action="store_const", const="diff", help="show a unified diff (default)")
    mode.add_argument("--write", dest="mode", action="store_const", const="write", help="rewrite files in place")
    mode.add_argument("--check", dest="mode", action="store_const", const="check", help="exit 1 if anything would change")
    p.add_argument("--format", choices=("diff", "json"), default="diff", help="output format")
    p.add_argument("--select", default="", help="comma-separated rule ids or hadolint codes to run")
    p.add_argument("--ignore", default="", help="comma-separated rule ids or hadolint codes to skip")
    p.add_argument("--unsafe-fixes", action="store_true", help="also apply rules marked unsafe")
    p.add_argument("--cache-strategy", choices=("clean", "mount"), default="clean",
                   help="delete package-manager caches (clean) or use BuildKit cache mounts (mount)")
    p.add_argument("--list-rules", action="store_true", help="print the rules and exit")
    p.add_argument("-q", "--quiet", action="store_true", help="no summary line")
    p.add_argument("paths", nargs="*", metavar="PATH", help="file, directory, or - for stdin")
    p.set_defaults(mode="diff")
    return p


def _split(value: str) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()]


def _read(path: str) -> str:
    data = sys.stdin.buffer.read() if path == "-" else open(path, "rb").read()
    return data.decode("utf-8", "surrogateescape")


def write_atomic(path: str, text: str) -> None:
    """Replace ``path`` with ``text`` all at once (temp file + rename), keeping its mode."""
    import tempfile

    target = os.path.realpath(path)
    directory = os.path.dirname(target) or "."
    mode = os.stat(target).st_mode & 0o7777
    fd, tmp = tempfile.mkstemp(prefix=".dockeropt-", dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(text.encode("utf-8", "surrogateescape"))
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def list_rules(out) -> None:
    from dockeropt.rewriter.rules import ALL_RULES

    rows = [("rule", "hadolint", "fix", "summary")]
    for r in ALL_RULES:
        rows.append((r.id, ",".join(r.hadolint) or "-", "safe" if r.safe else "unsafe", r.summary))
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    for row in rows:
        out.write("  ".join(c.ljust(w) for c, w in zip(row, widths)) + "  " + row[3] + "\n")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["verify"]:
        return verify_main(argv[1:])
    args = build_parser().parse_args(argv)
    out, err = sys.stdout, sys.stderr
    if args.list_rules:
        list_rules(out)
        return EXIT_OK
    if not args.paths:
        err.write("dockeropt: no PATH given (a file, a directory, or - for stdin); see --help\n")
        return EXIT_ERROR

    from dockeropt.report.diff import explain, unified_diff
    from dockeropt.rewriter.engine import UnknownRuleError, rewrite, select_rules
    from dockeropt.syntax.errors import DockerfileSyntaxError

    try:
        select_rules(_split(args.select), _split(args.ignore), args.unsafe_fixes)
    except UnknownRuleError as e:
        err.write(f"dockeropt: {e} (see --list-rules)\n")
        return EXIT_ERROR

    files = discover(args.paths)
    if not files:
        err.write("dockeropt: no Dockerfiles found\n")
        return EXIT_ERROR
    progress = err.isatty() and len(files) > 20 and args.format != "json"
    errors = changed = 0
    report = []
    for i, path in enumerate(files, 1):
        name = "<stdin>" if path == "-" else path
        if progress:
            err.write(f"\r\x1b[K[{i}/{len(files)}] {name[-60:]}")
            err.flush()
        try:
            text = _read(path)
            result = rewrite(
                text,
                select=_split(args.select),
                ignore=_split(args.ignore),
                unsafe=args.unsafe_fixes,
                cache_strategy=args.cache_strategy,
                path=name,
            )
        except DockerfileSyntaxError as e:
            errors += 1
            _clear(progress, err)
            err.write(f"{name}:{e.line}:{e.column}: {e.message}\n")
            report.append({"path": name, "error": {"line": e.line, "column": e.column, "message": e.message}})
            continue
        except OSError as e:
            errors += 1
            _clear(progress, err)
            err.write(f"{name}: {e.strerror or e}\n")
            report.append({"path": name, "error": {"line": 0, "column": 0, "message": str(e.strerror or e)}})
            continue
        for note in result.notes:
            _clear(progress, err)
            err.write(f"{name}: note: {note}\n")
        wants_diff = args.format == "json" or args.mode == "diff"
        diff = unified_diff(name, result.original, result.text) if result.changed and wants_diff else ""
        if result.changed:
            changed += 1
        report.append({
            "path": name,
            "changed": result.changed,
            "changes": [
                {"rule": c.rule, "line": c.line, "end_line": c.end_line, "message": c.message}
                for c in result.changes
            ],
            "findings": [
                {"rule": f.rule, "line": f.line, "end_line": f.end_line, "message": f.message}
                for f in result.findings
            ],
            "diff": diff,
        })
        if args.mode == "write" and result.changed:
            if path == "-":
                out.write(result.text)
            else:
                try:
                    write_atomic(path, result.text)
                except OSError as e:
                    errors += 1
                    err.write(f"{name}: cannot write: {e.strerror or e}\n")
                    continue
        elif args.mode == "write" and path == "-":
            out.write(result.text)
        if args.format == "diff" and args.mode == "diff" and (result.changed or result.findings):
            _clear(progress, err)
            out.write(explain(name, [*result.changes, *result.findings]))
            out.write(diff)
    _clear(progress, err)
    if args.format == "json":
        import json

        json.dump({"files": report}, out, indent=2)
        out.write("\n")
    if not args.quiet:
        verb = {"write": "rewritten", "check": "would be rewritten", "diff": "would be rewritten"}[args.mode]
        err.write(
            f"dockeropt: {len(files)} file(s) checked, {changed} {verb}"
            + (f", {errors} error(s)" if errors else "")
            + "\n"
        )
    if errors:
        return EXIT_ERROR
    if args.mode == "check" and changed:
        return EXIT_CHANGES
    return EXIT_OK


def verify_main(argv: list[str]) -> int:
    """``dockeropt verify``: rewrite, then build both versions and compare the images."""
    p = argparse.ArgumentParser(
        prog="dockeropt verify",
        description="Build the original and the rewritten Dockerfile with a real engine and compare "
        "layers, bytes and file trees. Exit 0: same files, not bigger; 1: differs or bigger; "
        "2: cannot verify (no engine, base image missing, syntax error).",
    )
    p.add_argument("dockerfile", metavar="Dockerfile")
    p.add_argument("--engine", choices=("auto", "buildah", "podman", "docker"), default="auto")
    p.add_argument("--context", default=None, help="build context (default: the Dockerfile's directory)")
    p.add_argument("--format", choices=("text", "json", "markdown"), default="text")
    p.add_argument("--select", default="")
    p.add_argument("--ignore", default="")
    p.add_argument("--unsafe-fixes", action="store_true")
    p.add_argument("--cache-strategy", choices=("clean", "mount"), default="clean")
    args = p.parse_args(argv)

    from dockeropt.rewriter.engine import UnknownRuleError, rewrite
    from dockeropt.syntax.errors import DockerfileSyntaxError
    from dockeropt.verify.run import run_verify, stderr_progress

    try:
        result = rewrite(
            _read(args.dockerfile),
            select=_split(args.select),
            ignore=_split(args.ignore),
            unsafe=args.unsafe_fixes,
            cache_strategy=args.cache_strategy,
            path=args.dockerfile,
        )
    except DockerfileSyntaxError as e:
        sys.stderr.write(f"{args.dockerfile}:{e.line}:{e.column}: {e.message}\n")
        return EXIT_ERROR
    except (OSError, UnknownRuleError) as e:
        sys.stderr.write(f"dockeropt verify: {getattr(e, 'strerror', None) or e}\n")
        return EXIT_ERROR
    if not result.changed:
        sys.stderr.write(f"dockeropt verify: {args.dockerfile}: no changes to verify\n")
        return EXIT_OK
    code, output = run_verify(
        args.dockerfile,
        engine=args.engine,
        context_dir=args.context,
        rewritten_text=result.text,
        fmt=args.format,
        progress=stderr_progress,
    )
    sys.stdout.write(output)
    return code


def _clear(progress: bool, err) -> None:
    if progress:
        err.write("\r\x1b[K")
