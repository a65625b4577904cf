"""What the command line prints: file lists, JSON, escaping, diff headers, options, verify."""

from __future__ import annotations

import io
import json
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
MERGED = "FROM debian:bookworm-slim\nRUN echo a > /a && \\\n    echo b > /b\n"
CLEAN = "FROM debian:bookworm-slim\nRUN echo a > /a\n"
APT = "FROM debian:bookworm-slim\nRUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*\n"


def put(path: Path, text: str) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode("utf-8", "surrogateescape"))
    return str(path)


def stdin_bytes(monkeypatch, data: bytes):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))


# --- --check lists the files -------------------------------------------------------------------

def test_check_lists_every_file_that_would_change(tmp_path, capsys):
    a = put(tmp_path / "a" / "Dockerfile", MERGEABLE)
    b = put(tmp_path / "b" / "Dockerfile", CLEAN)
    c = put(tmp_path / "c" / "Dockerfile", MERGEABLE)
    assert main(["--check", a, b, c]) == 1
    captured = capsys.readouterr()
    assert captured.out == f"would rewrite {a}\nwould rewrite {c}\n"
    assert "3 file(s) checked, 2 would be rewritten" in captured.err


def test_check_json_has_only_json_on_stdout(tmp_path, capsys):
    a = put(tmp_path / "Dockerfile", MERGEABLE)
    assert main(["--check", "--format", "json", a]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert doc["files"][0]["changed"] is True


# --- --write --format json - -------------------------------------------------------------------

def test_write_stdin_with_json_puts_the_new_text_in_the_json(monkeypatch, capsys):
    stdin_bytes(monkeypatch, MERGEABLE.encode())
    assert main(["--write", "--format", "json", "-"]) == 0
    out = capsys.readouterr().out
    doc = json.loads(out)  # nothing but the JSON document on stdout
    (entry,) = doc["files"]
    assert entry["path"] == "<stdin>"
    assert entry["changed"] is True
    assert entry["text"] == MERGED


def test_write_stdin_with_json_unchanged_text_is_there_too(monkeypatch, capsys):
    stdin_bytes(monkeypatch, CLEAN.encode())
    assert main(["--write", "--format", "json", "-"]) == 0
    (entry,) = json.loads(capsys.readouterr().out)["files"]
    assert entry["changed"] is False and entry["text"] == CLEAN


# --- control characters ------------------------------------------------------------------------

def test_escape_sequences_from_file_content_are_not_echoed_raw(tmp_path, capsys):
    f = put(tmp_path / "Dockerfile", "FROM debian\nRUN echo \x1b]0;pwned\x07\nRUNN\x1b[2J x\n")
    assert main(["--check", f]) == 2
    err = capsys.readouterr().err
    assert "\x1b" not in err and "\x07" not in err
    assert f"{f}:3:1: unknown instruction: RUNN\\x1b[2J" in err


def test_escape_sequences_in_file_names_are_not_echoed_raw(tmp_path, capsys):
    name = tmp_path / "evil\x1b[2J\x1b]0;title\x07"
    name.mkdir()
    f = put(name / "Dockerfile", MERGEABLE)
    bad = put(name / "bad.Dockerfile", "FROM debian\nRUNN x\n")
    assert main(["--diff", f, bad]) == 2
    captured = capsys.readouterr()
    for stream in (captured.out, captured.err):
        assert "\x1b" not in stream and "\x07" not in stream
    quoted = '"' + str(name).replace("\x1b", "\\033").replace("\x07", "\\a")
    assert f'{quoted}/bad.Dockerfile":2:1: unknown instruction: RUNN' in captured.err
    assert f'# {quoted}/Dockerfile":2: merge-runs:' in captured.out


def test_bidi_controls_in_names_are_escaped(tmp_path, capsys):
    f = put(tmp_path / "Docker\u202efile" / "Dockerfile", MERGEABLE)
    assert main(["--check", f]) == 1
    out = capsys.readouterr().out
    assert "\u202e" not in out
    assert out == f'would rewrite "{tmp_path}/Docker\\342\\200\\256file/Dockerfile"\n'


# --- diff headers ------------------------------------------------------------------------------

def test_newline_in_a_file_name_cannot_forge_diff_headers(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    name = "x\n+++ b/etc/passwd\n@@ -1 +1 @@\nDockerfile"
    put(tmp_path / name, MERGEABLE)
    assert main(["--diff", name]) == 0
    out = capsys.readouterr().out
    assert '--- "a/x\\n+++ b/etc/passwd\\n@@ -1 +1 @@\\nDockerfile"\n' in out
    assert '+++ "b/x\\n+++ b/etc/passwd\\n@@ -1 +1 @@\\nDockerfile"\n' in out
    assert [line for line in out.splitlines() if line.startswith("+++")] == [
        '+++ "b/x\\n+++ b/etc/passwd\\n@@ -1 +1 @@\\nDockerfile"'
    ]
    assert out.startswith('# "x\\n+++ b/etc/passwd\\n@@ -1 +1 @@\\nDockerfile":2: merge-runs:')


@pytest.mark.skipif(shutil.which("git") is None, reason="git not installed")
@pytest.mark.parametrize("name", ["with\nnewline", "tab\there", 'quote"and\\back', "caf\u00e9 x.Dockerfile",
                                  "sp ace.Dockerfile", "plain.Dockerfile"])
def test_git_apply_reads_the_quoted_header(tmp_path, monkeypatch, capsys, name):
    monkeypatch.chdir(tmp_path)
    put(tmp_path / name, MERGEABLE)
    assert main(["--diff", name]) == 0
    patch = capsys.readouterr().out
    (tmp_path / "p.diff").write_text(patch)
    subprocess.run(["git", "init", "-q"], check=True)
    subprocess.run(["git", "apply", "p.diff"], check=True, capture_output=True)
    assert (tmp_path / name).read_text() == MERGED


@pytest.mark.skipif(shutil.which("git") is None, reason="git not installed")
def test_diff_of_a_directory_search_applies_with_git(tmp_path, monkeypatch, capsys):
    """``dockeropt . | git apply``: headers say a/sub/Dockerfile, not a/./sub/Dockerfile."""
    monkeypatch.chdir(tmp_path)
    put(tmp_path / "sub" / "Dockerfile", MERGEABLE)
    assert main(["."]) == 0
    patch = capsys.readouterr().out
    assert "--- a/sub/Dockerfile\n" in patch
    (tmp_path / "p.diff").write_text(patch)
    subprocess.run(["git", "init", "-q"], check=True)
    subprocess.run(["git", "apply", "p.diff"], check=True, capture_output=True)
    assert (tmp_path / "sub" / "Dockerfile").read_text() == MERGED


def test_diff_of_undecodable_bytes_under_a_strict_utf8_locale(tmp_path):
    f = tmp_path / "Dockerfile"
    f.write_bytes(b"FROM debian\nLABEL x=\"caf\xe9\"\nRUN echo a\nRUN echo b\n")
    env = {**os.environ, "PYTHONPATH": SRC, "PYTHONIOENCODING": "utf-8:strict"}
    for mode in (["--diff", str(f)], ["--write", "-"]):
        proc = subprocess.run([sys.executable, "-m", "dockeropt", *mode], capture_output=True, env=env,
                              stdin=open(f, "rb"))
        assert proc.returncode == 0, proc.stderr.decode()
        assert b"caf\xe9" in proc.stdout
        assert b"Traceback" not in proc.stderr


# --- --select / --ignore -----------------------------------------------------------------------

def test_selecting_an_unsafe_rule_without_unsafe_fixes_shows_the_fix_it_would_make(tmp_path, capsys):
    f = put(tmp_path / "Dockerfile", APT)
    assert main(["--select", "apt-no-install-recommends", f]) == 0
    out = capsys.readouterr().out
    assert "apt-no-install-recommends" in out and "[unsafe fix: --unsafe-fixes applies it]" in out
    assert "+++" not in out  # nothing changes without --unsafe-fixes
    assert main(["--check", "--select", "DL3015", f]) == 0
    assert main(["--check", "--select", "apt-no-install-recommends", "--unsafe-fixes", f]) == 1


def test_select_all_without_unsafe_fixes_is_fine(tmp_path):
    f = put(tmp_path / "Dockerfile", APT)
    assert main(["--check", "--select", "all", f]) == 0


@pytest.mark.parametrize("code", ["dl3059", "Dl3059", "DL3059", "MERGE-RUNS", "merge-runs"])
def test_rule_names_and_hadolint_codes_in_any_case(tmp_path, code):
    f = put(tmp_path / "Dockerfile", MERGEABLE)
    assert main(["--check", "--select", code, f]) == 1
    assert main(["--check", "--ignore", code, f]) == 0


# --- --version, verify -------------------------------------------------------------------------

def test_version(capsys):
    with pytest.raises(SystemExit) as e:
        main(["--version"])
    assert e.value.code == 0
    assert capsys.readouterr().out == f"dockeropt {dockeropt.__version__}\n"


def test_verify_error_names_the_path(tmp_path, capsys):
    missing = tmp_path / "nope" / "Dockerfile"
    assert main(["verify", str(missing)]) == 2
    err = capsys.readouterr().err
    assert f"{missing}: No such file or directory" in err


def test_verify_unknown_rule_is_an_error(tmp_path, capsys):
    f = put(tmp_path / "Dockerfile", MERGEABLE)
    assert main(["verify", "--select", "nope", f]) == 2
    assert "unknown rule: nope" in capsys.readouterr().err


def test_verify_stdin_is_refused_before_reading_it(monkeypatch, capsys):
    buf = io.BytesIO(MERGEABLE.encode())
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(buf))
    assert main(["verify", "-"]) == 2
    assert "verify needs a Dockerfile path" in capsys.readouterr().err
    assert buf.tell() == 0  # stdin untouched


def test_verify_help_documents_every_option(capsys):
    with pytest.raises(SystemExit):
        main(["verify", "--help"])
    from dockeropt.cli import build_verify_parser

    parser = build_verify_parser()
    for action in parser._actions:
        assert action.help, f"verify option without help: {action.option_strings or action.dest}"


def test_main_help_documents_every_option():
    from dockeropt.cli import build_parser

    for action in build_parser()._actions:
        assert action.help, f"option without help: {action.option_strings or action.dest}"


# --- progress ----------------------------------------------------------------------------------

class FakeTTY(io.StringIO):
    def isatty(self):
        return True


def many(tmp_path, n=25) -> list[str]:
    return [put(tmp_path / f"d{i:02}" / "Dockerfile", CLEAN) for i in range(n)]


def test_progress_is_off_when_stderr_is_not_a_tty(tmp_path, capsys):
    files = many(tmp_path)
    assert main(["--check", *files]) == 0
    assert "\r" not in capsys.readouterr().err


def test_progress_on_a_tty_is_cleared_and_escapes_names(tmp_path, monkeypatch):
    files = many(tmp_path)
    files.append(put(tmp_path / "e\x1b[2J" / "Dockerfile", CLEAN))
    err = FakeTTY()
    monkeypatch.setattr(sys, "stderr", err)
    assert main(["--check", *files]) == 0
    text = err.getvalue()
    assert " 1/26 files" in text and "] 26/26 files" in text
    assert "\x1b[2J" not in text
    last = text.rsplit("\r\x1b[K", 1)[-1]
    assert last.startswith("dockeropt: 26 file(s) checked")
