"""The pre-commit hooks (.pre-commit-hooks.yaml): their file patterns pick the names a directory
search picks, and the real ``pre-commit try-repo`` runs them on a temporary git repository.

try-repo installs the hook's environment from this checkout with pip, which fetches dockeropt's
dependencies from PyPI: without pre-commit, git or network the test skips (CI=true: it fails).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from dockeropt.files import is_dockerfile_name

yaml = pytest.importorskip("yaml")
ROOT = Path(__file__).resolve().parents[1]
HOOKS = ROOT / ".pre-commit-hooks.yaml"
CI = os.environ.get("CI") == "true"

NAMES = [
    "Dockerfile", "dockerfile", "DOCKERFILE", "Containerfile", "containerfile", "Dockerfile.prod",
    "Dockerfile-cuda", "Dockerfile_gaudi", "app.Dockerfile", "app.dockerfile", "x.Containerfile",
    "x.containerfile", "Dockerfile.j2", "Dockerfile-ubi.template", "Dockerfile.orig", "Dockerfile.md",
    "Dockerfile.dockerignore", "Dockerfile~", "x.dockerfile~", "dockerfile.lark", "dockerfile_test.go",
    "dockerfile.vim", "Dockerfile.", "Dockerfile.JSON", "Dockerfile.json.dockerfile", ".dockerfile",
    "Dockerfile.in", "Dockerfile.inc", "Containerfile.fedora", "README.md", "Makefile", "Dockerfiles",
    "Dockerfile.prod.bak", "Dockerfile-a.b-md", "Dockerfile.xmd", "my.Dockerfile.j2",
]


def _hooks() -> dict:
    return {h["id"]: h for h in yaml.safe_load(HOOKS.read_text())}


def _picked(hook: dict, path: str) -> bool:
    return bool(re.search(hook["files"], path)) and not re.search(hook["exclude"], path)


def test_hooks_are_declared():
    hooks = _hooks()
    assert set(hooks) == {"dockeropt", "dockeropt-check"}
    assert hooks["dockeropt"]["entry"].split()[:2] == ["dockeropt", "--write"]
    assert hooks["dockeropt-check"]["entry"].split()[:2] == ["dockeropt", "--check"]
    for h in hooks.values():
        assert h["language"] == "python" and "--force-exclude" in h["entry"]


def test_hook_file_patterns_agree_with_discovery(corpus):
    hooks = _hooks()
    names = list(NAMES) + sorted({p.name.rsplit("__", 1)[-1] for p in (corpus / "files").iterdir()})
    for hook in hooks.values():
        for name in names:
            for path in (name, f"sub/dir/{name}"):
                assert _picked(hook, path) == is_dockerfile_name(name), (hook["id"], path)


def _network() -> bool:
    import socket

    try:
        socket.create_connection(("pypi.org", 443), timeout=5).close()
        return True
    except OSError:
        return False


def _skip(why: str):
    if CI:
        pytest.fail(why)
    pytest.skip(why)


@pytest.fixture
def precommit():
    exe = shutil.which("pre-commit", path=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    if not exe:
        _skip("pre-commit not installed (pip install -e '.[test]')")
    if not shutil.which("git"):
        _skip("git not installed")
    if not _network():
        _skip("no network: pre-commit installs the hook's environment from PyPI")
    return exe


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True,
                   env={**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
                        "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"})


def test_pre_commit_try_repo_runs_both_hooks(tmp_path, precommit):
    # this checkout as the hook repository, with what is not committed yet (try-repo copies it)
    hooks_repo = tmp_path / "hooks"
    shutil.copytree(ROOT, hooks_repo, ignore=shutil.ignore_patterns(
        ".git", ".venv", "__pycache__", "*.egg-info", "build", ".pytest_cache", ".hypothesis", "corpus", "tests"))
    _git(hooks_repo, "init", "-q")
    _git(hooks_repo, "add", "-A")
    _git(hooks_repo, "commit", "-qm", "hooks")

    work = tmp_path / "work"
    (work / "app").mkdir(parents=True)
    _git(work, "init", "-q")
    merge = "FROM debian:bookworm-slim\nRUN echo a > /a\nRUN echo b > /b\n"
    (work / "app" / "Dockerfile").write_text(merge)
    (work / "app" / "Dockerfile.j2").write_text("FROM {{ base }}\nRUN a\nRUN b\n")  # a template: not touched
    (work / "ok.Dockerfile").write_text("FROM debian:bookworm-slim\nRUN echo a > /a\n")
    _git(work, "add", "-A")
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "cache"), "PRE_COMMIT_COLOR": "never"}
    env.pop("PYTHONPATH", None)

    def try_repo(hook: str) -> subprocess.CompletedProcess:
        return subprocess.run([precommit, "try-repo", str(hooks_repo), hook, "--all-files", "--verbose"],
                              cwd=work, env=env, capture_output=True, text=True, timeout=900)

    check = try_repo("dockeropt-check")
    out = check.stdout + check.stderr
    if check.returncode != 1 and ("Could not find a version" in out or "connection" in out.lower()):
        _skip(f"pre-commit could not install the hook's environment:\n{out[-1500:]}")
    assert check.returncode == 1, out
    assert "would rewrite app/Dockerfile" in out and "ok.Dockerfile" not in out.split("would rewrite")[-1]
    assert (work / "app" / "Dockerfile").read_text() == merge  # the check changes nothing

    fix = try_repo("dockeropt")
    out = fix.stdout + fix.stderr
    assert fix.returncode == 1, out  # pre-commit fails a hook that changed files
    assert "files were modified by this hook" in out
    assert (work / "app" / "Dockerfile").read_text() == (
        "FROM debian:bookworm-slim\nRUN echo a > /a && \\\n    echo b > /b\n")
    assert (work / "app" / "Dockerfile.j2").read_text() == "FROM {{ base }}\nRUN a\nRUN b\n"

    _git(work, "add", "-A")
    again = try_repo("dockeropt-check")
    assert again.returncode == 0, again.stdout + again.stderr
