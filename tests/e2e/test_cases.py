"""Each directory under cases/ is a Dockerfile, its build context and a case.toml:

    description = "..."
    changed = true | false | "any"   # must the rewrite change the file?
    rules = ["merge-runs"]           # optional: rewrite(select=...)
    ignore = [...]                   # optional: rewrite(ignore=...)
    unsafe = false                   # optional: rewrite(unsafe=...)
    expect_rules = ["merge-runs"]    # optional: rule ids that must be among the changes
    expect_smaller = true            # optional: uncompressed bytes must shrink
    expect = "build" | "fail"        # optional, default "build": must the ORIGINAL build?
    fail_line = 5                    # with expect = "fail": the original line it must fail at
    build = false                    # optional: check the rewrite only (heredocs, no alpine base)
    reason = "..."                   # why not built

expect = "build": a changed file is built before and after with buildah; the test passes when
both build, the file trees and image configs match (caches and logs aside), and neither layers
nor bytes grew.  An unchanged file is built once, to prove the case itself is sound.

expect = "fail": the original must fail (at ``fail_line`` when given: a RUN exits non-zero or
another instruction fails, not the engine), and the rewritten file must fail at the
corresponding step: ``verify`` exits 0 with both builds failing.  An unchanged file is built
once and must fail there.  A rewrite that hides the failure (the rewritten file builds), or
moves it to another step, fails the test.
"""

from __future__ import annotations

import difflib
import time
import tomllib
from pathlib import Path

import pytest

from dockeropt.verify import read_failure, verify
from dockeropt.verify.errors import BuildFailed

CASES = Path(__file__).parent / "cases"
CASE_DIRS = sorted(p for p in CASES.iterdir() if (p / "Dockerfile").is_file())


def load_case(d: Path) -> dict:
    with open(d / "case.toml", "rb") as f:
        case = tomllib.load(f)
    with open(d / "Dockerfile", encoding="utf-8", newline="") as f:
        case["text"] = f.read()
    return case


def _diff(a: str, b: str) -> str:
    return "".join(difflib.unified_diff(a.splitlines(True), b.splitlines(True), "original", "rewritten"))


@pytest.mark.e2e
@pytest.mark.parametrize("case_dir", CASE_DIRS, ids=[d.name for d in CASE_DIRS])
def test_case(case_dir: Path, request, e2e_results):
    from dockeropt.rewriter import rewrite

    case = load_case(case_dir)
    t0 = time.monotonic()
    result = rewrite(case["text"], select=case.get("rules"), ignore=case.get("ignore"), unsafe=case.get("unsafe", False))
    changed = result.text != case["text"]
    fired = [getattr(c, "rule", str(c)) for c in result.changes]
    expected = case.get("changed", True)
    if expected != "any":
        assert changed == expected, (
            f"{case_dir.name}: expected changed={expected}, got {changed} (rules {fired})\n"
            + _diff(case["text"], result.text)
        )
    for rule in case.get("expect_rules", []):
        assert rule in fired, f"{case_dir.name}: rule {rule} did not fire (fired: {fired})"
    if changed:
        # A rewrite must keep the file's line endings.
        assert ("\r\n" in result.text) == ("\r\n" in case["text"]), "line endings changed"

    expect = case.get("expect", "build")
    assert expect in ("build", "fail"), f"{case_dir.name}: expect must be 'build' or 'fail', not {expect!r}"
    fail_line = case.get("fail_line")
    record = {"case": case_dir.name, "changed": changed, "rules": fired, "expect": expect}
    if not case.get("build", True):
        record.update(seconds=time.monotonic() - t0, result="rewrite only", build=case.get("reason", "not built"))
        e2e_results.append(record)
        return

    engine = request.getfixturevalue("e2e_engine")
    layer_cache = request.getfixturevalue("layer_cache")
    if not changed:
        tag = f"localhost/dockeropt-e2e-{case_dir.name}"
        t_build = time.monotonic()
        try:
            built = engine.build(case["text"], case_dir, tag, progress=print)
        except BuildFailed as e:
            failure = read_failure(case["text"], e.log, e.step_lines)
            record.update(seconds=time.monotonic() - t0, build=f"{time.monotonic() - t_build:.1f}",
                          result=f"unchanged, fails at {failure.where()}")
            e2e_results.append(record)
            assert expect == "fail", f"{case_dir.name}: the original does not build:\n{e.log[-3000:]}"
            assert failure.kind == "step", f"{case_dir.name}: the engine could not run the build: {failure.reason}"
            if fail_line is not None:
                assert failure.step.line == fail_line, (
                    f"{case_dir.name}: expected to fail at line {fail_line}, fails at {failure.where()}: {failure.reason}"
                )
            return
        engine.remove(built.tag)
        record.update(seconds=time.monotonic() - t0, result="unchanged, builds", build=f"{built.seconds:.1f}")
        e2e_results.append(record)
        assert expect == "build", f"{case_dir.name}: the original must fail (expect = 'fail') but it builds"
        return

    report = verify(
        case["text"],
        result.text,
        engine=engine,
        context_dir=case_dir,
        progress=print,
        dockerfile_name=f"{case_dir.name}/Dockerfile",
        layer_cache=layer_cache,
    )
    print(report.to_text())
    d = report.to_dict()
    ob, nb = report.original_build, report.rewritten_build
    record.update(
        seconds=time.monotonic() - t0,
        original=d["original"],
        rewritten=d["rewritten"],
        result="verified" if report.verified else "NOT verified",
    )
    if report.any_failed:
        record.update(
            build=f"{ob.seconds:.1f} + {nb.seconds:.1f}",
            result=("verified: " if report.verified else "NOT verified: ")
            + f"original {'builds' if ob.built else 'fails at ' + ob.failure.where()}, "
            + f"rewritten {'builds' if nb.built else 'fails at original ' + (nb.original_label or '?')}",
        )
    e2e_results.append(record)
    explain = report.to_text() + "\n" + _diff(case["text"], result.text)
    if expect == "build":
        assert ob.built, f"{case_dir.name}: the original must build (expect = 'build')\n" + explain
    else:
        assert not ob.built, f"{case_dir.name}: the original must fail (expect = 'fail') but it builds\n" + explain
        assert ob.failure.kind == "step", explain
        if fail_line is not None:
            assert ob.failure.step.line == fail_line, (
                f"{case_dir.name}: expected the original to fail at line {fail_line}, it fails at "
                f"{ob.failure.where()}\n" + explain
            )
        assert not nb.built, f"{case_dir.name}: the rewrite hides the failure\n" + explain
    assert report.exit_code == 0, explain
    if case.get("expect_smaller"):
        assert report.rewritten.uncompressed_bytes < report.original.uncompressed_bytes, report.to_text()
