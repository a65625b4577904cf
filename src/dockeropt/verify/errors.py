"""Errors of the verify package."""

from __future__ import annotations


class VerifyError(Exception):
    """Base class of everything :mod:`dockeropt.verify` raises on purpose."""


class VerifyEnvironmentError(VerifyError):
    """Verification could not run: no build engine, a base image is missing, the original
    Dockerfile does not build.  The message says what to install or which image to provide.
    ``run_verify`` turns it into exit status 2.
    """


class BuildFailed(VerifyError):
    """An engine could not build a Dockerfile.  ``log`` holds the end of the build output,
    ``step_lines`` every line that announced a step (``STEP 3/5: RUN ...``), however long the
    output was: :func:`dockeropt.verify.outcome.read_failure` reads both."""

    def __init__(self, message: str, log: str = "", step_lines: list[str] | None = None) -> None:
        super().__init__(message)
        self.log = log
        self.step_lines = list(step_lines or [])
