"""parse(text).code == text, byte for byte, for every real Dockerfile of the shared corpus.

100 %, no exceptions list. ``parse`` applies BuildKit's parser-level checks only, and BuildKit's
parser accepts every file of corpus/files. (Two of them, BuildKit's own parser test files
``testfiles/flags`` and ``testfiles/health``, fail its *instruction* checks; ``strict=True``
is tested on them in test_buildkit_agreement.py.)
"""

from __future__ import annotations

import pytest

import dockeropt
from parser_testlib import corpus_params, decode, show_diff

pytestmark = pytest.mark.corpus


@pytest.mark.parametrize("path", corpus_params("files"))
def test_roundtrip(path):
    data = path.read_bytes()
    text = decode(data)
    try:
        tree = dockeropt.parse(text)
    except dockeropt.DockerfileSyntaxError as err:
        pytest.fail(f"{path.name}: BuildKit's parser accepts this file but parse raised: {err}",
                    pytrace=False)
    code = tree.code
    if code != text:
        pytest.fail(f"{path.name} does not round-trip: {show_diff(text, code)}", pytrace=False)
    # The bytes come back exactly, too (surrogateescape for the one non-UTF-8 file).
    assert code.encode("utf-8", "surrogateescape") == data
