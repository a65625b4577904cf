"""The command line and the file system: discovery, reading, writing back, signals."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

import dockeropt
from dockeropt.cli import discover, is_dockerfile_name, main

SRC = str(Path(dockeropt.__file__).resolve().parents[1])
REPO = Path(SRC).parent
MERGEABLE = "FROM debian:bookworm-slim\nRUN echo a > /a\nRUN echo b > /b\n"
MERGED = "FROM debian:bookworm-slim\nRUN echo a > /a && \\\n    echo b > /b\n"
CLEAN = "FROM debian:bookworm-slim\nRUN echo a > /a\n"
posix_only = pytest.mark.skipif(os.name != "posix", reason="POSIX file semantics")


def run_cli(*args, cwd=None, timeout=60, env=None, driver=None, stdin=None):
    """The CLI as a separate process (optionally through a driver script that patches first)."""
    full_env = {**os.environ, "PYTHONPATH": SRC, **(env or {})}
    full_env.pop("DOCKEROPT_DEBUG", None) if "DOCKEROPT_DEBUG" not in (env or {}) else None
    cmd = [sys.executable, "-c", driver, *args] if driver else [sys.executable, "-m", "dockeropt", *args]
    return subprocess.run(cmd, capture_output=True, text=True, cwd=cwd, timeout=timeout, env=full_env,
                          stdin=stdin if stdin is not None else subprocess.DEVNULL)


def leftovers(directory) -> list[str]:
    return sorted(str(p) for p in Path(directory).rglob(".dockeropt-*"))


# --- discovery: names -------------------------------------------------------------------------

DOCKERFILE_NAMES = [
    "Dockerfile", "dockerfile", "DOCKERFILE", "Containerfile", "containerfile",
    "Dockerfile.prod", "Dockerfile.windows.amd64", "Dockerfile.python3.13-slim",
    "Dockerfile-cuda", "Dockerfile-windows", "Dockerfile_gaudi", "Dockerfile_test_add",
    "Containerfile.debug-ubi", "Containerfile-arm64",
    "app.Dockerfile", "x64-debug.Dockerfile", "nginx.dockerfile", "base.containerfile", "base.Containerfile",
]
NOT_DOCKERFILE_NAMES = [
    "dockerfile.lark",  # this project's grammar
    "dockerfile_test.go", "dockerfile.vim", "dockerfile-mode.el", "dockerfile.py",
    "Dockerfile.j2", "Dockerfile.jinja", "Dockerfile.template", "Dockerfile-ubi.template",
    "Dockerfile.tmpl", "Dockerfile.tpl", "Dockerfile.in", "Dockerfile.erb",
    "Dockerfile.dockerignore", "app.Dockerfile.dockerignore",  # BuildKit's per-Dockerfile ignore file
    "Dockerfile.md", "Dockerfile.txt", "Dockerfile.orig", "Dockerfile.rej", "Dockerfile.bak",
    "Dockerfile.patch", "Dockerfile~", "Dockerfile.prod~",
    ".dockerfile", ".Dockerfile", "Dockerfiles", "DockerfileLint", "Dockerfile.", "Dockerfile-",
    "notes.txt", "docker-compose.yml", ".dockerignore",
]


@pytest.mark.parametrize("name", DOCKERFILE_NAMES)
def test_dockerfile_names_are_found(name):
    assert is_dockerfile_name(name)


@pytest.mark.parametrize("name", NOT_DOCKERFILE_NAMES)
def test_non_dockerfile_names_are_not(name):
    assert not is_dockerfile_name(name)


def test_every_naming_convention_of_the_corpus_is_found(corpus):
    """The corpus's MANIFEST has each file's path in its repository: the real naming conventions."""
    names = []
    for line in (corpus / "MANIFEST.tsv").read_text().splitlines()[1:]:
        path = line.split("\t")[2]
        names.append(path.rsplit("/", 1)[-1])
    missed = sorted({n for n in names if not is_dockerfile_name(n)})
    # lower-case 'dockerfile' + suffix is left out on purpose: it is also how tools name their
    # Dockerfile support code (dockerfile.lark, dockerfile_test.go, dockerfile.vim ...)
    assert missed == ["dockerfile_1"], missed


def test_the_projects_own_checkout_has_no_false_dockerfile():
    found = discover([str(REPO / "src")])
    assert not any(f.endswith(".lark") for f in found), found
    assert found == []


def test_directory_discovery_with_real_conventions(tmp_path):
    for rel in DOCKERFILE_NAMES + NOT_DOCKERFILE_NAMES:
        if rel in ("DOCKERFILE", "containerfile"):  # case-insensitive file systems: one name each
            continue
        (tmp_path / "d").mkdir(exist_ok=True)
        (tmp_path / "d" / rel).write_text(CLEAN)
    found = {os.path.basename(f) for f in discover([str(tmp_path)])}
    assert found == set(DOCKERFILE_NAMES) - {"DOCKERFILE", "containerfile"}


def test_explicit_file_is_processed_whatever_its_name(tmp_path, capsys):
    f = tmp_path / "notes.txt"
    f.write_text(MERGEABLE)
    assert main(["--check", str(f)]) == 1


# --- discovery: odd file-system objects --------------------------------------------------------

@posix_only
def test_fifo_named_dockerfile_in_a_directory_is_skipped_with_a_note(tmp_path):
    (tmp_path / "a").mkdir()
    os.mkfifo(tmp_path / "a" / "Dockerfile")
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "Dockerfile").write_text(MERGEABLE)
    proc = run_cli("--check", str(tmp_path), timeout=30)  # today: blocks forever on the FIFO
    assert proc.returncode == 1, proc.stderr
    assert f"{tmp_path}/a/Dockerfile: note: skipped, not a regular file (FIFO)" in proc.stderr
    assert proc.stdout == f"would rewrite {tmp_path}/b/Dockerfile\n"


@posix_only
def test_fifo_given_explicitly_is_an_error(tmp_path):
    fifo = tmp_path / "Dockerfile"
    os.mkfifo(fifo)
    proc = run_cli("--check", str(fifo), timeout=30)
    assert proc.returncode == 2
    assert f"{fifo}: not a regular file (FIFO)" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_unreadable_directory_is_reported_not_skipped(tmp_path, monkeypatch, capsys):
    (tmp_path / "ok").mkdir()
    (tmp_path / "ok" / "Dockerfile").write_text(CLEAN)
    locked = tmp_path / "locked"
    locked.mkdir()
    real_scandir = os.scandir

    def scandir(path="."):  # root reads any directory: simulate the permission error
        if os.fspath(path) == str(locked):
            raise PermissionError(13, "Permission denied", str(locked))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    assert main(["--check", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert f"{locked}: cannot read directory: Permission denied" in err
    assert "1 file(s) checked" in err


@posix_only
@pytest.mark.skipif(os.name == "posix" and os.geteuid() == 0, reason="root reads every directory")
def test_unreadable_directory_for_real(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    (locked / "Dockerfile").write_text(CLEAN)
    locked.chmod(0)
    try:
        proc = run_cli("--check", str(tmp_path))
    finally:
        locked.chmod(0o755)
    assert proc.returncode == 2
    assert "cannot read directory" in proc.stderr


@pytest.fixture
def deep_tree(tmp_path):
    """tmp_path/a/a/.../a/Dockerfile, 1,500 levels; removed iteratively afterwards (shutil.rmtree,
    which pytest uses to clean up, recurses and would fail on it)."""
    dirs = []
    path = str(tmp_path / "deep")
    os.mkdir(path)
    dirs.append(path)
    for _ in range(1500):
        path = os.path.join(path, "a")
        os.mkdir(path)
        dirs.append(path)
    dockerfile = os.path.join(path, "Dockerfile")
    with open(dockerfile, "w") as f:
        f.write(MERGEABLE)
    yield dirs[0]
    for p in [dockerfile, *leftovers(dirs[-1])]:
        if os.path.exists(p):
            os.remove(p)
    for d in reversed(dirs):
        os.rmdir(d)


def test_very_deep_tree_is_walked_without_recursion(deep_tree):
    proc = run_cli("--check", deep_tree)
    assert "Traceback" not in proc.stderr, proc.stderr[-500:]
    assert proc.returncode == 1
    assert "1 file(s) checked, 1 would be rewritten" in proc.stderr


def test_symlinked_directories_are_not_followed(tmp_path):
    (tmp_path / "real").mkdir()
    (tmp_path / "real" / "Dockerfile").write_text(CLEAN)
    (tmp_path / "real" / "loop").symlink_to(tmp_path)
    (tmp_path / "real" / "Dockerfile.d").symlink_to(tmp_path)
    notes = []
    found = discover([str(tmp_path)], on_note=lambda p, m: notes.append((p, m)))
    assert [os.path.relpath(f, tmp_path) for f in found] == ["real/Dockerfile"]
    assert notes == []


def test_broken_link_named_dockerfile_is_a_note(tmp_path):
    (tmp_path / "Dockerfile").symlink_to(tmp_path / "gone")
    notes = []
    assert discover([str(tmp_path)], on_note=lambda p, m: notes.append((p, m))) == []
    assert notes == [(str(tmp_path / "Dockerfile"), "skipped, not a regular file (broken symbolic link)")]


# --- unexpected errors -------------------------------------------------------------------------

def test_internal_error_is_one_line_exit_2_and_other_files_go_on(tmp_path, monkeypatch, capsys):
    import dockeropt.rewriter.engine as engine

    real = engine.rewrite
    bad = tmp_path / "bad" / "Dockerfile"
    bad.parent.mkdir()
    bad.write_text(MERGEABLE)
    good = tmp_path / "good" / "Dockerfile"
    good.parent.mkdir()
    good.write_text(MERGEABLE)

    def rewrite(text, **kw):
        if kw.get("path") == str(bad):
            raise KeyError("boom")
        return real(text, **kw)

    monkeypatch.setattr(engine, "rewrite", rewrite)
    monkeypatch.delenv("DOCKEROPT_DEBUG", raising=False)
    assert main(["--check", str(bad), str(good)]) == 2
    captured = capsys.readouterr()
    assert f"dockeropt: internal error in {bad}: KeyError: 'boom'\n" in captured.err
    assert "Traceback" not in captured.err
    assert captured.out == f"would rewrite {good}\n"
    monkeypatch.setenv("DOCKEROPT_DEBUG", "1")
    with pytest.raises(KeyError):
        main(["--check", str(bad)])


def test_internal_error_in_a_process_never_exits_1(tmp_path):
    f = tmp_path / "Dockerfile"
    f.write_text(MERGEABLE)
    driver = (
        "import sys, dockeropt.rewriter.engine as e\n"
        "def boom(*a, **k): raise RuntimeError('kaputt')\n"
        "e.rewrite = boom\n"
        "from dockeropt.cli import main\n"
        "sys.exit(main(sys.argv[1:]))\n"
    )
    proc = run_cli("--check", str(f), driver=driver)
    assert proc.returncode == 2
    assert proc.stderr.splitlines()[0] == f"dockeropt: internal error in {f}: RuntimeError: kaputt"
    assert "Traceback" not in proc.stderr


# --- --write -----------------------------------------------------------------------------------

@posix_only
def test_read_only_file_is_not_replaced(tmp_path, capsys):
    p = tmp_path / "Dockerfile"
    p.write_text(MERGEABLE)
    p.chmod(0o444)
    assert main(["--write", str(p)]) == 2
    assert p.read_text() == MERGEABLE
    assert stat.S_IMODE(p.stat().st_mode) == 0o444
    err = capsys.readouterr().err
    assert f"{p}: not written: the file is read-only (mode 0444)" in err
    assert "1 file(s) checked, 0 rewritten, 1 error(s)" in err  # not counted as rewritten
    assert leftovers(tmp_path) == []


@posix_only
@pytest.mark.skipif(os.name != "posix" or os.geteuid() != 0, reason="chown needs root")
def test_as_root_a_file_keeps_its_owner_group_and_mode(tmp_path):
    p = tmp_path / "Dockerfile"
    p.write_text(MERGEABLE)
    os.chown(p, 12345, 23456)
    p.chmod(0o664)
    assert main(["--write", str(p)]) == 0
    st = p.stat()
    assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (12345, 23456, 0o664)
    assert p.read_text() == MERGED


@posix_only
def test_setgid_and_odd_modes_survive(tmp_path):
    p = tmp_path / "Dockerfile"
    p.write_text(MERGEABLE)
    p.chmod(0o2755)
    assert main(["--write", str(p)]) == 0
    assert stat.S_IMODE(p.stat().st_mode) == 0o2755


@posix_only
def test_hard_linked_file_is_refused_and_both_names_stay_as_they_were(tmp_path, capsys):
    p = tmp_path / "Dockerfile"
    p.write_text(MERGEABLE)
    other = tmp_path / "Dockerfile.copy"
    os.link(p, other)
    assert main(["--write", str(p)]) == 2
    err = capsys.readouterr().err
    assert f"{p}: not written: the file has 2 hard links" in err
    assert p.read_text() == other.read_text() == MERGEABLE
    assert os.stat(p).st_ino == os.stat(other).st_ino
    assert leftovers(tmp_path) == []


def test_file_changed_while_running_is_not_overwritten(tmp_path, monkeypatch, capsys):
    import dockeropt.rewriter.engine as engine

    real = engine.rewrite
    p = tmp_path / "Dockerfile"
    p.write_text(MERGEABLE)

    def rewrite(text, **kw):
        result = real(text, **kw)
        p.write_text(MERGEABLE + "# edited meanwhile\n")  # an editor saves while we work
        return result

    monkeypatch.setattr(engine, "rewrite", rewrite)
    assert main(["--write", str(p)]) == 2
    assert f"{p}: not written: the file changed since dockeropt read it" in capsys.readouterr().err
    assert p.read_text() == MERGEABLE + "# edited meanwhile\n"


SIGNAL_DRIVER = """
import os, signal, sys, time
import dockeropt.rewriter.engine as engine
from dockeropt.cli import main
sig = getattr(signal, os.environ["TEST_SIGNAL"])
where = os.environ["TEST_WHERE"]
if where == "replace":       # the signal arrives while the file is being replaced
    real_replace = os.replace
    def replace(a, b, *k, **kw):
        os.kill(os.getpid(), sig)
        return real_replace(a, b, *k, **kw)
    os.replace = replace
else:                        # the signal arrives while a file is being rewritten
    real_rewrite = engine.rewrite
    def rewrite(*a, **kw):
        os.kill(os.getpid(), sig)
        time.sleep(0.5)
        return real_rewrite(*a, **kw)
    engine.rewrite = rewrite
sys.exit(main(sys.argv[1:]))
"""


@posix_only
@pytest.mark.parametrize("where", ["replace", "rewrite"])
def test_sigterm_leaves_no_temp_file_and_no_half_written_file(tmp_path, where):
    files = []
    for i in range(3):
        p = tmp_path / f"s{i}" / "Dockerfile"
        p.parent.mkdir()
        p.write_text(MERGEABLE)
        files.append(p)
    proc = run_cli("--write", *map(str, files), driver=SIGNAL_DRIVER,
                   env={"TEST_SIGNAL": "SIGTERM", "TEST_WHERE": where})
    assert proc.returncode == 143, proc.stderr
    assert proc.stderr.endswith("dockeropt: terminated\n")
    assert "Traceback" not in proc.stderr
    assert leftovers(tmp_path) == []
    assert all(p.read_text() in (MERGEABLE, MERGED) for p in files)
    assert files[-1].read_text() == MERGEABLE  # it stopped


@posix_only
@pytest.mark.parametrize("where", ["replace", "rewrite"])
def test_ctrl_c_prints_one_line_and_exits_130(tmp_path, where):
    p = tmp_path / "Dockerfile"
    p.write_text(MERGEABLE)
    proc = run_cli("--write", str(p), driver=SIGNAL_DRIVER, env={"TEST_SIGNAL": "SIGINT", "TEST_WHERE": where})
    assert proc.returncode == 130
    assert proc.stderr == "dockeropt: interrupted\n"
    assert leftovers(tmp_path) == []
    assert p.read_text() in (MERGEABLE, MERGED)


@posix_only
def test_sigterm_from_outside_during_a_long_write_run(tmp_path):
    for i in range(300):
        d = tmp_path / f"d{i:03}"
        d.mkdir()
        (d / "Dockerfile").write_text(MERGEABLE)
    env = {**os.environ, "PYTHONPATH": SRC}
    proc = subprocess.Popen([sys.executable, "-m", "dockeropt", "--write", str(tmp_path)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True)
    time.sleep(1.0)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    # -SIGTERM: on a loaded machine the signal can come before the interpreter installed the
    # handler (nothing was written yet then); what matters is below: no traceback, no leftovers
    assert proc.returncode in (0, 143, -signal.SIGTERM), err
    assert "Traceback" not in err
    assert leftovers(tmp_path) == []
    assert all((d / "Dockerfile").read_text() in (MERGEABLE, MERGED) for d in tmp_path.iterdir())
