"""dockeropt.verify against real buildah builds: a deliberately wrong rewrite must be caught
(exit 1, naming the paths or the line whose failure it hides), a rewrite that keeps a failure
passes (exit 0), and a missing base image must give exit 2 with a clear message."""

from __future__ import annotations

import json

import pytest

from dockeropt.verify import BuildahEngine, run_verify

ORIGINAL = """\
FROM debian:bookworm-slim
RUN cd /tmp && touch a
RUN touch b
RUN export X=1
RUN echo "${X:-unset}" > /x
RUN umask 077 && touch /private
RUN touch /public
"""

# What a naive merge makes of it: cd, export and umask leak into the commands after them.
NAIVE = """\
FROM debian:bookworm-slim
RUN cd /tmp && touch a && touch b && export X=1 && echo "${X:-unset}" > /x && umask 077 && touch /private && touch /public
"""


@pytest.mark.e2e
def test_naive_merge_is_caught(tmp_path, e2e_engine):
    (tmp_path / "Dockerfile").write_text(ORIGINAL)
    messages: list[str] = []
    code, out = run_verify(
        tmp_path / "Dockerfile", engine=e2e_engine, rewritten_text=NAIVE, fmt="json", progress=messages.append
    )
    print(out)
    assert code == 1
    report = json.loads(out)
    diff = report["tree_diff"]
    assert "b" in diff["removed"]  # /b landed in /tmp (whose contents are not compared)
    assert any(c.startswith("content") for c in diff["changed"]["x"])  # "1" instead of "unset"
    assert diff["changed"]["public"] == ["mode: 0644 -> 0600"]
    assert report["original"]["layers"] == 7 and report["rewritten"]["layers"] == 2
    assert "/b" in report["headline"] and "/public" in report["headline"]
    # progress was reported while building
    assert any(m.startswith("building original (1/2)") for m in messages)
    assert any(m.startswith("building rewritten (2/2)") for m in messages)
    assert any("STEP 2/7: RUN cd /tmp" in m for m in messages)


@pytest.mark.e2e
def test_rewrite_that_does_not_build_is_exit_1(tmp_path, e2e_engine):
    (tmp_path / "Dockerfile").write_text("FROM debian:bookworm-slim\nRUN set -e; echo a > /a\nRUN false; echo b > /b\n")
    naive = "FROM debian:bookworm-slim\nRUN set -e; echo a > /a && false; echo b > /b\n"
    code, out = run_verify(tmp_path / "Dockerfile", engine=e2e_engine, rewritten_text=naive, fmt="markdown")
    print(out)
    assert code == 1
    assert "the rewrite breaks the build at lines 2-3 (rewritten line 2: exit status 1)" in out
    assert "| layers | 3 |" in out


@pytest.mark.e2e
def test_hidden_failure_and_kept_failure(tmp_path, e2e_engine):
    """The errexit trap with real builds: `( set -e; false; ... ) && next` hides the failure
    (exit 1, naming the original line); `&&` between plain RUNs keeps it (exit 0, both fail)."""
    (tmp_path / "Dockerfile").write_text(
        "FROM debian:bookworm-slim\nRUN set -e; false; echo a > /a\nRUN echo b > /b\n"
    )
    hiding = "FROM debian:bookworm-slim\nRUN ( set -e; false; echo a > /a ) && \\\n    echo b > /b\n"
    code, out = run_verify(tmp_path / "Dockerfile", engine=e2e_engine, rewritten_text=hiding, fmt="json")
    print(out)
    report = json.loads(out)
    assert code == 1 and report["exit_code"] == 1
    assert "the rewrite hides a failure at line 2" in report["headline"]
    assert report["original_build"]["failure"]["line"] == 2
    assert report["original_build"]["failure"]["exit_status"] == 1
    assert report["rewritten_build"]["built"] is True
    keeping = "FROM debian:bookworm-slim\nRUN set -e; false; echo a > /a && \\\n    echo b > /b\n"
    code, out = run_verify(tmp_path / "Dockerfile", engine=e2e_engine, rewritten_text=keeping, fmt="text")
    print(out)
    assert code == 0
    assert "both builds fail at line 2 (as they should)" in out and "Traceback" not in out


@pytest.mark.e2e
def test_missing_base_image_is_exit_2(tmp_path, e2e_engine):
    (tmp_path / "Dockerfile").write_text("FROM dockeropt-e2e/no-such-image:1\nRUN true\nRUN true\n")
    code, out = run_verify(
        tmp_path / "Dockerfile", engine=e2e_engine, rewritten_text="FROM dockeropt-e2e/no-such-image:1\nRUN true\n"
    )
    assert code == 2
    assert "dockeropt-e2e/no-such-image:1" in out and "buildah pull" in out
    assert "Traceback" not in out


@pytest.mark.e2e
def test_empty_store_without_sources_is_exit_2(tmp_path, e2e_engine):
    """A fresh store that has no way to get debian:bookworm-slim (no registry here)."""
    (tmp_path / "Dockerfile").write_text("FROM debian:bookworm-slim\nRUN true\nRUN true\n")
    with BuildahEngine(use_default_store=False) as eng:
        code, out = run_verify(
            tmp_path / "Dockerfile", engine=eng, rewritten_text="FROM debian:bookworm-slim\nRUN true\n"
        )
    assert code == 2
    assert "debian:bookworm-slim" in out and "DOCKEROPT_VERIFY_IMAGES" in out
    assert "Traceback" not in out


@pytest.mark.e2e
def test_rewritten_dockerignore(tmp_path, e2e_engine):
    """The rewritten build can use a generated .dockerignore: harmless when nothing COPY'd needs
    the ignored files, caught (exit 1, path named) when it drops files that ``COPY .`` brought."""
    from dockeropt.verify import verify

    (tmp_path / "app.txt").write_text("app\n")
    (tmp_path / "junk").mkdir()
    (tmp_path / "junk" / "big.bin").write_bytes(b"x" * 100_000)
    picky = "FROM debian:bookworm-slim\nCOPY app.txt /app/\nRUN true\n"
    r = verify(picky, picky, engine=e2e_engine, context_dir=tmp_path, rewritten_dockerignore="junk\n")
    assert r.exit_code == 0, r.to_text()
    greedy = "FROM debian:bookworm-slim\nCOPY . /app/\nRUN true\n"
    r = verify(greedy, greedy, engine=e2e_engine, context_dir=tmp_path, rewritten_dockerignore="junk\n")
    assert r.exit_code == 1
    assert {"app/junk", "app/junk/big.bin"} <= set(r.tree_diff.removed), r.to_text()
    assert r.rewritten.uncompressed_bytes < r.original.uncompressed_bytes
