"""The shipped LALR tables are the ones Lark builds from the grammar as it is now."""

from __future__ import annotations

import pytest

from dockeropt.syntax import lalr
from dockeropt.syntax.lexer import tokenize
from dockeropt.syntax.parse import _CALLBACKS

SAMPLES = [
    "FROM a\n",
    "\ufeff# syntax=docker/dockerfile:1\n# escape=`\n\n# c\nFROM a AS b\nRUN x `\n  # inside\n\n  y\n",
    "FROM a\nRUN <<EOF cat - <<-EOT\nx\nEOF\n\tz\n\tEOT\nCOPY <<A /a\nA\n# tail\n\n",
    "FROM a\r\n  run  x \\ \r\ny\r\nONBUILD RUN z",
    "FROM a\nRUN a \\",
]


def test_tables_were_generated_from_this_grammar():
    shipped = lalr.load_tables()
    assert shipped["grammar_sha256"] == lalr.grammar_sha256(), (
        "grammar/dockerfile.lark changed: run `python -m dockeropt.syntax.lalr` to rebuild the tables"
    )


@pytest.mark.parametrize("text", SAMPLES)
def test_fresh_lark_tables_build_the_same_tree(text):
    pytest.importorskip("lark")
    fresh = lalr.build_tables()
    assert lalr.run(fresh, tokenize(text), _CALLBACKS) == lalr.run(lalr.load_tables(), tokenize(text), _CALLBACKS)
    assert lalr.run(fresh, tokenize(text), _CALLBACKS).code == text


def test_a_token_stream_the_grammar_forbids_is_a_parse_error():
    from dockeropt.syntax.lexer import Token

    with pytest.raises(lalr.ParseError):
        lalr.run(lalr.load_tables(), [Token("KEYWORD", "RUN"), Token("DIRECTIVE", "# escape=`\n")], _CALLBACKS)
