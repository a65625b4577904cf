"""Every hand-written rule case (corpus/rules/<rule>/<case>/) and every end-to-end case
(tests/e2e/cases/<case>/), original vs rewritten, run by the differential harness under dash and
bash with every external call of the original failing in turn (see README.md).

Rule cases are rewritten as tests/rules/test_rule_cases.py does (their rule only, unsafe rules
allowed, the case's cache_strategy and also_select); end-to-end cases with the default rules. A
case the rewrite leaves unchanged passes without running. A case the harness cannot model is
skipped with the reason (heredoc RUNs, files the case directory does not have, ...).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dockeropt.rewriter import rewrite
from harness import Skip, differential, prompt_abort

ROOT = Path(__file__).resolve().parents[2]
RULE_CASES = sorted(p for p in (ROOT / "corpus" / "rules").glob("*/*") if (p / "Dockerfile").is_file())
E2E_CASES = sorted(p for p in (ROOT / "tests" / "e2e" / "cases").iterdir() if (p / "Dockerfile").is_file())


def _read(path: Path) -> str:
    return path.read_bytes().decode("utf-8")


# Rules whose fix is unsafe because it changes how a build fails -- and only in this way: a package
# manager that stopped at its confirmation prompt (no terminal to answer it) goes on. For their
# cases every difference must be such a prompt in the original's failing RUN.
PROMPT_RULES = {"apt-get-yes", "yum-yes", "dnf-yes", "zypper-non-interactive"}


def _check(text: str, new: str, case: Path, prompts_answered: bool = False) -> None:
    if new == text:
        return
    try:
        report = differential(text, new, case)
    except Skip as e:
        pytest.skip(str(e))
    if prompts_answered and report.differing and all(prompt_abort(p) for p in report.differing):
        return
    if not report.equal:
        pytest.fail(report.text(), pytrace=False)


@pytest.mark.parametrize("case", RULE_CASES, ids=[f"{p.parent.name}/{p.name}" for p in RULE_CASES])
def test_rule_case(case: Path, full_pool):
    meta = json.loads((case / "case.json").read_text()) if (case / "case.json").exists() else {}
    text = _read(case / "Dockerfile")
    rule = case.parent.name
    if rule == "multi-stage":
        pytest.skip("a split copies what the build made into another image, and the harness's compilers are "
                    "stubs that make nothing: the split is proved by building (tests/e2e/test_multistage.py)")
    result = rewrite(text, select=[rule, *meta.get("also_select", [])], unsafe=True,
                     cache_strategy=meta.get("cache_strategy", "clean"), path=str(case / "Dockerfile"))
    _check(text, result.text, case, prompts_answered=rule in PROMPT_RULES)


@pytest.mark.parametrize("case", E2E_CASES, ids=[p.name for p in E2E_CASES])
def test_e2e_case(case: Path, full_pool):
    text = _read(case / "Dockerfile")
    _check(text, rewrite(text).text, case)
