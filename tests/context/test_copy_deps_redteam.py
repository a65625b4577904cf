"""Trying to break copy-deps-first: each case is a way the reorder could change what the build
does; the rule must refuse it (a finding without a fix) or keep the semantics."""

from __future__ import annotations

import json
import os

import pytest

import dockeropt
from dockeropt.model.context import BuildContext
from dockeropt.rewriter import rewrite

PKG = json.dumps({"name": "a", "version": "1.0.0"})


def run(tmp_path, dockerfile: str, files: dict[str, str], unsafe=False):
    for rel, text in files.items():
        p = tmp_path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    ctx = BuildContext(str(tmp_path), str(tmp_path / "Dockerfile"))
    r = rewrite(dockerfile, select=["copy-deps-first"], context=ctx, unsafe=unsafe)
    if r.changed:
        dockeropt.parse(r.text, strict=True)
        again = rewrite(r.text, select=["copy-deps-first"], context=ctx, unsafe=unsafe)
        assert again.text == r.text
    return r


NODE = {"package.json": PKG, "package-lock.json": "{}"}


def test_link_flag_kept_on_both(tmp_path):
    r = run(tmp_path, "FROM node\nWORKDIR /app\nCOPY --link --chown=1:1 . .\nRUN npm ci\n", NODE)
    assert r.text == ("FROM node\nWORKDIR /app\nCOPY --link --chown=1:1 package.json package-lock.json ./\n"
                      "RUN npm ci\nCOPY --link --chown=1:1 . .\n")


@pytest.mark.parametrize("between,why", [
    ("COPY --from=builder /out /app/out\n", "stands between"),
    ("VOLUME /app\n", "stands between"),
    ("RUN mkdir -p /app/data\n", "works on a path inside /app"),
    ("RUN ./configure\n", "may read the copied files"),
    ("RUN sh -c 'npm ci'\n", "may read the copied files"),
    ("ONBUILD RUN echo\n", "stands between"),
])
def test_between_instructions_that_may_touch_the_files(tmp_path, between, why):
    r = run(tmp_path, f"FROM node\nWORKDIR /app\nCOPY . .\n{between}RUN npm ci\n", NODE)
    assert not r.changed
    assert why in r.findings[0].message


@pytest.mark.parametrize("between", ["ENV NODE_ENV=production\n", "RUN useradd -m app\n", "USER node\n",
                                     "RUN apt-get update && apt-get install -y git\n", "ARG X=1\n", "LABEL a=b\n"])
def test_between_instructions_that_do_not(tmp_path, between):
    r = run(tmp_path, f"FROM node\nWORKDIR /app\nCOPY . .\n{between}RUN npm ci\n", NODE)
    assert r.changed, r.findings


def test_workdir_change_with_relative_destination(tmp_path):
    r = run(tmp_path, "FROM node\nWORKDIR /app\nCOPY . .\nWORKDIR /app/sub\nRUN npm ci\n",
            {"sub/package.json": PKG})
    assert not r.changed and "WORKDIR" in r.findings[0].message


def test_cd_in_the_run(tmp_path):
    r = run(tmp_path, "FROM node\nCOPY . /app\nRUN cd /app && npm ci\n", NODE)
    assert "COPY package.json package-lock.json /app/\nRUN cd /app && npm ci\nCOPY . /app\n" in r.text


def test_install_outside_the_copied_tree(tmp_path):
    r = run(tmp_path, "FROM node\nCOPY . /app\nWORKDIR /srv\nRUN npm ci\n", NODE)
    assert not r.changed


def test_prefix_option_refused(tmp_path):
    r = run(tmp_path, "FROM node\nWORKDIR /app\nCOPY . .\nRUN npm ci --prefix /opt/x\n", NODE)
    assert not r.changed and "somewhere other" in r.findings[0].message


def test_manifest_symlink_refused(tmp_path):
    (tmp_path / "real.json").write_text(PKG)
    os.symlink("real.json", tmp_path / "package.json")
    r = run(tmp_path, "FROM node\nWORKDIR /app\nCOPY . .\nRUN npm ci\n", {"package-lock.json": "{}"})
    assert not r.changed and "not a regular file" in r.findings[0].message


def test_invalid_package_json(tmp_path):
    r = run(tmp_path, "FROM node\nWORKDIR /app\nCOPY . .\nRUN npm ci\n", {"package.json": "{", "package-lock.json": "{}"})
    assert not r.changed and "not valid JSON" in r.findings[0].message


def test_yarn_may_rewrite_its_lock(tmp_path):
    files = {"package.json": PKG, "yarn.lock": "#"}
    r = run(tmp_path, "FROM node\nWORKDIR /app\nCOPY . .\nRUN yarn install\n", files)
    assert not r.changed and r.findings[0].applicability == "unsafe"
    r = run(tmp_path, "FROM node\nWORKDIR /app\nCOPY . .\nRUN yarn install\n", files, unsafe=True)
    assert r.changed


def test_requirements_include_cycle_and_escape(tmp_path):
    r = run(tmp_path, "FROM python\nWORKDIR /app\nCOPY . .\nRUN pip install -r a.txt\n",
            {"a.txt": "-r b.txt\nflask\n", "b.txt": "-r a.txt\n"})
    assert "COPY a.txt b.txt ./" in r.text
    r = run(tmp_path, "FROM python\nWORKDIR /app\nCOPY . .\nRUN pip install -r c.txt\n", {"c.txt": "-r ../x.txt\n"})
    assert not r.changed and "outside /app" in r.findings[0].message


def test_requirements_local_path_line(tmp_path):
    r = run(tmp_path, "FROM python\nWORKDIR /app\nCOPY . .\nRUN pip install -r r.txt\n",
            {"r.txt": "flask\n./vendor/pkg.whl\n"})
    assert not r.changed and "local path" in r.findings[0].message


def test_node_modules_reincluded_by_exception(tmp_path):
    files = {**NODE, "node_modules/x/a.js": "", ".dockerignore": "node_modules\n!node_modules/x\n"}
    r = run(tmp_path, "FROM node\nWORKDIR /app\nCOPY . .\nRUN npm ci\n", files)
    assert not r.changed and "node_modules" in r.findings[0].message


def test_crlf_and_no_final_newline(tmp_path):
    text = "FROM node\r\nWORKDIR /app\r\nCOPY . .\r\nRUN npm ci"
    r = run(tmp_path, text, NODE)
    assert r.text == "FROM node\r\nWORKDIR /app\r\nCOPY package.json package-lock.json ./\r\nRUN npm ci\r\nCOPY . ."


def test_onbuild_copy_untouched(tmp_path):
    r = run(tmp_path, "FROM node\nWORKDIR /app\nONBUILD COPY . .\nONBUILD RUN npm ci\n", NODE)
    assert not r.changed and not r.findings


def test_variable_destination_refused(tmp_path):
    r = run(tmp_path, "FROM node\nENV APP=/app\nWORKDIR $APP\nCOPY . $APP\nRUN npm ci\n", NODE)
    assert not r.changed


def test_unreadable_ignore_file_is_a_finding(tmp_path):
    r = run(tmp_path, "FROM node\nWORKDIR /app\nCOPY . .\nRUN npm ci\n", {**NODE, ".dockerignore": "[\n"})
    assert not r.changed and "syntax error in pattern" in r.findings[0].message
