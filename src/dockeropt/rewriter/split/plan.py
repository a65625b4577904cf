"""Decide whether and how a single-stage build splits into a builder and a runtime stage.

``analyse(ctx)`` returns a :class:`Plan` (what the runtime stage gets, and why) or a
:class:`Refusal` (one sentence, and a short key for counting). ``render(ctx, plan)`` turns a plan
into text edits: ``AS build`` on the FROM, the runtime-only instructions moved out of the
builder, builder additions (a venv for pip, ``npm prune --omit=dev``), and the runtime stage
appended at the end of the file.
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
    ALREADY_IN_DISTROLESS,
    BUILD_PACKAGES,
    DATA_NAMES,
    DATA_SUFFIXES,
    DEV_RUNTIME,
    DEV_RUNTIME_BULLSEYE,
    DEV_SHELLS,
    PROGRAM_PACKAGES,
    RUNTIME_TOOLCHAIN,
    SLIM_PROGRAMS,
    SOURCE_NAMES,
    STABLE_RUNTIME,
    TEMP_DIRS,
    RunFacts,
    cargo_bins,
    context_is_dir,
    context_listdir,
    context_read,
    go_output,
    is_build_env,
    read_package_json,
    resolve,
    runtime_argv,
    scan_runs,
    within,
)
from dockeropt.shell import invocation, parse_shell
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
    plan_or = _STACKS[stack](ctx, stage, ref, facts, runtime)
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
            if script is None or not script.ok:
                return Refusal("runtime-shell", f"the shell of the {where} cannot be read", ins.start_line)
            for c in script.commands:
                if not c.argv:
                    continue
                inv = invocation(c)
                if inv is None:
                    return Refusal("runtime-shell", f"the {where} runs a command whose name is not static", ins.start_line)
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
            if script is None or not script.ok:
                return Refusal("runtime-shell", f"the HEALTHCHECK at line {hc.start_line} cannot be read", hc.start_line)
            for c in script.commands:
                inv = invocation(c) if c.argv else None
                if c.argv and inv is None:
                    return Refusal("runtime-shell", f"the HEALTHCHECK at line {hc.start_line} runs a command whose name "
                                                    "is not static", hc.start_line)
                if inv is not None:
                    rt.healthcheck.append(inv.program)
        elif exec_args:
            rt.healthcheck.append(posixpath.basename(exec_args[0]))
    return rt


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


# --- the stacks ------------------------------------------------------------------------------


def _program_paths(rt: Runtime, workdir: Optional[str]) -> list[str]:
    """Absolute paths the runtime commands name (program and arguments)."""
    out = []
    for prog, _ in rt.programs:
        if "/" in prog:
            p = resolve(prog, workdir)
            if p:
                out.append(p)
    for w in rt.words:
        if "/" in w and not w.startswith("-") and "=" not in w and "://" not in w:
            p = resolve(w, workdir)
            if p:
                out.append(p)
    return out


def _go(ctx: Context, stage, ref, facts: RunFacts, rt: Runtime) -> Result:
    if not facts.go_builds:
        return Refusal("no-build", "no `go build` was found, so there is no binary to copy", stage.from_.start_line)
    plan = Plan("go", stage, BUILDER, bases.Runtime(None, ""))
    cgo = False
    last = None
    for ins, vals, cwd, is_cgo, line in facts.go_builds:
        out, problem = go_output(vals)
        if problem:
            return Refusal("artifact", problem, line)
        p = resolve(out, cwd)  # type: ignore[arg-type]
        if p is None:
            return Refusal("artifact", f"the output {out} of go build is relative to a WORKDIR that is not static", line)
        plan.copies.append(CopyFrom(p, p, why="the binary"))
        cgo = cgo or is_cgo
        last = ins
    plan.notes.append("cgo" if cgo else "static")
    plan.builder_after = last
    return _compiled_entry(ctx, plan, rt, facts)


def _rust(ctx: Context, stage, ref, facts: RunFacts, rt: Runtime) -> Result:
    plan = Plan("rust", stage, BUILDER, bases.Runtime(None, ""))
    if not facts.cargo_builds and not facts.cargo_installs:
        return Refusal("no-build", "no `cargo build` was found, so there is no binary to copy", stage.from_.start_line)
    state_end = _final_state(ctx, stage)
    for ins, vals, cwd, env in facts.cargo_builds:
        line = ins.start_line
        if cwd is None:
            return Refusal("artifact", "cargo build runs in a WORKDIR that is not static", line)
        v = [x for x in vals if x is not None]
        profile = "release" if ("--release" in v or "-r" in v) else "debug"
        for i, x in enumerate(v):
            if x.startswith("--profile"):
                return Refusal("artifact", "cargo build --profile puts the binary in a directory dockeropt does not "
                                           "derive", line)
            if x in ("--target", "--target-dir", "--manifest-path") or x.startswith(("--target=", "--target-dir=",
                                                                                     "--manifest-path=")):
                return Refusal("artifact", f"cargo build {x.split('=')[0]} moves the binary to a path dockeropt does "
                                           "not derive", line)
        if env.get("CARGO_TARGET_DIR"):
            return Refusal("artifact", "CARGO_TARGET_DIR moves the binary to a path dockeropt does not derive", line)
        outdir = posixpath.join(cwd, "target", profile)
        names = [v[i + 1] for i, x in enumerate(v[:-1]) if x == "--bin"]
        rel = posixpath.relpath(cwd, "/")
        if not names:
            names = _cargo_names_from_context(ctx, stage, cwd) or []
        if not names:
            # the runtime command or a later cp names the binary
            for p in _program_paths(rt, state_end.workdir):
                if posixpath.dirname(p) == outdir:
                    names.append(posixpath.basename(p))
            for _, src, dest in facts.copies_of:
                if src and posixpath.dirname(src) == outdir:
                    names.append(posixpath.basename(src))
        if not names:
            return Refusal("artifact", "the binary's name comes from Cargo.toml, which dockeropt cannot read here, and "
                                       "no CMD, ENTRYPOINT or cp names it", line)
        for name in dict.fromkeys(names):
            p = posixpath.join(outdir, name)
            plan.copies.append(CopyFrom(p, p, why="the binary"))
        plan.builder_after = ins
        del rel
    for ins, vals, cwd, env in facts.cargo_installs:
        line = ins.start_line
        v = [x for x in vals if x is not None]
        root = None
        for i, x in enumerate(v):
            if x == "--root" and i + 1 < len(v):
                root = v[i + 1]
        home = env.get("CARGO_HOME") or "/usr/local/cargo"
        bindir = posixpath.join(resolve(root, cwd) if root else home, "bin")
        names = [posixpath.basename(p) for p, _ in rt.programs]
        found = False
        for name in names:
            if "/" not in name or posixpath.dirname(name) == bindir:
                p = posixpath.join(bindir, posixpath.basename(name))
                dest = p if "/" in name else posixpath.join("/usr/local/bin", name)
                plan.copies.append(CopyFrom(p, dest, why="the binary cargo install makes, on the runtime's PATH"))
                found = True
                break
        if not found:
            return Refusal("artifact", "cargo install names its binary after the package, and no CMD or ENTRYPOINT "
                                       "runs it by name", line)
        plan.builder_after = ins
    return _compiled_entry(ctx, plan, rt, facts)


def _cargo_names_from_context(ctx: Context, stage, cwd: str) -> Optional[list[str]]:
    """Binary names from Cargo.toml, when a COPY put the context's Cargo.toml in ``cwd``."""
    context = ctx.build_context
    if context is None:
        return None
    for ins in stage.instructions:
        if isinstance(ins, n.Copy) and ins.flag("from") is None:
            dest = _copy_dest(ctx, ins)
            if dest is None:
                continue
            for src in ins.sources:
                s = src.rstrip("/") or "."
                if s in (".", "./") and dest.rstrip("/") == cwd:
                    return cargo_bins(context, ".")
                if posixpath.basename(s) == "Cargo.toml" and (dest.rstrip("/") == cwd or dest == cwd + "/Cargo.toml"):
                    return cargo_bins(context, posixpath.dirname(s) or ".")
    return None


def _compiled_entry(ctx: Context, plan: Plan, rt: Runtime, facts: RunFacts) -> Result:
    """Go and Rust: the container must run one of the binaries (by path, or by name through a
    directory of PATH), or a script, or a program the runtime gets from a package."""
    state_end = _final_state(ctx, plan.stage)
    binaries = {c.dest for c in plan.copies}
    # a later cp/mv/install of a binary: the copy is what runs
    for _, src, dest in facts.copies_of:
        if src in binaries and dest:
            binaries.add(dest)
            plan.copies.append(CopyFrom(dest, dest, why="the binary, copied by the build"))
    path = state_end.env.get("PATH") or "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
    ok = False
    for prog, where in rt.programs[:1]:
        if rt.script is not None:
            ok = True
        elif "/" in prog:
            p = resolve(prog, state_end.workdir)
            ok = p in binaries
        else:
            ok = any(posixpath.join(d, prog) in binaries for d in path.split(":")) or prog in SLIM_PROGRAMS
        if not ok:
            return Refusal("entrypoint", f"the {where} runs {prog}, which is not a binary the build makes "
                                         f"({', '.join(sorted(binaries))})", _line_of(where, plan.stage.from_.start_line))
    _keep_only_used_binaries(plan)
    # a binary the build copies elsewhere (cp target/release/x /usr/local/bin/): only the copy
    # that runs, unless a runtime word names the other one
    named = set(_program_paths(rt, state_end.workdir))
    for prog, _ in rt.programs[:1]:
        if "/" not in prog:
            named.update(posixpath.join(d, prog) for d in path.split(":"))
    moved_from = {src for _, src, dest in facts.copies_of if src and dest in named}
    plan.copies = [c for c in plan.copies if not (c.dest in moved_from and c.dest not in named)]
    _data_files(ctx, plan, facts)
    return _script_check(ctx, plan, rt)


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


def _keep_only_used_binaries(plan: Plan) -> None:
    seen = set()
    out = []
    for c in plan.copies:
        if c.dest not in seen:
            seen.add(c.dest)
            out.append(c)
    plan.copies = out


def _data_files(ctx: Context, plan: Plan, facts: RunFacts) -> None:
    """Compiled stacks: files the program may read at run time. COPYs of data-looking files
    (config, templates, static assets, migrations) are repeated in the runtime stage; for
    ``COPY . dir`` the context is listed when it is known."""
    context = ctx.build_context
    for ins in plan.stage.instructions:
        if not isinstance(ins, (n.Copy, n.Add)) or ins.flag("from") is not None:
            continue
        srcs = ins.sources
        dest = _copy_dest(ctx, ins)
        if dest is None:
            continue
        kinds = [_source_kind(s) for s in srcs]
        if all(k == "data" for k in kinds):
            plan.context_copies.append(ins)
            continue
        if any(s.rstrip("/") in (".", "") for s in srcs):
            names = context_listdir(context, ".")
            if names is None:
                what = "jar" if plan.stack == "java" else "binary"
                plan.notes.append(f"only the {what} is copied from {dest}: if the program reads files there at run "
                                  "time (templates, config), copy them too")
                continue
            for name in names:
                if _source_kind(name) == "data" and not name.startswith(".") and not name.lower().startswith("dockerfile"):
                    p = posixpath.join(dest, name)
                    plan.copies.append(CopyFrom(p, p, why="data from the build context"))


def _source_kind(src: str) -> str:
    s = src.rstrip("/")
    base = posixpath.basename(s).lower()
    if s in (".", "") or base in SOURCE_NAMES or base.endswith((".go", ".rs", ".java", ".kt", ".gradle", ".ts", ".js",
                                                                ".py", ".c", ".h", ".mod", ".sum", ".lock")):
        return "source"
    if base in DATA_NAMES or base.endswith(DATA_SUFFIXES):
        return "data"
    return "source"


def _script_check(ctx: Context, plan: Plan, rt: Runtime) -> Result:
    """An entrypoint script is run by /bin/sh; read it from the context and check what it runs."""
    if rt.script is None:
        return plan
    context = ctx.build_context
    state_end = _final_state(ctx, plan.stage)
    bare = "/" not in rt.script
    path = None if bare else resolve(rt.script, state_end.workdir)
    rel = None
    for ins in plan.stage.instructions:
        if isinstance(ins, n.Copy) and ins.flag("from") is None:
            dest = _copy_dest(ctx, ins)
            for s in ins.sources:
                if not dest:
                    continue
                targets = {dest.rstrip("/"), posixpath.join(dest, posixpath.basename(s))}
                if (path and path in targets) or (bare and any(posixpath.basename(t) == rt.script for t in targets)):
                    rel = s
    data = context_read(context, rel) if rel else None
    if data is None:
        return Refusal("entrypoint-script", f"the container starts {rt.script}, a script dockeropt cannot read without "
                                            "the build context", plan.stage.from_.start_line)
    script = parse_shell(data.decode("utf-8", "replace"))
    if not script.ok:
        return Refusal("entrypoint-script", f"the shell of {rt.script} cannot be read", plan.stage.from_.start_line)
    binaries = {posixpath.basename(c.dest) for c in plan.copies} | {c.dest for c in plan.copies}
    for c in script.commands:
        if not c.argv:
            continue
        inv = invocation(c)
        if inv is None:
            if any(w.text in ('"$@"', "$@", '"${@}"') for w in c.argv[:2]):
                continue
            return Refusal("entrypoint-script", f"{rt.script} runs a command whose name is not static", plan.stage.from_.start_line)
        prog = inv.program
        if prog in RUNTIME_TOOLCHAIN:
            return Refusal("runtime-toolchain", f"{rt.script} runs {prog}, so the container needs the toolchain",
                           plan.stage.from_.start_line)
        if prog in SLIM_PROGRAMS or prog in binaries or c.argv[inv.program_index].value in binaries:
            continue
        if prog in PROGRAM_PACKAGES:
            rt.healthcheck.append(prog)
            continue
        if plan.stack in ("node", "python", "java") and prog in ("node", "python", "python3", "java", "npm"):
            continue
        return Refusal("entrypoint-script", f"{rt.script} runs {prog}, which dockeropt cannot place in the runtime "
                                            "image", plan.stage.from_.start_line)
    return plan


def _java(ctx: Context, stage, ref, facts: RunFacts, rt: Runtime) -> Result:
    line = stage.from_.start_line
    builds = []
    for ins, tool, vals, cwd in facts.java_builds:
        v = [x for x in vals if x]
        if tool in ("mvn", "mvnw") and any(g in v for g in ("package", "install", "verify", "deploy")):
            if any(x in ("-f", "--file") or x.startswith("-f=") for x in v):
                return Refusal("artifact", "mvn -f builds a project elsewhere, whose target directory dockeropt does "
                                           "not derive", ins.start_line)
            builds.append((ins, posixpath.join(cwd, "target") if cwd else None))
        elif tool in ("gradle", "gradlew") and any(t in v for t in ("build", "bootJar", "jar", "assemble", "shadowJar")):
            builds.append((ins, posixpath.join(cwd, "build", "libs") if cwd else None))
    if not builds:
        return Refusal("no-build", "no Maven package or Gradle build step was found, so there is no jar to copy", line)
    rtb = bases.java_runtime(ref)
    if rtb.image is None:
        return Refusal("base-image", rtb.why, line)
    plan = Plan("java", stage, BUILDER, rtb)
    plan.builder_after = builds[-1][0]
    if rt.java_other or rt.java_jar is None:
        return Refusal("entrypoint", "the container does not run `java -jar FILE`, so which jar and classpath it needs "
                                     "is unknown", line)
    state_end = _final_state(ctx, stage)
    jar = resolve(rt.java_jar, state_end.workdir)
    if jar is None:
        return Refusal("artifact", "the jar the container runs is relative to a WORKDIR that is not static", line)
    outdirs = [d for _, d in builds if d]
    glob = bool(re.search(r"[*?\[]", jar))
    made = {dest for _, src, dest in facts.copies_of if dest}
    if any(posixpath.dirname(jar) == d for d in outdirs):
        d = posixpath.dirname(jar)
        if glob:
            plan.copies.append(CopyFrom(posixpath.join(d, "*.jar"), d + "/", why="the jars the build makes"))
        else:
            plan.copies.append(CopyFrom(jar, jar, why="the jar"))
    elif jar in made and not glob:
        plan.copies.append(CopyFrom(jar, jar, why="the jar, copied by the build"))
    else:
        return Refusal("artifact", f"the container runs {rt.java_jar}, which is not a jar the build makes where dockeropt "
                                   "can find it", line)
    _data_files(ctx, plan, facts)
    return _script_check(ctx, plan, rt)


def _node(ctx: Context, stage, ref, facts: RunFacts, rt: Runtime) -> Result:
    line = stage.from_.start_line
    installs = []
    build = None
    pruned = False
    for ins, vals, cwd in facts.npm:
        v = [x for x in vals if x]
        ops = [x for x in v if not x.startswith("-")]
        sub = ops[0] if ops else None
        if sub in ("ci", "install", "i", "add") and not any(x in ("-g", "--global") for x in v):
            installs.append(ins)
            if any(x in ("--omit=dev", "--production", "--only=production", "--only=prod") for x in v):
                pruned = True
        elif sub in ("ci", "install", "i") and any(x in ("-g", "--global") for x in v):
            pass  # a global tool for the build; the runtime check below refuses it if the container runs it
        elif sub in ("run", "run-script") and len(ops) > 1:
            build = ins
        elif sub == "prune":
            pruned = True
    if not installs:
        return Refusal("no-build", "no `npm ci` or `npm install` was found", line)
    state_end = _final_state(ctx, stage)
    app = state_end.workdir
    if app is None or app == "/":
        return Refusal("workdir", "the application is not in a WORKDIR of its own, so it cannot be copied apart from the "
                                  "toolchain", line)
    if state_end.env.get("NODE_ENV") == "production":
        pruned = True
    rtb = bases.node_runtime(ref)
    if rtb.image is None:
        return Refusal("base-image", rtb.why, line)
    plan = Plan("node", stage, BUILDER, rtb)
    for prog, where in rt.programs[:1]:
        if prog in ("node", "nodejs") or prog in SLIM_PROGRAMS:
            continue
        if prog == "npm":
            for script in rt.npm_scripts:
                pkg = read_package_json(ctx.build_context, _context_rel(ctx, stage, app, "package.json") or "package.json")
                if pkg is None:
                    shown = script if script in ("start", "test", "restart", "stop") else f"run {script}"
                    return Refusal("npm-script", f"the container runs npm {shown}, a package.json script dockeropt "
                                                 "cannot read without the build context", line)
                body = (pkg.get("scripts") or {}).get(script)
                if not body:
                    return Refusal("npm-script", f"package.json has no {script} script", line)
                s = parse_shell(body)
                dev = set((pkg.get("devDependencies") or {}).keys())
                for c in s.commands:
                    inv = invocation(c) if c.argv else None
                    p = inv.program if inv else None
                    if p in ("node", "nodejs"):
                        continue
                    why = "a devDependency" if p in dev else "not in the runtime image"
                    return Refusal("npm-script", f"npm {script} runs {p or 'a command'} ({why})", line)
            continue
        if "/" in prog and rt.script:
            continue
        return Refusal("entrypoint", f"the {where} runs {prog}, which dockeropt cannot place in the runtime image", line)
    if not pruned:
        plan.builder_runs.append("RUN npm prune --omit=dev")
        plan.notes.append("devDependencies pruned in the builder (npm prune --omit=dev)")
    plan.builder_after = build or installs[-1]
    plan.copies.append(CopyFrom(app, app, why="the application with its production node_modules"))
    return _script_check(ctx, plan, rt)


def _context_rel(ctx: Context, stage, app: str, name: str) -> Optional[str]:
    """The context path a COPY brought to ``app/name``, when the stage copies the whole context there."""
    for ins in stage.instructions:
        if isinstance(ins, n.Copy) and ins.flag("from") is None:
            dest = _copy_dest(ctx, ins)
            for s in ins.sources:
                if s.rstrip("/") in (".", "") and dest and dest.rstrip("/") == app:
                    return name
                if posixpath.basename(s) == name and dest and (dest.rstrip("/") == app or dest == posixpath.join(app, name)):
                    return s
    return None


def _python(ctx: Context, stage, ref, facts: RunFacts, rt: Runtime) -> Result:
    line = stage.from_.start_line
    installs = []
    for ins, vals, cwd, index in facts.pip:
        v = [x for x in vals if x]
        if not v or v[0] != "install":
            continue
        for x in v:
            if x in ("--user", "--target", "-t", "--prefix", "--root") or x.startswith(("--target=", "--prefix=", "--root=")):
                return Refusal("artifact", f"pip install {x.split('=')[0]} puts packages where dockeropt does not follow "
                                           "them (use a virtual environment)", ins.start_line)
        installs.append((ins, index))
    if not installs:
        return Refusal("no-build", "nothing is installed with pip, so there is nothing to build apart", line, quiet=True)
    state_end = _final_state(ctx, stage)
    app = state_end.workdir
    if app is None or app == "/":
        return Refusal("workdir", "the application is not in a WORKDIR of its own, so it cannot be copied apart from "
                                  "the toolchain", line)
    rtb = bases.python_runtime(ref)
    if rtb.image is None:
        return Refusal("base-image", rtb.why, line)
    plan = Plan("python", stage, BUILDER, rtb)
    venv = None
    path = state_end.env.get("PATH", "")
    for ins, p in facts.venvs:
        venv = p
    if venv is None:
        first, index = installs[0]
        st = ctx.model.state(index)
        if not st.user_is_root:
            return Refusal("user", "pip runs as a non-root USER, which could not make a virtual environment in /opt",
                           first.start_line)
        plan.venv_before = first
        venv = VENV
        plan.runtime_env.append(f'ENV VIRTUAL_ENV={VENV} PATH="{VENV}/bin:$PATH"')
        plan.notes.append(f"pip installs into a virtual environment ({VENV}) made in the builder")
    elif f"{venv}/bin" not in path:
        plan.notes.append(f"the virtual environment {venv} is not on PATH")
    consoles = True
    for prog, where in rt.programs[:1]:
        if re.fullmatch(r"python[0-9.]*", prog) or prog in SLIM_PROGRAMS:
            continue
        if "/" in prog and (within(resolve(prog, app) or "", venv) or rt.script):
            continue
        if "/" not in prog and consoles:
            plan.notes.append(f"{prog} is taken for a console script of the virtual environment")
            continue
        return Refusal("entrypoint", f"the {where} runs {prog}, which dockeropt cannot place in the runtime image", line)
    plan.builder_after = installs[-1][0]
    plan.copies.append(CopyFrom(venv, venv, why="the virtual environment"))
    if not within(app, venv):
        plan.copies.append(CopyFrom(app, app, why="the application"))
    for ins in stage.instructions:
        if isinstance(ins, n.Run) and ins.start_line > installs[-1][0].start_line:
            plan.builder_after = ins
    return _script_check(ctx, plan, rt)


_STACKS = {"go": _go, "rust": _rust, "java": _java, "node": _node, "python": _python}


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
