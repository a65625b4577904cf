"""copy-deps-first: copy the dependency manifests, install, then copy the rest of the source.

A stage that copies the whole build context and then installs its dependencies re-runs the
install after any source edit: the COPY's layer changed, so every later layer is rebuilt. Copying
only the manifests first lets the install layer come from the cache until a manifest changes.

Before::

    WORKDIR /app
    COPY . .
    RUN npm ci
    RUN npm run build

After::

    WORKDIR /app
    COPY package.json package-lock.json ./
    RUN npm ci
    COPY . .
    RUN npm run build

Ecosystems: npm, yarn, pnpm (package.json, lock files, .npmrc, .yarnrc(.yml), .yarn/releases,
workspace members' package.json, ``file:`` dependencies), pip (``-r``/``-c`` files and what they
include), poetry (``--no-root``), pipenv, uv (``--no-install-project``), Go (``go mod download``),
Maven (``dependency:go-offline``), Gradle (``dependencies``), Bundler, Composer
(``--no-autoloader``). Cargo reads the crate's source to load Cargo.toml, so it is reported, not
moved.

Only with the build context (the directory of the Dockerfile, or ``--context``): only manifests
the context sends (present, not excluded by .dockerignore, regular files) are copied, so the new
COPY cannot fail where the old one did not. The fix keeps the COPY's ``--chown``/``--chmod``/
``--link`` and its destination (the moved ``COPY .`` is the original line, unchanged).

Left alone, with the reason, when: there is no build context; the install needs more than its
manifests (``pip install .``, ``-e`` lines, local paths in requirements, poetry without
``--no-root``, npm lifecycle scripts — ``postinstall``, ``prepare`` … — unless
``--ignore-scripts``, workspace members it cannot find, path dependencies, a gemspec, composer's
autoloader); the RUN also builds (``npm run build``, ``go build``) or runs something dockeropt
cannot read; an instruction between the COPY and the install may read the copied files (a RUN
other than system package installs, another COPY, a VOLUME); the context sends what the install
creates (``node_modules``, ``.venv``, ``vendor``): the moved COPY would copy it over the installed
one; the destination or WORKDIR is not static, or is ``/``.

The fix is *unsafe* (applied with ``--unsafe-fixes``) when the install may rewrite a file the moved
COPY copies again (``npm install`` and package-lock.json, ``go mod download`` and go.sum,
``bundle install`` without ``--frozen`` and Gemfile.lock): the image would keep the context's copy,
not the install's; or when a WORKDIR between creates a directory that the context also has.
"""

from __future__ import annotations

import posixpath
import re
from typing import Optional

from dockeropt.model.context import ContextError
from dockeropt.model.copies import destination, within
from dockeropt.rewriter import deps
from dockeropt.rewriter.base import SAFE, UNSAFE, Context, Diagnostic, Edit, Rule
from dockeropt.rewriter.shellrun import parse_cached
from dockeropt.shell import SimpleCommand, invocation
from dockeropt.syntax import nodes as n

ALLOWED_FLAGS = {"chown", "chmod", "link"}
METADATA = (n.Env, n.Arg, n.Label, n.Expose, n.User, n.Cmd, n.Entrypoint, n.Healthcheck, n.Stopsignal,
            n.Maintainer, n.Shell)
SYSTEM_DIRS = {"/", "/usr", "/etc", "/var", "/bin", "/sbin", "/lib", "/lib64", "/root", "/home", "/tmp",
               "/usr/local", "/usr/lib", "/usr/bin"}
_INSTALL_WORDS = re.compile(r"\b(npm|yarn|pnpm|pip[0-9.]*|poetry|pipenv|uv|go|mvnw?|gradlew?|bundle|composer)\b")


def whole_context_copy(ins: n.Instruction) -> bool:
    if not isinstance(ins, (n.Copy, n.Add)) or ins.heredocs or ins.flag("from") is not None:
        return False
    srcs = ins.sources
    return len(srcs) == 1 and posixpath.normpath(srcs[0]) == "." and ins.destination is not None


class CopyDepsFirst(Rule):
    id = "copy-deps-first"
    summary = "Copy dependency manifests and install before COPY . so source edits reuse the install layer"
    hadolint = ()
    safe = True
    docs = __doc__ or ""

    def check(self, ctx: Context) -> list[Diagnostic]:
        out: list[Diagnostic] = []
        for stage in ctx.tree.stages:
            ins_list = stage.instructions
            for k, ins in enumerate(ins_list):
                if not whole_context_copy(ins) or ctx.suppressed(self, ins):
                    continue
                d = self._plan(ctx, ins_list, k)
                if d is not None:
                    out.append(d)
        return out

    # ----------------------------------------------------------------------------------------

    def _finding(self, ctx: Context, copy: n.Instruction, why: str) -> Diagnostic:
        return self.change(copy, f"COPY . not moved after the dependency install: {why}", ())

    def _plan(self, ctx: Context, ins_list, k: int) -> Optional[Diagnostic]:
        copy = ins_list[k]
        model = ctx.model
        ci = model.index[id(copy)]
        found = _find_install(ins_list, k)
        if found is None:
            return None
        r, why_unreadable = found
        run = ins_list[r]
        ri = model.index[id(run)]
        rline = ctx.orig_line(run.start_line)
        if why_unreadable:
            return self._finding(ctx, copy, f"the install RUN at line {rline} {why_unreadable}")
        bc = ctx.build_context
        if bc is None:
            return self._finding(ctx, copy, (
                f"copying only the dependency manifests before the install at line {rline} would let source "
                "edits reuse its layer, but dockeropt needs the build context to see which manifests exist "
                "(none here: stdin, or no directory; give --context DIR)"))
        bad = [f.name for f in copy.flags if f.name not in ALLOWED_FLAGS]
        if bad:
            return self._finding(ctx, copy, f"it has --{bad[0]}, which dockeropt does not carry over")
        state_c, state_r = model.state(ci), model.state(ri)
        dest = destination(copy, state_c.workdir)
        if dest is None:
            return self._finding(ctx, copy, "its destination (or the WORKDIR) is not static")
        if dest in SYSTEM_DIRS:
            return self._finding(ctx, copy, f"it copies into {dest}, where the install also writes")
        if "$" in copy.line:
            return self._finding(ctx, copy, "it uses a variable")
        raw_dest = copy.destination or "."
        if not raw_dest.startswith("/") and state_c.workdir != state_r.workdir:
            return self._finding(ctx, copy, "a WORKDIR between it and the install changes what its destination means")
        unsafe: list[str] = []
        # the instructions between the COPY and the install
        for j in range(k + 1, r):
            mid = ins_list[j]
            line = ctx.orig_line(mid.start_line)
            if isinstance(mid, METADATA):
                continue
            if isinstance(mid, n.Workdir):
                wd = model.state(model.index[id(mid)] + 1).workdir if model.index[id(mid)] + 1 < len(model.states) else None
                if wd is None:
                    return self._finding(ctx, copy, f"the WORKDIR at line {line} is not static")
                if within(wd, dest) and wd != dest and _exists(bc, posixpath.relpath(wd, dest)):
                    unsafe.append(f"the WORKDIR at line {line} now creates {wd} before COPY . fills it")
                continue
            if isinstance(mid, n.Run):
                why = _run_context_free(mid, dest)
                if why:
                    return self._finding(ctx, copy, f"the RUN at line {line}, between it and the install, {why}")
                continue
            return self._finding(ctx, copy, f"the {mid.keyword} at line {line} stands between it and the install")
        # the install RUN
        script = parse_cached(run.rest)
        installs: list[deps.Install] = []
        cwd = state_r.workdir
        if cwd is None:
            return self._finding(ctx, copy, f"the WORKDIR of the install at line {rline} is not static")
        files = _files(bc, dest)
        env = dict(state_r.variables())
        for cmd in script.commands:
            inv = invocation(cmd)
            if inv is not None and inv.program == "cd":
                target = _cd_target(cmd, cwd)
                if target is None:
                    return self._finding(ctx, copy, f"the install RUN at line {rline} changes directory in a way "
                                                    "dockeropt cannot follow")
                cwd = target
                continue
            kind = deps.classify(cmd)
            if kind is None:
                why = deps.context_free(cmd, dest)
                if why:
                    return self._finding(ctx, copy, f"the install RUN at line {rline} also runs {why}, which may "
                                                    "need files only COPY . brings")
                continue
            eco, what = kind
            text = " ".join(w.text for w in cmd.argv)[:60]
            if eco in _prior_installs(ins_list, k):
                return None  # the stage already installs this ecosystem's dependencies before COPY .
            if what == "build":
                return self._finding(ctx, copy, f"the RUN at line {rline} also runs `{text}`, a build step that "
                                                "needs the source")
            if cmd.in_subshell or cmd.in_function or not cmd.top_level:
                return self._finding(ctx, copy, f"`{text}` at line {rline} runs inside a compound command")
            if not within(cwd, dest):
                return self._finding(ctx, copy, f"`{text}` runs in {cwd}, outside {dest} where COPY . puts the files")
            try:
                inst = deps.analyse(cmd, eco, cwd, files, env)
            except ContextError as e:
                return self._finding(ctx, copy, f"the build context cannot be used: {e}")
            if inst.refuse:
                if eco in _prior_installs(ins_list, k):
                    return None  # already done by hand: manifests, install, COPY ., then the project install
                return self._finding(ctx, copy, inst.refuse)
            installs.append(inst)
        if not installs:
            return None
        try:
            plan = _manifest_plan(bc, dest, installs)
        except ContextError as e:
            return self._finding(ctx, copy, f"the build context cannot be used: {e}")
        if isinstance(plan, str):
            return self._finding(ctx, copy, plan)
        files_by_dir, dirs, unsafe_more = plan
        unsafe += unsafe_more
        edits = _edits(ctx, copy, ci, run, ri, raw_dest, files_by_dir, dirs)
        names = [posixpath.join(k, f) for k, group in files_by_dir.items() for f in group] + [d + "/" for d in dirs]
        shown = ", ".join(names[:6]) + (f" and {len(names) - 6} more" if len(names) > 6 else "")
        what = " and ".join(dict.fromkeys(f"`{i.text}`" for i in installs))
        message = (f"copy only {shown} before {what} (line {rline}) and the rest after it: "
                   "a source edit no longer re-runs the install")
        if unsafe:
            message += "; unsafe: " + "; ".join(unsafe)
        return self.change(copy, message, edits, end=run, applicability=UNSAFE if unsafe else SAFE)


# --------------------------------------------------------------------------------------------


def _find_install(ins_list, k: int) -> Optional[tuple[int, Optional[str]]]:
    """(index of the first RUN after ``k`` in the stage that installs dependencies, why it
    cannot be read or None); None when no RUN installs."""
    for j in range(k + 1, len(ins_list)):
        ins = ins_list[j]
        if not isinstance(ins, n.Run):
            continue
        if ins.is_exec_form or ins.heredocs or ins.command is None:
            if _INSTALL_WORDS.search(ins.line) and re.search(r"\b(install|ci|sync|download|go-offline|dependencies)\b", ins.line):
                return j, "is in exec form or has a heredoc"
            continue
        script = parse_cached(ins.rest)
        if not script.ok:
            if _INSTALL_WORDS.search(ins.rest) and re.search(r"\b(install|ci|sync|download)\b", ins.rest):
                return j, f"has shell dockeropt cannot read ({script.error})"
            continue
        if any((deps.classify(c) or ("", ""))[1] == "install" for c in script.commands):
            return j, None
    return None


def _prior_installs(ins_list, k: int) -> set[str]:
    """Ecosystems whose dependencies a RUN before ``k`` in the stage installs."""
    out: set[str] = set()
    for ins in ins_list[:k]:
        if isinstance(ins, n.Run) and ins.command is not None and not ins.heredocs:
            script = parse_cached(ins.rest)
            if script.ok:
                for c in script.commands:
                    kind = deps.classify(c)
                    if kind is not None and kind[1] == "install":
                        out.add(kind[0])
    return out


def _run_context_free(run: n.Run, dest: str) -> Optional[str]:
    if run.is_exec_form or run.heredocs or run.command is None:
        return "is in exec form or has a heredoc"
    script = parse_cached(run.rest)
    if not script.ok:
        return f"has shell dockeropt cannot read ({script.error})"
    for cmd in script.commands:
        kind = deps.classify(cmd)
        if kind is not None:
            return f"runs `{' '.join(w.text for w in cmd.argv)[:50]}`, which reads the project"
        why = deps.context_free(cmd, dest)
        if why:
            return f"runs {why}, which may read the copied files"
    return None


def _cd_target(cmd: SimpleCommand, cwd: str) -> Optional[str]:
    if not cmd.top_level or len(cmd.argv) != 2 or cmd.argv[1].value is None:
        return None
    v = cmd.argv[1].value
    if v.startswith("-") or v.startswith("~"):
        return None
    return posixpath.normpath(posixpath.join(cwd, v))


def _exists(bc, rel: str) -> bool:
    return bc.exists(rel) and bc.is_sent(rel)


def _files(bc, dest: str) -> deps.Files:
    """The project files as ``COPY . dest`` would put them, read from the context."""

    def rel(path: str) -> Optional[str]:
        if not within(path, dest):
            return None
        return posixpath.relpath(path, dest)

    def read(path: str) -> Optional[str]:
        r = rel(path)
        data = bc.read(r) if r is not None else None
        return data.decode("utf-8", "replace") if data is not None else None

    def exists(path: str) -> bool:
        r = rel(path)
        return r is not None and _exists(bc, r)

    def listdir(path: str) -> list[str]:
        r = rel(path)
        if r is None:
            return []
        return [name for name in bc.listdir(r) if bc.is_sent(posixpath.join(r, name) if r != "." else name)]

    return deps.Files(read, exists, listdir)


def _manifest_plan(bc, dest: str, installs: list[deps.Install]):
    """({context dir: [files]}, [whole dirs], unsafe reasons), or why nothing can be done."""
    files_by_dir: dict[str, list[str]] = {}
    dirs: list[str] = []
    unsafe: list[str] = []

    def to_rel(path: str) -> Optional[str]:
        return posixpath.relpath(path, dest) if within(path, dest) else None

    for inst in installs:
        for path in inst.dirs:
            r = to_rel(path)
            if r is None:
                return f"{path} is outside {dest}, where COPY . puts the files"
            if bc.lstat(r) is not None and not bc.is_dir(r):
                if bc.is_sent(r):
                    return f"{r} is not a plain directory in the build context"
                continue
            if bc.is_dir(r) and r not in dirs:
                dirs.append(r)
    for inst in installs:
        wanted = [(p, True) for p in inst.manifests] + [(p, False) for p in inst.optional]
        for path, required in wanted:
            r = to_rel(path)
            if r is None:
                return f"{path} is outside {dest}, where COPY . puts the files"
            if any(r == d or r.startswith(d + "/") for d in dirs):
                continue
            st = bc.lstat(r)
            if st is None:
                if required:
                    return (f"{r} is not in the build context, so `{inst.text}` fails either way"
                            if not r.endswith("package.json") or r == "package.json" else
                            f"{r} is not in the build context")
                continue
            if not bc.is_sent(r):
                if required:
                    return f"{r} is excluded by {bc.ignore_label}, so `{inst.text}` fails either way"
                continue
            if not bc.is_file(r):
                return f"{r} is not a regular file in the build context (a link or a directory)"
            group = files_by_dir.setdefault(posixpath.dirname(r), [])
            if posixpath.basename(r) not in group:
                group.append(posixpath.basename(r))
        for path in inst.outputs:
            r = to_rel(path)
            if r is None:
                continue
            if bc.exists(r) and (bc.is_sent(r) or (bc.matcher is not None and bc.matcher.may_reinclude_below(r))):
                return (f"the build context sends {r}, which `{inst.text}` creates: COPY . after the install would "
                        f"copy it over the installed one (add {r} to {posixpath.basename(bc.ignore_label)})")
        for path in inst.rewrites:
            r = to_rel(path)
            if r is not None and bc.is_file(r):
                unsafe.append(f"`{inst.text}` may rewrite {r}, and the COPY . after it would put the context's copy "
                              "back")
    if not files_by_dir and not dirs:
        return "no dependency manifest found in the build context"
    return files_by_dir, dirs, unsafe


def _flags_text(copy: n.Instruction) -> str:
    return "".join(f"{f} " for f in copy.flags)


def _dest_for(raw_dest: str, reldir: str) -> str:
    if reldir in ("", "."):
        d = raw_dest
    else:
        d = posixpath.join(raw_dest, reldir)
        if d.startswith("./"):
            d = d[2:]
    return d if d.endswith("/") else d + "/"


def _quote(paths: list[str]) -> Optional[str]:
    return None if any(re.search(r"[\s\"'\\$]", p) for p in paths) else " ".join(paths)


def _edits(ctx: Context, copy: n.Instruction, ci: int, run: n.Instruction, ri: int, raw_dest: str,
           files_by_dir: dict[str, list[str]], dirs: list[str]) -> list[Edit]:
    import json

    newline = copy.newline or ctx.newline()
    flags = _flags_text(copy)
    kw = copy.keyword_raw if isinstance(copy, n.Copy) else ("COPY" if copy.keyword_raw.isupper() else "copy")
    lines = []
    for reldir, names in files_by_dir.items():
        srcs = [posixpath.join(reldir, nm) if reldir else nm for nm in names]
        dst = _dest_for(raw_dest, reldir)
        plain = _quote(srcs + [dst])
        body = plain if plain is not None else json.dumps(srcs + [dst])
        lines.append(f"{kw} {flags}{body}")
    for d in dirs:
        dst = _dest_for(raw_dest, d)
        plain = _quote([d, dst])
        body = plain if plain is not None else json.dumps([d, dst])
        lines.append(f"{kw} {flags}{body}")
    # Edits stay inside the lines they change (no span ends at the start of the next line), so
    # the engine maps later rules' line numbers back to the right original lines.
    c_start, c_end = ctx.span(ci)
    c_end -= len(copy.newline)
    new_copy = (newline + copy.indent).join(lines)
    _, r_end = ctx.span(ri)
    r_end -= len(run.newline)
    moved = copy.own_code
    if copy.newline and moved.endswith(copy.newline):
        moved = moved[: -len(copy.newline)]
    return [Edit(c_start + len(copy.indent), c_end, new_copy), Edit(r_end, r_end, newline + moved)]
