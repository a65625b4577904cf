"""State changes, and-chains, backgrounds, exits: what RUN merging relies on."""

import pytest

from dockeropt.shell import parse_shell


def reasons(text):
    return [r for _, r in parse_shell(text).state_changes()]


@pytest.mark.parametrize(
    "text",
    [
        "cd /src",
        "pushd /x",
        "popd",
        "export PATH=/x:$PATH",
        "set -e",
        "set -x",
        "shopt -s globstar",
        "umask 022",
        "ulimit -n 1024",
        "source /etc/profile",
        ". ./env.sh",
        "unalias ll",
        "trap 'rm -f x' EXIT",
        "unset VAR",
        "eval \"$(ssh-agent)\"",
        "exec nginx",
        "exec >log 2>&1",
        "exit 0",
        "return 1",
        "readonly X=1",
        "declare -x X=1",
        "typeset X",
        "local X",
        "hash -r",
        "enable -n echo",
        "builtin cd /x",
        "command cd /x",
        "time cd /x",
        "f() { :; }",
        "A=1",
        "A=1 B=$(date)",
        "read line < file",
        "shift",
        "let x=1",
        "printf -v v %s x",
        "for i in 1 2; do :; done",
        "echo $((n+=1))",
        "echo ${X:=default}",
        "(( i++ ))",
        "$CMD arg",
        "A=1 :",
        "cat x | cd /tmp",  # pipeline elements count, conservatively
        "true && cd /x",
        "if true; then cd /x; fi",
        "{ cd /x; }",
        "while false; do export A; done",
    ],
)
def test_state_changes(text):
    s = parse_shell(text)
    assert s.ok, s.error
    assert s.state_changes(), text


@pytest.mark.parametrize(
    "text",
    [
        "apt-get update && apt-get install -y curl",
        "(cd /src && make)",
        "echo $(cd /x && pwd)",
        "echo `cd /x`",
        "diff <(cd a && ls) <(cd b && ls)",
        "A=1 make",
        "DEBIAN_FRONTEND=noninteractive apt-get install -y x",
        "command -v cd",
        "sudo cd /x",
        "echo cd /x",
        "echo 'export A=1'",
        "[ -f x ] && echo y",
        "(( n > 1 ))",
        "echo $((n + 1)) ${x:-y}",
        "(export A=1; set -e)",
        "",
        "# cd /x",
    ],
)
def test_no_state_changes(text):
    s = parse_shell(text)
    assert s.ok, s.error
    assert s.state_changes() == [], s.state_changes()


def test_state_change_points_to_command():
    s = parse_shell("apt-get update && cd /x && make")
    ((cmd, reason),) = s.state_changes()
    assert cmd is not None and cmd.name == "cd"
    assert "working directory" in reason


def test_state_changes_in_source_order():
    rs = reasons("export A=1; f() { :; }; cd /x")
    assert [r.split(":")[0].split()[0] for r in rs] == ["export", "defines", "cd"]


def test_function_call_with_assignment_prefix():
    assert any("assignment before f" in r for r in reasons("f() { :; }; A=1 f"))


# --- is_and_chain -------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("a", True),
        ("a && b && c", True),
        ("a | b && c", True),
        ("! a && b", True),
        ("(a; b) && { c; d; }", True),
        ("if a; then b; fi", True),
        ("a && b # comment", True),
        ("a \\\n && b", True),
        ("a || b", False),
        ("a && b || c", False),
        ("a; b", False),
        ("a && b;", False),
        ("a\nb", False),
        ("a && b\n", False),
        ("a &", False),
        ("a && b &", False),
        ("", False),
        ("# only", False),
        ("a &&", False),
    ],
)
def test_is_and_chain(text, expected):
    assert parse_shell(text).is_and_chain() is expected


# --- background and exit ------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("a &", True),
        ("a & b", True),
        ("a && b &", True),
        ("{ a & }", True),
        ("a && b", False),
        ("a &> log", False),
        ("a 2>&1", False),
        ("echo '&'", False),
    ],
)
def test_has_background(text, expected):
    s = parse_shell(text)
    assert s.ok
    assert s.has_background is expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("exit 0", True),
        ("a && exit 1", True),
        ("{ a || exit 1; }", True),
        ("if a; then exit 1; fi", True),
        ("exec nginx -g 'daemon off;'", True),
        ("return", True),
        ("builtin exit", True),
        ("(exit 1)", False),
        ("echo $(exit 1)", False),
        ("exec >log", False),
        ("echo exit", False),
        ("a && b", False),
    ],
)
def test_has_exit(text, expected):
    s = parse_shell(text)
    assert s.ok
    assert s.has_exit is expected


# --- merge reasoning ------------------------------------------------------------


def can_merge(a: str, b: str) -> bool:
    """What a RUN-merging rule would check before writing `A && B`."""
    sa, sb = parse_shell(a), parse_shell(b)
    return (
        sa.ok
        and sb.ok
        and not sa.state_changes()
        and not sa.has_trailing_comment
        and not sa.has_background
        and not sa.has_exit
        and sb.is_and_chain()
    )


@pytest.mark.parametrize(
    "a, b, expected",
    [
        ("apt-get update", "apt-get install -y curl", True),
        ("a || true", "b && c", True),  # (a || true) && b && c keeps a's semantics
        ("a; b", "c", True),  # `a; b && c`: a's status was ignored anyway
        ("cd /src", "make", False),
        ("export A=1", "b", False),
        ("set -e", "b", False),
        ("a # note", "b", False),
        ("a &", "b", False),
        ("a", "b1 || b2", False),  # `a && b1 || b2` runs b2 when a fails
        ("a", "b; c", False),
        ("exit 0", "b", False),
        ("(cd /src && make)", "b", True),
        ("a 'unterminated", "b", False),
    ],
)
def test_merge_decisions(a, b, expected):
    assert can_merge(a, b) is expected
