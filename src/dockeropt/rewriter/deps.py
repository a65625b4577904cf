"""Dependency installs: which command installs what from which manifests, and what else it
needs or writes. Used by ``copy-deps-first``.

For each recognised install (``npm ci``, ``pip install -r requirements.txt``, ``go mod download``
...) :func:`analyse` returns an :class:`Install`: the manifest files it reads (image paths), the
paths it writes inside the project, the files it may rewrite (a lock file ``npm install`` updates),
and — when the install needs more than its manifests — why it must stay where it is. It reads the
manifests from the build context to find what they pull in (``-r`` includes, workspaces,
``file:`` dependencies, lifecycle scripts, path dependencies).

Commands are classified as: an *install* (reads manifests), a *build* (reads the source: ``npm run
build``, ``go build``, ``mvn package``), *context-free* (reads nothing the COPY brings: apt-get,
useradd, ``pip install NAME``, ``npm install -g NAME``, ``rm -rf /abs/outside``), or anything else
(dockeropt cannot tell what it reads).

Long on purpose (~800 lines): one short, table-driven reader per ecosystem (npm/yarn/pnpm, pip,
poetry, pipenv, uv, Go, Cargo, Maven, Gradle, Bundler, Composer), kept together because
``copy-deps-first`` asks each of them the same three questions.
"""

from __future__ import annotations

import json
import posixpath
import re
from dataclasses import dataclass, field
from typing import Callable, Optional

from dockeropt.shell import SimpleCommand, Word, invocation

Reader = Callable[[str], Optional[str]]  # image path -> text of the file as COPY . would put it, or None
Lister = Callable[[str], list[str]]  # image dir -> names in it (from the context)
Exists = Callable[[str], bool]  # image path -> sent by the context (file or dir)


@dataclass
class Install:
    ecosystem: str
    text: str  # the command as written (shortened), for messages
    project: str  # absolute project directory in the image
    manifests: list[str] = field(default_factory=list)  # image paths that must exist, copied first
    optional: list[str] = field(default_factory=list)  # copied first when the context has them
    dirs: list[str] = field(default_factory=list)  # whole directories copied first (when present)
    outputs: list[str] = field(default_factory=list)  # paths the install writes in the project
    rewrites: list[str] = field(default_factory=list)  # files it may rewrite (lock files)
    refuse: Optional[str] = None  # why the install must stay after COPY .
    unsafe: list[str] = field(default_factory=list)  # why the fix is not certain


def _v(w: Word) -> Optional[str]:
    return w.value


def _operands(argv, start: int, arg_opts: frozenset[str] = frozenset()) -> tuple[list[str], list[Optional[str]]]:
    """(options, operands) of argv[start:]; an operand None is not static."""
    opts: list[str] = []
    ops: list[Optional[str]] = []
    i = start
    while i < len(argv):
        v = argv[i].value
        if v is None:
            ops.append(None)
        elif v == "--":
            ops.extend(w.value for w in argv[i + 1:])
            break
        elif v.startswith("-") and v != "-":
            opts.append(v)
            if v in arg_opts and i + 1 < len(argv):
                opts.append(argv[i + 1].value or "")
                i += 1
        else:
            ops.append(v)
        i += 1
    return opts, ops


def _opt_value(opts: list[str], *names: str) -> list[str]:
    """Values of ``--name value`` / ``--name=value`` / ``-nVALUE`` in an option list made by _operands."""
    out = []
    for k, o in enumerate(opts):
        for name in names:
            if o == name and k + 1 < len(opts):
                out.append(opts[k + 1])
            elif name.startswith("--") and o.startswith(name + "="):
                out.append(o[len(name) + 1:])
            elif not name.startswith("--") and o.startswith(name) and len(o) > len(name):
                out.append(o[len(name):])
    return out


def _has(opts: list[str], *names: str) -> bool:
    return any(o in names or any(o.startswith(n + "=") for n in names if n.startswith("--")) for o in opts)


# --------------------------------------------------------------------------------------------
# Classifying one command
# --------------------------------------------------------------------------------------------

SYSTEM_PMS = {"apt-get", "apt", "aptitude", "apk", "yum", "dnf", "microdnf", "zypper", "dpkg-reconfigure",
              "update-ca-certificates", "ldconfig", "locale-gen", "update-alternatives", "apt-mark"}
USER_TOOLS = {"useradd", "groupadd", "adduser", "addgroup", "usermod", "groupmod", "chpasswd", "corepack"}
PATH_TOOLS = {"mkdir", "rm", "ln", "chown", "chmod", "touch", "rmdir"}
PURE = {"true", ":", "echo", "printf", "set", "export", "umask", "sleep"}
NPM_INSTALL = {"install", "i", "in", "ins", "inst", "insta", "instal", "isnt", "isnta", "isntal", "isntall",
               "ci", "clean-install", "ic", "install-clean", "isntall-clean"}
NPM_ARG_OPTS = frozenset({"-C", "-w", "--prefix", "--cache", "--registry", "--loglevel", "--userconfig",
                          "--workspace", "--omit", "--include", "--tag", "--location", "--install-strategy"})
PIP_ARG_OPTS = frozenset({"-r", "-c", "-e", "-i", "-f", "-t", "--requirement", "--constraint", "--editable",
                          "--index-url", "--extra-index-url", "--find-links", "--target", "--prefix", "--root",
                          "--cache-dir", "--trusted-host", "--src", "--upgrade-strategy", "--python",
                          "--platform", "--python-version", "--implementation", "--abi", "--only-binary",
                          "--no-binary", "--progress-bar", "--timeout", "--retries", "--log", "--proxy"})
BUILDS = {
    "npm": {"run", "run-script", "rum", "urn", "start", "test", "t", "tst", "pack", "publish", "exec", "x", "rebuild",
            "rb", "build"},
    "yarn": {"run", "build", "test", "start", "pack", "workspaces", "workspace", "dlx", "exec"},
    "pnpm": {"run", "build", "test", "start", "exec", "dlx", "pack", "rebuild"},
    "go": {"build", "install", "test", "run", "generate", "vet", "get"},
    "cargo": {"build", "install", "test", "run", "check", "vendor", "b", "t", "r"},
}


def path_operand_ok(v: Optional[str], project_root: str) -> bool:
    """A static absolute path outside the copied tree (``project_root``)."""
    if v is None or not v.startswith("/"):
        return False
    p = posixpath.normpath(v)
    return not (p == project_root or p.startswith(project_root.rstrip("/") + "/") or project_root.startswith(p.rstrip("/") + "/"))


def context_free(cmd: SimpleCommand, dest: str) -> Optional[str]:
    """None when ``cmd`` reads and writes nothing of the tree COPY copies to ``dest``; else why
    it may (a short phrase)."""
    inv = invocation(cmd)
    if not cmd.argv:
        return None if all(w.value is not None for w in cmd.assignments) else "an assignment that is not static"
    if inv is None:
        return "a command whose name is not static"
    prog = inv.program
    argv = cmd.argv
    args = argv[inv.program_index + 1:]
    text = " ".join(w.text for w in argv[inv.program_index:])[:60]
    if cmd.redirects and any(not r.text.lstrip("0123456789").startswith((">/dev/null", "> /dev/null", ">&", "<&"))
                             and "/dev/null" not in r.text for r in cmd.redirects):
        return f"`{text}` redirects to or from a file"
    if prog in PURE:
        return None if all(w.value is not None for w in args) or prog in ("echo", "printf") else f"`{text}`"
    if prog in SYSTEM_PMS or prog in USER_TOOLS:
        for w in args:
            v = w.value
            if v is None or ("/" in v and not path_operand_ok(v.split("=", 1)[-1], dest) and not v.startswith("-")):
                return f"`{text}` names a path or a value dockeropt cannot read"
        return None
    if prog in PATH_TOOLS:
        home = [w for w in args if w.value is None and re.fullmatch(r"~(/[\w./-]*)?", w.text)]
        if home and (dest.startswith(("/root", "/home")) or dest == "/"):
            return f"`{text}` works in the home directory, inside or above {dest}"
        args = tuple(Word(w.text, "/root" + w.text[1:], w.start, w.end) if w in home else w for w in args)
        _, ops = _operands(args, 0)
        for v in ops:
            if prog in ("chown", "chmod") and v is not None and "/" not in v:
                continue  # owner or mode
            if not path_operand_ok(v, dest):
                return f"`{text}` works on a path inside {dest} or one dockeropt cannot read"
        return None
    if prog in ("npm", "pnpm", "yarn"):
        opts, ops = _operands(args, 0, NPM_ARG_OPTS)
        sub = ops[0] if ops else None
        if sub in ("cache", "config", "set") or (sub in NPM_INSTALL and _has(opts, "-g", "--global")
                                                and all(o is not None and "/" not in o and not o.startswith(".") for o in ops[1:])):
            return None
        if prog == "yarn" and sub == "global" and len(ops) > 1 and ops[1] == "add":
            return None
        return f"`{text}`"
    if prog == "pip" or (inv.module == "pip"):
        start = inv.args_index
        opts, ops = _operands(argv, start, PIP_ARG_OPTS)
        sub = ops[0] if ops else None
        if sub == "cache":
            return None
        if sub == "install" and not _has(opts, "-r", "--requirement", "-c", "--constraint", "-e", "--editable",
                                         "-t", "--target", "--prefix", "--root", "-f", "--find-links", "--src"):
            if all(o is not None and not o.startswith((".", "/", "~")) and "/" not in o.split("@")[0] for o in ops[1:]) and len(ops) > 1:
                return None
        return f"`{text}`"
    return f"`{text}`"


# --------------------------------------------------------------------------------------------
# Installs
# --------------------------------------------------------------------------------------------


@dataclass
class Files:
    """How the analysis sees the project files: as the full COPY would put them in the image."""

    read: Reader
    exists: Exists
    listdir: Lister


def _json(files: Files, path: str) -> tuple[Optional[dict], Optional[str]]:
    text = files.read(path)
    if text is None:
        return None, None
    try:
        data = json.loads(text)
    except ValueError as e:
        return None, f"{posixpath.basename(path)} is not valid JSON ({e.msg})"
    return (data, None) if isinstance(data, dict) else (None, f"{posixpath.basename(path)} is not a JSON object")


def _toml(files: Files, path: str) -> tuple[Optional[dict], Optional[str]]:
    text = files.read(path)
    if text is None:
        return None, None
    from dockeropt.config import _toml as toml_module  # tomllib, or tomli before 3.11; not at start-up

    tomllib = toml_module()
    try:
        return tomllib.loads(text), None
    except Exception as e:  # noqa: BLE001 - tomllib.TOMLDecodeError
        return None, f"{posixpath.basename(path)} is not valid TOML ({e})"


LIFECYCLE = ("preinstall", "install", "postinstall", "prepare", "preprepare", "postprepare", "prepublish")


def classify(cmd: SimpleCommand) -> Optional[tuple[str, str]]:
    """(ecosystem, "install" | "build") for a command of a known package manager, else None."""
    inv = invocation(cmd)
    if inv is None:
        return None
    prog = inv.program
    argv = cmd.argv
    args = argv[inv.program_index + 1:]
    if any(w.value in ("--version", "-v", "-V", "--help", "-h") for w in args[:1]):
        return None  # `yarn --version`, `bundle -v`: no install
    if prog == "npm":
        _, ops = _operands(args, 0, NPM_ARG_OPTS)
        sub = ops[0] if ops else None
        if sub in NPM_INSTALL:
            return ("npm", "install")
        if sub in BUILDS["npm"]:
            return ("npm", "build")
        return None
    if prog == "yarn":
        _, ops = _operands(args, 0, frozenset({"--cwd", "--cache-folder", "--modules-folder", "--network-timeout",
                                                "--mutex", "--registry"}))
        sub = ops[0] if ops else None
        if sub in (None, "install"):
            return ("yarn", "install")
        if sub in BUILDS["yarn"] or sub not in ("cache", "config", "global", "set", "add", "remove", "upgrade"):
            return ("yarn", "build")  # `yarn build` runs the script named build
        return None
    if prog == "pnpm":
        _, ops = _operands(args, 0, NPM_ARG_OPTS)
        sub = ops[0] if ops else None
        if sub in ("install", "i", "fetch"):
            return ("pnpm", "install")
        if sub in BUILDS["pnpm"]:
            return ("pnpm", "build")
        return None
    if prog == "pip" or inv.module == "pip":
        opts, ops = _operands(argv, inv.args_index, PIP_ARG_OPTS)
        if ops[:1] == ["install"] and (_has(opts, "-r", "--requirement", "-c", "--constraint", "-e", "--editable")
                                       or any(o is None or o.startswith((".", "/")) for o in ops[1:])):
            return ("pip", "install")
        return None
    if prog in ("poetry", "pipenv"):
        _, ops = _operands(args, 0)
        if ops[:1] in (["install"], ["sync"]):
            return (prog, "install")
        if ops[:1] in (["build"], ["run"]):
            return (prog, "build")
        return None
    if prog == "uv":
        _, ops = _operands(args, 0)
        if ops[:1] == ["sync"]:
            return ("uv", "install")
        if ops[:2] in (["pip", "install"], ["pip", "sync"]):
            return ("pip", "install")
        if ops[:1] in (["run"], ["build"]):
            return ("uv", "build")
        return None
    if prog == "go":
        _, ops = _operands(args, 0)
        if ops[:2] == ["mod", "download"]:
            return ("go", "install")
        if ops[:1] and ops[0] in BUILDS["go"] or ops[:2] in (["mod", "tidy"], ["mod", "vendor"]):
            return ("go", "build")
        return None
    if prog == "cargo":
        _, ops = _operands(args, 0)
        if ops[:1] == ["fetch"]:
            return ("cargo", "install")
        if ops[:1] and ops[0] in BUILDS["cargo"]:
            return ("cargo", "build")
        return None
    if prog in ("mvn", "mvnw", "./mvnw"):
        return ("maven", "install" if _maven_goals(args)[0] else "build")
    if prog in ("gradle", "gradlew"):
        _, ops = _operands(args, 0)
        tasks = [o for o in ops if o is not None]
        if tasks and all(t in ("dependencies", "androidDependencies") or t.endswith(":dependencies") for t in tasks):
            return ("gradle", "install")
        return ("gradle", "build")
    if prog == "bundle":
        _, ops = _operands(args, 0)
        sub = ops[0] if ops else "install"
        if sub in ("install", "i"):
            return ("bundler", "install")
        if sub in ("exec", "package", "pack", "binstubs"):
            return ("bundler", "build")
        return None
    if prog == "composer":
        _, ops = _operands(args, 0)
        sub = ops[0] if ops else None
        if sub in ("install", "i"):
            return ("composer", "install")
        if sub in ("dump-autoload", "dumpautoload", "run-script", "run", "exec", "update", "require"):
            return ("composer", "build")
        return None
    return None


_MAVEN_FETCH = {"dependency:go-offline", "dependency:resolve", "dependency:resolve-plugins",
                "org.apache.maven.plugins:maven-dependency-plugin:go-offline"}


def _maven_goals(args) -> tuple[bool, list[str]]:
    _, ops = _operands(args, 0, frozenset({"-f", "--file", "-s", "--settings", "-P", "-pl", "-D", "-gs", "-t", "-T"}))
    goals = [o for o in ops if o is not None]
    fetch = bool(goals) and all(g in _MAVEN_FETCH or g.startswith("dependency:go-offline")
                                or g.startswith("de.qaware.maven:go-offline-maven-plugin") for g in goals)
    return fetch, goals


def analyse(cmd: SimpleCommand, ecosystem: str, cwd: str, files: Files, env: dict) -> Install:
    """What the install ``cmd`` (run in ``cwd``) needs and writes."""
    inv = invocation(cmd)
    assert inv is not None
    argv = cmd.argv
    text = " ".join(w.text for w in argv[inv.program_index:])
    short = text if len(text) <= 60 else text[:57] + "..."
    inst = Install(ecosystem, short, cwd)
    handler = {"npm": _npm, "yarn": _npm, "pnpm": _npm, "pip": _pip, "poetry": _poetry, "pipenv": _pipenv, "uv": _uv,
               "go": _go, "cargo": _cargo, "maven": _maven, "gradle": _gradle, "bundler": _bundler, "composer": _composer}[ecosystem]
    handler(inst, cmd, inv, files, env)
    return inst


def _j(*parts: str) -> str:
    return posixpath.normpath(posixpath.join(*parts))


def _npm(inst: Install, cmd, inv, files: Files, env: dict) -> None:
    prog = inv.program
    args = cmd.argv[inv.program_index + 1:]
    opts, ops = _operands(args, 0, NPM_ARG_OPTS | {"--cwd", "--modules-folder"})
    sub = ops[0] if ops else None
    if any(o is None for o in ops):
        inst.refuse = f"`{inst.text}` has words dockeropt cannot read"
        return
    pkgs = ops[1:] if sub not in ("fetch",) else ops[1:]
    if pkgs:
        inst.refuse = f"`{inst.text}` adds packages, which changes package.json"
        return
    if _has(opts, "--prefix", "-C", "--cwd", "-w", "--workspace", "--modules-folder", "-g", "--global"):
        inst.refuse = f"`{inst.text}` installs somewhere other than the working directory"
        return
    p = inst.project
    frozen = (prog == "npm" and sub in ("ci", "clean-install", "ic", "install-clean", "isntall-clean")) \
        or _has(opts, "--frozen-lockfile", "--immutable", "--pure-lockfile") \
        or (prog == "pnpm" and sub == "fetch")
    locks = {"npm": ["package-lock.json", "npm-shrinkwrap.json"], "yarn": ["yarn.lock"],
             "pnpm": ["pnpm-lock.yaml"]}[prog]
    if prog == "pnpm" and sub == "fetch":
        inst.manifests.append(_j(p, "pnpm-lock.yaml"))
        inst.optional += [_j(p, n) for n in (".npmrc", "pnpm-workspace.yaml", ".pnpmfile.cjs")]
        return
    inst.manifests.append(_j(p, "package.json"))
    inst.optional += [_j(p, n) for n in locks + [".npmrc", ".yarnrc", ".yarnrc.yml", "pnpm-workspace.yaml",
                                                  ".pnpmfile.cjs"]]
    inst.outputs += [_j(p, "node_modules")]
    if prog == "yarn":
        inst.outputs += [_j(p, n) for n in (".pnp.cjs", ".pnp.loader.mjs", ".pnp.js", ".yarn/cache", ".yarn/unplugged",
                                             ".yarn/install-state.gz", ".yarn/build-state.yml")]
        inst.dirs += [_j(p, n) for n in (".yarn/releases", ".yarn/plugins", ".yarn/patches", ".yarn/sdks")]
    if prog == "pnpm":
        inst.dirs += [_j(p, "patches")]
    if not frozen:
        inst.rewrites += [_j(p, n) for n in locks]
    pkg, err = _json(files, _j(p, "package.json"))
    if err:
        inst.refuse = err
        return
    if pkg is None:
        return  # the caller finds package.json missing
    ignore_scripts = _has(opts, "--ignore-scripts")
    why = _package_needs_source(pkg, "package.json", ignore_scripts, files, p, inst)
    if why:
        inst.refuse = why
        return
    members = _workspaces(pkg, files, p, prog)
    if isinstance(members, str):
        inst.refuse = members
        return
    for m in members:
        mpkg, err = _json(files, _j(m, "package.json"))
        rel = posixpath.relpath(m, p)
        if err or mpkg is None:
            inst.refuse = err or f"workspace member {rel} has no package.json"
            return
        inst.manifests.append(_j(m, "package.json"))
        why = _package_needs_source(mpkg, f"{rel}/package.json", ignore_scripts, files, m, inst)
        if why:
            inst.refuse = why
            return
        inst.outputs.append(_j(m, "node_modules"))


def _package_needs_source(pkg: dict, name: str, ignore_scripts: bool, files: Files, base: str, inst: Install) -> Optional[str]:
    scripts = pkg.get("scripts") or {}
    if isinstance(scripts, dict) and not ignore_scripts:
        for hook in LIFECYCLE:
            if hook in scripts:
                return (f"{name}'s `{hook}` script (`{str(scripts[hook])[:50]}`) runs during the install and may "
                        "need files that only COPY . brings (--ignore-scripts would keep it from running)")
    for section in ("dependencies", "devDependencies", "optionalDependencies", "peerDependencies"):
        deps = pkg.get(section) or {}
        if not isinstance(deps, dict):
            continue
        for dep, spec in deps.items():
            if not isinstance(spec, str):
                continue
            if spec.startswith(("file:", "link:", "portal:")) or spec.startswith(("./", "../", "/", "~/")):
                target = spec.split(":", 1)[1] if ":" in spec.split("/")[0] else spec
                path = _j(base, target)
                if not path.startswith(inst.project.rstrip("/") + "/") and path != inst.project:
                    return f"{name} depends on {dep} at {spec}, outside the project"
                if target.endswith((".tgz", ".tar.gz", ".tar")):
                    inst.manifests.append(path)
                elif files.exists(_j(path, "package.json")):
                    inst.dirs.append(path)
                    inst.manifests.append(_j(path, "package.json"))
                else:
                    return f"{name} depends on {dep} at {spec}, which is not a package directory or tarball"
            elif spec.startswith("patch:") or spec.startswith("workspace:") and section == "peerDependencies":
                return f"{name} uses {spec[:40]}, which dockeropt does not follow"
    if isinstance(pkg.get("pnpm"), dict) and pkg["pnpm"].get("patchedDependencies"):
        for path in pkg["pnpm"]["patchedDependencies"].values():
            if isinstance(path, str):
                inst.manifests.append(_j(base, path))
    return None


def _workspaces(pkg: dict, files: Files, p: str, prog: str) -> list[str] | str:
    """Absolute member directories, or why they cannot be found."""
    globs = pkg.get("workspaces")
    if isinstance(globs, dict):
        globs = globs.get("packages")
    if prog == "pnpm":
        text = files.read(_j(p, "pnpm-workspace.yaml"))
        if text is not None:
            globs = _yaml_packages(text)
            if globs is None:
                return "pnpm-workspace.yaml has a form dockeropt does not read"
    if not globs:
        return []
    if not isinstance(globs, list) or not all(isinstance(g, str) for g in globs):
        return "package.json's workspaces field has a form dockeropt does not read"
    out: list[str] = []
    excluded: set[str] = set()
    for g in globs:
        neg = g.startswith("!")
        g = g[1:] if neg else g
        g = g.strip().rstrip("/")
        if g.startswith("./"):
            g = g[2:]
        parts = g.split("/")
        if "**" in parts or any(c in part for part in parts[:-1] for c in "*?[{"):
            return f"workspace pattern {g!r} (dockeropt expands only dir/* and plain paths)"
        last = parts[-1]
        parent = _j(p, *parts[:-1]) if len(parts) > 1 else p
        if any(c in last for c in "?[{"):
            return f"workspace pattern {g!r} (dockeropt expands only dir/* and plain paths)"
        if "*" in last:
            rx = re.compile("^" + ".*".join(re.escape(x) for x in last.split("*")) + "$")
            names = [nm for nm in files.listdir(parent) if rx.match(nm) and not nm.startswith(".")]
            found = [_j(parent, nm) for nm in names if files.exists(_j(parent, nm, "package.json"))]
        else:
            found = [_j(p, g)]
        if neg:
            excluded.update(found)
        else:
            out.extend(found)
    return [m for m in dict.fromkeys(out) if m not in excluded]


def _yaml_packages(text: str) -> Optional[list[str]]:
    """The ``packages:`` list of a simple pnpm-workspace.yaml (block list of scalars)."""
    out: list[str] = []
    inside = False
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].rstrip()
        if not line.strip():
            continue
        if not raw.startswith((" ", "\t", "-")):
            inside = line.strip() == "packages:"
            if line.strip().startswith("packages:") and line.strip() != "packages:":
                return None  # flow style
            continue
        if inside:
            item = line.strip()
            if not item.startswith("- "):
                return None
            out.append(item[2:].strip().strip("'\""))
    return out


def _requirements(inst: Install, files: Files, path: str, seen: set[str], depth: int = 0) -> Optional[str]:
    """Add a requirements file and what it includes; why it needs more, or None."""
    if path in seen:
        return None
    seen.add(path)
    inst.manifests.append(path)
    text = files.read(path)
    if text is None:
        return None  # the caller reports a missing manifest
    if depth > 20:
        return "requirements files include each other more than 20 deep"
    base = posixpath.dirname(path)
    name = posixpath.basename(path)
    lines = text.replace("\\\n", " ").splitlines()
    for k, raw in enumerate(lines, 1):
        line = re.split(r"(^|\s)#", raw, maxsplit=1)[0].strip()
        if not line:
            continue
        m = re.match(r"^(-r|--requirement|-c|--constraint)(\s*=\s*|\s+)(\S+)", line)
        if m:
            why = _requirements(inst, files, _j(base, m.group(3)), seen, depth + 1)
            if why:
                return why
            continue
        if re.match(r"^(-e|--editable)\b", line):
            return f"{name} line {k} installs an editable package ({line[:50]}), which needs its source"
        m = re.match(r"^(-f|--find-links)(\s*=\s*|\s+)(\S+)", line)
        if m:
            if "://" not in m.group(3):
                return f"{name} line {k} finds packages in a local directory ({m.group(3)})"
            continue
        if line.startswith("-"):
            continue  # --index-url, --hash, --only-binary ...
        spec = line.split(";")[0].strip()
        target = spec.split("@", 1)[1].strip() if " @ " in spec or re.match(r"^[\w.-]+\s*@", spec) else spec
        if target.startswith(("file:", ".", "/", "~")) or (("/" in target or "\\" in target) and "://" not in target):
            return f"{name} line {k} installs a local path ({spec[:50]}), which needs files COPY . brings"
    return None


def _pip(inst: Install, cmd, inv, files: Files, env: dict) -> None:
    argv = cmd.argv
    start = inv.args_index
    if inv.program == "uv":  # uv pip install / uv pip sync
        start = inv.program_index + 2
    opts, ops = _operands(argv, start, PIP_ARG_OPTS)
    if any(o is None for o in ops):
        inst.refuse = f"`{inst.text}` has words dockeropt cannot read"
        return
    sub = ops[0] if ops else None
    for o in ops[1:]:
        if o.startswith((".", "/", "~", "file:")) or ("/" in o and "://" not in o and "@" not in o):
            inst.refuse = f"`{inst.text}` installs a local path ({o}), which needs the source"
            return
    if _has(opts, "-e", "--editable"):
        inst.refuse = f"`{inst.text}` installs an editable package, which needs its source"
        return
    for value in _opt_value(opts, "-f", "--find-links"):
        if "://" not in value and not (value.startswith("/") and not value.startswith(inst.project)):
            inst.refuse = f"`{inst.text}` finds packages in {value}, inside the copied tree"
            return
    for value in _opt_value(opts, "-t", "--target", "--prefix", "--root", "--src"):
        if not value.startswith("/") or value.startswith(inst.project):
            inst.refuse = f"`{inst.text}` writes into {value}, inside the copied tree"
            return
    seen: set[str] = set()
    reqs = _opt_value(opts, "-r", "--requirement", "-c", "--constraint")
    if sub == "sync" and inv.program == "uv":
        reqs += ops[1:]
    for r in reqs:
        why = _requirements(inst, files, _j(inst.project, r), seen)
        if why:
            inst.refuse = why
            return


def _pyproject_path_deps(data: dict) -> Optional[str]:
    def walk(obj, where: str) -> Optional[str]:
        if isinstance(obj, dict):
            if "path" in obj and isinstance(obj["path"], str):
                return f"{where} is a path dependency ({obj['path']})"
            for k, v in obj.items():
                found = walk(v, f"{where}.{k}" if where else k)
                if found:
                    return found
        elif isinstance(obj, list):
            for v in obj:
                found = walk(v, where)
                if found:
                    return found
        elif isinstance(obj, str) and (obj.startswith("file:") or " @ file:" in obj or obj.startswith("-e ")):
            return f"{where} points at local files ({obj[:40]})"
        return None

    return walk(data, "")


def _poetry(inst: Install, cmd, inv, files: Files, env: dict) -> None:
    opts, ops = _operands(cmd.argv[inv.program_index + 1:], 0, frozenset({"--only", "--with", "--without", "-E",
                                                                          "--extras", "-C", "--directory", "-P",
                                                                          "--project"}))
    p = inst.project
    if _has(opts, "-C", "--directory", "-P", "--project"):
        inst.refuse = f"`{inst.text}` works in another directory"
        return
    inst.manifests.append(_j(p, "pyproject.toml"))
    inst.optional += [_j(p, "poetry.lock"), _j(p, "poetry.toml")]
    inst.outputs.append(_j(p, ".venv"))
    if not _has(opts, "--no-root", "--only-root") and not _has(opts, "--no-directory"):
        inst.refuse = f"`{inst.text}` installs the project itself (without --no-root), which needs its source"
        return
    data, err = _toml(files, _j(p, "pyproject.toml"))
    if err:
        inst.refuse = err
        return
    if data is not None:
        why = _pyproject_path_deps(data.get("tool", {}).get("poetry", {}))
        if why:
            inst.refuse = f"pyproject.toml: {why}"


def _pipenv(inst: Install, cmd, inv, files: Files, env: dict) -> None:
    opts, ops = _operands(cmd.argv[inv.program_index + 1:], 0)
    p = inst.project
    if len(ops) > 1:
        inst.refuse = f"`{inst.text}` adds packages, which changes the Pipfile"
        return
    inst.manifests.append(_j(p, "Pipfile"))
    inst.optional.append(_j(p, "Pipfile.lock"))
    inst.outputs.append(_j(p, ".venv"))
    if ops[:1] == ["install"] and not _has(opts, "--deploy", "--ignore-pipfile", "--frozen"):
        inst.rewrites.append(_j(p, "Pipfile.lock"))
    text = files.read(_j(p, "Pipfile"))
    if text is not None and re.search(r"\bpath\s*=|editable\s*=\s*true", text):
        inst.refuse = "the Pipfile installs a local path or an editable package, which needs the source"


def _uv(inst: Install, cmd, inv, files: Files, env: dict) -> None:
    opts, ops = _operands(cmd.argv[inv.program_index + 1:], 0, frozenset({"--package", "--extra", "--group",
                                                                          "--project", "--directory"}))
    p = inst.project
    inst.manifests.append(_j(p, "pyproject.toml"))
    inst.optional += [_j(p, "uv.lock"), _j(p, ".python-version"), _j(p, "uv.toml")]
    inst.outputs.append(_j(p, ".venv"))
    if _has(opts, "--project", "--directory"):
        inst.refuse = f"`{inst.text}` works in another directory"
        return
    if not _has(opts, "--no-install-project") and not _has(opts, "--only-dev"):
        inst.refuse = f"`{inst.text}` installs the project itself (without --no-install-project), which needs its source"
        return
    if not _has(opts, "--frozen", "--locked"):
        inst.rewrites.append(_j(p, "uv.lock"))
    data, err = _toml(files, _j(p, "pyproject.toml"))
    if err:
        inst.refuse = err
        return
    if data is not None:
        uv = data.get("tool", {}).get("uv", {})
        if uv.get("workspace"):
            inst.refuse = "pyproject.toml declares a uv workspace, whose members dockeropt does not copy"
            return
        why = _pyproject_path_deps(uv.get("sources", {}))
        if why:
            inst.refuse = f"pyproject.toml: {why}"


def _go(inst: Install, cmd, inv, files: Files, env: dict) -> None:
    opts, ops = _operands(cmd.argv[inv.program_index + 1:], 0)
    p = inst.project
    if len(ops) > 2 or _has(opts, "-C"):
        inst.refuse = f"`{inst.text}` names modules or another directory"
        return
    inst.manifests.append(_j(p, "go.mod"))
    inst.optional.append(_j(p, "go.sum"))
    if files.exists(_j(p, "go.work")):
        inst.refuse = "go.work makes this a Go workspace, whose modules dockeropt does not copy"
        return
    if files.exists(_j(p, "vendor")):
        inst.refuse = "the module has a vendor directory, which `go mod download` checks against go.mod"
        return
    text = files.read(_j(p, "go.mod"))
    if text is not None:
        for line in text.splitlines():
            m = re.search(r"=>\s*(\S+)", line)
            if m and m.group(1).startswith((".", "/")):
                inst.refuse = f"go.mod replaces a module with the local directory {m.group(1)}"
                return
    if files.exists(_j(p, "go.sum")):
        inst.rewrites.append(_j(p, "go.sum"))


def _cargo(inst: Install, cmd, inv, files: Files, env: dict) -> None:
    inst.refuse = (f"`{inst.text}` loads Cargo.toml, which needs the crate's source files (src/main.rs or "
                   "src/lib.rs) to exist; copying only the manifests would make it fail")


def _maven(inst: Install, cmd, inv, files: Files, env: dict) -> None:
    args = cmd.argv[inv.program_index + 1:]
    opts, _ = _operands(args, 0, frozenset({"-f", "--file", "-s", "--settings", "-P", "-pl", "-gs", "-t", "-T"}))
    p = inst.project
    if _has(opts, "-f", "--file", "-pl", "--projects"):
        inst.refuse = f"`{inst.text}` names another POM or modules"
        return
    inst.manifests.append(_j(p, "pom.xml"))
    inst.dirs.append(_j(p, ".mvn"))
    if inv.program.endswith("mvnw"):
        inst.manifests.append(_j(p, "mvnw"))
    for value in _opt_value(opts, "-s", "--settings", "-gs", "--global-settings"):
        if not value.startswith("/"):
            inst.manifests.append(_j(p, value))
    inst.outputs.append(_j(p, "target"))
    text = files.read(_j(p, "pom.xml"))
    if text is not None:
        if re.search(r"<modules>\s*<module>", text):
            inst.refuse = "pom.xml has modules, whose POMs dockeropt does not copy"
        elif re.search(r"<relativePath>\s*[^<\s]", text):
            inst.refuse = "pom.xml names a parent POM by relativePath"
        elif "<systemPath>" in text:
            inst.refuse = "pom.xml has a system-scoped dependency on a local file"


def _gradle(inst: Install, cmd, inv, files: Files, env: dict) -> None:
    opts, _ = _operands(cmd.argv[inv.program_index + 1:], 0, frozenset({"-p", "--project-dir", "-b",
                                                                          "--build-file", "-c", "--settings-file"}))
    p = inst.project
    if _has(opts, "-p", "--project-dir", "-b", "--build-file", "-c", "--settings-file"):
        inst.refuse = f"`{inst.text}` works on another project directory or build file"
        return
    builds = [n for n in ("build.gradle", "build.gradle.kts") if files.exists(_j(p, n))]
    if not builds:
        inst.manifests.append(_j(p, "build.gradle"))
    inst.manifests += [_j(p, n) for n in builds]
    inst.optional += [_j(p, n) for n in ("settings.gradle", "settings.gradle.kts", "gradle.properties")]
    inst.dirs.append(_j(p, "gradle"))
    if inv.program.endswith("gradlew"):
        inst.manifests.append(_j(p, "gradlew"))
    inst.outputs += [_j(p, ".gradle"), _j(p, "build")]
    if files.exists(_j(p, "buildSrc")):
        inst.refuse = "buildSrc/ is compiled by every Gradle run, and it is source"
        return
    for n in ("settings.gradle", "settings.gradle.kts"):
        text = files.read(_j(p, n))
        if text is not None and re.search(r"^\s*include(Build)?\b", text, re.M):
            inst.refuse = f"{n} includes other projects, whose build files dockeropt does not copy"
            return


def _bundler(inst: Install, cmd, inv, files: Files, env: dict) -> None:
    opts, ops = _operands(cmd.argv[inv.program_index + 1:], 0, frozenset({"--gemfile", "--path", "--jobs", "-j",
                                                                          "--retry", "--without", "--with"}))
    p = inst.project
    if _has(opts, "--gemfile"):
        inst.refuse = f"`{inst.text}` names another Gemfile"
        return
    gemfile = "gems.rb" if files.exists(_j(p, "gems.rb")) and not files.exists(_j(p, "Gemfile")) else "Gemfile"
    lock = "gems.locked" if gemfile == "gems.rb" else "Gemfile.lock"
    inst.manifests.append(_j(p, gemfile))
    inst.optional += [_j(p, lock), _j(p, ".ruby-version")]
    inst.dirs += [_j(p, ".bundle"), _j(p, "vendor/cache")]
    inst.outputs += [_j(p, "vendor/bundle")]
    frozen = _has(opts, "--frozen", "--deployment") or str(env.get("BUNDLE_FROZEN", "")).lower() in ("1", "true") \
        or str(env.get("BUNDLE_DEPLOYMENT", "")).lower() in ("1", "true")
    if not frozen:
        inst.rewrites.append(_j(p, lock))
    text = files.read(_j(p, gemfile))
    if text is not None:
        for k, line in enumerate(text.splitlines(), 1):
            code = line.split("#", 1)[0]
            if re.match(r"\s*gemspec\b", code):
                inst.refuse = f"{gemfile} line {k} loads the gemspec, which reads the source"
                return
            if re.search(r"\bpath(:|\s*=>)", code) or re.match(r"\s*(eval_gemfile|load|require_relative)\b", code):
                inst.refuse = f"{gemfile} line {k} reads local files ({code.strip()[:40]})"
                return


def _composer(inst: Install, cmd, inv, files: Files, env: dict) -> None:
    opts, ops = _operands(cmd.argv[inv.program_index + 1:], 0, frozenset({"-d", "--working-dir"}))
    p = inst.project
    if _has(opts, "-d", "--working-dir"):
        inst.refuse = f"`{inst.text}` works in another directory"
        return
    inst.manifests.append(_j(p, "composer.json"))
    inst.optional += [_j(p, "composer.lock"), _j(p, "auth.json")]
    inst.outputs.append(_j(p, "vendor"))
    data, err = _json(files, _j(p, "composer.json"))
    if err:
        inst.refuse = err
        return
    if not _has(opts, "--no-autoloader"):
        inst.refuse = (f"`{inst.text}` builds the autoloader from the source directories "
                       "(--no-autoloader, then `composer dump-autoload` after COPY ., would not)")
        return
    if data is not None:
        scripts = data.get("scripts") or {}
        hooks = [h for h in scripts if h.startswith(("pre-install", "post-install", "post-autoload", "pre-autoload"))]
        if hooks and not _has(opts, "--no-scripts"):
            inst.refuse = f"composer.json's `{hooks[0]}` script runs during the install and may need the source"
            return
        for repo in (data.get("repositories") or []):
            if isinstance(repo, dict) and repo.get("type") in ("path", "artifact"):
                inst.refuse = f"composer.json has a {repo.get('type')} repository ({repo.get('url')}), local files"
                return
