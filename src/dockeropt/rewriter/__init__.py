"""The rewrite engine and its rules."""

from dockeropt.rewriter.base import Change, Context, Edit, Options, Rule
from dockeropt.rewriter.engine import RewriteResult, UnknownRuleError, rewrite, select_rules

__all__ = ["Change", "Context", "Edit", "Options", "RewriteResult", "Rule", "UnknownRuleError", "rewrite", "select_rules"]
