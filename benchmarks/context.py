"""Build-context cost on a context of 200,000 files (issue 10): does a normal run get slower?

    python benchmarks/context.py [N_FILES]

Makes a context (a Node app: package.json, a lock file, N source files in 1,000 directories
and a node_modules-like tree of as many files), then times, each the best of 3:

- ``dockeropt Dockerfile`` without the context (the Dockerfile piped on stdin) and with it
  (the default: the Dockerfile's directory) -- the difference is what the context rules cost;
- one single-path question (``BuildContext.is_file``) and the full walk with and without sizes;
- ``dockeropt --dockerignore Dockerfile`` (the full proposal: walk, sizes, before/after).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SRC = str(Path(__file__).resolve().parents[1] / "src")
sys.path.insert(0, SRC)

DOCKERFILE = """FROM node:20-slim
WORKDIR /app
COPY . .
RUN npm ci
RUN npm run build
CMD ["node", "dist/index.js"]
"""


def make(root: Path, n: int) -> None:
    (root / "package.json").write_text('{"name": "big", "version": "1.0.0", "scripts": {"build": "tsc"}}\n')
    (root / "package-lock.json").write_text("{}\n")
    (root / "Dockerfile").write_text(DOCKERFILE)
    (root / ".dockerignore").write_text("node_modules\n")
    half = n // 2
    for kind, count in (("src", half), ("node_modules", n - half)):
        per = max(1, count // 1000)
        made = 0
        d = 0
        while made < count:
            sub = root / kind / f"d{d:04d}"
            sub.mkdir(parents=True, exist_ok=True)
            for i in range(min(per, count - made)):
                fd = os.open(sub / f"f{i}.js", os.O_CREAT | os.O_WRONLY, 0o644)
                os.write(fd, b"x\n")
                os.close(fd)
            made += per
            d += 1


def best(fn, k: int = 3) -> float:
    times = []
    for _ in range(k):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def cli(*args: str, stdin: str | None = None, cwd: Path) -> None:
    env = {**os.environ, "PYTHONPATH": SRC}
    subprocess.run([sys.executable, "-m", "dockeropt", *args], input=stdin, text=True, capture_output=True,
                   cwd=cwd, env=env, check=False)


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
    from dockeropt.model.context import BuildContext

    with tempfile.TemporaryDirectory(prefix="dockeropt-bench-") as tmp:
        root = Path(tmp) / "ctx"
        root.mkdir()
        t0 = time.perf_counter()
        make(root, n)
        print(f"made a context of {n:,} files in {time.perf_counter() - t0:.1f} s")
        small = Path(tmp) / "small"
        small.mkdir()
        for name in ("package.json", "package-lock.json", ".dockerignore"):
            (small / name).write_text((root / name).read_text())
        no_ctx = best(lambda: cli("-", stdin=DOCKERFILE, cwd=root))
        small_ctx = best(lambda: cli("--context", str(small), "Dockerfile", cwd=root))
        with_ctx = best(lambda: cli("Dockerfile", cwd=root))
        print(f"dockeropt (stdin, no context):        {no_ctx:.3f} s")
        print(f"dockeropt --context <4 files>:        {small_ctx:.3f} s  (the same rewrite, a tiny context)")
        print(f"dockeropt Dockerfile (context = dir): {with_ctx:.3f} s  (+{with_ctx - small_ctx:.3f} s for "
              f"{n:,} files)")
        from dockeropt.model import Model
        from dockeropt.model.context import BudgetExceeded
        from dockeropt.rewriter.dockerignore import propose
        from dockeropt.syntax.parse import parse

        tree = parse(DOCKERFILE)

        from dockeropt.model import context as context_module

        def rule_walk():
            context_module._WALKS.clear()  # no walk shared from an earlier call
            try:
                propose(tree, Model(tree), BuildContext(str(root), str(root / "Dockerfile")),
                        dockerfile=str(root / "Dockerfile"), budget=5000, sizes=False, prune=True)
            except BudgetExceeded:
                pass

        print(f"the dockerignore rule's bounded walk: {best(rule_walk) * 1000:.0f} ms")
        single = best(lambda: BuildContext(str(root), str(root / "Dockerfile")).is_file("package-lock.json"), 20)
        print(f"one single-path question:             {single * 1000:.2f} ms")
        walk = best(lambda: sum(1 for _ in BuildContext(str(root)).walk()), 1)
        walk_sizes = best(lambda: sum(1 for _ in BuildContext(str(root)).walk(sizes=True)), 1)
        walk_all = best(lambda: sum(1 for _ in BuildContext(str(root)).walk(None)), 1)
        print(f"full walk (sent paths, .dockerignore applied): {walk:.2f} s; with sizes: {walk_sizes:.2f} s; "
              f"every path: {walk_all:.2f} s")
        full = best(lambda: cli("--dockerignore", "Dockerfile", cwd=root), 1)
        print(f"dockeropt --dockerignore Dockerfile:  {full:.2f} s")


if __name__ == "__main__":
    main()
