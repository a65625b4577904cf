"""Differential shell harness: run an original and a rewritten Dockerfile's RUNs as a build would,
with every external command logged and any one of them made to fail, and compare.

    from harness import differential, Skip
    report = differential(original_text, rewritten_text, context_dir)
    assert report.equal, report.text()

The pieces:

- ``plan()``: reads a Dockerfile with dockeropt's parser and turns it into a build plan: the
  stages the last stage needs (FROM <stage>, COPY --from), in order, each a list of steps (RUN
  with its SHELL argv, environment (ENV, ARG defaults), WORKDIR, mounts; WORKDIR creation; COPY
  from the case directory or a stage), then a child image that runs the last stage's ONBUILD RUN
  triggers. What it cannot model raises ``Skip`` with the reason.
- ``Sandbox`` / ``Pool``: the driver processes (sandbox_driver.py) that execute plans in a
  private mount namespace (overlayfs over the real root, tmpfs upper dirs, chroot), one process
  per RUN, /bin/sh = dash or bash.
- ``differential()``: runs the original once per shell to count the external calls N, then for
  every K in 1..N runs both files with call K failing, and compares each pair with ``compare()``:
  outcome, exit status of the failing RUN, the call log, stdout and (when both succeed) the file
  trees, package-manager caches aside (``ALLOWANCE``).
"""

from __future__ import annotations

import json
import os
import posixpath
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from glob import glob
from pathlib import Path

from dockeropt.syntax import nodes as n
from dockeropt.syntax.parse import parse

HERE = Path(__file__).resolve().parent
DRIVER = HERE / "sandbox_driver.py"
STUBS = HERE / "stubs"

SHELLS = ("dash", "bash")
DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
SHIM_DIR = "/.harness/bin"

# The allowance list: files under these paths may differ between the original and the rewritten
# image. They are the package-manager caches the rules are designed to delete (or keep out of
# the layer with --no-cache / --no-cache-dir / cache mounts) and nothing else. Keep it small;
# stubs/lib.sh (h_cache_path) has the same list for the clean-up commands.
ALLOWANCE: tuple[tuple[str, str], ...] = (
    ("apt package lists", r"(^|/)var/lib/apt/lists(/|$)"),
    ("apt archives and pkgcache.bin", r"(^|/)var/cache/apt(/|$)"),
    ("apk index", r"(^|/)var/cache/apk(/|$)"),
    ("pip cache (~/.cache/pip)", r"/\.cache/pip(/|$)"),
    ("npm cache (~/.npm)", r"/\.npm(/|$)"),
    ("yarn cache (/usr/local/share/.cache/yarn, ~/.cache/yarn)", r"/\.cache/yarn(/|$)"),
    ("yum/dnf/microdnf caches", r"(^|/)var/cache/(yum|dnf|libdnf5)(/|$)"),
    ("zypper cache", r"(^|/)var/cache/zypp(/|$)"),
)
_ALLOW_RE = re.compile("|".join(f"(?:{r})" for _, r in ALLOWANCE))
# a directory that only holds caches (~/.cache once pip's cache is gone) may exist on one side only
_CACHE_PARENT_RE = re.compile(r"/\.cache$")

# Flags the rules add whose only effect is on the caches above or on a prompt that shows in the
# outcome anyway: dropped from both logs before comparing. Per program (the word after which they
# are dropped: `sudo apt-get`, `python -m pip`, `env X=1 pip` all work).
RULE_FLAGS: dict[str, frozenset[str]] = {
    "apt-get": frozenset({"-y", "--yes", "--assume-yes", "--no-install-recommends"}),
    "apk": frozenset({"--no-cache"}),
    "pip": frozenset({"--no-cache-dir", "--no-cache", "--no-cache-d", "--no-cache-di"}),
    "yum": frozenset({"-y", "--assumeyes"}),
    "zypper": frozenset({"--non-interactive"}),
}
for _alias, _prog in (("apt", "apt-get"), ("aptitude", "apt-get"), ("dnf", "yum"), ("microdnf", "yum"),
                      ("pip3", "pip"), ("pip(new)", "pip")):
    RULE_FLAGS[_alias] = RULE_FLAGS[_prog]
# environment variables not compared: they say how the shell ran, not what the command gets
ENV_IGNORED = frozenset({"_", "SHLVL", "PWD", "OLDPWD"})


class Skip(Exception):
    """The harness cannot model this Dockerfile; the message says why."""


class HarnessError(Exception):
    pass


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


# =============================================================================================
# Plan: Dockerfile -> stages and steps
# =============================================================================================

_VAR_RE = re.compile(r"\$(?:\{(?P<b>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-+])(?P<w>[^}]*))?\}|(?P<n>[A-Za-z_][A-Za-z0-9_]*))")


def expand(word: str, env: dict[str, str], escape: str = "\\") -> str:
    """BuildKit's word processing for ENV/ARG/WORKDIR/COPY: quotes removed, $VAR / ${VAR}
    / ${VAR:-x} / ${VAR:+x} expanded (not inside single quotes), escapes resolved."""
    out: list[str] = []
    i, q = 0, ""
    while i < len(word):
        c = word[i]
        if c == escape and q != "'" and i + 1 < len(word):
            out.append(word[i + 1])
            i += 2
            continue
        if c in "'\"" and (not q or q == c):
            q = "" if q else c
            i += 1
            continue
        if c == "$" and q != "'":
            m = _VAR_RE.match(word, i)
            if m:
                name = m.group("b") or m.group("n")
                val = env.get(name)
                op = m.group("op")
                if op in (":-", "-"):
                    if val is None or (op == ":-" and val == ""):
                        val = expand(m.group("w"), env, escape)
                elif op in (":+", "+"):
                    val = expand(m.group("w"), env, escape) if (val is not None and (op == "+" or val)) else ""
                out.append(val or "")
                i = m.end()
                continue
        out.append(c)
        i += 1
    return "".join(out)


@dataclass
class StageConfig:
    env: dict[str, str]
    args: dict[str, str]
    workdir: str = "/"
    user: str = "root"
    shell: tuple[str, ...] = ("/bin/sh", "-c")
    onbuild: list = field(default_factory=list)  # trigger instructions for images built FROM it

    def copy(self) -> "StageConfig":
        return StageConfig(dict(self.env), dict(self.args), self.workdir, self.user, self.shell, [])

    def run_env(self) -> dict[str, str]:
        env = dict(self.args)
        env.update(self.env)
        env.setdefault("HOME", "/root")
        env["PATH"] = f"{SHIM_DIR}:{env.get('PATH', DEFAULT_PATH)}"
        return env

    def expand_env(self) -> dict[str, str]:
        e = dict(self.args)
        e.update(self.env)
        return e


class BuildContext:
    """The case directory as a build context. A file a COPY (or a bind mount) needs that the case
    directory lacks is made up in a copy of it (a placeholder: "an environment where the file
    exists"); ``synthesized`` lists them, the report shows them."""

    def __init__(self, case_dir):
        self.case_dir = str(case_dir)
        self.root = self.case_dir
        self.synthesized: list[str] = []
        self._tmp: str | None = None

    def placeholder(self, rel: str, is_dir: bool, label: str) -> None:
        if self._tmp is None:
            self._tmp = tempfile.mkdtemp(prefix="dockeropt-diff-ctx-")
            shutil.copytree(self.case_dir, self._tmp, dirs_exist_ok=True, symlinks=True)
            self.root = self._tmp
        path = os.path.join(self.root, rel)
        if os.path.lexists(path):
            return
        if is_dir:
            os.makedirs(path, exist_ok=True)
        else:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w") as f:
                f.write(f"placeholder for {rel}\n")
        self.synthesized.append(f"{rel}{'/' if is_dir else ''} (for {label})")

    def close(self) -> None:
        if self._tmp:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None


# what a well-known COPY glob stands for (package*.json: npm ci needs the lock file)
KNOWN_GLOBS = {"package*.json": ["package.json", "package-lock.json"]}


def _unglob(rel: str) -> str:
    """A file name a glob matches: `package*.json` -> `package.json`."""
    out = re.sub(r"\[([^\]])[^\]]*\]", r"\1", rel).replace("?", "x")
    parts = [p.replace("*", "") or "placeholder" for p in out.split("/")]
    if parts[-1].startswith(".") and "*" in rel.split("/")[-1]:
        parts[-1] = "placeholder" + parts[-1]
    return "/".join(parts)


def _line(ins: n.Instruction) -> str:
    text = " ".join(ins.line.split())
    return f"line {ins.start_line}: {text[:100]}"


def plan(text: str, context: str | os.PathLike | None = None) -> dict:
    """The build plan of ``text`` (see the module docstring); raises Skip."""
    tree = parse(text, strict=True)
    escape = tree.escape
    ctx = context if isinstance(context, BuildContext) or context is None else BuildContext(context)
    if ctx and os.path.exists(os.path.join(ctx.root, ".dockerignore")):
        raise Skip(".dockerignore in the case directory (not modelled)")
    stages = tree.stages
    if not stages:
        raise Skip("no stage")
    global_args: dict[str, str] = {}
    for ins in tree.global_args:
        if isinstance(ins, n.Arg):
            for name, default in ins.pairs:
                if default is not None:
                    global_args[name] = expand(default, global_args, escape)
    names: dict[str, int] = {}
    for st in stages:
        names[str(st.index)] = st.index
        if st.alias:
            names[st.alias.lower()] = st.index

    def stage_ref(word: str, before: int) -> int | None:
        i = names.get(word.lower())
        return i if i is not None and i < before else None

    # which stages the last one needs
    need: set[int] = set()

    def visit(i: int) -> None:
        if i in need:
            return
        need.add(i)
        st = stages[i]
        base = stage_ref(expand(st.from_.image, global_args, escape), i)
        if base is not None:
            visit(base)
        for ins in st.instructions[1:]:
            frm = ins.flag("from") if isinstance(ins, (n.Copy, n.Run)) else None
            if isinstance(ins, n.Copy) and frm:
                j = stage_ref(frm, i)
                if j is None:
                    raise Skip(f"{_line(ins)}: COPY --from an image, not a stage of this file")
                visit(j)

    visit(len(stages) - 1)

    out_stages: list[dict] = []
    configs: dict[int, StageConfig] = {}
    for st in stages:
        if st.index not in need:
            continue
        image = expand(st.from_.image, global_args, escape)
        base_idx = stage_ref(image, st.index)
        steps: list[dict] = []
        if base_idx is not None:
            cfg = configs[base_idx].copy()
            cfg.args = {}
            base = {"kind": "stage", "id": f"s{base_idx}"}
            for trig in configs[base_idx].onbuild:  # the base stage's ONBUILD triggers run first
                _step(trig, cfg, steps, ctx, escape, stage_ref, st.index, label_prefix="ONBUILD (from the base stage) ")
        else:
            cfg = StageConfig(env={"PATH": DEFAULT_PATH}, args={})
            base = {"kind": "scratch"} if image.lower() == "scratch" else {"kind": "host"}
        for ins in st.instructions[1:]:
            if isinstance(ins, n.Arg):
                for name, default in ins.pairs:
                    if default is not None:
                        cfg.args[name] = expand(default, cfg.expand_env(), escape)
                    elif name in global_args:
                        cfg.args[name] = global_args[name]
            elif isinstance(ins, n.Onbuild):
                trig = ins.trigger
                if trig is None:
                    continue
                cfg.onbuild.append(trig)
            else:
                _step(ins, cfg, steps, ctx, escape, stage_ref, st.index)
        configs[st.index] = cfg
        out_stages.append({"id": f"s{st.index}", "base": base, "steps": steps})
    final = len(stages) - 1
    images = {"final": f"s{final}"}
    triggers = configs[final].onbuild
    if triggers:  # a child image built FROM this one runs the ONBUILD triggers
        cfg = configs[final].copy()
        cfg.args = {}
        steps = []
        for trig in triggers:
            _step(trig, cfg, steps, ctx, escape, stage_ref, len(stages), label_prefix="ONBUILD (child image) ")
        out_stages.append({"id": "child", "base": {"kind": "stage", "id": f"s{final}"}, "steps": steps})
        images["child"] = "child"
    return {"context": ctx.root if ctx else None, "stages": out_stages, "images": images}


def _step(ins, cfg: StageConfig, steps: list, ctx, escape, stage_ref, stage_index: int, label_prefix: str = "") -> None:
    label = label_prefix + _line(ins)
    if isinstance(ins, n.Run):
        heredoc_body = None
        if ins.heredocs or ins.heredoc_specs:
            heredoc_body = _heredoc_script(ins, label)
        mounts = []
        for m in ins.mounts:
            kind = m.get("type", "bind")
            target = m.get("target") or m.get("dst") or m.get("destination") or ""
            if not target:
                raise Skip(f"{label}: --mount without a target")
            target = posixpath.normpath(posixpath.join(cfg.workdir, expand(target, cfg.expand_env(), escape)))
            if kind == "cache":
                if m.get("from") or m.get("source"):
                    raise Skip(f"{label}: cache mount with from/source (not modelled)")
                mounts.append({"type": "cache", "target": target, "id": m.get("id") or target})
            elif kind == "tmpfs":
                mounts.append({"type": "tmpfs", "target": target})
            elif kind == "bind":
                if m.get("from"):
                    raise Skip(f"{label}: bind mount from a stage or image (not modelled)")
                src = posixpath.normpath((m.get("source") or m.get("src") or ".").lstrip("/"))
                if not ctx:
                    raise Skip(f"{label}: a bind mount needs a build context")
                if not os.path.lexists(os.path.join(ctx.root, src)):
                    ctx.placeholder(src, True, label)
                mounts.append({"type": "bind", "target": target, "source": os.path.join(ctx.root, src),
                               "rw": m.get("rw", m.get("readwrite")) is not None})
            else:
                raise Skip(f"{label}: --mount=type={kind} (not modelled)")
        if ins.is_exec_form:
            argv = list(ins.json_args or [])
            if not argv:
                raise Skip(f"{label}: empty exec form")
        elif heredoc_body is not None:
            argv = [*cfg.shell, heredoc_body]
        else:
            argv = [*cfg.shell, ins.rest]
        steps.append({"op": "run", "label": label, "argv": argv, "env": cfg.run_env(), "cwd": cfg.workdir,
                      "mounts": mounts, "user": cfg.user})
    elif isinstance(ins, n.Env):  # every pair sees the values from before the instruction (BuildKit)
        before = cfg.expand_env()
        for k, v in [(k, expand(v, before, escape)) for k, v in ins.pairs]:
            cfg.env[k] = v
    elif isinstance(ins, n.Workdir):
        w = expand(ins.value, cfg.expand_env(), escape)
        cfg.workdir = posixpath.normpath(posixpath.join(cfg.workdir, w))
        if cfg.workdir.startswith("//"):
            cfg.workdir = cfg.workdir[1:]
        steps.append({"op": "mkdir", "path": cfg.workdir, "label": label})
    elif isinstance(ins, n.User):
        cfg.user = expand(ins.value, cfg.expand_env(), escape)
    elif isinstance(ins, n.Shell):
        if not ins.shell:
            raise Skip(f"{label}: SHELL not in JSON form")
        if not ins.shell[0].startswith("/bin/") and not ins.shell[0].startswith("/usr/bin/"):
            raise Skip(f"{label}: SHELL {ins.shell[0]} (not a POSIX shell the harness has)")
        cfg.shell = tuple(ins.shell)
    elif isinstance(ins, (n.Copy, n.Add)):
        _copy_step(ins, cfg, steps, ctx, escape, stage_ref, stage_index, label)
    elif isinstance(ins, n.Arg):
        for name, default in ins.pairs:
            if default is not None:
                cfg.args[name] = expand(default, cfg.expand_env(), escape)
    elif isinstance(ins, n.Onbuild):
        raise Skip(f"{label}: ONBUILD ONBUILD")
    elif isinstance(ins, (n.Cmd, n.Entrypoint, n.Label, n.Expose, n.Volume, n.Healthcheck, n.Stopsignal,
                          n.Maintainer)):
        pass  # image configuration only
    else:
        raise Skip(f"{label}: instruction {ins.keyword} (not modelled)")


_HEREDOC_ONLY = re.compile(r"""\s*<<(-?)(["']?)([A-Za-z_][A-Za-z0-9_]*)\2\s*""")


def _heredoc_script(ins, label: str) -> str:
    """``RUN <<EOF`` (the heredoc is the whole command): BuildKit runs its body with the shell,
    as ``SHELL + [body]``. Other heredoc forms are not modelled."""
    m = _HEREDOC_ONLY.fullmatch(ins.rest)
    if not m or len(ins.heredocs) != 1:
        raise Skip(f"{label}: heredoc RUN other than `RUN <<EOF` alone (not modelled)")
    body = ins.heredocs[0].body
    if body.startswith("#!"):
        raise Skip(f"{label}: heredoc script with a #! line (not modelled)")
    if m.group(1):
        body = "".join(line.lstrip("\t") for line in body.splitlines(True))
    return body


def _copy_step(ins, cfg, steps, ctx, escape, stage_ref, stage_index, label) -> None:
    env = cfg.expand_env()
    paths = ins.json_args if ins.json_args is not None else ins.words
    paths = [expand(p, env, escape) for p in paths]
    if len(paths) < 2:
        raise Skip(f"{label}: COPY without source and destination")
    *srcs, dest = paths
    for f in ins.flags:
        if f.name not in ("from", "chown", "link"):
            raise Skip(f"{label}: {ins.keyword} --{f.name} (not modelled)")
    frm = ins.flag("from") if isinstance(ins, n.Copy) else None
    if isinstance(ins, n.Add):
        for s in srcs:
            if "://" in s or s.startswith("git@") or re.search(r"\.(tar|tgz|tar\.\w+|zip)$", s):
                raise Skip(f"{label}: ADD of a URL or archive (not modelled)")
    dest_dir = dest.endswith("/") or dest in (".", "./")
    dest_abs = posixpath.normpath(posixpath.join(cfg.workdir, dest))
    if frm:
        j = stage_ref(frm, stage_index)
        if j is None:
            raise Skip(f"{label}: COPY --from={frm} is not an earlier stage")
        steps.append({"op": "copy", "label": label, "from": f"s{j}",
                      "srcs": [posixpath.normpath(posixpath.join("/", s)) for s in srcs], "dest": dest_abs,
                      "dest_dir": dest_dir})
        return
    if not ctx:
        raise Skip(f"{label}: COPY needs a build context")
    found: list[str] = []
    for s in srcs:
        rel = posixpath.normpath(s.lstrip("/")) if s not in (".", "./") else "."
        if any(ch in rel for ch in "*?["):
            matches = sorted(glob(os.path.join(ctx.root, rel)))
            if not matches:
                for name in KNOWN_GLOBS.get(posixpath.basename(rel), [_unglob(rel)]):
                    ctx.placeholder(posixpath.join(posixpath.dirname(rel), name) if "/" in rel else name,
                                    s.endswith("/"), label)
                matches = sorted(glob(os.path.join(ctx.root, rel)))
            found += [os.path.relpath(m, ctx.root) for m in matches]
        else:
            if rel != "." and not os.path.lexists(os.path.join(ctx.root, rel)):
                ctx.placeholder(rel, s.endswith("/"), label)
            found.append(rel)
    steps.append({"op": "copy", "label": label, "from": None, "srcs": found, "dest": dest_abs,
                  "dest_dir": dest_dir})


# =============================================================================================
# Sandbox: the driver processes
# =============================================================================================

def _modes() -> list[str]:
    forced = os.environ.get("HARNESS_SANDBOX")
    if forced:
        return [forced]
    if shutil.which("unshare") is None:
        return ["plain"]
    return ["root", "userns", "plain"] if os.geteuid() == 0 else ["userns", "plain"]


class Sandbox:
    """One driver process (see sandbox_driver.py); requests are serialised."""

    def __init__(self, mode: str):
        self.mode = mode
        self.base = tempfile.mkdtemp(prefix="dockeropt-diff-")
        self.errfile = tempfile.TemporaryFile()
        args = [sys.executable, str(DRIVER), "--base", self.base, "--stubs", str(STUBS)]
        if mode == "root":
            cmd = ["unshare", "--mount", "--propagation", "private", "--", *args]
        elif mode == "userns":
            cmd = ["unshare", "--user", "--map-root-user", "--mount", "--propagation", "private", "--", *args, "--userns"]
        else:
            cmd = [*args, "--plain"]
        env = dict(os.environ)
        env["PYTHONPATH"] = ""
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.errfile,
                                     env=env, text=True, bufsize=1)
        self.lock = threading.Lock()
        line = self.proc.stdout.readline()
        try:
            reply = json.loads(line) if line else {"ready": False, "error": "driver exited"}
        except json.JSONDecodeError:
            reply = {"ready": False, "error": f"bad reply {line!r}"}
        if not reply.get("ready"):
            err = self._stderr()
            self.close()
            raise HarnessError(f"sandbox mode {mode!r} unavailable: {reply.get('error')} {err}".strip())

    def _stderr(self) -> str:
        try:
            self.errfile.seek(0)
            return self.errfile.read().decode(errors="replace")[-2000:]
        except (OSError, ValueError):
            return ""

    def request(self, req: dict) -> dict:
        with self.lock:
            if self.proc.poll() is not None:
                raise HarnessError(f"sandbox driver died: {self._stderr()}")
            self.proc.stdin.write(json.dumps(req) + "\n")
            self.proc.stdin.flush()
            line = self.proc.stdout.readline()
        if not line:
            raise HarnessError(f"sandbox driver died: {self._stderr()}")
        reply = json.loads(line)
        if reply.get("error"):
            raise HarnessError(f"sandbox driver error:\n{reply['error']}")
        return reply

    def close(self) -> None:
        try:
            if self.proc.poll() is None:
                self.proc.stdin.close()
                self.proc.wait(timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            self.proc.kill()
        shutil.rmtree(self.base, ignore_errors=True)  # empty: the tmpfs died with the namespace


class Pool:
    """``workers`` sandboxes; groups of builds are spread over them."""

    def __init__(self, workers: int | None = None, modes: list[str] | None = None):
        self.workers_n = workers or int(os.environ.get("HARNESS_WORKERS", "2"))
        self.failures: list[str] = []
        self.mode = None
        self.sandboxes: list[Sandbox] = []
        for mode in modes or _modes():
            try:
                first = Sandbox(mode)
            except HarnessError as e:
                self.failures.append(str(e))
                continue
            try:  # a trivial build: setting up can work where mounting the overlay does not
                self._self_test(first)
            except HarnessError as e:
                first.close()
                self.failures.append(f"sandbox mode {mode!r} cannot build: {str(e).strip().splitlines()[-1]}")
                continue
            self.mode = mode
            self.sandboxes = [first] + [Sandbox(mode) for _ in range(self.workers_n - 1)]
            break
        self.executor = ThreadPoolExecutor(max(1, len(self.sandboxes)))

    @staticmethod
    def _self_test(sb: Sandbox) -> None:
        p = dict(plan("FROM scratch\nFROM debian\nRUN ok\n"), shell="dash")
        if sb.mode == "plain":
            p["stages"] = p["stages"][-1:]
        res = sb.request({"plans": {"t": p}, "members": [["t", 0]]})["results"][0]
        if not res["ok"]:
            raise HarnessError(f"self-test build failed: {res.get('error') or res['runs']}")

    @property
    def full(self) -> bool:
        """Overlay sandbox (stubs, package managers, absolute paths) rather than a plain dir."""
        return self.mode in ("root", "userns")

    def why_not_full(self) -> str:
        if self.mode is None:
            return "no sandbox at all: " + "; ".join(self.failures)
        return f"sandbox mode is {self.mode!r} (no overlayfs in a mount namespace): " + "; ".join(self.failures)

    def run(self, plans: dict, groups: list[list[tuple[str, int]]]) -> list[dict]:
        """Execute groups of builds; each group's file states are compared over the union of the
        paths its builds wrote."""
        if not self.sandboxes:
            raise HarnessError(self.why_not_full())
        k = len(self.sandboxes)
        chunks = [groups[i::k] for i in range(k)]
        futures = []
        for sb, chunk in zip(self.sandboxes, chunks):
            if chunk:
                futures.append((chunk, self.executor.submit(self._run_chunk, sb, plans, chunk)))
        out: dict[int, dict] = {}
        for chunk, fut in futures:
            for g, res in zip(chunk, fut.result()):
                out[id(g)] = res
        return [out[id(g)] for g in groups]

    @staticmethod
    def _run_chunk(sb: Sandbox, plans: dict, chunk: list) -> list[dict]:
        return [sb.request({"plans": plans, "members": g}) for g in chunk]

    def close(self) -> None:
        for sb in self.sandboxes:
            sb.close()
        self.executor.shutdown()


_POOL: Pool | None = None


def get_pool() -> Pool:
    global _POOL
    if _POOL is None:
        _POOL = Pool()
    return _POOL


def close_pool() -> None:
    global _POOL
    if _POOL is not None:
        _POOL.close()
        _POOL = None


# =============================================================================================
# Results and comparison
# =============================================================================================

@dataclass(frozen=True)
class Call:
    kind: str  # C counted, F failed by injection, U uncounted clean-up
    n: int
    name: str
    cwd: str
    umask: str
    argv: tuple[str, ...]
    env: tuple[tuple[str, str], ...]

    def key(self):
        return (self.kind, self.name, normalize_argv(self.name, self.argv), self.cwd, self.umask, self.env)

    def show(self) -> str:
        tag = {"C": "", "F": "  <- fails (injected)", "U": "  (clean-up, not compared)",
               "P": "  (concurrent: pipeline/background)"}[self.kind]
        return f"#{self.n} {self.name} {shlex.join(self.argv)}  [cwd {self.cwd}, umask {self.umask}]{tag}"


def parse_log(raw: str) -> list[Call]:
    calls = []
    for rec in raw.split("\x1e")[1:]:
        rec = rec.rstrip("\n")
        if rec.endswith("\x1c"):
            rec = rec[:-1]
        head, _, env_text = rec.partition("\x1d")
        f = head.split("\x1f")
        env = []
        try:
            words = shlex.split(env_text)
        except ValueError:
            words = env_text.split()
        for w in words:
            if w == "export" or "=" not in w:
                continue
            k, v = w.split("=", 1)
            if k not in ENV_IGNORED:
                env.append((k, v))
        cwd = f[3].rstrip("\n") or "<gone>"
        calls.append(Call(f[0], int(f[1] or 0), f[2], cwd, f[4].rstrip("\n"), tuple(f[5:]), tuple(sorted(env))))
    return calls


def normalize_argv(name: str, argv: tuple[str, ...]) -> tuple[str, ...]:
    words = (name, *argv)
    for i, w in enumerate(words):
        drop = RULE_FLAGS.get(w.rsplit("/", 1)[-1])
        if drop:
            return tuple(words[1 : i + 1]) + tuple(x for x in words[i + 1 :] if x not in drop)
    return tuple(argv)


@dataclass(repr=False)
class Build:
    ok: bool
    runs: list[dict]
    calls: list[Call]
    error: str | None
    fail_at: int

    def __repr__(self) -> str:
        return f"<Build {self.outcome()}, {len(self.calls)} calls>"

    @classmethod
    def from_json(cls, d: dict) -> "Build":
        return cls(d["ok"], d["runs"], parse_log(d.get("log", "")), d.get("error"), d.get("fail_at", 0))

    @property
    def counted(self) -> list[Call]:
        return [c for c in self.calls if c.kind in "CF"]

    @property
    def stdout(self) -> str:
        return "".join(r["stdout"] for r in self.runs)

    @property
    def failing_run(self) -> dict | None:
        return self.runs[-1] if self.runs and self.runs[-1]["exit"] != 0 else None

    def outcome(self) -> str:
        if self.ok:
            return "succeeds"
        if self.error:
            return f"fails: {self.error}"
        r = self.failing_run
        return f"fails: {r['label']} exits {r['exit']}" if r else "fails"

    def describe(self) -> str:
        lines = []
        for r in self.runs:
            lines.append(f"    {r['label']}: exit {r['exit']}" + (" (timeout)" if r.get("timeout") else ""))
            if r["exit"] != 0 and r["stderr"].strip():
                for s in r["stderr"].strip().splitlines()[-3:]:
                    lines.append(f"        stderr: {s}")
        if self.error:
            lines.append(f"    error: {self.error}")
        return "\n".join(lines) or "    (no RUN executed)"


def allowed(path: str) -> bool:
    return bool(_ALLOW_RE.search(path))


def file_differences(a: dict, b: dict) -> list[str]:
    """Differences between two file states {path: state}, the allowance list aside."""
    paths = sorted(set(a) | set(b))
    differing = {p for p in paths if a.get(p) != b.get(p) and not allowed(p)}
    out = []
    for p in sorted(differing):
        sa, sb = a.get(p), b.get(p)
        if _CACHE_PARENT_RE.search(p) and {(sa or ["absent"])[0], (sb or ["absent"])[0]} <= {"dir", "absent"}:
            children = [q for q in paths if q.startswith(p + "/")]
            if all(allowed(q) or (q not in differing) or _CACHE_PARENT_RE.search(q) for q in children):
                continue
        out.append(f"{p}: {_show_state(sa)} -> {_show_state(sb)}")
    return out


def _show_state(s) -> str:
    if s is None:
        return "absent"
    if s[0] == "file":
        return f"file mode {s[1]} size {s[4]} sha {s[5]}"
    if s[0] == "dir":
        return f"dir mode {s[1]}"
    if s[0] == "link":
        return f"symlink -> {s[1]}"
    return f"other {s}"


@dataclass
class Pair:
    shell: str
    fail_at: int
    orig: Build
    new: Build
    differences: list[str]
    detail: str = ""


def has_background_job(text: str) -> bool:
    """A RUN of ``text`` starts a background job (``&``): what it logs before its RUN ends (and
    its PID namespace is torn down) is a race, so concurrent calls are not compared then."""
    from dockeropt.shell import parse_shell
    from dockeropt.syntax.parse import parse

    try:
        tree = parse(text)
    except Exception:  # noqa: BLE001 - plan() reports what it cannot read
        return False
    for ins in tree.instructions:
        run = ins.trigger if isinstance(ins, n.Onbuild) else ins
        if isinstance(run, n.Run) and not run.is_exec_form and ("&" in run.rest or run.heredocs):
            script = parse_shell(run.rest)
            if not script.ok or script.has_background:
                return True
    return False


def compare(orig: Build, new: Build, states: dict | None, racy: bool = False) -> tuple[list[str], str]:
    """(short differences, details) between two builds run with the same shell and K."""
    diffs: list[str] = []
    detail: list[str] = []
    if orig.ok != new.ok:
        diffs.append(f"outcome: original {orig.outcome()}, rewritten {new.outcome()}")
    elif not orig.ok:
        ro, rn = orig.failing_run, new.failing_run
        eo, en = (ro or {}).get("exit"), (rn or {}).get("exit")
        if eo != en:
            diffs.append(f"exit status of the failing RUN: original {eo} ({orig.outcome()}), rewritten {en} "
                         f"({new.outcome()})")
    co, cn = orig.counted, new.counted
    first = next((i for i, (x, y) in enumerate(zip(co, cn)) if x.key() != y.key()), None)
    if first is None and len(co) != len(cn):
        first = min(len(co), len(cn))
    if first is not None:
        x = co[first] if first < len(co) else None
        y = cn[first] if first < len(cn) else None
        what = "commands"
        if x and y and x.key()[:5] == y.key()[:5]:
            what = "environment of a command"
        elif x and y and x.key()[:3] == y.key()[:3] and x.key()[3] != y.key()[3]:
            what = "working directory of a command"
        elif x and y and x.key()[:4] == y.key()[:4]:
            what = "umask of a command"
        diffs.append(f"{what}: call {first + 1}: original {x.show() if x else '(nothing more)'}; "
                     f"rewritten {y.show() if y else '(nothing more)'}")
        detail.append("first difference in the call log:")
        for c in co[max(0, first - 3) : first]:
            detail.append(f"    both       {c.show()}")
        detail.append(f"    original   {x.show() if x else '(no more calls)'}")
        detail.append(f"    rewritten  {y.show() if y else '(no more calls)'}")
        if x and y and x.env != y.env:
            ex, ey = dict(x.env), dict(y.env)
            for k in sorted(set(ex) | set(ey)):
                if ex.get(k) != ey.get(k):
                    detail.append(f"    env {k}: original {ex.get(k)!r}, rewritten {ey.get(k)!r}")
    po = sorted(c.key() for c in orig.calls if c.kind == "P")
    pn = sorted(c.key() for c in new.calls if c.kind == "P")
    if po != pn and not racy:
        only_o = [k for k in po if k not in pn]
        only_n = [k for k in pn if k not in po]
        show = lambda ks: [" ".join((k[1], *k[2])) for k in ks][:3]  # noqa: E731
        diffs.append(f"concurrent calls (pipelines, background jobs; compared as a multiset): original only "
                     f"{show(only_o)}, rewritten only {show(only_n)}")
    if orig.stdout != new.stdout:
        a, b = orig.stdout.splitlines(), new.stdout.splitlines()
        i = next((k for k, (p, q) in enumerate(zip(a, b)) if p != q), min(len(a), len(b)))
        diffs.append(f"stdout: line {i + 1}: original {a[i] if i < len(a) else '(end)'!r}, "
                     f"rewritten {b[i] if i < len(b) else '(end)'!r}")
    if orig.ok and new.ok and states:
        for role, (sa, sb) in ((r, v) for r, v in states.items() if v and v[0] is not None and v[1] is not None):
            fd = file_differences(sa, sb)
            if fd:
                img = "image" if role == "final" else "child image (ONBUILD)"
                diffs.append(f"files of the {img}: {len(fd)} differ, e.g. {fd[0]}")
                detail.append(f"files of the {img} (allowance list aside):")
                detail += [f"    {d}" for d in fd[:25]]
    return diffs, "\n".join(detail)


# A package manager that stopped at its confirmation prompt (the build has no terminal). The
# rules that answer such prompts (apt-get-yes, yum-yes, dnf-yes, zypper-non-interactive) are
# unsafe for exactly this reason: the build goes on where it stopped.
PROMPT_ABORT = re.compile(r"\[Y/n\] Abort\.|Operation aborted\.|ABORT: no answer")


def prompt_abort(pair: "Pair") -> bool:
    """A package manager of the original stopped at its confirmation prompt (in any RUN: after
    `;` or `||` the build may go on), so an answered prompt explains what differs after it."""
    return any(PROMPT_ABORT.search(run["stdout"] + run["stderr"]) for run in pair.orig.runs)


@dataclass(repr=False)
class Report:
    original: str
    rewritten: str
    pairs: list[Pair] = field(default_factory=list)
    calls: dict[str, int] = field(default_factory=dict)  # shell -> N
    notes: list[str] = field(default_factory=list)

    def __repr__(self) -> str:
        return f"<Report: {len(self.differing)} of {len(self.pairs)} runs differ>"

    @property
    def differing(self) -> list[Pair]:
        return [p for p in self.pairs if p.differences]

    @property
    def equal(self) -> bool:
        return not self.differing

    def summary(self) -> list[str]:
        """One line per distinct difference: shell, K, what."""
        out = []
        for p in self.differing:
            k = "no failure injected" if p.fail_at == 0 else f"call {p.fail_at} fails"
            for d in p.differences:
                out.append(f"[{p.shell}, {k}] {d}")
        return out

    def text(self, limit: int = 12) -> str:
        lines = ["original Dockerfile:", _indent(self.original), "rewritten Dockerfile:", _indent(self.rewritten)]
        lines += [f"note: {x}" for x in self.notes]
        lines.append("external calls counted in the original: " + ", ".join(f"{s}: {k}" for s, k in self.calls.items()))
        diff = self.differing
        lines.append(f"{len(diff)} of {len(self.pairs)} runs differ:")
        for line in self.summary()[:limit]:
            lines.append("  " + line)
        if len(self.summary()) > limit:
            lines.append(f"  ... {len(self.summary()) - limit} more")
        if diff:
            p = diff[0]
            k = "no failure injected" if p.fail_at == 0 else f"call {p.fail_at} fails"
            lines.append(f"first differing run in detail ({p.shell}, {k}):")
            lines.append(f"  original: {p.orig.outcome()}")
            lines.append(p.orig.describe())
            lines.append(f"  rewritten: {p.new.outcome()}")
            lines.append(p.new.describe())
            if p.detail:
                lines.append(_indent(p.detail, "  "))
        return "\n".join(lines)


def _indent(text: str, pad: str = "    ") -> str:
    return "\n".join(pad + line for line in text.rstrip("\n").splitlines())


def differential(original: str, rewritten: str, context=None, shells=SHELLS, inject: bool = True,
                 pool: Pool | None = None, max_k: int | None = None) -> Report:
    """Run both files under each shell, with each external call K of the original made to fail
    in turn (K = 0: none), and compare. Raises Skip when either file cannot be modelled."""
    return differential_many(original, {"rewritten": rewritten}, context, shells, inject, pool, max_k)["rewritten"]


def differential_many(original: str, rewrites: dict[str, str], context=None, shells=SHELLS, inject: bool = True,
                      pool: Pool | None = None, max_k: int | None = None,
                      fail_fast: bool = False) -> dict[str, Report]:
    """``differential`` against several rewrites of one original at once (its builds are shared).
    ``fail_fast``: stop at the first K that shows a difference (the properties: shrinking runs
    many failing examples)."""
    pool = pool or get_pool()
    reports = {name: Report(original, text) for name, text in rewrites.items()}
    todo = {name: text for name, text in rewrites.items() if text != original}
    if not todo:
        return reports
    ctx = BuildContext(context) if context is not None else None
    try:
        def make():
            return {"orig": plan(original, ctx), **{f"new:{name}": plan(text, ctx) for name, text in todo.items()}}

        plans = make()
        if ctx and ctx.synthesized:  # the first plans may have been made before a placeholder existed
            plans = make()
        for name in todo:
            reports[name].notes += [f"made up: {x}" for x in (ctx.synthesized if ctx else [])]
        _differential({name: reports[name] for name in todo}, plans, pool, shells, inject, max_k, fail_fast,
                      racy=has_background_job(original))
        for r in reports.values():  # in shell order, then K
            r.pairs.sort(key=lambda p: (list(shells).index(p.shell), p.fail_at))
    finally:
        if ctx:
            ctx.close()
    return reports


def _differential(reports: dict[str, Report], plans: dict, pool: Pool, shells, inject, max_k,
                  fail_fast: bool = False, racy: bool = False) -> None:
    if not pool.full:
        for p in plans.values():
            for st in p["stages"]:
                if st["base"]["kind"] != "host":
                    raise Skip(f"plain sandbox: {st['base']['kind']} stages need the overlay sandbox")
    names = list(reports)
    keys = ["orig"] + [f"new:{n}" for n in names]
    shell_plans = {f"{k}@{sh}": dict(plans[k], shell=sh) for k in keys for sh in shells}

    def run(points: list[tuple[str, int]]) -> dict:
        groups = [[[f"{k}@{sh}", fail_at] for k in keys] for sh, fail_at in points]
        out = {}
        for point, res in zip(points, pool.run(shell_plans, groups)):
            builds = [Build.from_json(r) for r in res["results"]]
            out[point] = (builds, res.get("states") or {})
        return out

    def record(points: list[tuple[str, int]], results: dict) -> bool:
        differ = False
        for point in points:
            builds, states = results[point]
            for i, name in enumerate(names, 1):
                st = {role: (v[0], v[i]) for role, v in states.items() if v}
                diffs, detail = compare(builds[0], builds[i], st, racy)
                reports[name].pairs.append(Pair(point[0], point[1], builds[0], builds[i], diffs, detail))
                differ = differ or bool(diffs)
        return differ

    first = [(sh, 0) for sh in shells]
    results = run(first)
    differ = record(first, results)
    more = []
    for sh in shells:
        n_calls = len(results[(sh, 0)][0][0].counted)
        for r in reports.values():
            r.calls[sh] = n_calls
        if inject:
            top = n_calls if max_k is None else min(n_calls, max_k)
            more += [(sh, k) for k in range(1, top + 1)]
    if fail_fast and differ:
        return
    step = max(2, 2 * len(pool.sandboxes)) if fail_fast else max(1, len(more))
    for i in range(0, len(more), step):
        batch = more[i : i + step]
        if record(batch, run(batch)) and fail_fast:
            return
