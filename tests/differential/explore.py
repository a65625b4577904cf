"""Hunt for every distinct difference the properties can find (a developer tool, not a test).

    cd <repo> && PYTHONPATH=src python tests/differential/explore.py [--examples 300] [--grammar all]

Runs each grammar of test_diff_properties.py with hypothesis (shrinking on), and every time a
difference is found and shrunk, records it as known -- (the rules that alone make it, category)
-- and searches again, until a round of ``--examples`` finds nothing new. Prints each minimal
example with the harness's report.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from hypothesis import HealthCheck, Phase, given, seed, settings  # noqa: E402

import harness  # noqa: E402
from shellgen import Grammar  # noqa: E402
from test_diff_properties import check  # noqa: E402

GRAMMARS = {
    "shell": Grammar(),
    "pm": Grammar(pm=True),
    "prompts": Grammar(pm=True, prompts=True),
}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--examples", type=int, default=300)
    ap.add_argument("--grammar", default="all", choices=["all", *GRAMMARS])
    ap.add_argument("--rounds", type=int, default=12)
    ap.add_argument("--exclude", action="append", default=[],
                    help="leave a grammar element out (a command template, 'if', 'shell-e', 'ONBUILD', ...)")
    ap.add_argument("--seed", type=int, default=None)
    a = ap.parse_args()
    grammars = {"shell": Grammar(exclude=a.exclude), "pm": Grammar(pm=True, exclude=a.exclude),
                "prompts": Grammar(pm=True, prompts=True, exclude=a.exclude)}
    known: set = set()
    found = []
    for gname, grammar in grammars.items():
        if a.grammar not in ("all", gname):
            continue
        for rnd in range(a.rounds):
            t0 = time.time()

            @settings(max_examples=a.examples, deadline=None, database=None, report_multiple_bugs=False,
                      phases=tuple(Phase), suppress_health_check=list(HealthCheck))
            @given(grammar.dockerfile())
            @(seed(a.seed + rnd) if a.seed is not None else (lambda f: f))
            def prop(text):
                check(text, known)

            try:
                prop()
            except AssertionError as e:
                msg = str(e)
                line = next((x for x in msg.splitlines() if x.startswith("rules that alone")), "")
                alone = tuple(x.strip() for x in line.split(":", 1)[1].split(",")) if line else ()
                alone = () if alone == ("(only their combination)",) else alone
                cat = msg.split(";", 1)[0]
                known.add((alone, cat))
                found.append((gname, alone, cat, msg))
                print(f"\n##### [{gname}] {', '.join(alone) or 'combination'}: {cat}  ({time.time() - t0:.0f} s)")
                print(msg, flush=True)
                continue
            print(f"\n##### [{gname}] round {rnd}: nothing new in {a.examples} examples ({time.time() - t0:.0f} s)",
                  flush=True)
            break
    print("\n##### summary")
    for gname, alone, cat, _ in found:
        print(f"[{gname}] {', '.join(alone) or 'combination'}: {cat}")
    harness.close_pool()


if __name__ == "__main__":
    main()
