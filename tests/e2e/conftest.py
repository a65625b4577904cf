"""End-to-end fixtures: a real buildah, a local debian:bookworm-slim base image, one image store
for the whole session, and a table of what each case measured at the end of the run.

Outside CI, a missing buildah or base image skips the e2e tests with the reason.  With CI=true it
fails them: CI must run them for real.  The base image comes from .ci/e2e-setup.sh (debootstrap,
about a minute the first time, cached in $DOCKEROPT_E2E_CACHE afterwards), or from
DOCKEROPT_E2E_BASE=oci-archive:/path when set.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from e2e_env import BASE_REF, in_ci, unavailable  # noqa: F401 - in_ci for the test modules too

REPO = Path(__file__).resolve().parents[2]
SETUP = REPO / ".ci" / "e2e-setup.sh"

# Filled by the tests, printed by pytest_terminal_summary.
RESULTS: list[dict] = []
TIMINGS: dict[str, float] = {}


@pytest.fixture(scope="session")
def e2e_base() -> str:
    """``oci-archive:/path`` of the local debian:bookworm-slim image (made once, then cached)."""
    explicit = os.environ.get("DOCKEROPT_E2E_BASE")
    if explicit:
        path = explicit.split(":", 1)[1] if ":" in explicit else explicit
        if not Path(path).exists():
            unavailable(f"DOCKEROPT_E2E_BASE={explicit} does not exist")
        return explicit if ":" in explicit else f"oci-archive:{explicit}"
    if shutil.which("buildah") is None and not in_ci():
        unavailable(
            "buildah is not installed; run `bash .ci/e2e-setup.sh` as root (installs buildah, runc, "
            "debootstrap and builds the debian:bookworm-slim base image), then run again"
        )
    t0 = time.monotonic()
    try:
        p = subprocess.run(["bash", str(SETUP)], capture_output=True, text=True, timeout=1500)
    except subprocess.TimeoutExpired:
        unavailable(f"{SETUP.name} did not finish in 25 minutes")
    TIMINGS["setup script"] = time.monotonic() - t0
    lines = [line for line in p.stdout.splitlines() if line.startswith("DOCKEROPT_E2E_BASE=")]
    if p.returncode != 0 or not lines:
        tail = "\n".join((p.stderr + p.stdout).splitlines()[-15:])
        unavailable(f"{SETUP.name} failed (exit {p.returncode}):\n{tail}")
    return lines[-1].split("=", 1)[1]


@pytest.fixture(scope="session")
def e2e_engine(e2e_base):
    """One BuildahEngine (own temp store) for the session, the base image loaded once.  Every build
    is --no-cache, so sharing the store shares no build cache; each verification removes its
    images.  (Loading the base into a fresh store per case costs ~6 s; this costs it once.)"""
    from dockeropt.verify import BuildahEngine

    eng = BuildahEngine(base_images={BASE_REF: e2e_base}, fast_export=True)
    if not eng.available():
        unavailable("buildah does not run")
    t0 = time.monotonic()
    if not eng.ensure_image(BASE_REF):
        unavailable(f"could not load {BASE_REF} from {e2e_base}")
    TIMINGS["load base into session store"] = time.monotonic() - t0
    TIMINGS["storage driver: " + str(eng.storage_driver)] = 0.0
    yield eng
    eng.close()


@pytest.fixture(scope="session")
def e2e_results() -> list[dict]:
    """Tests append what they measured; printed at the end of the session."""
    return RESULTS


@pytest.fixture(scope="session")
def layer_cache():
    """Layers already read (the base layer is read once for the whole session)."""
    from dockeropt.verify import LayerCache

    return LayerCache()


def _mb(n: int | None) -> str:
    return "-" if n is None else f"{n / 1e6:.1f}"


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if not RESULTS and not TIMINGS:
        return
    tr = terminalreporter
    tr.section("dockeropt e2e: original -> rewritten")
    for k, v in TIMINGS.items():
        tr.write_line(f"{k}: {v:.1f} s" if v else k)
    if not RESULTS:
        return
    header = ("case", "layers", "MB", "MB gz", "build s", "case s", "result")
    rows = [header]
    for r in RESULTS:
        o, n = r.get("original"), r.get("rewritten")
        if o and n:
            rows.append((
                r["case"],
                f"{o['layers']} -> {n['layers']}",
                f"{_mb(o['uncompressed_bytes'])} -> {_mb(n['uncompressed_bytes'])}",
                f"{_mb(o['compressed_bytes'])} -> {_mb(n['compressed_bytes'])}",
                f"{o['build_seconds']:.1f} + {n['build_seconds']:.1f}",
                f"{r['seconds']:.1f}",
                r["result"],
            ))
        else:
            rows.append((r["case"], "", "", "", r.get("build", ""), f"{r['seconds']:.1f}", r["result"]))
    widths = [max(len(str(row[i])) for row in rows) for i in range(len(header))]
    for row in rows:
        tr.write_line("  ".join(str(c).ljust(widths[i]) for i, c in enumerate(row)).rstrip())
    total = sum(r["seconds"] for r in RESULTS)
    tr.write_line(f"{len(RESULTS)} cases, {total:.0f} s in case tests")
    out = os.environ.get("DOCKEROPT_E2E_REPORT")
    if out:
        Path(out).write_text(json.dumps({"timings": TIMINGS, "cases": RESULTS}, indent=2) + "\n")
