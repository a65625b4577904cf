"""On the shared corpus without a build context (as for stdin), the context rules change
nothing and never crash; copy-deps-first says why it stays put where it would act."""

from __future__ import annotations

import pytest

import dockeropt
from dockeropt.rewriter import rewrite

pytestmark = pytest.mark.corpus

CONTEXT_RULES = ["copy-deps-first", "dockerignore"]


def test_context_rules_change_nothing_without_context(corpus):
    seen = findings = 0
    for f in sorted((corpus / "files").iterdir()):
        text = f.read_bytes().decode("utf-8", "surrogateescape")
        try:
            dockeropt.parse(text, strict=True)
        except dockeropt.DockerfileSyntaxError:
            continue
        result = rewrite(text, select=CONTEXT_RULES, unsafe=True, path=f.name, context=None)
        assert result.text == text, f.name
        assert not result.changes and not result.notes, f.name
        assert all(d.fix is None for d in result.findings)
        assert all(d.rule == "copy-deps-first" and "build context" in d.message for d in result.findings), f.name
        seen += 1
        findings += len(result.findings)
    assert seen > 1000
    print(f"{seen} files, {findings} copy-deps-first findings (no context)")
