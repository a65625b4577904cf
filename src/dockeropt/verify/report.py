"""The result of a verification and its renderings (text, markdown, JSON)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from .outcome import Failure
from .tree import TreeDiff

# Compressed sizes vary by ~100 bytes between two no-cache builds of the same Dockerfile (gzip of
# tars whose mtimes differ).  Uncompressed sizes are deterministic and compared exactly.
COMPRESSED_TOLERANCE_BYTES = 16 * 1024
COMPRESSED_TOLERANCE_RATIO = 0.001


def compressed_tolerance(original_bytes: int) -> int:
    return max(COMPRESSED_TOLERANCE_BYTES, int(original_bytes * COMPRESSED_TOLERANCE_RATIO))


@dataclass
class ImageStats:
    """Measurements of one built image (base layers included)."""

    layers: int
    uncompressed_bytes: int
    compressed_bytes: int
    build_seconds: float
    compressed_estimated: bool = False
    layer_details: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "layers": self.layers,
            "uncompressed_bytes": self.uncompressed_bytes,
            "compressed_bytes": self.compressed_bytes,
            "compressed_estimated": self.compressed_estimated,
            "build_seconds": round(self.build_seconds, 2),
            "layer_details": self.layer_details,
        }


@dataclass
class BuildResult:
    """How one build ended.  ``failure`` is None when it built.  ``original_lines``: the lines
    of the ORIGINAL file the failing instruction stands for (for the original build, the
    instruction's own lines; for the rewritten one, the original instructions it contains)."""

    seconds: float
    failure: Failure | None = None
    original_lines: tuple[int, int] | None = None
    original_label: str = ""  # "line 4" / "lines 4-9" / "no line of the original"
    log: str = ""  # the end of the build output, when it failed

    @property
    def built(self) -> bool:
        return self.failure is None

    def describe(self, rewritten: bool) -> str:
        f = self.failure
        if f is None:
            return "builds"
        if f.kind == "engine" or f.step is None:
            return f"does not build, and the engine names no failing step ({f.reason.splitlines()[-1] if f.reason else '?'})"
        status = f"exit status {f.exit_status}" if f.exit_status is not None else f.reason
        where = f"line {f.step.line}"
        if rewritten:
            where = f"rewritten line {f.step.line} (original {self.original_label})"
        text = f.step.text if len(f.step.text) <= 80 else f.step.text[:77] + "..."
        return f"fails at {where}: {text} ({status})"

    def to_dict(self) -> dict[str, Any]:
        return {
            "built": self.built,
            "build_seconds": round(self.seconds, 2),
            "failure": self.failure.to_dict() if self.failure else None,
            "original_lines": list(self.original_lines) if self.original_lines else None,
            "log_tail": self.log[-4000:] if self.log else "",
        }


def mb(n: int | float) -> str:
    return f"{n / 1e6:.1f} MB"


def _signed_mb(n: int) -> str:
    return f"{'+' if n > 0 else '-' if n < 0 else '±'}{abs(n) / 1e6:.1f} MB"


def _signed(n: float, unit: str = "", fmt: str = "{:.0f}") -> str:
    return f"{'+' if n > 0 else '-' if n < 0 else '±'}{fmt.format(abs(n))}{unit}"


@dataclass
class VerifyReport:
    """What :func:`dockeropt.verify.verify` found.  ``exit_code``: 0 verified (same image, or
    both builds fail at corresponding steps), 1 not verified.  ``verdict``: the outcome in words
    when a build failed; ``original_build``/``rewritten_build``: how each build ended."""

    engine: str
    dockerfile: str
    original: ImageStats | None
    rewritten: ImageStats | None
    tree_diff: TreeDiff | None
    config_diff: dict[str, tuple[Any, Any]]
    ignore_patterns: list[tuple[str, str]]
    problems: list[str]
    identical: bool = False
    rewritten_build_log: str = ""
    original_build: BuildResult | None = None
    rewritten_build: BuildResult | None = None
    verdict: str = ""
    smoke: Any = None  # smoke.SmokeResult when a smoke command ran
    split: bool = False  # the rewrite split the build into stages: file trees differ by design

    @property
    def any_failed(self) -> bool:
        return any(b is not None and not b.built for b in (self.original_build, self.rewritten_build))

    @property
    def exit_code(self) -> int:
        return 1 if self.problems else 0

    @property
    def verified(self) -> bool:
        return not self.problems

    def headline(self) -> str:
        if self.identical:
            return "verified: the rewrite changes nothing"
        if self.verified and self.verdict:
            return "verified: " + self.verdict
        o, r = self.original, self.rewritten
        if self.verified and o and r:
            dl = r.layers - o.layers
            db = r.uncompressed_bytes - o.uncompressed_bytes
            if self.split:
                pct = 100.0 * db / o.uncompressed_bytes if o.uncompressed_bytes else 0.0
                return (f"verified: multi-stage split, {_signed_mb(db)} ({pct:+.0f}%), "
                        f"the smoke command answers the same")
            return f"verified: {_signed(dl)} layers, {_signed_mb(db)}"
        return "NOT verified: " + "; ".join(self.problems)

    # renderings -----------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        return {
            "verified": self.verified,
            "exit_code": self.exit_code,
            "headline": self.headline(),
            "engine": self.engine,
            "dockerfile": self.dockerfile,
            "identical": self.identical,
            "original": self.original.to_dict() if self.original else None,
            "rewritten": self.rewritten.to_dict() if self.rewritten else None,
            "tree_diff": self.tree_diff.to_dict() if self.tree_diff else None,
            "config_diff": {k: {"original": a, "rewritten": b} for k, (a, b) in self.config_diff.items()},
            "ignored": [{"pattern": p, "why": w} for p, w in self.ignore_patterns],
            "problems": self.problems,
            "verdict": self.verdict,
            "original_build": self.original_build.to_dict() if self.original_build else None,
            "rewritten_build": self.rewritten_build.to_dict() if self.rewritten_build else None,
            "rewritten_build_log_tail": self.rewritten_build_log[-4000:] if self.rewritten_build_log else "",
            "split": self.split,
            "smoke": self.smoke.to_dict() if self.smoke is not None else None,
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=False) + "\n"

    def _rows(self) -> list[tuple[str, str, str, str]]:
        o, r = self.original, self.rewritten
        if o is None:
            return []
        est = " (gzip -1 estimate)" if o.compressed_estimated else ""
        rows = [
            ("layers", str(o.layers), str(r.layers) if r else "—", _signed(r.layers - o.layers) if r else ""),
            ("size (uncompressed)", mb(o.uncompressed_bytes), mb(r.uncompressed_bytes) if r else "—",
             _signed_mb(r.uncompressed_bytes - o.uncompressed_bytes) if r else ""),
            ("size (compressed" + est + ")", mb(o.compressed_bytes), mb(r.compressed_bytes) if r else "—",
             _signed_mb(r.compressed_bytes - o.compressed_bytes) if r else ""),
            ("build time", f"{o.build_seconds:.1f} s", f"{r.build_seconds:.1f} s" if r else "—",
             _signed(r.build_seconds - o.build_seconds, " s", "{:.1f}") if r else ""),
        ]
        return rows

    def _difference_lines(self, limit: int = 50) -> list[str]:
        lines = []
        if self.tree_diff and not self.tree_diff.empty:
            lines += self.tree_diff.summary_lines(limit)
        for k, (a, b) in self.config_diff.items():
            lines.append(f"~ config {k}: {json.dumps(a)} -> {json.dumps(b)}")
        return lines

    def _build_lines(self) -> list[tuple[str, str]]:
        """("original", "fails at line 4: ..."), ("rewritten", "builds") when a build failed."""
        if not self.any_failed:
            return []
        out = []
        for name, b in (("original", self.original_build), ("rewritten", self.rewritten_build)):
            if b is not None:
                out.append((name, b.describe(rewritten=name == "rewritten")))
        return out

    def _failed_logs(self, limit: int = 30) -> list[tuple[str, list[str]]]:
        out = []
        for name, b in (("original", self.original_build), ("rewritten", self.rewritten_build)):
            if b is not None and not b.built and b.log:
                out.append((name, b.log.splitlines()[-limit:]))
        if not out and self.rewritten_build_log and self.rewritten is None:
            out.append(("rewritten", self.rewritten_build_log.splitlines()[-limit:]))
        return out

    def to_markdown(self) -> str:
        out = [f"### dockeropt verify — `{self.dockerfile}` ({self.engine})", ""]
        if self.identical:
            return "\n".join(out + ["**" + self.headline() + "**", ""])
        rows = self._rows()
        if rows:
            out += ["| | original | rewritten | change |", "|---|---:|---:|---:|"]
            out += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows]
            out += [""]
        builds = self._build_lines()
        if builds:
            out += ["| build | outcome |", "|---|---|"]
            out += ["| " + name + " | " + what.replace("|", "\\|") + " |" for name, what in builds]
            out += [""]
        out += [f"**{self.headline()}**", ""]
        if self.smoke is not None:
            out += ["```", *self.smoke.lines(), "```", ""]
        diff = self._difference_lines()
        if diff:
            out += ["Differences in the file tree / config:", "", "```diff", *diff, "```", ""]
        for name, lines in self._failed_logs():
            out += [f"{name.capitalize()} build output (end):", "", "```", *lines, "```", ""]
        if not self.any_failed:
            out += ["<details><summary>Paths not compared (caches and logs)</summary>", ""]
            out += [f"- `{p}` — {w}" for p, w in self.ignore_patterns]
            out += ["", "</details>", ""]
        return "\n".join(out)

    def to_text(self) -> str:
        out = [f"dockeropt verify: {self.dockerfile} ({self.engine})"]
        if not self.identical and self._rows():
            rows = [("", "original", "rewritten", "change"), *self._rows()]
            widths = [max(len(r[i]) for r in rows) for i in range(4)]
            for r in rows:
                out.append("  " + "  ".join(
                    c.ljust(widths[i]) if i == 0 else c.rjust(widths[i]) for i, c in enumerate(r)
                ).rstrip())
        for name, what in self._build_lines():
            out.append(f"  {name + ':':<10} {what}")
        out.append(self.headline())
        if self.smoke is not None:
            out += self.smoke.lines()
        diff = self._difference_lines(10 if self.split else 50)
        if diff:
            out.append("differences (expected: the build was split into stages):" if self.split else "differences:")
            out += ["  " + d for d in diff]
        for name, lines in self._failed_logs():
            out.append(f"{name} build output (end):")
            out += ["  " + line for line in lines]
        if not self.identical and not self.any_failed:
            out.append("not compared: " + ", ".join(p for p, _ in self.ignore_patterns))
        return "\n".join(out) + "\n"

    def render(self, fmt: str = "text") -> str:
        if fmt == "json":
            return self.to_json()
        if fmt == "markdown":
            return self.to_markdown()
        return self.to_text()
