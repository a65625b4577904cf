"""Helpers shared by the parser tests: corpus file lists and the parser's input contract."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CORPUS = (REPO / ".." / "shared" / "corpus").resolve()
SKIP_REASON = f"shared corpus not found at {CORPUS} (expected at <repo>/../shared/corpus)"


def corpus_files(sub: str) -> list[Path]:
    d = CORPUS / sub
    if not d.is_dir():
        return []
    return sorted(p for p in d.iterdir() if p.is_file() and not p.name.lower().endswith(".tsv"))


def corpus_params(sub: str):
    """One pytest.param per file of corpus/<sub> (id = file name); one skipped param if absent."""
    files = corpus_files(sub)
    if not files:
        return [pytest.param(None, id=f"{sub}-absent", marks=pytest.mark.skip(reason=SKIP_REASON))]
    return [pytest.param(p, id=p.name) for p in files]


def require_corpus(sub: str) -> list[Path]:
    files = corpus_files(sub)
    if not files:
        pytest.skip(SKIP_REASON)
    return files


def decode(data: bytes) -> str:
    """The parser's input contract: bytes decoded with surrogateescape, newlines untouched."""
    return data.decode("utf-8", "surrogateescape")


def read_text(path: Path) -> str:
    return decode(path.read_bytes())


def show_diff(expected: str, actual: str, context: int = 3) -> str:
    """A short, readable account of where two texts first differ (repr-escaped)."""
    if expected == actual:
        return "identical"
    i = next((i for i, (a, b) in enumerate(zip(expected, actual)) if a != b),
             min(len(expected), len(actual)))
    line = expected.count("\n", 0, i) + 1
    lo = max(0, i - 40)
    return (
        f"first difference at char {i} (line {line}); lengths {len(expected)} vs {len(actual)}\n"
        f"  input : {expected[lo:i + 40]!r}\n"
        f"  output: {actual[lo:i + 40]!r}"
    )
