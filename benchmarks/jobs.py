#!/usr/bin/env python3
"""--jobs 2 against --jobs 1 on the whole corpus, whole processes, output compared byte for byte.

    python benchmarks/jobs.py [--runs 3] [--jobs 2] [--corpus ../shared/corpus] [--format diff]

Every file of corpus/files is given on the command line (their names are not Dockerfile names,
so a directory search would skip most); runs alternate (1, N, 1, N ...) so that the machine's
load hits both alike; the medians are compared. Target: >= 1.7x with 2 jobs, and the same
stdout (and the same stderr but for the summary line's time) every time.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TARGET = 1.7


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--format", default="diff")
    ap.add_argument("--corpus", type=Path, default=REPO / ".." / "shared" / "corpus")
    args = ap.parse_args(argv)
    files = sorted(str(p) for p in (args.corpus / "files").iterdir() if p.is_file())
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    cmd = [sys.executable, "-m", "dockeropt", "--format", args.format]
    times: dict[int, list[float]] = {1: [], args.jobs: []}
    cpu: dict[int, list[float]] = {1: [], args.jobs: []}
    outputs: dict[int, set] = {1: set(), args.jobs: set()}
    for _ in range(args.runs):
        for jobs in (1, args.jobs):
            r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
            t0 = time.perf_counter()
            proc = subprocess.run([*cmd, "--jobs", str(jobs), *files], capture_output=True, env=env)
            times[jobs].append(time.perf_counter() - t0)
            r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu[jobs].append(r1.ru_utime - r0.ru_utime + r1.ru_stime - r0.ru_stime)
            err = re.sub(rb" in [0-9.]+ s\n", b"\n", proc.stderr)
            outputs[jobs].add((proc.returncode, proc.stdout, err))
    one, many = statistics.median(times[1]), statistics.median(times[args.jobs])
    same = len(outputs[1] | outputs[args.jobs]) == 1
    size = len(next(iter(outputs[1]))[1])
    print(f"{len(files)} files, --format {args.format}, {args.runs} runs each, cores: {os.cpu_count()}")
    print(f"  --jobs 1: median {one:.2f} s  (runs: {', '.join(f'{t:.2f}' for t in times[1])})")
    print(f"  --jobs {args.jobs}: median {many:.2f} s  (runs: {', '.join(f'{t:.2f}' for t in times[args.jobs])})")
    print(f"  speed-up {one / many:.2f}x (target >= {TARGET}x); output {size:,} bytes, "
          f"{'byte-identical in every run' if same else 'DIFFERS between runs'}")
    c1, cn = statistics.median(cpu[1]), statistics.median(cpu[args.jobs])
    print(f"  CPU time (user+sys): --jobs 1 {c1:.2f} s, --jobs {args.jobs} {cn:.2f} s; --jobs 1 got "
          f"{c1 / one:.0%} of a core (load average {os.getloadavg()[0]:.1f}): on {args.jobs} idle cores "
          f"the speed-up would be about {c1 / (cn / args.jobs):.2f}x")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
