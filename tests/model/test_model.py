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
