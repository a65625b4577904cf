"""parse(text).code == text, byte for byte, for every real Dockerfile of the shared corpus.

No exceptions list. The only files that do not round-trip are the ones BuildKit itself rejects
(two of BuildKit's own parser test files that pass its *parser* but fail its instruction checks:
``testfiles/flags`` has ``COPY --user=me``, ``testfiles/health`` has a bare ``HEALTHCHECK``);
for those the contract is the other half of it: ``DockerfileSyntaxError`` at BuildKit's line.
Which files those are is decided by ``buildkit_ref.buildkit_verdict``, not by a list here.
"""

from __future__ import annotations

import pytest

import dockeropt
from buildkit_ref import buildkit_verdict
from parser_testlib import corpus_params, decode, show_diff

pytestmark = pytest.mark.corpus


@pytest.mark.parametrize("path", corpus_params("files"))
def test_roundtrip(path):
    data = path.read_bytes()
    text = decode(data)
    verdict = buildkit_verdict(data)
    if not verdict.accepted:
        with pytest.raises(dockeropt.DockerfileSyntaxError) as info:
            dockeropt.parse(text)
        assert info.value.line == verdict.line, (
            f"BuildKit rejects {path.name} at line {verdict.line} ({verdict.message}); "
            f"we said {info.value}"
        )
        return
    try:
        tree = dockeropt.parse(text)
    except dockeropt.DockerfileSyntaxError as err:
        pytest.fail(f"{path.name}: BuildKit accepts this file but parse raised: {err}")
    code = tree.code
    assert isinstance(code, str)
    if code != text:
        pytest.fail(f"{path.name} does not round-trip: {show_diff(text, code)}", pytrace=False)
    # The bytes must come back exactly, too (surrogateescape for the one non-UTF-8 file).
    assert code.encode("utf-8", "surrogateescape") == data
