"""Build the original and the rewritten Dockerfile, measure both, compare."""

from __future__ import annotations

import json
import logging
import os
import sys
import uuid
from pathlib import Path
from typing import Any, Sequence

from .bases import external_images
from .engines import Engine, Progress, get_engine
from .errors import BuildFailed, VerifyEnvironmentError, VerifyError
from .image import LayerCache, measure
from .report import ImageStats, VerifyReport, compressed_tolerance
from .tree import DEFAULT_IGNORES, diff_trees

log = logging.getLogger("dockeropt.verify")

# Image config fields a rewrite must keep.  (Labels too: engines add the same ones to both.)
CONFIG_KEYS = (
    "User", "ExposedPorts", "Env", "Entrypoint", "Cmd", "Volumes", "WorkingDir", "Labels",
    "StopSignal", "Shell", "Healthcheck", "OnBuild",
)


def stderr_progress(message: str) -> None:
    """A ``progress`` callback that writes to stderr."""
    print(message, file=sys.stderr, flush=True)


def _log_progress(message: str) -> None:
    log.info("%s", message)


def _config_diff(a: dict[str, Any], b: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    ca, cb = a.get("config") or {}, b.get("config") or {}
    out = {}
    for k in CONFIG_KEYS:
        va, vb = ca.get(k) or None, cb.get(k) or None
        if va != vb:
            out[k] = (va, vb)
    return out


def _stats(m, seconds: float) -> ImageStats:
    return ImageStats(
        layers=m.layers,
        uncompressed_bytes=m.uncompressed_bytes,
        compressed_bytes=m.compressed_bytes,
        build_seconds=seconds,
        compressed_estimated=m.compressed_estimated,
        layer_details=[
            {"created_by": li.created_by[:300], "compressed_bytes": li.compressed_bytes,
             "uncompressed_bytes": li.uncompressed_bytes}
            for li in m.layer_info
        ],
    )


def check_environment(engine: Engine, texts: Sequence[str], progress: Progress | None = None) -> None:
    """Raise :class:`VerifyEnvironmentError` unless every external image is available locally."""
    missing = []
    for ref in dict.fromkeys(r for t in texts for r in external_images(t)):
        if not engine.ensure_image(ref, progress):
            missing.append(ref)
    if missing:
        names = ", ".join(missing)
        hint = {
            "docker": f"docker pull {missing[0]}",
            "podman": f"podman pull {missing[0]}",
        }.get(engine.name, f"buildah pull {missing[0]}")
        raise VerifyEnvironmentError(
            f"base image not available to {engine.name} (builds never pull): {names}. "
            f"Pull it first ({hint}), or for buildah/podman point DOCKEROPT_VERIFY_IMAGES at a local "
            f"copy, e.g. DOCKEROPT_VERIFY_IMAGES='{missing[0]}=oci-archive:/path/image.tar' "
            f"(.ci/e2e-setup.sh makes one for debian:bookworm-slim)."
        )


def verify(
    original_text: str,
    rewritten_text: str,
    *,
    engine: str | Engine = "auto",
    context_dir: str | os.PathLike,
    progress: Progress | None = None,
    ignore: Sequence[tuple[str, str]] = DEFAULT_IGNORES,
    rewritten_dockerignore: str | None = None,
    dockerfile_name: str = "Dockerfile",
    build_identical: bool = False,
    layer_cache: LayerCache | None = None,
) -> VerifyReport:
    """Build both texts with ``engine`` in ``context_dir`` and compare.

    Raises :class:`VerifyEnvironmentError` when there is no engine, a base image is missing or
    the *original* does not build (nothing can be verified then).  A rewritten Dockerfile that does
    not build, a file tree or image config that differs, or an image that got bigger (more layers,
    more uncompressed bytes, more compressed bytes beyond a small tolerance) give a report with
    ``exit_code == 1``.  ``rewritten_dockerignore`` (text) is used for the rewritten build only.
    ``layer_cache`` lets several verifications read a shared base image's layers once.
    """
    progress = progress or _log_progress
    ignore = list(ignore)
    if original_text == rewritten_text and rewritten_dockerignore is None and not build_identical:
        return VerifyReport("-", dockerfile_name, None, None, None, {}, ignore, [], identical=True)

    owns_engine = not isinstance(engine, Engine)
    eng = get_engine(engine)
    context = Path(context_dir)
    if not context.is_dir():
        raise VerifyEnvironmentError(f"build context is not a directory: {context}")
    run_id = uuid.uuid4().hex[:10]
    tags = [f"localhost/dockeropt-verify-{run_id}-original", f"localhost/dockeropt-verify-{run_id}-rewritten"]
    built: list[str] = []
    exported: list = []
    try:
        engine_label = eng.version()
        check_environment(eng, [original_text, rewritten_text], progress)

        progress(f"building original (1/2) with {engine_label}…")
        try:
            b_orig = eng.build(original_text, context, tags[0], progress=progress)
        except BuildFailed as e:
            tail = "\n".join(e.log.splitlines()[-20:])
            raise VerifyEnvironmentError(
                f"the original {dockerfile_name} does not build with {eng.name}, so there is nothing "
                f"to compare against:\n{tail}"
            ) from e
        built.append(tags[0])
        progress(f"original built in {b_orig.seconds:.1f} s")

        progress("building rewritten (2/2)…")
        problems: list[str] = []
        b_new = None
        new_log = ""
        try:
            b_new = eng.build(
                rewritten_text, context, tags[1], ignorefile_text=rewritten_dockerignore, progress=progress
            )
            built.append(tags[1])
            progress(f"rewritten built in {b_new.seconds:.1f} s")
        except BuildFailed as e:
            new_log = e.log
            problems.append(f"the rewritten {dockerfile_name} does not build ({e})")

        progress("measuring layers and file trees…")
        cache = layer_cache if layer_cache is not None else LayerCache()
        exported.append(eng.export(tags[0]))
        m_orig = measure(exported[-1], cache)
        s_orig = _stats(m_orig, b_orig.seconds)
        if b_new is None:
            return VerifyReport(engine_label, dockerfile_name, s_orig, None, None, {}, ignore, problems,
                                rewritten_build_log=new_log)
        exported.append(eng.export(tags[1]))
        m_new = measure(exported[-1], cache)
        s_new = _stats(m_new, b_new.seconds)

        tdiff = diff_trees(m_orig.tree, m_new.tree, [p for p, _ in ignore])
        cdiff = _config_diff(m_orig.config, m_new.config)
        if not tdiff.empty:
            paths = tdiff.paths()
            shown = ", ".join("/" + p for p in paths[:10]) + (f" and {len(paths) - 10} more" if len(paths) > 10 else "")
            problems.append(f"file trees differ: {shown}")
        if cdiff:
            problems.append("image config differs: " + ", ".join(cdiff))
        if s_new.layers > s_orig.layers:
            problems.append(f"more layers ({s_orig.layers} -> {s_new.layers})")
        if s_new.uncompressed_bytes > s_orig.uncompressed_bytes:
            problems.append(f"bigger uncompressed ({s_orig.uncompressed_bytes} -> {s_new.uncompressed_bytes} bytes)")
        if s_new.compressed_bytes > s_orig.compressed_bytes + compressed_tolerance(s_orig.compressed_bytes):
            problems.append(f"bigger compressed ({s_orig.compressed_bytes} -> {s_new.compressed_bytes} bytes)")
        report = VerifyReport(engine_label, dockerfile_name, s_orig, s_new, tdiff, cdiff, ignore, problems)
        progress(report.headline())
        return report
    finally:
        try:
            eng.discard(exported)
        except OSError:
            pass
        for t in built:
            eng.remove(t)
        if owns_engine:
            eng.close()


def _read_text(path: Path) -> str:
    # newline="" keeps CRLF line endings as they are
    with open(path, encoding="utf-8", errors="surrogateescape", newline="") as f:
        return f.read()


def run_verify(
    dockerfile_path: str | os.PathLike,
    *,
    engine: str | Engine = "auto",
    context_dir: str | os.PathLike | None = None,
    rewritten_text: str,
    fmt: str = "text",
    progress: Progress | None = None,
    rewritten_dockerignore: str | None = None,
    ignore: Sequence[tuple[str, str]] = DEFAULT_IGNORES,
) -> tuple[int, str]:
    """Entry point for ``dockeropt verify``.  -> (exit status, output in ``fmt``).

    0: the rewritten image has the same file tree and config and is no bigger; 1: it differs or
    is bigger or does not build (the output names the differing paths); 2: verification could not
    run (no engine, base image missing, original does not build, unreadable file) — the output is
    one clear message, no traceback.  ``fmt``: ``text`` | ``json`` | ``markdown``.
    """
    if fmt not in ("text", "json", "markdown"):
        raise ValueError(f"fmt must be text, json or markdown, not {fmt!r}")
    path = Path(dockerfile_path)
    try:
        try:
            original = _read_text(path)
        except OSError as e:
            raise VerifyEnvironmentError(f"cannot read {path}: {e.strerror or e}") from e
        report = verify(
            original,
            rewritten_text,
            engine=engine,
            context_dir=Path(context_dir) if context_dir is not None else (path.parent if str(path.parent) else Path(".")),
            progress=progress,
            ignore=ignore,
            rewritten_dockerignore=rewritten_dockerignore,
            dockerfile_name=str(path),
        )
    except VerifyEnvironmentError as e:
        return 2, _error_output(str(e), fmt, 2)
    except VerifyError as e:  # engine misbehaved (export failed, unreadable layer)
        return 2, _error_output(f"verification failed: {e}", fmt, 2)
    return report.exit_code, report.render(fmt)


def _error_output(message: str, fmt: str, code: int) -> str:
    if fmt == "json":
        return json.dumps({"verified": False, "exit_code": code, "error": message}, indent=2) + "\n"
    if fmt == "markdown":
        return f"### dockeropt verify\n\n**cannot verify:** {message}\n"
    return f"dockeropt verify: cannot verify: {message}\n"
