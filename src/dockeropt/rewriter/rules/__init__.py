"""The rule registry: one module per rule; order here is the order rules run in."""

from dockeropt.rewriter.base import Rule

ALL_RULES: list[type[Rule]] = []
