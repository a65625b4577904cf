#!/usr/bin/env python3
"""Whole-process ``dockeropt --check`` over the corpus against ``tally lint``, side by side.

    python benchmarks/vs_tally.py [--runs 3] [--corpus ../shared/corpus]

Every corpus file is copied to ``<n>/Dockerfile`` in one temporary directory, and each tool is
run on that directory as a user would: ``dockeropt --check DIR`` (default --jobs: every core)
and ``tally lint --ignore 'shellcheck/*' --slow-checks off DIR`` (tally from PyPI,
``pip install tally-cli``; ShellCheck rules off, no registry look-ups). tally stops at the first
file it cannot read (invalid UTF-8, a flag it does not know), so such files are left out for
both: they are listed. Runs alternate; medians are compared. Target: dockeropt at most 1/5 of
tally's time.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TARGET = 0.2
TALLY_ARGS = ["lint", "--ignore", "shellcheck/*", "--slow-checks", "off", "--no-color"]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--corpus", type=Path, default=REPO / ".." / "shared" / "corpus")
    args = ap.parse_args(argv)
    tally = shutil.which("tally", path=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    if not tally:
        print("tally not found: pip install tally-cli", file=sys.stderr)
        return 2
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    dockeropt = [sys.executable, "-m", "dockeropt", "--check", "-q"]
    with tempfile.TemporaryDirectory(prefix="dockeropt-vs-tally-") as tmp:
        root = Path(tmp)
        for n, f in enumerate(sorted(p for p in (args.corpus / "files").iterdir() if p.is_file()), 1):
            (root / str(n)).mkdir()
            shutil.copyfile(f, root / str(n) / "Dockerfile")
        left_out = []
        while True:  # leave out what tally cannot read, for both tools
            proc = subprocess.run([tally, *TALLY_ARGS, str(root)], capture_output=True, text=True)
            m = re.search(r"failed to lint (\S+/Dockerfile)", proc.stdout + proc.stderr)
            if not m:
                break
            bad = Path(m.group(1))
            left_out.append(f"{bad.parent.name}: {(proc.stdout + proc.stderr).strip().splitlines()[-1][:120]}")
            shutil.rmtree(bad.parent)
        count = sum(1 for _ in root.iterdir())
        times: dict[str, list[float]] = {"dockeropt": [], "tally": []}
        cpu: dict[str, list[float]] = {"dockeropt": [], "tally": []}
        codes = {}
        for _ in range(args.runs):
            for name, cmd in (("dockeropt", [*dockeropt, str(root)]), ("tally", [tally, *TALLY_ARGS, str(root)])):
                r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
                t0 = time.perf_counter()
                proc = subprocess.run(cmd, capture_output=True, env=env if name == "dockeropt" else None)
                times[name].append(time.perf_counter() - t0)
                r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
                cpu[name].append(r1.ru_utime - r0.ru_utime + r1.ru_stime - r0.ru_stime)
                codes[name] = proc.returncode
    d, t = statistics.median(times["dockeropt"]), statistics.median(times["tally"])
    print(f"{count} files as <n>/Dockerfile ({len(left_out)} left out: tally cannot read them)")
    for line in left_out:
        print(f"  left out {line}")
    print(f"  dockeropt --check: median {d:.2f} s (exit {codes['dockeropt']}; runs {', '.join(f'{x:.2f}' for x in times['dockeropt'])})")
    print(f"  tally lint:        median {t:.2f} s (exit {codes['tally']}; runs {', '.join(f'{x:.2f}' for x in times['tally'])})")
    print(f"  ratio dockeropt/tally = {d / t:.2f} (target <= {TARGET}); CPU time (user+sys) "
          f"dockeropt {statistics.median(cpu['dockeropt']):.2f} s, tally {statistics.median(cpu['tally']):.2f} s; "
          f"load average {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
