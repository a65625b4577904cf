"""Run rules to a fixpoint, one rule at a time, re-parsing after every applied rule.

Safety net: a rule's edits are applied only if the result still parses the way BuildKit would
accept it (strict); otherwise they are dropped and noted. The loop ends when a whole pass changes
nothing, so the output is a fixpoint: rewriting it again changes nothing.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from dockeropt.rewriter.base import Change, Context, Options, Rule, apply_edits
from dockeropt.syntax.errors import DockerfileSyntaxError
from dockeropt.syntax.nodes import Dockerfile
from dockeropt.syntax.parse import parse, reparse
from dockeropt.syntax.validate import check_instructions

MAX_PASSES = 8
# Compare every incremental re-parse with a full parse (the test suite turns this on).
CHECK_REPARSE = os.environ.get("DOCKEROPT_CHECK_REPARSE") == "1"


@dataclass
class RewriteResult:
    original: str
    text: str
    changes: list[Change] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return self.text != self.original


class UnknownRuleError(ValueError):
    pass


def select_rules(select=None, ignore=None, unsafe: bool = False) -> list[Rule]:
    """The rules to run, in registry order. ``select``/``ignore`` take rule ids or hadolint codes."""
    from dockeropt.rewriter.rules import ALL_RULES

    def matches(rule, names):
        return rule.id in names or any(code in names for code in rule.hadolint) or "all" in names

    known = {r.id for r in ALL_RULES} | {c for r in ALL_RULES for c in r.hadolint} | {"all"}
    for names in (select, ignore):
        for name in names or ():
            if name not in known:
                raise UnknownRuleError(f"unknown rule: {name}")
    out = []
    for rule in ALL_RULES:
        if select and not matches(rule, set(select)):
            continue
        if ignore and matches(rule, set(ignore)):
            continue
        if not rule.safe and not unsafe:
            continue
        out.append(rule())
    return out


def rewrite(
    text: str,
    *,
    select=None,
    ignore=None,
    unsafe: bool = False,
    cache_strategy: str = "clean",
    path: str | None = None,
    tree: Dockerfile | None = None,
) -> RewriteResult:
    """Rewrite a Dockerfile's text. Raises DockerfileSyntaxError for input BuildKit rejects."""
    rules = select_rules(select, ignore, unsafe)
    options = Options(unsafe=unsafe, cache_strategy=cache_strategy, rules=frozenset(r.id for r in rules))
    if tree is None:
        tree = parse(text, strict=True)
    result = RewriteResult(original=text, text=text)
    current = text
    ctx = Context(tree, current, options, path)
    for _ in range(MAX_PASSES):
        changed = False
        for rule in rules:
            accepted: list[Change] = []
            taken: list[tuple[int, int]] = []
            for change in rule.check(ctx):
                spans = [(e.start, e.end) for e in change.edits]
                if not change.edits or any(_overlaps(s, t) for s in spans for t in taken):
                    continue
                accepted.append(change)
                taken.extend(spans)
            if not accepted:
                continue
            edits = [e for c in accepted for e in c.edits]
            new_text = apply_edits(current, edits)
            try:
                new_tree = reparse(tree, current, new_text, edits)
                if CHECK_REPARSE:
                    _same_tree(new_tree, parse(new_text))
                # instruction-level checks only for what the rule wrote (the rest passed them)
                fresh = _fresh(tree, new_tree)
                check_instructions(new_tree, only=fresh)
            except DockerfileSyntaxError as e:
                result.notes.append(f"{rule.id}: change dropped, its output would not parse ({e})")
                continue
            broken = _broken_shell(new_tree, fresh)
            if broken:
                result.notes.append(f"{rule.id}: change dropped, it would break the shell of line {broken}")
                continue
            if new_text == current:
                continue
            current, tree = new_text, new_tree
            ctx = Context(tree, current, options, path)
            result.changes.extend(accepted)
            changed = True
        if not changed:
            break
    else:
        result.notes.append("rules did not settle; output left unchanged")
        result.text, result.changes = text, []
        return result
    result.text = current
    return result


def _same_tree(incremental: Dockerfile, full: Dockerfile) -> None:
    lines = lambda t: [(i.start_line, i.end_line) for i in t.instructions]  # noqa: E731
    if incremental != full or lines(incremental) != lines(full) or incremental.code != full.code:
        raise AssertionError("incremental re-parse differs from a full parse")


def _fresh(old: Dockerfile, new: Dockerfile) -> set[int]:
    """ids of the instructions of ``new`` whose text ``old`` does not have."""
    before = {ins.own_code for ins in old.instructions}
    return {id(ins) for ins in new.instructions if ins.own_code not in before}


def _broken_shell(new: Dockerfile, fresh: set[int]) -> int | None:
    """Line of a new RUN whose shell text does not parse (a rule bug), else None."""
    from dockeropt.rewriter.shellrun import parse_cached
    from dockeropt.syntax.nodes import Run

    for ins in new.instructions:
        if id(ins) in fresh and isinstance(ins, Run) and ins.command is not None and not ins.heredocs:
            if not parse_cached(ins.rest).ok:
                return ins.start_line
    return None


def _overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1] or a == b
