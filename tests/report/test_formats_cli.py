"""The formats through the command line: exit codes, escaping, colour, stdin, verify reports."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest

from dockeropt.cli import main
from dockeropt.report.github import escape_data, escape_property

MERGEABLE = "FROM debian:bookworm-slim\nRUN echo a > /a\nRUN echo b > /b\n"
CLEAN = "FROM debian:bookworm-slim\nRUN echo a > /a\n"


def put(path: Path, text: str) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode("utf-8", "surrogateescape"))
    return str(path)


class FakeTTY(io.StringIO):
    def isatty(self):
        return True


@pytest.mark.parametrize("fmt", ["json", "sarif", "rdjson", "markdown"])
@pytest.mark.parametrize("mode,code", [("--diff", 0), ("--check", 1)])
def test_document_formats_are_one_document_on_stdout(tmp_path, capsys, fmt, mode, code):
    a = put(tmp_path / "a" / "Dockerfile", MERGEABLE)
    b = put(tmp_path / "b" / "Dockerfile", CLEAN)
    assert main([mode, "--format", fmt, a, b]) == code
    out = capsys.readouterr().out
    if fmt != "markdown":
        json.loads(out)
    else:
        assert out.startswith("## dockeropt\n") and out.count("## dockeropt") == 1
    assert "would rewrite" not in out


def test_write_with_a_document_format_writes_and_reports(tmp_path, capsys):
    a = put(tmp_path / "Dockerfile", MERGEABLE)
    assert main(["--write", "--format", "sarif", a]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["runs"][0]["results"][0]["ruleId"] == "merge-runs"
    assert Path(a).read_text() != MERGEABLE


def test_write_stdin_with_a_report_format_is_refused(monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(MERGEABLE.encode())))
    assert main(["--write", "--format", "sarif", "-"]) == 2
    assert "--write - prints the rewritten file" in capsys.readouterr().err


def test_errors_reach_every_format(tmp_path, capsys):
    bad = put(tmp_path / "Dockerfile", "FROM a\nRUNN x\n")
    assert main(["--format", "json", bad]) == 2
    entry = json.loads(capsys.readouterr().out)["files"][0]
    assert entry["error"]["kind"] == "syntax" and entry["error"]["line"] == 2
    assert main(["--format", "github", bad]) == 2
    assert capsys.readouterr().out.startswith(f"::error file={bad},title=dockeropt%3A syntax error,line=2")
    assert main(["--format", "sarif", bad]) == 2
    inv = json.loads(capsys.readouterr().out)["runs"][0]["invocations"][0]
    assert inv["executionSuccessful"] is False
    assert inv["toolExecutionNotifications"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] == 2


# --- github workflow commands ------------------------------------------------------------------

def test_github_escaping():
    assert escape_data("50%\r\nnext") == "50%25%0D%0Anext"
    assert escape_property("a:b,c%") == "a%3Ab%2Cc%25"


def test_github_annotation_cannot_be_forged_by_a_file_name(tmp_path, capsys):
    d = tmp_path / "x,line=1::evil\n::error"
    f = put(d / "Dockerfile", MERGEABLE)
    main(["--format", "github", f])
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert len(lines) == 1 and lines[0].startswith("::warning file=")
    assert "%2Cline=1%3A%3Aevil%0A%3A%3Aerror" in lines[0]


def test_github_check_fails_on_changes(tmp_path, capsys):
    f = put(tmp_path / "Dockerfile", MERGEABLE)
    assert main(["--check", "--format", "github", f]) == 1
    assert "::warning file=" in capsys.readouterr().out


# --- colour ------------------------------------------------------------------------------------

def test_color_always_never_auto(tmp_path, capsys, monkeypatch):
    f = put(tmp_path / "Dockerfile", MERGEABLE)
    main(["--color", "always", f])
    out = capsys.readouterr().out
    assert "\x1b[31m-RUN echo a > /a\x1b[0m" in out and "\x1b[32m+" in out
    main(["--color", "never", f])
    assert "\x1b" not in capsys.readouterr().out
    main([f])  # auto: stdout is not a terminal here
    assert "\x1b" not in capsys.readouterr().out


def test_color_auto_on_a_terminal_honours_no_color(tmp_path, monkeypatch):
    f = put(tmp_path / "Dockerfile", MERGEABLE)
    out = FakeTTY()
    monkeypatch.setattr(sys, "stdout", out)
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    main([f])
    assert "\x1b[32m" in out.getvalue()
    out2 = FakeTTY()
    monkeypatch.setattr(sys, "stdout", out2)
    monkeypatch.setenv("NO_COLOR", "1")
    main([f])
    assert "\x1b" not in out2.getvalue()


def test_color_does_not_touch_file_content(tmp_path, capsys):
    f = put(tmp_path / "Dockerfile", "FROM a\nRUN echo '\x1b[2J'\nRUN echo b\n")
    main(["--color", "always", f])
    out = capsys.readouterr().out
    assert "\x1b[2J" in out  # the diff carries the file's bytes, as without colour
    main(["--color", "never", f])
    plain = capsys.readouterr().out
    import re

    assert re.sub(r"\x1b\[(?:0|1|3[1236])m", "", out) == plain


# --- markdown ----------------------------------------------------------------------------------

def test_markdown_escapes_what_files_and_names_carry(tmp_path, capsys):
    mdit = pytest.importorskip("markdown_it")
    f = put(tmp_path / "we`ird|na<me>" / "Dockerfile", "FROM a\nRUN echo '<script>x</script>' '```'\nRUN b\n")
    main(["--format", "markdown", f])
    text = capsys.readouterr().out
    html = mdit.MarkdownIt("commonmark").enable("table").render(text)
    assert "<script>" not in html
    # the diff holds a ``` run: its fence must be longer
    assert "````diff" in text
    rows = [line for line in text.splitlines() if line.startswith("| `")]
    assert rows and all(line.count(" | ") == 4 for line in rows)  # the | in the name stays in its cell


def test_markdown_shows_verified_savings(tmp_path, capsys):
    f = put(tmp_path / "Dockerfile", MERGEABLE)
    report = {
        "verified": True, "headline": "verified: -1 layers, -25.3 MB", "engine": "docker",
        "dockerfile": f, "identical": False,
        "original": {"layers": 3, "uncompressed_bytes": 119_600_000, "compressed_bytes": 59_200_000},
        "rewritten": {"layers": 2, "uncompressed_bytes": 93_600_000, "compressed_bytes": 39_300_000},
    }
    rep = tmp_path / "verify.json"
    rep.write_text(json.dumps(report))
    assert main(["--format", "markdown", "--verify-report", str(rep), f]) == 0
    text = capsys.readouterr().out
    assert "Verified by building before and after (1 file): **−26.0 MB**, −1 layers." in text
    assert "| layers | 3 | 2 | −1 |" in text


def test_bad_verify_report_is_an_error(tmp_path, capsys):
    f = put(tmp_path / "Dockerfile", MERGEABLE)
    rep = tmp_path / "verify.json"
    rep.write_text("{not json")
    assert main(["--format", "markdown", "--verify-report", str(rep), f]) == 2
    assert "--verify-report" in capsys.readouterr().err


def test_json_schema_is_printed(capsys):
    assert main(["--json-schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert schema["title"].startswith("dockeropt --format json report")
