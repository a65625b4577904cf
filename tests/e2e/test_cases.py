"""Each directory under cases/ is a Dockerfile, its build context and a case.toml:

    description = "..."
    changed = true | false | "any"   # must the rewrite change the file?
    rules = ["merge-runs"]           # optional: rewrite(select=...)
    ignore = [...]                   # optional: rewrite(ignore=...)
    unsafe = false                   # optional: rewrite(unsafe=...)
    expect_rules = ["merge-runs"]    # optional: rule ids that must be among the changes
    expect_smaller = true            # optional: uncompressed bytes must shrink
    build = false                    # optional: check the rewrite only (heredocs, no alpine base)
    reason = "..."                   # why not built

A changed file is built before and after with buildah; the test passes when both build, the file
trees and image configs match (caches and logs aside), and neither layers nor bytes grew.  An
unchanged file is built once, to prove the case itself is sound.
"""

from __future__ import annotations

import difflib
import time
import tomllib
from pathlib import Path

import pytest

from dockeropt.verify import verify

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

    record = {"case": case_dir.name, "changed": changed, "rules": fired}
    if not case.get("build", True):
        record.update(seconds=time.monotonic() - t0, result="rewrite only", build=case.get("reason", "not built"))
        e2e_results.append(record)
        return

    engine = request.getfixturevalue("e2e_engine")
    layer_cache = request.getfixturevalue("layer_cache")
    if not changed:
        built = engine.build(case["text"], case_dir, f"localhost/dockeropt-e2e-{case_dir.name}", progress=print)
        engine.remove(built.tag)
        record.update(seconds=time.monotonic() - t0, result="unchanged, builds", build=f"{built.seconds:.1f}")
        e2e_results.append(record)
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
    record.update(
        seconds=time.monotonic() - t0,
        original=d["original"],
        rewritten=d["rewritten"],
        result="verified" if report.verified else "NOT verified",
    )
    e2e_results.append(record)
    assert report.exit_code == 0, report.to_text() + "\n" + _diff(case["text"], result.text)
    if case.get("expect_smaller"):
        assert report.rewritten.uncompressed_bytes < report.original.uncompressed_bytes, report.to_text()
