"""The rule registry: one module per rule; order here is the order rules run in."""

from dockeropt.rewriter.base import Rule
from dockeropt.rewriter.rules.apt_lists_cleanup import AptListsCleanup

ALL_RULES: list[type[Rule]] = [
    AptListsCleanup,
]
