"""Proof by building: build the original and the rewritten Dockerfile with a real engine and
compare layer count, bytes (uncompressed and compressed), build time and the file tree.

    from dockeropt.verify import run_verify
    code, out = run_verify("Dockerfile", rewritten_text=new_text, fmt="markdown")

Exit status: 0 verified (same tree and config, nothing bigger), 1 not verified (names the
differing paths), 2 cannot verify (:class:`VerifyEnvironmentError`: no engine, base image missing,
original does not build).
"""

from .bases import external_images
from .engines import (
    BuildahEngine,
    BuiltImage,
    DockerEngine,
    Engine,
    PodmanEngine,
    get_engine,
    normalize_ref,
)
from .errors import BuildFailed, VerifyEnvironmentError, VerifyError
from .image import ExportedImage, ImageMeasure, LayerCache, measure, read_docker_archive, read_oci_layout
from .report import ImageStats, VerifyReport
from .run import check_environment, run_verify, stderr_progress, verify
from .tree import DEFAULT_IGNORES, Entry, TreeDiff, diff_trees

__all__ = [
    "BuildFailed",
    "BuildahEngine",
    "BuiltImage",
    "DEFAULT_IGNORES",
    "DockerEngine",
    "Engine",
    "Entry",
    "ExportedImage",
    "ImageMeasure",
    "ImageStats",
    "LayerCache",
    "PodmanEngine",
    "TreeDiff",
    "VerifyEnvironmentError",
    "VerifyError",
    "VerifyReport",
    "check_environment",
    "diff_trees",
    "external_images",
    "get_engine",
    "measure",
    "normalize_ref",
    "read_docker_archive",
    "read_oci_layout",
    "run_verify",
    "stderr_progress",
    "verify",
]
