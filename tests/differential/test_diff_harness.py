"""The harness itself: it must report pairs that behave differently (it can fail), pass pairs that
behave the same, model the state the stubs promise, and never touch the real root."""

from __future__ import annotations

import os
import textwrap
import uuid

import pytest

import harness
from harness import Skip, differential, expand, file_differences, normalize_argv, parse_log, plan


def df(body: str) -> str:
    return "FROM debian:bookworm-slim\n" + textwrap.dedent(body).lstrip("\n")


def kinds(report) -> set[str]:
    return {d.split(":")[0] for p in report.differing for d in p.differences}


# --- pairs that MUST be reported as different -----------------------------------------------

MUST_DIFFER = {
    # errexit is ignored in the subshell on the left of && (the merge-runs bug)
    "set-e-in-and-list": (
        "RUN set -e; fail; ok\nRUN ok\n",
        "RUN ( set -e; fail; ok ) && ok\n",
        {"outcome"},
    ),
    # a clean-up deletes the apt lists a later RUN needs
    "apt-lists-needed-later": (
        "RUN apt-get update && apt-get install -y curl\nRUN apt-get install -y jq\n",
        "RUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*\nRUN apt-get install -y jq\n",
        {"outcome"},
    ),
    # ... or an ONBUILD RUN of every child image needs
    "apt-lists-needed-by-onbuild": (
        "RUN apt-get update && apt-get install -y curl\nONBUILD RUN apt-get install -y jq\n",
        "RUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*\nONBUILD RUN apt-get install -y jq\n",
        {"outcome"},
    ),
    # one shell keeps the hashed /usr/bin/pip after pip upgraded itself to /usr/local/bin/pip
    "stale-pip-hash": (
        "RUN pip install -U pip\nRUN pip install flask\n",
        "RUN pip install -U pip && pip install flask\n",
        {"commands"},
    ),
    "cd-leaks": ("RUN mkdir -p /src && cd /src\nRUN touch made\n", "RUN mkdir -p /src && cd /src && touch made\n",
                 {"working directory of a command"}),
    "export-leaks": ("RUN export GREETING=hi\nRUN ok\n", "RUN export GREETING=hi && ok\n",
                     {"environment of a command"}),
    "umask-leaks": ("RUN umask 077\nRUN touch /f\n", "RUN umask 077 && touch /f\n", {"umask of a command"}),
    # the RUN's working directory replaced: the merged shell stays in the deleted one
    "workdir-replaced": (
        "WORKDIR /app\nRUN cd / && rm -rf /app && mkdir /app\nRUN touch x\n",
        "WORKDIR /app\nRUN cd / && rm -rf /app && mkdir /app && touch x\n",
        {"working directory of a command"},
    ),
    # `a; b` fails only if b fails: joined with && the first failure stops the RUN
    "semicolon-vs-and": ("RUN ok a; ok b\n", "RUN ok a && ok b\n", {"outcome"}),
    "apk-index-needed-later": (
        "FROM_ALPINE\nRUN apk update && apk add curl\nRUN apk add --no-network git\n",
        "FROM_ALPINE\nRUN apk add --no-cache curl\nRUN apk add --no-network git\n",
        {"outcome"},
    ),
    "npm-cache-needed-offline": (
        "RUN npm install left-pad\nRUN npm install --offline left-pad\n",
        "RUN npm install left-pad && npm cache clean --force\nRUN npm install --offline left-pad\n",
        {"outcome"},
    ),
    "apt-prompt": ("RUN apt-get update && apt-get install curl\n", "RUN apt-get update && apt-get install -y curl\n",
                   {"outcome"}),
    "files": ("RUN touch /x\n", "RUN touch /y\n", {"commands", "files of the image"}),
    "stdout": ("RUN echo a\n", "RUN echo b\n", {"stdout"}),
    "exit-status": ("RUN exit 3\n", "RUN exit 4\n", {"exit status of the failing RUN"}),
    "wait-for-a-job-of-an-earlier-run": ("RUN fail &\nRUN set -e; wait $!\n", "RUN fail & set -e; wait $!\n",
                                         {"outcome"}),
    "comment-swallows": ("RUN ok a # note\nRUN ok b\n", "RUN ok a # note && ok b\n", {"commands"}),
    "child-image-files": ("ONBUILD RUN touch /x\n", "ONBUILD RUN touch /y\n", {"commands", "files of the child image (ONBUILD)"}),
}


@pytest.mark.parametrize("name", sorted(MUST_DIFFER))
def test_reports_a_difference(name, full_pool):
    orig, new, expected = MUST_DIFFER[name]
    head = "FROM debian:bookworm-slim\n"
    if orig.startswith("FROM_ALPINE\n"):
        head, orig, new = "FROM alpine:3.20\n", orig.split("\n", 1)[1], new.split("\n", 1)[1]
    report = differential(head + orig, head + new)
    assert not report.equal, report.text()
    found = kinds(report)
    assert expected & found == expected, f"expected {expected}, found {found}\n{report.text()}"
    text = report.text()
    assert "original Dockerfile" in text and "rewritten Dockerfile" in text


# --- pairs that must be equal ----------------------------------------------------------------

MUST_BE_EQUAL = {
    "plain-merge": ("RUN ok a\nRUN ok b\n", "RUN ok a && ok b\n"),
    "apt-clean-up": ("RUN apt-get update && apt-get install -y curl\n",
                     "RUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/* && apt-get clean\n"),
    "pip-no-cache-dir": ("RUN pip install flask\n", "RUN pip install --no-cache-dir flask\n"),
    "npm-cache-clean": ("WORKDIR /app\nRUN npm install left-pad\n", "WORKDIR /app\nRUN npm install left-pad && npm cache clean --force\n"),
    "apk-no-cache": ("FROM_ALPINE\nRUN apk update && apk add curl\n", "FROM_ALPINE\nRUN apk add --no-cache curl\n"),
    "cache-mount": ("RUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*\n",
                    "RUN --mount=type=cache,target=/var/lib/apt/lists apt-get update && apt-get install -y curl\n"),
    "yum-clean": ("RUN yum install -y httpd\n", "RUN yum install -y httpd && yum clean all\n"),
    "subshell-keeps-cd": ("RUN mkdir -p /s && cd /s && touch a\nRUN touch b\n", "RUN mkdir -p /s && ( cd /s && touch a ) && touch b\n"),
    # determinism: a pipeline, a background job, mktemp, date: same file twice (a comment apart)
    "determinism": ("RUN ok a | ok b | ok c; ok d & wait; d=$(mktemp -d) && touch $d/x && date > /when\nRUN ok e\n",
                    "RUN ok a | ok b | ok c; ok d & wait; d=$(mktemp -d) && touch $d/x && date > /when\n# same\nRUN ok e\n"),
    "multi-stage": ("FROM debian AS b\nRUN mkdir /out && echo x > /out/f\nFROM debian\nCOPY --from=b /out/f /f\nRUN ok\n",
                    "FROM debian AS b\nRUN mkdir /out && echo x > /out/f\nFROM debian\nCOPY --from=b /out/f /f\nRUN ok\n\n"),
}


@pytest.mark.parametrize("name", sorted(MUST_BE_EQUAL))
def test_reports_no_difference(name, full_pool):
    orig, new = MUST_BE_EQUAL[name]
    head = "FROM debian:bookworm-slim\n"
    if orig.startswith("FROM_ALPINE\n"):
        head, orig, new = "FROM alpine:3.20\n", orig.split("\n", 1)[1], new.split("\n", 1)[1]
    if orig.startswith("FROM "):
        head = ""
    report = differential(head + orig, head + new)
    if not report.equal:
        pytest.fail(report.text(), pytrace=False)
    assert sum(report.calls.values()) > 0 or name == "multi-stage"


# --- what the stubs model --------------------------------------------------------------------

def run_one(text: str, shell: str = "dash", fail_at: int = 0, context=None):
    p = harness.plan(text, context)
    p["shell"] = shell
    res = harness.get_pool().run({"a": p}, [[["a", fail_at]]])[0]
    return harness.Build.from_json(res["results"][0]), (res.get("states") or {}).get("final", [None])[0]


@pytest.mark.parametrize("shell", harness.SHELLS)
def test_bin_sh_is_the_chosen_shell(shell, full_pool):
    b, _ = run_one(df('RUN readlink /bin/sh; echo "${BASH_VERSION:+bash}"\n'), shell)
    assert b.ok and b.stdout.split() == ([f"/usr/bin/{shell}"] + (["bash"] if shell == "bash" else []))


@pytest.mark.parametrize("body,ok", [
    ("apt-get install -y curl", False),                      # no lists
    ("apt-get update && apt-get install curl", False),       # prompt, no -y
    ("apt-get update && apt-get install -qq curl", True),
    ("apt-get update && apt-get -o APT::Get::Assume-Yes=true install curl", True),
    ("apt-get update && apt-get install --assume-yes curl", True),
    ("apt-get update && apt-get install -y curl && apt-cache show curl", True),
    ("apk add curl", True),  # apk-tools' autoupdate fetches a missing index
    ("apk add --no-network curl", False),
    ("apk add --no-cache --no-network curl", False),
    ("apk update && apk add --no-network curl", True),
    ("apk add --no-cache curl", True),
    ("apk update && apk add curl", True),
    ("apk add -U curl", True),
    ("pip install -r missing.txt", False),
    ("pip install flask", True),
    ("python3 -m venv /v && /v/bin/pip install flask && test -f /v/lib/python3/site-packages/flask/__init__.py", True),
    ("npm ci", False),
    ("npm install --offline x", False),
    ("npm install x && npm install --offline x", True),
    ("npm install x && npm cache clean --force && npm install --offline x", False),
    ("NPM_CONFIG_OFFLINE=true npm install x", False),
    ("npm cache clean", False),
    ("yarn install --offline", False),
    ("yarn install && yarn install --offline", True),
    ("yum install httpd", False),
    ("yum install -y httpd && yum -C install -y git", True),
    ("yum install -y httpd && yum clean all && yum -C install -y git", False),
    ("microdnf install python3", True),
    ("dnf --assumeno install git", False),
    ("zypper install curl", False),
    ("zypper -n install curl && zypper --no-refresh -n install git", True),
    ("zypper --no-refresh -n install git", False),
    ("curl -fsSL -o /f https://x/y && test -s /f && wget -qO- https://x/z", True),
    ("sudo -u root apt-get update", True),
    ("fail", False),
])
def test_stub_models(body, ok, full_pool):
    b, _ = run_one(df(f"RUN {body}\n"))
    assert b.ok == ok, b.describe()


def test_stub_state_and_caches(full_pool):
    b, files = run_one(df("RUN apt-get update && apt-get install -y curl && pip install flask && npm install -g serve\n"))
    assert b.ok, b.describe()
    assert files["/var/lib/harness/apt/curl"][0] == "file"
    assert files["/var/cache/apt/archives/curl_1.0_all.deb"][0] == "file"
    assert files["/root/.cache/pip/http-v2/flask"][0] == "file"
    assert files["/usr/local/lib/node_modules/serve/package.json"][0] == "file"
    assert any(p.startswith("/root/.npm/_cacache/") for p in files)
    assert [c.name for c in b.counted] == ["apt-get", "apt-get", "pip", "npm"]


def test_pip_upgrade_installs_a_new_pip(full_pool):
    b, _ = run_one(df("RUN pip install -U pip\nRUN pip install flask\nRUN python -m pip install six\n"))
    assert [c.name for c in b.counted] == ["pip", "pip(new)", "python"], [c.show() for c in b.calls]


def test_failure_injection_counts_and_fails_call_k(full_pool):
    text = df("RUN ok a; ok b; ok c\nRUN ok d\n")
    b, _ = run_one(text)
    assert b.ok and [c.argv for c in b.counted] == [("a",), ("b",), ("c",), ("d",)]
    b2, _ = run_one(text, fail_at=2)  # `ok b` fails, the RUN goes on: its status is `ok c`'s
    assert b2.ok and [c.kind for c in b2.calls] == ["C", "F", "C", "C"]
    b3, _ = run_one(text, fail_at=3)  # the last command of the RUN fails: the build stops there
    assert not b3.ok and [c.kind for c in b3.calls] == ["C", "C", "F"]


def test_clean_ups_are_neither_counted_nor_compared(full_pool):
    b, _ = run_one(df("RUN apt-get update && apt-get clean && rm -rf /var/lib/apt/lists/* && sudo yum clean all\n"))
    assert [c.kind for c in b.calls] == ["C", "U", "U", "U", "U"], [c.show() for c in b.calls]  # sudo too


def test_concurrent_calls_are_not_counted(full_pool):
    b, _ = run_one(df("RUN ok a | ok b | ok c; ok d & wait\n"))
    assert sorted((c.kind, c.argv) for c in b.calls) == [("C", ("a",)), ("P", ("b",)), ("P", ("c",)), ("P", ("d",))]


def test_background_job_dies_with_its_run(full_pool):
    b, files = run_one(df("RUN (sleep 2; touch /late) &\nRUN ok\n"))
    assert b.ok and "/late" not in files


def test_workdir_env_arg_user_shell(full_pool):
    b, files = run_one(df("""
        ARG V=1
        ENV A=x B="y z"
        WORKDIR /app
        WORKDIR sub
        USER nobody
        SHELL ["/bin/bash", "-c"]
        RUN echo "$V $A $B $PWD ${BASH_VERSION:+bash}"
    """))
    assert b.ok and b.stdout == "1 x y z /app/sub bash\n", b.describe()
    assert files["/app/sub"][0] == "dir"


def test_exec_form_and_heredoc(full_pool):
    b, _ = run_one(df('RUN ["ok", "exec"]\nRUN <<EOF\nok one\nok two\nEOF\n'))
    assert b.ok and [c.argv for c in b.counted] == [("exec",), ("one",), ("two",)]


def test_stage_chain_and_onbuild_of_the_base_stage(full_pool):
    b, files = run_one("FROM debian AS base\nRUN touch /base\nONBUILD RUN touch /from-onbuild\n"
                       "FROM base\nRUN test -f /base && test -f /from-onbuild && touch /child\n")
    assert b.ok, b.describe()
    assert {"/base", "/from-onbuild", "/child"} <= set(files)


def test_copy_from_the_case_directory_and_placeholders(full_pool, tmp_path):
    (tmp_path / "a.txt").write_text("A\n")
    text = df("COPY a.txt /a.txt\nCOPY missing.txt /m.txt\nRUN cat /a.txt /m.txt\n")
    report = differential(text, text + "# again\n", tmp_path)
    assert report.equal, report.text()
    assert report.pairs[0].orig.stdout == "A\nplaceholder for missing.txt\n"
    assert any("missing.txt" in n for n in report.notes)
    assert not (tmp_path / "missing.txt").exists()


def test_the_real_root_is_not_touched(full_pool):
    marker = f"/harness-must-not-exist-{uuid.uuid4().hex}"
    before = os.path.exists("/etc/hostname")
    b, files = run_one(df(f"RUN touch {marker} && rm -f /etc/hostname && echo x > /usr/bin/ok-evil\n"))
    assert b.ok and marker in files and files["/etc/hostname"] is None
    assert not os.path.exists(marker) and os.path.exists("/etc/hostname") == before
    assert not os.path.exists("/usr/bin/ok-evil")


def test_timeout_kills_the_run(full_pool, monkeypatch):
    monkeypatch.setenv("HARNESS_RUN_TIMEOUT", "1")
    p = harness.Pool(workers=1, modes=[full_pool.mode])
    try:
        plan = dict(harness.plan(df("RUN sleep 20 & sleep 20; ok\n")), shell="dash")
        b = harness.Build.from_json(p.run({"a": plan}, [[["a", 0]]])[0]["results"][0])
    finally:
        p.close()
    assert not b.ok and b.runs[0]["timeout"] and b.runs[0]["exit"] == 137


def test_plain_fallback_runs_generated_cases():
    """The fallback without namespaces: a plain temp dir, ok/fail and the shim, relative paths."""
    p = harness.Pool(workers=1, modes=["plain"])
    try:
        assert p.mode == "plain" and not p.full
        bad = differential(df("RUN ok a; ok b\nRUN touch f\n"), df("RUN ok a && ok b && touch f\n"), pool=p)
        assert not bad.equal and bad.calls == {"dash": 3, "bash": 3}, bad.text()
        good = differential(df("WORKDIR /w\nRUN mkdir -p d && cd d && touch f\nRUN ok\n"),
                            df("WORKDIR /w\nRUN ( mkdir -p d && cd d && touch f ) && ok\n"), pool=p)
        assert good.equal, good.text()
        with pytest.raises(Skip):
            differential(df("FROM debian AS b\nFROM b\nRUN ok\n"), df("FROM debian AS b\nFROM b\nRUN ok a\n"), pool=p)
    finally:
        p.close()


# --- pure functions --------------------------------------------------------------------------

def test_expand():
    env = {"A": "x", "E": ""}
    assert expand("$A/${A}/${B:-d}/${E:-e}/${E-f}/${A:+y}/'$A'/\"$A\"/\\$A", env) == "x/x/d/e//y/$A/x/$A"


def test_plan_models_instructions():
    p = plan("ARG G=1\nFROM debian AS a\nARG G\nENV P=/x:$PATH\nWORKDIR /w\nRUN --mount=type=cache,target=c ok\n"
             "FROM a\nONBUILD RUN ok child\nRUN ok\n")
    s0, s1, child = p["stages"]
    run = [s for s in s0["steps"] if s["op"] == "run"][0]
    assert run["env"]["G"] == "1" and run["env"]["P"].startswith("/x:/usr/local")
    assert run["env"]["PATH"].startswith(harness.SHIM_DIR + ":")
    assert run["cwd"] == "/w" and run["mounts"] == [{"type": "cache", "target": "/w/c", "id": "/w/c"}]
    assert s1["base"] == {"kind": "stage", "id": "s0"} and child["base"] == {"kind": "stage", "id": "s1"}
    assert p["images"] == {"final": "s1", "child": "child"}


@pytest.mark.parametrize("text,reason", [
    ("FROM x\nRUN <<EOF cat\nhi\nEOF\n", "heredoc"),
    ("FROM x\nRUN --mount=type=secret,id=a ok\n", "secret"),
    ("FROM x\nADD https://example.com/a /a\n", "URL"),
])
def test_plan_skips_what_it_cannot_model(text, reason):
    with pytest.raises(Skip, match=reason):
        plan(text)


def test_log_parsing_and_normalisation():
    raw = ("\x1eC\x1f1\x1fapt-get\x1f/w\n\x1f0022\n\x1finstall\x1f-y\x1fcurl\x1dexport A='1'\nexport _='/x'\n\x1c\n"
           "\x1eU\x1f0\x1frm\x1f\n\x1f0022\n\x1f-rf\x1f/var/lib/apt/lists/x\x1d\x1c\n")
    a, b = parse_log(raw)
    assert (a.kind, a.n, a.cwd, a.umask, a.argv, a.env) == ("C", 1, "/w", "0022", ("install", "-y", "curl"), (("A", "1"),))
    assert b.kind == "U" and b.cwd == "<gone>"
    assert normalize_argv("apt-get", ("install", "-y", "curl")) == ("install", "curl")
    assert normalize_argv("sudo", ("pip", "install", "--no-cache-dir", "x")) == ("pip", "install", "x")
    assert normalize_argv("python", ("-m", "pip", "install", "--no-cache-dir", "x")) == ("-m", "pip", "install", "x")
    assert normalize_argv("ok", ("-y",)) == ("-y",)


def test_file_differences_allowance():
    f = ["file", "0o644", 0, 0, 1, "ab"]
    a = {"/var/lib/apt/lists/x": f, "/root/.cache": ["dir", "0o755", 0, 0], "/root/.cache/pip/y": f, "/etc/z": f}
    b = {"/var/lib/apt/lists/x": None, "/root/.cache": None, "/root/.cache/pip/y": None, "/etc/z": f}
    assert file_differences(a, b) == []
    a["/root/.cache/other"] = f
    b["/root/.cache/other"] = None
    assert len(file_differences(a, b)) == 2  # ~/.cache holds more than caches now
