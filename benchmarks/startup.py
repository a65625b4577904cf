#!/usr/bin/env python3
"""Start-up: ``dockeropt --check`` on one small file as a whole process (what pre-commit pays on
every commit), and what it imports.

    python benchmarks/startup.py [--runs 20]

Prints the median and best wall time (target: under 150 ms), Python's own start-up for scale,
and checks that the fast path imports none of: the progress bar, multiprocessing /
concurrent.futures (--jobs), pathspec (.gitignore), tomllib (no configuration file here),
jsonschema, the report formats other than diff, difflib (--check shows no diff).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TARGET_MS = 150.0
NOT_ON_FAST_PATH = ("dockeropt.progress", "multiprocessing", "concurrent.futures", "pathspec", "tomllib",
                    "rich", "jsonschema", "dockeropt.report.sarif", "dockeropt.report.json_doc", "difflib")


def timed(cmd, cwd, env, runs) -> list[float]:
    out = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run(cmd, cwd=cwd, env=env, capture_output=True)
        out.append((time.perf_counter() - t0) * 1000)
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=20)
    args = ap.parse_args(argv)
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(REPO / "src")], check=True)
    with tempfile.TemporaryDirectory() as d:
        f = Path(d) / "Dockerfile"
        f.write_text("FROM alpine:3.19\nRUN apk add --no-cache curl\nCMD [\"sh\"]\n")
        python = timed([sys.executable, "-c", "pass"], d, env, args.runs)
        ours = timed([sys.executable, "-m", "dockeropt", "--check", str(f)], d, env, args.runs)
        probe = ("import sys, runpy; sys.argv = ['dockeropt', '--check', %r]\n"
                 "try:\n    runpy.run_module('dockeropt', run_name='__main__')\nexcept SystemExit:\n    pass\n"
                 "print(' '.join(m for m in %r if m in sys.modules))") % (str(f), NOT_ON_FAST_PATH)
        imported = subprocess.run([sys.executable, "-c", probe], cwd=d, env=env, capture_output=True,
                                  text=True).stdout.split()
    print(f"python -c pass:            median {statistics.median(python):6.1f} ms, best {min(python):6.1f} ms")
    print(f"dockeropt --check 1 file:  median {statistics.median(ours):6.1f} ms, best {min(ours):6.1f} ms "
          f"(target < {TARGET_MS:.0f} ms)")
    print(f"imported on the fast path that should not be: {', '.join(imported) or 'none'}")
    return 1 if imported else 0


if __name__ == "__main__":
    sys.exit(main())
