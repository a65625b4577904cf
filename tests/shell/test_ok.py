"""When the parse is refused (ok=False), and that it never raises."""

import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dockeropt.shell import parse_shell


@pytest.mark.parametrize(
    "text, reason",
    [
        ("a &&", "missing"),
        ("a |", "missing"),
        ("(", "syntax"),
        ("echo 'unterminated", "syntax"),
        ('echo "unterminated', "syntax"),
        ("echo $(", "syntax"),
        ("if a; then b", "syntax"),
        ("a \\", "syntax"),
        ("a;;", "';;'"),
        ("cat <<EOF\nhi\nEOF", "heredoc"),
        ("cat <<-EOF && ls\n\thi\n\tEOF", "heredoc"),
        ("a\r\nb", "carriage return"),
        ("a\x00b", "NUL"),
        ("a\fb", "form feed"),
        ("echo `a \\`b\\``", "backticks"),
        ("alias ll='ls -l'; ll", "alias"),
        ("{ a; } > f c", "compound"),
        ("! ! a", "'!'"),
    ],
)
def test_not_ok(text, reason):
    s = parse_shell(text)
    assert not s.ok
    assert reason in s.error
    assert not s.is_and_chain()
    assert s.state_changes()[-1][0] is None
    assert s.state_changes()[-1][1].startswith("not understood")


@pytest.mark.parametrize(
    "text",
    [
        "a <<< 'here string'",
        "echo $'ansi'",
        "echo {a,b}",
        "echo ~",
        "select x in a b; do echo $x; done",
        "a |& b",
        "echo ${#x} $@ $1 $? $$",
        "arr=(1 2 3)",
        "a[1]=x",
        "coproc foo",
        "alias",
    ],
)
def test_ok(text):
    assert parse_shell(text).ok, parse_shell(text).error


def test_result_is_cached_and_immutable():
    a = parse_shell("a && b")
    assert parse_shell("a && b") is a
    with pytest.raises(Exception):
        a.ok = False  # type: ignore[misc]


@pytest.mark.parametrize(
    "text",
    [
        "(" * 3000,
        "$(" * 2000,
        "{ " * 2000,
        "a && " * 3000 + "b",
        "if " * 1000,
        "\udcff\udc80",
        "'\udcff'",
        "\\" * 1001,
        "\x00" * 10,
        "é" * 10000,
        ")))",
        "}}} fi done esac",
        "$((",
        "${",
        "<<",
        "&&",
        ";",
        "&",
    ],
)
def test_garbage_never_raises(text):
    s = parse_shell(text)
    check_spans(s)


def check_spans(s):
    n = len(s.text)

    def within(x):
        assert 0 <= x.start <= x.end <= n, (x, n)

    for lst in s.lists:
        within(lst)
        for p in lst.pipelines:
            within(p)
            for c in p.commands:
                within(c)
    for c in s.commands:
        within(c)
        for w in (*c.argv, *c.assignments, *c.redirects):
            within(w)
            assert s.text[w.start : w.end] == w.text
    for c in s.comments:
        within(c)
        assert s.text[c.start : c.end] == c.text
    for ch in s.changes:
        assert 0 <= ch.start <= n
    assert isinstance(s.ok, bool)
    assert s.ok == (s.error is None)
    s.state_changes()
    s.is_and_chain()


shellish = st.text(
    alphabet=st.sampled_from(list("ab cd$(){}[]|&;<>'\"`\\\n#=*?!~-é🐳\t")) | st.characters(),
    max_size=80,
)


@settings(max_examples=400, deadline=None)
@given(shellish)
def test_never_raises_and_spans_are_in_text(text):
    s = parse_shell(text)
    check_spans(s)
    assert not (s.error or "").startswith("internal error")


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_never_raises_on_any_text(text):
    check_spans(parse_shell(text))


@pytest.mark.parametrize(
    "text, reason",
    [
        # Places where tree-sitter-bash tokenises differently from sh
        # (found by tests/shell/test_against_sh.py).
        ("echo \\ a", "skipped"),  # sh: one word " a"; tree-sitter: "a"
        ("echo 'x'\\$v", "without a blank"),  # sh: one word; tree-sitter: two
        ("echo $v\\a", "without a blank"),
        ("echo =='x y'", "without a blank"),
        ("echo ==\n a", "newline inside a simple command"),
        ("[ -f x\n ]", "newline inside a simple command"),
        ("echo {\t{", "blank inside a word"),
        ("apt-get ins\\\ntall", "continuation"),
    ],
)
def test_tree_sitter_quirks_are_not_ok(text, reason):
    s = parse_shell(text)
    assert not s.ok
    assert reason in s.error


def test_tree_sitter_only_sees_ascii():
    # tree-sitter-bash#337: `{` then a character beyond U+FFFF can segfault
    # the process (only now and then: it depends on the memory layout).
    from dockeropt.shell.parser import _Builder

    assert _Builder("{\U00080afa é 中 🐳 \udcff").data.isascii()


def test_no_segfault_on_brace_then_astral_character():
    # Same, end to end, in a child process so a regression cannot kill pytest.
    code = (
        "from dockeropt.shell import parse_shell\n"
        "for i in range(300):\n"
        "    s = parse_shell('{\\U00080afa' + chr(0x10000 + i) + ' ' * (i % 7))\n"
        "    assert s.text[:1] == '{'\n"
        "print('ok')\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip() == "ok"


def test_astral_characters_keep_character_offsets():
    text = "echo '{🐳}' && apt-get install -y \U00080afa"
    s = parse_shell(text)
    assert s.ok
    echo, apt = s.commands
    assert echo.argv[1].value == "{🐳}"
    assert text[apt.start : apt.end] == "apt-get install -y \U00080afa"
    assert apt.argv[3].value == "\U00080afa"


@pytest.mark.parametrize(
    "text, ok",
    [
        ("echo 'éé' 'x\\\ny'", True),  # backslash-newline inside single quotes: literal
        ("echo éé \"x\\\ny\"", True),  # inside double quotes: removed by sh, and by us
        ("echo éé ins\\\ntall", False),  # joins two words in sh
    ],
)
def test_continuation_check_after_non_ascii(text, ok):
    assert parse_shell(text).ok is ok


def test_newline_before_operator_is_not_ok():
    # sh: syntax error ("&&" unexpected); tree-sitter joins the lines.
    s = parse_shell("a \n\\\n && b")
    assert not s.ok and "newline before '&&'" in s.error
    assert not parse_shell("a \n\\\n | b").ok
    assert parse_shell("a && \\\n b | \\\n c").ok
