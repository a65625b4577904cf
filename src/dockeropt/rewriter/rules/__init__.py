"""The rule registry: one module per rule; order here is the order rules run in."""

from dockeropt.rewriter.base import Rule
from dockeropt.rewriter.rules.apt_lists_cleanup import AptListsCleanup
from dockeropt.rewriter.rules.merge_runs import MergeRuns
from dockeropt.rewriter.rules.apt_get_yes import AptGetYes
from dockeropt.rewriter.rules.apt_no_install_recommends import AptNoInstallRecommends
from dockeropt.rewriter.rules.apk_no_cache import ApkNoCache
from dockeropt.rewriter.rules.pip_no_cache_dir import PipNoCacheDir
from dockeropt.rewriter.rules.yum_yes import YumYes
from dockeropt.rewriter.rules.yum_clean import YumClean
from dockeropt.rewriter.rules.dnf_yes import DnfYes
from dockeropt.rewriter.rules.dnf_clean import DnfClean
from dockeropt.rewriter.rules.zypper_non_interactive import ZypperNonInteractive
from dockeropt.rewriter.rules.zypper_clean import ZypperClean
from dockeropt.rewriter.rules.npm_cache_clean import NpmCacheClean
from dockeropt.rewriter.rules.yarn_cache_clean import YarnCacheClean
from dockeropt.rewriter.rules.cache_mounts import CacheMounts
from dockeropt.rewriter.rules.copy_deps_first import CopyDepsFirst
from dockeropt.rewriter.rules.dockerignore import Dockerignore
from dockeropt.rewriter.rules.multi_stage import MultiStage

ALL_RULES: list[type[Rule]] = [
    # first: it needs the install RUN as the author wrote it, before merge-runs joins it with a build
    CopyDepsFirst,
    MergeRuns,
    AptListsCleanup,
    # package managers (rewriter/managers.py, rules/families.py): flags, cache clean-up, or
    # cache mounts in mount mode
    AptGetYes,
    AptNoInstallRecommends,
    ApkNoCache,
    PipNoCacheDir,
    YumYes,
    YumClean,
    DnfYes,
    DnfClean,
    ZypperNonInteractive,
    ZypperClean,
    NpmCacheClean,
    YarnCacheClean,
    CacheMounts,
    Dockerignore,  # reports only: the .dockerignore is written by dockeropt --dockerignore
    # structural: runs last, on what the other rules made of the stage
    MultiStage,
]
