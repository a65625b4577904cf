"""Every diagnostic points at the original file (issue 9): on the whole corpus, in the default and
the mount mode, each applied change's line range is an instruction's range in the ORIGINAL text,
the text the diff removes or edits lies inside the ranges of the changes, and each change's range
holds some of that text. (Rules in later passes see rewritten text; the engine maps back.)"""

from __future__ import annotations

import difflib
import re

import pytest

import dockeropt
from dockeropt.rewriter import rewrite

pytestmark = pytest.mark.corpus

_LINES = re.compile(r"[^\n]*\n|[^\n]+\Z")


def _check(text: str, result) -> list[str]:
    problems = []
    tree = dockeropt.parse(text)
    starts = {ins.start_line for ins in tree.instructions}
    ends = {ins.end_line for ins in tree.instructions}
    spans = [(c.line, c.end_line, c) for c in result.changes]
    a, b = _LINES.findall(text), _LINES.findall(result.text)
    touched: list[tuple[int, int]] = []  # 1-based original line ranges the diff removes/edits
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        if i1 == i2 == 0 and all(line.startswith("# syntax=") for line in b[j1:j2]):
            continue  # cache-mounts' fix also adds the `# syntax=` directive; its diagnostic is on the RUN
        # an insertion between lines i1 and i1+1 belongs to the instruction that ends at i1
        touched.append((i1 + 1, i2) if i2 > i1 else (i1, i1))
    for lo, hi in touched:
        for line in range(lo, hi + 1):
            if 0 < line <= len(a) and not a[line - 1].strip():
                continue  # difflib may pin a dropped blank line on any of several equal ones
            if not any(s <= line <= e for s, e, _ in spans):
                problems.append(f"line {line} changed, but no change's range holds it")
    for s, e, c in spans:
        if s not in starts or e not in ends:
            problems.append(f"{c.rule} {s}-{e}: not an instruction's range in the original")
        if not any(lo <= e and s <= hi for lo, hi in touched):
            problems.append(f"{c.rule} {s}-{e}: the diff changes nothing there")
    return problems


@pytest.mark.parametrize("mode", ["clean", "mount"])
def test_every_change_points_at_what_it_changed_in_the_original(corpus, mode):
    bad = {}
    checked = 0
    for f in sorted((corpus / "files").iterdir()):
        text = f.read_bytes().decode("utf-8", "surrogateescape")
        try:
            result = rewrite(text, cache_strategy=mode)
        except dockeropt.DockerfileSyntaxError:
            continue
        if not result.changes:
            continue
        checked += 1
        problems = _check(text, result)
        if problems:
            bad[f.name] = problems[:3]
    assert checked > 500
    assert not bad, "\n".join(f"{k}: {v}" for k, v in list(bad.items())[:20])
