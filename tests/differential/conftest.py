"""Fixtures of the differential shell harness (see README.md)."""

from __future__ import annotations

import pytest

import harness


@pytest.fixture(scope="session")
def pool():
    """The sandbox workers for the whole session (closed at the end)."""
    p = harness.get_pool()
    yield p
    harness.close_pool()


@pytest.fixture(scope="session")
def full_pool(pool):
    """The overlay sandbox; skips outside CI when only the plain fallback is available, fails
    with CI=true (CI must run these tests)."""
    if not pool.full:
        reason = "differential harness needs overlayfs in a mount namespace: " + pool.why_not_full()
        if harness.in_ci():
            pytest.fail("CI=true but " + reason, pytrace=False)
        pytest.skip(reason)
    return pool
