"""Multi-stage splits proved by building (rule ``multi-stage``): one case per stack under
``multistage/<stack>/`` — a Dockerfile, its build context and a ``case.toml``::

    description = "..."
    smoke = ""            # the smoke command (docker-run style; "" runs the image's own CMD)
    answer = "hello ..."  # what the smoke command must print (in both images)

The test rewrites the Dockerfile with only ``multi-stage`` (unsafe fixes on, the case directory
as the build context), then builds the original and the split file with buildah on local
stand-ins of the official images (``.ci/e2e-standins.sh``: built from the debootstrap base and
Debian packages the first time, then cached) and requires, through ``verify(split=True,
smoke=...)``: both build, the runtime image is smaller, keeps how the program is started
(ENTRYPOINT, CMD, USER, WORKDIR, ports), and the smoke command answers the same — and prints
``answer``.
"""

from __future__ import annotations

import os
import subprocess
import time
import tomllib
from pathlib import Path

import pytest

from conftest import REPO, TIMINGS, unavailable

CASES = Path(__file__).parent / "multistage"
CASE_DIRS = sorted(p for p in CASES.iterdir() if (p / "Dockerfile").is_file())
STANDINS = REPO / ".ci" / "e2e-standins.sh"


def _context(d: Path):
    try:
        from dockeropt.model.context import BuildContext
    except ImportError:
        from dockeropt.rewriter.split.facts import DirContext

        return DirContext(str(d))
    return BuildContext(str(d), str(d / "Dockerfile"))


def _rewrite(d: Path):
    from dockeropt.rewriter import rewrite

    text = (d / "Dockerfile").read_text()
    return text, rewrite(text, select=["multi-stage"], unsafe=True, context=_context(d))


@pytest.fixture(scope="module")
def standin_engine(e2e_engine, e2e_base):
    """The session engine, able to load the stand-ins of every image the cases name (built
    lazily by .ci/e2e-standins.sh, only for what these cases use)."""
    from dockeropt.verify import external_images, normalize_ref

    needed: list[str] = []
    for d in CASE_DIRS:
        text, result = _rewrite(d)
        for t in (text, result.text):
            for ref in external_images(t):
                if ref not in needed and normalize_ref(ref) != normalize_ref("debian:bookworm-slim"):
                    needed.append(ref)
    env = dict(os.environ)
    base_archive = e2e_base.split(":", 1)[1]
    env.setdefault("DOCKEROPT_E2E_CACHE", str(Path(base_archive).parent))
    t0 = time.monotonic()
    try:
        p = subprocess.run(["bash", str(STANDINS), *needed], capture_output=True, text=True, timeout=3600, env=env)
    except subprocess.TimeoutExpired:
        unavailable(f"{STANDINS.name} did not finish in an hour")
    TIMINGS["stand-in images (build or cache)"] = time.monotonic() - t0
    if p.returncode != 0:
        unavailable(f"{STANDINS.name} failed (exit {p.returncode}):\n" + "\n".join(p.stderr.splitlines()[-20:]))
    for line in p.stdout.splitlines():
        if line.startswith("STANDIN "):
            ref, _, src = line[len("STANDIN "):].partition("=")
            e2e_engine.base_images[normalize_ref(ref)] = src
    return e2e_engine


@pytest.mark.e2e
@pytest.mark.parametrize("case_dir", CASE_DIRS, ids=[d.name for d in CASE_DIRS])
def test_split_builds_smaller_and_still_runs(case_dir: Path, request, e2e_results):
    from dockeropt.verify import verify

    with open(case_dir / "case.toml", "rb") as f:
        case = tomllib.load(f)
    text, result = _rewrite(case_dir)
    fired = [c.rule for c in result.changes]
    assert fired == ["multi-stage"], f"the split did not happen: {[f.message for f in result.findings]}"
    engine = request.getfixturevalue("standin_engine")
    layer_cache = request.getfixturevalue("layer_cache")
    t0 = time.monotonic()
    report = verify(text, result.text, engine=engine, context_dir=case_dir, progress=print,
                    dockerfile_name=f"multistage/{case_dir.name}/Dockerfile", layer_cache=layer_cache,
                    smoke=case.get("smoke", ""), split=True)
    print(report.to_text())
    d = report.to_dict()
    record = {"case": f"multistage-{case_dir.name}", "changed": True, "rules": fired, "expect": "build",
              "seconds": time.monotonic() - t0, "original": d["original"], "rewritten": d["rewritten"],
              "smoke": d["smoke"], "result": "verified" if report.verified else "NOT verified"}
    e2e_results.append(record)
    explain = report.to_text() + "\n" + result.text
    assert report.original_build.built and report.rewritten_build.built, explain
    assert report.exit_code == 0, explain
    assert report.rewritten.uncompressed_bytes < report.original.uncompressed_bytes, explain
    assert report.smoke is not None and report.smoke.same, explain
    assert case["answer"] in report.smoke.rewritten.output, explain
