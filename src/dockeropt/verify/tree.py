"""The file tree of an image, read from its layer tars, and the difference between two trees.

A tree maps a path (relative, no leading ``/``, e.g. ``usr/bin/curl``) to an :class:`Entry`: its
type, permission bits, owner, size and sha256 for regular files, target for symlinks, device
numbers for devices.  Modification times are *not* recorded: two builds of the same Dockerfile
never agree on them, and a rewrite that merges two RUNs is not expected to keep them.  For the
same reason the source mtime embedded in timestamp-based ``.pyc`` files is masked before hashing.

Layers are applied in order with the OCI/AUFS whiteout rules: ``dir/.wh.name`` deletes ``dir/name``
(and everything under it) from the layers below; ``dir/.wh..wh..opq`` makes ``dir`` opaque, i.e.
hides everything the lower layers had under it.  Both only affect *lower* layers, so a layer's
whiteouts are applied before its own entries.  Hard links are resolved to a copy of the entry they
point to, so a file counts the same whether it was written twice or linked.

What is ignored when comparing (:data:`DEFAULT_IGNORES`), and why
-------------------------------------------------------------------
The point of a rewrite is to make an image smaller without changing what it *contains*.  Some
paths are by nature by-products of *how* a build ran, not of *what* it installed:

* package-manager caches: downloaded indexes and archives that the package manager fetches again
  when it needs them (``var/lib/apt/lists``, ``var/cache/apt``, ``var/cache/apk``, yum/dnf caches,
  pip/npm/yarn download caches).  Removing them is exactly what rules like DL3009, DL3042, DL3019
  do, so they must not count as a difference.
* backups and caches the tools rewrite on every run (``var/lib/dpkg/*-old``,
  ``var/cache/debconf/*-old``, ``var/cache/ldconfig/aux-cache``, man-db's index): their content
  depends on how many separate apt runs there were, which is what merging RUNs changes.
* logs (``var/log``): they record times and the boundaries between runs.
* scratch space (``tmp``, ``var/tmp``): contents only, the directories themselves (and their
  1777 mode) are still compared.

Everything else is content and is compared: installed files, ``var/lib/dpkg/status`` and
``info/*``, ``var/lib/apt/extended_states`` (which packages are marked auto-installed), ``etc``,
Python bytecode, and so on.  Only *descendants* are ignored for ``dir/**`` patterns; the directory
entry itself still counts.
"""

from __future__ import annotations

import bisect
import hashlib
import re
import stat
import tarfile
from dataclasses import dataclass, field
from functools import lru_cache
from typing import IO, Iterable, Mapping, Sequence

# (pattern, why).  Patterns are relative paths; ``*`` does not cross ``/``; ``**`` does.
DEFAULT_IGNORES: tuple[tuple[str, str], ...] = (
    ("var/lib/apt/lists/**", "apt package indexes (apt-get update; DL3009 deletes them)"),
    ("var/cache/apt/**", "apt's .deb archives and pkgcache.bin"),
    ("var/cache/apk/**", "apk index cache (DL3019)"),
    ("var/cache/yum/**", "yum cache (DL3032)"),
    ("var/cache/dnf/**", "dnf cache (DL3040)"),
    ("root/.cache/pip/**", "pip download/wheel cache (DL3042)"),
    ("root/.npm/**", "npm cache (DL3060)"),
    ("root/.cache/yarn/**", "yarn cache (DL3060)"),
    ("usr/local/share/.cache/yarn/**", "yarn cache (DL3060)"),
    ("var/cache/debconf/*-old", "debconf's copy of its database from before the last run"),
    ("var/lib/dpkg/*-old", "dpkg's copy of status/available/diversions from before the last run"),
    ("var/cache/ldconfig/aux-cache", "ldconfig's inode/mtime cache"),
    ("var/cache/man/**", "man-db's index cache"),
    ("var/log/**", "logs (dpkg.log, apt/history.log, alternatives.log): times and run boundaries"),
    ("tmp/**", "scratch space (the directory itself is compared)"),
    ("var/tmp/**", "scratch space (the directory itself is compared)"),
)

_CHUNK = 1 << 20


@dataclass(frozen=True, slots=True)
class Entry:
    """One path of an image's file tree.  ``mode`` holds the permission bits (incl. setuid,
    setgid, sticky); ``size`` and ``sha256`` only for regular files; ``target`` only for
    symlinks; ``dev`` (major, minor) only for devices."""

    kind: str  # file | dir | symlink | char | block | fifo
    mode: int
    uid: int
    gid: int
    size: int = 0
    sha256: str = ""
    target: str = ""
    dev: tuple[int, int] | None = None

    def describe(self) -> str:
        s = f"{self.kind} {self.mode:04o} {self.uid}:{self.gid}"
        if self.kind == "file":
            s += f" {self.size} B sha256:{self.sha256[:12]}"
        elif self.kind == "symlink":
            s += f" -> {self.target}"
        elif self.dev is not None:
            s += f" {self.dev[0]},{self.dev[1]}"
        return s


Tree = dict[str, Entry]


def normalize(name: str) -> str:
    """``./usr/bin/`` -> ``usr/bin``; ``.`` and ``/`` -> ``""`` (the root)."""
    parts = [p for p in name.split("/") if p not in ("", ".")]
    return "/".join(parts)


@dataclass
class LayerChanges:
    """What one layer tar says: paths it whites out, directories it makes opaque, entries it adds."""

    whiteouts: list[str] = field(default_factory=list)
    opaques: list[str] = field(default_factory=list)
    entries: dict[str, Entry] = field(default_factory=dict)
    uncompressed_bytes: int = 0


class _CountingReader:
    """File-like wrapper that counts the bytes read through it."""

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw = raw
        self.count = 0

    def read(self, n: int = -1) -> bytes:
        data = self.raw.read(n)
        self.count += len(data)
        return data

    def drain(self) -> None:
        while self.read(_CHUNK):
            pass


def read_layer(stream: IO[bytes]) -> LayerChanges:
    """Read one *uncompressed* layer tar stream into :class:`LayerChanges`, counting its bytes."""
    counter = _CountingReader(stream)
    out = LayerChanges()
    with tarfile.open(fileobj=counter, mode="r|") as tf:  # type: ignore[call-overload]
        for m in tf:
            path = normalize(m.name)
            if not path:
                continue  # the root directory itself
            head, _, base = path.rpartition("/")
            if base == ".wh..wh..opq":
                out.opaques.append(head)
                continue
            if base.startswith(".wh."):
                out.whiteouts.append(f"{head}/{base[4:]}" if head else base[4:])
                continue
            out.entries[path] = _entry(tf, m, out.entries)
    counter.drain()
    out.uncompressed_bytes = counter.count
    return out


def _mask_pyc_mtime(data: bytes) -> bytes:
    """A timestamp-based .pyc (PEP 552 flags == 0) embeds its source's mtime in bytes 8-11;
    pip writes sources with the install time, so two identical builds differ there.  Mask it,
    as every other mtime is ignored.  Hash-based .pycs are left as they are."""
    if len(data) >= 16 and data[4:8] == b"\0\0\0\0":
        return data[:8] + b"\0\0\0\0" + data[12:]
    return data


def _entry(tf: tarfile.TarFile, m: tarfile.TarInfo, same_layer: Mapping[str, Entry]) -> Entry:
    perm = stat.S_IMODE(m.mode)
    if m.isreg():
        h = hashlib.sha256()
        f = tf.extractfile(m)
        assert f is not None
        if m.name.endswith(".pyc") and m.size < (16 << 20):
            h.update(_mask_pyc_mtime(f.read()))
        else:
            while chunk := f.read(_CHUNK):
                h.update(chunk)
        return Entry("file", perm, m.uid, m.gid, m.size, h.hexdigest())
    if m.isdir():
        return Entry("dir", perm, m.uid, m.gid)
    if m.issym():
        return Entry("symlink", perm, m.uid, m.gid, target=m.linkname)
    if m.islnk():
        target = same_layer.get(normalize(m.linkname))
        if target is not None:
            return target
        # A hard link to something outside this layer cannot happen in a well-formed layer tar;
        # record it as such rather than guess.
        return Entry("hardlink", perm, m.uid, m.gid, target=normalize(m.linkname))
    if m.ischr():
        return Entry("char", perm, m.uid, m.gid, dev=(m.devmajor, m.devminor))
    if m.isblk():
        return Entry("block", perm, m.uid, m.gid, dev=(m.devmajor, m.devminor))
    if m.isfifo():
        return Entry("fifo", perm, m.uid, m.gid)
    return Entry(f"type-{m.type!r}", perm, m.uid, m.gid)


def _delete_under(tree: Tree, keys: list[str], prefix: str, *, include_self: bool) -> None:
    """Delete ``prefix`` (if include_self) and every ``prefix/...`` from ``tree``.  ``keys`` is a
    sorted snapshot of the tree's keys taken before this layer's deletions."""
    if include_self:
        tree.pop(prefix, None)
    lo = prefix + "/"
    i = bisect.bisect_left(keys, lo)
    while i < len(keys) and keys[i].startswith(lo):
        tree.pop(keys[i], None)
        i += 1


def apply_layer(tree: Tree, layer: LayerChanges) -> None:
    """Apply one layer on top of ``tree`` (in place)."""
    if layer.whiteouts or layer.opaques:
        keys = sorted(tree)
        for d in layer.opaques:
            if d == "":
                tree.clear()
                keys = []
            else:
                _delete_under(tree, keys, d, include_self=False)
        for p in layer.whiteouts:
            _delete_under(tree, keys, p, include_self=True)
    # A layer that replaces a directory with a file (or the reverse) implies removing the
    # old subtree; tar extraction semantics do the same.
    for path, e in layer.entries.items():
        old = tree.get(path)
        if old is not None and old.kind == "dir" and e.kind != "dir":
            keys = sorted(tree)
            _delete_under(tree, keys, path, include_self=False)
        tree[path] = e


# --- ignore patterns ------------------------------------------------------------------------


@lru_cache(maxsize=256)
def _compile(pattern: str) -> re.Pattern[str]:
    out = []
    i = 0
    p = pattern.strip("/")
    while i < len(p):
        c = p[i]
        if p.startswith("**", i):
            out.append(".*")
            i += 2
        elif c == "*":
            out.append("[^/]*")
            i += 1
        elif c == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(c))
            i += 1
    return re.compile("".join(out) + r"\Z")


def is_ignored(path: str, patterns: Iterable[str]) -> bool:
    return any(_compile(p).match(path) for p in patterns)


# --- difference -----------------------------------------------------------------------------


@dataclass
class TreeDiff:
    """Paths only in the rewritten image (``added``), only in the original (``removed``), and in
    both but different (``changed``: path -> list of "field: before -> after")."""

    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: dict[str, list[str]] = field(default_factory=dict)
    ignored_count: int = 0

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed)

    def paths(self) -> list[str]:
        return sorted({*self.added, *self.removed, *self.changed})

    def to_dict(self) -> dict:
        return {
            "added": self.added,
            "removed": self.removed,
            "changed": self.changed,
            "ignored_paths": self.ignored_count,
        }

    def summary_lines(self, limit: int = 50) -> list[str]:
        lines: list[str] = []
        for p in self.removed:
            lines.append(f"- /{p}  (only in original)")
        for p in self.added:
            lines.append(f"+ /{p}  (only in rewritten)")
        for p, what in self.changed.items():
            lines.append(f"~ /{p}  ({'; '.join(what)})")
        if len(lines) > limit:
            more = len(lines) - limit
            lines = lines[:limit] + [f"... and {more} more"]
        return lines


def _compare(a: Entry, b: Entry) -> list[str]:
    out = []
    if a.kind != b.kind:
        return [f"type: {a.kind} -> {b.kind}"]
    if a.mode != b.mode:
        out.append(f"mode: {a.mode:04o} -> {b.mode:04o}")
    if (a.uid, a.gid) != (b.uid, b.gid):
        out.append(f"owner: {a.uid}:{a.gid} -> {b.uid}:{b.gid}")
    if a.kind == "file" and (a.size, a.sha256) != (b.size, b.sha256):
        out.append(f"content: {a.size} B -> {b.size} B" if a.size != b.size else "content")
    if a.target != b.target:
        out.append(f"target: {a.target} -> {b.target}")
    if a.dev != b.dev:
        out.append(f"device: {a.dev} -> {b.dev}")
    return out


def diff_trees(before: Tree, after: Tree, ignore: Sequence[str] = ()) -> TreeDiff:
    d = TreeDiff()
    for path in sorted(before.keys() | after.keys()):
        if is_ignored(path, ignore):
            d.ignored_count += 1
            continue
        a = before.get(path)
        b = after.get(path)
        if a is None:
            d.added.append(path)
        elif b is None:
            d.removed.append(path)
        else:
            what = _compare(a, b)
            if what:
                d.changed[path] = what
    return d
