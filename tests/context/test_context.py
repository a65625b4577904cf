"""The build context: which files reach the builder, read lazily, and bad input."""

from __future__ import annotations

import os
import time

import pytest

from dockeropt.model.context import BudgetExceeded, BuildContext, ContextError, for_dockerfile


def make(root, files: dict[str, str]):
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        if rel.endswith("/"):
            p.mkdir(exist_ok=True)
        else:
            p.write_text(text)
    return root


def sent(ctx: BuildContext) -> list[str]:
    return [e.path for e in ctx.walk()]


def test_no_ignore_file_sends_everything(tmp_path):
    make(tmp_path, {"a/b.txt": "x", "c": "yy", "Dockerfile": "FROM x\n"})
    ctx = BuildContext(str(tmp_path))
    assert sent(ctx) == ["Dockerfile", "a", "a/b.txt", "c"]
    assert ctx.is_file("a/b.txt") and ctx.is_sent("c") and ctx.matcher is None


def test_anchored_not_gitignore(tmp_path):
    """``foo`` excludes ./foo only (gitignore would exclude a/foo too); ``**/foo`` any depth."""
    make(tmp_path, {"foo": "", "a/foo": "", "b/bar": "", "a/bar": "", ".dockerignore": "foo\n**/bar\n"})
    ctx = BuildContext(str(tmp_path))
    assert sent(ctx) == [".dockerignore", "a", "a/foo", "b"]
    assert not ctx.is_sent("foo") and ctx.is_sent("a/foo") and not ctx.is_sent("a/bar")


def test_exception_reincludes_inside_excluded_dir(tmp_path):
    make(tmp_path, {"docs/README.md": "", "docs/x.md": "", "docs/sub/y.md": "",
                    ".dockerignore": "docs\n!docs/README.md\n"})
    ctx = BuildContext(str(tmp_path))
    assert sent(ctx) == [".dockerignore", "docs", "docs/README.md"]
    assert ctx.is_sent("docs/README.md") and not ctx.is_sent("docs/x.md") and not ctx.is_sent("docs/sub/y.md")


def test_last_match_wins(tmp_path):
    make(tmp_path, {"a.log": "", "keep.log": "", ".dockerignore": "*.log\n!keep.log\nkeep.log\n"})
    ctx = BuildContext(str(tmp_path))
    assert not ctx.is_sent("keep.log")
    ctx = ctx.with_ignore("*.log\n!keep.log\n")
    assert ctx.is_sent("keep.log") and not ctx.is_sent("a.log")


def test_exception_without_prefix_does_not_enter_dir(tmp_path):
    """fsutil skips an excluded directory when no exception can name a path in it: ``!x.md``
    does not bring back docs/x.md (a gitignore-minded reader expects it might)."""
    make(tmp_path, {"docs/x.md": "", "x.md": "", ".dockerignore": "docs\n!x.md\n"})
    ctx = BuildContext(str(tmp_path))
    assert "docs/x.md" not in sent(ctx) and not ctx.is_sent("docs/x.md")


def test_glob_exception_walks_into_excluded_dir(tmp_path):
    make(tmp_path, {"docs/a/README.md": "", "docs/a/x": "", ".dockerignore": "docs\n!**/README.md\n"})
    ctx = BuildContext(str(tmp_path))
    assert sent(ctx) == [".dockerignore", "docs", "docs/a", "docs/a/README.md"]


def test_dockerfile_dockerignore_wins(tmp_path):
    make(tmp_path, {"a": "", "b": "", ".dockerignore": "a\n", "Dockerfile.prod.dockerignore": "b\n",
                    "Dockerfile.prod": "FROM x\n"})
    prod = for_dockerfile(str(tmp_path / "Dockerfile.prod"))
    assert prod.is_sent("a") and not prod.is_sent("b")
    other = for_dockerfile(str(tmp_path / "Dockerfile"))
    assert not other.is_sent("a") and other.is_sent("b")


def test_context_dir_differs_from_dockerfile_dir(tmp_path):
    make(tmp_path, {"app/x": "", "app/.dockerignore": "x\n", "docker/Dockerfile": "FROM x\n"})
    ctx = for_dockerfile(str(tmp_path / "docker/Dockerfile"), str(tmp_path / "app"))
    assert not ctx.is_sent("x")


def test_invalid_pattern_names_file_and_line(tmp_path):
    make(tmp_path, {".dockerignore": "node_modules\n# fine\n*.[\n"})
    ctx = BuildContext(str(tmp_path))
    with pytest.raises(ContextError, match=r"\.dockerignore:3: syntax error in pattern"):
        ctx.is_sent("x")
    with pytest.raises(ContextError):
        ctx.check()


def test_unreadable_context(tmp_path):
    with pytest.raises(ContextError, match="cannot read the build context .*No such file"):
        BuildContext(str(tmp_path / "missing")).check()
    f = tmp_path / "file"
    f.write_text("")
    with pytest.raises(ContextError, match="not a directory"):
        BuildContext(str(f)).check()


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any directory")
def test_unreadable_context_permission(tmp_path):
    d = tmp_path / "locked"
    d.mkdir()
    d.chmod(0)
    try:
        with pytest.raises(ContextError, match="Permission denied"):
            BuildContext(str(d)).check()
    finally:
        d.chmod(0o755)


def test_unreadable_subdirectory_is_reported_not_fatal(tmp_path):
    make(tmp_path, {"ok/a": "", "locked/b": ""})
    (tmp_path / "locked").chmod(0)
    try:
        errors: list[str] = []
        paths = [e.path for e in BuildContext(str(tmp_path)).walk(errors=errors)]
        assert "ok/a" in paths
        if os.geteuid() != 0:
            assert errors and errors[0].startswith("locked:")
    finally:
        (tmp_path / "locked").chmod(0o755)


def test_symlink_loops_are_not_followed(tmp_path):
    make(tmp_path, {"src/a.py": ""})
    os.symlink("loop", tmp_path / "loop")  # a link to itself
    os.symlink("..", tmp_path / "src" / "up")  # a cycle through a directory link
    ctx = BuildContext(str(tmp_path))
    entries = {e.path: e.kind for e in ctx.walk()}
    assert entries == {"loop": "link", "src": "dir", "src/a.py": "file", "src/up": "link"}
    assert not ctx.is_file("loop") and ctx.read("loop") is None
    assert not ctx.is_file("src/up/src/a.py")  # not through a link
    assert ctx.listdir("src/up") == []


def test_context_root_symlink_loop(tmp_path):
    os.symlink("ctx", tmp_path / "ctx")
    with pytest.raises(ContextError, match="Too many levels of symbolic links"):
        BuildContext(str(tmp_path / "ctx")).check()


def test_lazy(tmp_path):
    """Making a context and asking about one path reads neither the tree nor other files."""
    make(tmp_path, {"a": ""})
    ctx = BuildContext(str(tmp_path / "nope"))  # nothing happens until asked
    assert ctx.root.endswith("nope")


def test_budget(tmp_path):
    make(tmp_path, {f"d/{i}": "" for i in range(30)})
    with pytest.raises(BudgetExceeded):
        list(BuildContext(str(tmp_path)).walk(budget=10))


def test_read_refuses_excluded_and_large(tmp_path):
    make(tmp_path, {"secret.env": "x", "big": "y" * 100, ".dockerignore": "*.env\n"})
    ctx = BuildContext(str(tmp_path))
    assert ctx.read("secret.env") is None
    assert ctx.read("big", limit=10) is None
    assert ctx.read("big") == b"y" * 100


def test_big_context_single_path_questions_stay_fast(tmp_path):
    """A context of 20,000 files (benchmarks/context.py times 200,000): questions about single
    paths do not list it."""
    root = tmp_path / "big"
    for d in range(20):
        sub = root / "src" / f"d{d}"
        sub.mkdir(parents=True)
        for i in range(1000):
            (sub / f"f{i}.js").touch()
    (root / "package.json").write_text("{}")
    (root / ".dockerignore").write_text("node_modules\n")
    ctx = BuildContext(str(root))
    t0 = time.perf_counter()
    for _ in range(100):
        BuildContext(str(root)).is_file("package.json")
    single = (time.perf_counter() - t0) / 100
    assert ctx.is_file("package.json")
    t0 = time.perf_counter()
    n = sum(1 for _ in ctx.walk())
    walk = time.perf_counter() - t0
    assert n == 20_000 + 20 + 1 + 2  # files, their dirs, src, package.json, .dockerignore
    print(f"single-path question: {single * 1e6:.0f} us; full walk of {n} entries: {walk:.2f} s")
    assert single < 0.01
