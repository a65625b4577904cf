"""The command line as a user meets it: modes, exit codes, files, errors."""

from __future__ import annotations

import io
import json
import os
import stat
import subprocess
import sys

import pytest

from dockeropt.cli import discover, main

MERGEABLE = "FROM debian:bookworm-slim\nRUN echo a > /a\nRUN echo b > /b\n"
CLEAN = "FROM debian:bookworm-slim\nRUN echo a > /a\n"


def write(path, text, newline=None):
    path.write_bytes(text.encode("utf-8", "surrogateescape"))
    return str(path)


def test_diff_is_default_and_exits_0(tmp_path, capsys):
    f = write(tmp_path / "Dockerfile", MERGEABLE)
    assert main([f]) == 0
    out = capsys.readouterr().out
    assert f"# {f}:2: merge-runs:" in out
    assert "--- a/" in out and "+++ b/" in out
    assert "+RUN echo a > /a && \\\n" in out
    assert open(f).read() == MERGEABLE  # --diff never writes


def test_check_exits_1_when_something_would_change_and_prints_no_diff(tmp_path, capsys):
    f = write(tmp_path / "Dockerfile", MERGEABLE)
    assert main(["--check", f]) == 1
    captured = capsys.readouterr()
    assert captured.out == f"would rewrite {f}\n"  # the file list, no diff
    assert "1 would be rewritten" in captured.err


def test_check_exits_0_on_clean_file(tmp_path, capsys):
    f = write(tmp_path / "Dockerfile", CLEAN)
    assert main(["--check", f]) == 0


def test_write_rewrites_in_place_keeping_mode_and_crlf(tmp_path, capsys):
    p = tmp_path / "Dockerfile"
    write(p, MERGEABLE.replace("\n", "\r\n"))
    os.chmod(p, 0o640)
    assert main(["--write", str(p)]) == 0
    data = p.read_bytes()
    assert b"RUN echo a > /a && \\\r\n    echo b > /b\r\n" in data
    assert b"\n" not in data.replace(b"\r\n", b"")  # no bare LF introduced
    assert stat.S_IMODE(os.stat(p).st_mode) == 0o640
    assert [x.name for x in tmp_path.iterdir()] == ["Dockerfile"]  # no temp file left behind
    assert main(["--check", str(p)]) == 0  # idempotent


def test_write_through_symlink_keeps_the_link(tmp_path):
    real = tmp_path / "real.Dockerfile"
    write(real, MERGEABLE)
    link = tmp_path / "Dockerfile"
    link.symlink_to(real.name)
    assert main(["--write", str(link)]) == 0
    assert link.is_symlink()
    assert "&& \\" in real.read_text()


def test_write_keeps_invalid_utf8_bytes(tmp_path):
    p = tmp_path / "Dockerfile"
    p.write_bytes(b"FROM debian\nLABEL x=\"caf\xe9\"\nRUN echo a\nRUN echo b\n")
    assert main(["--write", str(p)]) == 0
    assert b"caf\xe9" in p.read_bytes()


def test_syntax_error_reports_path_line_col_without_traceback_and_continues(tmp_path):
    bad = write(tmp_path / "bad.Dockerfile", "FROM debian\nRUNN echo\n")
    good = write(tmp_path / "good.Dockerfile", MERGEABLE)
    proc = subprocess.run(
        [sys.executable, "-m", "dockeropt", "--check", bad, good], capture_output=True, text=True
    )
    assert proc.returncode == 2
    assert f"{bad}:2:1: unknown instruction: RUNN" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert "2 file(s) checked, 1 would be rewritten, 1 error(s)" in proc.stderr


def test_unterminated_heredoc_error_line(tmp_path, capsys):
    f = write(tmp_path / "Dockerfile", "FROM debian\nRUN <<EOF\necho hi\n")
    assert main([f]) == 2
    assert f"{f}:2:1: unterminated heredoc" in capsys.readouterr().err


def test_missing_file_is_an_error_not_a_crash(tmp_path, capsys):
    assert main([str(tmp_path / "nope")]) == 2
    assert "nope" in capsys.readouterr().err


def test_stdin_to_stdout(monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(MERGEABLE.encode())))
    assert main(["--write", "-"]) == 0
    assert capsys.readouterr().out == "FROM debian:bookworm-slim\nRUN echo a > /a && \\\n    echo b > /b\n"


def test_json_format(tmp_path, capsys):
    f = write(tmp_path / "Dockerfile", MERGEABLE)
    assert main(["--format", "json", f]) == 0
    doc = json.loads(capsys.readouterr().out)
    (entry,) = doc["files"]
    assert entry["changed"] is True
    assert entry["changes"][0]["rule"] == "merge-runs"
    assert entry["changes"][0]["line"] == 2
    assert entry["diff"].startswith("--- a/")


def test_select_and_ignore(tmp_path, capsys):
    f = write(tmp_path / "Dockerfile", MERGEABLE)
    assert main(["--check", "--ignore", "merge-runs", f]) == 0
    assert main(["--check", "--select", "DL3059", f]) == 1
    assert main(["--check", "--select", "no-such-rule", f]) == 2
    assert "unknown rule: no-such-rule" in capsys.readouterr().err


def test_suppression_comment(tmp_path):
    f = write(tmp_path / "Dockerfile", "FROM debian\nRUN echo a\n# dockeropt: ignore=merge-runs\nRUN echo b\n")
    assert main(["--check", f]) == 0
    f = write(tmp_path / "Dockerfile", "FROM debian\nRUN echo a\n# hadolint ignore=DL3059\nRUN echo b\n")
    assert main(["--check", f]) == 0


def test_list_rules(capsys):
    assert main(["--list-rules"]) == 0
    out = capsys.readouterr().out
    assert "merge-runs" in out and "DL3059" in out


def test_directory_discovery(tmp_path):
    for rel in ["Dockerfile", "svc/Containerfile", "a/app.Dockerfile", "b/Dockerfile.prod",
                "node_modules/x/Dockerfile", ".git/Dockerfile", "notes.txt", "c/x.dockerfile"]:
        p = tmp_path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(CLEAN)
    found = sorted(os.path.relpath(f, tmp_path) for f in discover([str(tmp_path)]))
    assert found == ["Dockerfile", "a/app.Dockerfile", "b/Dockerfile.prod", "c/x.dockerfile", "svc/Containerfile"]


def test_no_path_is_an_error(capsys):
    assert main([]) == 2


@pytest.mark.parametrize("mode", ["--diff", "--check", "--write"])
def test_unparseable_file_is_never_written(tmp_path, mode):
    text = "FROM debian\nRUN echo a\nRUN echo b\nHEALTHCHECK FOO\n"
    f = write(tmp_path / "Dockerfile", text)
    assert main([mode, f]) == 2
    assert open(f).read() == text


def test_verify_without_engine_exits_2_with_a_message(tmp_path):
    f = write(tmp_path / "Dockerfile", MERGEABLE)
    proc = subprocess.run(
        [sys.executable, "-m", "dockeropt", "verify", "--engine", "docker", f],
        capture_output=True, text=True, env={**os.environ, "DOCKER_HOST": "unix:///nonexistent.sock"},
    )
    assert proc.returncode == 2
    assert "cannot verify" in proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr


def test_verify_with_nothing_to_change_exits_0(tmp_path, capsys):
    f = write(tmp_path / "Dockerfile", CLEAN)
    assert main(["verify", f]) == 0
    assert "no changes to verify" in capsys.readouterr().err
