"""With a build context, a script COPY'd from it and run by a later RUN is read like a RUN
(later.hidden_use): an apt clean-up before it is kept only when the script really uses apt
without update."""

from __future__ import annotations

import pytest

from dockeropt.model.context import BuildContext
from dockeropt.rewriter import rewrite

DOCKERFILE = """FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y curl
COPY scripts/ /opt/scripts/
{between}RUN {run}
"""


def _run(tmp_path, scripts: dict[str, str], run="/opt/scripts/setup.sh", between="", ignore=None, context=True):
    for name, text in scripts.items():
        p = tmp_path / "scripts" / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    if ignore is not None:
        (tmp_path / ".dockerignore").write_text(ignore)
    text = DOCKERFILE.format(between=between, run=run)
    ctx = BuildContext(str(tmp_path), str(tmp_path / "Dockerfile")) if context else None
    r = rewrite(text, select=["apt-lists-cleanup"], context=ctx)
    return r


def cleaned(r) -> bool:
    return "rm -rf /var/lib/apt/lists/*" in r.text


def test_clean_script_allows_cleanup(tmp_path):
    r = _run(tmp_path, {"setup.sh": "#!/bin/sh\nset -e\nmkdir -p /srv/data\necho ok\n"})
    assert cleaned(r), r.findings


def test_without_context_the_script_blocks(tmp_path):
    r = _run(tmp_path, {"setup.sh": "#!/bin/sh\necho ok\n"}, context=False)
    assert not cleaned(r)
    assert "cannot read" in r.findings[0].message


def test_script_using_apt_keeps_lists(tmp_path):
    r = _run(tmp_path, {"setup.sh": "#!/bin/sh\napt-get install -y jq\n"})
    assert not cleaned(r)
    assert "read from the build context" in r.findings[0].message


def test_script_with_update_first_allows_cleanup(tmp_path):
    r = _run(tmp_path, {"setup.sh": "#!/bin/bash\napt-get update && apt-get install -y jq\n"})
    assert cleaned(r), r.findings


def test_sourced_script_is_followed(tmp_path):
    r = _run(tmp_path, {"setup.sh": "#!/bin/sh\n. /opt/scripts/lib.sh\n", "lib.sh": "apt-get install -y jq\n"})
    assert not cleaned(r)
    assert "through /opt/scripts/setup.sh" in r.findings[0].message


def test_sh_runs_script_from_workdir(tmp_path):
    r = _run(tmp_path, {"setup.sh": "echo hi\n"}, run="sh /opt/scripts/setup.sh")
    assert cleaned(r)


def test_run_between_may_edit_the_script(tmp_path):
    r = _run(tmp_path, {"setup.sh": "#!/bin/sh\necho ok\n"}, between="RUN sed -i s/ok/apt-get/ /opt/scripts/setup.sh\n")
    assert not cleaned(r)


@pytest.mark.parametrize("first", ["#!/usr/bin/env python3\n", "#!/usr/bin/perl\n"])
def test_other_interpreters_are_not_read(tmp_path, first):
    r = _run(tmp_path, {"setup.sh": first + "print('x')\n"})
    assert not cleaned(r)


def test_excluded_script_is_not_read(tmp_path):
    r = _run(tmp_path, {"setup.sh": "#!/bin/sh\necho ok\n"}, ignore="scripts/setup.sh\n")
    assert not cleaned(r)


def test_args_naming_the_program_block(tmp_path):
    r = _run(tmp_path, {"run.sh": '#!/bin/sh\n"$@"\n'}, run="/opt/scripts/run.sh apt-get install -y jq")
    assert not cleaned(r)


def test_unparsable_script_blocks(tmp_path):
    r = _run(tmp_path, {"setup.sh": "#!/bin/sh\nif then fi (\n"})
    assert not cleaned(r)
