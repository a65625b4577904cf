"""Files real parsers reject (corpus/invalid) and template files (corpus/templated).

For each file we first decide what BuildKit does, with ``buildkit_ref.buildkit_verdict``:
level 1 is BuildKit's real parser (the ``dockerfile`` package); level 2 mirrors the
instruction-level checks of ``instructions.Parse`` and dockerfile2llb that the package does not
run (unknown instruction; argument counts such as ``FROM`` taking one or three arguments; flags;
``SHELL`` needing JSON; HEALTHCHECK types; ONBUILD triggers; an instruction other than ARG before
the first FROM -> "no build stage in current context"; no FROM at all -> "dockerfile contains
no stages to build"; an empty / comment-only file -> "file with no instructions").

Then the contract (``parse`` = BuildKit's parser checks, ``parse(strict=True)`` = plus its
instruction checks): where BuildKit rejects the file, the matching call raises
``DockerfileSyntaxError`` at the line BuildKit reports (for "file with no instructions", the
number of lines, at least 1) - a level-1 rejection in both modes, a level-2 rejection only in
strict mode, while plain ``parse`` round-trips the file. Where BuildKit accepts it, both modes
round-trip it. Never any other exception.

EXPECTED pins BuildKit's verdict per file (checked against the helper, so a change in the
helper or the corpus is noticed); values are (line, BuildKit's message) or None = accepted.
Template files are mostly rejected because template syntax shows up as unknown instructions
(``{{``, ``{%``, ``<%``, ``%%VARIANT_EXTRAS%%``, a shell ``esac`` after a broken continuation)
or makes ``FROM`` have three words (``FROM postgres:{{ version }}``), or an ``ENV`` without ``=``.
Six template files are valid Dockerfiles as they stand (placeholders inside words).
"""

from __future__ import annotations

import pytest

import dockeropt
from buildkit_ref import buildkit_verdict
from parser_testlib import corpus_params, decode, show_diff

pytestmark = pytest.mark.corpus

EXPECTED = {
    # invalid/
    "crazy-max__diun__pkg__dockerfile__fixtures__invalid.Dockerfile":
        (1, 'unknown instruction: invalid'),
    "linuxkit__linuxkit__src__cmd__linuxkit__pkglib__testdata__Dockerfile":
        (1, 'file with no instructions'),
    "moby__buildkit__frontend__dockerfile__parser__testfiles-negative__empty_dockerfile__Dockerfile":
        (1, 'file with no instructions'),
    "moby__buildkit__frontend__dockerfile__parser__testfiles-negative__env_no_value__Dockerfile":
        (3, 'ENV must have two arguments'),
    "moby__buildkit__frontend__dockerfile__parser__testfiles-negative__only_comments__Dockerfile":
        (3, 'file with no instructions'),
    "moby__buildkit__frontend__dockerfile__parser__testfiles-negative__shykes-nested-json__Dockerfile":
        (1, 'when using JSON array syntax, arrays must be comprised of strings only'),
    "moby__buildkit__frontend__dockerfile__parser__testfiles__jeztah-invalid-json-json-inside-string-double__Dockerfile":
        (1, 'no build stage in current context'),
    "moby__buildkit__frontend__dockerfile__parser__testfiles__jeztah-invalid-json-json-inside-string__Dockerfile":
        (1, 'no build stage in current context'),
    "moby__buildkit__frontend__dockerfile__parser__testfiles__jeztah-invalid-json-single-quotes__Dockerfile":
        (1, 'no build stage in current context'),
    "moby__buildkit__frontend__dockerfile__parser__testfiles__jeztah-invalid-json-unterminated-bracket__Dockerfile":
        (1, 'no build stage in current context'),
    "moby__buildkit__frontend__dockerfile__parser__testfiles__jeztah-invalid-json-unterminated-string__Dockerfile":
        (1, 'no build stage in current context'),
    "moby__buildkit__frontend__dockerfile__parser__testfiles__json__Dockerfile":
        (1, 'no build stage in current context'),
    "moby__moby__Dockerfile__at_758e23df":
        (26, 'unknown instruction: docker-version'),
    "moby__moby__contrib__desktop-integration__iceweasel__Dockerfile__at_758e23df":
        (25, 'unknown instruction: docker-version'),
    "suleenfez__new__Dockerfile":
        (1, 'no build stage in current context'),
    # templated/
    "MariaDB__mariadb-docker__Dockerfile-ubi.template":
        None,
    "caddyserver__caddy-docker__Dockerfile.tmpl":
        (21, 'Syntax error - can\'t find = in ".config.caddy_version". Must be of the form: name=value'),
    "cookiecutter__cookiecutter-django____cookiecutter.project_slug____compose__local__django__Dockerfile":
        (57, 'unknown instruction: {%'),
    "cookiecutter__cookiecutter-django____cookiecutter.project_slug____compose__production__django__Dockerfile":
        (1, 'unknown instruction: {%'),
    "cookiecutter__cookiecutter-django____cookiecutter.project_slug____compose__production__postgres__Dockerfile":
        (1, 'FROM requires either one or three arguments'),
    "docker-library__busybox__Dockerfile-builder.template":
        (1, 'unknown instruction: {{'),
    "docker-library__golang__Dockerfile-windows-nanoserver.template__at_108d578e":
        None,
    "docker-library__golang__Dockerfile-windows-servercore.template":
        (1, 'FROM requires either one or three arguments'),
    "docker-library__mysql__Dockerfile.oracle":
        (1, 'unknown instruction: {{'),
    "docker-library__openjdk__Dockerfile-oracle-windows.template__at_0eaa6df4":
        None,
    "docker-library__php__Dockerfile-apache-block-2.template__at_81ceb394":
        (2, 'no build stage in current context'),
    "docker-library__php__Dockerfile-debian.template__at_b7bf5683":
        None,
    "docker-library__php__Dockerfile-linux.template":
        (1, 'unknown instruction: {{'),
    "docker-library__postgres__Dockerfile-debian.template":
        (1, 'FROM requires either one or three arguments'),
    "docker-library__postgres__Dockerfile.template__at_4b132fa7":
        None,
    "docker-library__python__Dockerfile-linux.template":
        (1, 'unknown instruction: {{'),
    "docker-library__python__Dockerfile-windows.template":
        (1, 'FROM requires either one or three arguments'),
    "docker-library__redis__Dockerfile.template":
        (1, 'unknown instruction: {{'),
    "docker-library__ruby__Dockerfile.template":
        (1, 'unknown instruction: {{'),
    "dotnet__dotnet-docker__eng__dockerfile-templates__runtime-deps__Dockerfile":
        (1, 'unknown instruction: {{'),
    "microsoft__dotnet-framework-docker__eng__dockerfile-templates__sdk__Dockerfile":
        (8, 'ENV must have two arguments'),
    "nextcloud__docker__Dockerfile-alpine.template":
        (128, 'unknown instruction: %%VARIANT_EXTRAS%%'),
    "nginxinc__docker-nginx__Dockerfile-alpine-otel.template":
        (8, 'unknown instruction: "'),
    "nodejs__docker-node__Dockerfile-alpine.template":
        (14, 'unknown instruction: esac'),
    "nodejs__docker-node__Dockerfile-onbuild.template__at_09e42c17":
        None,
    "rails__rails__railties__lib__rails__generators__rails__app__templates__Dockerfile.tt":
        (29, 'unknown instruction: <%'),
    "reproducible-containers__repro-get__pkg__distro__debian__Dockerfile.tmpl":
        (21, 'unknown instruction: {{snippet'),
    "rust-lang__docker-rust__Dockerfile-alpine.template":
        None,
}


def _parse(text: str, strict: bool):
    """parse, turning any exception but DockerfileSyntaxError into a test failure."""
    try:
        return dockeropt.parse(text, strict=strict), None
    except dockeropt.DockerfileSyntaxError as err:
        return None, err
    except Exception as err:  # noqa: BLE001 - the point of the test
        pytest.fail(f"parse raised {type(err).__name__} (not DockerfileSyntaxError): {err!r}")


def _check(path):
    data = path.read_bytes()
    text = decode(data)
    verdict = buildkit_verdict(data)
    expected = EXPECTED.get(path.name, "missing")
    assert expected != "missing", f"new corpus file {path.name}: BuildKit says {verdict}"
    assert (None if verdict.accepted else (verdict.line, verdict.message)) == expected

    for strict in (False, True):
        mode = "parse(strict=True)" if strict else "parse()"
        must_reject = not verdict.accepted and (strict or verdict.level == 1)
        tree, err = _parse(text, strict)
        if must_reject:
            assert err is not None, (
                f"BuildKit rejects {path.name} at line {verdict.line} ({verdict.message}); "
                f"{mode} accepted it")
            if verdict.line is not None:
                assert err.line == verdict.line, (
                    f"BuildKit reports line {verdict.line} ({verdict.message}); {mode} said {err}")
            assert isinstance(err.column, int) and err.column >= 1
            assert err.message
        else:
            assert err is None, f"{mode} raised on {path.name}, which BuildKit's parser accepts: {err}"
            assert tree.code == text, show_diff(text, tree.code)


@pytest.mark.parametrize("path", corpus_params("invalid"))
def test_invalid(path):
    _check(path)


@pytest.mark.parametrize("path", corpus_params("templated"))
def test_templated(path):
    _check(path)
