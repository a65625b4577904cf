"""Property: a rewrite preserves behaviour. Generated Dockerfiles (shellgen.py) are rewritten with
the default rules and with ``unsafe=True`` and run by the differential harness under dash and
bash, with every external call of the original failing in turn; the rewrite must not change the
outcome, the failing RUN's exit status, the commands run (with cwd, umask, environment), stdout
or the files (caches aside).

Examples per property: the profile's own count locally (``default``: at most 15, they are
slow; not shrunk unless HARNESS_SHRINK=1), at least 500 with ``HYPOTHESIS_PROFILE=ci``
(shrunk). Each category of difference (what differs first: which side fails, the commands, the
files...) is raised as its own exception type, so hypothesis shrinks and reports each separately;
the final report names the rules that alone make the difference. ``explore.py`` hunts for all
distinct differences (rules x category) with this same check.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, Phase, event, given, note, settings

from dockeropt.rewriter import rewrite
from harness import Skip, differential_many, prompt_abort
from shellgen import Grammar

_CI = os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci" if _CI else "default")  # as tests/conftest.py
_loaded = settings.default.max_examples
if PROFILE == "ci":
    EXAMPLES = max(500, _loaded)
elif PROFILE == "default":
    EXAMPLES = min(15, _loaded)
else:
    EXAMPLES = _loaded
# locally, report the examples found without shrinking them for minutes; CI shrinks
PHASES = tuple(Phase) if PROFILE == "ci" or os.environ.get("HARNESS_SHRINK") else (
    Phase.explicit, Phase.reuse, Phase.generate)
DIFF_SETTINGS = settings(max_examples=EXAMPLES, phases=PHASES, deadline=None,
                         suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                                HealthCheck.filter_too_much])

_CLASSES: dict[str, type] = {}  # category -> exception type


def _difference(kind: str) -> type:
    """An AssertionError subclass per kind of difference (hypothesis tells bugs apart by type)."""
    if kind not in _CLASSES:
        name = "Differs_" + "".join(ch if ch.isalnum() else "_" for ch in kind)
        _CLASSES[kind] = type(name, (AssertionError,), {})
    return _CLASSES[kind]


def category(rep) -> str:
    """What differs first: outcome (which side fails), exit status, commands, cwd, umask,
    environment, stdout or files."""
    pair = rep.differing[0]
    first = pair.differences[0].split(":")[0]
    if first == "outcome":
        first += " (original " + ("fails" if not pair.orig.ok else "succeeds") + ")"
    return first


def attribute(text: str, variant: str) -> list[str]:
    """The rules that alone (selected on their own) rewrite ``text`` into a file that behaves
    differently; [] when only their combination does."""
    unsafe = variant == "unsafe=True"
    fired = sorted({c.rule for c in rewrite(text, unsafe=unsafe).changes})
    out = []
    for rule in fired:
        alone = rewrite(text, select=[rule], unsafe=True).text
        if alone != text and not differential_many(text, {"x": alone}, fail_fast=True)["x"].equal:
            out.append(rule)
    return out


def _is_final() -> bool:
    try:
        from hypothesis.control import current_build_context

        return current_build_context().is_final
    except Exception:  # noqa: BLE001 (outside a test, or an older hypothesis)
        return True


def check(text: str, known=None) -> None:
    """Rewrite ``text`` both ways and raise an AssertionError subclass (one per category of
    difference) with the harness's report when a rewrite behaves differently. ``known``
    (exploration only): a set of (rules alone, category) to let pass."""
    variants = {"default rules": rewrite(text), "unsafe=True": rewrite(text, unsafe=True)}
    texts = {name: r.text for name, r in variants.items()}
    if all(t == text for t in texts.values()):
        event("rewrite changes nothing")
        return
    event("rules: " + ", ".join(sorted({c.rule for r in variants.values() for c in r.changes})))
    try:
        reports = differential_many(text, texts, fail_fast=True)
    except Skip as e:  # only ever for what the grammar does not make
        pytest.fail(f"the harness cannot model a generated Dockerfile: {e}\n{text}")
    n_calls = max(max(r.calls.values(), default=0) for r in reports.values())
    event(f"external calls: {'0' if n_calls == 0 else '1-4' if n_calls < 5 else '5-9' if n_calls < 10 else '10+'}")
    # with unsafe fixes, a package manager that stopped at its prompt may go on (the -y rules)
    bad = [(name, rep) for name, rep in reports.items()
           if not rep.equal and not (name == "unsafe=True" and all(prompt_abort(p) for p in rep.differing))]
    if not bad:
        return
    name, rep = bad[0]
    cat = category(rep)
    rules = sorted({c.rule for c in variants[name].changes})
    msg = f"{cat}; rewritten with {name}, rules that fired: {', '.join(rules)}\n"
    if known is not None or _is_final():
        alone = attribute(text, name)
        if known is not None and (tuple(alone), cat) in known:
            return
        msg += f"rules that alone make a difference: {', '.join(alone) or '(only their combination)'}\n"
    raise _difference(cat)(msg + rep.text())


@DIFF_SETTINGS
@given(Grammar().dockerfile())
def test_shell_fragments(full_pool, text):
    """Plain shell: lists, compound commands, set -e and friends, cd/export/exit/trap, ok/fail."""
    note(text)
    check(text)


@pytest.fixture(scope="module")
def plain_only(pool):
    if pool.full:
        pytest.skip("the overlay sandbox works: test_shell_fragments covers this")
    return pool


@DIFF_SETTINGS
@given(Grammar(plain=True).dockerfile())
def test_shell_fragments_plain_sandbox(plain_only, text):
    """Without the overlay sandbox (plain temp directory fallback): the same property, one stage."""
    note(text)
    check(text)


@DIFF_SETTINGS
@given(Grammar(pm=True).dockerfile())
def test_package_managers(full_pool, text):
    """Shell fragments with apt/apk/pip/npm calls; the first RUN fetches the apt lists and the
    apk index, installs say -y: the build works before the rewrite."""
    note(text)
    check(text)


@DIFF_SETTINGS
@given(Grammar(pm=True, prompts=True).dockerfile())
def test_package_managers_any_environment(full_pool, text):
    """As above without the helping first RUN, and with installs that ask for confirmation."""
    note(text)
    check(text)
