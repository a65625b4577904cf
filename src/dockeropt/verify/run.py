"""Build the original and the rewritten Dockerfile, measure both, compare."""

from __future__ import annotations

import json
import logging
import os
import sys
import time
import uuid
from pathlib import Path
from typing import Any, Sequence

from .bases import external_images
from .engines import BuiltImage, Engine, Progress, get_engine
from .errors import BuildFailed, VerifyEnvironmentError, VerifyError
from .image import LayerCache, measure
from .outcome import Failure, correspondence, read_failure
from .report import BuildResult, ImageStats, VerifyReport, compressed_tolerance
from .tree import DEFAULT_IGNORES, diff_trees

log = logging.getLogger("dockeropt.verify")

# Image config fields a rewrite must keep.  (Labels too: engines add the same ones to both.)
CONFIG_KEYS = (
    "User", "ExposedPorts", "Env", "Entrypoint", "Cmd", "Volumes", "WorkingDir", "Labels",
    "StopSignal", "Shell", "Healthcheck", "OnBuild",
)
# What a multi-stage split must keep of the config: how the program is started and exposed. Env,
# Labels and Shell come from the other base image (GOPATH, the image's own labels) by design.
SPLIT_CONFIG_KEYS = ("User", "ExposedPorts", "Entrypoint", "Cmd", "Volumes", "WorkingDir", "StopSignal", "Healthcheck")


def stderr_progress(message: str) -> None:
    """A ``progress`` callback that writes to stderr."""
    print(message, file=sys.stderr, flush=True)


def _log_progress(message: str) -> None:
    log.info("%s", message)


def _config_diff(a: dict[str, Any], b: dict[str, Any], keys: Sequence[str] = CONFIG_KEYS) -> dict[str, tuple[Any, Any]]:
    ca, cb = a.get("config") or {}, b.get("config") or {}
    out = {}
    for k in keys:
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
    use_cache: bool = False,
    smoke: str | None = None,
    split: bool = False,
) -> VerifyReport:
    """Build both texts with ``engine`` in ``context_dir`` and compare.

    Raises :class:`VerifyEnvironmentError` when there is no engine, a base image is missing or
    the engine could not run the *original* build at all (its output names no failing step).

    A build that fails at an instruction is an outcome, not an error: the rewrite must fail where
    the original fails.  ``exit_code == 0`` when both build with the same file tree and config and
    nothing got bigger, or when both fail at corresponding steps (the failing rewritten
    instruction contains the failing original one; :func:`.outcome.correspondence`).
    ``exit_code == 1`` when the rewrite hides a failure (original fails, rewrite builds), breaks
    the build (the other way round), fails at a different step, or builds an image whose file
    tree or config differ or that is bigger (more layers, more uncompressed bytes, more compressed
    bytes beyond a small tolerance).  ``rewritten_dockerignore`` (text) is used for the rewritten
    build only.  ``use_cache``: build with the engine's layer cache (a layer is reused only for the same
    parent and the same instruction, so what the rewrite changes is still built; the e2e context
    cases use it to install a toolchain once instead of once per build).  ``layer_cache`` lets several verifications read a shared base image's layers once.

    ``smoke``: a command run in both images (``docker run IMAGE <smoke>``, see :mod:`.smoke`);
    verified only when the rewritten image answers the same.  ``split``: the rewrite splits the
    build into stages (rule multi-stage), so the file trees differ by design: they are reported,
    not held against it; the config must keep how the program starts (``SPLIT_CONFIG_KEYS``),
    the image must be smaller, and without a smoke command it is not verified.
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
        b_orig, orig_failed = _build(eng, original_text, context, tags[0], None, progress, use_cache)
        if orig_failed is not None:
            f_orig, orig_log = orig_failed
            if f_orig.kind == "engine":
                tail = "\n".join(orig_log.splitlines()[-20:])
                raise VerifyEnvironmentError(
                    f"the original {dockerfile_name} does not build with {eng.name} and the engine names no "
                    f"failing step (it could not start the build), so there is nothing to compare against:\n{tail}"
                )
            status = f"exit status {f_orig.exit_status}" if f_orig.exit_status is not None else f_orig.reason
            progress(f"original fails at line {f_orig.step.line} ({status}) after {b_orig.seconds:.1f} s")
        else:
            built.append(tags[0])
            progress(f"original built in {b_orig.seconds:.1f} s")

        progress("building rewritten (2/2)…")
        b_new, new_failed = _build(eng, rewritten_text, context, tags[1], rewritten_dockerignore, progress, use_cache)
        if new_failed is None:
            built.append(tags[1])
            progress(f"rewritten built in {b_new.seconds:.1f} s")
        else:
            f_new = new_failed[0]
            status = f"exit status {f_new.exit_status}" if f_new.exit_status is not None else f_new.reason
            progress(f"rewritten fails at {f_new.where()} ({status}) after {b_new.seconds:.1f} s")
        if orig_failed is not None or new_failed is not None:
            report = _failure_report(
                original_text, rewritten_text, b_orig, orig_failed, b_new, new_failed,
                engine_label, dockerfile_name, ignore,
            )
            if report.original_build.built:  # measure the original, as when both build
                cache = layer_cache if layer_cache is not None else LayerCache()
                exported.append(eng.export(tags[0]))
                report.original = _stats(measure(exported[-1], cache), b_orig.seconds)
            progress(report.headline())
            return report
        problems: list[str] = []

        progress("measuring layers and file trees…")
        cache = layer_cache if layer_cache is not None else LayerCache()
        exported.append(eng.export(tags[0]))
        m_orig = measure(exported[-1], cache)
        s_orig = _stats(m_orig, b_orig.seconds)
        exported.append(eng.export(tags[1]))
        m_new = measure(exported[-1], cache)
        s_new = _stats(m_new, b_new.seconds)

        tdiff = diff_trees(m_orig.tree, m_new.tree, [p for p, _ in ignore])
        cdiff = _config_diff(m_orig.config, m_new.config, SPLIT_CONFIG_KEYS if split else CONFIG_KEYS)
        smoke_result = None
        if smoke is not None:
            from .smoke import SmokeResult, run_smoke

            progress(f"smoke test: {smoke or '(the image command)'}…")
            smoke_result = SmokeResult(smoke, run_smoke(eng, tags[0], m_orig.config, smoke),
                                       run_smoke(eng, tags[1], m_new.config, smoke))
            if smoke_result.problem():
                problems.append(smoke_result.problem())
        if split:
            if smoke is None:
                problems.append("the rewrite splits the build into stages, so the images hold other files by design; "
                                "give --smoke CMD to check that the program still answers the same")
            if s_new.uncompressed_bytes >= s_orig.uncompressed_bytes:
                problems.append(f"the split image is not smaller ({s_orig.uncompressed_bytes} -> "
                                f"{s_new.uncompressed_bytes} bytes)")
        elif not tdiff.empty:
            paths = tdiff.paths()
            shown = ", ".join("/" + p for p in paths[:10]) + (f" and {len(paths) - 10} more" if len(paths) > 10 else "")
            problems.append(f"file trees differ: {shown}")
        if cdiff:
            problems.append("image config differs: " + ", ".join(cdiff))
        # COPY layers only the rewrite has (copy-deps-first copies the manifests before the
        # install): their layers and bytes are the price of the cache reuse, not growth
        extra_layers, extra_bytes, extra_gz = _extra_copy_layers(s_orig, s_new)
        if s_new.layers > s_orig.layers + extra_layers and not split:
            problems.append(f"more layers ({s_orig.layers} -> {s_new.layers})")
        if s_new.uncompressed_bytes > s_orig.uncompressed_bytes + extra_bytes and not split:
            problems.append(f"bigger uncompressed ({s_orig.uncompressed_bytes} -> {s_new.uncompressed_bytes} bytes)")
        if s_new.compressed_bytes > s_orig.compressed_bytes + extra_gz + compressed_tolerance(s_orig.compressed_bytes):
            problems.append(f"bigger compressed ({s_orig.compressed_bytes} -> {s_new.compressed_bytes} bytes)")
        if extra_layers and not problems:
            progress(f"the rewrite adds {extra_layers} COPY layer(s) ({extra_bytes} bytes): files copied before an "
                     "install so that a source edit reuses its layer")
        report = VerifyReport(engine_label, dockerfile_name, s_orig, s_new, tdiff, cdiff, ignore, problems,
                              original_build=BuildResult(b_orig.seconds), rewritten_build=BuildResult(b_new.seconds),
                              smoke=smoke_result, split=split)
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


def _extra_copy_layers(orig: ImageStats, new: ImageStats) -> tuple[int, int, int]:
    """(layers, uncompressed, compressed bytes) of the rewritten image's COPY layers whose
    ``created_by`` (which names the content's digest) the original image does not have."""
    from collections import Counter

    have = Counter(d["created_by"] for d in orig.layer_details)
    layers = ubytes = cbytes = 0
    for d in new.layer_details:
        cb = d["created_by"]
        if have[cb] > 0:
            have[cb] -= 1
            continue
        if "COPY " in cb and ("#(nop)" in cb or cb.startswith("COPY")):
            layers += 1
            ubytes += d["uncompressed_bytes"] or 0
            cbytes += d["compressed_bytes"] or 0
    return layers, ubytes, cbytes


def _build(eng: Engine, text: str, context: Path, tag: str, ignorefile_text: str | None, progress: Progress,
           cache: bool = False):
    """-> (BuiltImage, None) or (a stand-in with the seconds spent, (Failure, build output))."""
    t0 = time.monotonic()
    try:
        if cache:
            return eng.build(text, context, tag, ignorefile_text=ignorefile_text, progress=progress, cache=True), None
        return eng.build(text, context, tag, ignorefile_text=ignorefile_text, progress=progress), None
    except BuildFailed as e:
        seconds = time.monotonic() - t0
        failure = read_failure(text, e.log, e.step_lines)
        if not e.log and failure.kind == "engine":
            failure.reason = str(e)
        return BuiltImage(tag, "", seconds, e.log), (failure, e.log)


def _failure_report(
    original_text: str,
    rewritten_text: str,
    b_orig: BuiltImage,
    orig_failed: tuple[Failure, str] | None,
    b_new: BuiltImage,
    new_failed: tuple[Failure, str] | None,
    engine_label: str,
    dockerfile_name: str,
    ignore: list[tuple[str, str]],
) -> VerifyReport:
    """The verdict when at least one build failed (the original's failure names a step)."""
    corr = correspondence(original_text, rewritten_text)
    f_orig, orig_log = orig_failed if orig_failed else (None, "")
    f_new, new_log = new_failed if new_failed else (None, "")
    r_orig = BuildResult(b_orig.seconds, f_orig, log=orig_log)
    if f_orig is not None and f_orig.step is not None:
        r_orig.original_lines = (f_orig.step.line, f_orig.step.end_line)
        r_orig.original_label = f"line {f_orig.step.line}"
    r_new = BuildResult(b_new.seconds, f_new, log=new_log)
    if f_new is not None and f_new.step is not None:
        r_new.original_lines = corr.original_lines(f_new.step)
        r_new.original_label = corr.label(f_new.step)

    def status(f: Failure) -> str:
        return f"exit status {f.exit_status}" if f.exit_status is not None else f.reason

    problems: list[str] = []
    verdict = ""
    if f_orig is not None and f_new is None:
        moved = corr.rewritten_of(f_orig.step)
        there = f" (where it is part of rewritten line {moved.line})" if moved is not None else ""
        verdict = (
            f"the rewrite hides a failure at line {f_orig.step.line}: the original build fails there "
            f"({status(f_orig)}), the rewritten build{there} succeeds"
        )
        problems.append(verdict)
    elif f_orig is None and f_new is not None:
        if f_new.kind == "engine" or f_new.step is None:
            verdict = (
                f"the rewrite breaks the build: the rewritten {dockerfile_name} does not build and the "
                f"engine names no failing step ({f_new.reason.splitlines()[-1] if f_new.reason else '?'})"
            )
        elif r_new.original_lines is None:
            verdict = (
                f"the rewrite breaks the build at rewritten line {f_new.step.line}, which stands for no "
                f"line of the original ({status(f_new)})"
            )
        else:
            verdict = (
                f"the rewrite breaks the build at {r_new.original_label} "
                f"(rewritten line {f_new.step.line}: {status(f_new)})"
            )
        problems.append(verdict)
    else:
        assert f_orig is not None and f_new is not None
        if f_new.kind == "engine" or f_new.step is None:
            verdict = (
                f"the original fails at line {f_orig.step.line}, the rewrite before any step: the engine "
                f"names no failing step ({f_new.reason.splitlines()[-1] if f_new.reason else '?'})"
            )
            problems.append(verdict)
        elif f_orig.step.key in {s.key for s in corr.originals_of(f_new.step)}:
            verdict = f"both builds fail at line {f_orig.step.line} (as they should)"
            if f_new.step.line != f_orig.step.line or len(corr.originals_of(f_new.step)) > 1:
                verdict += f"; rewritten line {f_new.step.line} holds original {r_new.original_label}"
        else:
            verdict = (
                f"the builds fail at different steps: the original at line {f_orig.step.line}, the rewrite at "
                f"{r_new.original_label} (rewritten line {f_new.step.line})"
            )
            problems.append(verdict)
    return VerifyReport(
        engine_label, dockerfile_name, None, None, None, {}, ignore, problems,
        rewritten_build_log=new_log, original_build=r_orig, rewritten_build=r_new, verdict=verdict,
    )


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
    touch: str | None = None,
    smoke: str | None = None,
    split: bool = False,
) -> tuple[int, str]:
    """Entry point for ``dockeropt verify``.  -> (exit status, output in ``fmt``).

    0: the rewritten image has the same file tree and config and is no bigger, or both builds
    fail at the same step; 1: it differs or is bigger, or the rewrite hides a failure, breaks the
    build or fails at another step (the output names the paths, the lines); 2: verification could
    not run (no engine, base image missing, the engine could not start the original build,
    unreadable file) — the output is one clear message, no traceback.  ``fmt``: ``text`` |
    ``json`` | ``markdown``.
    """
    if fmt not in ("text", "json", "markdown"):
        raise ValueError(f"fmt must be text, json or markdown, not {fmt!r}")
    path = Path(dockerfile_path)
    context = Path(context_dir) if context_dir is not None else (path.parent if str(path.parent) else Path("."))
    eng: Engine | None = None
    touched = None
    try:
        try:
            original = _read_text(path)
        except OSError as e:
            raise VerifyEnvironmentError(f"cannot read {path}: {e.strerror or e}") from e
        if touch is not None:
            if not (context / touch).is_file():
                raise VerifyEnvironmentError(f"--touch {touch}: not a file in the build context {context}")
            eng = get_engine(engine) if not isinstance(engine, Engine) else engine
        report = verify(
            original,
            rewritten_text,
            engine=eng if eng is not None else engine,
            context_dir=context,
            progress=progress,
            ignore=ignore,
            rewritten_dockerignore=rewritten_dockerignore,
            dockerfile_name=str(path),
            smoke=smoke,
            split=split,
        )
        if touch is not None and eng is not None and not report.any_failed:
            from .touch import measure_touch

            touched = measure_touch(eng, original, rewritten_text, context, touch, progress, rewritten_dockerignore)
            report.problems.extend(touched.problems)
    except VerifyEnvironmentError as e:
        return 2, _error_output(str(e), fmt, 2)
    except VerifyError as e:  # engine misbehaved (export failed, unreadable layer)
        return 2, _error_output(f"verification failed: {e}", fmt, 2)
    finally:
        if eng is not None and not isinstance(engine, Engine):
            eng.close()
    out = report.render(fmt)
    if touched is not None:
        if fmt == "json":
            data = json.loads(out)
            data["touch"] = touched.to_dict()
            data["exit_code"] = report.exit_code
            out = json.dumps(data, indent=2) + "\n"
        else:
            out += "\n".join(touched.lines()) + "\n"
    return report.exit_code, out


def _error_output(message: str, fmt: str, code: int) -> str:
    if fmt == "json":
        return json.dumps({"verified": False, "exit_code": code, "error": message}, indent=2) + "\n"
    if fmt == "markdown":
        return f"### dockeropt verify\n\n**cannot verify:** {message}\n"
    return f"dockeropt verify: cannot verify: {message}\n"
