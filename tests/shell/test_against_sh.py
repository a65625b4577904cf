"""Differential tests: what parse_shell says vs what a real shell does.

For scripts the parser vouches for (ok=True), the static word values and the
and-or list structure must predict the output of ``dash``/``bash`` exactly.
"""

import shutil
import subprocess

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dockeropt.shell import parse_shell

SHELLS = [sh for sh in ("dash", "bash", "sh") if shutil.which(sh)][:2]
pytestmark = pytest.mark.skipif(not SHELLS, reason="no shell to compare with")

PIECES = st.sampled_from(
    ["a", "é", "'x y'", '"q r"', '"\\$"', '"\\\\"', '"\\a"', "\\ ", "\\'", "\\\n", "\\\\", "-y", "--x=",
     "=", "==", "#", "x#", "~", "{a,b}", "{", "}", ",", "\t", " ", "\n ", "$v", "'$v'", "\\$v", ":",
     "!", "&", "|", ";", "(", ")", "<", ">"]
)
WORDS = st.lists(PIECES, min_size=1, max_size=4).map("".join)
COMMAND = st.one_of(
    st.just("false"),
    st.just("! false"),
    st.just("! printf '<%s>\\n' n"),
    st.lists(WORDS, max_size=3).map(lambda ws: "printf '<%s>\\n' " + " ".join(ws)),
)
SEPARATOR = st.sampled_from(
    [" && ", " || ", "; ", "\n", " | ", " &&\n", " \\\n&& ", ";\n", " # c\n", "&&", "||", ";"]
)


@st.composite
def scripts(draw):
    commands = draw(st.lists(COMMAND, min_size=1, max_size=4))
    out = commands[0]
    for c in commands[1:]:
        out += draw(SEPARATOR) + c
    return out + draw(st.sampled_from(["", ";", "\n", " # end"]))


def run(shell: str, text: str, tmp_path) -> str:
    proc = subprocess.run([shell, "-c", text], capture_output=True, text=True, cwd=tmp_path,
                          env={"v": "V", "HOME": "/home"}, timeout=10)
    return proc.stdout


def predict(script) -> str:
    """The output of a script of `printf '<%s>\\n' ...` and `false` commands."""
    out = []

    def pipeline(p):
        last = p.commands[-1]
        if last.name == "false":
            status = 1
        else:
            values = [w.value for w in last.argv[2:]] or [""]
            out.extend(f"<{v}>\n" for v in values)
            status = 0
        return 1 - status if p.negated else status

    for lst in script.lists:
        status = pipeline(lst.pipelines[0])
        for op, p in zip(lst.operators, lst.pipelines[1:]):
            if (op == "&&") == (status == 0):
                status = pipeline(p)
    return "".join(out)


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(text=scripts())
def test_structure_and_words_match_the_shell(text, tmp_path_factory):
    s = parse_shell(text)
    if not s.ok or s.has_background:
        return
    for c in s.commands:
        if c.name not in ("printf", "false") or c.redirects:
            return
        if any(w.value is None or w.has_glob for w in c.argv):
            return
    expected = predict(s)
    tmp = tmp_path_factory.mktemp("sh")
    for shell in SHELLS:
        assert run(shell, text, tmp) == expected, (shell, text)


@pytest.mark.parametrize(
    "text",
    [
        "printf '<%s>\\n' a && false || printf '<%s>\\n' b",
        "false || printf '<%s>\\n' a && printf '<%s>\\n' b",  # (false || a) && b
        "printf '<%s>\\n' a || false && printf '<%s>\\n' b",  # (a || false) && b
        "false && printf '<%s>\\n' a; printf '<%s>\\n' b",
        "! false && printf '<%s>\\n' 'x y' \"z\" w\\ v",
        "printf '<%s>\\n' a \\\n  b # comment\nprintf '<%s>\\n' c",
        # tree-sitter-bash groups these as a | ((b | c) && d); sh as (a | b | c) && d
        "printf '<%s>\\n' a | printf '<%s>\\n' b | printf '<%s>\\n' c && printf '<%s>\\n' d",
        "printf '<%s>\\n' a | printf '<%s>\\n' b | false && printf '<%s>\\n' c || printf '<%s>\\n' d",
        "false | false | printf '<%s>\\n' a || printf '<%s>\\n' b && printf '<%s>\\n' c",
    ],
)
def test_and_or_precedence_matches_the_shell(text, tmp_path):
    s = parse_shell(text)
    assert s.ok
    for shell in SHELLS:
        assert run(shell, text, tmp_path) == predict(s)
