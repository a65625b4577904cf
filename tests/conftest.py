"""Shared test configuration: hypothesis profiles and the shared-corpus fixture."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# every incremental re-parse in the rewrite engine is checked against a full parse
os.environ.setdefault("DOCKEROPT_CHECK_REPARSE", "1")

CORPUS = (Path(__file__).resolve().parents[1] / ".." / "shared" / "corpus").resolve()

try:  # hypothesis is a test extra; the profiles only exist when it is installed
    from hypothesis import HealthCheck, settings

    _common = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow])
    settings.register_profile("default", max_examples=50, **_common)
    # CI draws the same examples on every run (a red CI is then a regression, reproducible
    # locally with HYPOTHESIS_PROFILE=ci); tests/differential/explore.py hunts with fresh seeds
    settings.register_profile("ci", max_examples=400, print_blob=True, derandomize=True, **_common)
    settings.register_profile("dev", max_examples=10, **_common)
    _ci = os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")
    settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if _ci else "default"))
except ImportError:  # pragma: no cover
    pass


@pytest.fixture(scope="session")
def corpus() -> Path:
    """<repo>/../shared/corpus; skips the test when it is absent."""
    if not CORPUS.is_dir():
        pytest.skip(f"shared corpus not found at {CORPUS}")
    return CORPUS
