"""``dockeropt verify --touch PATH``: what a second build re-runs after a source edit.

The point of ``copy-deps-first`` is the layer cache: after an edit of a source file, the install
RUN should come from the cache. This measures it with the engine's own output. For the original
and for the rewritten Dockerfile, in a temporary copy of the build context (the user's files are
never touched):

1. build with the layer cache (layers of earlier builds in the same store may be reused);
2. append a newline to PATH in the copy (an edit that changes the file's content: engines key
   COPY layers on content, not on modification times);
3. build again with the cache, and read which steps came from it (buildah/podman print
   ``--> Using cache <id>`` after a cached ``STEP n/m:``; BuildKit prints ``CACHED``).

The result lists the steps each second build ran again; ``RUN`` steps are what costs time.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from .engines import Engine, Progress
from .errors import BuildFailed, VerifyEnvironmentError

_STEP = re.compile(r"^STEP (\d+)/(\d+): (.*)$")
_BK_STEP = re.compile(r"^#\d+ \[(?:[\w.-]+ )?(\d+)/(\d+)\] (.*)$")


@dataclass
class Step:
    number: int
    instruction: str  # as the engine prints it
    cached: bool


@dataclass
class TouchBuild:
    steps: list[Step] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def rerun(self) -> list[Step]:
        """Steps the second build ran again (FROM is never counted)."""
        return [s for s in self.steps if not s.cached and not s.instruction.upper().startswith("FROM")]

    @property
    def rerun_runs(self) -> list[Step]:
        return [s for s in self.rerun if s.instruction.upper().startswith("RUN")]

    def to_dict(self) -> dict:
        return {"seconds": round(self.seconds, 2), "steps": len(self.steps),
                "rerun": [s.instruction[:200] for s in self.rerun],
                "rerun_runs": [s.instruction[:200] for s in self.rerun_runs]}


@dataclass
class TouchReport:
    path: str
    original: TouchBuild
    rewritten: TouchBuild

    @property
    def problems(self) -> list[str]:
        if len(self.rewritten.rerun_runs) > len(self.original.rerun_runs):
            return [f"after an edit of {self.path} the rewrite re-runs more RUN steps "
                    f"({len(self.original.rerun_runs)} -> {len(self.rewritten.rerun_runs)})"]
        return []

    def lines(self) -> list[str]:
        out = [f"after an edit of {self.path}, a second build re-runs:"]
        for name, b in (("original", self.original), ("rewritten", self.rewritten)):
            runs = b.rerun_runs
            shown = "; ".join(s.instruction[:70] for s in runs) or "no RUN step"
            out.append(f"  {name}: {len(b.rerun)} of {len(b.steps)} steps, {len(runs)} RUN step(s) "
                       f"({b.seconds:.1f} s): {shown}")
        saved = len(self.original.rerun_runs) - len(self.rewritten.rerun_runs)
        if saved > 0:
            out.append(f"  the rewrite takes {saved} RUN step(s) from the cache that the original re-runs")
        return out

    def to_dict(self) -> dict:
        return {"path": self.path, "original": self.original.to_dict(), "rewritten": self.rewritten.to_dict(),
                "problems": self.problems}


def read_steps(log: str) -> list[Step]:
    """Steps and whether each came from the cache, from buildah/podman or BuildKit output."""
    steps: list[Step] = []
    bk: dict[str, Step] = {}
    for raw in log.splitlines():
        line = raw.strip()
        m = _STEP.match(line)
        if m:
            steps.append(Step(int(m.group(1)), m.group(3), False))
            continue
        if line.startswith("--> Using cache") and steps:
            steps[-1].cached = True
            continue
        m = _BK_STEP.match(line)
        if m:
            text = m.group(3)
            cached = text.startswith("CACHED ")
            key = f"{m.group(1)}/{m.group(2)}"
            if key not in bk:
                bk[key] = Step(int(m.group(1)), text.removeprefix("CACHED "), cached)
                steps.append(bk[key])
            elif cached:
                bk[key].cached = True
    return steps


def _copy_context(src: Path, dest: Path) -> None:
    shutil.copytree(src, dest, symlinks=True)


def _touch(root: Path, rel: str) -> None:
    target = (root / rel).resolve()
    if not str(target).startswith(str(root.resolve()) + os.sep) or not target.is_file():
        raise VerifyEnvironmentError(f"--touch {rel}: not a file in the build context")
    with open(target, "ab") as f:
        f.write(b"\n")


def measure_touch(eng: Engine, original_text: str, rewritten_text: str, context_dir: Path, path: str,
                  progress: Optional[Progress] = None, ignorefile_text: Optional[str] = None) -> TouchReport:
    """Build each text twice with the cache, editing ``path`` between the builds."""
    progress = progress or (lambda m: None)
    if not (Path(context_dir) / path).is_file():
        raise VerifyEnvironmentError(f"--touch {path}: not a file in the build context {context_dir}")
    results = []
    tags: list[str] = []
    work = Path(tempfile.mkdtemp(prefix="dockeropt-touch-"))
    try:
        for k, (name, text, ign) in enumerate((("original", original_text, None),
                                              ("rewritten", rewritten_text, ignorefile_text))):
            ctx = work / f"ctx-{k}"
            _copy_context(Path(context_dir), ctx)
            tag = f"localhost/dockeropt-touch-{os.getpid()}-{k}"
            progress(f"--touch: building {name} with the cache…")
            try:
                eng.build(text, ctx, tag, ignorefile_text=ign, progress=None, cache=True)
                tags.append(tag)
                _touch(ctx, path)
                progress(f"--touch: {path} edited; building {name} again…")
                t0 = time.monotonic()
                built = eng.build(text, ctx, tag + "-2", ignorefile_text=ign, progress=None, cache=True)
                tags.append(tag + "-2")
            except BuildFailed as e:
                raise VerifyEnvironmentError(f"--touch: the {name} build failed: {str(e)}") from None
            results.append(TouchBuild(read_steps(built.log), time.monotonic() - t0))
    finally:
        for t in tags:
            eng.remove(t)
        shutil.rmtree(work, ignore_errors=True)
    return TouchReport(path, results[0], results[1])
