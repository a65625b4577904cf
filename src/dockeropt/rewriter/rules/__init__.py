"""The rule registry: one module per rule; order here is the order rules run in."""

from dockeropt.rewriter.base import Rule
from dockeropt.rewriter.rules.apt_lists_cleanup import AptListsCleanup
from dockeropt.rewriter.rules.merge_runs import MergeRuns

ALL_RULES: list[type[Rule]] = [
    MergeRuns,
    AptListsCleanup,
]
