"""Build engines: one small interface, three implementations.

* :class:`BuildahEngine` — the one exercised here (Debian's buildah 1.28, no daemon).  By default
  every engine object gets its own image store in a temp dir (``--root``/``--runroot``), removed by
  :meth:`close`; base images are copied into it from ``base_images`` sources (``oci-archive:...``),
  from ``$DOCKEROPT_VERIFY_IMAGES``, or from buildah's default store.  Builds use ``--layers`` (else
  buildah squashes everything into one layer), ``--no-cache`` (no cache is shared between the
  original and the rewritten build), ``--pull=never``, ``--isolation chroot`` (host network, works
  without a cgroup-capable runtime) and ``--format docker`` (the OCI format ignores SHELL).
* :class:`PodmanEngine` — same storage and flags through ``podman build``.  Not exercised here.
* :class:`DockerEngine` — needs a daemon that answers ``docker info``; exports with ``docker
  save``, whose layers are uncompressed, so compressed sizes are gzip -1 estimates.  Not exercised
  here.

:func:`get_engine` resolves ``"auto"``: Docker when a daemon answers, else podman, else buildah.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import subprocess
import tempfile
import time
from abc import ABC, abstractmethod
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Mapping

from .errors import BuildFailed, VerifyEnvironmentError
from .image import ExportedImage, discard_from_layout, read_docker_archive, read_oci_layout
from .outcome import is_step_line

log = logging.getLogger("dockeropt.verify")

Progress = Callable[[str], None]


@dataclass
class BuiltImage:
    tag: str
    image_id: str
    seconds: float
    log: str  # the last lines of the build output


def normalize_ref(ref: str) -> str:
    """``debian:bookworm-slim`` -> ``docker.io/library/debian:bookworm-slim``; adds ``:latest``."""
    name, at, digest = ref.partition("@")
    first, slash, rest = name.partition("/")
    if not slash or not ("." in first or ":" in first or first == "localhost"):
        name = "docker.io/" + (name if slash else "library/" + name)
    if not at and ":" not in name.rsplit("/", 1)[-1]:
        name += ":latest"
    return name + (at + digest if at else "")


def _run(cmd: list[str], *, timeout: float = 600, check: bool = False, env=None) -> subprocess.CompletedProcess:
    log.debug("run: %s", " ".join(cmd))
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
    except FileNotFoundError as e:
        raise VerifyEnvironmentError(f"{cmd[0]} is not installed") from e
    except subprocess.TimeoutExpired as e:
        raise VerifyEnvironmentError(f"{' '.join(cmd[:3])} did not answer within {timeout:.0f} s") from e
    if check and p.returncode != 0:
        raise BuildFailed(f"{' '.join(cmd[:3])} failed (exit {p.returncode}): {p.stderr.strip()[-2000:]}", p.stderr)
    return p


def _stream(
    cmd: list[str], progress: Progress | None, timeout: float, env=None, steps: list[str] | None = None
) -> tuple[int, str]:
    """Run ``cmd``, passing build step lines to ``progress`` (and appending them to ``steps``);
    -> (exit code, last output lines)."""
    tail: deque[str] = deque(maxlen=300)
    log.debug("run: %s", " ".join(cmd))
    deadline = time.monotonic() + timeout
    try:
        proc = subprocess.Popen(
            cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace", env=env
        )
    except FileNotFoundError as e:
        raise VerifyEnvironmentError(f"{cmd[0]} is not installed") from e
    assert proc.stdout is not None
    for line in proc.stdout:
        line = line.rstrip("\n")
        tail.append(line)
        if steps is not None and is_step_line(line):
            steps.append(line.strip())
        if progress and _is_step_line(line):
            progress("  " + line.strip()[:200])
        if time.monotonic() > deadline:
            proc.kill()
            proc.wait()
            tail.append(f"(killed after {timeout:.0f} s)")
            return -9, "\n".join(tail)
    return proc.wait(), "\n".join(tail)


_STEP = re.compile(r"^(STEP \d+/\d+|#\d+ \[.*\]|Step \d+/\d+ :|error|Error)")


def _is_step_line(line: str) -> bool:
    return bool(_STEP.match(line.strip()))


class Engine(ABC):
    """A container build engine, as :func:`dockeropt.verify.verify` needs it."""

    name: str = "engine"

    @abstractmethod
    def available(self) -> bool:
        """True when the engine's tools (and daemon, for Docker) answer."""

    def install_hint(self) -> str:
        return f"install {self.name}"

    def version(self) -> str:
        return self.name

    @abstractmethod
    def has_image(self, ref: str) -> bool:
        """True when ``ref`` is in the engine's local store (nothing is pulled)."""

    def ensure_image(self, ref: str, progress: Progress | None = None) -> bool:
        """Make ``ref`` available locally when the engine knows a local source; default: has_image."""
        return self.has_image(ref)

    @abstractmethod
    def build(
        self,
        dockerfile_text: str,
        context_dir: Path,
        tag: str,
        *,
        ignorefile_text: str | None = None,
        progress: Progress | None = None,
        cache: bool = False,
    ) -> BuiltImage:
        """Build without pulling, and without any cache unless ``cache`` (``verify --touch``
        measures what a second build takes from it); raise :class:`BuildFailed` on failure."""

    @abstractmethod
    def export(self, tag: str, dest: Path | None = None) -> ExportedImage:
        """Write the image out (to ``dest``, a new directory, or where the engine likes) and read
        its layers, config and history."""

    def discard(self, images: list[ExportedImage]) -> None:
        """Forget exports made by :meth:`export` once measured (frees disk)."""
        for img in images:
            if img.layout is not None and self._owns(img.layout):
                shutil.rmtree(img.layout, ignore_errors=True)

    def _owns(self, path: Path) -> bool:
        return False

    @abstractmethod
    def remove(self, tag: str) -> None:
        """Remove the image (and its intermediate images); never raises."""

    def run(self, tag: str, argv: list[str], timeout: float = 120) -> tuple[int | None, str]:
        """Run ``argv`` (no shell, no ENTRYPOINT) in a container of ``tag`` with the image's WORKDIR,
        USER and ENV: -> (exit status or None on timeout, stdout then stderr).  For smoke tests."""
        raise NotImplementedError

    def close(self) -> None:
        """Release what the engine object created (temp stores)."""

    def __enter__(self) -> "Engine":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _write(path: Path, text: str) -> None:
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write(text)


# --- buildah / podman -----------------------------------------------------------------------

_overlay_ok: dict[str, bool] = {}


def _probe_overlay(exe: str) -> bool:
    """Can ``exe`` use the overlay driver in a fresh store here?  (5-10x faster than vfs when it
    works; it does not on every kernel / nested container.)"""
    if exe in _overlay_ok:
        return _overlay_ok[exe]
    ok = False
    tmp = tempfile.mkdtemp(prefix="dockeropt-probe-")
    try:
        g = [exe, "--root", f"{tmp}/root", "--runroot", f"{tmp}/run", "--storage-driver", "overlay"]
        p = _run(g + ["from", "scratch"], timeout=60)
        if p.returncode == 0:
            ctr = p.stdout.strip()
            ok = _run(g + ["mount", ctr], timeout=60).returncode == 0
            _run(g + ["umount", ctr], timeout=60)
            _run(g + ["rm", ctr], timeout=60)
    except VerifyEnvironmentError:
        ok = False
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    _overlay_ok[exe] = ok
    log.debug("overlay driver usable for %s: %s", exe, ok)
    return ok


def _images_from_env() -> dict[str, str]:
    """``DOCKEROPT_VERIFY_IMAGES="debian:bookworm-slim=oci-archive:/x.tar;alpine=oci:/y"``."""
    out = {}
    for item in re.split(r"[;\n]", os.environ.get("DOCKEROPT_VERIFY_IMAGES", "")):
        ref, eq, src = item.strip().partition("=")
        if eq and ref and src:
            out[normalize_ref(ref)] = src
    return out


class _StorageEngine(Engine):
    """Shared code of buildah and podman (containers/storage, same global flags)."""

    exe = "buildah"
    build_subcommand = "bud"

    def __init__(
        self,
        root: str | os.PathLike | None = None,
        runroot: str | os.PathLike | None = None,
        storage_driver: str | None = "auto",
        base_images: Mapping[str, str] | None = None,
        isolation: str | None = "chroot",
        timeout: float = 3600,
        use_default_store: bool = True,
        fast_export: bool = False,
    ) -> None:
        """``fast_export``: export layers uncompressed with skopeo into one OCI layout shared by
        all exports of this engine object, so a base layer is written once, not once per image
        (~0.2 s instead of 3-6 s per image here); compressed sizes are then estimated with gzip -1.
        Without it (the default) ``push`` writes compressed layers, whose sizes are what a
        registry would store.  Needs skopeo and a known storage driver; falls back otherwise."""
        self._tmp: str | None = None
        self.fast_export = fast_export
        self._own_store = root is None
        self._root = Path(root) if root else None
        self._runroot = Path(runroot) if runroot else None
        self._driver_arg = storage_driver
        self._driver: str | None = None
        self.base_images = {normalize_ref(k): v for k, v in {**_images_from_env(), **(base_images or {})}.items()}
        self.isolation = isolation
        self.timeout = timeout
        self.use_default_store = use_default_store
        self._seeded: set[str] = set()

    # storage
    def _workdir(self) -> Path:
        if self._tmp is None:
            self._tmp = tempfile.mkdtemp(prefix=f"dockeropt-{self.exe}-")
        return Path(self._tmp)

    @property
    def root(self) -> Path:
        if self._root is None:
            self._root = self._workdir() / "root"
        return self._root

    @property
    def runroot(self) -> Path:
        if self._runroot is None:
            self._runroot = Path(str(self.root) + "-run")
        return self._runroot

    @property
    def storage_driver(self) -> str | None:
        if self._driver is None:
            d = os.environ.get("DOCKEROPT_BUILDAH_DRIVER") or self._driver_arg
            if d == "auto":
                # An existing store keeps the driver it was made with.
                existing = [x for x in ("overlay", "vfs") if (self.root / x).is_dir()]
                if existing:
                    d = existing[0]
                elif self.exe == "buildah":
                    d = "overlay" if _probe_overlay(self.exe) else "vfs"
                else:
                    d = None
            self._driver = d or ""
        return self._driver or None

    def global_args(self) -> list[str]:
        g = [self.exe, "--root", str(self.root), "--runroot", str(self.runroot)]
        if self.storage_driver:
            g += ["--storage-driver", self.storage_driver]
        return g

    # Engine
    def available(self) -> bool:
        if shutil.which(self.exe) is None:
            return False
        try:
            return _run([self.exe, "--version"], timeout=30).returncode == 0
        except VerifyEnvironmentError:
            return False

    def version(self) -> str:
        try:
            p = _run([self.exe, "--version"], timeout=30)
        except VerifyEnvironmentError:
            return self.exe
        m = re.search(r"version\s+(\S+)", p.stdout)
        return f"{self.exe} {m.group(1)}" if m else self.exe

    def install_hint(self) -> str:
        return f"install {self.exe} (Debian/Ubuntu: apt-get install -y {self.exe} runc)"

    def has_image(self, ref: str) -> bool:
        p = _run(self.global_args() + ["images", "-q", "--noheading", ref], timeout=120)
        return p.returncode == 0 and bool(p.stdout.strip())

    def ensure_image(self, ref: str, progress: Progress | None = None) -> bool:
        if self.has_image(ref):
            return True
        src = self.base_images.get(normalize_ref(ref))
        if src:
            if progress:
                progress(f"loading base image {ref} from {src}")
            p = _run(self.global_args() + ["pull", "-q", src], timeout=self.timeout)
            if p.returncode != 0:
                raise VerifyEnvironmentError(f"cannot load base image {ref} from {src}: {p.stderr.strip()[-500:]}")
            image_id = p.stdout.strip().splitlines()[-1]
            _run(self.global_args() + ["tag", image_id, normalize_ref(ref)], timeout=120, check=True)
            return self.has_image(ref)
        if self.use_default_store and self._own_store:
            return self._copy_from_default_store(ref, progress)
        return False

    def _copy_from_default_store(self, ref: str, progress: Progress | None) -> bool:
        """Our temp store is empty; the user's usual store may hold the image: copy it over."""
        try:
            p = _run([self.exe, "images", "-q", "--noheading", ref], timeout=120)
            if p.returncode != 0 or not p.stdout.strip():
                return False
            if progress:
                progress(f"copying base image {ref} from {self.exe}'s default store")
            archive = self._workdir() / f"seed-{len(self._seeded)}.tar"
            p = _run([self.exe, "push", "-q", ref, f"oci-archive:{archive}"], timeout=self.timeout)
            if p.returncode != 0:
                return False
            p = _run(self.global_args() + ["pull", "-q", f"oci-archive:{archive}"], timeout=self.timeout)
            archive.unlink(missing_ok=True)
            if p.returncode != 0:
                return False
            _run(self.global_args() + ["tag", p.stdout.strip().splitlines()[-1], normalize_ref(ref)], timeout=120)
            self._seeded.add(ref)
            return self.has_image(ref)
        except VerifyEnvironmentError:
            return False

    def build_args(self) -> list[str]:
        # --force-rm: a failed build leaves no working container behind
        args = ["--layers", "--no-cache", "--pull=never", "--format", "docker", "--force-rm"]
        if self.isolation:
            args += ["--isolation", self.isolation]
        return args

    def build(self, dockerfile_text, context_dir, tag, *, ignorefile_text=None, progress=None, cache=False) -> BuiltImage:
        work = Path(tempfile.mkdtemp(prefix="build-", dir=self._workdir()))
        try:
            df = work / "Dockerfile"
            _write(df, dockerfile_text)
            iid = work / "iid"
            args = [a for a in self.build_args() if not (cache and a == "--no-cache")]
            cmd = self.global_args() + [self.build_subcommand] + args
            cmd += ["--iidfile", str(iid), "-t", tag, "-f", str(df)]
            if ignorefile_text is not None:
                ign = work / "dockerignore"
                _write(ign, ignorefile_text)
                cmd += ["--ignorefile", str(ign)]
            cmd.append(str(context_dir))
            # RUN --mount=type=cache directories live under $TMPDIR (default /var/tmp): give each
            # build its own, so the rewritten build does not reuse the original's cache mounts and
            # nothing is left behind.
            (work / "tmp").mkdir()
            env = {**os.environ, "TMPDIR": str(work / "tmp")}
            before = self._image_ids()
            steps: list[str] = []
            t0 = time.monotonic()
            code, out = _stream(cmd, progress, self.timeout, env=env, steps=steps)
            seconds = time.monotonic() - t0
            if code != 0:
                # --layers committed the steps before the failure as untagged images: remove them
                # (the working container is removed by --force-rm).
                left = sorted((self._image_ids() or set()) - before) if before is not None else []
                if left:
                    try:  # one call: buildah orders the removals (children first)
                        _run(self.global_args() + ["rmi", "-f", *left], timeout=300)
                    except VerifyEnvironmentError:
                        pass
                raise BuildFailed(f"{self.exe} build failed (exit {code})", out, steps)
            image_id = iid.read_text().strip() if iid.exists() else ""
            return BuiltImage(tag=tag, image_id=image_id, seconds=seconds, log=out)
        finally:
            shutil.rmtree(work, ignore_errors=True)

    def _image_ids(self) -> set[str] | None:
        """Every image in the store (intermediate ones too); None when the engine does not say."""
        try:
            p = _run(self.global_args() + ["images", "-a", "-q", "--no-trunc", "--noheading"], timeout=120)
        except VerifyEnvironmentError:
            return None
        return set(p.stdout.split()) if p.returncode == 0 else None

    def _fast_export_ok(self) -> bool:
        return bool(self.fast_export and self.storage_driver and shutil.which("skopeo"))

    def export(self, tag: str, dest: Path | None = None) -> ExportedImage:
        if self._fast_export_ok():
            layout = self._workdir() / "exports"
            name = normalize_ref(tag).rsplit("/", 1)[-1].replace(":", "_")
            src = f"containers-storage:[{self.storage_driver}@{self.root}+{self.runroot}]{normalize_ref(tag)}"
            cmd = ["skopeo", "copy", "-q", "--dest-oci-accept-uncompressed-layers", src, f"oci:{layout}:{name}"]
            _run(cmd, timeout=self.timeout, check=True)
            return read_oci_layout(layout, ref_name=name)
        if dest is None:
            dest = Path(tempfile.mkdtemp(prefix="export-", dir=self._workdir())) / "oci"
        _run(self.global_args() + ["push", "-q", tag, f"oci:{dest}"], timeout=self.timeout, check=True)
        return read_oci_layout(dest)

    def discard(self, images: list[ExportedImage]) -> None:
        shared = [i for i in images if i.layout is not None and i.layout == self._workdir() / "exports"]
        if shared:
            discard_from_layout(shared)
        super().discard([i for i in images if i not in shared])

    def _owns(self, path: Path) -> bool:
        return self._tmp is not None and Path(self._tmp) in Path(path).parents

    def remove(self, tag: str) -> None:
        try:
            _run(self.global_args() + ["rmi", "-f", tag], timeout=300)
        except VerifyEnvironmentError:
            pass

    def run(self, tag: str, argv: list[str], timeout: float = 120) -> tuple[int | None, str]:
        if self.exe != "buildah":
            p = _run(self.global_args() + ["run", "--rm", "--entrypoint", "", tag, *argv], timeout=timeout)
            return p.returncode, p.stdout + p.stderr
        p = _run(self.global_args() + ["from", "--pull=never", "-q", tag], timeout=300)
        if p.returncode != 0:
            raise VerifyEnvironmentError(f"buildah from {tag} failed: {p.stderr.strip()[-500:]}")
        ctr = p.stdout.strip().splitlines()[-1]
        try:
            cmd = self.global_args() + ["run"] + (["--isolation", self.isolation] if self.isolation else [])
            try:
                p = _run(cmd + [ctr, "--", *argv], timeout=timeout)
            except VerifyEnvironmentError as e:
                return None, str(e)
            return p.returncode, p.stdout + p.stderr
        finally:
            try:
                _run(self.global_args() + ["rm", ctr], timeout=300)
            except VerifyEnvironmentError:
                pass

    def close(self) -> None:
        if self._tmp is not None and self._own_store:
            # Containers may hold mounts under the store (overlay); unmount before deleting.
            try:
                _run(self.global_args() + ["rm", "--all"], timeout=300)
                if self.exe == "buildah":
                    _run(self.global_args() + ["umount", "--all"], timeout=300)
            except VerifyEnvironmentError:
                pass
            _unmount_under(Path(self._tmp))
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None


def _unmount_under(path: Path) -> None:
    """Unmount anything still mounted below ``path`` (deepest first)."""
    try:
        with open("/proc/self/mounts") as f:
            points = [line.split()[1] for line in f]
    except OSError:
        return
    prefix = str(path.resolve()) + "/"
    for mp in sorted((m for m in points if m.startswith(prefix)), key=len, reverse=True):
        subprocess.run(["umount", "-l", mp], capture_output=True)


class BuildahEngine(_StorageEngine):
    """buildah bud with an isolated store (see module docstring)."""

    name = "buildah"
    exe = "buildah"
    build_subcommand = "bud"


class PodmanEngine(_StorageEngine):
    """podman build with an isolated store (tests/e2e/test_engines.py builds with it).

    Chroot isolation, as with buildah: RUNs use the host network, and a failing RUN is reported
    as ``exit status N``. With an OCI runtime podman 4.x reports it as ``while running runtime:
    exit status N``, which is also what a runtime that cannot start says (crun under cgroups v1
    here), so failures could not be told from engine trouble."""

    name = "podman"
    exe = "podman"
    build_subcommand = "build"

    def __init__(self, *args, isolation: str | None = "chroot", **kw) -> None:
        super().__init__(*args, isolation=isolation, **kw)

    def available(self) -> bool:
        if not super().available():
            return False
        try:
            return _run(["podman", "info"], timeout=30).returncode == 0
        except VerifyEnvironmentError:
            return False

    def has_image(self, ref: str) -> bool:
        return _run(self.global_args() + ["image", "exists", ref], timeout=120).returncode == 0

    def install_hint(self) -> str:
        return "install podman (Debian/Ubuntu: apt-get install -y podman)"


class DockerEngine(Engine):
    """docker build against a running daemon.  Thin: not exercised on the project's machines
    (there is no daemon there).  Built images go into the daemon's store and are removed after."""

    name = "docker"

    def __init__(self, timeout: float = 3600) -> None:
        self.timeout = timeout
        self._tmp: str | None = None

    def _workdir(self) -> Path:
        if self._tmp is None:
            self._tmp = tempfile.mkdtemp(prefix="dockeropt-docker-")
        return Path(self._tmp)

    def available(self) -> bool:
        if shutil.which("docker") is None:
            return False
        try:
            return _run(["docker", "info", "--format", "{{.ServerVersion}}"], timeout=15).returncode == 0
        except VerifyEnvironmentError:
            return False

    def version(self) -> str:
        try:
            p = _run(["docker", "version", "--format", "{{.Server.Version}}"], timeout=15)
            return f"docker {p.stdout.strip()}" if p.returncode == 0 else "docker"
        except VerifyEnvironmentError:
            return "docker"

    def install_hint(self) -> str:
        return "start a Docker daemon (`docker info` must answer)"

    def has_image(self, ref: str) -> bool:
        return _run(["docker", "image", "inspect", ref], timeout=60).returncode == 0

    def build(self, dockerfile_text, context_dir, tag, *, ignorefile_text=None, progress=None, cache=False) -> BuiltImage:
        work = Path(tempfile.mkdtemp(prefix="build-", dir=self._workdir()))
        try:
            df = work / "Dockerfile"
            _write(df, dockerfile_text)
            if ignorefile_text is not None:  # BuildKit reads <Dockerfile>.dockerignore first
                _write(work / "Dockerfile.dockerignore", ignorefile_text)
            iid = work / "iid"
            cmd = ["docker", "build", *([] if cache else ["--no-cache"]), "--progress=plain", "--iidfile", str(iid)]
            cmd += ["-t", tag, "-f", str(df), str(context_dir)]
            env = {**os.environ, "DOCKER_BUILDKIT": "1"}
            steps: list[str] = []
            t0 = time.monotonic()
            code, out = _stream(cmd, progress, self.timeout, env=env, steps=steps)
            seconds = time.monotonic() - t0
            if code != 0:
                raise BuildFailed(f"docker build failed (exit {code})", out, steps)
            image_id = iid.read_text().strip() if iid.exists() else ""
            return BuiltImage(tag=tag, image_id=image_id, seconds=seconds, log=out)
        finally:
            shutil.rmtree(work, ignore_errors=True)

    def export(self, tag: str, dest: Path | None = None) -> ExportedImage:
        archive = self._workdir() / f"save-{time.monotonic_ns()}.tar"
        if dest is None:
            dest = Path(tempfile.mkdtemp(prefix="export-", dir=self._workdir()))
        try:
            _run(["docker", "save", "-o", str(archive), tag], timeout=self.timeout, check=True)
            img = read_docker_archive(archive, dest)
            img.layout = dest
            return img
        finally:
            archive.unlink(missing_ok=True)

    def _owns(self, path: Path) -> bool:
        return self._tmp is not None and Path(self._tmp) in Path(path).parents

    def remove(self, tag: str) -> None:
        try:
            _run(["docker", "rmi", "-f", tag], timeout=300)
        except VerifyEnvironmentError:
            pass

    def run(self, tag: str, argv: list[str], timeout: float = 120) -> tuple[int | None, str]:
        try:
            p = _run(["docker", "run", "--rm", "--network", "none", "--entrypoint", "", tag, *argv], timeout=timeout)
        except VerifyEnvironmentError as e:
            return None, str(e)
        return p.returncode, p.stdout + p.stderr

    def close(self) -> None:
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None


ENGINES: dict[str, type[Engine]] = {"buildah": BuildahEngine, "podman": PodmanEngine, "docker": DockerEngine}


def get_engine(name: str | Engine = "auto") -> Engine:
    """An engine object by name; ``auto``: docker if a daemon answers, else podman, else buildah.
    Raises :class:`VerifyEnvironmentError` naming what to install when nothing is usable."""
    if isinstance(name, Engine):
        if not name.available():
            raise VerifyEnvironmentError(f"{name.name} is not usable here: {name.install_hint()}")
        return name
    if name == "auto":
        for cls in (DockerEngine, PodmanEngine, BuildahEngine):
            eng = cls()
            if eng.available():
                return eng
        raise VerifyEnvironmentError(
            "no container build engine found: install buildah (Debian/Ubuntu: apt-get install -y "
            "buildah runc) or podman, or start a Docker daemon"
        )
    cls = ENGINES.get(name)
    if cls is None:
        raise VerifyEnvironmentError(f"unknown engine {name!r}; choose auto, {', '.join(ENGINES)}")
    eng = cls()
    if not eng.available():
        raise VerifyEnvironmentError(f"{name} is not usable here: {eng.install_hint()}")
    return eng
