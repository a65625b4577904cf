"""Proof by building: build the original and the rewritten Dockerfile with a real engine and
compare layer count, bytes (uncompressed and compressed), build time and the file tree.

    from dockeropt.verify import run_verify
    code, out = run_verify("Dockerfile", rewritten_text=new_text, fmt="markdown")

Exit status: 0 verified (same tree and config, nothing bigger; or both builds fail at the same
step), 1 not verified (names the differing paths; or the rewrite hides a failure, breaks the build,
fails at another step — naming the lines), 2 cannot verify (:class:`VerifyEnvironmentError`: no
engine, base image missing, the engine could not start the original build).
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
from .outcome import Correspondence, Failure, Step, correspondence, read_failure, steps_of
from .image import ExportedImage, ImageMeasure, LayerCache, measure, read_docker_archive, read_oci_layout
from .report import BuildResult, ImageStats, VerifyReport
from .run import check_environment, run_verify, stderr_progress, verify
from .tree import DEFAULT_IGNORES, Entry, TreeDiff, diff_trees

__all__ = [
    "BuildFailed",
    "BuildResult",
    "Correspondence",
    "Failure",
    "Step",
    "correspondence",
    "read_failure",
    "steps_of",
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
