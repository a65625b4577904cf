""".dockerignore matching against the cases of moby/patternmatcher's own tests
(patternmatcher_test.go: TestMatches, its multi-pattern cases, TestMatch -- Go's filepath.Match
table --, TestCompile) and ignorefile.ReadAll's test, plus BuildKit's walk semantics (fsutil:
an excluded directory is skipped unless an exception may re-include something in it).

The tables are data: (pattern, path, expected) as moby's tests state them.
"""

from __future__ import annotations

import pytest

from dockeropt.model.patterns import (
    BAD_PATTERN,
    IgnoreFileError,
    PatternError,
    PatternMatcher,
    check_match_syntax,
    go_clean,
    go_regexp,
    matcher_for,
    read_ignore_lines,
)

FAIL, EXACT, INEXACT = "fail", "exact", "inexact"

# TestMatches: (pattern, text, how it matches). EXACT: the path itself matches; INEXACT: only a
# parent directory does; FAIL: no match.
MATCHES = [
    ("**", "file", EXACT),
    ("**", "file/", EXACT),
    ("**/", "file", EXACT),
    ("**/", "file/", EXACT),
    ("**", "/", EXACT),
    ("**/", "/", EXACT),
    ("**", "dir/file", EXACT),
    ("**/", "dir/file", EXACT),
    ("**", "dir/file/", EXACT),
    ("**/", "dir/file/", EXACT),
    ("**/**", "dir/file", EXACT),
    ("**/**", "dir/file/", EXACT),
    ("dir/**", "dir/file", EXACT),
    ("dir/**", "dir/file/", EXACT),
    ("dir/**", "dir/dir2/file", EXACT),
    ("dir/**", "dir/dir2/file/", EXACT),
    ("**/dir", "dir", EXACT),
    ("**/dir", "dir/file", INEXACT),
    ("**/dir2/*", "dir/dir2/file", EXACT),
    ("**/dir2/*", "dir/dir2/file/", INEXACT),
    ("**/dir2/**", "dir/dir2/dir3/file", EXACT),
    ("**/dir2/**", "dir/dir2/dir3/file/", EXACT),
    ("**file", "file", EXACT),
    ("**file", "dir/file", EXACT),
    ("**/file", "dir/file", EXACT),
    ("**file", "dir/dir/file", EXACT),
    ("**/file", "dir/dir/file", EXACT),
    ("**/file*", "dir/dir/file", EXACT),
    ("**/file*", "dir/dir/file.txt", EXACT),
    ("**/file*txt", "dir/dir/file.txt", EXACT),
    ("**/file*.txt", "dir/dir/file.txt", EXACT),
    ("**/file*.txt*", "dir/dir/file.txt", EXACT),
    ("**/**/*.txt", "dir/dir/file.txt", EXACT),
    ("**/**/*.txt2", "dir/dir/file.txt", FAIL),
    ("**/*.txt", "file.txt", EXACT),
    ("**/**/*.txt", "file.txt", EXACT),
    ("a**/*.txt", "a/file.txt", EXACT),
    ("a**/*.txt", "a/dir/file.txt", EXACT),
    ("a**/*.txt", "a/dir/dir/file.txt", EXACT),
    ("a/*.txt", "a/dir/file.txt", FAIL),
    ("a/*.txt", "a/file.txt", EXACT),
    ("a/*.txt**", "a/file.txt", EXACT),
    ("a[b-d]e", "ae", FAIL),
    ("a[b-d]e", "ace", EXACT),
    ("a[b-d]e", "aae", FAIL),
    ("a[^b-d]e", "aze", EXACT),
    (".*", ".foo", EXACT),
    (".*", "foo", FAIL),
    ("abc.def", "abcdef", FAIL),
    ("abc.def", "abc.def", EXACT),
    ("abc.def", "abcZdef", FAIL),
    ("abc?def", "abcZdef", EXACT),
    ("abc?def", "abcdef", FAIL),
    ("**/foo/bar", "foo/bar", EXACT),
    ("**/foo/bar", "dir/foo/bar", EXACT),
    ("**/foo/bar", "dir/dir2/foo/bar", EXACT),
    ("abc/**", "abc", FAIL),
    ("abc/**", "abc/def", EXACT),
    ("abc/**", "abc/def/ghi", EXACT),
    ("**/.foo", ".foo", EXACT),
    ("**/.foo", "bar.foo", FAIL),
    ("a(b)c/def", "a(b)c/def", EXACT),
    ("a(b)c/def", "a(b)c/xyz", FAIL),
    ("a.|)$(}+{bc", "a.|)$(}+{bc", EXACT),
    ("dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl",
     "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl", EXACT),
    ("dist/*.whl", "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl", EXACT),
    ("a\\\\", "a\\", EXACT),
    ("a\\*b", "a*b", EXACT),
]

MULTI = [
    (["**", "!util/docker/web"], "util/docker/web/foo", FAIL),
    (["**", "!util/docker/web", "util/docker/web/foo"], "util/docker/web/foo", EXACT),
    (["**", "!dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl"],
     "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl", FAIL),
    (["**", "!dist/*.whl"], "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl", FAIL),
    # the single tests at the top of patternmatcher_test.go
    (["*"], "fileutils.go", EXACT),
    (["*.go"], "fileutils.go", EXACT),
    (["!fileutils.go", "*.go"], "fileutils.go", EXACT),
    (["docs", "!docs/README.md"], "docs/README.md", FAIL),
    (["docs/", "!docs/README.md"], "docs/README.md", FAIL),
    (["docs/*", "!docs/README.md"], "docs/README.md", FAIL),
    (["*.go", "!fileutils.go"], "fileutils.go", FAIL),
]

# TestMatch (Go's filepath.Match table, run through the pattern matcher with parent matching):
# (pattern, text, match, error)
GO_MATCH = [
    ("abc", "abc", True, None),
    ("*", "abc", True, None),
    ("*c", "abc", True, None),
    ("a*", "a", True, None),
    ("a*", "abc", True, None),
    ("a*", "ab/c", True, None),
    ("a*/b", "abc/b", True, None),
    ("a*/b", "a/c/b", False, None),
    ("a*b*c*d*e*/f", "axbxcxdxe/f", True, None),
    ("a*b*c*d*e*/f", "axbxcxdxexxx/f", True, None),
    ("a*b*c*d*e*/f", "axbxcxdxe/xxx/f", False, None),
    ("a*b*c*d*e*/f", "axbxcxdxexxx/fff", False, None),
    ("a*b?c*x", "abxbbxdbxebxczzx", True, None),
    ("a*b?c*x", "abxbbxdbxebxczzy", False, None),
    ("ab[c]", "abc", True, None),
    ("ab[b-d]", "abc", True, None),
    ("ab[e-g]", "abc", False, None),
    ("ab[^c]", "abc", False, None),
    ("ab[^b-d]", "abc", False, None),
    ("ab[^e-g]", "abc", True, None),
    ("a\\*b", "a*b", True, None),
    ("a\\*b", "ab", False, None),
    ("a?b", "a\u263ab", True, None),
    ("a[^a]b", "a\u263ab", True, None),
    ("a???b", "a\u263ab", False, None),
    ("a[^a][^a][^a]b", "a\u263ab", False, None),
    ("[a-\u03b6]*", "\u03b1", True, None),
    ("*[a-\u03b6]", "A", False, None),
    ("a?b", "a/b", False, None),
    ("a*b", "a/b", False, None),
    ("[\\]a]", "]", True, None),
    ("[\\-]", "-", True, None),
    ("[x\\-]", "x", True, None),
    ("[x\\-]", "-", True, None),
    ("[x\\-]", "z", False, None),
    ("[\\-x]", "x", True, None),
    ("[\\-x]", "-", True, None),
    ("[\\-x]", "a", False, None),
    ("[]a]", "]", False, BAD_PATTERN),
    ("[-]", "-", False, BAD_PATTERN),
    ("[x-]", "x", False, BAD_PATTERN),
    ("[x-]", "-", False, BAD_PATTERN),
    ("[x-]", "z", False, BAD_PATTERN),
    ("[-x]", "x", False, BAD_PATTERN),
    ("[-x]", "-", False, BAD_PATTERN),
    ("[-x]", "a", False, BAD_PATTERN),
    ("\\", "a", False, BAD_PATTERN),
    ("[a-b-c]", "a", False, BAD_PATTERN),
    ("[", "a", False, BAD_PATTERN),
    ("[^", "a", False, BAD_PATTERN),
    ("[^bc", "a", False, BAD_PATTERN),
    ("a[", "a", False, BAD_PATTERN),
    ("a[", "ab", False, BAD_PATTERN),
    ("*x", "xxx", True, None),
]

# TestCompile: (pattern, match type, RE2 source for the regexp kind)
COMPILE = [
    ("*", "regexp", "^[^/]*$"),
    ("file*", "regexp", "^file[^/]*$"),
    ("*file", "regexp", "^[^/]*file$"),
    ("a*/b", "regexp", "^a[^/]*/b$"),
    ("**", "suffix", ""),
    ("**/**", "regexp", "^(.*/)?.*$"),
    ("dir/**", "prefix", ""),
    ("**/dir", "suffix", ""),
    ("**/dir2/*", "regexp", "^(.*/)?dir2/[^/]*$"),
    ("**/dir2/**", "regexp", "^(.*/)?dir2/.*$"),
    ("**file", "suffix", ""),
    ("**/file*txt", "regexp", "^(.*/)?file[^/]*txt$"),
    ("**/**/*.txt", "regexp", "^(.*/)?(.*/)?[^/]*\\.txt$"),
    ("a[b-d]e", "regexp", "^a[b-d]e$"),
    (".*", "regexp", "^\\.[^/]*$"),
    ("abc.def", "exact", ""),
    ("abc?def", "regexp", "^abc[^/]def$"),
    ("**/foo/bar", "suffix", ""),
    ("a(b)c/def", "exact", ""),
    ("a.|)$(}+{bc", "exact", ""),
    ("dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl", "exact", ""),
]


def _walk_matches(pm: PatternMatcher, text: str) -> bool:
    """MatchesUsingParentResults, walking down from the top directory as fsutil does."""
    info = None
    parent = go_clean(text.rsplit("/", 1)[0] + "/") if "/" in text else "."
    if parent != ".":
        dirs = parent.split("/")
        for k in range(len(dirs)):
            _, info = pm.matches_using_parent_results("/".join(dirs[: k + 1]), info)
    return pm.matches_using_parent_results(text, info)[0]


@pytest.mark.parametrize("pattern,text,how", MATCHES, ids=[f"{p}|{t}" for p, t, _ in MATCHES])
def test_matches(pattern, text, how):
    pm = PatternMatcher([pattern])
    assert pm.matches_exact(text) == (how == EXACT)
    assert pm.matches_or_parent_matches(text) == (how != FAIL)
    assert _walk_matches(pm, text) == (how != FAIL)
    assert pm.matches_using_parent_results(text, None)[0] == (how != FAIL)


@pytest.mark.parametrize("patterns,text,how", MULTI, ids=[f"{'+'.join(p)}|{t}" for p, t, _ in MULTI])
def test_multi_pattern(patterns, text, how):
    pm = PatternMatcher(patterns)
    assert pm.matches_or_parent_matches(text) == (how != FAIL)
    assert _walk_matches(pm, text) == (how != FAIL)


@pytest.mark.parametrize("pattern,text,match,err", GO_MATCH, ids=[f"{p}|{t}" for p, t, _, _ in GO_MATCH])
def test_go_filepath_match_table(pattern, text, match, err):
    if err:
        with pytest.raises(PatternError, match=err):
            PatternMatcher([pattern])
        return
    assert PatternMatcher([pattern]).matches_or_parent_matches(text) == match


@pytest.mark.parametrize("pattern,kind,source", COMPILE, ids=[c[0] for c in COMPILE])
def test_compile(pattern, kind, source):
    got_kind, got_source = go_regexp(go_clean(pattern))
    assert got_kind == kind
    if kind == "regexp":
        assert got_source == source


def test_table_size():
    """The issue asks for at least 40 cases taken from BuildKit's semantics."""
    assert len(MATCHES) + len(MULTI) + len(GO_MATCH) + len(COMPILE) >= 40


def test_errors():
    with pytest.raises(PatternError, match='illegal exclusion pattern: "!"'):
        PatternMatcher(["!"])
    assert PatternMatcher([]).matches_or_parent_matches("any/path/there") is False
    with pytest.raises(PatternError, match=BAD_PATTERN):
        PatternMatcher(["["])
    # passes filepath.Match, but RE2 refuses the range l-O: BuildKit fails when it matches
    pm = PatternMatcher(["[Local-Only]/"])
    with pytest.raises(PatternError, match=BAD_PATTERN):
        pm.matches_or_parent_matches("x")
    with pytest.raises(PatternError):  # and again (moby/moby#52203: no panic the second time)
        pm.matches_or_parent_matches("x")


def test_clean_patterns():
    assert len(PatternMatcher(["docs", "config", ""]).patterns) == 2
    assert PatternMatcher(["docs", "  !docs/README.md"]).exclusions
    assert PatternMatcher(["docs", "!docs/README.md  "]).exclusions
    assert not PatternMatcher(["docs"]).exclusions


def test_read_all():
    """ignorefile_test.go's TestReadAll."""
    content = b"test1\n/test2\n/a/file/here\n\nlastfile\n# this is a comment\n! /inverted/abs/path\n!\n! "
    got = [ln.pattern for ln in read_ignore_lines(content) if ln.pattern is not None]
    assert got == ["test1", "test2", "a/file/here", "lastfile", "!inverted/abs/path", "!", "!"]


def test_read_all_details():
    lines = read_ignore_lines("\ufeff# c\n  # not a comment\r\nx/../y/\n./z\n".encode())
    assert [(ln.number, ln.pattern) for ln in lines] == [(1, None), (2, "# not a comment"), (3, "y"), (4, "z")]


def test_go_clean():
    for given, want in [("", "."), ("a//b", "a/b"), ("./a/", "a"), ("a/../..", ".."), ("/../a", "/a"),
                        ("a/./b/../c", "a/c"), ("//a", "/a"), ("..", ".."), ("../../a/b/..", "../../a")]:
        assert go_clean(given) == want, given


def test_syntax_check_whole_pattern():
    """Go >= 1.19 checks the whole pattern, not only up to the first mismatch."""
    check_match_syntax("abc*[a-z]")
    with pytest.raises(PatternError):
        check_match_syntax("x*[")


def test_ignore_file_errors_name_the_line():
    lines = read_ignore_lines(b"node_modules\n# ok\n[\n")
    with pytest.raises(IgnoreFileError) as e:
        matcher_for(lines, "ctx/.dockerignore")
    assert str(e.value).startswith("ctx/.dockerignore:3: syntax error in pattern")
    lines = read_ignore_lines(b"a\n!\n")
    with pytest.raises(IgnoreFileError, match=r':2: illegal exclusion pattern: "!"'):
        matcher_for(lines, ".dockerignore")
    lines = read_ignore_lines(b"a\n[Local-Only]/\n")
    with pytest.raises(IgnoreFileError, match=":2: syntax error in pattern"):
        matcher_for(lines, ".dockerignore")


def test_exception_walk_rules():
    """fsutil: an excluded directory is walked only when an exception may re-include a path
    in it (exceptions without glob characters must name a path below it)."""
    pm = PatternMatcher(["docs", "!docs/README.md"])
    assert pm.may_reinclude_below("docs")
    pm = PatternMatcher(["docs", "!other/README.md"])
    assert not pm.may_reinclude_below("docs")
    pm = PatternMatcher(["docs", "!**/README.md"])  # a glob: the walker must look everywhere
    assert pm.may_reinclude_below("docs")
    pm = PatternMatcher(["docs"])
    assert not pm.may_reinclude_below("docs")
