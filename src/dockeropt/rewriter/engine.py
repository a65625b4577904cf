"""Run rules to a fixpoint, one rule at a time, re-parsing after every applied rule.

Safety net: a rule's edits are applied only if the result still parses the way BuildKit would
accept it (strict); otherwise they are dropped and noted. The rules run in turn, round and round,
until every rule has checked the current text and changed nothing: the output is a fixpoint,
rewriting it again changes nothing. A rule that already checked the current text is not run
again (the same as whole passes, which would re-run it on the same text: rules are functions of
the text, the options and the context), and each rule's findings are those of its last check.
"""

from __future__ import annotations

import os
from bisect import bisect_left, bisect_right, insort
from dataclasses import dataclass, field, replace

from dockeropt.rewriter.base import Change, Context, Diagnostic, Options, Rule, apply_edits
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
    changes: list[Diagnostic] = field(default_factory=list)  # fixes applied; positions in the original
    notes: list[str] = field(default_factory=list)
    findings: list[Diagnostic] = field(default_factory=list)  # reported, not applied (no fix, or
    # a fix this run does not apply: unsafe without --unsafe-fixes, display-only)

    @property
    def changed(self) -> bool:
        return self.text != self.original


class UnknownRuleError(ValueError):
    pass


def select_rules(select=None, ignore=None, unsafe: bool = False) -> list[Rule]:
    """The rules to run, in registry order. ``select``/``ignore`` take rule ids or hadolint codes.
    Every selected rule runs; ``unsafe`` only decides which fixes are applied (see ``rewrite``)."""
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
    context=None,
) -> RewriteResult:
    """Rewrite a Dockerfile's text. Raises DockerfileSyntaxError for input BuildKit rejects.
    ``context`` is the build context (``dockeropt.model.context``), None when it is not known:
    rules that need it then say what they would do and change nothing."""
    rules = select_rules(select, ignore, unsafe)
    options = Options(unsafe=unsafe, cache_strategy=cache_strategy, rules=frozenset(r.id for r in rules))
    if tree is None:
        tree = parse(text, strict=True)
    from dockeropt.rewriter.shellrun import cache_room

    cache_room(len(tree.instructions))
    result = RewriteResult(original=text, text=text)
    current = text
    lines = LineMap()
    ctx = Context(tree, current, options, path, build_context=context)
    applied: list[tuple[Change, int]] = []  # with the number of applications before it
    latest: dict[int, list[Change]] = {}  # rule index -> its findings on the text it last checked
    settled = 0  # rules in a row that checked the current text and changed nothing
    for turn in range(MAX_PASSES * len(rules)):
        if settled >= len(rules):
            break
        k = turn % len(rules)
        rule = rules[k]
        settled += 1
        found: list[Change] = []
        accepted: list[Change] = []
        taken = _Spans()
        for change in rule.check(ctx):
            if change.fix is None or change.fix.applicability not in options.applied:
                found.append(change)
                continue
            spans = [(e.start, e.end) for e in change.edits]
            if any(taken.overlaps(s) for s in spans):
                continue
            accepted.append(change)
            for s in spans:
                taken.add(s)
        latest[k] = found
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
            _note(result, f"{rule.id}: a change was not made: dockeropt's own check found that its "
                  f"output would not parse ({e}); your file is fine, please report this")
            continue
        broken = _broken_shell(new_tree, fresh)
        if broken:
            _note(result, f"{rule.id}: a change was not made: dockeropt's own check could not read the "
                  f"shell of the RUN it would write at line {lines.line(broken, len(lines.steps))}; "
                  "your file is fine")
            continue
        if new_text == current:
            continue
        applied.extend((c, len(lines.steps)) for c in accepted)
        lines.record(current, edits)
        current, tree = new_text, new_tree
        upto = len(lines.steps)
        ctx = Context(tree, current, options, path, origin=lambda line, upto=upto: lines.line(line, upto),
                      build_context=context)
        settled = 0  # every rule, this one too, checks the new text before the loop ends
        latest = {}  # what any rule found was on the old text
    if rules and settled < len(rules):
        result.notes.append("rules did not settle; output left unchanged")
        result.text, result.changes = text, []
        return result
    findings = [f for k in sorted(latest) for f in latest[k]]
    result.text = current
    result.changes = [lines.to_original(c, upto) for c, upto in applied]
    seen = set()
    for f in findings:
        f = lines.to_original(f, len(lines.steps))
        key = (f.rule, f.line, f.message)
        if key not in seen:
            seen.add(key)
            result.findings.append(f)
    return result


class LineMap:
    """Maps line numbers of a rewritten text back to the original, across every application of
    edits (ruff keeps a source map for the same reason): a change found in pass 3 is reported
    at the line the user wrote. A line inside replaced text maps to the start (or, for an end
    line, the end) of what it replaced."""

    def __init__(self) -> None:
        # per application: (old_start, old_end, new_start, new_end) line ranges of each edit
        self.steps: list[list[tuple[int, int, int, int]]] = []
        self.new_starts: list[list[int]] = []

    def record(self, text: str, edits) -> None:
        spans = []
        delta = 0
        line_at = _LineIndex(text)
        for e in sorted(edits, key=lambda e: (e.start, e.end)):
            old_start = line_at(e.start)
            old_end = line_at(e.end)
            new_start = old_start + delta
            new_end = new_start + (old_end - old_start) + e.new.count("\n") - text.count("\n", e.start, e.end)
            spans.append((old_start, old_end, new_start, new_end))
            delta = new_end - old_end
        self.steps.append(spans)  # in file order: old and new starts both increase
        self.new_starts.append([span[2] for span in spans])

    def line(self, line: int, upto: int, end: bool = False) -> int:
        for step in range(upto - 1, -1, -1):
            k = bisect_right(self.new_starts[step], line) - 1  # the last edit starting at or before it
            if k < 0:
                continue
            old_start, old_end, new_start, new_end = self.steps[step][k]
            if line <= new_end:
                line = old_end if end else old_start
            else:
                line += old_end - new_end
        return line

    def to_original(self, change: Diagnostic, upto: int) -> Diagnostic:
        """``change`` with its lines in the original text (the columns of a line that replaced
        text stand for the whole original line range: column 1 to the end)."""
        if not upto:
            return change
        start = self.line(change.line, upto)
        end = max(start, self.line(change.end_line or change.line, upto, end=True))
        if (start, end) == (change.line, change.end_line or change.line):
            return change
        return replace(change, line=start, end_line=end, column=1, end_column=0)


class _LineIndex:
    """1-based line number of a character offset (binary search over newline offsets)."""

    def __init__(self, text: str):
        self.starts = [0]
        find = text.find
        i = find("\n")
        while i >= 0:
            self.starts.append(i + 1)
            i = find("\n", i + 1)

    def __call__(self, offset: int) -> int:
        return bisect_right(self.starts, offset)

    def position(self, offset: int) -> tuple[int, int]:
        """(line, column), both 1-based, of a character offset."""
        line = bisect_right(self.starts, offset)
        return line, offset - self.starts[line - 1] + 1


def _same_tree(incremental: Dockerfile, full: Dockerfile) -> None:
    lines = lambda t: [(i.start_line, i.end_line) for i in t.instructions]  # noqa: E731
    if incremental != full or lines(incremental) != lines(full) or incremental.code != full.code:
        raise AssertionError("incremental re-parse differs from a full parse")


def _note(result: RewriteResult, note: str) -> None:
    if note not in result.notes:  # a rule refused again on a later turn says it once
        result.notes.append(note)


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


class _Spans:
    """Disjoint character spans taken by accepted edits; overlap tests in O(log n)."""

    def __init__(self) -> None:
        self.spans: list[tuple[int, int]] = []  # sorted by start

    def overlaps(self, span: tuple[int, int]) -> bool:
        k = bisect_left(self.spans, span)
        for j in (k - 1, k):
            if 0 <= j < len(self.spans) and _overlaps(span, self.spans[j]):
                return True
        # a run of empty spans at the same start: bisect may land between equal starts
        j = k + 1
        while j < len(self.spans) and self.spans[j][0] < span[1]:
            if _overlaps(span, self.spans[j]):
                return True
            j += 1
        return False

    def add(self, span: tuple[int, int]) -> None:
        insort(self.spans, span)


def _overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1] or a == b
