""".dockerignore patterns exactly as BuildKit reads and matches them.

This is moby's ``patternmatcher`` (what BuildKit's file walker, ``tonistiigi/fsutil``, uses) and
``patternmatcher/ignorefile.ReadAll`` re-done in Python, not gitignore:

- every pattern is anchored at the context root (``foo`` is ``./foo`` only, never ``a/foo``;
  ``**/foo`` matches at any depth); a leading ``/`` is dropped; each pattern is cleaned with Go's
  ``filepath.Clean`` (``a/../b`` is ``b``, ``./x/`` is ``x``);
- ``*`` and ``?`` never match ``/``; ``**`` matches any number of directories, including none;
  character classes ``[a-z]``, ``[^a-z]`` and ``\\`` escapes follow Go's ``filepath.Match``;
- ``!pattern`` re-includes; the LAST matching pattern decides;
- a pattern that matches a directory matches everything below it;
- a line is a comment only when ``#`` is its very first character; blank lines are skipped;
  a UTF-8 BOM at the start is dropped; leading and trailing white space is trimmed.

A pattern is checked the way BuildKit checks it: with Go's ``filepath.Match`` syntax rules when
the file is read (``[``, ``a[``, ``[]a]``, ``[x-]``, a trailing ``\\``: "syntax error in pattern";
a lone ``!``: ``illegal exclusion pattern: "!"``), and its regular expression when it is first
used (``[Local-Only]`` passes ``filepath.Match`` but ``[l-O]`` is not a valid range: BuildKit fails
the build with "syntax error in pattern" as soon as a path is matched against it).

Known differences from Go's regexp (RE2) that can only matter for escapes of letters or digits
inside a pattern (``\\pL``, ``\\123``): those are refused as syntax errors here.

Long (~600 lines) because it follows moby's patternmatcher and ignorefile function for
function, so that the two can be read side by side.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Optional

BAD_PATTERN = "syntax error in pattern"  # Go's filepath.ErrBadPattern


class PatternError(ValueError):
    """A pattern BuildKit refuses; ``str(e)`` is BuildKit's own message."""


# Go's unicode.IsSpace (what strings.TrimSpace trims)
_GO_SPACE = "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"


def go_trim_space(s: str) -> str:
    return s.strip(_GO_SPACE)


def go_clean(path: str) -> str:
    """Go's ``path/filepath.Clean`` on a slash-separated path (Unix)."""
    if path == "":
        return "."
    rooted = path[0] == "/"
    n = len(path)
    out: list[str] = []
    r = dotdot = 0
    if rooted:
        out.append("/")
        r = dotdot = 1
    while r < n:
        c = path[r]
        if c == "/":
            r += 1
        elif c == "." and (r + 1 == n or path[r + 1] == "/"):
            r += 1
        elif c == "." and path[r + 1] == "." and (r + 2 == n or path[r + 2] == "/"):
            r += 2
            if len(out) > dotdot:
                w = len(out) - 1
                while w > dotdot and out[w] != "/":
                    w -= 1
                del out[w:]
            elif not rooted:
                if out:
                    out.append("/")
                out.extend("..")
                dotdot = len(out)
        else:
            if (rooted and len(out) != 1) or (not rooted and len(out) != 0):
                out.append("/")
            while r < n and path[r] != "/":
                out.append(path[r])
                r += 1
    if not out:
        return "."
    return "".join(out)


# --------------------------------------------------------------------------------------------
# Go's filepath.Match syntax check (every chunk is parsed whole, as Go >= 1.19 does)
# --------------------------------------------------------------------------------------------


def _get_esc(chunk: str, i: int) -> int:
    """Index after one possibly escaped character of a class; raises on a bad pattern."""
    if i >= len(chunk) or chunk[i] in "-]":
        raise PatternError(BAD_PATTERN)
    if chunk[i] == "\\":
        i += 1
        if i >= len(chunk):
            raise PatternError(BAD_PATTERN)
    if "\udc80" <= chunk[i] <= "\udcff":  # an undecodable byte: utf8.RuneError
        raise PatternError(BAD_PATTERN)
    i += 1
    if i >= len(chunk):
        raise PatternError(BAD_PATTERN)
    return i


def _check_chunk(chunk: str) -> None:
    i = 0
    while i < len(chunk):
        c = chunk[i]
        if c == "[":
            i += 1
            if i < len(chunk) and chunk[i] == "^":
                i += 1
            nrange = 0
            while True:
                if i < len(chunk) and chunk[i] == "]" and nrange > 0:
                    i += 1
                    break
                i = _get_esc(chunk, i)
                if chunk[i] == "-":
                    i = _get_esc(chunk, i + 1)
                nrange += 1
        elif c == "\\":
            i += 1
            if i >= len(chunk):
                raise PatternError(BAD_PATTERN)
            i += 1
        else:
            i += 1


def _scan_chunk(pattern: str) -> tuple[str, str]:
    pattern = pattern.lstrip("*")
    inrange = False
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            if i + 1 < len(pattern):
                i += 1
        elif c == "[":
            inrange = True
        elif c == "]":
            inrange = False
        elif c == "*" and not inrange:
            break
        i += 1
    return pattern[:i], pattern[i:]


def check_match_syntax(pattern: str) -> None:
    """Raise PatternError when Go's ``filepath.Match(pattern, ".")`` returns ErrBadPattern."""
    rest = pattern
    while rest:
        chunk, rest = _scan_chunk(rest)
        _check_chunk(chunk)


# --------------------------------------------------------------------------------------------
# Pattern -> regular expression, as patternmatcher's compile() builds it for RE2, then RE2 ->
# Python's re (the translation keeps RE2's meaning of the few constructs compile() can emit)
# --------------------------------------------------------------------------------------------

EXACT, PREFIX, SUFFIX, REGEXP = "exact", "prefix", "suffix", "regexp"
_ESCAPE = set(".+()|{}$")


def go_regexp(pattern: str) -> tuple[str, str]:
    """(match type, RE2 source) exactly as patternmatcher's ``compile("/")`` makes them."""
    reg = "^"
    kind = EXACT
    chars = list(pattern)
    n = len(chars)
    k = 0
    i = 0  # index of the character just read, counted as Go's loop counts (one per outer step)
    while k < n:
        ch = chars[k]
        k += 1
        if ch == "*":
            if k < n and chars[k] == "*":
                k += 1
                if k < n and chars[k] == "/":
                    k += 1
                if k >= n:
                    if kind == EXACT:
                        kind = PREFIX
                    else:
                        reg += ".*"
                        kind = REGEXP
                else:
                    reg += "(.*/)?"
                    kind = REGEXP
                if i == 0:
                    kind = SUFFIX
            else:
                reg += "[^/]*"
                kind = REGEXP
        elif ch == "?":
            reg += "[^/]"
            kind = REGEXP
        elif ch in _ESCAPE:
            reg += "\\" + ch
        elif ch == "\\":
            if k < n:
                reg += "\\" + chars[k]
                k += 1
                kind = REGEXP
            else:
                reg += "\\"
        elif ch in "[]":
            reg += ch
            kind = REGEXP
        else:
            reg += ch
        i += 1
    if kind == REGEXP:
        reg += "$"
    return kind, reg


_POSIX = {
    "alnum": "0-9A-Za-z", "alpha": "A-Za-z", "ascii": "\\x00-\\x7f", "blank": "\\t ",
    "cntrl": "\\x00-\\x1f\\x7f", "digit": "0-9", "graph": "!-~", "lower": "a-z", "print": " -~",
    "punct": "!-/:-@\\[-`{-~", "space": "\\t\\n\\v\\f\\r ", "upper": "A-Z", "word": "0-9A-Za-z_",
    "xdigit": "0-9A-Fa-f",
}
_PERL = {"d": "0-9", "s": "\\t\\n\\f\\r ", "w": "0-9A-Za-z_"}
_SIMPLE_ESC = {"a": "\\x07", "f": "\\x0c", "t": "\\t", "n": "\\n", "r": "\\r", "v": "\\x0b"}


def _class_item(src: str, i: int) -> tuple[str, int, Optional[int]]:
    """One class member at ``src[i]``: (Python text, next index, code point or None for a set)."""
    c = src[i]
    if c == "\\":
        if i + 1 >= len(src):
            raise PatternError(BAD_PATTERN)
        e = src[i + 1]
        if e in _PERL:
            return _PERL[e], i + 2, None
        if e in "DSW":
            raise PatternError(BAD_PATTERN)  # negated Perl classes inside a class: not translated
        if e in _SIMPLE_ESC:
            return _SIMPLE_ESC[e], i + 2, ord({"a": "\a", "f": "\f", "t": "\t", "n": "\n", "r": "\r", "v": "\v"}[e])
        if e.isalnum() or ord(e) > 127:
            raise PatternError(BAD_PATTERN)
        return re.escape(e), i + 2, ord(e)
    if c == "[" and src.startswith("[:", i):
        end = src.find(":]", i + 2)
        if end > 0:
            name = src[i + 2 : end]
            neg = name.startswith("^")
            body = _POSIX.get(name[1:] if neg else name)
            if body is None or neg:
                raise PatternError(BAD_PATTERN)
            return body, end + 2, None
    return re.escape(c), i + 1, ord(c)


def _translate_class(src: str, i: int) -> tuple[str, int]:
    """RE2 ``[...]`` starting at ``src[i] == '['`` -> (Python class, index after it)."""
    i += 1
    out = "["
    if i < len(src) and src[i] == "^":
        out += "^"
        i += 1
    first = True
    while True:
        if i >= len(src):
            raise PatternError(BAD_PATTERN)  # missing closing ]
        if src[i] == "]" and not first:
            return out + "]", i + 1
        first = False
        text, j, lo = _class_item(src, i)
        if lo is not None and j + 1 < len(src) and src[j] == "-" and src[j + 1] != "]":
            text_hi, j2, hi = _class_item(src, j + 1)
            if hi is None or hi < lo:
                raise PatternError(BAD_PATTERN)  # invalid character class range
            out += text + "-" + text_hi
            i = j2
        else:
            out += text
            i = j


def re2_to_python(src: str) -> "re.Pattern[str]":
    """Compile the RE2 source ``go_regexp`` made; PatternError where RE2 would refuse it."""
    out: list[str] = []
    i = 0
    n = len(src)
    while i < n:
        c = src[i]
        if c == "[":
            text, i = _translate_class(src, i)
            out.append(text)
            continue
        if c == "\\":
            if i + 1 >= n:
                raise PatternError(BAD_PATTERN)  # trailing backslash
            e = src[i + 1]
            if e == "z":
                out.append("\\Z")
            elif e in "dDsSwWbBA":
                out.append({"d": "[0-9]", "D": "[^0-9]", "s": "[\\t\\n\\f\\r ]", "S": "[^\\t\\n\\f\\r ]",
                            "w": "[0-9A-Za-z_]", "W": "[^0-9A-Za-z_]"}.get(e, "\\" + e))
            elif e in _SIMPLE_ESC:
                out.append(_SIMPLE_ESC[e])
            elif e.isalnum() or ord(e) > 127:
                raise PatternError(BAD_PATTERN)  # RE2: invalid escape (or one not translated)
            else:
                out.append(re.escape(e))
            i += 2
            continue
        if c == "$":
            out.append("\\Z")  # RE2's $ without (?m) is the end of the text only
        elif c == "]":
            out.append("\\]")
        elif c == "." or c == "*" or c == "?" or c == "(" or c == ")" or c == "^":
            out.append(c)
        else:
            out.append(re.escape(c))
        i += 1
    try:
        return re.compile("".join(out))
    except re.error:
        raise PatternError(BAD_PATTERN) from None


@dataclass
class Pattern:
    """One cleaned pattern (without its ``!``)."""

    cleaned: str
    exclusion: bool
    kind: str = ""
    regex: Optional["re.Pattern[str]"] = None
    error: Optional[str] = None
    dirs: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.dirs = self.cleaned.split("/")

    def _compile(self) -> None:
        kind, source = go_regexp(self.cleaned)
        if kind == REGEXP:
            try:
                self.regex = re2_to_python(source)
            except PatternError:
                self.error = BAD_PATTERN
        self.kind = kind

    def match(self, path: str) -> bool:
        if not self.kind:
            self._compile()
        if self.error:
            raise PatternError(self.error)
        p = self.cleaned
        if self.kind == EXACT:
            return path == p
        if self.kind == PREFIX:
            return path.startswith(p[:-2])
        if self.kind == SUFFIX:
            suffix = p[2:]
            if path.endswith(suffix):
                return True
            return suffix[:1] == "/" and path == suffix[1:]
        assert self.regex is not None
        return self.regex.match(path) is not None

    def without_trailing_glob(self) -> str:
        """fsutil's patternWithoutTrailingGlob: the pattern without a final ``/**`` or ``/*``."""
        s = self.cleaned
        if s.endswith("/**"):
            s = s[:-3]
        if s.endswith("/*"):
            s = s[:-2]
        return s

    def __str__(self) -> str:
        return ("!" if self.exclusion else "") + self.cleaned


class PatternMatcher:
    """patternmatcher.PatternMatcher: ``New`` checks every pattern up front."""

    def __init__(self, patterns: list[str]):
        self.patterns: list[Pattern] = []
        self.exclusions = False
        for p in patterns:
            p = go_trim_space(p)
            if not p:
                continue
            p = go_clean(p)
            exclusion = False
            if p[0] == "!":
                if len(p) == 1:
                    raise PatternError('illegal exclusion pattern: "!"')
                exclusion = True
                p = p[1:]
                self.exclusions = True
            check_match_syntax(p)
            self.patterns.append(Pattern(p, exclusion))

    def matches_exact(self, path: str) -> bool:
        matched = False
        for pat in self.patterns:
            if pat.exclusion != matched:
                continue
            if pat.match(path):
                matched = not pat.exclusion
        return matched

    def matches_or_parent_matches(self, path: str) -> bool:
        matched = False
        parent = _dir(path)
        parent_dirs = parent.split("/")
        for pat in self.patterns:
            if pat.exclusion != matched:
                continue
            match = pat.match(path)
            if not match and parent != ".":
                for k in range(len(parent_dirs)):
                    if pat.match("/".join(parent_dirs[: k + 1])):
                        match = True
                        break
            if match:
                matched = not pat.exclusion
        return matched

    def matches_using_parent_results(self, path: str, parent: Optional[list[bool]]) -> tuple[bool, list[bool]]:
        """(matched, per-pattern info for the children). ``parent`` None: no information about
        the parent directory (patternmatcher's zero MatchInfo)."""
        matched = False
        info = [False] * len(self.patterns)
        for k, pat in enumerate(self.patterns):
            match = bool(parent[k]) if parent else False
            if not match:
                if pat.exclusion != matched:
                    continue
                match = pat.match(path)
                if not match and not parent:
                    dirname = _dir(path)
                    if dirname != ".":
                        dirs = dirname.split("/")
                        for j in range(len(dirs)):
                            if pat.match("/".join(dirs[: j + 1])):
                                match = True
                                break
            info[k] = match
            if match:
                matched = not pat.exclusion
        return matched, info

    @property
    def only_prefix_exceptions(self) -> bool:
        """fsutil's onlyPrefixExcludeExceptions: no exception has glob characters except a
        trailing ``/*`` or ``/**``, so an excluded directory can be skipped unless an exception
        names a path inside it."""
        for p in self.patterns:
            if p.exclusion and any(ch in p.without_trailing_glob() for ch in "*[]?^\\"):
                return False
        return True

    def may_reinclude_below(self, directory: str) -> bool:
        """Whether an exception may re-include something inside the excluded ``directory``
        (the walk then goes into it, as fsutil's does)."""
        if not self.only_prefix_exceptions:
            return True
        if not self.exclusions:
            return False
        prefix = directory + "/"
        return any(p.exclusion and (p.without_trailing_glob() + "/").startswith(prefix) for p in self.patterns)


def _dir(path: str) -> str:
    """Go's filepath.Dir for a relative slash path."""
    i = path.rfind("/")
    return go_clean(path[: i + 1]) if i >= 0 else "."


# --------------------------------------------------------------------------------------------
# The ignore file
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IgnoreLine:
    """One line of an ignore file: its number, its text, and the pattern BuildKit reads from it
    (None for comments and blank lines)."""

    number: int
    text: str
    pattern: Optional[str]


class IgnoreFileError(ValueError):
    """An ignore file BuildKit would refuse: ``path:line: message``."""

    def __init__(self, path: str, line: int, message: str):
        super().__init__(f"{path}:{line}: {message}" if line else f"{path}: {message}")
        self.path, self.line, self.message = path, line, message


MAX_LINE = 64 * 1024  # bufio.Scanner's default token limit


def read_ignore_lines(data: bytes) -> list[IgnoreLine]:
    """ignorefile.ReadAll, keeping line numbers. Lines split on ``\\n`` (a ``\\r`` before it is
    dropped, as bufio.ScanLines does)."""
    text = data.decode("utf-8", "surrogateescape")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    out: list[IgnoreLine] = []
    for number, raw in enumerate(lines, 1):
        line = raw[:-1] if raw.endswith("\r") else raw
        if len(line.encode("utf-8", "surrogateescape")) > MAX_LINE:
            raise IgnoreFileError("", number, "bufio.Scanner: token too long")
        if number == 1 and line.startswith("\ufeff"):
            line = line[1:]
        if line.startswith("#"):
            out.append(IgnoreLine(number, raw, None))
            continue
        pattern = go_trim_space(line)
        if not pattern:
            out.append(IgnoreLine(number, raw, None))
            continue
        invert = pattern[0] == "!"
        if invert:
            pattern = go_trim_space(pattern[1:])
        if pattern:
            pattern = go_clean(pattern)
            if len(pattern) > 1 and pattern[0] == "/":
                pattern = pattern[1:]
        if invert:
            pattern = "!" + pattern
        out.append(IgnoreLine(number, raw, pattern))
    return out


def matcher_for(lines: list[IgnoreLine], path: str = ".dockerignore") -> PatternMatcher:
    """A PatternMatcher for the patterns of ``lines``; an invalid one raises IgnoreFileError
    naming its line and BuildKit's message. Memoized (a matcher is not changed after it is
    made): the ignore files dockeropt proposes are alike across a repository's Dockerfiles."""
    return _matcher_for(tuple(lines), path)


@lru_cache(maxsize=256)
def _matcher_for(lines: tuple[IgnoreLine, ...], path: str) -> PatternMatcher:
    patterns = [ln for ln in lines if ln.pattern is not None]
    try:
        matcher = PatternMatcher([ln.pattern for ln in patterns])  # type: ignore[misc]
    except PatternError:
        for ln in patterns:  # find the line at fault
            try:
                PatternMatcher([ln.pattern])  # type: ignore[list-item]
            except PatternError as e:
                raise IgnoreFileError(path, ln.number, f"{e}: {ln.text.strip()!r} (BuildKit refuses the build: "
                                      f"invalid excludepatterns: ...: {e})") from None
        raise
    # Patterns whose regular expression RE2 refuses pass filepath.Match: BuildKit fails the
    # build only when it first matches a path against them. Refuse them now, with their line.
    assert len(patterns) == len(matcher.patterns)  # ReadAll never yields an empty pattern
    for ln, pat in zip(patterns, matcher.patterns):
        try:
            pat.match("")
        except PatternError as e:
            raise IgnoreFileError(path, ln.number, f"{e}: {ln.text.strip()!r} (BuildKit fails the build when it "
                                  f"matches a path against it: failed to match excludepatterns: {e})") from None
    return matcher


# --------------------------------------------------------------------------------------------
# COPY sources: Go's filepath.Match on each path component (``*`` never crosses ``/``)
# --------------------------------------------------------------------------------------------


@lru_cache(maxsize=4096)
def source_regex(pattern: str) -> "re.Pattern[str]":
    """A regular expression for the context paths a COPY/ADD source pattern names (whole path;
    the caller adds what lies below a matched directory). Raises PatternError for a bad one.
    Memoized: the same sources (``.``, ``package.json`` ...) recur in every Dockerfile."""
    check_match_syntax(pattern)
    out: list[str] = []
    i, n = 0, len(pattern)
    while i < n:
        c = pattern[i]
        if c == "*":
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "\\" and i + 1 < n:
            out.append(re.escape(pattern[i + 1]))
            i += 1
        elif c == "[":
            j = i + 1
            body = "["
            if j < n and pattern[j] == "^":
                body += "^"
                j += 1
            while j < n and pattern[j] != "]":
                ch = pattern[j]
                if ch == "\\" and j + 1 < n:
                    body += re.escape(pattern[j + 1])
                    j += 2
                    continue
                body += "-" if ch == "-" else re.escape(ch)
                j += 1
            out.append(body + "]")
            i = j
        else:
            out.append(re.escape(c))
        i += 1
    return re.compile("".join(out) + r"\Z")
