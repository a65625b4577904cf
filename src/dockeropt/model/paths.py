"""Path reasoning for shell words: which file-system paths a word may name, relative to a
working directory, and how such a path relates to a target (equal, inside, above, apart).
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from typing import Optional

from dockeropt.shell.model import Word


def _norm(path: str) -> str:
    return posixpath.normpath(path) if path else path


def is_within(path: str, base: str) -> bool:
    """``path`` is ``base`` or below it."""
    path, base = _norm(path), _norm(base)
    return path == base or path.startswith(base.rstrip("/") + "/")


_GLOB = re.compile(r"[*?\[]")


@dataclass(frozen=True)
class PathRef:
    """A path operand of a file-removing command, resolved as far as it statically can be."""

    path: Optional[str] = None  # an exact absolute path
    glob_dir: Optional[str] = None  # a glob: it matches things strictly below this directory
    prefix: Optional[str] = None  # not static: every match starts with this text ("" = anything)


def path_ref(word: Word, cwd: Optional[str]) -> PathRef:
    text = word.value
    if text is None:
        raw = word.text
        cut = len(raw)
        for ch in "$`\"'\\~{":
            k = raw.find(ch)
            if k != -1:
                cut = min(cut, k)
        prefix = raw[:cut]
        if not prefix.startswith("/"):
            prefix = "" if (cwd is None or not prefix) else posixpath.join(cwd, prefix)
        return PathRef(prefix=prefix)
    if not text.startswith("/"):
        if cwd is None:
            return PathRef(prefix="")
        text = posixpath.join(cwd, text)
    m = _GLOB.search(text) if word.has_glob else None
    if m:
        head = text[: m.start()]
        d = head[: head.rfind("/")] or "/"
        return PathRef(glob_dir=_norm(d))
    return PathRef(path=_norm(text))


def relation(ref: PathRef, target: str) -> str:
    """What removing ``ref`` does to ``target``: "equal" (removes the target itself), "above"
    (removes a parent of it, and more), "inside" (only things below it), "apart", or "unknown"."""
    if ref.path is not None:
        if _norm(ref.path) == _norm(target):
            return "equal"
        if is_within(target, ref.path):
            return "above"
        return "inside" if is_within(ref.path, target) else "apart"
    if ref.glob_dir is not None:
        if is_within(ref.glob_dir, target):
            return "inside"
        return "above" if is_within(target, ref.glob_dir) else "apart"
    p = ref.prefix or ""
    t = _norm(target).rstrip("/") + "/"
    if not p or t.startswith(p):
        return "unknown"
    return "inside" if p.startswith(t) else "apart"


def covers(ref: PathRef, target: str) -> bool:
    """Removing ``ref`` removes all of ``target``'s contents."""
    if ref.path is not None:
        return is_within(target, ref.path)
    if ref.glob_dir is not None:
        return is_within(target, ref.glob_dir)
    return False
