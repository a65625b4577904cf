"""The one exception the parser raises for input it cannot accept."""

from __future__ import annotations


class DockerfileSyntaxError(ValueError):
    """A Dockerfile that BuildKit would reject.

    ``line`` and ``column`` are 1-based; ``path`` is filled in by callers that know it.
    ``str(err)`` is ``path:line:col: message`` (or ``line:col: message`` without a path).
    """

    def __init__(self, message: str, line: int, column: int = 1, path: str | None = None):
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column
        self.path = path

    def with_path(self, path: str) -> "DockerfileSyntaxError":
        return DockerfileSyntaxError(self.message, self.line, self.column, path)

    def __str__(self) -> str:
        where = f"{self.line}:{self.column}"
        return f"{self.path}:{where}: {self.message}" if self.path else f"{where}: {self.message}"
