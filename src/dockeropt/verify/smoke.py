"""Smoke test: run a command in the original and the rewritten image and compare the answers.

``--smoke "ARGS"`` is read the way ``docker run IMAGE ARGS`` reads its arguments: they follow the
image's ENTRYPOINT when it has one, and replace its CMD otherwise (``--smoke ""`` runs the
image's own ENTRYPOINT/CMD). The words are split like a shell would (``shlex``), but no shell
runs them: a distroless image has none. Each image runs with its own WORKDIR, USER and ENV.

The rewritten image "answers the same" when the exit status and the standard output (with the
standard error after it) are byte-identical. A multi-stage split changes the files of the image
by design; this is what says the program still works.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from typing import Any, Optional

SMOKE_TIMEOUT = 120.0


@dataclass
class SmokeRun:
    argv: list[str]
    exit_code: Optional[int]  # None: it could not be started or timed out
    output: str
    error: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"argv": self.argv, "exit_code": self.exit_code, "output": self.output[-4000:], "error": self.error}


@dataclass
class SmokeResult:
    command: str
    original: SmokeRun
    rewritten: SmokeRun
    notes: list[str] = field(default_factory=list)

    @property
    def same(self) -> bool:
        o, r = self.original, self.rewritten
        return o.exit_code is not None and o.exit_code == r.exit_code and o.output == r.output

    def problem(self) -> Optional[str]:
        if self.same:
            return None
        o, r = self.original, self.rewritten
        if o.exit_code is None:
            return f"the smoke command could not run in the original image: {o.error}"
        if r.exit_code is None:
            return f"the smoke command could not run in the rewritten image: {r.error}"
        if o.exit_code != r.exit_code:
            return f"the smoke command answers differently: exit status {o.exit_code} -> {r.exit_code}"
        return "the smoke command answers differently: its output differs"

    def lines(self) -> list[str]:
        o, r = self.original, self.rewritten
        shown = f"`{self.command}`" if self.command.strip() else "(the image's own command)"
        head = f"smoke {shown}: " + ("same answer" if self.same else "DIFFERENT answer")
        out = [head + f" (exit {o.exit_code} / {r.exit_code})"]
        for name, run in (("original", o), ("rewritten", r)):
            shown = run.output.strip().splitlines()[-3:] or ["(no output)"]
            out.append(f"  {name}: {' '.join(shlex.quote(a) for a in run.argv)} -> " + " | ".join(shown)[:300])
        return out

    def to_dict(self) -> dict[str, Any]:
        return {"command": self.command, "same": self.same, "original": self.original.to_dict(),
                "rewritten": self.rewritten.to_dict()}


def smoke_argv(config: dict, smoke: str) -> list[str]:
    """The argv ``docker run IMAGE <smoke>`` would start, from the image config."""
    cfg = config.get("config") or config.get("Config") or {}
    entry = list(cfg.get("Entrypoint") or [])
    args = shlex.split(smoke) if smoke.strip() else list(cfg.get("Cmd") or [])
    return entry + args


def run_smoke(engine, tag: str, config: dict, smoke: str) -> SmokeRun:
    argv = smoke_argv(config, smoke)
    if not argv:
        return SmokeRun(argv, None, "", "the image has no ENTRYPOINT or CMD and the smoke command is empty")
    try:
        code, output = engine.run(tag, argv, timeout=SMOKE_TIMEOUT)
    except NotImplementedError:
        return SmokeRun(argv, None, "", f"{engine.name} cannot run containers here")
    except Exception as e:  # noqa: BLE001 - an engine error is this run's outcome, reported
        return SmokeRun(argv, None, "", str(e))
    return SmokeRun(argv, code, output)
