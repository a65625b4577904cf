"""When the parse is refused (ok=False), and that it never raises."""

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
