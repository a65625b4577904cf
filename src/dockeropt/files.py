"""Files for the command line: which ones to process, reading them, and writing them back safely.

Discovery (directories given on the command line are searched; files given are always read):

- ``Dockerfile``, ``Containerfile`` in any case;
- ``Dockerfile`` / ``Containerfile`` (capitalised as written) followed by ``.``, ``-`` or ``_`` and
  a suffix: ``Dockerfile.prod``, ``Dockerfile-cuda``, ``Dockerfile_gaudi``;
- ``<name>.Dockerfile`` / ``<name>.dockerfile`` / ``<name>.Containerfile`` / ``<name>.containerfile``;
- except templates, backups, patches and documents (``Dockerfile.j2``, ``Dockerfile-ubi.template``,
  ``Dockerfile.orig``, ``Dockerfile.md``, ``Dockerfile.dockerignore``, names ending in ``~``), and
  lower-case ``dockerfile.<x>`` (``dockerfile.lark``, ``dockerfile_test.go``, ``dockerfile.vim``:
  that is how tools name their Dockerfile support code).

Directories in ``SKIP_DIRS`` and symbolic links to directories are not entered; the walk is
iterative (any depth). A matching name that is not a regular file (FIFO, socket, device, broken
link) is skipped with a note; a directory that cannot be read is an error.

Writing back (``write_back``) never leaves a half-written file: the new text goes to a temporary
file beside the old one, gets its owner, group and mode, and is renamed over it. It refuses — and
writes nothing — when the file is read-only, has more than one hard link (a rename would split
the links), changed since it was read, or when its owner or group cannot be kept.
"""

from __future__ import annotations

import os
import stat

SKIP_DIRS = frozenset({
    ".git", ".hg", ".svn", "node_modules", ".venv", "__pycache__",
    ".tox", ".nox", ".mypy_cache", ".pytest_cache", ".ruff_cache",
})
_STEMS = ("Dockerfile", "Containerfile")
_EXTENSIONS = (".dockerfile", ".containerfile")
# last dot-suffix (lower case) of names that look like Dockerfiles but are not one
NOT_DOCKERFILE_SUFFIXES = frozenset({
    # templates
    "template", "tmpl", "tpl", "j2", "jinja", "jinja2", "erb", "mustache", "hbs", "in", "m4",
    "gotmpl", "mako", "ejs", "liquid", "njk", "twig", "envsubst",
    # backups, merges, patches
    "orig", "rej", "bak", "backup", "old", "swp", "swo", "tmp", "patch", "diff",
    # documents, data, code, ignore files
    "md", "markdown", "rst", "txt", "adoc", "html", "pdf", "png", "svg", "json", "yaml", "yml",
    "toml", "xml", "lock", "lark", "py", "go", "js", "ts", "rb", "rs", "java", "sh", "ps1",
    "dockerignore", "gitignore", "sig", "asc", "sha256",
})


def is_dockerfile_name(name: str) -> bool:
    """Whether a directory search picks up a file of this name (see the module docstring)."""
    low = name.lower()
    if low in ("dockerfile", "containerfile"):
        return True
    if name.endswith("~"):
        return False
    for stem in _STEMS:
        if name.startswith(stem) and len(name) > len(stem) + 1 and name[len(stem)] in ".-_":
            last = name[len(stem) + 1:].rsplit(".", 1)[-1].lower()
            return bool(last) and last not in NOT_DOCKERFILE_SUFFIXES
    return any(low.endswith(ext) and len(low) > len(ext) for ext in _EXTENSIONS)


def file_kind(mode: int) -> str:
    for test, kind in ((stat.S_ISFIFO, "FIFO"), (stat.S_ISSOCK, "socket"), (stat.S_ISCHR, "character device"),
                       (stat.S_ISBLK, "block device"), (stat.S_ISDIR, "directory")):
        if test(mode):
            return kind
    return "special file"


def _kind_of(path: str) -> str:
    try:
        return file_kind(os.stat(path).st_mode)
    except OSError:
        return "broken symbolic link" if os.path.islink(path) else "cannot stat it"


def discover(paths, on_note=None, on_error=None, skip=None) -> list[str]:
    """Files to process: files (and ``-``) as given, directories searched (sorted, no duplicates).

    ``on_note(path, message)`` hears about skipped non-regular files, ``on_error(path, message)``
    about directories that cannot be read; ``skip(path, is_dir)`` says which entries a search
    leaves out (``.gitignore``, exclude patterns: see ``ignore.py``).
    """
    on_note = on_note or (lambda path, message: None)
    on_error = on_error or (lambda path, message: None)
    skip = skip or (lambda path, is_dir: False)
    out: list[str] = []
    seen: set[str] = set()
    for p in paths:
        found = _walk(p, on_note, on_error, skip) if p != "-" and os.path.isdir(p) else [p]
        for f in found:
            key = f if f == "-" else os.path.normpath(f)
            if key not in seen:
                seen.add(key)
                out.append(f)
    return out


def _walk(top: str, on_note, on_error, skip) -> list[str]:
    found: list[str] = []
    stack = [top]
    while stack:
        directory = stack.pop()
        try:
            with os.scandir(directory) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as e:
            on_error(directory, f"cannot read directory: {e.strerror or e}")
            continue
        subdirs = []
        for entry in entries:
            try:
                if entry.is_dir(follow_symlinks=False):
                    if entry.name not in SKIP_DIRS and not skip(entry.path, True):
                        subdirs.append(entry.path)
                elif is_dockerfile_name(entry.name) and not skip(entry.path, False):
                    if entry.is_file():  # follows a symbolic link to a file
                        found.append(entry.path)
                    elif not entry.is_dir():  # a link to a directory is not followed, silently
                        on_note(entry.path, f"skipped, not a regular file ({_kind_of(entry.path)})")
            except OSError as e:
                on_error(entry.path, e.strerror or str(e))
        stack.extend(reversed(subdirs))
    return sorted(found)


class NotRegularFile(OSError):
    """A path that is not a regular file (FIFO, device, directory ...): never read, never written."""


class NotWritten(Exception):
    """``write_back`` refused; the file is as it was."""


def read_file(path: str, limit: int | None = None) -> tuple[bytes, os.stat_result]:
    """The bytes of a regular file, and its status when read. Never blocks on a FIFO. With
    ``limit``, a file larger than that is not read: its first ``limit + 1`` bytes come back."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
    fd = os.open(path, flags)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise NotRegularFile(f"not a regular file ({file_kind(st.st_mode)})")
        chunks = []
        size = 0
        while limit is None or size <= limit:
            chunk = os.read(fd, max(st.st_size + 1, 1 << 16))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        return b"".join(chunks), st
    finally:
        os.close(fd)


def write_back(path: str, data: bytes, original: bytes, before: os.stat_result) -> None:
    """Replace the file at ``path`` (through symbolic links) with ``data``, all at once.

    ``original`` and ``before`` are what ``read_file`` returned; when the file is no longer that
    file with that content, nothing is written. Raises ``NotWritten`` (a refusal) or ``OSError``.
    """
    target = os.path.realpath(path)
    st = os.stat(target)
    if (st.st_dev, st.st_ino) != (before.st_dev, before.st_ino):
        raise NotWritten("the file changed since dockeropt read it")
    if not stat.S_ISREG(st.st_mode):
        raise NotWritten(f"not a regular file ({file_kind(st.st_mode)})")
    mode = stat.S_IMODE(st.st_mode)
    if not mode & 0o222 or not os.access(target, os.W_OK):
        raise NotWritten(f"the file is read-only (mode {mode:04o})")
    if st.st_nlink > 1:
        raise NotWritten(
            f"the file has {st.st_nlink} hard links; replacing it would leave the other names "
            "with the old text (break the link first, e.g. cp --remove-destination)"
        )
    directory = os.path.dirname(target) or "."
    with _signals_deferred():  # a signal now would leave a temporary file or a stale one
        fd, tmp = _create_temp(directory)
        try:
            try:
                _write_all(fd, data)
                _copy_owner_and_mode(fd, tmp, st)
            finally:
                os.close(fd)
            if _current(target) != original:
                raise NotWritten("the file changed since dockeropt read it")
            os.replace(tmp, target)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise
        _fsync_dir(directory)


def _write_all(fd: int, data: bytes) -> None:
    """All of ``data`` to ``fd``, then to the disk (fsync)."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]
    os.fsync(fd)


def _create_temp(directory: str) -> tuple[int, str]:
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
    for _ in range(100):
        tmp = os.path.join(directory, f".dockeropt-{os.urandom(6).hex()}")
        try:
            return os.open(tmp, flags, 0o600), tmp
        except FileExistsError:
            continue
    raise FileExistsError(f"no unused temporary file name in {directory}")


def _copy_owner_and_mode(fd: int, tmp: str, st: os.stat_result) -> None:
    if hasattr(os, "fchown"):
        now = os.fstat(fd)
        if (now.st_uid, now.st_gid) != (st.st_uid, st.st_gid):
            try:
                os.fchown(fd, st.st_uid if now.st_uid != st.st_uid else -1,
                          st.st_gid if now.st_gid != st.st_gid else -1)
            except PermissionError:
                raise NotWritten(
                    f"dockeropt cannot give the new file the owner/group of the old one "
                    f"(uid {st.st_uid}, gid {st.st_gid}); run it as that user"
                ) from None
    if hasattr(os, "fchmod"):
        os.fchmod(fd, stat.S_IMODE(st.st_mode))  # after chown, which clears set-id bits
    else:  # pragma: no cover - Windows
        os.chmod(tmp, stat.S_IMODE(st.st_mode))


def _current(path: str) -> bytes | None:
    try:
        return read_file(path)[0]
    except OSError:
        return None


def _fsync_dir(directory: str) -> None:
    try:
        dfd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dfd)
    except OSError:
        pass
    finally:
        os.close(dfd)


class _signals_deferred:
    """Block SIGINT/SIGTERM/SIGHUP in this thread for the duration; they are delivered after."""

    def __enter__(self):
        import signal

        self._old = None
        if hasattr(signal, "pthread_sigmask"):
            wanted = {getattr(signal, s) for s in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, s)}
            self._old = signal.pthread_sigmask(signal.SIG_BLOCK, wanted)
        return self

    def __exit__(self, *exc):
        if self._old is not None:
            import signal

            signal.pthread_sigmask(signal.SIG_SETMASK, self._old)
        return False


def create_new(path: str, data: bytes, mode: int = 0o644) -> None:
    """Create ``path`` with ``data`` all at once: written to a temporary file beside it, then
    linked into place, which fails (``FileExistsError``, nothing written) when the name exists."""
    directory = os.path.dirname(os.path.abspath(path)) or "."
    with _signals_deferred():
        fd, tmp = _create_temp(directory)
        try:
            try:
                _write_all(fd, data)
                os.fchmod(fd, mode & ~_umask())
            finally:
                os.close(fd)
            os.link(tmp, path)
        finally:
            try:
                os.unlink(tmp)
            except OSError:
                pass
        _fsync_dir(directory)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
