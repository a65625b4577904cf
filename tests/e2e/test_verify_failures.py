"""verify and failing builds, without a build engine: where a build failed (read from buildah's and
BuildKit's output), which original lines a rewritten instruction stands for, and the verdicts and
exit statuses of ``verify`` / ``run_verify`` when one or both builds fail."""

from __future__ import annotations

import json

from test_verify_units import ONE, FakeEngine

from dockeropt.verify import correspondence, read_failure, run_verify, steps_of, verify

# --- the instructions of a Dockerfile -------------------------------------------------------------


def test_steps_of_counts_lines_stages_and_continuations():
    text = (
        "# syntax=docker/dockerfile:1\n"  # 1
        "ARG BASE=debian\n"  # 2: before the first FROM, not a step
        "FROM debian:bookworm-slim AS a\n"  # 3
        "\n"  # 4
        "RUN set -eux; \\\n"  # 5
        "    # a comment inside\n"  # 6
        "    true\n"  # 7
        "FROM a\n"  # 8
        "RUN <<EOT\n"  # 9
        "false\n"  # 10
        "EOT\n"  # 11
        "CMD [\"x\"]\n"  # 12
    )
    got = [(s.stage, s.index, s.keyword, s.line, s.end_line) for s in steps_of(text)]
    assert got == [
        (1, 1, "FROM", 3, 3), (1, 2, "RUN", 5, 7),
        (2, 1, "FROM", 8, 8), (2, 2, "RUN", 9, 11), (2, 3, "CMD", 12, 12),
    ]
    assert steps_of(text)[1].text == "RUN set -eux; true"


def test_steps_of_crlf_and_backtick_escape():
    text = "# escape=`\r\nFROM debian:bookworm-slim\r\nRUN echo a `\r\n  b\r\nRUN false\r\n"
    assert [(s.line, s.end_line) for s in steps_of(text)] == [(2, 2), (3, 4), (5, 5)]


# --- reading the engine's output ------------------------------------------------------------------

DF = "FROM debian:bookworm-slim\nENV A=1\nRUN echo one\nRUN echo two && \\\n    false\nRUN echo three\n"
BUILDAH_LOG = """STEP 1/5: FROM debian:bookworm-slim
STEP 2/5: ENV A=1
--> f98e70dc475
STEP 3/5: RUN echo one
one
--> 66c5b12b393
STEP 4/5: RUN echo two &&     false
two
subprocess exited with status 1
subprocess exited with status 1
Error: building at STEP "RUN echo two &&     false": exit status 1"""


def test_read_failure_buildah_single_stage():
    f = read_failure(DF, BUILDAH_LOG)
    assert f.kind == "step"
    assert (f.step.line, f.step.end_line, f.step.index) == (4, 5, 4)
    assert f.exit_status == 1
    assert f.where() == "line 4"
    assert f.to_dict()["line"] == 4 and f.to_dict()["exit_status"] == 1


MULTI = """FROM debian:bookworm-slim AS a
RUN echo a
FROM debian:bookworm-slim AS unused
RUN echo unused
FROM debian:bookworm-slim
# comment
COPY --from=a /etc/hostname /h
RUN echo b; \\
  # inner comment
  exit 3
"""
MULTI_LOG = """[1/3] STEP 1/2: FROM debian:bookworm-slim AS a
[1/3] STEP 2/2: RUN echo a
a
--> 525c953e487
[3/3] STEP 1/3: FROM debian:bookworm-slim
[3/3] STEP 2/3: COPY --from=a /etc/hostname /h
--> 113cedd6ea2
[3/3] STEP 3/3: RUN echo b;   exit 3
b
subprocess exited with status 3
Error: building at STEP "RUN echo b;   exit 3": exit status 3"""


def test_read_failure_buildah_stages_skipped_stage_and_comment_lines():
    f = read_failure(MULTI, MULTI_LOG)
    assert f.kind == "step" and f.step.line == 8 and f.step.end_line == 10 and f.exit_status == 3
    # the same step text in an earlier stage is told apart by [S/T]
    text = "FROM debian:bookworm-slim AS a\nRUN false\nFROM debian:bookworm-slim\nRUN false\n"
    log = "[1/2] STEP 1/2: FROM debian:bookworm-slim AS a\n[1/2] STEP 2/2: RUN false\nError: building at STEP \"RUN false\": exit status 1"
    assert read_failure(text, log).step.line == 2


def test_read_failure_uses_step_lines_kept_apart_from_a_long_output():
    tail = "\n".join(["progress"] * 300 + ['Error: building at STEP "RUN echo two &&     false": exit status 1'])
    steps = [line for line in BUILDAH_LOG.splitlines() if line.startswith("STEP")]
    f = read_failure(DF, tail, steps)
    assert f.kind == "step" and f.step.line == 4
    # without the step lines the printed text still finds it
    assert read_failure(DF, tail).step.line == 4


def test_read_failure_exec_form_and_copy():
    text = "FROM debian:bookworm-slim\nRUN [\"/bin/false\"]\n"
    log = 'STEP 1/2: FROM debian:bookworm-slim\nSTEP 2/2: RUN ["/bin/false"]\nError: building at STEP "RUN /bin/false": exit status 1'
    assert read_failure(text, log).step.line == 2
    text = "FROM debian:bookworm-slim\nCOPY nope /x\nRUN true\n"
    log = ('STEP 1/3: FROM debian:bookworm-slim\nSTEP 2/3: COPY nope /x\nError: building at STEP "COPY nope /x": '
           'checking on sources under "/ctx": copier: stat: "/nope": no such file or directory')
    f = read_failure(text, log)
    assert f.kind == "step" and f.step.line == 2 and f.exit_status is None and "no such file" in f.reason


def test_read_failure_engine_trouble():
    # the runtime itself failed (oci isolation with crun here): not the RUN's doing
    log = 'STEP 1/2: FROM debian:bookworm-slim\nSTEP 2/2: RUN ["/bin/false"]\nError: building at STEP "RUN /bin/false": while running runtime: exit status 1'
    assert read_failure("FROM debian:bookworm-slim\nRUN [\"/bin/false\"]\n", log).kind == "engine"
    log = "STEP 1/2: FROM nothere:1\nError: creating build container: nothere:1: image not known"
    f = read_failure("FROM nothere:1\nRUN true\n", log)
    assert f.kind == "engine" and f.step is None and "image not known" in f.reason
    assert read_failure(DF, "").kind == "engine"
    assert read_failure(DF, "sh: 1: b: not found").kind == "engine"
    assert read_failure(DF, "(killed after 3600 s)").kind == "engine"


def test_read_failure_buildkit_and_classic_docker():
    log = """#7 [3/4] RUN echo two &&     false
#7 0.2 two
#7 ERROR: process "/bin/sh -c echo two &&     false" did not complete successfully: exit code: 1
------
 > [3/4] RUN echo two &&     false:
------
Dockerfile:4
--------------------
   3 |     RUN echo one
   4 | >>> RUN echo two && \\
   5 | >>>     false
--------------------
ERROR: failed to solve: process "/bin/sh -c echo two &&     false" did not complete successfully: exit code: 1"""
    f = read_failure(DF, log)
    assert f.kind == "step" and f.step.line == 4 and f.exit_status == 1
    log = ("Step 1/5 : FROM debian:bookworm-slim\nStep 2/5 : ENV A=1\nStep 3/5 : RUN echo one\n"
           "Step 4/5 : RUN echo two &&     false\ntwo\nThe command '/bin/sh -c echo two &&     false' "
           "returned a non-zero code: 1")
    f = read_failure(DF, log)
    assert f.kind == "step" and f.step.line == 4 and f.exit_status == 1


# --- rewritten instructions -> original lines -------------------------------------------------------

ORIG = """FROM debian:bookworm-slim
COPY release.tar.gz /usr/src/
RUN set -eux; \\
    echo "$SHA *release.tar.gz" | sha256sum -c -; \\
    tar -xzf /usr/src/release.tar.gz -C /opt
RUN /opt/release/bin/tool > /installed
ENV A=1
RUN apt-get update
RUN apt-get install -y curl
RUN echo done
"""
NEW = """FROM debian:bookworm-slim
COPY release.tar.gz /usr/src/
RUN ( set -eux; \\
    echo "$SHA *release.tar.gz" | sha256sum -c -; \\
    tar -xzf /usr/src/release.tar.gz -C /opt ) && \\
    /opt/release/bin/tool > /installed
ENV A=1
RUN apt-get update && \\
    apt-get install -y --no-install-recommends curl && \\
    echo done && \\
    rm -rf /var/lib/apt/lists/*
"""


def test_correspondence_of_merged_and_edited_runs():
    c = correspondence(ORIG, NEW)
    by_line = {s.line: s for s in c.rewritten}
    assert [o.line for o in c.originals_of(by_line[3])] == [3, 6]
    assert c.original_lines(by_line[3]) == (3, 6)
    assert c.label(by_line[3]) == "lines 3-6"
    assert [o.line for o in c.originals_of(by_line[8])] == [8, 9, 10]
    assert [o.line for o in c.originals_of(by_line[7])] == [7]  # ENV, one to one
    assert c.label(by_line[2]) == "line 2"
    orig_by_line = {s.line: s for s in c.original}
    assert c.rewritten_of(orig_by_line[9]).line == 8
    assert c.rewritten_of(orig_by_line[6]).line == 3


def test_correspondence_unchanged_and_identical_runs_map_one_to_one():
    text = "FROM debian:bookworm-slim\nRUN true\nRUN true\nRUN true\n"
    c = correspondence(text, text)
    assert {s.line: [o.line for o in c.originals_of(s)] for s in c.rewritten} == {1: [1], 2: [2], 3: [3], 4: [4]}


def test_correspondence_two_groups_flags_and_stages():
    orig = ("FROM debian:bookworm-slim AS build\nRUN make a\nRUN make b\nWORKDIR /x\nRUN pip install x\n"
            "RUN pip install y\nFROM debian:bookworm-slim\nRUN echo hi\nRUN echo ho\n")
    new = ("FROM debian:bookworm-slim AS build\nRUN make a && make b\nWORKDIR /x\n"
           "RUN --mount=type=cache,target=/root/.cache/pip pip install x && pip install y\n"
           "FROM debian:bookworm-slim\nRUN echo hi && echo ho\n")
    c = correspondence(orig, new)
    got = {s.line: [o.line for o in c.originals_of(s)] for s in c.rewritten}
    assert got == {1: [1], 2: [2, 3], 3: [4], 4: [5, 6], 5: [7], 6: [8, 9]}


def test_correspondence_when_a_rule_drops_words():
    orig = "FROM alpine:3.19\nRUN apk update && apk add curl ca-certificates\nRUN echo done\n"
    new = "FROM alpine:3.19\nRUN apk add --no-cache curl ca-certificates\nRUN echo done\n"
    c = correspondence(orig, new)
    assert {s.line: [o.line for o in c.originals_of(s)] for s in c.rewritten} == {1: [1], 2: [2], 3: [3]}


def test_correspondence_short_runs_follow_the_order():
    # "true" could be matched anywhere by characters; words and order keep it in place
    orig = "FROM x\nRUN apt-get update\nRUN true\nRUN make install\n"
    new = "FROM x\nRUN apt-get update && true\nRUN make install\n"
    c = correspondence(orig, new)
    assert {s.line: [o.line for o in c.originals_of(s)] for s in c.rewritten} == {1: [1], 2: [2, 3], 3: [4]}


# --- verdicts ------------------------------------------------------------------------------------

O3 = "FROM debian:bookworm-slim\nRUN a\nRUN set -e; b; c\nRUN d\n"
N3 = "FROM debian:bookworm-slim\nRUN a && \\\n    ( set -e; b; c ) && \\\n    d\n"


def log_fail(text_lines: list[str], failing: int, status: int = 1) -> str:
    """buildah's output for a single-stage build failing at step ``failing`` (1-based)."""
    out = [f"STEP {i}/{len(text_lines)}: {t}" for i, t in enumerate(text_lines[:failing], 1)]
    return "\n".join(out + [f'Error: building at STEP "{text_lines[failing - 1]}": exit status {status}'])


O3_STEPS = ["FROM debian:bookworm-slim", "RUN a", "RUN set -e; b; c", "RUN d"]
N3_STEPS = ["FROM debian:bookworm-slim", "RUN a &&     ( set -e; b; c ) &&     d"]
O3_FAILS = log_fail(O3_STEPS, 3)
N3_FAILS = log_fail(N3_STEPS, 2)
THREE = {"layers": [[("file", "a", "1")], [("file", "b", "2")], [("file", "d", "3")]]}


def test_rewrite_hides_a_failure(tmp_path):
    r = verify(O3, N3, engine=FakeEngine({O3: O3_FAILS, N3: ONE}), context_dir=tmp_path)
    assert r.exit_code == 1 and not r.verified
    assert "the rewrite hides a failure at line 3" in r.headline()
    assert not r.original_build.built and r.rewritten_build.built
    d = json.loads(r.to_json())
    assert d["exit_code"] == 1 and d["original_build"]["failure"]["line"] == 3
    assert d["rewritten_build"]["built"] is True
    assert "the rewrite hides a failure at line 3" in r.to_markdown()
    assert "original:  fails at line 3" in r.to_text() and "rewritten: builds" in r.to_text()


def test_rewrite_breaks_the_build(tmp_path):
    eng = FakeEngine({O3: THREE, N3: N3_FAILS})
    r = verify(O3, N3, engine=eng, context_dir=tmp_path)
    assert r.exit_code == 1
    assert "the rewrite breaks the build at lines 2-4 (rewritten line 2: exit status 1)" in r.headline()
    assert r.original is not None and r.original.layers == 4  # the original is still measured
    assert json.loads(r.to_json())["rewritten_build"]["original_lines"] == [2, 4]
    assert sorted(eng.removed) == sorted(eng.built)


def test_both_fail_at_the_same_step_is_exit_0(tmp_path):
    r = verify(O3, N3, engine=FakeEngine({O3: O3_FAILS, N3: N3_FAILS}), context_dir=tmp_path)
    assert r.exit_code == 0 and r.verified
    assert r.headline().startswith("verified: both builds fail at line 3 (as they should)")
    assert "rewritten line 2 holds original lines 2-4" in r.headline()
    d = json.loads(r.to_json())
    assert d["verified"] is True and d["original_build"]["built"] is False and d["rewritten_build"]["built"] is False
    md = r.to_markdown()
    assert "both builds fail at line 3 (as they should)" in md and "| original | fails at line 3" in md


def test_both_fail_at_different_steps_is_exit_1(tmp_path):
    orig = "FROM debian:bookworm-slim\nRUN a\nWORKDIR /x\nRUN b\n"
    new = "FROM debian:bookworm-slim\nRUN a && rm -rf /var/lib/apt/lists/*\nWORKDIR /x\nRUN b\n"
    o_log = log_fail(["FROM debian:bookworm-slim", "RUN a", "WORKDIR /x", "RUN b"], 4)
    n_log = log_fail(["FROM debian:bookworm-slim", "RUN a && rm -rf /var/lib/apt/lists/*"], 2, 100)
    r = verify(orig, new, engine=FakeEngine({orig: o_log, new: n_log}), context_dir=tmp_path)
    assert r.exit_code == 1
    assert "the builds fail at different steps: the original at line 4, the rewrite at line 2 (rewritten line 2)" in r.headline()


def test_original_fails_and_rewrite_cannot_start_is_exit_1(tmp_path):
    r = verify(O3, N3, engine=FakeEngine({O3: O3_FAILS, N3: "segmentation fault"}), context_dir=tmp_path)
    assert r.exit_code == 1
    assert "the original fails at line 3, the rewrite before any step" in r.headline()


def test_run_verify_formats_carry_the_verdict(tmp_path):
    (tmp_path / "Dockerfile").write_text(O3)
    for fmt in ("text", "json", "markdown"):
        eng = FakeEngine({O3: O3_FAILS, N3: ONE})
        code, out = run_verify(tmp_path / "Dockerfile", engine=eng, rewritten_text=N3, fmt=fmt)
        assert code == 1 and "the rewrite hides a failure at line 3" in out and "Traceback" not in out
        eng = FakeEngine({O3: O3_FAILS, N3: N3_FAILS})
        code, out = run_verify(tmp_path / "Dockerfile", engine=eng, rewritten_text=N3, fmt=fmt)
        assert code == 0 and "both builds fail at line 3 (as they should)" in out


def test_run_verify_exit_2_when_the_engine_cannot_start_the_original(tmp_path):
    (tmp_path / "Dockerfile").write_text(O3)
    log = "STEP 1/4: FROM debian:bookworm-slim\nError: creating build container: debian:bookworm-slim: image not known"
    code, out = run_verify(tmp_path / "Dockerfile", engine=FakeEngine({O3: log, N3: N3_FAILS}), rewritten_text=N3,
                           fmt="json")
    assert code == 2
    assert "could not start the build" in json.loads(out)["error"]


def test_read_failure_buildkit_before_0_10():
    """Docker 20.10's BuildKit prints no Dockerfile excerpt: the failing step is named again
    after '------', with the stage's name in a multi-stage build."""
    text = "FROM debian:bookworm-slim\nRUN echo one\nRUN if true; then exit 1; fi\nRUN echo three\n"
    log = """#5 [2/4] RUN echo one
#5 DONE 1.9s

#6 [3/4] RUN if true; then exit 1; fi
#6 ERROR: executor failed running [/bin/sh -c if true; then exit 1; fi]: exit code: 1
------
 > [3/4] RUN if true; then exit 1; fi:
------
executor failed running [/bin/sh -c if true; then exit 1; fi]: exit code: 1"""
    f = read_failure(text, log)
    assert f.kind == "step" and f.step.line == 3 and f.exit_status == 1
    text = "FROM debian:bookworm-slim AS build\nRUN echo a\nRUN false\nFROM debian:bookworm-slim\nRUN false\n"
    log = ("#7 [build 3/3] RUN false\n#7 ERROR: executor failed running [/bin/sh -c false]: exit code: 1\n"
           "------\n > [build 3/3] RUN false:\n------\nexecutor failed running [/bin/sh -c false]: exit code: 1")
    f = read_failure(text, log)
    assert f.kind == "step" and f.step.line == 3 and f.step.stage == 1
    log = log.replace("build 3/3", "stage-1 2/2")
    assert read_failure(text, log).step.line == 5


def test_read_failure_old_buildkit_numbers_skip_instructions():
    # seen with Docker 20.10: the WORKDIR at line 5 made no vertex, so the RUN at line 6 is "5/6"
    text = ("FROM debian:bookworm-slim\nRUN apt-get update\nWORKDIR /opt\nRUN true\nWORKDIR /\n"
            "RUN hello --traditional | grep -q goodbye\n")
    log = ("#8 [5/6] RUN hello --traditional | grep -q goodbye\n#8 ERROR: executor failed running "
           "[/bin/sh -c hello --traditional | grep -q goodbye]: exit code: 1\n------\n"
           " > [5/6] RUN hello --traditional | grep -q goodbye:\n------\n")
    f = read_failure(text, log)
    assert f.kind == "step" and f.step.line == 6 and f.exit_status == 1
