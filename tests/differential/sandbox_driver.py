"""The sandbox driver: executes build plans (made by harness.py) and reports what they did.

Started once per worker by harness.Sandbox, inside a private mount namespace:

    unshare --mount --propagation private -- python sandbox_driver.py --base DIR --stubs SRC
    unshare -Urm -- python sandbox_driver.py --base DIR --stubs SRC --userns      (not root)
    python sandbox_driver.py --base DIR --stubs SRC --plain                         (no namespaces)

It reads one JSON request per line on stdin and answers one JSON line on stdout. Everything it
creates lives on a tmpfs mounted on DIR inside the namespace: when the driver exits, the namespace
and all its mounts disappear. The real root is only ever a read-only overlay lower layer.

Sandbox mode (the default): each stage of a build is an overlayfs

    lowerdir = <sh layer: /usr/bin/sh -> dash|bash> : <stubs layer> : /      (FROM <image>)
    lowerdir = <upper of stage X> : <lower of stage X>                      (FROM <stage X>)
    upperdir = a fresh dir on the tmpfs

with /proc (its /proc/sys read-only), a minimal /dev and /.harness/state (the call log and the
failure-injection counter, outside the image) mounted into it; every RUN is one process,
chroot'ed into it. After a stage its overlay is re-mounted read-only (upper as a lower layer), to
serve COPY --from, stages built FROM it and the file-tree comparison.

Plain mode (no mount namespace available): the "root" is a plain directory; RUNs run in it
without chroot; only the logging shim and ok/fail are available (generated cases only).
"""

from __future__ import annotations

import argparse
import ctypes
import errno
import hashlib
import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import threading
import traceback

MS_RDONLY = 1
MS_REMOUNT = 32
MS_BIND = 4096
MS_REC = 16384
MS_PRIVATE = 1 << 18
MNT_DETACH = 2

SHELLS = {"dash": "/usr/bin/dash", "bash": "/usr/bin/bash"}
HOST_BIN_DIRS = ("/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin")
NOT_SHIMMED = {"sh", "dash", "bash", "rbash"}

# program -> stub implementation (stubs/<impl>.sh); these replace the real programs at
# /usr/bin/<program> in the stubs layer and log/count their own calls
STUBS = {
    "apt-get": "apt", "apt": "apt", "aptitude": "apt", "apt-cache": "apt",
    "apk": "apk",
    "pip": "pip", "pip3": "pip", **{f"pip3.{v}": "pip" for v in range(8, 15)},
    "python": "python", "python3": "python", **{f"python3.{v}": "python" for v in range(8, 15)},
    "npm": "npm", "yarn": "yarn",
    "yum": "rpm", "dnf": "rpm", "microdnf": "rpm", "zypper": "zypper",
    "curl": "fetch", "wget": "fetch",
    "sudo": "sudo", "mktemp": "mktemp", "date": "date",
    "ok": "ok", "fail": "ok",
}
# tools a Dockerfile expects to find, modelled as "log the call, succeed": real ones would reach
# the network (gpg, git), be slow (gcc) or are absent here (scanelf, httpd)
NOOP_TOOLS = (
    "git", "make", "gcc", "g++", "cc", "jq", "gpg", "gpgconf", "dirmngr", "httpd", "nginx", "scanelf",
    "corepack", "pipx", "pipenv", "uv", "node", "nodejs", "java", "go", "cargo", "rustc", "cmake",
)
# where modelled programs may be installed *later* (pip install -U pip): hidden if the host has them
HIDE_FROM_HOST = [f"/usr/local/bin/{n}" for n in ("pip", "pip3", "pip3.12", "python", "python3", "npm", "yarn")]
# caches (and homes, /tmp) start empty, like in a fresh base image: opaque in the stubs layer
FRESH_DIRS = {
    "/root": 0o700, "/home": 0o755, "/tmp": 0o1777, "/var/tmp": 0o1777,
    "/var/lib/apt/lists": 0o755, "/var/cache/apt": 0o755, "/var/cache/apk": 0o755, "/var/cache/yum": 0o755,
    "/var/cache/dnf": 0o755, "/var/cache/libdnf5": 0o755, "/var/cache/zypp": 0o755,
    "/usr/local/share/.cache": 0o755, "/usr/local/lib/node_modules": 0o755,
    "/usr/local/lib/python3": 0o755, "/var/lib/harness": 0o755,
}
RUN_TIMEOUT = float(os.environ.get("HARNESS_RUN_TIMEOUT", "30"))


class BuildError(Exception):
    pass


def _libc():
    libc = ctypes.CDLL(None, use_errno=True)
    libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p]
    libc.umount2.argtypes = [ctypes.c_char_p, ctypes.c_int]
    return libc


LIBC = _libc()


def mount(source: str, target: str, fstype: str | None, flags: int = 0, data: str | None = None) -> None:
    enc = lambda s: None if s is None else s.encode()  # noqa: E731
    if LIBC.mount(enc(source), enc(target), enc(fstype), flags, enc(data)) != 0:
        e = ctypes.get_errno()
        raise OSError(e, f"mount {source} on {target} ({fstype}, {data}): {os.strerror(e)}")


def umount(target: str) -> None:
    if LIBC.umount2(target.encode(), MNT_DETACH) != 0:
        e = ctypes.get_errno()
        if e not in (errno.EINVAL, errno.ENOENT):
            raise OSError(e, f"umount {target}: {os.strerror(e)}")


class Driver:
    def __init__(self, base: str, stubs_src: str, mode: str):
        self.base = base
        self.stubs_src = stubs_src
        self.mode = mode  # "root" | "userns" | "plain"
        self.xattr = "user.overlay.opaque" if mode == "userns" else "trusted.overlay.opaque"
        self.hroot = os.path.join(base, "harness") if mode == "plain" else "/.harness"
        self.counter = 0

    # -- set-up --------------------------------------------------------------------------------

    def setup(self) -> dict:
        if self.mode != "plain":
            mount("none", "/", None, MS_REC | MS_PRIVATE)  # belt and braces: nothing propagates out
            mount("tmpfs", self.base, "tmpfs", 0, "mode=0755")
            self._session_mounts()
        os.makedirs(os.path.join(self.base, "builds"), exist_ok=True)
        os.makedirs(os.path.join(self.base, "empty"), exist_ok=True)
        for sh, path in SHELLS.items():
            d = os.path.join(self.base, f"sh-{sh}", "usr", "bin")
            os.makedirs(d, exist_ok=True)
            os.symlink(path, os.path.join(d, "sh"))
        self._stubs_layer()
        return {"ready": True, "mode": self.mode}

    def _script(self, name: str) -> str:
        with open(os.path.join(self.stubs_src, name)) as f:
            return f.read().replace("/.harness", self.hroot)

    def _write(self, path: str, text: str, mode: int = 0o644) -> None:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)
        os.chmod(path, mode)

    def _stubs_layer(self) -> None:
        layer = os.path.join(self.base, "stubs")
        self.stubs = layer
        h = layer + "/.harness" if self.mode != "plain" else self.hroot
        os.makedirs(h + "/bin", exist_ok=True)
        os.makedirs(h + "/state", exist_ok=True)
        os.makedirs(h + "/stubs", exist_ok=True)
        self._write(h + "/lib.sh", self._script("lib.sh"))
        self._write(h + "/shim", self._script("shim"), 0o755)
        for f in os.listdir(self.stubs_src):
            if f.endswith(".sh") and f != "lib.sh":
                self._write(f"{h}/stubs/{f}", self._script(f))
        os.makedirs(h + "/real", exist_ok=True)
        for prog in ("date",):  # stubs that end in the real program (their own path is the stub)
            real = shutil.which(prog, path="/usr/bin:/bin")
            if real:
                shutil.copy2(real, f"{h}/real/{prog}")
        stubbed = set(STUBS) | set(NOOP_TOOLS)
        seen: set[str] = set()
        for d in HOST_BIN_DIRS:
            if os.path.islink(d) or not os.path.isdir(d):
                continue
            for name in sorted(os.listdir(d)):
                if name in seen or name in NOT_SHIMMED or name in stubbed or "/" in name:
                    continue
                p = os.path.join(d, name)
                if os.path.isfile(p) and os.access(p, os.X_OK):
                    seen.add(name)
                    os.symlink(self.hroot + "/shim", f"{h}/bin/{name}")

        def launcher(name: str, impl: str) -> str:
            return f"#!/bin/dash\nh_name={name}\n. {self.hroot}/lib.sh\n. {self.hroot}/stubs/{impl}.sh\n"

        if self.mode == "plain":  # no image: only ok/fail, next to the shims
            for name in ("ok", "fail"):
                self._write(f"{h}/bin/{name}", launcher(name, "ok"), 0o755)
            return
        for name, impl in STUBS.items():
            self._write(f"{layer}/usr/bin/{name}", launcher(name, impl), 0o755)
        for name in NOOP_TOOLS:
            self._write(f"{layer}/usr/bin/{name}", launcher(name, "ok"), 0o755)
        for p in HIDE_FROM_HOST:
            if os.path.lexists(p):
                try:
                    os.mknod(layer + p, stat.S_IFCHR | 0o000, 0)  # an overlay whiteout
                except OSError:
                    pass
        for d, mode in FRESH_DIRS.items():
            os.makedirs(layer + d, exist_ok=True)
            os.chmod(layer + d, mode)
            os.setxattr(layer + d, self.xattr, b"y")
        for d in ("proc", "dev"):
            os.makedirs(f"{layer}/{d}", exist_ok=True)

    # -- one group of builds ------------------------------------------------------------------

    def group(self, plans: dict, members: list, want_states: bool) -> dict:
        builds = []
        try:
            for key, fail_at in members:
                builds.append(self.build(plans[key], fail_at))
            states = None
            if want_states:
                states = {}
                for role in ("final", "child"):
                    views = [b.get("_views", {}).get(role) for b in builds]
                    if all(v is None for v in views):
                        continue
                    states[role] = self._states(views, [b.get("_uppers", {}).get(role, []) for b in builds])
            for b in builds:
                b.pop("_views", None)
                b.pop("_uppers", None)
            return {"results": builds, "states": states}
        finally:
            self._cleanup()

    def _cleanup(self) -> None:
        for m in reversed(getattr(self, "_mounts", [])):
            if any(m.startswith(o + "/") for o in self._mounts):
                continue  # detached with its parent
            try:
                umount(m)
            except OSError:
                pass
        self._mounts = []
        root = os.path.join(self.base, "builds")
        for d in os.listdir(root):
            shutil.rmtree(os.path.join(root, d), ignore_errors=True)

    def _mount(self, *args, **kw) -> None:
        mount(*args, **kw)
        self._mounts.append(args[1])

    def build(self, plan: dict, fail_at: int) -> dict:
        if not hasattr(self, "_mounts"):
            self._mounts = []
        self.counter += 1
        bdir = os.path.join(self.base, "builds", f"b{self.counter}")
        state = os.path.join(bdir, "state")
        os.makedirs(state)
        for name, value in (("count", "0"), ("fail_at", str(fail_at)), ("seq", "0"), ("slot", "0")):
            with open(os.path.join(state, name), "w") as f:
                f.write(value + "\n")
        os.makedirs(os.path.join(state, "rec"))
        if self.mode == "plain":  # no bind mount: the stubs' state path points at this build's
            link = os.path.join(self.hroot, "state")
            if os.path.islink(link) or os.path.exists(link):
                os.remove(link) if os.path.islink(link) else os.rmdir(link)
            os.symlink(state, link)
        with open(os.path.join(bdir, "stdin"), "w"):
            pass  # RUNs read an empty regular file: a background job's /dev/null stdin tells it apart
        result: dict = {"ok": True, "runs": [], "error": None, "fail_at": fail_at}
        stages: dict[str, dict] = {}
        try:
            for st in plan["stages"]:
                info = self._stage(plan, st, stages, bdir, state, result)
                stages[st["id"]] = info
                if not result["ok"]:
                    break
        except BuildError as e:
            result["ok"] = False
            result["error"] = str(e)
        recs = os.path.join(state, "rec")
        log = []
        for name in sorted(os.listdir(recs), key=int):
            with open(os.path.join(recs, name), "rb") as f:
                log.append(f.read())
        result["log"] = b"".join(log).decode("latin-1")
        if self.mode == "plain":  # the "root" is a directory: name it the same in every build
            for st in plan["stages"]:
                result["log"] = result["log"].replace(os.path.join(bdir, st["id"], "upper"), "@ROOT")
        if result["ok"]:
            views, uppers = {}, {}
            for role, sid in plan.get("images", {}).items():
                if sid in stages:
                    views[role] = stages[sid]["view"]
                    uppers[role] = stages[sid]["uppers"]
            result["_views"], result["_uppers"] = views, uppers
        return result

    def _stage(self, plan, st, stages, bdir, state, result) -> dict:
        sdir = os.path.join(bdir, st["id"])
        upper, work, merged = sdir + "/upper", sdir + "/work", sdir + "/merged"
        for d in (upper, work, merged):
            os.makedirs(d)
        base = st["base"]
        uppers = [upper]
        if self.mode == "plain":
            if base["kind"] == "stage":
                raise BuildError("plain mode: FROM <stage> is not supported")
            root = upper
            lower = None
        else:
            if base["kind"] == "host":
                lower = f"{self.base}/sh-{plan['shell']}:{self.stubs}:/"
            elif base["kind"] == "scratch":
                lower = f"{self.base}/empty"
            else:
                parent = stages[base["id"]]
                lower = f"{parent['upper']}:{parent['lower']}"
                uppers = [upper] + parent["uppers"]
            opts = f"lowerdir={lower},upperdir={upper},workdir={work}"
            if self.mode == "userns":
                opts += ",userxattr"
            self._mount("overlay", merged, "overlay", 0, opts)
            root = merged
            if base["kind"] != "scratch":
                self._rootfs_mounts(root, state)
        info = {"upper": upper, "lower": lower, "uppers": uppers, "view": root}
        try:
            for step in st["steps"]:
                op = step["op"]
                if op == "mkdir":
                    os.makedirs(root + step["path"], 0o755, exist_ok=True)
                elif op == "copy":
                    self._copy(plan, step, root, stages)
                elif op == "run":
                    out = self._run(plan, step, root, bdir)
                    out["stage"] = st["id"]
                    result["runs"].append(out)
                    if out["exit"] != 0:
                        result["ok"] = False
                        break
        finally:
            if self.mode != "plain":
                umount(merged)  # lazily detaches /proc, /dev, the state bind with it
                self._mounts = [m for m in self._mounts if m != merged and not m.startswith(merged + "/")]
                # read-only view: the stage's upper becomes a lower layer
                ro = f"lowerdir={upper}:{lower}" + (",userxattr" if self.mode == "userns" else "")
                self._mount("overlay", merged, "overlay", MS_RDONLY, ro)
        return info

    def _unmount_under(self, root: str) -> None:
        for m in [m for m in self._mounts if m.startswith(root + "/")][::-1]:
            umount(m)
            self._mounts.remove(m)

    def _session_mounts(self) -> None:
        """/proc (with /proc/sys read-only) and a minimal read-only /dev, made once; each stage
        gets a recursive bind of them (one mount call each)."""
        proc = os.path.join(self.base, "proc")
        os.makedirs(proc)
        mount("/proc", proc, None, MS_BIND | MS_REC)
        mount(proc + "/sys", proc + "/sys", None, MS_BIND | MS_REC)
        mount("none", proc + "/sys", None, MS_BIND | MS_REMOUNT | MS_RDONLY)
        dev = os.path.join(self.base, "dev")
        os.makedirs(dev)
        mount("tmpfs", dev, "tmpfs", 0, "mode=0755")
        for node in ("null", "zero", "full", "random", "urandom", "tty"):
            open(f"{dev}/{node}", "w").close()
        for name, target in (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"), ("stdout", "/proc/self/fd/1"),
                             ("stderr", "/proc/self/fd/2")):
            os.symlink(target, f"{dev}/{name}")
        os.makedirs(dev + "/shm", 0o1777)
        os.makedirs(dev + "/pts")
        mount("none", dev, None, MS_REMOUNT | MS_RDONLY, "mode=0755")
        for node in ("null", "zero", "full", "random", "urandom", "tty"):
            mount(f"/dev/{node}", f"{dev}/{node}", None, MS_BIND)

    def _rootfs_mounts(self, root: str, state: str) -> None:
        self._mount(os.path.join(self.base, "proc"), root + "/proc", None, MS_BIND | MS_REC)
        self._mount(os.path.join(self.base, "dev"), root + "/dev", None, MS_BIND | MS_REC)
        self._mount(state, root + "/.harness/state", None, MS_BIND)

    # -- steps ---------------------------------------------------------------------------------

    def _copy(self, plan, step, root, stages) -> None:
        src_root = plan.get("context") or ""
        if step.get("from"):
            if step["from"] not in stages:
                raise BuildError(f"COPY --from={step['from']}: stage not built")
            src_root = stages[step["from"]]["view"]
        dest = root + step["dest"]
        srcs = [src_root + s if step.get("from") else os.path.join(src_root, s) for s in step["srcs"]]
        for s in srcs:
            if not os.path.lexists(s):
                raise BuildError(f"{step['label']}: {s} not found")
        as_dir = step.get("dest_dir") or len(srcs) > 1 or os.path.isdir(dest)
        if as_dir:
            os.makedirs(dest, 0o755, exist_ok=True)
        else:
            os.makedirs(os.path.dirname(dest), 0o755, exist_ok=True)
        for s in srcs:
            if os.path.isdir(s) and not os.path.islink(s):
                shutil.copytree(s, dest, symlinks=True, dirs_exist_ok=True)
            elif as_dir:
                shutil.copy2(s, os.path.join(dest, os.path.basename(s)), follow_symlinks=False)
            else:
                shutil.copy2(s, dest, follow_symlinks=False)

    def _run(self, plan, step, root, bdir) -> dict:
        argv = list(step["argv"])
        env = dict(step["env"])
        cwd = step["cwd"]
        created: list[str] = []
        mounted: list[str] = []
        if self.mode == "plain":
            if argv and argv[0] in ("/bin/sh", "sh"):
                argv[0] = f"{self.base}/sh-{plan['shell']}/usr/bin/sh"
            env["PATH"] = env["PATH"].replace("/.harness/bin", self.hroot + "/bin")
            real_cwd = root + cwd
            os.makedirs(real_cwd, exist_ok=True)
        else:
            try:
                os.makedirs(root + cwd, 0o755, exist_ok=True)  # as BuildKit's executor does
            except OSError as e:
                return {"label": step["label"], "exit": 126, "stdout": "", "stderr": f"harness: cwd {cwd}: {e}",
                        "timeout": False}
            for m in step.get("mounts", []):
                target = root + m["target"]
                created += self._makedirs(target)
                if m["type"] == "cache":
                    src = os.path.join(bdir, "cache", m["id"].replace("/", "%"))
                    os.makedirs(src, exist_ok=True)
                    mount(src, target, None, MS_BIND)
                elif m["type"] == "tmpfs":
                    mount("tmpfs", target, "tmpfs", 0, "mode=0755")
                elif m["type"] == "bind":
                    src = os.path.join(bdir, "bind", str(len(mounted)))
                    if os.path.isdir(m["source"]):
                        shutil.copytree(m["source"], src, symlinks=True)
                    else:
                        os.makedirs(os.path.dirname(src), exist_ok=True)
                        shutil.copy2(m["source"], src)
                    mount(src, target, None, MS_BIND)
                    if not m.get("rw"):
                        mount("none", target, None, MS_BIND | MS_REMOUNT | MS_RDONLY)
                mounted.append(target)
            real_cwd = cwd
        out_path, err_path = os.path.join(bdir, "stdout"), os.path.join(bdir, "stderr")
        if self.mode != "plain":
            # chroot + chdir by util-linux unshare (no Python preexec: vfork), in a PID namespace
            # of its own: when the RUN's shell (pid 1 there) exits, everything it started dies,
            # setsid'ed processes included -- as when a RUN's container ends
            argv = ["/usr/bin/unshare", "--pid", "--fork", "--kill-child", f"--root={root}", f"--wd={cwd}", "--", *argv]
            # the session leader writes its pid (the RUN's session id, see h_detached), then execs
            argv = ["/bin/dash", "-c", 'echo $$ > "$0" && exec "$@"', os.path.join(bdir, "state", "session"), *argv]
        else:  # a parent that leads the session, so that the RUN's shell never does
            argv = ["/bin/dash", "-c", 'echo $$ > "$0"; "$@"; exit $?', os.path.join(bdir, "state", "session"), *argv]
        timed_out = []
        with open(out_path, "wb") as out, open(err_path, "wb") as err, open(os.path.join(bdir, "stdin"), "rb") as inp:
            try:
                p = subprocess.Popen(argv, env=env, cwd=real_cwd if self.mode == "plain" else None,
                                     stdin=inp, stdout=out, stderr=err,
                                     start_new_session=True, close_fds=True)
            except OSError as e:
                code = 127 if e.errno == errno.ENOENT else 126
                return {"label": step["label"], "exit": code, "stdout": "", "stderr": f"harness: exec {argv[0]}: {e}",
                        "timeout": False}

            def kill(pid=p.pid):
                timed_out.append(True)
                try:
                    os.killpg(pid, signal.SIGKILL)
                except OSError:
                    pass

            timer = threading.Timer(RUN_TIMEOUT, kill)
            timer.start()
            code = p.wait()
            timer.cancel()
            try:  # what the RUN left running dies with it (the container ends)
                os.killpg(p.pid, signal.SIGKILL)
            except OSError:
                pass
        for t in reversed(mounted):
            umount(t)
        for d in reversed(created):
            try:
                os.rmdir(d)
            except OSError:
                pass
        with open(out_path, "rb") as f:
            stdout = f.read().decode("latin-1")
        with open(err_path, "rb") as f:
            stderr = f.read()[-4000:].decode("latin-1")
        if code < 0:
            code = 128 - code
        return {"label": step["label"], "exit": code, "stdout": stdout, "stderr": stderr, "timeout": bool(timed_out)}

    @staticmethod
    def _makedirs(path: str) -> list[str]:
        """mkdir -p; the directories it created, outermost first."""
        missing = []
        p = path
        while not os.path.lexists(p):
            missing.append(p)
            p = os.path.dirname(p)
        for d in reversed(missing):
            os.mkdir(d, 0o755)
        return list(reversed(missing))

    # -- file trees ---------------------------------------------------------------------------

    SKIP = ("/.harness", "/proc", "/dev", "/sys")

    def _upper_paths(self, upper: str, out: set[str], opaque: set[str]) -> None:
        def walk(d: str, rel: str) -> None:
            try:
                names = os.listdir(d)
            except OSError:
                return
            for name in names:
                p, r = os.path.join(d, name), f"{rel}/{name}"
                if r in self.SKIP:
                    continue
                out.add(r)
                st = os.lstat(p)
                if stat.S_ISDIR(st.st_mode):
                    if self.mode != "plain":
                        try:
                            if os.getxattr(p, self.xattr, follow_symlinks=False) == b"y":
                                opaque.add(r)
                        except OSError:
                            pass
                    walk(p, r)

        walk(upper, "")

    def _states(self, views: list, uppers: list) -> list:
        paths: set[str] = set()
        opaque: set[str] = set()
        for ups in uppers:
            for u in ups:
                self._upper_paths(u, paths, opaque)
        # an opaque directory hides what the layers below had: list those entries too
        for o in opaque:
            for v in views:
                if v is None:
                    continue
                for dirpath, dirnames, filenames in os.walk(v + o):
                    for n in dirnames + filenames:
                        paths.add(os.path.join(dirpath, n)[len(v):])
        out = []
        for v in views:
            if v is None:
                out.append(None)
                continue
            out.append({p: self._state(v + p) for p in sorted(paths)})
        return out

    @staticmethod
    def _state(path: str):
        try:
            st = os.lstat(path)
        except OSError:
            return None
        mode = stat.S_IMODE(st.st_mode)
        if stat.S_ISDIR(st.st_mode):
            return ["dir", oct(mode), st.st_uid, st.st_gid]
        if stat.S_ISLNK(st.st_mode):
            return ["link", os.readlink(path)]
        if stat.S_ISREG(st.st_mode):
            h = hashlib.sha256()
            with open(path, "rb") as f:
                for chunk in iter(lambda: f.read(1 << 16), b""):
                    h.update(chunk)
            return ["file", oct(mode), st.st_uid, st.st_gid, st.st_size, h.hexdigest()[:16]]
        return ["other", stat.S_IFMT(st.st_mode), oct(mode), st.st_rdev]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", required=True)
    ap.add_argument("--stubs", required=True)
    g = ap.add_mutually_exclusive_group()
    g.add_argument("--userns", action="store_true")
    g.add_argument("--plain", action="store_true")
    a = ap.parse_args()
    mode = "plain" if a.plain else "userns" if a.userns else "root"
    drv = Driver(a.base, a.stubs, mode)
    out = sys.stdout
    sys.stdout = sys.stderr  # nothing else may write to the protocol channel
    try:
        reply = drv.setup()
    except Exception as e:  # noqa: BLE001
        reply = {"ready": False, "error": f"{type(e).__name__}: {e}"}
    out.write(json.dumps(reply) + "\n")
    out.flush()
    if not reply.get("ready"):
        return
    for line in sys.stdin:
        req = json.loads(line)
        try:
            reply = drv.group(req["plans"], req["members"], req.get("want_states", True))
        except Exception:  # noqa: BLE001
            reply = {"error": traceback.format_exc()}
        out.write(json.dumps(reply) + "\n")
        out.flush()


if __name__ == "__main__":
    main()
