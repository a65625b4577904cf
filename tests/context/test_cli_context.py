"""The command line with a build context: --context, --dockerignore (diff, --write, --check,
json), bad contexts and ignore files."""

from __future__ import annotations

import json
import os

from dockeropt.cli import main

DOCKERFILE = "FROM node:20\nWORKDIR /app\nCOPY package.json ./\nRUN npm install\nCOPY src/ ./src/\n"


def make(tmp_path, extra=None):
    files = {"Dockerfile": DOCKERFILE, "package.json": "{}", "src/a.js": "x", ".env": "S=1",
             "node_modules/x/i.js": "x", **(extra or {})}
    for rel, text in files.items():
        p = tmp_path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    return tmp_path / "Dockerfile"


def test_dockerignore_diff_write_check(tmp_path, capsys):
    df = make(tmp_path)
    assert main(["--dockerignore", str(df)]) == 0
    out = capsys.readouterr()
    assert "--- /dev/null" in out.out and "+node_modules" in out.out and "+.env" in out.out
    assert "sent to the builder: 5 files" in out.out
    assert not (tmp_path / ".dockerignore").exists()
    assert main(["--dockerignore", "--check", str(df)]) == 1
    assert "would rewrite" in capsys.readouterr().out
    assert main(["--dockerignore", "--write", str(df)]) == 0
    text = (tmp_path / ".dockerignore").read_text()
    assert "node_modules\n" in text and ".env\n" in text and ".dockerignore\n" in text
    assert oct((tmp_path / ".dockerignore").stat().st_mode & 0o777) == oct(0o644 & ~_umask())
    assert main(["--dockerignore", "--check", str(df)]) == 0  # idempotent
    assert not [p for p in os.listdir(tmp_path) if p.startswith(".dockeropt-")]


def _umask():
    m = os.umask(0)
    os.umask(m)
    return m


def test_dockerignore_merges_existing(tmp_path, capsys):
    df = make(tmp_path, {".dockerignore": "# mine\n*.md\n!README.md"})
    assert main(["--dockerignore", "--write", str(df)]) == 0
    text = (tmp_path / ".dockerignore").read_text()
    assert text.startswith("# mine\n*.md\n!README.md\n\n# --- added by dockeropt")


def test_dockerignore_json(tmp_path, capsys):
    df = make(tmp_path)
    assert main(["--dockerignore", "--format", "json", str(df)]) == 0
    data = json.loads(capsys.readouterr().out)
    entry = data["dockerignore"][0]
    assert entry["before"]["files"] > entry["after"]["files"]
    assert {e["pattern"] for e in entry["entries"]} >= {"node_modules", ".env"}


def test_bad_ignore_file(tmp_path, capsys):
    df = make(tmp_path, {".dockerignore": "ok\n[\n"})
    assert main(["--dockerignore", "--write", str(df)]) == 2
    err = capsys.readouterr().err
    assert ".dockerignore:2: syntax error in pattern" in err
    assert (tmp_path / ".dockerignore").read_text() == "ok\n[\n"  # nothing written
    assert main([str(df)]) == 0  # a normal run: the other rules work, the context rules say why not
    assert "build context cannot be checked" in capsys.readouterr().out


def test_context_option(tmp_path, capsys):
    df = make(tmp_path)
    other = tmp_path / "elsewhere"
    other.mkdir()
    (other / "Dockerfile").write_text(DOCKERFILE)
    assert main(["--dockerignore", "--context", str(tmp_path), str(other / "Dockerfile")]) == 0
    out = capsys.readouterr().out
    assert "Dockerfile.dockerignore" in out and "BuildKit only" in out
    assert main(["--context", str(tmp_path / "nope"), str(df)]) == 2
    assert "not a directory" in capsys.readouterr().err


def test_stdin_without_context(tmp_path, capsys, monkeypatch):
    import io
    import sys

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(DOCKERFILE.encode())))
    assert main(["--dockerignore", "-"]) == 2
    assert "stdin has no build context" in capsys.readouterr().err


def test_copy_deps_first_via_cli(tmp_path, capsys):
    df = make(tmp_path, {"Dockerfile": "FROM node:20\nWORKDIR /app\nCOPY . .\nRUN npm ci\n", "package-lock.json": "{}",
                         ".dockerignore": "node_modules\n"})
    assert main(["--select", "copy-deps-first", str(df)]) == 0
    out = capsys.readouterr().out
    assert "+COPY package.json package-lock.json ./" in out
