"""Same input, same output: the whole corpus through the CLI under different PYTHONHASHSEEDs.

Set and dict-of-str iteration order depends on the hash seed; anything that lets it leak into a
choice (an indentation tie, the order of notes, the order of edits) makes the output differ from
run to run. The CLI is run as a process, because the seed is fixed at interpreter start.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import dockeropt

pytestmark = pytest.mark.corpus

SRC = str(Path(dockeropt.__file__).resolve().parents[1])
SEEDS = ("0", "1", "4242")
CONFIGS = {
    "safe-diff": ["--diff"],
    "unsafe-mount-json": ["--unsafe-fixes", "--cache-strategy", "mount", "--format", "json"],
}


def _run(files: list[str], seed: str, extra: list[str]) -> tuple[int, bytes, bytes]:
    env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": SRC}
    env.pop("DOCKEROPT_DEBUG", None)
    proc = subprocess.run(
        [sys.executable, "-m", "dockeropt", *extra, *files], capture_output=True, env=env, timeout=600
    )
    # the summary line ends with the run's wall time ("... in 3.21 s"): the one thing that may differ
    err = re.sub(rb" in [0-9]+\.[0-9]+ s$", b" in (time) s", proc.stderr, flags=re.M)
    return proc.returncode, proc.stdout, err


@pytest.mark.parametrize("config", sorted(CONFIGS))
def test_whole_corpus_output_is_identical_under_three_hash_seeds(corpus, config):
    files = sorted(str(p) for p in (corpus / "files").iterdir() if p.is_file())
    assert len(files) > 1000
    runs = {seed: _run(files, seed, CONFIGS[config]) for seed in SEEDS}
    code, out, err = runs[SEEDS[0]]
    assert code in (0, 2), err[-2000:]
    assert b"Traceback" not in err and b"internal error" not in err, err[-2000:]
    assert len(out) > 100_000  # the rules did change things
    for seed in SEEDS[1:]:
        c, o, e = runs[seed]
        if (c, o, e) != (code, out, err):
            first = next(i for i, (a, b) in enumerate(zip(out, o)) if a != b) if o != out else None
            context = out[max(0, (first or 0) - 600):(first or 0) + 200].decode("utf-8", "replace")
            pytest.fail(
                f"PYTHONHASHSEED={seed} differs from {SEEDS[0]}: exit {c} vs {code}, stdout "
                f"{hashlib.sha256(o).hexdigest()[:12]} vs {hashlib.sha256(out).hexdigest()[:12]}, "
                f"stderr same: {e == err}; first stdout difference at byte {first}:\n{context}"
            )
