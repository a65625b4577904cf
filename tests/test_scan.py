"""Repository scans: .gitignore (inside git work trees only), --exclude, --jobs with the same
output in the same order, the summary line, --quiet and --verbose."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import dockeropt
from dockeropt.cli import main

SRC = str(Path(dockeropt.__file__).resolve().parents[1])
MERGEABLE = "FROM debian:bookworm-slim\nRUN echo a > /a\nRUN echo b > /b\n"


def put(path: Path, text: str) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return str(path)


def listed(capsys) -> list[str]:
    return [line.split("would rewrite ", 1)[1] for line in capsys.readouterr().out.splitlines()]


@pytest.fixture
def repo(tmp_path):
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)  # a work tree, as far as .gitignore goes
    put(root / ".gitignore", "build/\n*.gen.Dockerfile\n!keep.gen.Dockerfile\n")
    put(root / "sub" / ".gitignore", "local/\n!Dockerfile.gen.Dockerfile\n")
    for rel in ["Dockerfile", "build/Dockerfile", "x.gen.Dockerfile", "keep.gen.Dockerfile",
                "sub/Dockerfile", "sub/local/Dockerfile", "sub/deep/build/Dockerfile"]:
        put(root / rel, MERGEABLE)
    return root


def test_gitignore_is_honoured_inside_a_work_tree(repo, capsys):
    assert main(["--check", str(repo)]) == 1
    found = sorted(os.path.relpath(p, repo) for p in listed(capsys))
    assert found == ["Dockerfile", "keep.gen.Dockerfile", "sub/Dockerfile"]


def test_gitignore_of_a_parent_directory_counts_when_scanning_below(repo, capsys):
    main(["--check", str(repo / "sub")])
    assert sorted(os.path.relpath(p, repo) for p in listed(capsys)) == ["sub/Dockerfile"]


def test_no_respect_gitignore_and_outside_a_work_tree(repo, tmp_path, capsys):
    main(["--check", "--no-respect-gitignore", str(repo)])
    assert len(listed(capsys)) == 7
    plain = tmp_path / "plain"
    shutil.copytree(repo, plain, ignore=shutil.ignore_patterns(".git"))
    main(["--check", str(plain)])
    assert len(listed(capsys)) == 7  # .gitignore means nothing outside git


def test_respect_gitignore_false_in_config(repo, capsys):
    put(repo / ".dockeropt.toml", "respect-gitignore = false\n")
    main(["--check", str(repo)])
    assert len(listed(capsys)) == 7


def test_gitignore_agrees_with_git(repo, capsys):
    git = shutil.which("git")
    if not git:
        pytest.skip("git not installed")
    shutil.rmtree(repo / ".git")
    subprocess.run([git, "init", "-q", str(repo)], check=True)
    main(["--check", str(repo)])
    ours = sorted(os.path.relpath(p, repo) for p in listed(capsys))
    theirs = subprocess.run([git, "-C", str(repo), "ls-files", "--others", "--exclude-standard"],
                            capture_output=True, text=True, check=True).stdout.split()
    assert ours == sorted(p for p in theirs if p.endswith("Dockerfile"))


def test_exclude_patterns(repo, capsys):
    main(["--check", "--exclude", "sub/", "--exclude", "keep.*", str(repo)])
    assert [os.path.relpath(p, repo) for p in listed(capsys)] == ["Dockerfile"]


def test_bad_exclude_pattern_is_an_error(tmp_path, capsys):
    f = put(tmp_path / "Dockerfile", MERGEABLE)
    assert main(["--exclude", "a/**/b/***[", f]) in (0, 2)  # pathspec accepts most; never a traceback
    assert "Traceback" not in capsys.readouterr().err


def test_verbose_says_what_was_skipped_and_why(repo, capsys):
    main(["--check", "--verbose", str(repo)])
    err = capsys.readouterr().err
    assert f"{repo / 'build'}: skipped (.gitignore)" in err
    assert "dockeropt: no configuration file (defaults) for 3 file(s)" in err
    assert f"{repo / 'Dockerfile'}: 1 change(s), " in err  # findings: what the dockerignore rule sees in .git


def test_quiet_drops_the_summary(tmp_path, capsys):
    f = put(tmp_path / "Dockerfile", MERGEABLE)
    main(["--check", "-q", f])
    assert capsys.readouterr().err == ""
    main(["--check", f])
    err = capsys.readouterr().err
    assert err.startswith("dockeropt: 1 file(s) checked, 1 would be rewritten in ") and err.endswith(" s\n")


def _cli(args, cwd=None, env=None) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": SRC, **(env or {})}
    env.pop("DOCKEROPT_DEBUG", None)
    return subprocess.run([sys.executable, "-m", "dockeropt", *args], capture_output=True, cwd=cwd, env=env,
                          timeout=900)


def _summaryless(err: bytes) -> bytes:
    return b"\n".join(line for line in err.splitlines() if not line.startswith(b"dockeropt: "))


@pytest.mark.corpus
@pytest.mark.parametrize("fmt", ["diff", "json", "rdjson"])
def test_jobs_give_byte_identical_output_in_the_same_order(corpus, fmt):
    files = sorted(str(p) for p in (corpus / "files").iterdir())[::3]  # a third of the corpus
    files += sorted(str(p) for p in (corpus / "invalid").iterdir() if p.suffix != ".tsv")
    one = _cli(["--format", fmt, "--jobs", "1", *files])
    two = _cli(["--format", fmt, "--jobs", "2", *files])
    assert one.returncode == two.returncode == 2  # the invalid files
    assert b"Traceback" not in two.stderr
    assert one.stdout == two.stdout and len(one.stdout) > 10_000
    assert _summaryless(one.stderr) == _summaryless(two.stderr)


def test_jobs_write_is_the_same_as_one_at_a_time_with_links(tmp_path):
    """Paths naming the same file go to one worker, one after the other: the second sees the
    first's result, as without workers."""
    for name in ("a", "b"):
        d = tmp_path / name
        for i in range(12):
            put(d / f"d{i:02}" / "Dockerfile", MERGEABLE)
        os.symlink(d / "d00" / "Dockerfile", d / "zz.Dockerfile")
    one = _cli(["--write", "--jobs", "1", str(tmp_path / "a")])
    two = _cli(["--write", "--jobs", "2", str(tmp_path / "b")])
    assert one.returncode == two.returncode == 0, two.stderr
    assert _summaryless(one.stderr).replace(b"/a/", b"/b/") == _summaryless(two.stderr)
    for i in range(12):
        assert (tmp_path / "a" / f"d{i:02}" / "Dockerfile").read_text() == (tmp_path / "b" / f"d{i:02}" / "Dockerfile").read_text() != MERGEABLE


def test_jobs_validation(capsys):
    with pytest.raises(SystemExit):
        main(["--jobs", "0", "x"])
    assert "must be 1 or more" in capsys.readouterr().err


def test_startup_path_imports_no_progress_pool_or_pathspec(tmp_path):
    f = put(tmp_path / "Dockerfile", MERGEABLE)
    code = ("import sys, runpy; sys.argv=['dockeropt','--check',%r]\n"
            "try:\n runpy.run_module('dockeropt', run_name='__main__')\n"
            "except SystemExit: pass\n"
            "bad=[m for m in ('dockeropt.progress','multiprocessing','concurrent.futures','pathspec','rich',"
            "'tomllib','jsonschema','dockeropt.report.sarif') if m in sys.modules]\n"
            "sys.stderr.write('IMPORTED:'+','.join(bad)+'\\n')") % f
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path,
                          env={**os.environ, "PYTHONPATH": SRC})
    assert "IMPORTED:\n" in proc.stderr, proc.stderr
