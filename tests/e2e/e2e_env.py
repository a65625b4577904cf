"""What the e2e fixtures (conftest.py) and test modules share: the base image's name, and how a
missing tool or image ends a test (a skip with the reason; a failure in CI)."""

from __future__ import annotations

import os

import pytest

BASE_REF = "docker.io/library/debian:bookworm-slim"


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def unavailable(reason: str):
    """Skip outside CI; fail loudly in CI."""
    if in_ci():
        pytest.fail(f"CI=true but the e2e environment is not usable: {reason}", pytrace=False)
    pytest.skip(reason)
