"""verify's smoke command and split mode (multi-stage rewrites), with the fake engine of
test_verify_units: no builds."""

from __future__ import annotations

import json

from test_verify_units import FakeEngine

from dockeropt.verify import verify

ORIG = "FROM debian:bookworm-slim\nRUN make\nCMD [\"/app\"]\n"
SPLIT = "FROM debian:bookworm-slim AS build\nRUN make\nFROM scratch AS runtime\nCMD [\"/app\"]\n"
BIG = {"layers": [[("file", "app", "binary"), ("file", "toolchain", "x" * 50000)]],
       "config": {"Cmd": ["/app"]}, "answer": (0, "hello\n")}
SMALL = {"layers": [[("file", "app", "binary")]], "config": {"Cmd": ["/app"]}, "answer": (0, "hello\n")}


class RunningEngine(FakeEngine):
    def __init__(self, images, **kw):
        super().__init__(images, **kw)
        self.ran: list[tuple[str, list[str]]] = []

    def run(self, tag, argv, timeout=120):
        self.ran.append((tag, argv))
        return self.built[tag].get("answer", (127, "not found\n"))


def test_split_verified_when_smaller_and_the_smoke_answers_the_same(tmp_path):
    eng = RunningEngine({ORIG: BIG, SPLIT: SMALL})
    r = verify(ORIG, SPLIT, engine=eng, context_dir=tmp_path, smoke="", split=True)
    assert r.exit_code == 0, r.to_text()
    assert r.headline().startswith("verified: multi-stage split")
    assert [argv for _, argv in eng.ran] == [["/app"], ["/app"]]  # the image's CMD, in both
    d = json.loads(r.to_json())
    assert d["split"] is True and d["smoke"]["same"] is True
    assert "same answer" in r.to_text() and "expected: the build was split" in r.to_text()


def test_smoke_args_replace_cmd_and_follow_entrypoint(tmp_path):
    orig = dict(BIG, config={"Entrypoint": ["/app"], "Cmd": ["serve"]})
    new = dict(SMALL, config={"Entrypoint": ["/app"], "Cmd": ["serve"]})
    eng = RunningEngine({ORIG: orig, SPLIT: new})
    r = verify(ORIG, SPLIT, engine=eng, context_dir=tmp_path, smoke="--version", split=True)
    assert r.exit_code == 0, r.to_text()
    assert [argv for _, argv in eng.ran] == [["/app", "--version"]] * 2


def test_split_with_another_answer_is_not_verified(tmp_path):
    broken = dict(SMALL, answer=(1, "error: open templates/x: no such file\n"))
    r = verify(ORIG, SPLIT, engine=RunningEngine({ORIG: BIG, SPLIT: broken}), context_dir=tmp_path, smoke="",
               split=True)
    assert r.exit_code == 1
    assert "answers differently: exit status 0 -> 1" in r.headline()


def test_split_without_smoke_is_not_verified(tmp_path):
    r = verify(ORIG, SPLIT, engine=RunningEngine({ORIG: BIG, SPLIT: SMALL}), context_dir=tmp_path, split=True)
    assert r.exit_code == 1 and "--smoke" in r.headline()


def test_split_that_changes_the_command_or_grows_is_not_verified(tmp_path):
    other_cmd = dict(SMALL, config={"Cmd": ["/bin/sh"]})
    r = verify(ORIG, SPLIT, engine=RunningEngine({ORIG: BIG, SPLIT: other_cmd}), context_dir=tmp_path, smoke="--x",
               split=True)
    assert r.exit_code == 1 and "config differs: Cmd" in r.headline()
    r = verify(ORIG, SPLIT, engine=RunningEngine({ORIG: SMALL, SPLIT: BIG}), context_dir=tmp_path, smoke="",
               split=True)
    assert r.exit_code == 1 and "not smaller" in r.headline()


def test_smoke_also_checks_an_ordinary_rewrite(tmp_path):
    same_files = dict(BIG)
    r = verify(ORIG, ORIG + "\n", engine=RunningEngine({ORIG: BIG, ORIG + "\n": same_files}), context_dir=tmp_path,
               smoke="")
    assert r.exit_code == 0 and r.smoke is not None and r.smoke.same
