"""The generated .dockerignore for each case of ``corpus/rules/dockerignore/<case>/`` (a
``context/`` directory; ``Dockerfile`` is a link to ``context/Dockerfile`` when the Dockerfile
lives in its context): the proposal with and without --unsafe-fixes as a snapshot, and its
properties -- an existing ignore file is kept byte for byte at the start, no path an explicit
COPY/ADD source names is excluded (checked with BuildKit's matcher on the new file), and a second
run on the result proposes nothing more.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from case_context import context_dir, dockerfile_path  # noqa: E402

from dockeropt.model import Model
from dockeropt.model.context import BuildContext
from dockeropt.model.copies import context_reads
from dockeropt.model.patterns import source_regex
from dockeropt.report.diff import unified_diff
from dockeropt.rewriter.dockerignore import propose
from dockeropt.syntax.parse import parse

ROOT = Path(__file__).resolve().parents[2]
CASES = sorted(p for p in (ROOT / "corpus" / "rules" / "dockerignore").iterdir() if p.is_dir())


def _setup(case: Path):
    df = dockerfile_path(case)
    tree = parse(df.read_text(), strict=True)
    ctx = BuildContext(str(context_dir(case)), str(df))
    return tree, ctx, str(df)


def _propose(case: Path, unsafe: bool, ignore_text=None):
    tree, ctx, df = _setup(case)
    if ignore_text is not None:
        ctx = ctx.with_ignore(ignore_text)
    return propose(tree, Model(tree), ctx, dockerfile=df, unsafe=unsafe)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_proposal_snapshot(case, snapshot):
    out = []
    for unsafe in (False, True):
        p = _propose(case, unsafe)
        out.append(f"--unsafe-fixes: {unsafe}")
        out.append(f"file: {Path(p.ignore_path).name}")
        out.append(p.summary())
        out += [f"+ {c.pattern} ({c.category}; {c.files} files)" + (f" [unsafe: {c.unsafe}]" if c.unsafe else "")
                for c in p.applied]
        out += [f"held {c.pattern}: {c.unsafe}" for c in p.held]
        out += [f"kept {c.pattern}: {c.refused}" for c in p.refused]
        out += [f"note: {n}" for n in p.notes]
        out.append(unified_diff(".dockerignore", p.old_text, p.new_text) or "(no change)")
    assert "\n".join(out) == snapshot


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
@pytest.mark.parametrize("unsafe", [False, True])
def test_proposal_properties(case, unsafe):
    p = _propose(case, unsafe)
    assert p.new_text.startswith(p.old_text), "the existing ignore file must be kept as it is"
    tree, ctx, df = _setup(case)
    new_ctx = ctx.with_ignore(p.new_text)
    sent_before = {e.path for e in ctx.walk()}
    for r in context_reads(Model(tree)):
        for src in r.sources:
            if src in (None, "."):
                continue
            rx = source_regex(src)
            for path in sent_before:
                if rx.match(path):
                    assert new_ctx.is_sent(path), f"{src} at line {r.line} needs {path}"
    assert p.after[0] <= p.before[0] and p.after[1] <= p.before[1]
    again = _propose(case, unsafe, ignore_text=p.new_text)
    assert again.new_text == p.new_text, "a second run changed the ignore file again"


def test_enough_cases():
    assert len(CASES) >= 10
