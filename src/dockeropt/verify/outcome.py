"""How a build ended: built, failed at an instruction, or failed before any instruction ran; and
which lines of the ORIGINAL Dockerfile a rewritten instruction stands for.

A rewrite must keep how a build fails: if the original stops at a step, the rewritten build must
stop at the corresponding step.  Two things are needed to check that:

* :func:`read_failure` finds the failing instruction in an engine's output.  buildah and podman
  print ``[S/T] STEP n/m: INSTRUCTION`` before every step (``[S/T]`` only with several stages; S
  counts every stage of the file, n every instruction of the stage, FROM being 1) and end with
  ``Error: building at STEP "INSTRUCTION": exit status N``.  BuildKit prints ``Dockerfile:LINE``
  above the failing instruction; the classic Docker builder ``Step n/m : INSTRUCTION``.  A
  failure that names no instruction (or names FROM, or the runtime itself failed, or the build
  timed out) means the engine could not run the build at all: :attr:`Failure.kind` ``"engine"``.
* :func:`correspondence` maps every instruction of the rewritten file to the original
  instructions it contains: non-RUN instructions one to one, RUNs by matching their words (a
  merged RUN contains the words of every RUN it was made of, whatever was added around them).

Like :mod:`.bases`, this reads Dockerfiles with a small line reader of its own, not the project's
parser: verify checks the rewriter's work and should not share its reading of the file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from typing import Any, Iterable

from .bases import instructions

# --- the instructions of a Dockerfile ------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One instruction of a Dockerfile: its place in the build and in the file."""

    stage: int  # 1-based, every FROM counts
    index: int  # 1-based within the stage, the FROM is 1
    keyword: str  # upper-case
    line: int  # 1-based, first line of the instruction
    end_line: int  # last line (continuations and heredoc bodies included)
    text: str  # the instruction joined over its continuations

    @property
    def key(self) -> tuple[int, int]:
        return (self.stage, self.index)


def steps_of(text: str) -> list[Step]:
    """The instructions of every stage (instructions before the first FROM are not steps)."""
    out: list[Step] = []
    stage = index = 0
    for ll in instructions(text):
        parts = ll.text.split(None, 1)
        if not parts:
            continue
        kw = parts[0].upper()
        if kw == "FROM":
            stage, index = stage + 1, 0
        if stage == 0:
            continue
        index += 1
        out.append(Step(stage, index, kw, ll.line, ll.end_line, ll.text))
    return out


def lines_label(first: int, last: int) -> str:
    """``line 4`` or ``lines 4-9``."""
    return f"line {first}" if first == last else f"lines {first}-{last}"


# --- reading a failed build's output --------------------------------------------------------------

# buildah / podman: "[2/3] STEP 4/5: RUN make" (the [S/T] prefix only with several stages)
_BUILDAH_STEP = re.compile(r"^(?:\[(\d+)/(\d+)\] )?STEP (\d+)/(\d+): (.*)$")
_BUILDAH_ERROR = re.compile(r'^Error: building at STEP "(.*)": (.*)$')
_EXIT_STATUS = re.compile(r"^exit status (\d+)$")
# classic docker builder: "Step 3/7 : RUN make" ... "The command '/bin/sh -c make' returned a non-zero code: 2"
_CLASSIC_STEP = re.compile(r"^Step (\d+)/(\d+) : (.*)$")
_CLASSIC_ERROR = re.compile(r"returned a non-zero code: (\d+)")
# BuildKit: "Dockerfile:12" above the excerpt of the failing instruction; "exit code: 2"
_BUILDKIT_LINE = re.compile(r"^(?:\S*Dockerfile):(\d+)$")
_BUILDKIT_EXIT = re.compile(r"did not complete successfully: exit code: (\d+)")
# BuildKit before v0.10 (Docker 20.10) prints no excerpt: the failing step comes again after "------"
# as " > [3/4] RUN make:" (" > [builder 2/5] RUN make:" in a named stage), with
# "executor failed running [/bin/sh -c make]: exit code: 2"
_BUILDKIT_OLD_STEP = re.compile(r"^> \[(?:(\S+) )?(\d+)/(\d+)\] (.*):$")
_BUILDKIT_OLD_EXIT = re.compile(r"executor failed running .*: exit code: (\d+)$")
_ENGINE_TROUBLE = ("while running runtime", "creating build container", "killed after")


def is_step_line(line: str) -> bool:
    """Does ``line`` of build output announce a step (kept apart from the output's tail)?"""
    s = line.strip()
    return bool(_BUILDAH_STEP.match(s) or _CLASSIC_STEP.match(s))


def _norm(text: str) -> str:
    """For comparing an instruction as an engine prints it with the file's: no JSON punctuation
    (buildah prints exec form without it), whitespace collapsed, case folded."""
    return " ".join(re.sub(r'[\[\]",]', " ", text).split()).lower()


@dataclass
class Failure:
    """Where and how a build failed.  ``kind``: ``"step"`` (an instruction failed: a RUN exited
    non-zero, a COPY source is missing ...) or ``"engine"`` (the engine could not run the build:
    no step is named, the FROM failed, the runtime failed, the build timed out)."""

    kind: str
    reason: str  # the engine's error line (or the last lines of output)
    step: Step | None = None  # the failing instruction of the file that was built
    instruction: str = ""  # as the engine printed it
    exit_status: int | None = None  # of the failing RUN, when the engine says

    def where(self) -> str:
        if self.step is None:
            return "before any step"
        return f"line {self.step.line}"

    def to_dict(self) -> dict[str, Any]:
        s = self.step
        return {
            "kind": self.kind,
            "line": s.line if s else None,
            "end_line": s.end_line if s else None,
            "stage": s.stage if s else None,
            "step": s.index if s else None,
            "instruction": (s.text if s else self.instruction)[:300],
            "exit_status": self.exit_status,
            "reason": self.reason[:1000],
        }


def _pick(steps: list[Step], stage: int | None, index: int | None, printed: str) -> Step | None:
    """The step an engine names by number, the text it printed checking the number (or standing
    in for it when there is none, or when numbers and text disagree)."""
    want = _norm(printed)

    def matches(s: Step) -> bool:
        return bool(want) and _norm(s.text) == want

    if index is not None and stage is None:
        # no [S/T] prefix: buildah prints none when the file has one stage
        numbered = [s for s in steps if s.index == index]
        agreeing = [s for s in numbered if matches(s)]
        if agreeing:
            return agreeing[-1]
        if len({s.stage for s in steps}) == 1 and numbered:
            return numbered[0]
        stage_steps = steps
    elif index is not None:
        stage_steps = [s for s in steps if s.stage == stage]
        numbered = [s for s in stage_steps if s.index == index]
        if numbered and (not want or matches(numbered[0])):
            return numbered[0]
        by_text = [s for s in stage_steps if matches(s)]
        if len(by_text) == 1:
            return by_text[0]
        return numbered[0] if numbered else None
    else:
        stage_steps = steps
    by_text = [s for s in stage_steps if matches(s)]
    return by_text[0] if len(by_text) == 1 else None


def _stage_number(steps: list[Step], name: str | None) -> int | None:
    """The 1-based stage BuildKit calls ``name`` (``FROM x AS name``, or ``stage-N`` counting
    from 0), None when unknown."""
    if name is None:
        return None
    m = re.fullmatch(r"stage-(\d+)", name)
    if m:
        return int(m.group(1)) + 1
    for s in steps:
        words = s.text.split()
        if s.keyword == "FROM" and len(words) >= 4 and words[-2].lower() == "as" and words[-1].lower() == name.lower():
            return s.stage
    return None


def read_failure(dockerfile_text: str, log: str, step_lines: Iterable[str] | None = None) -> Failure:
    """Which instruction of ``dockerfile_text`` a failed build stopped at, from the engine's output
    (``log``: its end; ``step_lines``: every step line it printed, when kept apart, since a long
    step's output can push its own step line out of the tail)."""
    steps = steps_of(dockerfile_text)
    lines = [line.strip() for line in log.splitlines()]
    announced = [line.strip() for line in step_lines] if step_lines is not None else []
    announced += [line for line in lines if is_step_line(line)]

    # buildah / podman
    err = next((m for m in map(_BUILDAH_ERROR.match, reversed(lines)) if m), None)
    if err is not None:
        printed, why = err.group(1), err.group(2)
        reason = err.group(0)
        last = None
        for line in reversed(announced):
            m = _BUILDAH_STEP.match(line)
            if m:
                last = m
                break
        stage = int(last.group(1)) if last and last.group(1) else None
        index = int(last.group(3)) if last else None
        step = _pick(steps, stage, index, printed)
        st = _EXIT_STATUS.match(why)
        if any(t in why for t in _ENGINE_TROUBLE) or step is None or step.keyword == "FROM":
            return Failure("engine", reason, step if step and step.keyword != "FROM" else None, printed,
                           int(st.group(1)) if st else None)
        return Failure("step", reason, step, printed, int(st.group(1)) if st else None)

    # BuildKit
    bk_line = next((int(m.group(1)) for m in map(_BUILDKIT_LINE.match, reversed(lines)) if m), None)
    if bk_line is not None:
        step = next((s for s in steps if s.line <= bk_line <= s.end_line), None)
        code = next((int(m.group(1)) for m in map(_BUILDKIT_EXIT.search, reversed(lines)) if m), None)
        reason = next((line for line in reversed(lines) if line.startswith("ERROR")), lines[-1] if lines else "")
        if step is None or step.keyword == "FROM":
            return Failure("engine", reason, None)
        return Failure("step", reason, step, step.text, code)

    # BuildKit before v0.10
    old = next((m for m in map(_BUILDKIT_OLD_STEP.match, reversed(lines)) if m), None)
    if old is not None:
        name, index, printed = old.group(1), int(old.group(2)), old.group(4)
        stage = _stage_number(steps, name)
        # the text first: BuildKit's numbers skip instructions that make no vertex (a WORKDIR
        # whose directory exists), so "[5/6] RUN x" can be the sixth instruction
        by_text = [s for s in steps if (stage is None or s.stage == stage) and _norm(s.text) == _norm(printed)]
        step = by_text[0] if len(by_text) == 1 else _pick(steps, stage, index, printed)
        code_m = next((m for m in map(_BUILDKIT_OLD_EXIT.search, reversed(lines)) if m), None)
        reason = next((line for line in reversed(lines) if line.startswith(("ERROR", "#"))
                       and "ERROR" in line), old.group(0))
        if step is not None and step.keyword != "FROM":
            return Failure("step", reason, step, printed, int(code_m.group(1)) if code_m else None)
        return Failure("engine", reason, None, printed)

    # classic docker builder: steps numbered over the whole file
    classic = [m for m in map(_CLASSIC_STEP.match, announced) if m]
    code_m = next((m for m in map(_CLASSIC_ERROR.search, reversed(lines)) if m), None)
    if classic and code_m:
        printed = classic[-1].group(3)
        by_text = [s for s in steps if _norm(s.text) == _norm(printed)]
        n = int(classic[-1].group(1))
        step = by_text[0] if len(by_text) == 1 else (steps[n - 1] if 0 < n <= len(steps) else None)
        if step is not None and step.keyword != "FROM":
            return Failure("step", code_m.group(0), step, printed, int(code_m.group(1)))

    tail = "\n".join(line for line in lines[-5:] if line)
    return Failure("engine", tail or "the engine printed nothing")


# --- rewritten instruction -> original instructions ----------------------------------------------

_TOKEN = re.compile(r"[A-Za-z0-9_./:=+@%~-]+|\S")
# Share of an original RUN's words a rewritten RUN must contain to stand for it.  Low on purpose:
# rules drop words too (`apk update && apk add x` -> `apk add --no-cache x` keeps 4 of 8).
_ENOUGH = 0.34


def _run_words(step: Step) -> list[str]:
    words = step.text.split()[1:]
    while words and words[0].startswith("--"):
        words = words[1:]  # RUN flags (a rewrite may add --mount)
    return _TOKEN.findall(" ".join(words))


def _contained(orig: list[str], new: list[str]) -> float:
    if not orig:
        return 1.0 if not new else 0.0
    sm = SequenceMatcher(None, orig, new, autojunk=False)
    return sum(b.size for b in sm.get_matching_blocks()) / len(orig)


@dataclass
class Correspondence:
    """For every rewritten step (by ``Step.key``) the original steps it stands for."""

    original: list[Step]
    rewritten: list[Step]
    groups: dict[tuple[int, int], list[Step]] = field(default_factory=dict)

    def originals_of(self, step: Step | None) -> list[Step]:
        return self.groups.get(step.key, []) if step is not None else []

    def rewritten_of(self, original: Step | None) -> Step | None:
        """The rewritten step that stands for ``original`` (None when none does)."""
        if original is None:
            return None
        for s in self.rewritten:
            if any(o.key == original.key for o in self.groups.get(s.key, [])):
                return s
        return None

    def original_lines(self, step: Step | None) -> tuple[int, int] | None:
        group = self.originals_of(step)
        if not group:
            return None
        return group[0].line, group[-1].end_line

    def label(self, step: Step | None) -> str:
        """``line 4`` or ``lines 4-9``: where in the original file ``step`` comes from."""
        rng = self.original_lines(step)
        if rng is None:
            return "no line of the original"
        group = self.originals_of(step)
        return lines_label(group[0].line, group[-1].line) if len(group) > 1 else f"line {rng[0]}"


def correspondence(original_text: str, rewritten_text: str) -> Correspondence:
    """Map each rewritten step to the original steps it came from.

    Stage by stage (a rewrite keeps the stages).  Non-RUN instructions are aligned by their text
    (difflib); RUNs by content: each original RUN goes to a rewritten RUN of the same stage, in
    order, so that the rewritten RUNs contain as many of the original RUNs' words as possible
    (a dynamic programme; a rewritten RUN standing for several originals is a merge).  An original
    RUN of which its rewritten RUN holds less than a third of the words stands for nothing.
    """
    orig, new = steps_of(original_text), steps_of(rewritten_text)
    result = Correspondence(orig, new)
    for stage in sorted({s.stage for s in new}):
        o = [s for s in orig if s.stage == stage]
        n = [s for s in new if s.stage == stage]
        # non-RUN instructions: by text
        o_other = [s for s in o if s.keyword != "RUN"]
        n_other = [s for s in n if s.keyword != "RUN"]
        sm = SequenceMatcher(None, [_norm(s.text) for s in o_other], [_norm(s.text) for s in n_other], autojunk=False)
        for a, b, size in sm.get_matching_blocks():
            for k in range(size):
                result.groups[n_other[b + k].key] = [o_other[a + k]]
        # RUNs: monotone many-to-one assignment maximising the words found
        o_run = [s for s in o if s.keyword == "RUN"]
        n_run = [s for s in n if s.keyword == "RUN"]
        if not o_run or not n_run:
            continue
        ow = [_run_words(s) for s in o_run]
        nw = [_run_words(s) for s in n_run]
        score = [[_contained(ow[i], nw[j]) for j in range(len(n_run))] for i in range(len(o_run))]
        for i, j in _assign(score):
            if score[i][j] >= _ENOUGH:
                result.groups.setdefault(n_run[j].key, []).append(o_run[i])
    return result


def _assign(score: list[list[float]]) -> list[tuple[int, int]]:
    """Assign every row i to a column j, columns non-decreasing with i, maximising the sum of
    ``score[i][j]``; on ties prefer fewer rows per column (an unchanged file maps one to one)."""
    eps = 1e-6
    rows, cols = len(score), len(score[0])
    neg = float("-inf")
    best = [[neg] * cols for _ in range(rows)]
    back: list[list[int]] = [[-1] * cols for _ in range(rows)]
    for j in range(cols):
        best[0][j] = score[0][j]
    for i in range(1, rows):
        run_max, run_arg = neg, -1  # max over j' < j of best[i-1][j']
        for j in range(cols):
            same = best[i - 1][j] - eps  # row i joins row i-1's column
            if same >= run_max:
                best[i][j], back[i][j] = same + score[i][j], j
            else:
                best[i][j], back[i][j] = run_max + score[i][j], run_arg
            if best[i - 1][j] > run_max:
                run_max, run_arg = best[i - 1][j], j
    j = max(range(cols), key=lambda c: best[rows - 1][c])
    out = []
    for i in range(rows - 1, -1, -1):
        out.append((i, j))
        j = back[i][j] if i > 0 else j
    return out[::-1]
