"""Every report format over the whole shared corpus (and its invalid files, for the error paths):

- ``--format sarif`` validates against the official SARIF 2.1.0 schema, and its fixes, applied to
  the original, give the ``--write`` result;
- ``--format rdjson`` validates against reviewdog's DiagnosticResult schema (each diagnostic
  against Diagnostic.json too), every suggestion is line-based with the range reviewdog needs, and
  applying every suggestion as GitHub does gives exactly the ``--write`` result;
- ``--format json`` validates against the schema shipped in the package, and its hunks give the
  ``--write`` result;
- ``--format github`` is one well-formed workflow command per line;
- ``--format markdown`` renders (CommonMark + GFM tables) with every file's table rows.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from dockeropt.report.common import FileError, FileReport, RunInfo, module
from dockeropt.report.hunks import split_lines
from dockeropt.rewriter.engine import rewrite
from dockeropt.syntax.errors import DockerfileSyntaxError

pytestmark = pytest.mark.corpus
jsonschema = pytest.importorskip("jsonschema")
SCHEMAS = Path(__file__).resolve().parents[2] / ".." / "shared" / "schemas"


def _read(path: Path) -> str:
    return path.read_bytes().decode("utf-8", "surrogateescape")


@pytest.fixture(scope="module")
def reports(corpus) -> list[FileReport]:
    """One FileReport per corpus file (all rules, unsafe fixes too, so every rule shows up),
    plus the invalid files as syntax errors."""
    out = []
    for f in sorted((corpus / "files").iterdir()) + sorted((corpus / "invalid").iterdir()):
        if not f.is_file() or f.suffix == ".tsv":
            continue
        report = FileReport(str(f.relative_to(corpus.parent)), mode="diff")
        try:
            report.result = rewrite(_read(f), unsafe=True, path=report.path)
        except DockerfileSyntaxError as e:
            report.error = FileError(e.message, e.line, e.column, "syntax")
        out.append(report)
    assert sum(r.changed for r in out) > 500
    assert any(r.error for r in out)
    return out


def render(name: str, reports) -> str:
    fmt = module(name)
    parts = [fmt.file(r, {}) for r in reports]
    if fmt.STREAM:
        return "".join(parts)
    info = RunInfo(mode="diff", files=len(reports), changed=sum(r.changed for r in reports),
                   errors=sum(r.error is not None for r in reports))
    return fmt.document(parts, info, {})


def _schema(name: str) -> dict:
    path = SCHEMAS / name
    if not path.is_file():
        pytest.skip(f"{path} not found")
    return json.loads(path.read_text())


def _errors(validator, doc, limit=5) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message[:300]}" for e in list(validator.iter_errors(doc))[:limit]]


# --- SARIF -----------------------------------------------------------------------------------

def test_sarif_of_the_whole_corpus_validates_against_the_2_1_0_schema(reports):
    doc = json.loads(render("sarif", reports))
    validator = jsonschema.Draft7Validator(_schema("sarif-schema-2.1.0.json"))
    assert not _errors(validator, doc)
    run = doc["runs"][0]
    results = run["results"]
    rule_ids = [r["id"] for r in run["tool"]["driver"]["rules"]]
    assert len(rule_ids) == len(set(rule_ids)) >= 15
    assert all(r["helpUri"].startswith("https://") and r["help"]["text"] for r in run["tool"]["driver"]["rules"])
    for r in results:
        assert rule_ids[r["ruleIndex"]] == r["ruleId"]
    fixes = sum(1 for r in results if r.get("fixes"))
    assert fixes > 500
    assert run["invocations"][0]["toolExecutionNotifications"]  # the invalid files
    print(f"\nSARIF: {len(reports)} files, {len(results)} results, {fixes} with fixes: valid")


def _apply_sarif(original: str, replacements: list[dict]) -> str:
    lines = split_lines(original)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))

    def offset(line: int, column: int) -> int:
        return starts[line - 1] + column - 1 if line <= len(lines) else starts[-1] + column - 1

    edits = sorted({(offset(r["deletedRegion"]["startLine"], r["deletedRegion"]["startColumn"]),
                     offset(r["deletedRegion"]["endLine"], r["deletedRegion"]["endColumn"]),
                     r["insertedContent"]["text"]) for r in replacements})
    out, pos = [], 0
    for start, end, text in edits:
        assert start >= pos, "overlapping replacements"
        out += [original[pos:start], text]
        pos = end
    return "".join(out) + original[pos:]


def test_sarif_fixes_give_the_write_result(reports):
    doc = json.loads(render("sarif", reports))
    by_uri: dict[str, list] = {}
    for r in doc["runs"][0]["results"]:
        for fix in r.get("fixes", []):
            for change in fix["artifactChanges"]:
                by_uri.setdefault(change["artifactLocation"]["uri"], []).extend(change["replacements"])
    checked = 0
    for report in reports:
        if report.changed:
            reps = by_uri.get(report.path.replace("\\", "/"))
            if reps is None:  # quoted in the URI
                from urllib.parse import quote

                reps = by_uri[quote(report.path, safe="/")]
            assert _apply_sarif(report.result.original, reps) == report.result.text, report.path
            checked += 1
    assert checked > 500


# --- rdjson ----------------------------------------------------------------------------------

def apply_suggestions(original: str, diagnostics: list[dict]) -> str:
    """Apply line-based suggestions as GitHub applies a suggested change: lines start..end are
    replaced by the suggestion's lines; the last replaced line keeps its line ending."""
    lines = split_lines(original)
    edits = []
    for d in diagnostics:
        for s in d.get("suggestions", []):
            start, end = s["range"]["start"]["line"], s["range"]["end"]["line"]
            last = lines[end - 1]
            ending = last[len(last.rstrip("\r\n")):]
            edits.append((start, end, s["text"] + ending))
    out, pos = [], 0
    for start, end, text in sorted(edits):
        assert start - 1 >= pos, "overlapping suggestions"
        out += lines[pos:start - 1] + [text]
        pos = end
    return "".join(out + lines[pos:])


def test_rdjson_of_the_whole_corpus_validates_against_reviewdogs_schema(reports):
    doc = json.loads(render("rdjson", reports))
    assert not _errors(jsonschema.Draft4Validator(_schema("reviewdog/DiagnosticResult.json")), doc)
    one = jsonschema.Draft4Validator(_schema("reviewdog/Diagnostic.json"))
    suggestion = jsonschema.Draft4Validator(_schema("reviewdog/Suggestion.json"))
    with_suggestions = 0
    for d in doc["diagnostics"]:
        assert not _errors(one, d)
        for s in d.get("suggestions", []):
            assert not _errors(suggestion, s)
        if d.get("suggestions"):
            with_suggestions += 1
            (s,) = d["suggestions"]  # reviewdog posts one suggestion per comment
            # line-based (no columns), on the diagnostic's own lines: what github-pr-review needs
            assert s["range"] == d["location"]["range"]
            assert "column" not in s["range"]["start"] and "column" not in s["range"]["end"]
    assert with_suggestions > 500
    print(f"\nrdjson: {len(doc['diagnostics'])} diagnostics, {with_suggestions} with a suggestion: valid")


def test_applying_every_rdjson_suggestion_gives_exactly_the_write_result(reports):
    doc = json.loads(render("rdjson", reports))
    by_path: dict[str, list] = {}
    for d in doc["diagnostics"]:
        by_path.setdefault(d["location"]["path"], []).append(d)
    checked = 0
    for report in reports:
        if report.result is None:
            continue
        got = apply_suggestions(report.result.original, by_path.get(report.path, []))
        assert got == report.result.text, report.path
        checked += report.changed
    assert checked > 500
    print(f"\nrdjson suggestions: {checked} changed files round-trip exactly")


# --- json ------------------------------------------------------------------------------------

def test_json_validates_against_the_shipped_schema_and_its_hunks_give_the_write_result(reports):
    from dockeropt.report.json_doc import schema_text

    schema = json.loads(schema_text())
    jsonschema.Draft7Validator.check_schema(schema)
    text = render("json", reports)
    doc = json.loads(text)
    assert not _errors(jsonschema.Draft7Validator(schema), doc)
    assert json.loads(json.dumps(doc)) == doc
    for report, entry in zip(reports, doc["files"]):
        assert entry["path"] == report.path
        if report.result is None:
            assert entry["error"]["kind"] == "syntax"
            continue
        lines = split_lines(report.result.original)
        out, pos = [], 0
        for h in entry["hunks"]:
            out += lines[pos:h["line"] - 1] + [h["text"]]
            pos = h["end_line"]
        assert "".join(out + lines[pos:]) == report.result.text, report.path
        for c in entry["changes"]:
            assert c["replacements"], (report.path, c)  # every applied change shows its new text


# --- github ----------------------------------------------------------------------------------

COMMAND = re.compile(r"^::(warning|notice|error) (file=[^,:]*(?:,(?:line|endLine|col|title)=[^,:]*)*)::[^\r\n]*$")


def test_github_annotations_are_one_well_formed_command_per_line(reports):
    text = render("github", reports)
    lines = text.splitlines()
    assert len(lines) > 1000
    for line in lines:
        assert COMMAND.match(line), line


# --- markdown --------------------------------------------------------------------------------

def test_markdown_renders_with_a_row_per_file_and_rule(reports):
    mdit = pytest.importorskip("markdown_it")
    sample = [r for r in reports if r.changed][:20]
    text = render("markdown", sample)
    html = mdit.MarkdownIt("commonmark").enable("table").render(text)
    rows = sum(len({d.rule for d in r.result.changes}) for r in sample)
    assert html.count("<tr>") == rows + 1  # and the header
    assert html.count("<details>") == len(sample)
    assert html.count('<code class="language-diff">') == len(sample)


def test_markdown_of_the_whole_corpus_stays_under_githubs_comment_limit(reports):
    from dockeropt.report.markdown import MAX_CHARS

    text = render("markdown", reports)
    assert len(text) <= MAX_CHARS < 65_536
    assert "more file(s) left out" in text
    assert text.startswith("## dockeropt\n\n**") and "Dockerfiles would be rewritten" in text
