"""BuildKit's lexical rules, transcribed from moby/buildkit frontend/dockerfile/parser.

Everything here answers one question the way BuildKit answers it, so that dockeropt reads a
Dockerfile exactly as `docker build` does: what is whitespace, which line continues, which
comment is a parser directive, which words open a heredoc, where flags end, when an argument
list is JSON. The lexer and the typed nodes share these functions.
"""

from __future__ import annotations

import json
import re

# Go's unicode.IsSpace (used by trimLeadingWhitespace, strings.TrimSpace ...). Python's
# str.isspace differs (it also accepts \x1c-\x1f), so the set is spelled out.
GO_SPACE = frozenset(
    "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009"
    "\u200a\u2028\u2029\u202f\u205f\u3000"
)
# reWhitespace in parser.go: what separates the instruction word from its arguments.
WHITESPACE_RE = re.compile(r"[\t\v\f\r ]+")

# Go's \s is [\t\n\f\r ] (no \v).
DIRECTIVE_RE = re.compile(r"#[\t\n\f\r ]*([a-zA-Z][a-zA-Z0-9]*)[\t\n\f\r ]*=[\t\n\f\r ]*(.+?)[\t\n\f\r ]*\Z", re.S)
ALLOWED_DIRECTIVES = frozenset({"syntax", "escape", "check"})
ESCAPE_TOKENS = ("\\", "`")

HEREDOC_WORD_RE = re.compile(r"(\d*)<<(-?)([^<]*)\Z", re.S)
HEREDOC_KEYWORDS = frozenset({"RUN", "COPY", "ADD"})


def continuation_re(escape: str) -> re.Pattern[str]:
    """lineContinuationRegex: the escape at end of line (blanks after it allowed), not itself escaped."""
    e = re.escape(escape)
    return re.compile(rf"(?<!{e}){e}[ \t]*\Z")


def lstrip_len(s: str, start: int = 0) -> int:
    """Index of the first non-space character at or after ``start`` (Go's TrimLeftFunc(IsSpace))."""
    n = len(s)
    i = start
    while i < n and s[i] in GO_SPACE:
        i += 1
    return i


def go_trim_space(s: str) -> tuple[int, int]:
    """Bounds of strings.TrimSpace(s)."""
    i = lstrip_len(s)
    j = len(s)
    while j > i and s[j - 1] in GO_SPACE:
        j -= 1
    return i, j


def go_strip(s: str) -> str:
    """strings.TrimSpace."""
    i, j = go_trim_space(s)
    return s[i:j]


def fields(s: str) -> list[str]:
    """Arguments split on reWhitespace, as parseStringsWhitespaceDelimited does."""
    return [w for w in WHITESPACE_RE.split(go_strip(s)) if w]


def split_command(line: str) -> tuple[str, int]:
    """splitCommand: the instruction word and the offset in ``line`` where its arguments start."""
    i, j = go_trim_space(line)
    m = WHITESPACE_RE.search(line, i, j)
    if m is None:
        return line[i:j], j
    return line[i : m.start()], m.end()


def extract_builder_flags(line: str) -> tuple[list[str], int]:
    """extractBuilderFlags: leading ``--name=value`` words (quotes removed) and where the rest starts."""
    words: list[str] = []
    n = len(line)
    pos = 0
    while True:
        while pos < n and line[pos] in GO_SPACE:
            pos += 1
        if pos >= n:
            return words, n
        if not line.startswith("--", pos):
            return words, pos
        word: list[str] = []
        blank_ok = False
        quote = ""
        while pos < n:
            ch = line[pos]
            if quote:
                if ch == quote:
                    quote = ""
                elif ch == "\\" and pos + 1 < n:
                    pos += 1
                    word.append(line[pos])
                elif ch != "\\":
                    word.append(ch)
                pos += 1
                continue
            if ch in GO_SPACE:
                break
            if ch in "'\"":
                quote = ch
                blank_ok = True
            elif ch == "\\":
                if pos + 1 < n:
                    pos += 1
                    word.append(line[pos])
            else:
                word.append(ch)
            pos += 1
        text = "".join(word)
        if text == "--":
            return words, pos
        if blank_ok or text:
            words.append(text)


class NotStringArray(ValueError):
    """A JSON array with a non-string element: BuildKit rejects the instruction."""


def _no_constants(name: str) -> object:
    raise ValueError(name)  # NaN, Infinity: not JSON to Go


def _go_number(text: str) -> float:
    value = float(text)  # Go decodes every JSON number into a float64 ...
    if value in (float("inf"), float("-inf")):
        raise ValueError(text)  # ... and rejects one that overflows it
    return value


def parse_json_array(rest: str) -> list[str] | None:
    """parseJSON: the argument list when ``rest`` is a JSON array of strings, else None.

    Raises NotStringArray for a valid JSON array holding something other than strings, as
    BuildKit does ("arrays must be comprised of strings only").
    """
    start = lstrip_len(rest)
    if not rest.startswith("[", start):
        return None
    try:
        value = json.loads(rest[start:], parse_constant=_no_constants, parse_float=_go_number, parse_int=_go_number)
    except ValueError:
        return None
    if not isinstance(value, list):
        return None
    if not all(isinstance(v, str) for v in value):
        raise NotStringArray("when using JSON array syntax, arrays must be comprised of strings only")
    return value


def shell_words(line: str, raw_quotes: bool) -> list[str] | None:
    """BuildKit's shell lexer ProcessWords (escape ``\\``, no variables), as used for heredocs.

    With ``raw_quotes`` the quote characters stay in the words (RawQuotes, RawEscapes).
    None when a quote is not closed (the lexer fails).
    """
    words: list[str] = []
    word: list[str] = []
    in_word = False
    i, n = 0, len(line)
    while i < n:
        ch = line[i]
        if ch in GO_SPACE:
            if in_word:
                words.append("".join(word))
                word, in_word = [], False
            i += 1
            continue
        in_word = True
        if ch == "\\":
            if raw_quotes:
                word.append(ch)
            if i + 1 < n:
                word.append(line[i + 1])
            i += 2
            continue
        if ch in "'\"":
            end = i + 1
            while end < n and line[end] != ch:
                if ch == '"' and line[end] == "\\" and end + 1 < n:
                    end += 1
                end += 1
            if end >= n:
                return None
            inner = line[i + 1 : end]
            if raw_quotes:
                word.append(line[i : end + 1])
            else:
                word.append(inner if ch == "'" else re.sub(r"\\(.)", r"\1", inner, flags=re.S))
            i = end + 1
            continue
        word.append(ch)
        i += 1
    if in_word:
        words.append("".join(word))
    return words


class HeredocSpec:
    __slots__ = ("name", "chomp", "expand", "fd")

    def __init__(self, name: str, chomp: bool, expand: bool, fd: int | None):
        self.name, self.chomp, self.expand, self.fd = name, chomp, expand, fd

    def __repr__(self) -> str:
        return f"HeredocSpec({self.name!r}, chomp={self.chomp}, expand={self.expand})"


def heredocs_from_line(line: str) -> list[HeredocSpec]:
    """heredocsFromLine: the heredocs a logical line opens, in order."""
    specs: list[HeredocSpec] = []
    for word in shell_words(line, raw_quotes=True) or ():
        m = HEREDOC_WORD_RE.match(word)
        if not m or not m.group(3):
            continue
        rest = m.group(3)
        plain = shell_words(rest, raw_quotes=False)
        raw = shell_words(rest, raw_quotes=True)
        if not plain or len(plain) != 1 or not raw or not plain[0]:
            continue
        quotes = lambda w: w.count("'") + w.count('"')  # noqa: E731
        expand = quotes(plain[0]) == quotes(raw[0])
        specs.append(HeredocSpec(plain[0], m.group(2) == "-", expand, int(m.group(1)) if m.group(1) else None))
    return specs


def can_contain_heredoc(keyword: str, args: str) -> bool:
    """canContainHeredoc: RUN/COPY/ADD (also behind ONBUILD) in shell form."""
    keyword = keyword.upper()
    if keyword == "ONBUILD":
        keyword, offset = split_command(args)
        keyword = keyword.upper()
        args = args[offset:]
    if keyword not in HEREDOC_KEYWORDS:
        return False
    _, rest = extract_builder_flags(args)
    try:
        return parse_json_array(args[rest:]) is None
    except NotStringArray:
        return False
