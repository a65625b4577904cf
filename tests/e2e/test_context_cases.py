"""End-to-end proof for the build-context rules (``context_cases/<name>/``: ``context/`` with
the Dockerfile in it, and a ``case.toml``):

- ``copy-deps-first`` cases (``touch``, ``install``): the rewrite must fire, build to the same
  file tree (``verify``: exit 0; the manifest COPY layer is the only growth), and after an edit
  of the ``touch`` file a second build of the rewrite must take the install RUN from the cache
  while the original's second build re-runs it (``verify --touch``, read from buildah's output).
- ``dockerignore`` cases (``[junk]``: path -> size, made at test time: git cannot hold a
  ``.git`` directory): the generated .dockerignore keeps the image identical (the rewritten
  build uses it, the original does not) and fewer files and bytes reach the builder.
"""

from __future__ import annotations

import hashlib
import shutil
import time
import tomllib
from pathlib import Path

import pytest

CASES = Path(__file__).parent / "context_cases"
CASE_DIRS = sorted(p for p in CASES.iterdir() if (p / "case.toml").is_file())


def _junk(root: Path, spec: dict[str, int]) -> None:
    for rel, size in spec.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        seed = hashlib.sha256(rel.encode()).digest()
        data = bytearray()
        while len(data) < size:
            seed = hashlib.sha256(seed).digest()
            data += seed
        p.write_bytes(bytes(data[:size]))


@pytest.mark.e2e
@pytest.mark.parametrize("case_dir", CASE_DIRS, ids=[d.name for d in CASE_DIRS])
def test_context_case(case_dir: Path, tmp_path, request, e2e_results):
    from dockeropt.model import Model
    from dockeropt.model.context import BuildContext
    from dockeropt.rewriter import rewrite
    from dockeropt.rewriter.dockerignore import propose
    from dockeropt.syntax.parse import parse
    from dockeropt.verify import verify
    from dockeropt.verify.touch import measure_touch

    with open(case_dir / "case.toml", "rb") as f:
        case = tomllib.load(f)
    context = tmp_path / "context"
    shutil.copytree(case_dir / "context", context, symlinks=True)
    _junk(context, case.get("junk", {}))
    dockerfile = context / "Dockerfile"
    text = dockerfile.read_text()
    bc = BuildContext(str(context), str(dockerfile))
    engine = request.getfixturevalue("e2e_engine")
    layer_cache = request.getfixturevalue("layer_cache")
    t0 = time.monotonic()
    record: dict = {"case": case_dir.name, "expect": "build"}

    if case.get("dockerignore"):
        tree = parse(text, strict=True)
        p = propose(tree, Model(tree), bc, dockerfile=str(dockerfile))
        assert p.changed and not p.held, (p.new_text, [c.unsafe for c in p.held])
        (f0, b0), (f1, b1) = p.before, p.after
        assert f1 < f0 and b1 < b0, p.summary()
        report = verify(text, text, engine=engine, context_dir=context, rewritten_dockerignore=p.new_text,
                        progress=print, dockerfile_name=f"{case_dir.name}/Dockerfile", layer_cache=layer_cache,
                        build_identical=True)
        print(report.to_text())
        print(p.summary())
        d = report.to_dict()
        record.update(seconds=time.monotonic() - t0, changed=True, rules=["dockerignore"], original=d["original"],
                      rewritten=d["rewritten"], result=("verified" if report.verified else "NOT verified")
                      + f"; context {f0} files/{b0} B -> {f1} files/{b1} B")
        e2e_results.append(record)
        assert report.exit_code == 0, report.to_text() + "\n" + p.new_text
        assert report.tree_diff is not None and report.tree_diff.empty
        return

    result = rewrite(text, select=case.get("rules"), unsafe=case.get("unsafe", False), context=bc)
    assert result.changed, [f.message for f in result.findings]
    assert "copy-deps-first" in [c.rule for c in result.changes]
    # With the layer cache: the toolchain RUN (same parent, same text) is installed once for both
    # builds and the --touch builds; every layer the rewrite changes is still built.
    report = verify(text, result.text, engine=engine, context_dir=context, progress=print,
                    dockerfile_name=f"{case_dir.name}/Dockerfile", layer_cache=layer_cache, use_cache=True)
    print(report.to_text())
    assert report.exit_code == 0, report.to_text() + "\n" + result.text
    touched = measure_touch(engine, text, result.text, context, case["touch"], progress=print)
    print("\n".join(touched.lines()))
    d = report.to_dict()
    orig_runs = [s.instruction for s in touched.original.rerun_runs]
    new_runs = [s.instruction for s in touched.rewritten.rerun_runs]
    record.update(seconds=time.monotonic() - t0, changed=True, rules=["copy-deps-first"], original=d["original"],
                  rewritten=d["rewritten"],
                  result=f"verified; after editing {case['touch']}: original re-runs {len(orig_runs)} RUN step(s), "
                         f"rewritten {len(new_runs)}")
    e2e_results.append(record)
    install = case["install"]
    assert any(r.startswith(install) for r in orig_runs), (install, orig_runs)
    assert not any(r.startswith(install) for r in new_runs), (install, new_runs)
    assert not touched.problems
