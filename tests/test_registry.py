"""One registry of rules (``dockeropt.rewriter.rules.ALL_RULES``): the README's rules table, the
package-manager table and ``--list-rules`` must agree with it."""

from __future__ import annotations

import io
import re
from pathlib import Path

from dockeropt.cli import list_rules
from dockeropt.rewriter.managers import MANAGERS
from dockeropt.rewriter.rules import ALL_RULES

README = Path(__file__).resolve().parents[1] / "README.md"


def _readme_rows() -> dict[str, tuple[set[str], str]]:
    """rule id -> (hadolint codes, safe|unsafe) from the README's rules table."""
    text = README.read_text(encoding="utf-8")
    table = text[text.index("## Rules") :]
    rows: dict[str, tuple[set[str], str]] = {}
    for line in table.splitlines():
        if not line.startswith("| `"):
            continue
        cells = [c.strip() for c in line.strip("|").split("|")]
        ids = re.findall(r"`([a-z0-9-]+)`", cells[0])
        codes = set(re.findall(r"DL\d{4}", cells[1]))
        fix = "unsafe" if "unsafe" in cells[2] else "safe"
        for rid in ids:
            rows[rid] = (codes, fix)
    return rows


def test_readme_rules_table_lists_every_rule_as_registered():
    rows = _readme_rows()
    assert set(rows) == {r.id for r in ALL_RULES}
    for r in ALL_RULES:
        codes, fix = rows[r.id]
        assert set(r.hadolint) <= codes, (r.id, r.hadolint, codes)
        assert fix == ("safe" if r.safe else "unsafe"), r.id


def test_list_rules_prints_the_registry_in_order():
    out = io.StringIO()
    list_rules(out)
    listed = [line.split()[0] for line in out.getvalue().splitlines()[1:]]
    assert listed == [r.id for r in ALL_RULES]


def test_every_manager_names_a_registered_rule():
    ids = {r.id for r in ALL_RULES}
    for m in MANAGERS.values():
        assert m.rule in ids, m
