"""What a rule is, and what it returns: diagnostics, each with a reason and maybe a fix.

As in ruff: a :class:`Diagnostic` says what and where (lines and columns of the original file,
once the engine has mapped it back), and why; its :class:`Fix` is a set of text edits with an
*applicability*, decided per fix: ``safe`` fixes are applied by default, ``unsafe`` ones only
with ``--unsafe-fixes``, ``display`` ones never (they are shown as suggestions). A diagnostic
without a fix is a finding the rule reports but declines to change, with the reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import ClassVar

from dockeropt.syntax import nodes as n


@dataclass(frozen=True)
class Edit:
    """Replace ``text[start:end]`` of the file with ``new``."""

    start: int
    end: int
    new: str


SAFE, UNSAFE, DISPLAY = "safe", "unsafe", "display"
APPLICABILITIES = (SAFE, UNSAFE, DISPLAY)


@dataclass(frozen=True)
class Fix:
    """Edits that make a diagnostic go away, and when they may be applied."""

    edits: tuple[Edit, ...]
    applicability: str = SAFE


@dataclass(frozen=True)
class Diagnostic:
    """What a rule found: the rule, where (1-based lines and columns; ``end_column`` 0 means the
    end of ``end_line``), why, and the fix if it has one."""

    rule: str
    line: int
    message: str
    fix: Fix | None = None
    end_line: int = 0
    column: int = 1
    end_column: int = 0

    @property
    def edits(self) -> tuple[Edit, ...]:
        return self.fix.edits if self.fix is not None else ()

    @property
    def applicability(self) -> str | None:
        return self.fix.applicability if self.fix is not None else None

    def apply(self, text: str) -> str:
        return apply_edits(text, self.edits)


Change = Diagnostic  # the name rules used before diagnostics could come without a fix


def apply_edits(text: str, edits) -> str:
    out = []
    pos = 0
    for e in sorted(edits, key=lambda e: (e.start, e.end)):
        if e.start < pos:
            raise ValueError("overlapping edits")
        out.append(text[pos : e.start])
        out.append(e.new)
        pos = e.end
    out.append(text[pos:])
    return "".join(out)


@dataclass
class Options:
    """How a run is configured (from the command line or the API)."""

    unsafe: bool = False
    cache_strategy: str = "clean"  # or "mount"
    rules: frozenset[str] = frozenset()  # ids of the rules that run

    @property
    def applied(self) -> tuple[str, ...]:
        """Applicabilities of the fixes this run applies."""
        return (SAFE, UNSAFE) if self.unsafe else (SAFE,)


SUPPRESS_RE = re.compile(r"#\s*dockeropt:\s*ignore\s*=\s*([\w\-, ]+)", re.I)
HADOLINT_RE = re.compile(r"#\s*hadolint\s+ignore\s*=\s*([\w, ]+)", re.I)


@dataclass
class Context:
    """What a rule sees besides the tree: options, the text, and the suppression comments."""

    tree: n.Dockerfile
    text: str
    options: Options = field(default_factory=Options)
    path: str | None = None
    memo: dict = field(default_factory=dict)  # what rules derive from this tree, shared between them
    origin: object = None  # maps a line of ``text`` to the original file's line (engine passes)
    build_context: object = None  # the build context (model/context.py), None when unknown (stdin)

    def orig_line(self, line: int) -> int:
        """The line of the original file that ``line`` of ``text`` comes from: what messages
        must name (a rule in a later pass sees an already rewritten text)."""
        return self.origin(line) if self.origin is not None else line  # type: ignore[operator]

    @property
    def model(self):
        """The semantic model of ``tree`` (stage graph, state per instruction), built once."""
        model = self.memo.get("model")
        if model is None:
            from dockeropt.model import Model

            model = self.memo["model"] = Model(self.tree)
        return model

    def span(self, index: int) -> tuple[int, int]:
        """Offsets in ``text`` of instruction ``index``'s own code (without leading lines)."""
        return self.tree.offsets[index]

    def suppressed(self, rule: "Rule", ins: n.Instruction) -> bool:
        """True when a comment right above ``ins`` turns ``rule`` off for it."""
        for line in ins.leading_lines:
            if not isinstance(line, n.Comment):
                continue
            m = SUPPRESS_RE.search(line.text)
            if m:
                names = {x.strip().lower() for x in m.group(1).split(",")}
                if "all" in names or rule.id in names:
                    return True
            m = HADOLINT_RE.search(line.text)
            if m:
                codes = {x.strip().upper() for x in m.group(1).split(",")}
                if codes & set(rule.hadolint):
                    return True
        return False

    def newline(self) -> str:
        """The file's newline convention (the first one used)."""
        i = self.text.find("\n")
        return "\r\n" if i > 0 and self.text[i - 1] == "\r" else "\n"


class Rule:
    """A rewrite rule. Subclasses set the class attributes and implement ``check``."""

    id: ClassVar[str]
    summary: ClassVar[str]
    hadolint: ClassVar[tuple[str, ...]] = ()
    safe: ClassVar[bool] = True
    docs: ClassVar[str] = ""

    def check(self, ctx: Context) -> list[Diagnostic]:
        raise NotImplementedError

    def change(self, ins: n.Instruction, message: str, edits, end: n.Instruction | None = None,
               applicability: str | None = None) -> Diagnostic:
        """A diagnostic on ``ins`` (through ``end``); with edits, a fix of the rule's default
        applicability (``safe`` or ``unsafe``) unless one is given; without, a finding."""
        edits = tuple(edits)
        fix = Fix(edits, applicability or (SAFE if self.safe else UNSAFE)) if edits else None
        return Diagnostic(self.id, ins.start_line, message, fix, (end or ins).end_line, column=len(ins.indent) + 1)
