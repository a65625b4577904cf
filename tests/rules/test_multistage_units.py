"""Units of the multi-stage rule: the base-image table (``rewriter/split/bases.py``) and the
smoke command's argv (``verify/smoke.py``)."""

from __future__ import annotations

import pytest

from dockeropt.rewriter.split import bases
from dockeropt.verify.smoke import SmokeResult, SmokeRun, smoke_argv


@pytest.mark.parametrize("builder,runtime", [
    ("node:20-bookworm", "node:20-bookworm-slim"),
    ("node:18", "node:18-slim"),
    ("node:lts", "node:lts-slim"),
    ("node:18.19.0-bullseye", "node:18.19.0-bullseye-slim"),
    ("node:${NODE}-bookworm", "node:${NODE}-bookworm-slim"),
    ("python:3.11", "python:3.11-slim"),
    ("python:3.12-bookworm", "python:3.12-slim-bookworm"),
    ("python:${PY}-bullseye", "python:${PY}-slim-bullseye"),
    ("python", "python:slim"),
    ("docker.io/library/python:3.11", "python:3.11-slim"),
])
def test_interpreted_runtimes(builder, runtime):
    ref = bases.parse_ref(builder)
    rt = bases.node_runtime(ref) if ref.name == "node" else bases.python_runtime(ref)
    assert rt.image == runtime


@pytest.mark.parametrize("builder", ["node:20-alpine", "node:20-slim", "node:20-bookworm-slim", "python:3.11-slim",
                                     "python:3.11-slim-bookworm", "python:3.11-alpine3.19"])
def test_small_images_are_not_split(builder):
    ref = bases.parse_ref(builder)
    rt = bases.node_runtime(ref) if ref.name == "node" else bases.python_runtime(ref)
    assert rt.image is None and "already a small image" in rt.why


@pytest.mark.parametrize("builder,runtime", [
    ("maven:3.9-eclipse-temurin-21", "eclipse-temurin:21-jre"),
    ("maven:3-eclipse-temurin-17-alpine", "eclipse-temurin:17-jre-alpine"),
    ("maven:3.9.6-eclipse-temurin-17-jammy", "eclipse-temurin:17-jre-jammy"),
    ("maven:3-openjdk-17", "eclipse-temurin:17-jre"),
    ("maven:3.8-jdk-11", "eclipse-temurin:11-jre"),
    ("gradle:8.5-jdk17", "eclipse-temurin:17-jre"),
    ("gradle:8-jdk21-alpine", "eclipse-temurin:21-jre-alpine"),
    ("eclipse-temurin:21-jdk", "eclipse-temurin:21-jre"),
    ("eclipse-temurin:17", "eclipse-temurin:17-jre"),
    ("openjdk:17-jdk-slim", "eclipse-temurin:17-jre"),
    ("maven:latest", None),
    ("eclipse-temurin:21-jre", None),
])
def test_java_runtimes(builder, runtime):
    assert bases.java_runtime(bases.parse_ref(builder)).image == runtime


@pytest.mark.parametrize("builder,cgo,shell,packages,runtime", [
    ("golang:1.22-bookworm", False, False, False, "gcr.io/distroless/static-debian12"),
    ("golang:1.22", False, False, False, "gcr.io/distroless/static-debian12"),
    ("golang:1.22-alpine", False, False, False, "gcr.io/distroless/static-debian12"),
    ("golang:1.22-bookworm", True, False, False, "gcr.io/distroless/base-debian12"),
    ("golang:1.21-bullseye", True, False, False, "gcr.io/distroless/base-debian11"),
    ("golang:1.22-bookworm", True, True, False, "debian:bookworm-slim"),
    ("golang:1.22-bookworm", False, False, True, "debian:bookworm-slim"),
    ("golang:1.22", True, False, False, None),
    ("golang:1.22-alpine", True, False, False, None),
])
def test_go_runtimes(builder, cgo, shell, packages, runtime):
    assert bases.go_runtime(bases.parse_ref(builder), cgo, shell, packages).image == runtime


@pytest.mark.parametrize("builder,shell,runtime", [
    ("rust:1.75-bookworm", False, "gcr.io/distroless/cc-debian12"),
    ("rust:1.75-slim-bookworm", False, "gcr.io/distroless/cc-debian12"),
    ("rust:1.70-bullseye", False, "gcr.io/distroless/cc-debian11"),
    ("rust:1.75-bookworm", True, "debian:bookworm-slim"),
    ("rust:1.75", False, None),
    ("rust:latest", False, None),
])
def test_rust_runtimes(builder, shell, runtime):
    assert bases.rust_runtime(bases.parse_ref(builder), shell, False).image == runtime


def test_digest_and_registry_are_parsed():
    ref = bases.parse_ref("golang:1.22-bookworm@sha256:abc")
    assert (ref.name, ref.tag, ref.digest, ref.official) == ("golang", "1.22-bookworm", "sha256:abc", True)
    assert not bases.parse_ref("ghcr.io/acme/golang:1.22").official
    assert bases.parse_ref("localhost:5000/x").tag == ""


def test_smoke_argv_follows_docker_run():
    cfg = {"config": {"Entrypoint": ["/bin/tool"], "Cmd": ["--help"]}}
    assert smoke_argv(cfg, "") == ["/bin/tool", "--help"]
    assert smoke_argv(cfg, "--version") == ["/bin/tool", "--version"]
    assert smoke_argv({"config": {"Cmd": ["node", "x.js"]}}, "node -e 'console.log(1)'") == ["node", "-e", "console.log(1)"]


def test_smoke_result_compares_exit_status_and_output():
    same = SmokeResult("x", SmokeRun(["x"], 0, "hi\n"), SmokeRun(["x"], 0, "hi\n"))
    assert same.same and same.problem() is None
    other = SmokeResult("x", SmokeRun(["x"], 0, "hi\n"), SmokeRun(["x"], 127, "not found\n"))
    assert not other.same and "exit status 0 -> 127" in other.problem()
