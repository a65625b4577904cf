"""The five stacks a split knows (Go, Rust, Java, Node, Python): for each, what the build
makes, where it lands, and what the runtime stage must get to run it (``STACKS[stack](...)``
returns a :class:`~dockeropt.rewriter.split.plan.Plan` or a
:class:`~dockeropt.rewriter.split.plan.Refusal`). ``plan.py`` holds the shared decision and the
types; this module only the per-stack knowledge.
"""

from __future__ import annotations

import posixpath
import re
from typing import Optional

from dockeropt.rewriter.base import Context
from dockeropt.rewriter.split import bases
from dockeropt.rewriter.split.facts import (
    DATA_NAMES, DATA_SUFFIXES, PROGRAM_PACKAGES, RUNTIME_TOOLCHAIN, SLIM_PROGRAMS, SOURCE_NAMES, RunFacts, cargo_bins, context_listdir, context_read, go_output, read_package_json, resolve, within,
)
from dockeropt.shell import invocation, parse_shell
from dockeropt.syntax import nodes as n
from dockeropt.rewriter.split.plan import (
    BUILDER, VENV, CopyFrom, Plan, Refusal, Result, Runtime, _copy_dest, _final_state, _line_of,
)



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


STACKS = {"go": _go, "rust": _rust, "java": _java, "node": _node, "python": _python}
