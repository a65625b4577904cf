"""Error messages for typical mistakes: snapshot of ``str(err)`` and ``(line, column)``.

Every case is first checked to be really rejected by BuildKit (``buildkit_verdict``: level 1 is
BuildKit's own parser via the ``dockerfile`` package, level 2 mirrors instructions.Parse, see
buildkit_ref.py and BUILDKIT_NOTES.md), and the line is asserted explicitly; the snapshot pins
the wording and the column. Regenerate with ``pytest tests/parser/test_syntax_errors.py
--snapshot-update`` after a deliberate wording change, and review the diff.

The second half lists near-misses BuildKit ACCEPTS (``RUN ["a",]`` falls back to shell form,
``ENV a b c`` is the old form, a directive after an instruction is a comment, ...): parse must
not raise on them and must round-trip.
"""

from __future__ import annotations

import pytest

import dockeropt
from buildkit_ref import buildkit_verdict

# name: (text, line BuildKit reports, BuildKit's message for reference)
# line None: BuildKit gives no location (only ARGs, no FROM); we then require 1 <= line <= n.
ERRORS = {
    "unknown_instruction": (
        "FROM alpine\nRUNN echo hi\n", 2, "unknown instruction: RUNN"),
    "unknown_instruction_lowercase": (
        "FROM alpine\nrunn echo hi\n", 2, "unknown instruction: runn"),
    "unterminated_heredoc": (
        "FROM alpine\nRUN <<EOF\necho hi\n", 2, "unterminated heredoc"),
    "unterminated_heredoc_trailing_space_terminator": (
        "FROM alpine\nRUN cat <<EOF > /x\nhi\nEOF \n", 2, "unterminated heredoc"),
    "bad_escape_directive": (
        # BuildKit itself reports line 0 here (off-by-one in its directive errors).
        "# escape=x\nFROM alpine\n", 1, "invalid escape token 'x' does not match ` or \\"),
    "duplicate_escape_directive": (
        "# escape=`\n# escape=\\\nFROM alpine\n", 2,
        "only one escape parser directive can be used"),
    "duplicate_syntax_directive": (
        "# syntax=docker/dockerfile:1\n# syntax=docker/dockerfile:1\nFROM alpine\n", 2,
        "only one syntax parser directive can be used"),
    "shell_json_trailing_comma": (
        # Invalid JSON falls back to shell form; SHELL requires JSON form.
        'FROM alpine\nSHELL ["/bin/sh", "-c",]\n', 2,
        "SHELL requires the arguments to be in JSON form"),
    "json_array_not_strings": (
        'FROM alpine\nCMD ["echo", 1]\n', 2,
        "when using JSON array syntax, arrays must be comprised of strings only"),
    "flag_without_value": (
        "FROM alpine\nCOPY --from file.txt /app/\n", 2, "missing a value on flag: from"),
    "run_mount_without_value": (
        "FROM alpine\nRUN --mount echo hi\n", 2, "missing a value on flag: mount"),
    "env_no_value": (
        "FROM alpine\nENV DEBUG\n", 2, "ENV must have two arguments"),
    "env_missing_equals": (
        "FROM alpine\nENV A=1 B\n", 2,
        "Syntax error - can't find = in \"B\". Must be of the form: name=value"),
    "multiline_error_reports_start_line": (
        "FROM alpine\nENV A=1 \\\n    B\n", 2,
        "Syntax error - can't find = in \"B\". Must be of the form: name=value"),
    "from_missing": (
        "ARG VERSION=1\n", None, "dockerfile contains no stages to build"),
    "instruction_before_from": (
        "# comment\nRUN echo hi\nFROM alpine\n", 2, "no build stage in current context"),
    "empty_file": (
        # BuildKit reports line 0 (the number of lines read); lines are 1-based here.
        "", 1, "file with no instructions"),
    "only_comments": (
        "# just a comment\n\n# another\n", 3, "file with no instructions"),
    "healthcheck_unknown_option": (
        "FROM alpine\nHEALTHCHECK --intervall=5s CMD true\n", 2, "unknown flag: intervall"),
    "healthcheck_bad_interval": (
        "FROM alpine\nHEALTHCHECK --interval=5 CMD true\n", 2,
        'time: missing unit in duration "5"'),
    "healthcheck_zero_retries": (
        "FROM alpine\nHEALTHCHECK --retries=0 CMD true\n", 2,
        "--retries must be at least 1 (not 0)"),
    "healthcheck_unknown_type": (
        "FROM alpine\nHEALTHCHECK PING localhost\n", 2,
        'Unknown type "PING" in HEALTHCHECK (try CMD)'),
    "onbuild_onbuild": (
        "FROM alpine\nONBUILD ONBUILD RUN true\n", 2,
        "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed"),
    "onbuild_from": (
        "FROM alpine\nONBUILD FROM busybox\n", 2, "FROM isn't allowed as an ONBUILD trigger"),
    "maintainer_no_args": (
        "FROM alpine\nMAINTAINER\n", 2, "MAINTAINER requires exactly one argument"),
    "arg_no_name": (
        "FROM alpine\nARG\n", 2, "ARG requires at least one argument"),
    "from_two_args": (
        "FROM alpine latest\n", 1, "FROM requires either one or three arguments"),
    "copy_one_arg": (
        "FROM alpine\nCOPY app\n", 2, "COPY requires at least two arguments"),
    "lone_cr_is_not_a_line_break": (
        # One line: FROM gets the words alpine, RUN, x.
        "FROM alpine\rRUN x\n", 1, "FROM requires either one or three arguments"),
    "bom_on_second_line": (
        "FROM alpine\n\ufeffRUN x\n", 2, "unknown instruction: \ufeffRUN"),
    "crlf_error_line": (
        "FROM alpine\r\nRUN x \\\r\n  y\r\nENV A=1 B\r\n", 4,
        "Syntax error - can't find = in \"B\". Must be of the form: name=value"),
    "env_info_separator_is_not_space": (
        # \x1c-\x1f are whitespace for Python's str.strip/split, not for Go's unicode.IsSpace.
        "FROM alpine\nENV \x1c\n", 2, "ENV must have two arguments"),
    "heredoc_body_not_instructions_cmd": (
        # CMD does not take heredocs: the body lines are instructions.
        "FROM alpine\nCMD <<EOF\nhello\nEOF\n", 3, "unknown instruction: hello"),
}


@pytest.mark.parametrize("name", list(ERRORS))
def test_buildkit_rejects_it_too(name):
    text, line, message = ERRORS[name]
    verdict = buildkit_verdict(text)
    assert not verdict.accepted
    assert (verdict.line, verdict.message) == (line, message)


@pytest.mark.parametrize("name", list(ERRORS))
def test_syntax_error(name, snapshot):
    """parse(strict=True) raises where BuildKit does, at BuildKit's line.

    Plain parse() applies BuildKit's parser checks only: it raises the same error for a
    parser-level (level 1) mistake and round-trips the text for an instruction-level one.
    """
    text, line, _ = ERRORS[name]
    level = buildkit_verdict(text).level
    with pytest.raises(dockeropt.DockerfileSyntaxError) as info:
        dockeropt.parse(text, strict=True)
    err = info.value
    assert isinstance(err, ValueError)
    n_lines = max(1, text.count("\n") + (0 if text.endswith("\n") or not text else 1))
    if line is None:
        assert 1 <= err.line <= n_lines
    else:
        assert err.line == line, str(err)
    assert isinstance(err.column, int) and err.column >= 1
    assert err.message and err.message in str(err)
    assert {"str": str(err), "line": err.line, "column": err.column} == snapshot

    if level == 1:
        with pytest.raises(dockeropt.DockerfileSyntaxError) as info1:
            dockeropt.parse(text)
        assert (info1.value.line, info1.value.message) == (err.line, err.message)
    else:
        assert dockeropt.parse(text).code == text


# Near-misses BuildKit accepts.
ACCEPTED = {
    "run_json_trailing_comma_is_shell_form": 'FROM alpine\nRUN ["echo", "hi",]\n',
    "cmd_single_quotes_is_shell_form": "FROM alpine\nCMD ['echo', 'hi']\n",
    "env_old_form": "FROM alpine\nENV A b c\n",
    "directive_after_instruction_is_a_comment": "FROM alpine\n# escape=x\n",
    "directive_after_blank_line_is_a_comment": "\n# escape=x\nFROM alpine\n",
    "unknown_directive_ends_directives": "# foo=bar\n# escape=x\nFROM alpine\n",
    "empty_escape_value_ends_directives": "# escape=\n# escape=x\nFROM alpine\n",
    "check_directive": "# syntax=docker/dockerfile:1\n# check=error=true\nFROM alpine\n",
    "onbuild_unknown_trigger": "FROM alpine\nONBUILD FOO bar\n",
    "cmd_no_args": "FROM alpine\nCMD\n",
    "heredoc_terminated_at_eof": "FROM alpine\nRUN <<EOF\nx\nEOF",
    "continuation_at_eof": "FROM alpine\nRUN x \\",
    "lone_backslash_line_continues": "FROM alpine\nRUN x \\\n\\\n  y\n",
    "arg_before_from": "ARG V=1\nFROM alpine:$V\n",
    "lone_cr_inside_run": "FROM alpine\nRUN echo a\recho b\n",
    "comment_and_blank_in_continuation": "FROM alpine\nRUN a \\\n# c\n\n  b\n",
    "heredoc_in_quotes_is_not_a_heredoc": "FROM alpine\nRUN echo '<<EOF'\n",
    "heredoc_with_space_is_not_a_heredoc": "FROM alpine\nRUN cat << EOF\n",
    "heredoc_glued_is_not_a_heredoc": "FROM alpine\nRUN cat<<EOF\n",
    "unterminated_quote_disables_heredocs": "FROM alpine\nRUN echo 'a <<EOF\n",
    "heredoc_after_shell_comment_is_a_heredoc": "FROM alpine\nRUN x # <<EOF\nbody\nEOF\n",
    "bom": "\ufeffFROM alpine\n",
    "escape_after_bom": "\ufeff# escape=`\nFROM alpine\nRUN a `\n  b\n",
    "escaped_escape_does_not_continue": "FROM alpine\nRUN echo \\\\\nRUN true\n",
    # Go's encoding/json: NaN is no JSON, 1e400 overflows float64 -> both shell form, no error.
    "json_nan_is_shell_form": "FROM alpine\nRUN [NaN]\n",
    "json_float_overflow_is_shell_form": "FROM alpine\nRUN [1e400]\n",
    "workdir_info_separator_is_an_argument": "FROM alpine\nWORKDIR \x1c\n",
    # A heredoc word whose name lexes to nothing is no heredoc.
    "empty_heredoc_name_is_not_a_heredoc": "FROM alpine\nRUN cat <<''\nRUN true\n",
}


@pytest.mark.parametrize("name", list(ACCEPTED))
def test_not_an_error(name):
    text = ACCEPTED[name]
    assert buildkit_verdict(text).accepted
    assert dockeropt.parse(text).code == text
    assert dockeropt.parse(text, strict=True).code == text
