"""Configuration files: found upward, the command line wins, errors name the file, line and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from dockeropt.cli import main
from dockeropt.config import ConfigError, Finder, load

MERGEABLE = "FROM debian:bookworm-slim\nRUN echo a > /a\nRUN echo b > /b\n"
PIP = "FROM python:3.12\nRUN pip install flask\n"
APT = "FROM debian:bookworm-slim\nRUN apt-get update && apt-get install -y curl\n"


def put(path: Path, text: str) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return str(path)


def test_pyproject_table_found_upward(tmp_path, capsys):
    put(tmp_path / "pyproject.toml", '[project]\nname = "x"\n\n[tool.dockeropt]\nignore = ["merge-runs"]\n')
    f = put(tmp_path / "a" / "b" / "Dockerfile", MERGEABLE)
    assert main(["--check", f]) == 0  # merge-runs is off
    assert main(["--check", "--select", "merge-runs", f]) == 1  # the command line wins
    assert main(["--check", "--isolated", f]) == 1  # no configuration read


def test_nearest_file_wins_and_dockeropt_toml_before_pyproject(tmp_path):
    put(tmp_path / "pyproject.toml", '[tool.dockeropt]\nignore = ["merge-runs"]\n')
    put(tmp_path / "sub" / "pyproject.toml", '[tool.dockeropt]\ncache-strategy = "mount"\n')
    put(tmp_path / "sub" / ".dockeropt.toml", 'unsafe-fixes = true\n')
    put(tmp_path / "other" / "pyproject.toml", '[project]\nname = "no table here"\n')
    finder = Finder()
    assert finder.for_path(str(tmp_path / "sub" / "Dockerfile")).unsafe_fixes is True
    assert finder.for_path(str(tmp_path / "sub" / "Dockerfile")).cache_strategy is None  # no merging
    assert finder.for_path(str(tmp_path / "other" / "Dockerfile")).ignore == ("merge-runs",)
    assert not finder.errors


def test_unsafe_fixes_from_config_and_no_unsafe_fixes_on_the_command_line(tmp_path, capsys):
    put(tmp_path / ".dockeropt.toml", "unsafe-fixes = true\n")
    f = put(tmp_path / "Dockerfile", APT)
    main(["--isolated", f])
    assert "--no-install-recommends" not in "".join(l for l in capsys.readouterr().out.splitlines(True) if l.startswith("+"))
    main([f])
    assert "+RUN apt-get update && apt-get install -y --no-install-recommends curl" in capsys.readouterr().out
    main(["--no-unsafe-fixes", f])
    assert "--no-install-recommends curl" not in "".join(l for l in capsys.readouterr().out.splitlines(True) if l.startswith("+"))


def test_per_file_ignores_and_hadolint_codes(tmp_path, capsys):
    put(tmp_path / ".dockeropt.toml", '[per-file-ignores]\n"legacy/**" = ["DL3059"]\n')
    old = put(tmp_path / "legacy" / "x" / "Dockerfile", MERGEABLE)
    new = put(tmp_path / "app" / "Dockerfile", MERGEABLE)
    assert main(["--check", old]) == 0
    assert main(["--check", new]) == 1


def test_exclude_in_config_applies_to_searches_and_with_force_exclude_to_named_files(tmp_path, capsys):
    put(tmp_path / ".dockeropt.toml", 'exclude = ["vendor/"]\n')
    vendored = put(tmp_path / "vendor" / "Dockerfile", MERGEABLE)
    put(tmp_path / "app" / "Dockerfile", MERGEABLE)
    assert main(["--check", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "vendor" not in out and "app/Dockerfile" in out
    assert main(["--check", vendored]) == 1  # named: processed
    capsys.readouterr()
    assert main(["--check", "--force-exclude", vendored]) == 0  # pre-commit's way
    assert "all 1 file(s) excluded" in capsys.readouterr().err


def test_explicit_config_file(tmp_path, capsys):
    conf = put(tmp_path / "conf" / "my.toml", "[tool.dockeropt]\nselect = []\n")
    conf = put(tmp_path / "conf" / ".dockeropt.toml", 'ignore = ["merge-runs"]\n')
    f = put(tmp_path / "elsewhere" / "Dockerfile", MERGEABLE)
    assert main(["--check", "--config", conf, f]) == 0
    assert main(["--check", "--config", str(tmp_path / "missing.toml"), f]) == 2


@pytest.mark.parametrize("body,where,what", [
    ('[tool.dockeropt]\nselct = ["merge-runs"]\n', ":2:", "selct: unknown key (did you mean 'select'?)"),
    ('[tool.dockeropt]\n\ncache-strategy = "fast"\n', ":3:", 'cache-strategy: expected one of "clean", "mount", got "fast"'),
    ('[tool.dockeropt]\nunsafe-fixes = "yes"\n', ":2:", 'unsafe-fixes: expected true or false, got "yes"'),
    ('[tool.dockeropt]\nselect = "merge-runs"\n', ":2:", "select: expected a list of rule ids or hadolint codes"),
    ('[tool.dockeropt]\nignore = ["no-such-rule"]\n', ":2:", "ignore: unknown rule: no-such-rule"),
    ('[tool.dockeropt]\nignore = ["merge-runs,apt-get-yes"]\n', ":2:", "one rule per string"),
    ('[tool.dockeropt.per-file-ignores]\n"x/" = "merge-runs"\n', ":1:", "per-file-ignores: 'x/': expected a list"),
    ('[tool.dockeropt]\nexclude = [1]\n', ":2:", "exclude: expected a list of .gitignore-style patterns"),
    ('[tool.dockeropt\nselect = []\n', "", "not valid TOML"),
])
def test_bad_configuration_is_an_error_naming_file_line_and_key(tmp_path, capsys, body, where, what):
    conf = put(tmp_path / "pyproject.toml", body)
    f = put(tmp_path / "Dockerfile", MERGEABLE)
    before = Path(f).read_text()
    assert main(["--write", f]) == 2
    err = capsys.readouterr().err
    assert f"{conf}{where}" in err and what in err, err
    assert "[tool.dockeropt]" in err or "TOML" in err
    assert "Traceback" not in err
    assert Path(f).read_text() == before  # nothing written when in doubt


def test_error_in_dockeropt_toml_names_the_key_without_a_section(tmp_path):
    conf = put(tmp_path / ".dockeropt.toml", "\n\nrespect-gitignore = 1\n")
    with pytest.raises(ConfigError) as e:
        load(conf)
    assert str(e.value) == f"{conf}:3: respect-gitignore: expected true or false, got int 1"


def test_pyproject_without_our_table_is_not_parsed(tmp_path):
    put(tmp_path / "pyproject.toml", "this is [not toml\n")  # another tool's broken file: not ours
    finder = Finder()
    assert finder.for_path(str(tmp_path / "Dockerfile")).path is None
    assert not finder.errors
