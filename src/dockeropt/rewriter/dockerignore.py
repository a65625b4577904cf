"""The generated .dockerignore: what the build context sends that no instruction needs.

:func:`propose` walks the context (with BuildKit's semantics for the ignore file already there)
and proposes entries for what is actually in it:

- VCS metadata (``.git``, ``.hg``, ``.svn``);
- dependency and build output the image makes itself: ``node_modules``, ``.venv``/``venv``,
  ``__pycache__``, ``*.pyc``, ``target`` (next to Cargo.toml or pom.xml), ``.gradle``, and
  ``dist``/``build`` only when a RUN of the Dockerfile builds them;
- tool caches (``.pytest_cache``, ``.mypy_cache``, ``.ruff_cache``, ``.tox``, ``.nox``, coverage
  output), editor and OS files (``.idea``, ``.vscode``, ``.DS_Store``, ``*.swp``), logs;
- local secrets (``.env``, ``.env.local``, ``*.pem``, ``*.key``, ``id_rsa``, ``id_ed25519``):
  they must not reach the builder;
- the Dockerfile and the ignore file themselves, and compose files.

Every entry is checked against what the build reads from the context: every COPY/ADD source
(globs expanded) and every ``RUN --mount=type=bind`` of every stage. An entry that would exclude
a path an explicit source needs (``COPY dist/ …`` keeps ``dist``) is never proposed. An entry
that excludes something a whole-context copy (``COPY . …``, a bind mount of the context, a source
dockeropt cannot resolve) would put in the image changes the image: such an entry is *unsafe*,
written only with ``--unsafe-fixes``, and says what leaves the image.

An existing ignore file is kept byte for byte (lines, comments, order); the entries are appended
in a marked block. Appended exclusions come last, so they win over earlier ``!`` lines for the
paths they match — which is why each entry is checked against the needed paths with the whole
new file. The numbers reported are files and bytes sent to the builder before and after.

Its length (~530 lines) is the proposal plus ``run_cli``, the ``--dockerignore`` report.
"""

from __future__ import annotations

import os
import posixpath
import re
from dataclasses import dataclass, field
from typing import Optional

from dockeropt.model.context import BudgetExceeded, BuildContext, ContextError, Entry
from dockeropt.model.copies import context_reads, has_glob
from dockeropt.model.patterns import PatternError, PatternMatcher, source_regex

MARK = "# --- added by dockeropt --dockerignore"

# (name or glob of a path component, category, kind: "dir" / "file" / "any", where: "root" or "any")
RULES: list[tuple[str, str, str]] = [
    (".git", "VCS metadata", "any"), (".hg", "VCS metadata", "dir"), (".svn", "VCS metadata", "dir"),
    (".bzr", "VCS metadata", "dir"),
    ("node_modules", "dependencies the image installs itself", "dir"),
    (".venv", "a virtualenv the image makes itself", "dir"),
    ("__pycache__", "Python bytecode", "dir"), ("*.pyc", "Python bytecode", "file"),
    (".pytest_cache", "tool caches", "dir"), (".mypy_cache", "tool caches", "dir"),
    (".ruff_cache", "tool caches", "dir"), (".tox", "tool caches", "dir"), (".nox", "tool caches", "dir"),
    (".coverage", "tool caches", "file"), ("htmlcov", "tool caches", "dir"), ("coverage", "tool caches", "dir"),
    (".nyc_output", "tool caches", "dir"), (".gradle", "tool caches", "dir"), (".parcel-cache", "tool caches", "dir"),
    (".next", "build output", "dir"), (".turbo", "tool caches", "dir"), (".eslintcache", "tool caches", "file"),
    (".idea", "editor and OS files", "dir"), (".vscode", "editor and OS files", "dir"),
    (".DS_Store", "editor and OS files", "file"), ("Thumbs.db", "editor and OS files", "file"),
    ("*.swp", "editor and OS files", "file"), ("*.swo", "editor and OS files", "file"),
    ("*.log", "logs", "file"),
    (".env", "local secrets", "file"), (".env.local", "local secrets", "file"), (".env.*.local", "local secrets", "file"),
    ("*.pem", "local secrets", "file"), ("*.key", "local secrets", "file"), ("id_rsa", "local secrets", "file"),
    ("id_ed25519", "local secrets", "file"), ("id_ecdsa", "local secrets", "file"), ("*.p12", "local secrets", "file"),
    ("docker-compose*.yml", "compose files", "file"), ("docker-compose*.yaml", "compose files", "file"),
    ("compose.yml", "compose files", "file"), ("compose.yaml", "compose files", "file"),
]
ROOT_ONLY = {"coverage", "docker-compose*.yml", "docker-compose*.yaml", "compose.yml", "compose.yaml"}
# build output: proposed only when a RUN builds it
BUILD_DIRS = {"dist": r"\b(npm|yarn|pnpm)\b.*\b(build|run\s+build)\b|python[0-9.]*\s+-m\s+build\b|\bsetup\.py\b.*\b(sdist|bdist)",
              "build": r"\b(npm|yarn|pnpm)\b.*\bbuild\b|\bgradlew?\b|\bcmake\b|python[0-9.]*\s+-m\s+build\b|\bsetup\.py\b",
              "target": r"\bcargo\s+build\b|\bmvnw?\b"}
CATEGORY_ORDER = ["VCS metadata", "local secrets", "dependencies the image installs itself", "a virtualenv the image makes itself",
                  "build output", "Python bytecode", "tool caches", "editor and OS files", "logs", "compose files",
                  "the Dockerfile and its ignore file"]


@dataclass
class Candidate:
    pattern: str
    category: str
    paths: list[str] = field(default_factory=list)  # sent paths it matches (itself or below)
    files: int = 0
    bytes: int = 0
    unsafe: Optional[str] = None  # why applying it changes the image
    refused: Optional[str] = None  # why it is not proposed at all


@dataclass
class Proposal:
    ignore_path: str  # the file to write
    old_text: str
    new_text: str
    applied: list[Candidate]
    held: list[Candidate]  # unsafe ones not applied (no --unsafe-fixes)
    refused: list[Candidate]
    before: tuple[int, int]  # (files, bytes) sent before
    after: tuple[int, int]
    notes: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return self.new_text != self.old_text

    def summary(self) -> str:
        (f0, b0), (f1, b1) = self.before, self.after
        return (f"sent to the builder: {f0:,} files, {_size(b0)} before; {f1:,} files, {_size(b1)} after "
                f"({f0 - f1:,} files, {_size(b0 - b1)} less)")


def _size(n: int) -> str:
    for unit, k in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if abs(n) >= k:
            return f"{n / k:.1f} {unit}"
    return f"{n} B"


# --------------------------------------------------------------------------------------------


@dataclass
class Needs:
    """What the Dockerfile reads from the context."""

    explicit: list[tuple[str, "re.Pattern[str]", int]] = field(default_factory=list)  # (what, regex, line)
    whole: list[tuple[str, int]] = field(default_factory=list)  # (what, line): copies everything
    builds: str = ""  # the text of every RUN (to see what it builds)


def needs_of(tree, model, label_line=lambda n: n, of: str = "") -> Needs:
    out = Needs()
    for r in context_reads(model):
        line = f"{label_line(r.line)}{of}"
        for src in r.sources:
            if src is None:
                out.whole.append((f"{r.ins.keyword} at line {line} (a source dockeropt cannot resolve)", line))
            elif src == ".":
                what = "the bind mount of the context" if r.kind == "mount" else f"{r.ins.keyword} ."
                out.whole.append((f"{what} at line {line}", line))
            else:
                try:
                    what = f"--mount source={src}" if r.kind == "mount" else f"{r.ins.keyword} {src}"
                    out.explicit.append((what, source_regex(src), line))
                except PatternError:
                    out.whole.append((f"{r.ins.keyword} at line {line} (a source dockeropt cannot read)", line))
    out.builds = _builds(tree)
    return out


def _builds(tree) -> str:
    """The text of every RUN (what ``candidate_patterns`` searches for build-output dirs)."""
    from dockeropt.syntax import nodes as n

    return "\n".join(ins.line for ins in tree.instructions if isinstance(ins, n.Run))


def _under(path: str, root: str) -> bool:
    return root == "." or path == root or path.startswith(root + "/")


_EXACT = {name: (cat, kind) for name, cat, kind in RULES if not has_glob(name)}
_GLOBS = [(re.compile(_rx), name, cat, kind) for name, cat, kind in RULES if has_glob(name)
          for _rx in ["^" + ".*".join(re.escape(part) for part in name.split("*")) + "$"]]


def _rule_for(name: str, kind: str, depth: int) -> Optional[tuple[str, str]]:
    """(rule name, category) of a path component, if a rule proposes it."""
    hit = _EXACT.get(name)
    found = [(name, hit[0], hit[1])] if hit else [(rn, cat, k) for rx, rn, cat, k in _GLOBS if rx.match(name)]
    for rname, cat, k in found:
        if (k == "dir" and kind != "dir") or (k == "file" and kind == "dir"):
            continue
        if rname in ROOT_ONLY and depth:
            continue
        return rname, cat
    return None


def candidate_patterns(entries: list[Entry], needs: Needs, dockerfile_rel: Optional[str], ignore_rel: Optional[str]) -> dict[str, Candidate]:
    """Proposed patterns (pattern -> Candidate) for the sent paths: a plain name for a top-level
    path, ``**/name`` for one found deeper or for a glob."""
    found: dict[str, Candidate] = {}
    # which build-output directories the RUNs make (searched only for a top-level one present)
    present = {e.path for e in entries if e.kind == "dir" and e.path in BUILD_DIRS}
    build_dirs = {d for d in present if re.search(BUILD_DIRS[d], needs.builds)}
    top = {e.path for e in entries if "/" not in e.path}
    for e in entries:
        name = e.path.rsplit("/", 1)[-1]
        depth = e.path.count("/")
        hit = _rule_for(name, e.kind, depth)
        if hit is not None:
            rname, cat = hit
            pattern = rname if depth == 0 and not has_glob(rname) else f"**/{rname}"
            found.setdefault(pattern, Candidate(pattern, cat))
        elif e.kind == "dir" and depth == 0 and name in build_dirs:
            if name != "target" or {"Cargo.toml", "pom.xml"} & top:
                found.setdefault(name, Candidate(name, "build output"))
    for rel in (dockerfile_rel, ignore_rel):
        if rel and rel in top | {e.path for e in entries if e.path == rel}:
            found.setdefault(rel, Candidate(rel, "the Dockerfile and its ignore file"))
    for pat in list(found):  # **/x covers x at the top too
        if f"**/{pat}" in found:
            del found[pat]
    return found


def _matching(pattern: str, entries: list[Entry]) -> list[str]:
    """Paths a proposed pattern excludes (itself or below), as BuildKit would: a plain
    top-level name, or ``**/G`` (any component matching G)."""
    if pattern.startswith("**/"):
        g = pattern[3:]
        if has_glob(g):
            rx = re.compile("^" + "[^/]*".join(re.escape(part) for part in g.split("*")) + "$")
            return [e.path for e in entries if any(rx.match(part) for part in e.path.split("/"))]
        return [e.path for e in entries if g in e.path.split("/")]
    return [e.path for e in entries if e.path == pattern or e.path.startswith(pattern + "/")]


def _venv(ctx: BuildContext, entries: list[Entry]) -> list[str]:
    """``venv``/``env`` directories that are virtualenvs (they hold pyvenv.cfg)."""
    return [e.path for e in entries if e.kind == "dir" and e.path.rsplit("/", 1)[-1] in ("venv", "env", ".virtualenv")
            and ctx.lstat(e.path + "/pyvenv.cfg") is not None]


def propose(tree, model, ctx: BuildContext, *, dockerfile: Optional[str], unsafe: bool = False,
            siblings: list = (), budget: Optional[int] = None, sizes: bool = True, label_line=lambda n: n,
            prune: bool = False, only_if_more: bool = False) -> Proposal:
    """The .dockerignore for this Dockerfile (and ``siblings``: other (tree, model) pairs that
    share the ignore file). Raises ContextError (unusable context or ignore file) and
    BudgetExceeded (``budget`` entries walked). ``prune``: do not walk into directories that
    are proposed whole (node_modules, .git ...): quicker, for a report; the numbers then leave
    out what is inside them. ``only_if_more``: propose nothing (an empty Proposal) when only
    the Dockerfile and the ignore file itself would be proposed (the rule's check: quicker, and
    most contexts are so)."""
    ctx.check()
    root = ctx.real_root
    target = ignore_target(ctx, dockerfile)
    overridden = ctx._ignore_text is not None  # an ignore file's content given (what it would be)
    old_bytes = ctx.ignore_bytes if overridden or (ctx.ignore_path and os.path.realpath(ctx.ignore_path) == os.path.realpath(target)) else None
    old_text = old_bytes.decode("utf-8", "surrogateescape") if old_bytes is not None else ""
    errors: list[str] = []
    entries = ctx.entries(budget=budget, sizes=sizes, errors=errors, prune=PRUNE if prune else None)
    if only_if_more:
        first = candidate_patterns(entries, Needs(builds=_builds(tree)), _rel_in(root, dockerfile), _rel_in(root, target))
        if all(c.category == "the Dockerfile and its ignore file" for c in first.values()) and not _venv(ctx, entries):
            return Proposal(target, old_text, old_text, [], [], [], (0, 0), (0, 0), [])
    needs = needs_of(tree, model, label_line)
    for sib in siblings:
        t, m = sib[0], sib[1]
        more = needs_of(t, m, of=f" of {sib[2]}" if len(sib) > 2 else " of another Dockerfile")
        needs.explicit += more.explicit
        needs.whole += more.whole
        needs.builds += "\n" + more.builds
    df_rel = _rel_in(root, dockerfile)
    ig_rel = _rel_in(root, target)
    cands = candidate_patterns(entries, needs, df_rel, ig_rel)
    for path in _venv(ctx, entries):
        pat = path if "/" not in path else f"**/{path.rsplit('/', 1)[-1]}"
        cands.setdefault(pat, Candidate(pat, "a virtualenv the image makes itself"))
    # what each candidate would exclude, and whether the build needs it
    by_path = {e.path: e for e in entries}
    needed_explicit: dict[str, tuple[str, int]] = {}
    for src, rx, line in needs.explicit:
        for e in entries:
            if rx.match(e.path):
                needed_explicit.setdefault(e.path, (src, line))
    explicit_roots = sorted(needed_explicit)
    applied: list[Candidate] = []
    held: list[Candidate] = []
    refused: list[Candidate] = []
    for pat in sorted(cands, key=lambda p: (CATEGORY_ORDER.index(cands[p].category), p)):
        cand = cands[pat]
        cand.paths = _matching(pat, entries)
        if not cand.paths:
            continue
        cand.files = sum(1 for p in cand.paths if by_path[p].kind != "dir")
        cand.bytes = sum(by_path[p].size for p in cand.paths)
        clash = _clash(cand.paths, explicit_roots, needed_explicit) or _source_clash(pat, needs.explicit)
        if clash:
            cand.refused = clash
            refused.append(cand)
            continue
        if needs.whole:
            what, _ = needs.whole[0]
            if what.startswith("the bind mount"):
                cand.unsafe = (f"the RUN with {what} sees {_show(cand)} today; with this entry it no longer does")
            else:
                cand.unsafe = (f"{what} copies {_show(cand)} into the image today; with this entry the image no "
                               "longer has it")
        (applied if (cand.unsafe is None or unsafe) else held).append(cand)
    if applied and ig_rel and not overridden and not os.path.lexists(target) and not any(c.pattern == ig_rel for c in applied):
        # a new ignore file inside the context would itself be sent (and copied by COPY .)
        applied.append(Candidate(ig_rel, "the Dockerfile and its ignore file"))
    notes = [f"cannot read {e}: BuildKit would fail to send the context" for e in errors]
    if os.path.basename(target) != ".dockerignore":
        notes.append(f"{os.path.basename(target)} is read by BuildKit only (the classic builder, podman and buildah "
                     "read the context's .dockerignore)")
    new_text = _merge(old_text, applied)
    before = _count(entries)
    after = before
    if new_text != old_text:
        new_ctx = ctx.with_ignore(new_text, target)
        after = _count(list(new_ctx.walk(sizes=sizes)))
        lost = _lost(new_ctx, explicit_roots)
        if lost:  # never: every entry was checked; a bug guard
            raise AssertionError(f"generated .dockerignore would exclude needed paths: {lost[:5]}")
    return Proposal(target, old_text, new_text, applied, held, refused, before, after, notes)


def _show(c: Candidate) -> str:
    return f"{c.pattern} ({c.files:,} file{'s' if c.files != 1 else ''}" + (f", {_size(c.bytes)})" if c.bytes else ")")


def _clash(paths: list[str], roots: list[str], needed: dict[str, tuple[str, int]]) -> Optional[str]:
    """Why excluding ``paths`` would take something an explicit source needs, or None."""
    pathset = set(paths)
    for root in roots:
        src, line = needed[root]
        # the needed path itself, something below it, or a directory above it
        if root in pathset or any(p.startswith(root + "/") for p in paths) or any(root.startswith(p + "/") for p in pathset):
            return f"{src} at line {line} copies {root}" if root in pathset or any(root.startswith(p + "/") for p in pathset) \
                else f"{src} at line {line} copies what is below {root}"
    return None


def _source_clash(pattern: str, explicit) -> Optional[str]:
    """An explicit source that names a path the pattern would exclude, read from the source's
    text (for paths the walk did not enter, or that do not exist yet)."""
    for what, _, line in explicit:
        src = what.split(" ", 1)[1] if " " in what else what
        src = src.split("=", 1)[-1]
        parts = src.split("/")
        if pattern.startswith("**/"):
            name = pattern[3:]
            rx = re.compile("^" + "[^/]*".join(re.escape(x) for x in name.split("*")) + "$")
            if any(rx.match(p) for p in parts):
                return f"{what} at line {line} names a path it matches"
        elif src == pattern or src.startswith(pattern + "/"):
            return f"{what} at line {line} copies {pattern}"
    return None


PRUNE = frozenset({".git", ".hg", ".svn", "node_modules", ".venv", "__pycache__", ".pytest_cache", ".mypy_cache",
                   ".ruff_cache", ".tox", ".nox", ".gradle", ".next", ".turbo", ".parcel-cache", ".idea"})


def _lost(ctx: BuildContext, roots: list[str]) -> list[str]:
    return [r for r in roots if not ctx.is_sent(r)]


def _count(entries: list[Entry]) -> tuple[int, int]:
    files = [e for e in entries if e.kind != "dir"]
    return len(files), sum(e.size for e in files)


def _rel_in(root: str, path: Optional[str]) -> Optional[str]:
    if not path:
        return None
    full = os.path.realpath(path)
    if not full.startswith(root.rstrip("/") + "/"):
        return None
    return os.path.relpath(full, root).replace(os.sep, "/")


def ignore_target(ctx: BuildContext, dockerfile: Optional[str]) -> str:
    """The ignore file to write: the one BuildKit reads now; else the context's .dockerignore
    when the Dockerfile is at the context root (every builder reads it); else
    ``<Dockerfile>.dockerignore`` next to the Dockerfile (read by BuildKit for this Dockerfile only)."""
    if ctx.ignore_path:
        return ctx.ignore_path
    root_ignore = os.path.join(ctx.root, ".dockerignore")
    if dockerfile is None:
        return root_ignore
    if os.path.realpath(os.path.dirname(os.path.abspath(dockerfile))) == ctx.real_root:
        return root_ignore
    return dockerfile + ".dockerignore"


def _merge(old: str, applied: list[Candidate]) -> str:
    if not applied:
        return old
    newline = "\r\n" if "\r\n" in old else "\n"
    lines = [f"{MARK} (not needed by any COPY/ADD; see dockeropt --list-rules) ---"]
    category = None
    for c in applied:
        if c.category != category:
            category = c.category
            lines.append(f"# {category}")
        lines.append(c.pattern)
    block = newline.join(lines) + newline
    if old and not old.endswith(("\n", "\r")):
        old += newline
    if old and not old.endswith(newline * 2):
        old += newline
    return old + block


def sibling_dockerfiles(ctx: BuildContext, dockerfile: Optional[str]) -> list[str]:
    """Other Dockerfiles in the context root that read the same root .dockerignore (those without
    a ``<name>.dockerignore`` of their own)."""
    from dockeropt.files import is_dockerfile_name

    out = []
    mine = os.path.realpath(dockerfile) if dockerfile else None
    for name in ctx.listdir("."):
        path = os.path.join(ctx.real_root, name)
        if is_dockerfile_name(name) and os.path.isfile(path) and os.path.realpath(path) != mine \
                and not os.path.exists(path + ".dockerignore"):
            out.append(path)
    return out


__all__ = ["BudgetExceeded", "Candidate", "ContextError", "MARK", "Proposal", "ignore_target", "propose",
           "sibling_dockerfiles"]


# --------------------------------------------------------------------------------------------
# The command line: dockeropt --dockerignore
# --------------------------------------------------------------------------------------------


def run_cli(args, discover, build_context, read, file_error) -> int:
    """``dockeropt --dockerignore [--write|--check] [--format json] PATH...`` (see cli.py)."""
    import json
    import sys

    from dockeropt.model import Model
    from dockeropt.report.diff import unified_diff
    from dockeropt.report.quote import escape, quote_path
    from dockeropt.syntax.errors import DockerfileSyntaxError
    from dockeropt.syntax.parse import parse

    err = sys.stderr
    errors = changed = 0
    report: list[dict] = []

    def message(line: str) -> None:
        err.write(line + "\n")

    def on_error(path: str, msg: str) -> None:
        nonlocal errors
        errors += 1
        message(f"{quote_path(path)}: {escape(msg)}")

    files = discover(args.paths, on_note=lambda p, m: message(f"{quote_path(p)}: note: {escape(m)}"), on_error=on_error)
    if not files:
        message("dockeropt: no Dockerfiles found")
        return 2
    done: set[str] = set()
    for path in files:
        name = "<stdin>" if path == "-" else path
        shown = quote_path(name)
        ctx = build_context(path, args.context)
        if ctx is None:
            on_error(name, "stdin has no build context: give --context DIR")
            continue
        try:
            text, _, _ = read(path)
            tree = parse(text, strict=True)
            siblings = []
            df = None if path == "-" else path
            target = ignore_target(ctx, df)
            if os.path.basename(target) == ".dockerignore":
                for other in sibling_dockerfiles(ctx, df):
                    try:
                        t = parse(open(other, encoding="utf-8", errors="surrogateescape").read(), strict=True)
                        siblings.append((t, Model(t), os.path.basename(other)))
                    except (OSError, DockerfileSyntaxError):
                        pass
            p = propose(tree, Model(tree), ctx, dockerfile=df, unsafe=args.unsafe_fixes, siblings=siblings)
        except DockerfileSyntaxError as e:
            errors += 1
            message(f"{shown}:{e.line}:{e.column}: {escape(e.message)}")
            continue
        except file_error as e:
            on_error(name, e.message)
            continue
        except ContextError as e:
            on_error(name, str(e))
            continue
        ign = p.ignore_path
        if os.path.realpath(ign) in done and p.changed:
            message(f"{shown}: note: {quote_path(ign)} was already proposed for another Dockerfile in this run")
        lines = [f"# {quote_path(ign)}: dockerignore: {p.summary()}"]
        for c in p.applied:
            lines.append(f"#   + {c.pattern}: {c.category}, {_show(c)}" + (f" [unsafe: {c.unsafe}]" if c.unsafe else ""))
        for c in p.held:
            lines.append(f"#   held: {c.pattern}: {c.unsafe} [unsafe fix: --unsafe-fixes applies it]")
        for c in p.refused:
            lines.append(f"#   kept: {c.pattern}: {c.refused}")
        for note in p.notes:
            lines.append(f"#   note: {note}")
        entry = {"path": name, "ignore_file": ign, "changed": p.changed,
                 "before": {"files": p.before[0], "bytes": p.before[1]},
                 "after": {"files": p.after[0], "bytes": p.after[1]},
                 "entries": [{"pattern": c.pattern, "category": c.category, "files": c.files, "bytes": c.bytes,
                              "applicability": "unsafe" if c.unsafe else "safe"} for c in p.applied],
                 "held": [{"pattern": c.pattern, "why": c.unsafe} for c in p.held],
                 "kept": [{"pattern": c.pattern, "why": c.refused} for c in p.refused]}
        if p.changed:
            changed += 1
        if args.mode == "write" and p.changed and os.path.realpath(ign) not in done:
            try:
                _write(ign, p.old_text, p.new_text)
            except (OSError, Exception) as e:  # noqa: BLE001 - NotWritten or OSError: one line
                on_error(ign, f"not written: {getattr(e, 'strerror', None) or e}")
                entry["error"] = str(e)
                report.append(entry)
                continue
            done.add(os.path.realpath(ign))
            if not args.quiet:
                message(f"wrote {quote_path(ign)}")
        report.append(entry)
        if args.format == "json":
            continue
        if args.mode == "check":
            if p.changed:
                sys.stdout.write(f"would rewrite {quote_path(ign)}\n")
        elif args.mode == "diff":
            rel = os.path.relpath(ign) if not os.path.isabs(ign) else ign
            diff = unified_diff(rel, p.old_text, p.new_text) if p.changed else ""
            if diff and not p.old_text and not os.path.exists(ign):
                diff = "--- /dev/null\n" + diff.split("\n", 1)[1]
            sys.stdout.write("\n".join(lines) + "\n" + diff)
        else:
            message("\n".join(lines))
    if args.format == "json":
        sys.stdout.write(json.dumps({"dockerignore": report}, indent=2) + "\n")
    if not args.quiet:
        verb = {"write": "written", "check": "would be written", "diff": "would be written"}[args.mode]
        message(f"dockeropt: {len(files)} Dockerfile(s) checked, {changed} .dockerignore file(s) {verb}"
                + (f", {errors} error(s)" if errors else ""))
    if errors:
        return 2
    return 1 if args.mode == "check" and changed else 0


def _write(path: str, old_text: str, new_text: str) -> None:
    from dockeropt.files import NotWritten, create_new, read_file, write_back

    data = new_text.encode("utf-8", "surrogateescape")
    if os.path.lexists(path):
        current, st = read_file(path)
        if current != old_text.encode("utf-8", "surrogateescape"):
            raise NotWritten("the file changed since dockeropt read it")
        write_back(path, data, current, st)
    else:
        create_new(path, data)
