"""Processing files: read, rewrite, write back (``--write``), and the format's part of each.

Files are processed one at a time in this process, or with ``--jobs N`` by N worker processes
(forked where the platform allows, so nothing is imported twice). Either way the results come
back in the order the files were found, and what is printed is built from them alone, so the
output is byte-identical whatever N is. Paths that are the same file (a symbolic link and its
target) go to the same worker, one after the other, as they would without workers.

Workers ignore SIGINT: on Ctrl-C the main process stops handing out files, lets the files being
processed finish (a file being replaced is never left half-written) and exits 130.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field

from dockeropt.report.quote import escape, quote_path

# Below this many files the pool costs more than it saves (and pre-commit runs on a few files).
MIN_PARALLEL_FILES = 8


@dataclass(frozen=True)
class Settings:
    """The options for one file: the command line over its configuration file."""

    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    unsafe: bool = False
    cache_strategy: str = "clean"


@dataclass(frozen=True)
class Job:
    path: str  # as given or found; "-" is standard input
    settings: Settings = Settings()


@dataclass(frozen=True)
class Plan:
    """What every file of a run shares (sent once to each worker)."""

    mode: str = "diff"  # diff | check | write
    fmt: str = "diff"
    context: str | None = None  # --context DIR (else each Dockerfile's own directory)
    fmt_options: dict = field(default_factory=dict)
    quiet: bool = False
    verbose: bool = False
    debug: bool = False


@dataclass
class Done:
    """One file processed: stderr lines (escaped), the format's part, and the counts."""

    messages: list[str]
    part: object
    changed: bool  # would change; with --write: was written
    error: bool


class ReadError(Exception):
    """A file that cannot be read: ``message`` says why (shown after ``path:``)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def max_bytes() -> int:
    """Files are refused above this size, up front: time and memory grow linearly with the
    input (benchmarks/scaling.py), and 8 MiB is ~100x the largest public Dockerfile."""
    try:
        return max(1, int(os.environ.get("DOCKEROPT_MAX_BYTES", "")))
    except ValueError:
        return 8 << 20


def read_text(path: str):
    """(text, bytes, status) of a file, or of stdin for ``-`` (status None). Raises ReadError."""
    from dockeropt.files import read_file

    limit = max_bytes()
    try:
        if path == "-":
            data, st = sys.stdin.buffer.read(limit + 1), None
        else:
            data, st = read_file(path, limit)
    except OSError as e:
        raise ReadError(e.strerror or str(e)) from None
    if len(data) > limit:
        raise ReadError(
            f"larger than {limit:,} bytes, the most dockeropt reads (real Dockerfiles stay under 1 MB; "
            "DOCKEROPT_MAX_BYTES raises the limit)"
        )
    return data.decode("utf-8", "surrogateescape"), data, st


def build_context(path: str, context_dir: str | None):
    """The build context of a Dockerfile: ``--context``, else its directory; for stdin only
    ``--context``. Nothing is read until a rule asks."""
    from dockeropt.model.context import BuildContext

    if path == "-":
        return BuildContext(context_dir) if context_dir is not None else None
    return BuildContext(context_dir if context_dir is not None else (os.path.dirname(path) or "."), path)


def rewrite_file(job: Job, plan: Plan):
    """Rewrite one file (and write it back with --write). -> (result, write error or None)."""
    from dockeropt.files import NotWritten, write_back
    from dockeropt.rewriter.engine import rewrite

    path, s = job.path, job.settings
    name = "<stdin>" if path == "-" else path
    text, data, st = read_text(path)
    result = rewrite(
        text,
        select=list(s.select),
        ignore=list(s.ignore),
        unsafe=s.unsafe,
        cache_strategy=s.cache_strategy,
        path=name,
        context=build_context(path, plan.context),
    )
    if plan.mode != "write" or path == "-" or not result.changed:
        return result, None
    try:
        write_back(path, result.text.encode("utf-8", "surrogateescape"), data, st)
    except NotWritten as e:
        return result, f"not written: {e}"
    except OSError as e:
        return result, f"not written: {e.strerror or e}"
    return result, None


def process(job: Job, plan: Plan) -> Done:
    """One file, start to end; never raises for a problem with the file (only with DEBUG)."""
    import time

    from dockeropt.report.common import FileError, FileReport, module
    from dockeropt.syntax.errors import DockerfileSyntaxError

    started = time.perf_counter()
    stdin = job.path == "-"
    name = "<stdin>" if stdin else job.path
    shown = quote_path(name)
    messages: list[str] = []
    report = FileReport(name, mode=plan.mode, stdin=stdin)
    written_ok = False
    try:
        result, write_error = rewrite_file(job, plan)
    except DockerfileSyntaxError as e:
        report.error = FileError(e.message, e.line, e.column, "syntax")
        messages.append(f"{shown}:{e.line}:{e.column}: {escape(e.message)}")
    except ReadError as e:
        report.error = FileError(e.message, kind="read")
        messages.append(f"{shown}: {escape(e.message)}")
    except Exception as e:  # noqa: BLE001 - a bug: one line, the other files go on
        if plan.debug:
            raise
        report.error = FileError(f"internal error: {type(e).__name__}: {e}", kind="internal")
        messages.append(f"dockeropt: internal error in {shown}: {escape(f'{type(e).__name__}: {e}')}")
    else:
        report.result = result
        messages += [f"{shown}: note: {escape(note)}" for note in result.notes]
        if write_error:
            report.error = FileError(write_error, kind="write")
            messages.append(f"{shown}: {escape(write_error)}")
        written_ok = result.changed and not write_error
        if plan.mode == "write" and written_ok and not stdin and not plan.quiet:
            messages.append(f"rewrote {shown}")
    try:
        part = module(plan.fmt).file(report, plan.fmt_options)
    except Exception as e:  # noqa: BLE001
        if plan.debug:
            raise
        messages.append(f"dockeropt: internal error in {shown}: {escape(f'{type(e).__name__}: {e}')}")
        report.error = report.error or FileError(f"internal error: {type(e).__name__}: {e}", kind="internal")
        part = module(plan.fmt).file(FileReport(name, error=report.error, mode=plan.mode, stdin=stdin),
                                     plan.fmt_options)
    if plan.verbose:
        if report.result is not None:
            r = report.result
            what = f"{len(r.changes)} change(s), {len(r.findings)} finding(s)" if (r.changes or r.findings) else "nothing to change"
        else:
            what = "not processed"
        messages.append(f"{shown}: {what} ({(time.perf_counter() - started) * 1000:.0f} ms)")
    return Done(messages, part, written_ok, report.error is not None)


# --- in parallel -----------------------------------------------------------------------------

_PLAN: Plan | None = None


def _init_worker(plan: Plan) -> None:
    import signal

    global _PLAN
    _PLAN = plan
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the main process decides
    for name in ("SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), signal.SIG_DFL)


def _work(group: list[tuple[int, Job]]) -> list[tuple[int, Done]]:
    assert _PLAN is not None
    return [(i, process(job, _PLAN)) for i, job in group]


def default_jobs() -> int:
    """The cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def run(jobs: list[Job], plan: Plan, workers: int, on_done) -> None:
    """Process every job; ``on_done(index, done)`` is called in the jobs' order."""
    if workers <= 1 or len(jobs) < MIN_PARALLEL_FILES or any(j.path == "-" for j in jobs):
        for i, job in enumerate(jobs):
            on_done(i, process(job, plan))
        return
    _run_parallel(jobs, plan, workers, on_done)


def _groups(jobs: list[Job]) -> list[list[tuple[int, Job]]]:
    """Jobs in order, those naming the same file together (in the first one's place)."""
    groups: list[list[tuple[int, Job]]] = []
    where: dict[str, list[tuple[int, Job]]] = {}
    for i, job in enumerate(jobs):
        key = os.path.realpath(job.path)
        if key in where:
            where[key].append((i, job))
        else:
            where[key] = [(i, job)]
            groups.append(where[key])
    return groups


def _run_parallel(jobs: list[Job], plan: Plan, workers: int, on_done) -> None:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    # the engine and the rules, imported once here and inherited by forked workers
    import dockeropt.rewriter.engine  # noqa: F401
    import dockeropt.rewriter.rules  # noqa: F401
    from dockeropt.report.common import module

    module(plan.fmt)
    import gc

    gc.freeze()  # what is imported now is shared with the forked workers, not copied by the collector
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods and sys.platform != "darwin" else None)
    groups = _groups(jobs)
    workers = min(workers, len(groups))
    chunk = max(1, min(16, len(groups) // (workers * 8)))
    executor = ProcessPoolExecutor(max_workers=workers, mp_context=context,
                                   initializer=_init_worker, initargs=(plan,))
    pending: dict[int, Done] = {}
    upto = 0
    try:
        for results in executor.map(_work, groups, chunksize=chunk):
            for i, done in results:
                pending[i] = done
            while upto in pending:
                on_done(upto, pending.pop(upto))
                upto += 1
    finally:
        executor.shutdown(wait=True, cancel_futures=True)
