"""dockeropt: find what makes Docker images big and builds slow, and rewrite the Dockerfile safely."""

from dockeropt.syntax.errors import DockerfileSyntaxError
from dockeropt.syntax.parse import parse

__all__ = ["DockerfileSyntaxError", "parse"]
__version__ = "0.1.0"
