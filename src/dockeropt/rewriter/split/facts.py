"""What the commands of a single-stage build do, as far as a split into builder and runtime
stages needs to know: which toolchain builds what, which packages are installed (and which of
them the running program needs), which users are created, which paths outside the build are
written, and what the container runs.

Every RUN is read with the project's shell parser (``view.script``); a command whose effect on
the file system is not known here makes the split uncertain (the caller refuses, naming it).

Long (~600 lines) for its tables (programs, packages, paths per stack); the logic is one reader.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field
from typing import Optional

from dockeropt.shell import SimpleCommand, invocation, parse_shell

# Commands that write nothing the running image could need (or only read).
HARMLESS = {
    "echo", "printf", "true", "false", ":", "test", "[", "[[", "set", "export", "unset", "cd", "ls", "cat",
    "which", "command", "type", "id", "whoami", "uname", "env", "sleep", "pwd", "grep", "egrep", "du", "df",
    "file", "ldd", "sha256sum", "sha1sum", "md5sum", "head", "tail", "wc", "sort", "uniq", "stat", "readlink",
    "realpath", "dirname", "basename", "date", "nproc", "exit", "hash", "tree", "diff", "cmp", "getent", "lscpu",
    "update-ca-certificates", "ldconfig", "sync", "mktemp", "apt-mark", "nproc", "getconf",
}
# Programs that only read with these first operands (or options).
READ_ONLY_SUBCOMMANDS = {
    "git": {"describe", "rev-parse", "log", "status", "show", "--version", "version"},
    "dpkg": {"--print-architecture", "-l", "--list", "-s", "--status", "-L", "--listfiles", "--compare-versions"},
    "dpkg-query": None,
}
USER_TOOLS = {"useradd", "adduser", "groupadd", "addgroup", "usermod", "groupmod", "deluser", "delgroup", "userdel",
              "groupdel"}
FILE_WRITERS = {"mkdir", "touch", "cp", "mv", "install", "chmod", "chown", "chgrp", "rm", "rmdir", "sed", "ln"}
PACKAGE_TOOLS = {"apt-get", "apt", "apk"}
# Programs that build (and only build): their outputs are the stack's business.
TOOLCHAIN = {
    "go", "gofmt", "cargo", "rustc", "rustup", "mvn", "mvnw", "gradle", "gradlew", "javac", "jar", "npm", "npx",
    "yarn", "pnpm", "pip", "pip3", "virtualenv", "tsc", "gcc", "g++", "cc", "make", "cmake", "strip", "upx",
    "poetry", "pipenv", "uv", "node", "python", "python3",
}
# What must not run in the container: it needs the toolchain there.
RUNTIME_TOOLCHAIN = {
    "go": "go", "cargo": "cargo", "rustc": "rustc", "mvn": "mvn", "mvnw": "mvnw", "gradle": "gradle",
    "gradlew": "gradlew", "javac": "javac", "gcc": "gcc", "g++": "g++", "cc": "cc", "make": "make",
    "cmake": "cmake", "tsc": "tsc", "ts-node": "ts-node", "nodemon": "nodemon", "webpack": "webpack",
    "vite": "vite", "pip": "pip", "pip3": "pip3", "cythonize": "cythonize", "yarn": "yarn", "pnpm": "pnpm",
    "npx": "npx", "poetry": "poetry", "pipenv": "pipenv",
}
DEV_SHELLS = {"sleep", "bash", "sh", "zsh", "tail", "ash"}
# Packages that only build. curl and wget count as runtime packages only when a runtime command
# (CMD, ENTRYPOINT, HEALTHCHECK) runs them.
BUILD_PACKAGES = {
    "build-essential", "gcc", "g++", "make", "cmake", "pkg-config", "pkgconf", "git", "autoconf", "automake",
    "libtool", "binutils", "clang", "llvm", "lld", "musl-tools", "musl-dev", "upx", "upx-ucl", "protobuf-compiler",
    "cargo", "rustc", "golang", "golang-go", "maven", "gradle", "unzip", "zip", "xz-utils", "bzip2", "gnupg",
    "gnupg2", "dirmngr", "software-properties-common", "apt-transport-https", "lsb-release", "python3-dev",
    "python-dev", "default-jdk", "default-jdk-headless", "patch", "file", "swig", "bison", "flex", "yasm", "nasm",
    "ninja-build", "meson", "scons", "libc6-dev", "libc-dev", "linux-headers-amd64", "linux-libc-dev",
    "openssh-client", "ssh", "subversion", "mercurial", "curl", "wget", "g++-12", "gcc-12", "cpp", "m4",
    "python3-pip", "python3-venv", "python3-setuptools", "python3-wheel", "node-gyp", "npm", "build-base",
    "alpine-sdk", "linux-headers", "gcompat", "rsync", "less", "vim", "nano", "jq", "python3", "python3-minimal",
    "python-is-python3", "python3-distutils", "g++-multilib", "gcc-multilib",
}
ALREADY_IN_DISTROLESS = {"ca-certificates", "tzdata", "netbase", "libc6", "libssl3", "openssl"}
# The runtime library of a -dev package, on Debian 12 (bookworm); bullseye's differing names below.
DEV_RUNTIME = {
    "libpq-dev": "libpq5", "libssl-dev": "libssl3", "zlib1g-dev": "zlib1g", "libffi-dev": "libffi8",
    "libxml2-dev": "libxml2", "libxslt1-dev": "libxslt1.1", "libxslt-dev": "libxslt1.1",
    "libjpeg-dev": "libjpeg62-turbo", "libjpeg62-turbo-dev": "libjpeg62-turbo", "libpng-dev": "libpng16-16",
    "libsqlite3-dev": "libsqlite3-0", "libyaml-dev": "libyaml-0-2", "libcurl4-openssl-dev": "libcurl4",
    "default-libmysqlclient-dev": "libmariadb3", "libmariadb-dev": "libmariadb3",
    "libmariadb-dev-compat": "libmariadb3", "libgeos-dev": "libgeos-c1v5", "libproj-dev": "libproj25",
    "libgdal-dev": "libgdal32", "libmagic-dev": "libmagic1", "libzstd-dev": "libzstd1", "liblzma-dev": "liblzma5",
    "libbz2-dev": "libbz2-1.0", "libreadline-dev": "libreadline8", "libncurses-dev": "libncursesw6",
    "libncurses5-dev": "libncursesw6", "libfreetype6-dev": "libfreetype6", "libfreetype-dev": "libfreetype6",
    "libwebp-dev": "libwebp7", "libtiff-dev": "libtiff6", "libtiff5-dev": "libtiff6", "liblcms2-dev": "liblcms2-2",
    "libopenjp2-7-dev": "libopenjp2-7", "libsasl2-dev": "libsasl2-2", "libldap2-dev": "libldap-2.5-0",
    "libkrb5-dev": "libkrb5-3", "libgmp-dev": "libgmp10", "libblas-dev": "libblas3", "liblapack-dev": "liblapack3",
    "libopenblas-dev": "libopenblas0", "libsnappy-dev": "libsnappy1v5", "libsodium-dev": "libsodium23",
    "libzmq3-dev": "libzmq5", "libpcre3-dev": "libpcre3", "libpcre2-dev": "libpcre2-8-0", "libexpat1-dev": "libexpat1",
    "libonig-dev": "libonig5", "libicu-dev": "libicu72", "libuv1-dev": "libuv1", "libglib2.0-dev": "libglib2.0-0",
    "libcairo2-dev": "libcairo2", "libsystemd-dev": "libsystemd0", "libusb-1.0-0-dev": "libusb-1.0-0",
    "libsqlcipher-dev": "libsqlcipher0", "unixodbc-dev": "libodbc2", "libaio-dev": "libaio1",
}
DEV_RUNTIME_BULLSEYE = {
    "libffi-dev": "libffi7", "libssl-dev": "libssl1.1", "libicu-dev": "libicu67", "libtiff-dev": "libtiff5",
    "libtiff5-dev": "libtiff5", "libwebp-dev": "libwebp6", "libproj-dev": "libproj19", "libgdal-dev": "libgdal28",
    "libldap2-dev": "libldap-2.4-2", "unixodbc-dev": "libodbc1",
}
# Runtime names that are the same on bullseye, bookworm and trixie: usable when the tag does
# not name the release.
STABLE_RUNTIME = {"libpq5", "zlib1g", "libxml2", "libjpeg62-turbo", "libpng16-16", "libsqlite3-0", "libyaml-0-2",
                  "libmariadb3", "libmagic1", "libexpat1", "libonig5", "libzstd1", "liblzma5", "libbz2-1.0",
                  "libfreetype6", "liblcms2-2", "libopenjp2-7", "libsasl2-2", "libkrb5-3", "libgmp10",
                  "libuv1", "libsystemd0", "libcairo2", "libxslt1.1", "libgeos-c1v5"}
# A program a runtime command may run -> the Debian package that has it.
PROGRAM_PACKAGES = {
    "curl": "curl", "wget": "wget", "nc": "netcat-openbsd", "netcat": "netcat-openbsd", "pg_isready": "postgresql-client",
    "psql": "postgresql-client", "mysql": "default-mysql-client", "redis-cli": "redis-tools", "tini": "tini",
    "dumb-init": "dumb-init", "gosu": "gosu", "ps": "procps", "pgrep": "procps", "jq": "jq", "envsubst": "gettext-base",
}
# Programs every Debian slim image has (with /bin/sh).
SLIM_PROGRAMS = {
    "sh", "bash", "dash", "exec", "echo", "printf", "set", "export", "cd", "test", "[", "sleep", "cat", "env", "true",
    "false", "exit", "ls", "mkdir", "rm", "cp", "mv", "chmod", "chown", "ln", "touch", "grep", "sed", "awk", "id",
    "whoami", "date", "head", "tail", "kill", "wait", "trap", "shift", "unset", ":", "umask", "ulimit", "command",
    "hostname", "timeout", "nice", "nohup", "xargs", "find", "tr", "cut", "sort", "wc", "tee", "basename", "dirname",
    "readlink", "realpath", "stat", "su", "runuser", "setpriv", "mktemp", "[[", "if", "then", "fi",
}
BUILD_ENV_PREFIXES = ("CGO_", "GO", "CARGO_", "RUSTUP_", "RUSTFLAGS", "RUSTC", "MAVEN_", "GRADLE_", "NPM_CONFIG_",
                      "npm_config_", "YARN_", "PIP_", "POETRY_", "DEBIAN_FRONTEND", "JAVA_TOOL_OPTIONS_BUILD")
BUILD_ENV_EXACT = {"GOPATH", "GOOS", "GOARCH", "GOARM", "GOAMD64", "GOFLAGS", "GOPROXY", "GOPRIVATE", "GONOSUMDB",
                   "GOSUMDB", "GO111MODULE", "GOCACHE", "GOMODCACHE", "GOBIN", "GOTOOLCHAIN", "RUSTFLAGS"}
# Top-level names in a context that are data the program may read at run time (compiled stacks).
DATA_NAMES = {"templates", "template", "static", "public", "assets", "config", "configs", "conf", "migrations",
              "locales", "locale", "i18n", "views", "web", "www", "html", "data", "resources", "certs", "schema",
              "schemas", "sql", "db"}
DATA_SUFFIXES = (".yaml", ".yml", ".json", ".toml", ".conf", ".ini", ".env", ".html", ".sql", ".sh", ".properties",
                 ".xml", ".cfg", ".pem", ".crt", ".txt", ".csv", ".tmpl", ".tpl")
SOURCE_NAMES = {".", "./", "go.mod", "go.sum", "cargo.toml", "cargo.lock", "pom.xml", "build.gradle",
                "build.gradle.kts", "settings.gradle", "settings.gradle.kts", "gradle.properties", "gradlew",
                "mvnw", ".mvn", "gradle", "src", "package.json", "package-lock.json", "npm-shrinkwrap.json",
                "requirements.txt", "setup.py", "setup.cfg", "pyproject.toml", "vendor", "cmd", "internal", "pkg",
                "main.go", "tsconfig.json", "lib", "app"}
TEMP_DIRS = ("/tmp", "/var/tmp", "/root/.cache", "/root/.npm", "/root/.m2", "/root/.gradle", "/root/.cargo",
             "/var/lib/apt", "/var/cache", "/var/log", "/go/pkg", "/usr/local/cargo/registry", "/usr/local/cargo/git",
             "/root/.config", "/root/go")


def is_build_env(name: str) -> bool:
    return name in BUILD_ENV_EXACT or name.startswith(BUILD_ENV_PREFIXES)


def within(path: str, base: str) -> bool:
    path, base = posixpath.normpath(path), posixpath.normpath(base)
    return path == base or path.startswith(base.rstrip("/") + "/")


def resolve(path: str, cwd: Optional[str]) -> Optional[str]:
    if path.startswith("/"):
        return posixpath.normpath(path)
    if cwd is None:
        return None
    return posixpath.normpath(posixpath.join(cwd, path))


@dataclass
class Written:
    """A path a RUN writes outside the build (absolute), and the RUN's line."""

    path: str
    line: int
    what: str


@dataclass
class RunFacts:
    """What the RUNs of the stage do."""

    go_builds: list = field(default_factory=list)  # (ins, cmd, argv values, cwd, cgo)
    cargo_builds: list = field(default_factory=list)  # (ins, argv values, cwd, env)
    cargo_installs: list = field(default_factory=list)
    java_builds: list = field(default_factory=list)  # (ins, tool, argv values, cwd)
    npm: list = field(default_factory=list)  # (ins, argv values, cwd)
    pip: list = field(default_factory=list)  # (ins, argv values, cwd, view index)
    venvs: list = field(default_factory=list)  # (ins, path)
    apt_packages: list = field(default_factory=list)  # (ins, package)
    apk_packages: list = field(default_factory=list)
    users: list = field(default_factory=list)  # (ins, name, home or None)
    written: list = field(default_factory=list)  # Written outside the build
    chowns: list = field(default_factory=list)  # (spec, absolute path)
    copies_of: list = field(default_factory=list)  # (ins, src, dest) from cp/mv/install (for artifacts)
    unknown: list = field(default_factory=list)  # (ins, why)
    toolchain_use: list = field(default_factory=list)  # (ins, program)
    other_toolchains: set = field(default_factory=set)


def _values(cmd: SimpleCommand, start: int) -> list[Optional[str]]:
    return [w.value for w in cmd.argv[start:]]


def _operands(vals: list[Optional[str]], arg_opts: frozenset = frozenset()) -> list[Optional[str]]:
    out: list[Optional[str]] = []
    skip = False
    for v in vals:
        if skip:
            skip = False
            continue
        if v is not None and v.startswith("-") and v != "-":
            if v in arg_opts:
                skip = True
            continue
        out.append(v)
    return out


_REDIRECT = re.compile(r"^\s*(?:\d+|&)?(>>?|>\|)\s*(.+?)\s*$")


def redirect_targets(cmd: SimpleCommand) -> list[Optional[str]]:
    """Files a command's output redirections write (None: not static)."""
    out: list[Optional[str]] = []
    for r in cmd.redirects:
        m = _REDIRECT.match(r.text)
        if not m:
            continue
        target = m.group(2)
        if target.startswith("&") or target in ("/dev/null", "/dev/stdout", "/dev/stderr"):
            continue
        if re.search(r"[$`'\"*?\[\\]", target):
            out.append(None)
        else:
            out.append(target)
    return out


_GO_VALUE_OPTS = frozenset({"-o", "-p", "-C", "-asmflags", "-buildmode", "-buildvcs", "-compiler", "-gccgoflags",
                            "-gcflags", "-installsuffix", "-ldflags", "-mod", "-modfile", "-overlay", "-pgo",
                            "-pkgdir", "-tags", "-toolexec", "-exec", "-coverpkg", "-covermode"})


def go_output(vals: list[Optional[str]]) -> tuple[Optional[str], Optional[str]]:
    """(-o value, problem) of ``go build`` arguments after ``build``."""
    out = None
    i = 0
    while i < len(vals):
        v = vals[i]
        if v is None:
            i += 1
            continue
        name, eq, val = v.partition("=")
        if name in ("-C", "--C"):
            return None, "go build -C changes the directory it builds in"
        if name in ("-o", "--o"):
            if eq:
                out = val
            elif i + 1 < len(vals):
                out = vals[i + 1]
                if out is None:
                    return None, "the -o of go build is not a static path"
                i += 1
        elif name in _GO_VALUE_OPTS and not eq:
            i += 1
        i += 1
    if out is None:
        return None, ("go build has no -o, so the binary is named after the package, which dockeropt does not "
                      "read")
    if out.endswith("/") or out in (".", ".."):
        return None, f"go build -o {out} names a directory: the binaries' names come from the packages"
    return out, None


def scan_runs(views, model, stage_index_of) -> RunFacts:
    """Read every RUN of the stage (``views``: RunViews in order)."""
    facts = RunFacts()
    for view in views:
        ins = view.ins
        line = ins.start_line
        state = model.state(view.index)
        if not view.rewritable:
            why = "is in exec form" if ins.is_exec_form else "uses a heredoc" if ins.heredocs else "runs in a non-POSIX shell"
            facts.unknown.append((ins, f"the RUN at line {line} {why}, which dockeropt does not read"))
            continue
        script = view.script
        if not script.ok:
            facts.unknown.append((ins, f"the shell of the RUN at line {line} cannot be read ({script.error})"))
            continue
        cwd = state.workdir
        env = state.variables()
        for cmd in script.commands:
            for target in redirect_targets(cmd):
                p = resolve(target, cwd) if target else None
                if p is None:
                    facts.unknown.append((ins, f"line {line} redirects output to a path dockeropt cannot resolve"))
                else:
                    facts.written.append(Written(p, line, f"output redirected to {target}"))
            if not cmd.argv:
                continue  # VAR=value
            inv = invocation(cmd)
            if inv is None:
                facts.unknown.append((ins, f"line {line} runs a command whose name is not static "
                                           f"({cmd.argv[0].text})"))
                continue
            prog = inv.program
            vals = _values(cmd, inv.program_index + 1)
            module = inv.module
            if prog == "cd":
                ops = _operands(vals)
                target = ops[0] if ops else None
                cwd = resolve(target, cwd) if target else None
                continue
            if prog in HARMLESS:
                continue
            if prog in READ_ONLY_SUBCOMMANDS:
                subs = READ_ONLY_SUBCOMMANDS[prog]
                first = next((v for v in vals if v is not None and not v.startswith("-")), None)
                opt = next((v for v in vals if v is not None and v.startswith("-")), None)
                if subs is None or first in subs or opt in subs:
                    continue
            if prog == "find" and any(v in ("-delete", "-exec", "-execdir", "-fprint") for v in vals):
                facts.unknown.append((ins, f"line {line} runs find with -exec/-delete"))
                continue
            if prog == "find":
                continue
            if prog in USER_TOOLS:
                _user(facts, ins, prog, vals)
                continue
            if prog in PACKAGE_TOOLS:
                _packages(facts, ins, prog, vals, line)
                continue
            if prog in FILE_WRITERS:
                _file_command(facts, ins, prog, vals, cwd, line)
                continue
            if prog in ("curl", "wget"):
                _download(facts, ins, prog, vals, cwd, line, cmd)
                continue
            if prog == "go":
                _go(facts, ins, cmd, vals, cwd, env, line)
                continue
            if prog == "cargo":
                sub = next((v for v in _operands(vals, frozenset({"--manifest-path", "-p", "--package", "--target",
                                                                  "--target-dir", "--bin", "--features", "-F",
                                                                  "--profile", "-j", "--jobs", "--root", "--path"}))), None)
                if sub in ("build", "b"):
                    facts.cargo_builds.append((ins, vals, cwd, env))
                elif sub == "install":
                    facts.cargo_installs.append((ins, vals, cwd, env))
                continue
            if prog in ("rustc", "rustup"):
                continue
            if prog in ("mvn", "mvnw", "gradle", "gradlew"):
                facts.java_builds.append((ins, prog, vals, cwd))
                continue
            if prog in ("javac", "jar"):
                facts.other_toolchains.add(prog)
                continue
            if prog == "npm":
                facts.npm.append((ins, vals, cwd))
                continue
            if prog in ("yarn", "pnpm", "npx", "bun"):
                facts.unknown.append((ins, f"line {line} runs {prog}; dockeropt splits npm builds only"))
                continue
            if module == "pip" or re.fullmatch(r"pip[0-9.]*", prog):
                start = inv.args_index if module else inv.program_index + 1
                facts.pip.append((ins, _values(cmd, start), cwd, view.index))
                continue
            if module in ("venv", "virtualenv") or prog == "virtualenv":
                start = inv.args_index if module else inv.program_index + 1
                ops = _operands(_values(cmd, start), frozenset({"--prompt", "-p", "--python"}))
                p = resolve(ops[0], cwd) if ops and ops[0] else None
                if p is None:
                    facts.unknown.append((ins, f"line {line} makes a virtual environment at a path dockeropt "
                                               "cannot resolve"))
                else:
                    facts.venvs.append((ins, p))
                continue
            if module == "compileall":
                continue
            if re.fullmatch(r"python[0-9.]*", prog) and vals and vals[0] in ("--version", "-V"):
                continue
            if prog in ("node", "nodejs") and vals and vals[0] in ("--version", "-v"):
                continue
            if prog in ("poetry", "pipenv", "uv", "pdm", "conda", "mamba"):
                facts.unknown.append((ins, f"line {line} runs {prog}; dockeropt splits pip builds only"))
                continue
            if prog in ("gcc", "g++", "cc", "make", "cmake", "strip", "upx", "tsc"):
                facts.unknown.append((ins, f"line {line} runs {prog}, whose outputs dockeropt does not follow"))
                continue
            shown = " ".join(w.text for w in cmd.argv[inv.program_index: inv.program_index + 3])
            facts.unknown.append((ins, f"line {line} runs `{shown}`, and dockeropt cannot tell what it writes that "
                                       "the running image may need"))
    return facts


def _user(facts: RunFacts, ins, prog: str, vals: list[Optional[str]]) -> None:
    if prog not in ("useradd", "adduser"):
        return
    opts_with_value = frozenset({"-u", "-g", "-G", "-d", "-s", "-c", "-k", "-e", "-f", "-K", "-p", "-R", "-P",
                                 "--uid", "--gid", "--groups", "--home", "--home-dir", "--shell", "--comment",
                                 "--gecos", "--ingroup", "--firstuid", "--lastuid", "-h"})
    ops = _operands(vals, opts_with_value)
    name = ops[-1] if ops else None
    if prog == "adduser" and len(ops) >= 2 and "--ingroup" not in vals:
        name = ops[0]  # adduser USER GROUP
    home = None
    creates_home = (prog == "useradd" and any(v in ("-m", "--create-home") for v in vals if v)) or (
        prog == "adduser" and not any(v in ("--no-create-home", "-H", "--system", "-S") for v in vals if v))
    for i, v in enumerate(vals):
        if v in ("-d", "--home", "--home-dir", "-h") and i + 1 < len(vals):
            home = vals[i + 1]
    if name and creates_home:
        home = home or f"/home/{name}"
    elif not creates_home:
        home = None
    facts.users.append((ins, name, home))


def _packages(facts: RunFacts, ins, prog: str, vals: list[Optional[str]], line: int) -> None:
    if prog == "apk":
        ops = _operands(vals, frozenset({"-X", "--repository", "-t", "--virtual", "-p", "--root"}))
        if ops and ops[0] == "add":
            for p in ops[1:]:
                if p is None:
                    facts.unknown.append((ins, f"line {line} installs a package whose name is not static"))
                else:
                    facts.apk_packages.append((ins, p))
        return
    ops = _operands(vals, frozenset({"-o", "-t", "-c", "--option", "--target-release", "--config-file"}))
    if not ops or ops[0] not in ("install",):
        return
    for p in ops[1:]:
        if p is None:
            facts.unknown.append((ins, f"line {line} installs a package whose name is not static"))
        elif "/" in p or p.endswith(".deb"):
            facts.unknown.append((ins, f"line {line} installs a local package file ({p})"))
        else:
            facts.apt_packages.append((ins, re.split(r"[=:]", p, 1)[0]))


def _file_command(facts: RunFacts, ins, prog: str, vals: list[Optional[str]], cwd: Optional[str], line: int) -> None:
    if prog in ("rm", "rmdir"):
        return
    if prog == "sed":
        if not any(v and (v == "-i" or v.startswith("-i") or v == "--in-place") for v in vals):
            return
        ops = _operands(vals, frozenset({"-e", "-f", "--expression", "--file"}))
        has_script_opt = any(v in ("-e", "--expression") for v in vals if v)
        targets = ops if has_script_opt else ops[1:]
    elif prog in ("chown", "chgrp"):
        ops = _operands(vals, frozenset({"--from", "--reference"}))
        if not ops:
            return
        spec, targets = ops[0], ops[1:]
        for t in targets:
            p = resolve(t, cwd) if t else None
            if p is None or spec is None:
                facts.unknown.append((ins, f"line {line} changes the owner of a path dockeropt cannot resolve"))
                return
            facts.chowns.append((spec if prog == "chown" else ":" + spec, p))
            facts.written.append(Written(p, line, f"{prog} {spec}"))
        return
    elif prog == "chmod":
        ops = _operands(vals, frozenset({"--reference"}))
        targets = ops[1:]
    elif prog in ("cp", "mv", "install", "ln"):
        opts = frozenset({"-t", "--target-directory", "-m", "--mode", "-o", "--owner", "-g", "--group", "-S",
                          "--suffix"})
        ops = _operands(vals, opts)
        tdir = None
        for i, v in enumerate(vals):
            if v in ("-t", "--target-directory") and i + 1 < len(vals):
                tdir = vals[i + 1]
        if prog == "install" and any(v == "-d" for v in vals if v):
            targets = ops
        elif prog == "ln":
            targets = [ops[-1]] if len(ops) >= 2 else [posixpath.basename(ops[0] or "")] if ops else []
        elif tdir is not None:
            targets = [posixpath.join(tdir, posixpath.basename(s)) if s else None for s in ops]
            for s in ops:
                facts.copies_of.append((ins, resolve(s, cwd) if s else None, resolve(posixpath.join(tdir, posixpath.basename(s or "")), cwd)))
        else:
            if len(ops) < 2:
                return
            targets = [ops[-1]]
            for s in ops[:-1]:
                facts.copies_of.append((ins, resolve(s, cwd) if s else None, resolve(ops[-1], cwd) if ops[-1] else None))
        if prog == "ln":
            for t in targets:
                p = resolve(t, cwd) if t else None
                if p is None or not any(within(p, d) for d in TEMP_DIRS):
                    facts.unknown.append((ins, f"line {line} makes a link ({p or t}) outside the build, which "
                                               "dockeropt does not carry over"))
            return
    else:  # mkdir, touch
        targets = _operands(vals, frozenset({"-m", "--mode"}))
    for t in targets:
        p = resolve(t, cwd) if t else None
        if p is None:
            facts.unknown.append((ins, f"line {line} runs {prog} on a path dockeropt cannot resolve"))
        else:
            facts.written.append(Written(p, line, prog))


def _download(facts: RunFacts, ins, prog: str, vals: list[Optional[str]], cwd: Optional[str], line: int,
              cmd: SimpleCommand) -> None:
    if cmd.in_pipeline:
        facts.unknown.append((ins, f"line {line} pipes a download ({prog}) into another program"))
        return
    for i, v in enumerate(vals):
        if v is None:
            continue
        if (prog == "curl" and v in ("-o", "--output")) or (prog == "wget" and v in ("-O", "--output-document")):
            t = vals[i + 1] if i + 1 < len(vals) else None
            p = resolve(t, cwd) if t else None
            if p is None:
                facts.unknown.append((ins, f"line {line} downloads to a path dockeropt cannot resolve"))
            else:
                facts.written.append(Written(p, line, f"downloaded by {prog}"))
            return
        if prog == "curl" and v in ("-O", "--remote-name"):
            facts.unknown.append((ins, f"line {line} downloads a file named after its URL"))
            return
    if prog == "wget":
        facts.unknown.append((ins, f"line {line} downloads a file named after its URL"))


def _go(facts: RunFacts, ins, cmd: SimpleCommand, vals, cwd, env, line: int) -> None:
    ops = _operands(vals, _GO_VALUE_OPTS)
    sub = ops[0] if ops else None
    if sub == "build":
        k = vals.index("build")
        assigned = {w.value.split("=", 1)[0]: w.value.split("=", 1)[1] for w in cmd.assignments
                    if w.value and "=" in w.value}
        cgo_value = assigned.get("CGO_ENABLED", env.get("CGO_ENABLED"))
        facts.go_builds.append((ins, vals[k + 1:], cwd, cgo_value != "0", line))
    elif sub in ("install",):
        facts.unknown.append((ins, f"line {line} runs go install, which puts the binary in GOBIN, not at a path "
                                   "the Dockerfile names"))
    elif sub == "run":
        facts.unknown.append((ins, f"line {line} runs go run, whose program may write anything"))


def runtime_argv(ins) -> tuple[Optional[list[str]], Optional[object], bool]:
    """(argv of an exec-form CMD/ENTRYPOINT, parsed shell of a shell-form one, shell form?)."""
    if ins.is_exec_form:
        args = ins.json_args or []
        if len(args) >= 3 and posixpath.basename(args[0]) in ("sh", "bash", "ash", "dash") and args[1] in ("-c", "-ec", "-ce"):
            return None, parse_shell(args[2]), True
        return list(args), None, False
    return None, parse_shell(ins.rest), True


def read_package_json(context, rel: str) -> Optional[dict]:
    import json

    data = context_read(context, rel)
    if data is None:
        return None
    try:
        return json.loads(data.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        return None


def context_read(context, rel: str) -> Optional[bytes]:
    """A file of the build context (duck-typed: anything with ``read(rel)``), None if unknown."""
    if context is None:
        return None
    read = getattr(context, "read", None)
    if read is None:
        return None
    try:
        return read(rel)
    except Exception:  # noqa: BLE001 - an unreadable context is an unknown one
        return None


def context_listdir(context, rel: str) -> Optional[list[str]]:
    if context is None or not hasattr(context, "listdir"):
        return None
    try:
        return list(context.listdir(rel))
    except Exception:  # noqa: BLE001
        return None


def context_is_dir(context, rel: str) -> Optional[bool]:
    if context is None or not hasattr(context, "is_dir"):
        return None
    try:
        return bool(context.is_dir(rel))
    except Exception:  # noqa: BLE001
        return None


class DirContext:
    """A build context read straight from a directory (no .dockerignore): for tests, the e2e
    cases and the corpus script when ``dockeropt.model.context`` is not there."""

    def __init__(self, root: str):
        self.root = root

    def _path(self, rel: str) -> str:
        import os

        rel = posixpath.normpath(rel).lstrip("/")
        if rel.startswith(".."):
            raise ValueError(rel)
        return os.path.join(self.root, rel)

    def read(self, rel: str, limit: int = 1 << 20) -> Optional[bytes]:
        try:
            with open(self._path(rel), "rb") as f:
                return f.read(limit)
        except OSError:
            return None

    def listdir(self, rel: str) -> list[str]:
        import os

        try:
            return sorted(os.listdir(self._path(rel)))
        except OSError:
            return []

    def is_dir(self, rel: str) -> bool:
        import os

        return os.path.isdir(self._path(rel))

    def is_file(self, rel: str) -> bool:
        import os

        return os.path.isfile(self._path(rel))


def cargo_bins(context, rel_dir: str = ".") -> Optional[list[str]]:
    """Binary names of a Cargo package read from Cargo.toml in the context (None: unknown)."""
    data = context_read(context, posixpath.join(rel_dir, "Cargo.toml"))
    if data is None:
        return None
    try:
        import tomllib

        doc = tomllib.loads(data.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        return None
    bins = [b.get("name") for b in doc.get("bin", []) if isinstance(b, dict) and b.get("name")]
    if bins:
        return bins
    if "workspace" in doc and "package" not in doc:
        return None
    name = (doc.get("package") or {}).get("name")
    return [name] if name else None
