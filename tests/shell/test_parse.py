"""Structure of parsed scripts: lists, pipelines, commands, words, comments."""

import pytest

from dockeropt.shell import Compound, ShellScript, SimpleCommand, parse_shell


def argv(cmd: SimpleCommand) -> list:
    return [w.value for w in cmd.argv]


def names(script: ShellScript) -> list:
    return [c.name for c in script.commands]


def span(text: str, x) -> str:
    return text[x.start : x.end]


# --- and-or lists -----------------------------------------------------------


def test_single_command():
    s = parse_shell("apt-get update")
    assert s.ok and s.error is None
    assert len(s.lists) == 1
    (lst,) = s.lists
    assert (lst.start, lst.end, lst.operators, lst.terminator) == (0, 14, (), None)
    (cmd,) = s.commands
    assert argv(cmd) == ["apt-get", "update"]
    assert cmd.name == "apt-get"
    assert cmd.top_level and not cmd.in_condition and not cmd.in_pipeline and not cmd.in_subshell


def test_and_or_operators_and_terminators():
    text = "a && b || c; d & e | f"
    s = parse_shell(text)
    assert s.ok
    assert [span(text, l) for l in s.lists] == ["a && b || c", "d", "e | f"]
    assert [l.operators for l in s.lists] == [("&&", "||"), (), ()]
    assert [l.terminator for l in s.lists] == [";", "&", None]
    assert [span(text, p) for p in s.lists[0].pipelines] == ["a", "b", "c"]
    assert [len(p.commands) for p in s.lists[2].pipelines] == [2]
    assert s.has_background


def test_newline_terminators():
    text = "a\nb # note\n# only a comment\nc &&\n d\n"
    s = parse_shell(text)
    assert s.ok
    assert [span(text, l) for l in s.lists] == ["a", "b", "c &&\n d"]
    assert [l.terminator for l in s.lists] == ["\n", "\n", "\n"]
    assert s.lists[2].operators == ("&&",)


def test_trailing_semicolon_is_terminator():
    s = parse_shell("a && b;")
    assert s.lists[0].terminator == ";"
    assert not s.is_and_chain()


def test_left_of_and_or_is_condition():
    s = parse_shell("a && b || c")
    assert [c.in_condition for c in s.commands] == [True, True, False]
    assert all(c.top_level for c in s.commands)


def test_negated_pipeline():
    text = "! a | b && c"
    s = parse_shell(text)
    assert s.ok
    p = s.lists[0].pipelines[0]
    assert p.negated and span(text, p) == "! a | b"
    assert [c.name for c in p.commands] == ["a", "b"]
    assert [c.in_condition for c in s.commands] == [True, True, False]
    assert [c.in_pipeline for c in s.commands] == [True, True, False]
    assert not s.lists[0].pipelines[1].negated


def test_negated_single_command():
    s = parse_shell("! grep -q x f")
    assert s.ok and s.lists[0].pipelines[0].negated
    assert s.commands[0].in_condition and s.commands[0].top_level


def test_bang_inside_pipeline_is_not_ok():
    assert not parse_shell("a | ! b").ok


def test_pipeline_flags():
    s = parse_shell("curl -s x | tar xz -C /opt |& cat")
    assert s.ok
    assert all(c.in_pipeline and c.top_level for c in s.commands)
    assert len(s.lists[0].pipelines[0].commands) == 3


def test_empty_and_blank_scripts():
    for text in ("", "   ", "\n\n", "# just a comment"):
        s = parse_shell(text)
        assert s.ok, text
        assert s.lists == () and s.commands == ()
        assert not s.is_and_chain()
        assert s.state_changes() == []


# --- words ------------------------------------------------------------------


@pytest.mark.parametrize(
    "word, value",
    [
        ("plain", "plain"),
        ("'a b'", "a b"),
        ('"x"', "x"),
        ("--foo=bar", "--foo=bar"),
        ('--foo="b c"', "--foo=b c"),
        ("a\\ b", "a b"),
        ("\\$HOME", "$HOME"),
        ("'$HOME'", "$HOME"),
        ('"a\\$b"', "a$b"),
        ('"a\\b"', "a\\b"),
        ('"a\\\\b"', "a\\b"),
        ('"\\""', '"'),
        ("a'b'\"c\"d", "abcd"),
        ("''", ""),
        ('""', ""),
        ("x~", "x~"),
        ("'~'", "~"),
        ("é'ü'", "éü"),
        ("a#b", "a#b"),
        ("$x", None),
        ('"$x"', None),
        ("${x:-y}", None),
        ("$(pwd)", None),
        ("`pwd`", None),
        ('"a$(pwd)"', None),
        ("$((1+2))", None),
        ("$'a\\nb'", None),
        ("~", None),
        ("~/x", None),
        ("{a,b}.txt", None),
        ("x{1..3}", None),
        ("a{},}", None),  # bash: a} a
        ("a{b}", "a{b}"),
        ("a,b}", "a,b}"),
        ("'{a,b}'", "{a,b}"),
    ],
)
def test_word_values(word, value):
    s = parse_shell(f"echo {word}")
    assert s.ok, s.error
    cmd = s.commands[0]
    assert len(cmd.argv) == 2, cmd.argv
    w = cmd.argv[1]
    assert w.text == word
    assert w.value == value


@pytest.mark.parametrize(
    "word, glob",
    [
        ("/var/lib/apt/lists/*", True),
        ("file?.txt", True),
        ("pkg[extra]", True),
        ("'*'", False),
        ('"pkg[extra]"', False),
        ("\\*", False),
        ("$d/*", True),
        ("plain", False),
    ],
)
def test_word_globs(word, glob):
    (cmd,) = parse_shell(f"rm -rf {word}").commands
    assert cmd.argv[2].has_glob is glob


def test_glob_keeps_its_text():
    (cmd,) = parse_shell("rm -rf /var/lib/apt/lists/*").commands
    w = cmd.argv[2]
    assert w.value == "/var/lib/apt/lists/*" and w.has_glob


def test_word_spans_cover_the_source():
    text = "apt-get install -y 'a b' \"c\" --x=$Y >/dev/null"
    s = parse_shell(text)
    (cmd,) = s.commands
    for w in cmd.argv:
        assert text[w.start : w.end] == w.text
    assert [r.text for r in cmd.redirects] == [">/dev/null"]
    assert span(text, cmd) == text


def test_assignments_prefix():
    text = 'DEBIAN_FRONTEND=noninteractive TZ="Europe/Paris" apt-get install -y tzdata'
    (cmd,) = parse_shell(text).commands
    assert [a.value for a in cmd.assignments] == ["DEBIAN_FRONTEND=noninteractive", "TZ=Europe/Paris"]
    assert cmd.name == "apt-get"
    assert argv(cmd) == ["apt-get", "install", "-y", "tzdata"]


def test_assignment_values():
    (cmd,) = parse_shell('A=1 B="$x" C= D=~/x E+=y F=*').commands
    assert [a.value for a in cmd.assignments] == ["A=1", None, "C=", None, "E+=y", "F=*"]
    assert not any(a.has_glob for a in cmd.assignments)
    assert cmd.argv == ()


def test_non_ascii_assignment_name_is_not_ok():
    # sh runs `é=1` as a command name; tree-sitter calls it an assignment.
    assert not parse_shell("é=1 true").ok


def test_name_none_when_dynamic():
    (cmd,) = parse_shell('"$PIP" install x').commands
    assert cmd.name is None
    assert cmd.argv[1].value == "install"


# --- redirects --------------------------------------------------------------


def test_redirect_after_and_list_belongs_to_last_command():
    # tree-sitter-bash parses this as `(a && b) >f`; sh binds `>f` to b.
    text = "apt-get update && apt-get install -y foo > /dev/null 2>&1"
    s = parse_shell(text)
    assert s.ok
    first, second = s.commands
    assert first.redirects == ()
    assert [r.text for r in second.redirects] == ["> /dev/null", "2>&1"]
    assert s.lists[0].operators == ("&&",)
    assert s.lists[0].end == len(text)


def test_words_after_redirect_are_arguments():
    text = "echo a <in -b && c 2>&1 d"
    s = parse_shell(text)
    assert s.ok
    assert [argv(c) for c in s.commands] == [["echo", "a", "-b"], ["c", "d"]]
    assert [[r.text for r in c.redirects] for c in s.commands] == [["<in"], ["2>&1"]]


def test_redirect_before_command():
    (cmd,) = parse_shell(">log echo hi").commands
    assert argv(cmd) == ["echo", "hi"]
    assert [r.text for r in cmd.redirects] == [">log"]


def test_redirect_only_command():
    s = parse_shell(">file")
    assert s.ok
    (cmd,) = s.commands
    assert cmd.argv == () and [r.text for r in cmd.redirects] == [">file"]


def test_herestring_and_pipe_redirects():
    s = parse_shell("cat <<< x | grep y 2>/dev/null")
    assert s.ok
    assert [[r.text for r in c.redirects] for c in s.commands] == [["<<< x"], ["2>/dev/null"]]


def test_redirect_on_compound():
    s = parse_shell("{ a; b; } > log 2>&1 && c")
    assert s.ok
    group = s.lists[0].pipelines[0].commands[0]
    assert isinstance(group, Compound) and group.kind == "group"
    assert [c.name for c in group.commands] == ["a", "b"]


# --- nesting and context ----------------------------------------------------


def test_subshell_and_group():
    text = "(cd /src && make) && { echo a; echo b; }"
    s = parse_shell(text)
    assert s.ok
    assert names(s) == ["cd", "make", "echo", "echo"]
    cd, make, e1, e2 = s.commands
    assert cd.in_subshell and make.in_subshell and not cd.top_level
    assert not e1.in_subshell and not e1.top_level
    kinds = [p.commands[0].kind for p in s.lists[0].pipelines]
    assert kinds == ["subshell", "group"]
    assert make.in_condition  # the subshell is left of &&


def test_command_substitution_order_and_context():
    text = 'echo "$(cd /x && pwd)" `date` <(ls)'
    s = parse_shell(text)
    assert s.ok
    assert names(s) == ["echo", "cd", "pwd", "date", "ls"]
    echo, *inner = s.commands
    assert echo.top_level and not echo.in_subshell
    assert all(c.in_subshell and not c.top_level for c in inner)
    assert echo.argv[1].value is None


def test_assignment_from_substitution():
    s = parse_shell("V=$(cat /etc/version)")
    assert s.ok
    assert names(s) == [None, "cat"]
    assert s.commands[0].assignments[0].value is None


def test_if_elif_else():
    text = "if [ -f a ]; then b; elif test -d c; then d; else e; fi"
    s = parse_shell(text)
    assert s.ok
    assert names(s) == ["[", "b", "test", "d", "e"]
    assert [c.in_condition for c in s.commands] == [True, False, True, False, False]
    assert not any(c.top_level for c in s.commands)
    assert argv(s.commands[0]) == ["[", "-f", "a", "]"]
    assert s.lists[0].pipelines[0].commands[0].kind == "if"


def test_loops():
    text = "for f in *.deb; do dpkg -i $f; done; while read l; do echo $l; done < list; until false; do :; done"
    s = parse_shell(text)
    assert s.ok
    assert names(s) == ["dpkg", "read", "echo", "false", ":"]
    assert [c.in_condition for c in s.commands] == [False, True, False, True, False]
    assert [l.pipelines[0].commands[0].kind for l in s.lists] == ["for", "while", "until"]


def test_c_style_for():
    s = parse_shell("for ((i=0; i<3; i++)); do echo $i; done")
    assert s.ok
    assert names(s) == ["echo"]
    assert any("arithmetic" in r for _, r in s.state_changes())


def test_case():
    text = 'case "$(uname -m)" in x86_64|amd64) A=x;; aarch64) apt-get install -y b ;; *) exit 1;; esac'
    s = parse_shell(text)
    assert s.ok, s.error
    assert names(s) == ["uname", None, "apt-get", "exit"]
    assert s.commands[0].in_subshell and not s.commands[2].in_subshell
    assert s.lists[0].pipelines[0].commands[0].kind == "case"


def test_function_definition():
    s = parse_shell("f() { cd /x; }; function g { ls; }; f")
    assert s.ok
    assert names(s) == ["cd", "ls", "f"]
    assert s.commands[0].in_function and not s.commands[2].in_function
    assert s.functions == frozenset({"f", "g"})


def test_declaration_commands_are_simple_commands():
    s = parse_shell("export A=1 B; declare -x C; local d; readonly E=2; unset F; typeset G")
    assert s.ok
    assert names(s) == ["export", "declare", "local", "readonly", "unset", "typeset"]
    assert argv(s.commands[0]) == ["export", "A=1", "B"]


def test_double_bracket_test():
    s = parse_shell('[[ -n "$x" && $y == z* ]] && echo ok')
    assert s.ok
    assert names(s) == ["[[", "echo"]


def test_arith_command():
    s = parse_shell("(( n > 1 )) && echo big")
    assert s.ok
    assert s.lists[0].pipelines[0].commands[0].kind == "arith"
    assert s.state_changes() == []


def test_deeply_nested():
    text = "if a; then (while b; do { c | $(d) ; } ; done) ; fi"
    s = parse_shell(text)
    assert s.ok
    c, d = s.commands[2], s.commands[4]
    assert s.commands[3].argv[0].text == "$(d)"
    assert c.name == "c" and c.in_pipeline and c.in_subshell and not c.in_condition
    assert d.name == "d" and d.in_subshell and d.in_pipeline


# --- comments ---------------------------------------------------------------


def test_comments():
    text = "a # one\nb #two"
    s = parse_shell(text)
    assert [c.text for c in s.comments] == ["# one", "#two"]
    assert all(span(text, c) == c.text for c in s.comments)
    assert s.has_trailing_comment


@pytest.mark.parametrize(
    "text, trailing",
    [
        ("a # c", True),
        ("a # c\n", False),
        ("a # c\nb", False),
        ("echo a#b", False),
        ("echo '# not'", False),
        ('echo "#x"', False),
        ("echo ${x#y}", False),
        ("echo #x", True),
        ("a && b #", True),
    ],
)
def test_trailing_comment(text, trailing):
    s = parse_shell(text)
    assert s.ok
    assert s.has_trailing_comment is trailing


def test_comment_inside_substitution():
    s = parse_shell("echo $(a # c\n) b")
    assert s.ok
    assert [c.text for c in s.comments] == ["# c"]
    assert not s.has_trailing_comment


# --- escaped newlines, unicode --------------------------------------------


def test_escaped_newline_between_words():
    text = "apt-get install -y \\\n    curl \\\n    git"
    s = parse_shell(text)
    assert s.ok
    assert argv(s.commands[0]) == ["apt-get", "install", "-y", "curl", "git"]
    assert s.is_and_chain()


def test_escaped_newline_after_operator():
    s = parse_shell("a && \\\n b")
    assert s.ok and s.is_and_chain()
    assert s.lists[0].terminator is None


def test_escaped_newline_inside_quotes():
    s = parse_shell('echo "a\\\nb"')
    assert s.ok
    assert s.commands[0].argv[1].value == "ab"


def test_escaped_newline_inside_single_quotes_is_literal():
    s = parse_shell("echo 'a\\\nb'")
    assert s.ok
    assert s.commands[0].argv[1].value == "a\\\nb"


def test_escaped_newline_joining_a_word_is_not_ok():
    # sh: `install`; tree-sitter: `ins` `tall`
    s = parse_shell("apt-get ins\\\ntall x")
    assert not s.ok and "continuation" in s.error


def test_escaped_backslash_then_newline_is_a_separator():
    s = parse_shell("echo a\\\\\nls")
    assert s.ok
    assert names(s) == ["echo", "ls"]
    assert s.commands[0].argv[1].value == "a\\"


def test_unicode_offsets_are_characters():
    text = "echo 'héllo wörld' && ls /tmp/ü # ça"
    s = parse_shell(text)
    assert s.ok
    echo, ls = s.commands
    assert echo.argv[1].value == "héllo wörld"
    assert span(text, echo.argv[1]) == "'héllo wörld'"
    assert span(text, ls) == "ls /tmp/ü"
    assert ls.argv[1].value == "/tmp/ü"
    assert s.comments[0].text == "# ça" and span(text, s.comments[0]) == "# ça"
    assert s.lists[0].end == text.index(" #")


def test_astral_plane_characters():
    text = "echo 🐳 && echo '🐍'"
    s = parse_shell(text)
    assert s.ok
    assert [c.argv[1].value for c in s.commands] == ["🐳", "🐍"]
    assert span(text, s.commands[1]) == "echo '🐍'"


def test_non_breaking_space_is_part_of_a_word():
    s = parse_shell("apt-get\u00a0install")
    assert s.ok
    assert argv(s.commands[0]) == ["apt-get\u00a0install"]
