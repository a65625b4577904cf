"""The multi-stage rule on the shared corpus: how many files it splits, and why it leaves the
others alone (by reason), with the oracles: no crash, every output parses (strict), and a second
run changes nothing.

    python benchmarks/multistage_corpus.py [CORPUS_DIR] [--json FILE]

The corpus has no build contexts, so what needs one (an entrypoint script, an npm script,
a Cargo.toml) counts as not split here.
"""

from __future__ import annotations

import collections
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from dockeropt.rewriter import rewrite  # noqa: E402
from dockeropt.rewriter.base import Context, Options  # noqa: E402
from dockeropt.rewriter.split.plan import Plan, analyse  # noqa: E402
from dockeropt.syntax.errors import DockerfileSyntaxError  # noqa: E402
from dockeropt.syntax.parse import parse  # noqa: E402


def classify(text: str) -> dict:
    """{"outcome": split|not split|rejected, "key", "stack", "reason", "ok", "problem"}."""
    try:
        tree = parse(text, strict=True)
    except DockerfileSyntaxError:
        return {"outcome": "rejected", "key": "syntax", "stack": None, "reason": "BuildKit rejects it", "ok": True}
    ctx = Context(tree, text, Options(unsafe=True, rules=frozenset({"multi-stage"})))
    plan = analyse(ctx)
    out: dict = {"ok": True}
    if isinstance(plan, Plan):
        out.update(outcome="split", key=plan.stack, stack=plan.stack, reason=plan.runtime.image)
    else:
        out.update(outcome="not split", key=plan.key, stack=None, reason=plan.reason, quiet=plan.quiet)
    result = rewrite(text, select=["multi-stage"], unsafe=True, tree=tree)
    if result.notes:
        out.update(ok=False, problem="; ".join(result.notes))
    if (out["outcome"] == "split") != result.changed:
        out.update(ok=False, problem=f"plan says {out['outcome']} but the rewrite changed={result.changed}")
    if result.changed:
        try:
            parse(result.text, strict=True)
        except DockerfileSyntaxError as e:
            out.update(ok=False, problem=f"output does not parse: {e}")
            return out
        again = rewrite(result.text, select=["multi-stage"], unsafe=True)
        if again.text != result.text:
            out.update(ok=False, problem="not a fixpoint")
    return out


def run(corpus: Path) -> dict:
    files = sorted((corpus / "files").iterdir())
    rows = {}
    t0 = time.monotonic()
    for f in files:
        text = f.read_bytes().decode("utf-8", "surrogateescape")
        try:
            rows[f.name] = classify(text)
        except Exception as e:  # noqa: BLE001 - a crash is what this counts
            rows[f.name] = {"outcome": "crash", "key": type(e).__name__, "reason": str(e), "ok": False}
    seconds = time.monotonic() - t0
    outcomes = collections.Counter(r["outcome"] for r in rows.values())
    split_by_stack = collections.Counter(r["key"] for r in rows.values() if r["outcome"] == "split")
    not_split = collections.Counter(r["key"] for r in rows.values() if r["outcome"] == "not split")
    candidates = collections.Counter(r["key"] for r in rows.values()
                                     if r["outcome"] == "not split" and not r.get("quiet"))
    return {"files": len(files), "seconds": round(seconds, 2), "outcomes": dict(outcomes),
            "split_by_stack": dict(split_by_stack), "not_split_by_reason": dict(not_split.most_common()),
            "declined_with_reason": dict(candidates.most_common()),
            "problems": {k: v for k, v in rows.items() if not v.get("ok")}, "rows": rows}


def main(argv: list[str]) -> int:
    corpus = Path(argv[0]) if argv and not argv[0].startswith("--") else ROOT.parent / "shared" / "corpus"
    report = run(corpus)
    print(f"{report['files']} files in {report['seconds']} s: {report['outcomes']}")
    print("split, by stack:", report["split_by_stack"])
    print("not split, by reason (all):")
    for k, v in report["not_split_by_reason"].items():
        print(f"  {v:5d}  {k}")
    print("of which declined with a reason shown to the user:", sum(report["declined_with_reason"].values()))
    for name, r in list(report["problems"].items())[:20]:
        print("PROBLEM", name, r)
    if "--json" in argv:
        Path(argv[argv.index("--json") + 1]).write_text(json.dumps(report, indent=1) + "\n")
    return 1 if report["problems"] else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
