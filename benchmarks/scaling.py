"""Time and peak memory of `dockeropt --check` on generated Dockerfiles of growing size.

    python benchmarks/scaling.py [--sizes 1000,10000,100000] [--keep DIR]

Each file mixes what real Dockerfiles hold (apt installs, `set -eux` RUNs, pip, ENV, COPY,
runs of consecutive RUNs), generated from a fixed seed. Every size is run as its own process
(start-up included) and measured with wait4(): wall seconds and peak RSS. The last row is a
20 MB file, which dockeropt refuses up front (exit 2) instead of working on it for minutes.

Linear time means each 10x step in lines costs about 10x in seconds; the table prints the ratio.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def generate(lines: int, seed: int = 1) -> str:
    rnd = random.Random(seed)
    out = ["FROM debian:bookworm-slim"]
    i = 0
    while len(out) < lines:
        k = rnd.random()
        if k < 0.4:
            out.append(f"RUN apt-get update && apt-get install -y pkg{i}")
        elif k < 0.55:
            out.append(f"RUN set -eux; mkdir -p /opt/d{i}; touch /opt/d{i}/f")
        elif k < 0.65:
            out += [f"RUN cd /opt && \\", f"    make target{i} && \\", "    make install"]
        elif k < 0.75:
            out.append(f"ENV V{i}=x{i}")
        elif k < 0.85:
            out.append(f"COPY f{i} /f{i}")
        elif k < 0.92:
            out.append(f"RUN pip install pkg{i}")
        else:
            out.append(f"# step {i}")
        i += 1
    return "\n".join(out[:lines]) + "\n"


def measure(path: Path) -> tuple[float, int, int]:
    """(wall seconds, peak RSS in KiB, exit code) of one `dockeropt --check -q path`."""
    cmd = [sys.executable, "-c", "import sys; from dockeropt.cli import main; sys.exit(main())",
           "--check", "-q", str(path)]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env={**os.environ})
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - t0
    proc.stderr.close()  # type: ignore[union-attr]
    return seconds, usage.ru_maxrss, os.waitstatus_to_exitcode(status)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes", default="1000,10000,100000", help="line counts, comma-separated")
    p.add_argument("--keep", default=None, help="write the generated files here (default: a temp dir)")
    args = p.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s]
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(args.keep or tmp)
        d.mkdir(parents=True, exist_ok=True)
        rows = []
        previous = None
        for n in sizes:
            f = d / f"gen{n}.Dockerfile"
            f.write_text(generate(n))
            seconds, rss, code = measure(f)
            ratio = f"{seconds / previous[1]:.1f}x for {n / previous[0]:.0f}x lines" if previous else ""
            rows.append((f"{n:,} lines", f.stat().st_size, seconds, rss, code, ratio))
            previous = (n, seconds)
        big = d / "big.Dockerfile"
        with open(big, "w") as fh:
            chunk = generate(20000, seed=2)
            while fh.tell() < 20 * 1024 * 1024:
                fh.write(chunk)
        seconds, rss, code = measure(big)
        rows.append(("20 MB", big.stat().st_size, seconds, rss, code, "refused up front" if code == 2 else ""))
    print(f"{'file':>14} {'bytes':>12} {'seconds':>9} {'peak RSS':>10} {'exit':>5}  growth")
    for name, size, seconds, rss, code, ratio in rows:
        print(f"{name:>14} {size:12,} {seconds:9.2f} {rss / 1024:8.1f}MB {code:5}  {ratio}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
