"""Configuration files: ``[tool.dockeropt]`` in ``pyproject.toml``, or ``.dockeropt.toml`` (the
same keys at the top level), found upward from each file's directory; the nearest one applies
(``.dockeropt.toml`` before ``pyproject.toml`` in the same directory; a ``pyproject.toml``
without ``[tool.dockeropt]`` is passed over). Nothing is merged across files.

    [tool.dockeropt]
    select = ["merge-runs", "DL3009"]       # rule ids or hadolint codes (default: all)
    ignore = ["pip-no-cache-dir"]
    unsafe-fixes = false
    cache-strategy = "clean"                # or "mount"
    exclude = ["vendor/", "*.generated.Dockerfile"]   # .gitignore syntax, relative to this file
    force-exclude = false                   # also exclude files named on the command line
    respect-gitignore = true
    [tool.dockeropt.per-file-ignores]
    "legacy/**" = ["merge-runs"]            # .gitignore syntax, relative to this file

The command line wins over a file (``--select``, ``--ignore``, ``--unsafe-fixes`` /
``--no-unsafe-fixes``, ``--cache-strategy``): ``--select`` replaces both ``select`` and
``ignore`` (what is selected by name runs), ``per-file-ignores`` still apply; ``--exclude``
adds to ``exclude``. An unknown key,
a value of the wrong type, an unknown rule or a bad pattern is an error naming the file, line and
key (exit 2, nothing processed). ``tomllib`` (``tomli`` before Python 3.11) is imported only when
a configuration file is found.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

FILE_NAMES = (".dockeropt.toml", "pyproject.toml")
CACHE_STRATEGIES = ("clean", "mount")


class ConfigError(Exception):
    """A configuration file dockeropt cannot use; ``str()`` is the whole message."""

    def __init__(self, path: str, message: str, line: int = 0):
        self.path, self.line, self.message = path, line, message
        super().__init__(f"{path}:{line}: {message}" if line else f"{path}: {message}")


@dataclass(frozen=True)
class Config:
    path: str | None = None  # the file it came from; None: no file, the defaults
    root: str = ""  # its directory: patterns are relative to it
    select: tuple[str, ...] | None = None
    ignore: tuple[str, ...] | None = None
    unsafe_fixes: bool | None = None
    cache_strategy: str | None = None
    exclude: tuple[str, ...] = ()
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    force_exclude: bool | None = None
    respect_gitignore: bool | None = None

    def excluded(self, path: str, is_dir: bool = False) -> str | None:
        """The ``exclude`` pattern that matches ``path`` (relative to ``root``), else None."""
        if not self.exclude:
            return None
        rel = _relative(path, self.root)
        if rel is None:
            return None
        return _first_match(self.exclude, rel, is_dir)

    def ignored_rules(self, path: str) -> tuple[str, ...]:
        """Rules ``per-file-ignores`` turns off for ``path``."""
        rel = _relative(path, self.root) if self.per_file_ignores else None
        if rel is None:
            return ()
        out: list[str] = []
        for pattern, rules in self.per_file_ignores:
            if _first_match((pattern,), rel, False):
                out.extend(r for r in rules if r not in out)
        return tuple(out)


DEFAULT = Config()

_KEYS = {
    "select": "a list of rule ids or hadolint codes",
    "ignore": "a list of rule ids or hadolint codes",
    "unsafe-fixes": "true or false",
    "cache-strategy": 'one of "clean", "mount"',
    "exclude": "a list of .gitignore-style patterns",
    "per-file-ignores": "a table of pattern = [rules]",
    "force-exclude": "true or false",
    "respect-gitignore": "true or false",
}


def _relative(path: str, root: str) -> str | None:
    rel = os.path.relpath(os.path.abspath(path), root)
    if rel == os.curdir or rel.startswith(os.pardir + os.sep) or rel == os.pardir:
        return None
    return rel.replace(os.sep, "/")


_SPECS: dict = {}


def spec(patterns: tuple[str, ...]):
    """A compiled .gitignore-style matcher (pathspec, imported only when patterns exist)."""
    compiled = _SPECS.get(patterns)
    if compiled is None:
        import pathspec

        compiled = _SPECS[patterns] = pathspec.GitIgnoreSpec.from_lines(patterns)
    return compiled


def _first_match(patterns: tuple[str, ...], rel: str, is_dir: bool) -> str | None:
    compiled = spec(patterns)
    check = compiled.check_file(rel + "/" if is_dir else rel)
    if check.include:
        return patterns[check.index] if check.index is not None else patterns[0]
    return None


def check_patterns(patterns, where: str) -> None:
    """Raise ValueError naming the first pattern pathspec cannot read."""
    for p in patterns:
        try:
            spec((p,))
        except Exception as e:  # noqa: BLE001 - pathspec raises several kinds
            raise ValueError(f"{where}: bad pattern {p!r}: {e}") from None


class Finder:
    """Finds and loads the configuration that applies to each file, once per directory."""

    def __init__(self, explicit: str | None = None, isolated: bool = False):
        self.explicit = explicit
        self.isolated = isolated
        self._by_dir: dict[str, Config] = {}
        self._loaded: dict[str, Config] = {}
        self.errors: list[ConfigError] = []

    def for_path(self, path: str) -> Config:
        """The configuration for a file (or for stdin, ``-``: the working directory's)."""
        if self.isolated:
            return DEFAULT
        if self.explicit:
            return self._load(self.explicit)
        directory = os.getcwd() if path == "-" else os.path.dirname(os.path.abspath(path))
        return self.for_dir(directory)

    def for_dir(self, directory: str) -> Config:
        if self.isolated:
            return DEFAULT
        if self.explicit:
            return self._load(self.explicit)
        directory = os.path.abspath(directory)
        found = self._by_dir.get(directory)
        if found is not None:
            return found
        config = DEFAULT
        for name in FILE_NAMES:
            candidate = os.path.join(directory, name)
            if os.path.isfile(candidate) and (name != "pyproject.toml" or _mentions_us(candidate)):
                config = self._load(candidate)
                break
        else:
            parent = os.path.dirname(directory)
            if parent != directory:
                config = self.for_dir(parent)
        self._by_dir[directory] = config
        return config

    def _load(self, path: str) -> Config:
        config = self._loaded.get(path)
        if config is None:
            try:
                config = load(path)
            except ConfigError as e:
                self.errors.append(e)
                config = DEFAULT
            self._loaded[path] = config
        return config


def _mentions_us(path: str) -> bool:
    """Whether a pyproject.toml may have a ``[tool.dockeropt]`` table (checked without parsing
    it, so that a project's pyproject.toml costs no TOML parser)."""
    try:
        with open(path, "rb") as f:
            return b"dockeropt" in f.read()
    except OSError:
        return False


def _toml():
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib  # type: ignore[no-redef]
    return tomllib


def load(path: str) -> Config:
    """The configuration in one file. Raises ConfigError."""
    tomllib = _toml()
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except OSError as e:
        raise ConfigError(path, f"cannot read: {e.strerror or e}") from None
    text = raw.decode("utf-8", "replace")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(path, f"not valid TOML: {e}") from None
    is_pyproject = os.path.basename(path) == "pyproject.toml"
    if is_pyproject:
        table = data.get("tool", {}).get("dockeropt") if isinstance(data.get("tool"), dict) else None
        if table is None:
            return Config(path=path, root=os.path.dirname(os.path.abspath(path)))
        section = "[tool.dockeropt]"
    else:
        table, section = data, ""
    if not isinstance(table, dict):
        raise ConfigError(path, f"{section or 'the file'} must be a table")
    return _parse(table, path, text, section)


def _line_of(text: str, key: str, section: str) -> int:
    """Best effort: the line where ``key`` is set (after ``section``'s header)."""
    lines = text.splitlines()
    start = 0
    if section:
        header = re.compile(r"^\s*\[\s*tool\s*\.\s*\"?dockeropt\"?\s*[\].]")
        start = next((i for i, line in enumerate(lines) if header.match(line)), 0)
    key_re = re.compile(r'^\s*(?:"' + re.escape(key) + r'"|' + re.escape(key) + r")\s*[=.]")
    table_re = re.compile(r"^\s*\[[^\]]*\b" + re.escape(key) + r"\b")
    for i in range(start, len(lines)):
        if key_re.match(lines[i]) or table_re.match(lines[i]):
            return i + 1
    return start + 1 if section else 0


def _parse(table: dict, path: str, text: str, section: str) -> Config:
    where = f"{section} " if section else ""

    def fail(key: str, message: str):
        raise ConfigError(path, f"{where}{key}: {message}", _line_of(text, key, section))

    for key in table:
        if key not in _KEYS:
            close = [k for k in _KEYS if _similar(key, k)]
            hint = f" (did you mean {close[0]!r}?)" if close else f" (known: {', '.join(_KEYS)})"
            fail(key, f"unknown key{hint}")

    def strings(key: str) -> tuple[str, ...] | None:
        value = table.get(key)
        if value is None:
            return None
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            fail(key, f"expected {_KEYS[key]}, got {_show(value)}")
        return tuple(value)

    def boolean(key: str) -> bool | None:
        value = table.get(key)
        if value is not None and not isinstance(value, bool):
            fail(key, f"expected {_KEYS[key]}, got {_show(value)}")
        return value

    def rules(key: str, values):
        from dockeropt.rewriter.engine import UnknownRuleError, select_rules

        if any("," in v for v in values):
            fail(key, "one rule per string (no commas)")
        names = tuple(rule_names(values))
        try:
            select_rules(names, None, False)
        except UnknownRuleError as e:
            fail(key, f"{e} (see dockeropt --list-rules)")
        return names

    select = strings("select")
    ignore = strings("ignore")
    select = rules("select", select) if select is not None else None
    ignore = rules("ignore", ignore) if ignore is not None else None
    cache = table.get("cache-strategy")
    if cache is not None and cache not in CACHE_STRATEGIES:
        fail("cache-strategy", f"expected {_KEYS['cache-strategy']}, got {_show(cache)}")
    exclude = strings("exclude") or ()
    try:
        check_patterns(exclude, "exclude")
    except ValueError as e:
        fail("exclude", str(e).split(": ", 1)[1])
    per_file = table.get("per-file-ignores", {})
    if not isinstance(per_file, dict):
        fail("per-file-ignores", f"expected {_KEYS['per-file-ignores']}, got {_show(per_file)}")
    pfi = []
    for pattern, values in per_file.items():
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            fail("per-file-ignores", f"{pattern!r}: expected a list of rule ids, got {_show(values)}")
        try:
            check_patterns((pattern,), "per-file-ignores")
        except ValueError as e:
            fail("per-file-ignores", str(e).split(": ", 1)[1])
        pfi.append((pattern, rules("per-file-ignores", values)))
    return Config(
        path=path,
        root=os.path.dirname(os.path.abspath(path)),
        select=select,
        ignore=ignore,
        unsafe_fixes=boolean("unsafe-fixes"),
        cache_strategy=cache,
        exclude=exclude,
        per_file_ignores=tuple(pfi),
        force_exclude=boolean("force-exclude"),
        respect_gitignore=boolean("respect-gitignore"),
    )


def rule_names(values) -> list[str]:
    """Rule ids and hadolint codes in any case (``dl3059``), spelled as the registry spells
    them; ``values`` is a comma-separated string or a list of names."""
    from dockeropt.rewriter.rules import ALL_RULES

    if isinstance(values, str):
        values = values.split(",")
    canonical = {"all": "all"}
    for rule in ALL_RULES:
        canonical[rule.id.lower()] = rule.id
        for code in rule.hadolint:
            canonical[code.lower()] = code
    names = [v.strip() for v in values if v.strip()]
    return [canonical.get(name.lower(), name) for name in names]


def _show(value) -> str:
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, bool):
        return "true" if value else "false"
    return f"{type(value).__name__} {value!r}"


def _similar(a: str, b: str) -> bool:
    import difflib

    return difflib.SequenceMatcher(None, a, b).ratio() >= 0.75 or a.replace("_", "-") == b
