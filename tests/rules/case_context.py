"""Build contexts of hand-written cases (``<case>/context/``).

Some paths a context needs cannot be committed (git refuses a ``.git`` directory inside the
repository, and the repository ignores ``__pycache__``, ``.venv``, ``build``, ``dist`` ...). A case
lists them in ``extra-files.json`` (path -> text); the context is then a temporary copy with
them added, made once per test session.
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import tempfile
from pathlib import Path

_MADE: dict[Path, Path] = {}
_ROOT: list[str] = []


def context_dir(case: Path) -> Path | None:
    src = case / "context"
    if not src.is_dir():
        return None
    extra = case / "extra-files.json"
    if not extra.is_file():
        return src
    if case not in _MADE:
        if not _ROOT:
            _ROOT.append(tempfile.mkdtemp(prefix="dockeropt-cases-"))
            atexit.register(shutil.rmtree, _ROOT[0], True)
        dest = Path(_ROOT[0]) / f"{case.parent.name}-{case.name}"
        shutil.copytree(src, dest, symlinks=True)
        for rel, text in json.loads(extra.read_text()).items():
            p = dest / rel
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text(text)
        _MADE[case] = dest
    return _MADE[case]


def dockerfile_path(case: Path) -> Path:
    """The Dockerfile's path as the context sees it: ``<case>/Dockerfile`` may be a link to
    ``context/Dockerfile`` (a Dockerfile that lives in its context)."""
    df = case / "Dockerfile"
    ctx = context_dir(case)
    if df.is_symlink() and ctx is not None:
        real = df.resolve()
        try:
            return ctx / os.path.relpath(real, (case / "context").resolve())
        except ValueError:
            return real
    return df
