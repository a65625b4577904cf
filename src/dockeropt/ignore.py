"""Which paths a directory search leaves out: ``.gitignore``, ``exclude`` and ``--exclude``.

- ``.gitignore``: only inside a git work tree (a ``.git`` directory or file in the directory or
  above it). Every ``.gitignore`` from the work tree's top down to the file's directory counts,
  the deeper one first, the last matching line of a file decides (``!`` re-includes), as git
  does; ``.git/info/exclude`` counts below them all. Not read: the global
  ``core.excludesFile``. Unlike git, a tracked file that a pattern matches is left out too.
- ``exclude`` in a configuration file (patterns relative to that file's directory) and
  ``--exclude`` (relative to the working directory; for paths outside it, to the root), in
  ``.gitignore`` syntax: ``vendor/``, ``*.gen.Dockerfile``, ``/docker/legacy``, ``a/**/b``.

An excluded directory is not entered. Files named on the command line are always processed,
unless ``--force-exclude`` (or ``force-exclude = true``) applies ``exclude`` and ``--exclude``
to them too, as black and ruff do (pre-commit passes files by name).
"""

from __future__ import annotations

import os


class PathFilter:
    def __init__(self, finder, cli_exclude: tuple[str, ...] = (), respect_gitignore: bool | None = None):
        self.finder = finder  # config.Finder
        self.cli_exclude = tuple(cli_exclude)
        self.cwd = os.getcwd()
        self.respect_gitignore = respect_gitignore  # None: as the configuration says (default on)
        self._repo: dict[str, str | None] = {}
        self._specs: dict[str, object] = {}

    def reason(self, path: str, is_dir: bool, gitignore: bool = True) -> str | None:
        """Why ``path`` is left out (``exclude 'vendor/'``, ``.gitignore``), or None."""
        from dockeropt import config as cfg

        absolute = os.path.abspath(path)
        if self.cli_exclude:
            # relative to the working directory; outside it, patterns without a slash (or with only
            # a trailing one) still match any name on the way, as in a .gitignore
            rel = cfg._relative(absolute, self.cwd) or absolute.replace(os.sep, "/").lstrip("/")
            match = cfg._first_match(self.cli_exclude, rel, is_dir)
            if match:
                return f"--exclude {match!r}"
        conf = self.finder.for_dir(os.path.dirname(absolute))
        match = conf.excluded(absolute, is_dir)
        if match:
            return f"exclude {match!r} in {conf.path}"
        respect = self.respect_gitignore if self.respect_gitignore is not None else conf.respect_gitignore
        if gitignore and respect is not False and self._gitignored(absolute, is_dir):
            return ".gitignore"
        return None

    # --- .gitignore --------------------------------------------------------------------------

    def _top(self, directory: str) -> str | None:
        """The top of the git work tree holding ``directory``, or None."""
        if directory in self._repo:
            return self._repo[directory]
        if os.path.exists(os.path.join(directory, ".git")):
            top = directory
        else:
            parent = os.path.dirname(directory)
            top = self._top(parent) if parent != directory else None
        self._repo[directory] = top
        return top

    def _spec(self, path: str):
        spec = self._specs.get(path, False)
        if spec is False:
            spec = None
            try:
                with open(path, encoding="utf-8", errors="surrogateescape") as f:
                    lines = f.read().splitlines()
            except OSError:
                lines = []
            if any(line.strip() and not line.startswith("#") for line in lines):
                import pathspec

                try:
                    spec = pathspec.GitIgnoreSpec.from_lines(lines)
                except Exception:  # noqa: BLE001 - a line git would skip; so do we
                    spec = pathspec.GitIgnoreSpec.from_lines(_readable(lines))
            self._specs[path] = spec
        return spec

    def _gitignored(self, absolute: str, is_dir: bool) -> bool:
        directory = os.path.dirname(absolute)
        top = self._top(directory)
        if top is None:
            return False
        levels = []  # the directories from the file's up to the top: deeper first
        d = directory
        while True:
            levels.append((d, os.path.join(d, ".gitignore")))
            if d == top:
                break
            parent = os.path.dirname(d)
            if parent == d:
                break
            d = parent
        git = os.path.join(top, ".git")
        if os.path.isdir(git):
            levels.append((top, os.path.join(git, "info", "exclude")))
        for base, file in levels:
            spec = self._spec(file)
            if spec is None:
                continue
            rel = os.path.relpath(absolute, base).replace(os.sep, "/")
            check = spec.check_file(rel + "/" if is_dir else rel)
            if check.include is not None:
                return bool(check.include)
        return False


def _readable(lines: list[str]) -> list[str]:
    import pathspec

    out = []
    for line in lines:
        try:
            pathspec.GitIgnoreSpec.from_lines([line])
        except Exception:  # noqa: BLE001
            continue
        out.append(line)
    return out
