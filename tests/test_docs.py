"""Documentation that must follow the code: docs/rules.md (the help URIs of SARIF and rdjson
point into it) and the README's usage lines."""

from __future__ import annotations

from pathlib import Path

from dockeropt.cli import build_parser, build_verify_parser
from dockeropt.rules_doc import render

ROOT = Path(__file__).resolve().parents[1]


def test_rules_md_is_current():
    assert (ROOT / "docs" / "rules.md").read_text() == render(), \
        "docs/rules.md is stale: python -m dockeropt.rules_doc > docs/rules.md"


def test_every_rule_has_an_anchor_in_rules_md():
    from dockeropt.rewriter.rules import ALL_RULES

    text = (ROOT / "docs" / "rules.md").read_text()
    for rule in ALL_RULES:
        assert f"\n## {rule.id}\n" in text


def test_readme_usage_names_every_option():
    readme = (ROOT / "README.md").read_text()
    usage = readme[readme.index("## Usage"):readme.index("### Report formats")]
    for parser in (build_parser(), build_verify_parser()):
        for action in parser._actions:
            names = [o for o in action.option_strings if o not in ("-h", "--help") and not o.startswith("--no-")]
            if not names:
                continue
            spelled = set(names) | {o.replace("--", "--[no-]", 1) for o in names}
            assert any(f"{o} " in usage or f"{o}]" in usage or f"{o}`" in usage for o in spelled), \
                f"README usage does not mention {names}"
