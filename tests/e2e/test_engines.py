"""``verify`` on the engines users have: the apt and failure cases built with Docker (BuildKit, a
real daemon started for the session) and with Podman, and cache-mount rewrites built with
Docker's BuildKit (buildah 1.28 cannot run ``--cache-strategy mount`` output).

Docker: Debian's ``docker.io`` daemon, started here with its own data root, socket and the vfs
driver (``../shared/notes/real-builds.md``), the base image loaded from the same OCI archive as
the buildah tests (skopeo -> docker-archive -> ``docker load``). The daemon is stopped by its pid
at the end. Podman: Debian's ``podman`` with its own store (chroot isolation). In CI (CI=true)
missing packages are installed with apt-get and a failure to run fails the tests; elsewhere they
skip with the reason.

Cache mounts: the cache-mounts rule adds ``# syntax=docker/dockerfile:1``, which makes BuildKit
fetch that frontend from Docker Hub; with no registry here the line is dropped before building
(BuildKit's built-in frontend runs ``RUN --mount=type=cache``). Everything else is built as
written.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from e2e_env import BASE_REF, in_ci, unavailable
from test_cases import CASES, _diff, load_case

APT_AND_FAILURE = ["apt-update-install", "fail-exit-1-middle", "fail-apt-lists-sh-c", "fail-set-o-errexit"]
CACHE_MOUNT = ["apt-update-install", "apt-two-installs"]


def _apt_install(*packages: str) -> None:
    if os.geteuid() != 0:
        unavailable(f"{' '.join(packages)} missing and not root to install them")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    p = subprocess.run(["apt-get", "install", "-y", "-qq", *packages], capture_output=True, text=True, env=env,
                       timeout=1200)
    if p.returncode != 0:
        subprocess.run(["apt-get", "update", "-qq"], capture_output=True, env=env, timeout=600)
        p = subprocess.run(["apt-get", "install", "-y", "-qq", *packages], capture_output=True, text=True,
                           env=env, timeout=1200)
    if p.returncode != 0:
        unavailable(f"apt-get install {' '.join(packages)} failed: {p.stderr[-500:]}")


def _need(tool: str, package: str) -> None:
    if shutil.which(tool) is None:
        if not in_ci():
            unavailable(f"{tool} is not installed (apt-get install -y {package})")
        _apt_install(package)


@pytest.fixture(scope="session")
def docker_engine(e2e_base):
    """A DockerEngine against a daemon of our own (its pid is the only one we stop)."""
    _need("dockerd", "docker.io")
    from dockeropt.verify import DockerEngine

    work = Path(tempfile.mkdtemp(prefix="dockeropt-dockerd-"))
    sock = work / "docker.sock"
    log = open(work / "dockerd.log", "w")
    daemon = subprocess.Popen(
        ["dockerd", "--data-root", str(work / "data"), "--exec-root", str(work / "exec"),
         "--storage-driver", "vfs", "--host", f"unix://{sock}", "--pidfile", str(work / "dockerd.pid")],
        stdout=log, stderr=subprocess.STDOUT)
    saved = {k: os.environ.get(k) for k in ("DOCKER_HOST", "PATH")}
    os.environ["DOCKER_HOST"] = f"unix://{sock}"
    # Debian's client builds with BuildKit by itself; a newer client on PATH may want buildx
    bindir = work / "bin"
    bindir.mkdir()
    if Path("/usr/bin/docker").exists():
        (bindir / "docker").symlink_to("/usr/bin/docker")
    os.environ["PATH"] = f"{bindir}{os.pathsep}{os.environ['PATH']}"
    try:
        deadline = time.monotonic() + 60
        while subprocess.run(["docker", "info"], capture_output=True).returncode != 0:
            if daemon.poll() is not None or time.monotonic() > deadline:
                unavailable(f"dockerd did not start: {(work / 'dockerd.log').read_text()[-1500:]}")
            time.sleep(0.5)
        archive = work / "base.tar"
        path = e2e_base.split(":", 1)[1]
        p = subprocess.run(["skopeo", "copy", "-q", f"oci-archive:{path}", f"docker-archive:{archive}:{BASE_REF}"],
                           capture_output=True, text=True, timeout=600)
        if p.returncode != 0:
            unavailable(f"skopeo could not convert the base image: {p.stderr[-500:]}")
        p = subprocess.run(["docker", "load", "-i", str(archive)], capture_output=True, text=True, timeout=600)
        archive.unlink(missing_ok=True)
        if p.returncode != 0:
            unavailable(f"docker load failed: {p.stderr[-500:]}")
        eng = DockerEngine()
        if not eng.available() or not eng.has_image(BASE_REF):
            unavailable("the Docker engine is not usable")
        yield eng
        eng.close()
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        daemon.send_signal(signal.SIGTERM)
        try:
            daemon.wait(timeout=60)
        except subprocess.TimeoutExpired:
            daemon.kill()
            daemon.wait()
        log.close()
        shutil.rmtree(work, ignore_errors=True)


@pytest.fixture(scope="session")
def podman_engine(e2e_base):
    _need("podman", "podman")
    from dockeropt.verify import PodmanEngine

    eng = PodmanEngine(base_images={BASE_REF: e2e_base}, fast_export=True)
    if not eng.available():
        unavailable("podman does not run (podman info failed)")
    if not eng.ensure_image(BASE_REF):
        unavailable(f"podman could not load {BASE_REF} from {e2e_base}")
    yield eng
    eng.close()


def _check(case_dir: Path, case: dict, text: str, report, e2e_results, engine_name: str, seconds: float):
    print(report.to_text())
    ob, nb = report.original_build, report.rewritten_build
    e2e_results.append({
        "case": f"{case_dir.name} [{engine_name}]", "seconds": seconds, "original": report.to_dict()["original"],
        "rewritten": report.to_dict()["rewritten"], "build": f"{ob.seconds:.1f} + {nb.seconds:.1f}",
        "result": report.headline(),
    })
    explain = report.to_text() + "\n" + _diff(case["text"], text)
    if case.get("expect", "build") == "build":
        assert ob.built and nb.built, explain
    else:
        assert not ob.built and ob.failure.kind == "step", explain
        if case.get("fail_line") is not None:
            assert ob.failure.step.line == case["fail_line"], explain
        assert not nb.built, f"the rewrite hides the failure\n{explain}"
    assert report.exit_code == 0, explain


def _verify(engine, case_dir: Path, case: dict, text: str, layer_cache):
    from dockeropt.verify import verify

    return verify(case["text"], text, engine=engine, context_dir=case_dir, progress=print,
                  dockerfile_name=f"{case_dir.name}/Dockerfile", layer_cache=layer_cache, build_identical=True)


@pytest.mark.e2e
@pytest.mark.parametrize("engine_name", ["docker", "podman"])
@pytest.mark.parametrize("name", APT_AND_FAILURE)
def test_apt_and_failure_cases(request, engine_name, name, e2e_results, layer_cache):
    from dockeropt.rewriter import rewrite

    engine = request.getfixturevalue(f"{engine_name}_engine")
    case_dir = CASES / name
    case = load_case(case_dir)
    t0 = time.monotonic()
    result = rewrite(case["text"], select=case.get("rules"), ignore=case.get("ignore"), unsafe=case.get("unsafe", False))
    report = _verify(engine, case_dir, case, result.text, layer_cache)
    _check(case_dir, case, result.text, report, e2e_results, engine_name, time.monotonic() - t0)


@pytest.mark.e2e
@pytest.mark.parametrize("name", CACHE_MOUNT)
def test_cache_mount_rewrites_build_with_docker_buildkit(docker_engine, name, e2e_results, layer_cache):
    from dockeropt.rewriter import rewrite

    case_dir = CASES / name
    case = load_case(case_dir)
    t0 = time.monotonic()
    result = rewrite(case["text"], cache_strategy="mount")
    assert "--mount=type=cache" in result.text, _diff(case["text"], result.text)
    assert result.text.startswith("# syntax=docker/dockerfile:1\n")
    text = result.text.split("\n", 1)[1]  # no registry here for the frontend image (see above)
    report = _verify(docker_engine, case_dir, case, text, layer_cache)
    _check(case_dir, case, text, report, e2e_results, "docker, mount", time.monotonic() - t0)
    # the caches live in the mounts, not in the image
    assert report.rewritten.uncompressed_bytes < report.original.uncompressed_bytes, report.to_text()
