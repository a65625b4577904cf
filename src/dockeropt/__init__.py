"""dockeropt: find what makes Docker images big and builds slow, and rewrite the Dockerfile safely."""

from dockeropt.syntax.errors import DockerfileSyntaxError
from dockeropt.syntax.nodes import Dockerfile, Instruction
from dockeropt.syntax.parse import parse

__all__ = ["Dockerfile", "DockerfileSyntaxError", "Instruction", "parse"]
__version__ = "0.1.0"
__url__ = "https://github.com/dockeropt/dockeropt"  # where the docs (docs/rules.md) and the action live
