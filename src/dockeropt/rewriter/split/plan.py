"""Decide whether and how a single-stage build splits into a builder and a runtime stage.

``analyse(ctx)`` returns a :class:`Plan` (what the runtime stage gets, and why) or a
:class:`Refusal` (one sentence, and a short key for counting). ``render(ctx, plan)`` turns a plan
into text edits: ``AS build`` on the FROM, the runtime-only instructions moved out of the
builder, builder additions (a venv for pip, ``npm prune --omit=dev``), and the runtime stage
appended at the end of the file.

Its length (~600 lines) is the shared decision every stack goes through (what the container
runs, the runtime packages, what to carry, refusals) plus the edits; what each stack knows is in
``stacks.py``.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field
from typing import Optional, Union

from dockeropt.rewriter.base import Context, Edit
from dockeropt.rewriter.shellrun import iter_runs
from dockeropt.rewriter.split import bases
from dockeropt.rewriter.split.facts import (
    ALREADY_IN_DISTROLESS, BUILD_PACKAGES, DEV_RUNTIME, DEV_RUNTIME_BULLSEYE, DEV_SHELLS, PROGRAM_PACKAGES, RUNTIME_TOOLCHAIN, STABLE_RUNTIME, TEMP_DIRS, RunFacts, is_build_env, resolve, runtime_argv, scan_runs, within,
)
from dockeropt.shell import invocation
from dockeropt.syntax import nodes as n

BUILDER = "build"
RUNTIME = "runtime"
CONFIG_MOVE = (n.Expose, n.Label, n.Cmd, n.Entrypoint, n.Healthcheck, n.Stopsignal, n.Maintainer)
CONFIG_CARRY = (n.Env, n.Arg, n.Workdir, n.User, n.Volume)
VENV = "/opt/venv"


@dataclass
class Refusal:
    key: str  # for counting: already-multi-stage, no-toolchain, base-image, ...
    reason: str  # one sentence, no final period
    line: int = 1
    quiet: bool = False  # nothing to say to the user (no toolchain at all, already split)


@dataclass
class CopyFrom:
    src: str
    dest: str
    chown: Optional[str] = None
    why: str = ""


@dataclass
class Plan:
    stack: str
    stage: n.Stage
    builder_name: str
    runtime: bases.Runtime
    copies: list[CopyFrom] = field(default_factory=list)
    carried: list[n.Instruction] = field(default_factory=list)  # duplicated (own code)
    moved: list[n.Instruction] = field(default_factory=list)  # taken out of the builder (with comments)
    context_copies: list[n.Instruction] = field(default_factory=list)  # COPYs from the context, repeated
    packages: list[str] = field(default_factory=list)
    builder_after: Optional[n.Instruction] = None  # where builder additions go (after it)
    builder_runs: list[str] = field(default_factory=list)
    venv_before: Optional[n.Instruction] = None  # insert a venv before this RUN
    runtime_env: list[str] = field(default_factory=list)  # extra ENV lines for the runtime
    global_args: list[str] = field(default_factory=list)  # ARG names to redeclare
    workdir: Optional[str] = None
    notes: list[str] = field(default_factory=list)
    line: int = 1
    end_line: int = 1


Result = Union[Plan, Refusal]


def analyse(ctx: Context) -> Result:
    """The split of ``ctx.tree``, or why not (computed once per tree)."""
    found = ctx.memo.get("multi-stage-plan")
    if found is None:
        found = ctx.memo["multi-stage-plan"] = _analyse(ctx)
    return found


def _stack_of(ref: bases.ImageRef) -> Optional[str]:
    if not ref.official:
        return None
    for stack, names in bases.BUILDER_IMAGES.items():
        if ref.name in names:
            return stack
    return None


def _analyse(ctx: Context) -> Result:
    tree = ctx.tree
    stages = tree.stages
    if not stages:
        return Refusal("no-stage", "the file has no FROM", quiet=True)
    if len(stages) > 1:
        return Refusal("already-multi-stage", "the build already has several stages", stages[1].from_.start_line,
                       quiet=True)
    stage = stages[0]
    model = ctx.model
    from_ = stage.from_
    line = from_.start_line
    base = model.graph[0].base
    ref = bases.parse_ref(base)
    stack = _stack_of(ref)
    views = [v for v in iter_runs(ctx) if v.stage.index == 0]
    if stack is None:
        if "devcontainer" in base.lower():
            return Refusal("dev-container", f"{base} is a development container image", line, quiet=True)
        return Refusal("no-toolchain", f"{base} is not a builder image in dockeropt's table", line, quiet=True)
    if "devcontainer" in base.lower():
        return Refusal("dev-container", f"{base} is a development container image", line)
    ins_list = list(stage.instructions[1:])
    for ins in ins_list:
        if isinstance(ins, n.Onbuild):
            return Refusal("onbuild", "the stage declares ONBUILD triggers, which images built from it run", ins.start_line)
        if isinstance(ins, n.Shell):
            return Refusal("shell", "the stage changes its SHELL, which the runtime stage's commands would need too",
                           ins.start_line)
        if isinstance(ins, (n.Copy, n.Add)) and ins.flag("from") is not None and not _is_image_ref(ins.flag("from")):
            return Refusal("copy-from", "a COPY --from names a stage dockeropt cannot follow", ins.start_line)
        if ctx.suppressed(_RULE, ins):
            return Refusal("suppressed", "a suppression comment turns multi-stage off", ins.start_line, quiet=True)
    if ctx.suppressed(_RULE, from_):
        return Refusal("suppressed", "a suppression comment turns multi-stage off", line, quiet=True)

    # What the container runs.
    entry = _last(ins_list, n.Entrypoint)
    cmd = _last(ins_list, n.Cmd)
    if entry is None and cmd is None:
        return Refusal("no-cmd", "there is no CMD or ENTRYPOINT, so what the container runs (and needs) is unknown: "
                                 "a development or build image", line)
    runtime = _runtime_commands(entry, cmd, ins_list)
    if isinstance(runtime, Refusal):
        return runtime
    for prog, where in runtime.programs:
        if prog in RUNTIME_TOOLCHAIN:
            what = "go run" if prog == "go" else prog
            return Refusal("runtime-toolchain", f"the container runs {what} ({where}), so it needs the toolchain at "
                                                "run time", _line_of(where, line))
        if prog == "npm" and runtime.npm_scripts:
            pass
    first = runtime.programs[0][0] if runtime.programs else None
    if first in DEV_SHELLS and len(runtime.programs) == 1 and not runtime.script:
        return Refusal("dev-container", f"the container runs {first}: a development container, not a program", line)

    facts = scan_runs(views, model, None)
    if ref.digest:
        return Refusal("digest", f"{base} is pinned by digest, and the digest of the matching runtime image is not "
                                 "known here (an unpinned runtime image would drop the pin)", line)

    if facts.unknown:
        ins, why = facts.unknown[0]
        return Refusal("unknown-command", why, ins.start_line)
    # The build step and the artifact.
    from dockeropt.rewriter.split.stacks import STACKS  # the stacks use this module's types

    plan_or = STACKS[stack](ctx, stage, ref, facts, runtime)
    if isinstance(plan_or, Refusal):
        return plan_or
    plan = plan_or

    # Packages the running program needs.
    release = plan.runtime.release or next((r for r in bases.DEBIAN if r in ref.tag), None)
    pkgs = _runtime_packages(facts, runtime, stack, release)
    if isinstance(pkgs, Refusal):
        return pkgs
    plan.packages = pkgs

    # Runtime base: the table, with what the runtime needs.
    needs_shell = runtime.shell or bool(runtime.script)
    if stack in ("go", "rust"):
        cgo = plan.notes and "cgo" in plan.notes[0]
        extra = [p for p in pkgs if p not in ALREADY_IN_DISTROLESS]
        if stack == "go":
            rt = bases.go_runtime(ref, bool(cgo), needs_shell, bool(extra))
        else:
            rt = bases.rust_runtime(ref, needs_shell, bool(extra))
        if rt.image is None:
            return Refusal("base-image", rt.why, line)
        plan.runtime = rt
        if not rt.apt:
            plan.packages = []
        elif rt.release and pkgs:
            mapped = _runtime_packages(facts, runtime, stack, rt.release)
            if isinstance(mapped, Refusal):
                return mapped
            plan.packages = mapped
    if ref.name == "maven" or ref.name == "gradle" or stack == "java":
        if any(p.endswith("-dev") for _, p in facts.apt_packages):
            return Refusal("dev-package", "a Java build installs -dev packages, whose runtime libraries dockeropt does "
                                          "not map for the JRE image", line)

    # Users.
    state_end = _final_state(ctx, stage)
    user = state_end.user
    created = {name: home for _, name, home in facts.users if name}
    if user is not None and not state_end.user_is_root:
        uname = user.split(":", 1)[0].strip()
        if not uname.isdigit() and uname not in created and not _base_user(plan, uname):
            return Refusal("user", f"USER {uname} comes from the builder image, and the runtime image "
                                   f"({plan.runtime.image}) may not have it", line)
    if created:
        plan.copies.insert(0, CopyFrom("/etc/passwd", "/etc/passwd", why="the users the build creates"))
        plan.copies.insert(1, CopyFrom("/etc/group", "/etc/group", why=""))
        for name, home in created.items():
            if home:
                plan.copies.append(CopyFrom(home, home, chown=name, why=f"the home of {name}"))

    # Paths the RUNs write outside the build, which the runtime needs.
    covered = [c.dest for c in plan.copies] + list(TEMP_DIRS)
    for w in facts.written:
        if w.path == "?":
            return Refusal("symlink", f"line {w.line} makes a symbolic link outside the build, which dockeropt does "
                                      "not carry over", w.line)
        if any(within(w.path, c) for c in covered) or _in_source(w.path, plan):
            continue
        if w.what == "a symbolic link":
            return Refusal("symlink", f"line {w.line} makes a symbolic link ({w.path}) outside the build, which "
                                      "dockeropt does not carry over", w.line)
        plan.copies.append(CopyFrom(w.path, w.path, why=f"written at line {w.line} ({w.what})"))
        covered.append(w.path)

    # Ownership the build gave to what is copied.
    specs = {spec for spec, p in facts.chowns if any(within(p, c.dest) or within(c.dest, p) for c in plan.copies)}
    for ins in ins_list:
        if isinstance(ins, (n.Copy, n.Add)) and ins.flag("chown"):
            dest = _copy_dest(ctx, ins)
            if dest and any(within(dest, c.dest) for c in plan.copies):
                specs.add(ins.flag("chown"))
    if len(specs) > 1:
        return Refusal("chown", f"the build gives copied paths to several owners ({', '.join(sorted(specs))})", line)
    if specs:
        spec = specs.pop()
        for c in plan.copies:
            if c.chown is None and c.src not in ("/etc/passwd", "/etc/group") and (
                any(within(p, c.dest) or within(c.dest, p) for s, p in facts.chowns)
                or any(isinstance(i, (n.Copy, n.Add)) and i.flag("chown") and _copy_dest(ctx, i)
                       and within(_copy_dest(ctx, i), c.dest) for i in ins_list)
            ):
                c.chown = spec

    _drop_nested(plan)
    if stack in ("node", "python"):
        # files the build context brings outside the application directory (config in /etc ...)
        for ins in ins_list:
            if isinstance(ins, (n.Copy, n.Add)) and ins.flag("from") is None and ins not in plan.context_copies:
                dest = _copy_dest(ctx, ins)
                if dest is None:
                    return Refusal("copy", f"the destination of the {ins.keyword} at line {ins.start_line} is not "
                                           "a static path", ins.start_line)
                if not any(within(dest.rstrip("/") or "/", c.dest) for c in plan.copies):
                    plan.context_copies.append(ins)
    # Instructions: moved, carried, repeated.
    r = _instructions(ctx, plan, stage, ins_list, runtime, facts)
    if isinstance(r, Refusal):
        return r
    plan.workdir = state_end.workdir
    if plan.workdir is None:
        return Refusal("workdir", "the final WORKDIR is not a static path", line)
    plan.line = line
    plan.end_line = ins_list[-1].end_line if ins_list else from_.end_line
    return plan


class _RuleId:
    id = "multi-stage"
    hadolint: tuple[str, ...] = ()


_RULE = _RuleId()


def _is_image_ref(ref: str) -> bool:
    return ":" in ref or "/" in ref or "." in ref


def _last(items, kind):
    found = None
    for ins in items:
        if isinstance(ins, kind):
            found = ins
    return found


def _line_of(where: str, default: int) -> int:
    m = re.search(r"line (\d+)", where)
    return int(m.group(1)) if m else default


def _final_state(ctx: Context, stage: n.Stage):
    """The state after the stage's last instruction."""
    from dockeropt.model.state import _after

    last = stage.instructions[-1]
    state = ctx.model.state(last)
    return _after(state, last, ctx.model.graph)


@dataclass
class Runtime:
    """What the container runs: programs (with where they come from), whether a shell is
    needed, the argv words that may be paths, the entrypoint script, npm scripts."""

    programs: list[tuple[str, str]] = field(default_factory=list)
    shell: bool = False
    words: list[str] = field(default_factory=list)
    script: Optional[str] = None
    npm_scripts: list[str] = field(default_factory=list)
    java_jar: Optional[str] = None
    java_other: bool = False
    healthcheck: list[str] = field(default_factory=list)


def _runtime_commands(entry, cmd, ins_list) -> Union[Runtime, Refusal]:
    rt = Runtime()
    sources = [x for x in (entry, cmd) if x is not None]
    if entry is not None and cmd is not None and not entry.is_exec_form:
        sources = [entry]  # a shell-form ENTRYPOINT ignores CMD
    argv: list[str] = []
    for ins in sources:
        where = f"{ins.keyword} at line {ins.start_line}"
        exec_args, script, shell = runtime_argv(ins)
        if shell:
            rt.shell = True
            found = _runtime_invocations(script, f"the shell of the {where}", f"the {where}", ins.start_line)
            if isinstance(found, Refusal):
                return found
            for c, inv in found:
                vals = [w.value for w in c.argv[inv.program_index:]]
                word = vals[0] or inv.program
                rt.programs.append((word if "/" in word else inv.program, where))
                _note_runtime(rt, [v or "" for v in vals], inv.module)
                rt.words.extend(v for v in vals[1:] if v)
        else:
            argv.extend(exec_args or [])
    if argv:
        where = f"{(entry or cmd).keyword} at line {(entry or cmd).start_line}"
        prog = argv[0]
        base = posixpath.basename(prog)
        if base.endswith(".sh") or (prog.startswith(("./", "/")) and base.endswith(("entrypoint", "docker-entrypoint"))):
            rt.script = prog
            rt.shell = True
        rt.programs.insert(0, (base if not prog.startswith(("/", "./", "../")) and "/" not in prog else prog, where))
        _note_runtime(rt, argv, None)
        rt.words.extend(argv[1:])
    hc = _last(ins_list, n.Healthcheck)
    if hc is not None and hc.kind == "CMD":
        text = hc.command.strip()
        rest = text[3:].strip() if text.upper().startswith("CMD") else text
        hcins = n.Cmd(keyword_raw="CMD", pieces=(n.Text(" " + rest),), newline="")
        exec_args, script, shell = runtime_argv(hcins)
        if shell:
            rt.shell = True
            what = f"the HEALTHCHECK at line {hc.start_line}"
            found = _runtime_invocations(script, what, what, hc.start_line)
            if isinstance(found, Refusal):
                return found
            rt.healthcheck.extend(inv.program for _, inv in found)
        elif exec_args:
            rt.healthcheck.append(posixpath.basename(exec_args[0]))
    return rt


def _runtime_invocations(script, unreadable: str, subject: str, line: int):
    """(command, invocation) of every command a runtime shell script runs, or the Refusal when
    ``unreadable`` "cannot be read" or ``subject`` runs a command whose name is not static."""
    if script is None or not script.ok:
        return Refusal("runtime-shell", f"{unreadable} cannot be read", line)
    found = []
    for c in script.commands:
        if not c.argv:
            continue
        inv = invocation(c)
        if inv is None:
            return Refusal("runtime-shell", f"{subject} runs a command whose name is not static", line)
        found.append((c, inv))
    return found


def _note_runtime(rt: Runtime, argv: list[str], module: Optional[str]) -> None:
    prog = posixpath.basename(argv[0]) if argv else ""
    if prog == "java":
        if "-jar" in argv:
            k = argv.index("-jar")
            rt.java_jar = argv[k + 1] if k + 1 < len(argv) else None
        else:
            rt.java_other = True
    if prog == "npm" and len(argv) > 1:
        ops = [a for a in argv[1:] if not a.startswith("-")]
        if ops:
            rt.npm_scripts.append(ops[1] if ops[0] in ("run", "run-script") and len(ops) > 1 else ops[0])
    if module in ("pip",):
        rt.programs.append(("pip", "a runtime command"))




def _base_user(plan: Plan, name: str) -> bool:
    if name in ("root", "nobody"):
        return True
    if plan.stack == "node" and name == "node":
        return True
    if plan.stack in ("go", "rust") and name == "nonroot":
        return True
    return False


def _in_source(path: str, plan: Plan) -> bool:
    """A path inside what the stack copies anyway or that only the build uses."""
    return False


def _copy_dest(ctx: Context, ins) -> Optional[str]:
    dest = ins.destination
    if dest is None:
        return None
    state = ctx.model.state(ins)
    if "$" in dest:
        from dockeropt.model import expand

        dest = expand(dest, state.variables())
        if "$" in dest:
            return None
    p = resolve(dest, state.workdir)
    if p is None:
        return None
    return p + "/" if dest.endswith("/") and p != "/" else p


def _runtime_packages(facts: RunFacts, rt: Runtime, stack: str, release: Optional[str]) -> Union[list[str], Refusal]:
    out: list[str] = []
    used = {p for p, _ in rt.programs} | set(rt.healthcheck)
    if facts.apk_packages:
        for ins, p in facts.apk_packages:
            if p in BUILD_PACKAGES or p.endswith("-dev") or p in ALREADY_IN_DISTROLESS:
                continue
            return Refusal("alpine-package", f"the build installs {p} with apk, and dockeropt does not carry Alpine "
                                             "packages into a runtime image", ins.start_line)
    for ins, p in facts.apt_packages:
        if p.endswith("-dev"):
            if p in ("python3-dev", "python-dev", "libc6-dev", "libc-dev", "linux-libc-dev"):
                continue
            lib = (DEV_RUNTIME_BULLSEYE.get(p) if release == "bullseye" else None) or DEV_RUNTIME.get(p)
            if lib is None:
                return Refusal("dev-package", f"the build installs {p}, whose runtime library dockeropt does not know",
                               ins.start_line)
            if release not in ("bookworm", "bullseye") and lib not in STABLE_RUNTIME:
                return Refusal("dev-package", f"the runtime library of {p} depends on the Debian release, which the "
                                              "builder's tag does not name", ins.start_line)
            if lib not in out:
                out.append(lib)
            continue
        if p in ("curl", "wget") and p in used:
            out.append(p)
            continue
        if p in BUILD_PACKAGES:
            continue
        if p not in out:
            out.append(p)
    for prog in used:
        pkg = PROGRAM_PACKAGES.get(prog)
        if pkg and pkg not in out:
            out.append(pkg)
    return out


def _instructions(ctx: Context, plan: Plan, stage, ins_list, rt: Runtime, facts: RunFacts) -> Optional[Refusal]:
    """Sort the stage's instructions: moved to the runtime stage, carried (also there), or the
    builder's alone; COPYs of the context that the runtime needs."""
    build_line = plan.builder_after.start_line if plan.builder_after else 0
    env_names_used = set()
    carried_text = []
    for ins in ins_list:
        if isinstance(ins, CONFIG_MOVE):
            plan.moved.append(ins)
            carried_text.append(ins.rest)
        elif isinstance(ins, n.Env):
            keys = [k for k, _ in ins.pairs]
            if ins.start_line > build_line or not all(is_build_env(k) for k in keys):
                (plan.moved if ins.start_line > build_line else plan.carried).append(ins)
                carried_text.append(ins.rest)
        elif isinstance(ins, (n.User, n.Volume)):
            (plan.moved if ins.start_line > build_line else plan.carried).append(ins)
            carried_text.append(ins.rest)
        elif isinstance(ins, n.Workdir) and ins.start_line > build_line:
            plan.moved.append(ins)
    for ins in plan.context_copies:
        carried_text.append(ins.rest)
    # ARGs the runtime instructions read
    text = " ".join(carried_text)
    for ins in ins_list:
        if isinstance(ins, n.Arg):
            names = [k for k, _ in ins.pairs]
            if any(re.search(r"\$\{?" + re.escape(k) + r"\b", text) for k in names):
                (plan.moved if ins.start_line > build_line else plan.carried).append(ins)
                env_names_used.update(names)
    declared = {k for ins in ins_list if isinstance(ins, n.Arg) for k, _ in ins.pairs}
    for k in ctx.model.graph.global_args:
        if k not in declared and re.search(r"\$\{?" + re.escape(k) + r"\b", text):
            plan.global_args.append(k)
    # a USER must not be in force for the RUN that installs packages: it is emitted after
    plan.carried.sort(key=lambda i: i.start_line)
    plan.moved.sort(key=lambda i: i.start_line)
    return None

def _drop_nested(plan: Plan) -> None:
    """Drop copies that another copy with the same owner already brings (``/home/u/app`` inside
    ``/home/u``); a nested copy with another owner stays, after the outer one."""
    out = []
    for c in plan.copies:
        outer = [o for o in plan.copies if o is not c and o.dest != c.dest and o.src == o.dest and c.src == c.dest
                 and within(c.dest, o.dest)]
        if not outer:
            out.append(c)
        elif any(o.chown != c.chown for o in outer):
            c.why = c.why or "nested"
            out.append(c)
    # outer directories first, so that a nested copy's owner wins (passwd and group stay first)
    head = [c for c in out if c.src in ("/etc/passwd", "/etc/group")]
    rest = [c for c in out if c not in head]
    depth = {id(c): sum(1 for o in rest if o is not c and o.dest != c.dest and within(c.dest, o.dest)) for c in rest}
    plan.copies = head + sorted(rest, key=lambda c: depth[id(c)])



# --- the edits ---------------------------------------------------------------------------------


def render(ctx: Context, plan: Plan) -> list[Edit]:
    """The edits that split the file as ``plan`` says."""
    text = ctx.text
    nl = ctx.newline()
    model = ctx.model
    edits: list[Edit] = []
    from_ = plan.stage.from_
    fstart, _ = ctx.span(model.index[id(from_)])
    name = from_.alias or BUILDER
    plan.builder_name = name
    if from_.alias is None:
        pos = fstart + from_.args_end_offset
        edits.append(Edit(pos, pos, f" AS {BUILDER}"))
    moved_ids = {id(i) for i in plan.moved}
    for ins in plan.moved:
        start, end = _full_span(ctx, ins)
        edits.append(Edit(start, end, ""))
    if plan.venv_before is not None:
        start, _ = _full_span(ctx, plan.venv_before)
        edits.append(Edit(start, start, f"RUN python -m venv {VENV}{nl}ENV VIRTUAL_ENV={VENV} "
                                        f'PATH="{VENV}/bin:$PATH"{nl}'))
    if plan.builder_runs:
        # after the last instruction of the builder that is not moved: appended to it with &&
        # when it is a RUN that takes that safely, else as a RUN of its own
        kept = [i for i in plan.stage.instructions if id(i) not in moved_ids]
        anchor = kept[-1]
        view = next((v for v in iter_runs(ctx) if v.ins is anchor), None)
        appended = None
        if view is not None and view.rewritable and view.script.ok and len(plan.builder_runs) == 1:
            appended = view.append_command(ctx, plan.builder_runs[0].removeprefix("RUN "))
        if appended is not None:
            edits.append(appended)
        else:
            _, end = ctx.span(model.index[id(anchor)])
            add = "".join(r + nl for r in plan.builder_runs)
            if not text[:end].endswith(("\n", "\r")):
                add = nl + add
            edits.append(Edit(end, end, add))
    # The runtime stage, at the end of the file (before trailing comment lines).
    lines: list[str] = []
    flags = "".join(f"{f} " for f in from_.flags if f.name == "platform" and "BUILDPLATFORM" not in (f.value or ""))
    lines.append(f"# Runtime stage (dockeropt multi-stage): {plan.runtime.image}, {plan.runtime.why}; "
                 f"only what runs is copied from the {name} stage")
    lines.append(f"FROM {flags}{plan.runtime.image} AS {RUNTIME}")
    for k in plan.global_args:
        lines.append(f"ARG {k}")
    first_group = [i for i in _ordered(plan) if isinstance(i, (n.Arg, n.Env))]
    rest = [i for i in _ordered(plan) if not isinstance(i, (n.Arg, n.Env, n.Workdir))]
    for ins in first_group:
        lines.append(_ins_text(ins, id(ins) in moved_ids))
    lines.extend(plan.runtime_env)
    if plan.workdir and plan.workdir != "/":
        lines.append(f"WORKDIR {plan.workdir}")
    if plan.packages:
        lines.append("RUN apt-get update && apt-get install -y --no-install-recommends "
                     + " ".join(plan.packages) + " && rm -rf /var/lib/apt/lists/*")
    for c in plan.copies:
        chown = f"--chown={c.chown} " if c.chown else ""
        lines.append(f"COPY --from={name} {chown}{c.src} {c.dest}")
    for ins in plan.context_copies:
        lines.append(_ins_text(ins, False))
    for ins in rest:
        lines.append(_ins_text(ins, id(ins) in moved_ids))
    stage_text = nl.join(x.rstrip("\r\n") for x in lines) + nl
    end = len(text) - len(_footer_code(ctx))
    prefix = "" if text[:end].endswith(("\n", "\r")) or end == 0 else nl
    if end == len(text) and prefix:  # the file ends without a newline: so does the rewrite
        stage_text = stage_text[: -len(nl)]
    edits.append(Edit(end, end, prefix + nl + stage_text))
    return edits


def _ordered(plan: Plan) -> list[n.Instruction]:
    return sorted(plan.carried + plan.moved, key=lambda i: i.start_line)


def _ins_text(ins: n.Instruction, with_comments: bool) -> str:
    if with_comments:
        lead = "".join(line.code for line in ins.leading_lines if isinstance(line, n.Comment))
        return lead + ins.own_code.lstrip(" \t")
    return ins.own_code.lstrip(" \t")


def _full_span(ctx: Context, ins: n.Instruction) -> tuple[int, int]:
    start, end = ctx.span(ctx.model.index[id(ins)])
    lead = sum(len(line.code) for line in ins.leading_lines)
    return start - lead, end


def _footer_code(ctx: Context) -> str:
    return "".join(line.code for line in ctx.tree.footer)


def describe(plan: Plan) -> str:
    """The one-paragraph message of the diagnostic."""
    copies = ", ".join(c.src for c in plan.copies if c.src not in ("/etc/group",))
    parts = [f"split into a {plan.builder_name} stage and a runtime stage on {plan.runtime.image} "
             f"({plan.runtime.why}); the runtime gets {copies}"]
    if plan.packages:
        parts.append("runtime packages: " + ", ".join(plan.packages))
    kept = []
    for ins in sorted(_ordered(plan) + plan.context_copies, key=lambda i: i.start_line):
        kept.append(ins.keyword)
    if kept:
        parts.append("carried: " + ", ".join(dict.fromkeys(kept)))
    parts.extend(x for x in plan.notes if x not in ("cgo", "static"))
    return "; ".join(parts)
