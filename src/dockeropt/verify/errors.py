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
    """An engine could not build a Dockerfile.  ``log`` holds the end of the build output."""

    def __init__(self, message: str, log: str = "") -> None:
        super().__init__(message)
        self.log = log
