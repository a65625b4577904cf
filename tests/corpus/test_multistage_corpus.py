"""The multi-stage rule on the whole shared corpus (``benchmarks/multistage_corpus.py``): no
crash, every split parses (strict) and is a fixpoint, the plan and the rewrite agree, and every
file is counted as split, not split (with a reason key) or rejected by BuildKit."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

pytestmark = pytest.mark.corpus
BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "multistage_corpus.py"


def _bench():
    spec = importlib.util.spec_from_file_location("multistage_corpus", BENCH)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)  # type: ignore[union-attr]
    return mod


def test_multistage_on_the_corpus(corpus):
    report = _bench().run(corpus)
    assert not report["problems"], list(report["problems"].items())[:5]
    counted = sum(report["outcomes"].values())
    assert counted == report["files"]
    assert set(report["outcomes"]) <= {"split", "not split", "rejected"}
    assert report["outcomes"].get("split", 0) >= 1
    print(report["outcomes"], report["split_by_stack"], report["declined_with_reason"])
