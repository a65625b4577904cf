"""The build context: the directory an image is built from, and what of it reaches the builder.

``BuildContext(root, dockerfile=...)`` costs nothing to make: the ignore file is read when a
rule first asks whether a path is sent, and the directory is walked only when a rule asks for
the listing (``walk``). Questions about single paths (``is_sent``, ``is_file``, ``read``,
``listdir``) look at those paths and their parent directories only, so a rule that needs to know
whether ``package-lock.json`` is there does not pay for a context of 200,000 files.

Which ignore file: ``<Dockerfile>.dockerignore`` next to the Dockerfile when it exists (BuildKit
reads it instead of the context's), else ``<context>/.dockerignore``. Its patterns are matched
with BuildKit's semantics (``model/patterns.py``), and the walk follows BuildKit's file walker
(``tonistiigi/fsutil``): an excluded directory is skipped unless an exception (``!``) may
re-include something inside it; an excluded directory that holds a re-included file is sent
(as the directory entry around it). Symbolic links are not followed (they are sent as links).

Errors are :class:`ContextError` with a message fit for a user (``cannot read the build context
/x: Permission denied``, ``.dockerignore:3: syntax error in pattern: '[' ...``).
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from functools import cached_property
from typing import Iterator, Optional

from dockeropt.model.patterns import (
    IgnoreFileError,
    IgnoreLine,
    PatternError,
    PatternMatcher,
    go_clean,
    read_ignore_lines,
    matcher_for,
)

MAX_IGNORE_BYTES = 4 << 20


class ContextError(Exception):
    """The build context (or its ignore file) cannot be used; ``str(e)`` says why."""


@dataclass(frozen=True)
class Entry:
    """One path of the context as the walk sees it (``path`` relative, ``/``-separated)."""

    path: str
    kind: str  # "file", "dir", "link", "other"
    size: int  # bytes of a regular file (lstat; only when the walk was asked for sizes), else 0


def _strerror(e: OSError) -> str:
    return e.strerror or str(e)


class BuildContext:
    """A build context directory (``root``) for a Dockerfile (``dockerfile``, a path or None).

    ``ignore_text`` replaces the ignore file's content (verify builds a proposed one).
    """

    def __init__(self, root: str, dockerfile: Optional[str] = None, *, ignore_text: Optional[str] = None,
                 ignore_name: Optional[str] = None):
        self.root = root
        self.dockerfile = dockerfile
        self._ignore_text = ignore_text
        self._ignore_name = ignore_name
        self._dir_info: dict[str, tuple[bool, Optional[list[bool]], bool]] = {}

    def __repr__(self) -> str:
        return f"BuildContext({self.root!r})"

    # -- the directory ------------------------------------------------------------------------

    @cached_property
    def real_root(self) -> str:
        """The root with symbolic links resolved; raises ContextError when it is not a readable
        directory (missing, a file, a symlink loop, no permission)."""
        try:
            st = os.stat(self.root)
        except OSError as e:
            raise ContextError(f"cannot read the build context {self.root}: {_strerror(e)}") from None
        if not stat.S_ISDIR(st.st_mode):
            raise ContextError(f"the build context {self.root} is not a directory")
        if not os.access(self.root, os.R_OK | os.X_OK):
            raise ContextError(f"cannot read the build context {self.root}: Permission denied")
        return os.path.realpath(self.root)

    def check(self) -> None:
        """Raise ContextError unless the context and its ignore file can be used."""
        self.real_root
        self.matcher

    def abspath(self, rel: str) -> str:
        return os.path.join(self.real_root, rel) if rel not in ("", ".") else self.real_root

    # -- the ignore file ----------------------------------------------------------------------

    @cached_property
    def ignore_path(self) -> Optional[str]:
        """The ignore file BuildKit reads for this Dockerfile, if one exists."""
        if self.dockerfile:
            own = self.dockerfile + ".dockerignore"
            if os.path.lexists(own):
                return own
        path = os.path.join(self.root, ".dockerignore")
        return path if os.path.lexists(path) else None

    @property
    def ignore_label(self) -> str:
        if self._ignore_name:
            return self._ignore_name
        return self.ignore_path or os.path.join(self.root, ".dockerignore")

    @cached_property
    def ignore_bytes(self) -> Optional[bytes]:
        if self._ignore_text is not None:
            return self._ignore_text.encode("utf-8", "surrogateescape")
        path = self.ignore_path
        if path is None:
            return None
        from dockeropt.files import read_file

        try:
            data, _ = read_file(path, MAX_IGNORE_BYTES)
        except OSError as e:
            raise ContextError(f"cannot read {path}: {_strerror(e)}") from None
        if len(data) > MAX_IGNORE_BYTES:
            raise ContextError(f"{path}: larger than {MAX_IGNORE_BYTES:,} bytes")
        return data

    @cached_property
    def ignore_lines(self) -> list[IgnoreLine]:
        data = self.ignore_bytes
        if data is None:
            return []
        try:
            return read_ignore_lines(data)
        except IgnoreFileError as e:
            raise ContextError(f"{self.ignore_label}:{e.line}: {e.message}") from None

    @cached_property
    def matcher(self) -> Optional[PatternMatcher]:
        """The exclude patterns (None when there are none); raises ContextError naming the line
        of a pattern BuildKit refuses."""
        lines = self.ignore_lines
        if not any(ln.pattern is not None for ln in lines):
            return None
        try:
            return matcher_for(lines, self.ignore_label)
        except IgnoreFileError as e:
            raise ContextError(str(e)) from None

    def with_ignore(self, text: str, name: Optional[str] = None) -> "BuildContext":
        """The same directory with another ignore file content."""
        return BuildContext(self.root, self.dockerfile, ignore_text=text, ignore_name=name or self.ignore_label)

    # -- single paths -------------------------------------------------------------------------

    def _dir_state(self, rel: str) -> tuple[bool, Optional[list[bool]], bool]:
        """(excluded, match info for its children, walked into) for a directory path."""
        found = self._dir_info.get(rel)
        if found is not None:
            return found
        matcher = self.matcher
        if matcher is None or rel in ("", "."):
            state: tuple[bool, Optional[list[bool]], bool] = (False, None, True)
        else:
            parent = rel.rsplit("/", 1)[0] if "/" in rel else ""
            p_excluded, p_info, p_walked = self._dir_state(parent)
            if not p_walked:
                state = (True, p_info, False)
            else:
                m, info = matcher.matches_using_parent_results(rel, p_info if parent else None)
                walked = (not m) or matcher.may_reinclude_below(rel)
                state = (m, info, walked)
        self._dir_info[rel] = state
        return state

    def is_sent(self, rel: str) -> bool:
        """Whether the path (relative to the root) is sent to the builder, as far as the ignore
        file decides (the path need not exist). Raises ContextError for a bad ignore file."""
        rel = clean_rel(rel)
        if rel is None:
            return False
        if rel == ".":
            return True
        matcher = self.matcher
        if matcher is None:
            return True
        parent = rel.rsplit("/", 1)[0] if "/" in rel else ""
        _, p_info, p_walked = self._dir_state(parent)
        if not p_walked:
            return False
        m, _ = matcher.matches_using_parent_results(rel, p_info if parent else None)
        return not m

    def lstat(self, rel: str) -> Optional[os.stat_result]:
        """lstat of a context path (through no symbolic link of the context), None when missing
        or not reachable."""
        rel = clean_rel(rel)
        if rel is None:
            return None
        if rel != ".":
            head = rel.rsplit("/", 1)[0] if "/" in rel else ""
            if head and not self._real_dir(head):
                return None
        try:
            return os.lstat(self.abspath(rel))
        except OSError:
            return None

    def _real_dir(self, rel: str) -> bool:
        """Every component of ``rel`` is a real directory (no symbolic link, which BuildKit would
        send as a link, not as the directory it points to)."""
        path = self.real_root
        for part in rel.split("/"):
            path = os.path.join(path, part)
            try:
                if not stat.S_ISDIR(os.lstat(path).st_mode):
                    return False
            except OSError:
                return False
        return True

    def is_file(self, rel: str) -> bool:
        """A regular file (not a link) that exists and is sent."""
        st = self.lstat(rel)
        return st is not None and stat.S_ISREG(st.st_mode) and self.is_sent(rel)

    def is_dir(self, rel: str) -> bool:
        st = self.lstat(rel)
        return st is not None and stat.S_ISDIR(st.st_mode) and self.is_sent(rel)

    def exists(self, rel: str) -> bool:
        """Present in the directory (sent or not)."""
        return self.lstat(rel) is not None

    def read(self, rel: str, limit: int = 1 << 20) -> Optional[bytes]:
        """The content of a regular, sent file of at most ``limit`` bytes, else None."""
        if not self.is_file(rel):
            return None
        from dockeropt.files import read_file

        try:
            data, _ = read_file(self.abspath(clean_rel(rel) or "."), limit)
        except OSError:
            return None
        return data if len(data) <= limit else None

    def listdir(self, rel: str) -> list[str]:
        """Names in a directory of the context (sorted; empty when it cannot be read)."""
        rel = clean_rel(rel)
        if rel is None or (rel != "." and not self._real_dir(rel)):
            return []
        try:
            with os.scandir(self.abspath(rel)) as it:
                return sorted(e.name for e in it)
        except OSError:
            return []

    # -- the whole tree -----------------------------------------------------------------------

    def entries(self, *, budget: Optional[int] = None, sizes: bool = False, errors: Optional[list[str]] = None,
                prune: Optional[frozenset[str]] = None) -> list[Entry]:
        """``walk()`` under the context's own ignore file, as a list, computed once per context
        object (rules that ask again in later passes get the same list)."""
        cache = self.__dict__.setdefault("_entries", {})
        key = (budget, sizes, prune)
        if key not in cache:
            # Dockerfiles of one directory share their context: walk it once per process
            shared = (self.real_root, self.ignore_path, self.ignore_bytes, budget, sizes, prune)
            if shared in _WALKS:
                cache[key] = _WALKS[shared]
            else:
                errs: list[str] = []
                try:
                    skip = (lambda e: e.kind == "dir" and e.path.rsplit("/", 1)[-1] in prune) if prune else None
                    cache[key] = (list(self.walk(budget=budget, sizes=sizes, errors=errs, prune=skip)), errs)
                except BudgetExceeded as e:
                    cache[key] = (e, errs)
                _WALKS[shared] = cache[key]
                while len(_WALKS) > 4:
                    del _WALKS[next(iter(_WALKS))]
        found, errs = cache[key]
        if errors is not None:
            errors.extend(errs)
        if isinstance(found, BudgetExceeded):
            raise found
        return found

    def walk(self, matcher: Optional[PatternMatcher] = "default", *, prune=None, budget: Optional[int] = None,  # type: ignore[assignment]
             errors: Optional[list[str]] = None, sizes: bool = False) -> Iterator[Entry]:
        """Every path sent to the builder under ``matcher`` (default: the context's own ignore
        file; None: everything), in BuildKit's walk order. ``prune(entry)`` True: do not go into
        that directory (it is still yielded). ``budget``: raise ``BudgetExceeded`` after that
        many directory entries. Unreadable directories are appended to ``errors``. ``sizes``:
        give regular files their size (one ``lstat`` each; without it no file is stat'ed)."""
        if matcher == "default":
            matcher = self.matcher
        root = self.real_root
        seen = 0
        emitted: set[str] = set()  # excluded directories already yielded around a re-included path
        # a stack of open directories: (rel, match info for its children, excluded ancestors
        # not yet yielded, iterator over its sorted entries)
        stack: list[tuple[str, Optional[list[bool]], list[Entry], Iterator]] = []

        def open_dir(rel: str, info, pending: list[Entry]) -> None:
            path = os.path.join(root, rel) if rel else root
            try:
                with os.scandir(path) as it:
                    entries = sorted(it, key=lambda e: e.name)
            except OSError as e:
                if errors is not None:
                    errors.append(f"{rel or '.'}: {_strerror(e)}")
                return
            stack.append((rel, info, pending, iter(entries)))

        open_dir("", None, [])
        while stack:
            rel, info, pending, it = stack[-1]
            e = next(it, None)
            if e is None:
                stack.pop()
                continue
            seen += 1
            if budget is not None and seen > budget:
                raise BudgetExceeded(budget)
            child = f"{rel}/{e.name}" if rel else e.name
            try:  # the entry's type comes with the directory listing: no system call
                kind = ("link" if e.is_symlink() else "dir" if e.is_dir(follow_symlinks=False)
                        else "file" if e.is_file(follow_symlinks=False) else "other")
                size = e.stat(follow_symlinks=False).st_size if sizes and kind == "file" else 0
            except OSError:
                continue
            entry = Entry(child, kind, size)
            child_info = None
            excluded = False
            if matcher is not None:
                excluded, child_info = matcher.matches_using_parent_results(child, info if rel else None)
            if excluded:
                if kind == "dir" and matcher.may_reinclude_below(child):  # type: ignore[union-attr]
                    open_dir(child, child_info, pending + [entry])
                continue
            for p in pending:
                if p.path not in emitted:
                    emitted.add(p.path)
                    yield p
            yield entry
            if kind == "dir" and not (prune is not None and prune(entry)):
                open_dir(child, child_info, [])


_WALKS: dict = {}  # (root, ignore file, its bytes, budget, sizes) -> (entries or BudgetExceeded, errors)


class BudgetExceeded(Exception):
    def __init__(self, budget: int):
        super().__init__(f"more than {budget:,} entries")
        self.budget = budget


def clean_rel(path: str) -> Optional[str]:
    """A context-relative path cleaned the way BuildKit cleans COPY sources (``./a//b/`` is
    ``a/b``, ``/a`` is ``a``); None when it leaves the context (``../x``)."""
    p = go_clean("/" + path)
    p = p.lstrip("/")
    return p or "."


def for_dockerfile(dockerfile: str, context_dir: Optional[str] = None) -> BuildContext:
    """The build context of a Dockerfile path: ``context_dir``, or the Dockerfile's directory."""
    root = context_dir if context_dir is not None else (os.path.dirname(dockerfile) or ".")
    return BuildContext(root, dockerfile)


__all__ = ["BudgetExceeded", "BuildContext", "ContextError", "Entry", "PatternError", "clean_rel", "for_dockerfile"]
