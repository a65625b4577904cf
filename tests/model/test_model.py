"""The semantic model: stage graph (as BuildKit's dockerfile2llb resolves it) and the state in
force at each instruction."""

from __future__ import annotations

from dockeropt.model import Model
from dockeropt.syntax.parse import parse


def model(text: str) -> Model:
    return Model(parse(text))


def test_from_finds_earlier_stages_by_alias_with_global_args_expanded():
    m = model(
        "ARG BASE=builder\n"
        "FROM golang:1.22 AS Builder\n"
        "FROM ${BASE} AS test\n"
        "FROM 0\n"  # an index is an image name in FROM
        "FROM scratch\n"
        "COPY --from=0 /a /a\n"
        "COPY --from=test /b /b\n"
        "COPY --from=alpine:3.19 /c /c\n"
        "RUN --mount=from=builder,target=/x true\n"
    )
    g = m.graph
    assert g[1].parent == 0 and g[0].children == [1]
    assert g[2].parent is None and g[2].base == "0"
    assert g[3].copies_from == [0, 1]
    assert g.external_images() == ["golang:1.22", "0", "alpine:3.19"]
    assert g.chain(1) == [0, 1] and g.descendants(0) == [1]


def test_later_stage_alias_is_not_a_base_and_stage_names_are_case_insensitive():
    g = model("FROM a AS X\nFROM x AS y\nFROM Y\n").graph
    assert [n.parent for n in g.nodes] == [None, 0, 1]
    assert g.descendants(0) == [1, 2]


def test_onbuild_triggers_are_recorded_per_stage():
    g = model("FROM debian AS base\nONBUILD RUN apt-get install -y jq\nRUN true\nFROM base\n").graph
    assert [o.trigger.rest.strip() for o in g[0].onbuild] == ["apt-get install -y jq"]


def test_state_env_arg_scoping_workdir_user_shell():
    text = (
        "ARG V=1\n"
        "FROM debian AS a\n"
        "ARG V\n"
        "ENV HOME_DIR=/srv/$V\n"
        "WORKDIR $HOME_DIR\n"
        "WORKDIR app\n"
        "USER nobody\n"
        'SHELL ["/bin/bash", "-eo", "pipefail", "-c"]\n'
        "RUN true\n"
        "FROM a\n"
        "RUN true\n"
    )
    m = model(text)
    first_run, second_run = [i for i, ins in enumerate(m.tree.instructions) if ins.keyword == "RUN"]
    s = m.state(first_run)
    assert s.args == {"V": "1"}  # the global default, once the stage declares it again
    assert s.env == {"HOME_DIR": "/srv/1"}
    assert s.workdir == "/srv/1/app"
    assert s.user == "nobody" and not s.user_is_root
    assert s.shell == ("/bin/bash", "-eo", "pipefail", "-c")
    t = m.state(second_run)  # built FROM a: ENV, WORKDIR, USER, SHELL carry over; ARGs do not
    assert t.args == {} and t.env == {"HOME_DIR": "/srv/1"} and t.workdir == "/srv/1/app"
    assert t.user == "nobody" and t.shell == s.shell


def test_unknown_workdir_and_outside_base_env():
    m = model("FROM debian\nWORKDIR $NOPE/x\nRUN true\nWORKDIR /abs\nRUN true\n")
    runs = [i for i, ins in enumerate(m.tree.instructions) if ins.keyword == "RUN"]
    assert m.state(runs[0]).workdir is None
    assert m.state(runs[1]).workdir == "/abs"
    assert not m.state(runs[0]).env_known  # an outside image may set more variables
    assert m.state(runs[0]).user_is_root  # taken as root until a USER says otherwise


def test_windows_base_from_a_global_arg_gets_cmd():
    m = model("ARG node=node:12-windowsservercore\nFROM $node\nRUN npm i\n")
    assert m.state(2).shell[0] == "cmd"


# -- the state's variables are versioned views, not a dict per instruction ----------------------

def _reference_states(text: str) -> list[dict]:
    """What a RUN sees, by the plain definition: a dict copied at every ENV/ARG (quadratic, and
    obviously right). Stages FROM an earlier stage start from its ENV; ARGs are per stage."""
    from dockeropt.model.stages import expand, unquote

    m = model(text)
    g = m.graph
    out: dict[int, dict] = {}
    final_env: dict[int, dict] = {}
    index = {id(ins): i for i, ins in enumerate(m.tree.instructions)}
    for node in g.nodes:
        env = dict(final_env[node.parent]) if node.parent is not None else {}
        args: dict = {}
        for ins in node.stage.instructions:
            out[index[id(ins)]] = {**args, **env}
            if ins.keyword == "ENV":  # every pair sees the values from before the instruction
                values = {**args, **env}
                for k, v in ins.pairs:
                    env[k] = expand(unquote(v), values)
            elif ins.keyword == "ARG":
                before = {**args, **env}
                for k, v in ins.pairs:
                    if v is not None:
                        args[k] = expand(unquote(v), before)
                    elif k in g.global_args:
                        args[k] = g.global_args[k]
                    elif k not in args:
                        args[k] = None
        final_env[node.index] = env
    return [out.get(i) for i in range(len(m.tree.instructions))]


try:
    from hypothesis import given
    from hypothesis import strategies as st

    _NAMES = st.sampled_from(["A", "B", "C", "PATH", "V"])
    _VALUE = st.sampled_from(["x", "$A", "${B:-d}", "/p:$PATH", "${V+set}", "$C$A"])
    _OP = st.one_of(
        st.builds(lambda k, v: f"ENV {k}={v}\n", _NAMES, _VALUE),
        st.builds(lambda k, v, k2, v2: f"ENV {k}={v} {k2}={v2}\n", _NAMES, _VALUE, _NAMES, _VALUE),
        st.builds(lambda k, v: f"ARG {k}={v}\n", _NAMES, _VALUE),
        st.builds(lambda k: f"ARG {k}\n", _NAMES),
        st.just("RUN true\n"),
        st.sampled_from(["FROM debian AS s{n}\n", "FROM s{p}\n"]),
    )

    @given(st.lists(st.builds(lambda k, v: f"ARG {k}={v}\n", _NAMES, st.sampled_from(["g", "h"])), max_size=3),
           st.lists(_OP, min_size=1, max_size=40))
    def test_state_variables_match_a_dict_copied_at_every_step(globals_, ops):
        body, stage = [], 0
        for op in ops:
            if op.startswith("FROM"):
                stage += 1
                op = op.format(n=stage, p=stage - 1)
            body.append(op)
        text = "".join(globals_) + "FROM debian AS s0\n" + "".join(body) + "RUN true\n"
        m = model(text)
        ref = _reference_states(text)
        for i, ins in enumerate(m.tree.instructions):
            if ref[i] is None:
                continue
            got = m.state(i).variables()
            assert dict(got) == ref[i], (i, ins.line)
            assert list(got) == list(ref[i]), (i, ins.line)  # same order as the dict
            for k in ("A", "B", "C", "PATH", "V", "NOPE"):
                assert (k in got) == (k in ref[i]) and got.get(k) == ref[i].get(k)
except ImportError:  # pragma: no cover
    pass


def test_env_pairs_expand_with_the_values_from_before_the_instruction():
    """Docker's ENV reference: `ENV abc=hello` / `ENV abc=bye def=$abc` / `ENV ghi=$abc` gives
    def=hello and ghi=bye (the model used to give def=bye)."""
    m = model("FROM scratch\nENV abc=hello\nENV abc=bye def=$abc\nENV ghi=$abc\nRUN true\n")
    assert dict(m.state(4).env) == {"abc": "bye", "def": "hello", "ghi": "bye"}


def test_thousands_of_env_share_one_history_per_stage():
    """Each ENV adds a version to its stage's history; no state copies the environment (a file
    with E ENVs made E dicts of up to E entries: quadratic memory)."""
    n = 3000
    text = "FROM debian\n" + "".join(f"ENV V{i}=x{i}\nRUN true\n" for i in range(n))
    m = model(text)
    last = m.state(len(m.tree.instructions) - 1)
    first_run = m.state(2)
    assert last.env.history is first_run.env.history
    assert sum(len(v) for v in last.env.history.values.values()) == n
    assert len(last.variables()) == n and last.env.get("V0") == "x0" and "V2999" not in first_run.env


def test_arg_without_default_takes_the_global_value_even_when_declared_before():
    """BuildKit's dispatchArg: `ARG D` without a default (and no --build-arg) takes the global
    ARG's value, even after the stage's own `ARG D=/a` (found by a red-team: the model kept /a,
    so a RUN that removed the real WORKDIR /g was merged with the next one)."""
    m = model("ARG D=/g\nFROM debian\nARG D=/a\nARG D\nWORKDIR $D\nRUN true\n")
    assert m.state(5).workdir == "/g"
