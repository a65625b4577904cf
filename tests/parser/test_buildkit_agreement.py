"""Our instruction line spans agree with BuildKit's parser on every corpus file.

Reference: the ``dockerfile`` package = BuildKit v0.12.5 ``frontend/dockerfile/parser`` via cgo.
We compare the sequence ``(KEYWORD, start_line, end_line)`` (keyword upper-cased, ONBUILD as
one instruction, lines 1-based inclusive, heredoc bodies included).

How BuildKit counts (explored with the package; details and examples in BUILDKIT_NOTES.md):

* Lines end at ``\\n`` only. A lone ``\\r`` (or ``\\v``, ``\\f``, U+2028, ...) is NOT a line
  break; ``FROM a\\rRUN b\\n`` is one instruction on line 1. Each line's trailing run of
  ``\\r``/``\\n`` is trimmed, so CRLF files count exactly like LF files. A missing final
  newline changes nothing. A UTF-8 BOM is stripped from line 1 only.
* Directives: only the leading lines matching ``^#\\s*([a-zA-Z][a-zA-Z0-9]*)\\s*=\\s*(.+?)\\s*$``
  (after left-trim) with a known name: ``syntax``, ``escape`` (v0.12.5; modern BuildKit also
  ``check``). The block ends at the first other line (blank line, plain comment, unknown
  ``# foo=bar``, ``#!shebang``, instruction). Later directive-looking lines are comments.
  Duplicate known directive -> error ``only one escape parser directive can be used``;
  ``# escape=`` value other than `` ` `` or ``\\`` -> ``invalid escape token ...``.
* Continuation: a line continues iff (after newline trim) it matches
  ``([^E])E[ \\t]*$|^E[ \\t]*$`` (E = escape char). Spaces/tabs after E are fine, ``\\v``,
  ``\\f``, NBSP are not; ``\\\\`` at end does not continue. Within a continuation, comment lines
  (first non-space char ``#``) and blank/whitespace-only lines are skipped, even at EOF (they
  extend ``end_line``); continuation into EOF is not an error; a following ``RUN ...`` line
  after a skipped blank line is swallowed as a continuation.
* Heredocs: only RUN/COPY/ADD (also under ONBUILD), not in JSON form. Detected on the joined
  logical line by BuildKit's shell lexer: any word matching ``^(\\d*)<<(-?)([^<]*)$`` with a
  non-empty, single-word rest (``<<EOF``, ``<<-EOF``, ``<<"EOF"``, ``<<'EOF'``, ``3<<EOF``,
  ``cat <<EOF > /x`` in shell form too, even after ``#``). Not: ``cat<<EOF``, ``<< EOF``,
  ``'<<EOF'``, ``<<<EOF``, lines with an unterminated quote. Bodies are read raw until a line
  equal to the name (after trimming trailing CR/LF; with ``<<-`` also leading tabs); several
  heredocs are read in order. Missing terminator -> ``unterminated heredoc``.
* Parser-level errors: unterminated heredoc, ``ENV a``/``LABEL a`` (must have two arguments),
  ``ENV a=b c`` (can't find =), JSON array with non-strings, bad/duplicate directive,
  no instructions at all. Unknown instructions, invalid JSON (falls back to shell form), flags
  without value, ONBUILD ONBUILD pass the parser (they fail later, in instructions.Parse).

Known BuildKit bugs affecting these comparisons: none in the corpus (prefer zero). The
v0.12.5 vs modern differences (``# check=`` directive, trailing text after a JSON array
deciding heredoc-ness) do not occur in the corpus; they are recorded in BUILDKIT_NOTES.md.

The second part records where ``dockerfile-parse`` (a regex line parser) differs from BuildKit
and asserts the known categories, so the test fails if the picture changes.
"""

from __future__ import annotations

import re
from collections import Counter

import pytest

import dockeropt
from buildkit_ref import buildkit_verdict, bk_parse, bk_spans, dfp_spans, keyword
from parser_testlib import corpus_params, decode, require_corpus

pytestmark = pytest.mark.corpus


def our_spans(text: str) -> list[tuple[str, int, int]]:
    tree = dockeropt.parse(text)
    return [(i.keyword, i.start_line, i.end_line) for i in tree.instructions]


def describe_mismatch(ours, theirs) -> str:
    i = next((i for i, (a, b) in enumerate(zip(ours, theirs)) if a != b), min(len(ours), len(theirs)))
    return (
        f"{len(ours)} instructions vs BuildKit's {len(theirs)}; first difference at #{i}:\n"
        f"  ours    : {ours[max(0, i - 1):i + 2]}\n"
        f"  buildkit: {theirs[max(0, i - 1):i + 2]}"
    )


@pytest.mark.parametrize("path", corpus_params("files"))
def test_spans_agree_with_buildkit(path):
    data = path.read_bytes()
    ours = our_spans(decode(data))
    theirs = bk_spans(data)
    assert ours == theirs, describe_mismatch(ours, theirs)


@pytest.mark.parametrize("path", corpus_params("files"))
def test_strict_agrees_with_buildkit(path):
    """parse(strict=True) accepts exactly what BuildKit's instruction checks accept."""
    data = path.read_bytes()
    verdict = buildkit_verdict(data)
    if verdict.accepted:
        try:
            dockeropt.parse(decode(data), strict=True)
        except dockeropt.DockerfileSyntaxError as err:
            pytest.fail(f"BuildKit accepts {path.name}; strict parse raised: {err}", pytrace=False)
    else:
        # testfiles/flags (COPY --user=me: unknown flag) and testfiles/health (bare HEALTHCHECK)
        with pytest.raises(dockeropt.DockerfileSyntaxError) as info:
            dockeropt.parse(decode(data), strict=True)
        assert info.value.line == verdict.line, (
            f"BuildKit: line {verdict.line}: {verdict.message}; we said {info.value}")


# --------------------------------------------------------------------------- dockerfile-parse

# Where dockerfile-parse 2.0.1 (DockerfileParser(fileobj=...).structure, 0-based lines, COMMENT
# entries dropped) differs from BuildKit on the corpus. Each differing file is attributed to the
# cause at its first differing instruction:
#   heredoc          - it has no heredoc support: the body lines become instructions
#                      (``set -e`` -> SET, ``apt-get ...`` -> APT-GET) and the RUN/COPY ends on
#                      its first line.
#   empty-line-in-continuation - a blank line ends its continuation; BuildKit skips it and keeps
#                      going (often swallowing a following comment and the next instruction,
#                      e.g. apple/swift-docker RUN 52-70, BuildKit's testfiles/continueIndent).
#   escaped-escape-eol - its continuation regex ``^.*\\\s*$`` also matches ``\\`` at end of
#                      line (``C:\\Windows\\System32\\`` in docker-library/mongo's Windows files,
#                      ``ENV C trailing\\backslash\\`` in testfiles/trailing-backslash);
#                      BuildKit's does not.
#   continuation-at-eof - an instruction still continuing at end of file is dropped entirely.
#   bom              - it does not strip a UTF-8 BOM, so ``\ufeff# comment`` is an instruction.
# Comment lines inside continuations (skipped, end line extended) and ``# escape=`` directives
# are handled like BuildKit on this corpus. Counts are exact: a change in either parser or in
# the corpus shows up here.
EXPECTED_DFP_CATEGORIES = {
    "heredoc": 87,
    "empty-line-in-continuation": 7,
    "escaped-escape-eol": 3,
    "continuation-at-eof": 2,
    "bom": 1,
}

_ESCAPED_ESCAPE_EOL = re.compile(rb"\\\\[ \t\r]*$")


def _physical_lines(data: bytes) -> list[bytes]:
    return data.split(b"\n")


def classify_dfp_difference(data: bytes, bk, dfp) -> str:
    """Attribute the first difference between BuildKit and dockerfile-parse to one cause."""
    spans = [(keyword(c), c.start_line, c.end_line) for c in bk]
    i = next((i for i, (a, b) in enumerate(zip(spans, dfp)) if a != b), min(len(spans), len(dfp)))
    lines = _physical_lines(data)
    if i == 0 and data.startswith(b"\xef\xbb\xbf") and dfp and dfp[0][0].startswith("\ufeff"):
        return "bom"
    if i < len(bk) and bk[i].heredocs:
        return "heredoc"
    if i < len(bk):
        c = bk[i]
        body = lines[c.start_line - 1 : c.end_line]
        if any(not ln.strip() for ln in body[1:]):
            return "empty-line-in-continuation"
    if i < len(dfp):
        _, s, e = dfp[i]
        if any(_ESCAPED_ESCAPE_EOL.search(ln) for ln in lines[s - 1 : e - 1]):
            return "escaped-escape-eol"
    if i == len(dfp) and i < len(bk) and bk[-1].end_line >= len(lines) - 1:
        return "continuation-at-eof"
    return "unexplained"


def test_dockerfile_parse_differences_are_the_known_ones():
    files = require_corpus("files")
    categories: Counter[str] = Counter()
    unexplained = []
    for path in files:
        data = path.read_bytes()
        bk = bk_parse(data)
        dfp = dfp_spans(data)
        spans = [(keyword(c), c.start_line, c.end_line) for c in bk]
        if spans == dfp:
            continue
        cat = classify_dfp_difference(data, bk, dfp)
        categories[cat] += 1
        if cat == "unexplained":
            unexplained.append(f"{path.name}: {describe_mismatch(dfp, spans)}")
    assert not unexplained, "new kinds of difference:\n" + "\n".join(unexplained)
    assert dict(categories) == EXPECTED_DFP_CATEGORIES
