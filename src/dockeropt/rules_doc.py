"""docs/rules.md, made from the rules' own docs (their module docstrings), so that the help URIs
of SARIF and rdjson (``docs/rules.md#<rule-id>``) always say what the code does.

    python -m dockeropt.rules_doc > docs/rules.md      (a test fails when the file is stale)
"""

from __future__ import annotations

import re


def render() -> str:
    from dockeropt.rewriter.rules import ALL_RULES

    out = ["# dockeropt rules", "",
           "Made by `python -m dockeropt.rules_doc` from each rule's docs "
           "(`src/dockeropt/rewriter/rules/`). `dockeropt --list-rules` lists them.", "",
           "| rule | hadolint | fix | summary |", "|---|---|---|---|"]
    for r in ALL_RULES:
        out.append(f"| [`{r.id}`](#{r.id}) | {', '.join(r.hadolint) or '–'} | {'safe' if r.safe else 'unsafe'} | {r.summary} |")
    out.append("")
    for r in ALL_RULES:
        docs = re.sub(r"::\n", ":\n", (r.docs or r.summary).strip())
        out += [f"## {r.id}", "",
                f"hadolint: {', '.join(r.hadolint) or '–'} · fix: {'safe' if r.safe else '**unsafe** (applied with `--unsafe-fixes`)'}",
                "", docs, ""]
    return "\n".join(out)


if __name__ == "__main__":
    import sys

    sys.stdout.write(render())
