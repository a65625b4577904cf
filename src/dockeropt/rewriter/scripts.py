"""Scripts a RUN runs, read from the build context.

``RUN ./install.sh`` runs a file; when that file came into the image by a COPY/ADD of the build
context (in the RUN's stage or a stage it is built FROM) and nothing since may have changed it,
its text is the file in the context, and it can be parsed like a RUN. :func:`script_for` finds
it, or says None: no context; the path is not static; a COPY that could have put the file there
cannot be resolved (a glob, a variable, ``--from``, a URL); a RUN after that COPY mentions the
file (it may edit or replace it); the file is not sent to the builder (.dockerignore) or is not a
regular file; its ``#!`` line names a program other than a POSIX shell; it does not parse.
"""

from __future__ import annotations

import posixpath
import re
from typing import Optional

from dockeropt.model.copies import destination, has_glob, within
from dockeropt.syntax import nodes as n

POSIX = re.compile(r"^#!\s*(/usr)?/bin/(env\s+)?(sh|bash|dash|ash)\b")
MAX_SCRIPT = 512 * 1024


def script_for(ctx, view, word_value: str, explicit_shell: bool):
    """The parsed script ``word_value`` names when ``view`` (a RunView) runs it, or None."""
    bc = ctx.build_context
    if bc is None or not word_value or "$" in word_value:
        return None
    model = ctx.model
    state = model.state(view.index)
    cwd = state.workdir
    if word_value.startswith("/"):
        target = posixpath.normpath(word_value)
    elif cwd is not None:
        target = posixpath.normpath(posixpath.join(cwd, word_value))
    else:
        return None
    rel = _context_path(ctx, view, target)
    if rel is None:
        return None
    try:
        data = bc.read(rel, MAX_SCRIPT)
    except Exception:  # noqa: BLE001 - ContextError or anything from an odd context: cannot read it
        return None
    if data is None:
        return None
    text = data.decode("utf-8", "replace").replace("\r\n", "\n")
    first = text.split("\n", 1)[0]
    if first.startswith("#!") and not POSIX.match(first) and not explicit_shell:
        return None
    from dockeropt.rewriter.shellrun import parse_cached

    script = parse_cached(text)
    return script if script.ok else None


def _context_path(ctx, view, target: str) -> Optional[str]:
    """The context path of the file at ``target`` when ``view`` runs: from the last COPY/ADD
    before it (in its stage and the stages it is built FROM) that may write there."""
    model = ctx.model
    graph = model.graph
    chain = graph.chain(view.stage.index)
    steps: list[n.Instruction] = []
    for s in chain:
        for ins in graph[s].stage.instructions:
            if ins is view.ins or (view.onbuild_line and ins.start_line >= view.onbuild_line and s == chain[-1]):
                break
            steps.append(ins)
    base = posixpath.basename(target)
    for k in range(len(steps) - 1, -1, -1):
        ins = steps[k]
        if isinstance(ins, n.Run):
            if base in ins.line:
                return None  # it may change the file
            continue
        if not isinstance(ins, (n.Copy, n.Add)):
            continue
        i = model.index[id(ins)]
        dest = destination(ins, model.state(i).workdir)
        raw = ins.destination or ""
        if dest is None:
            return None
        if not within(target, dest) and target != dest:
            continue
        if ins.flag("from") is not None or ins.heredocs:
            return None
        srcs = ins.sources
        found = None
        for src in srcs:
            if "$" in src or has_glob(src) or re.match(r"^[a-z]+://", src):
                return None
            src = posixpath.normpath(src).lstrip("/") or "."
            if src == ".":
                found = posixpath.relpath(target, dest) if target != dest else None
            elif ctx.build_context.is_dir(src):
                found = posixpath.join(src, posixpath.relpath(target, dest)) if target != dest else None
            elif raw.endswith("/") or len(srcs) > 1:
                if target == posixpath.join(dest, posixpath.basename(src)):
                    found = src
            elif target == dest:
                found = src
        if found is not None:
            return found
        if target == dest or any(posixpath.normpath(s) == "." for s in srcs):
            return None
        # this COPY writes below dest, but not this file (as far as its sources show)
        if any(ctx.build_context.is_dir(posixpath.normpath(s).lstrip("/") or ".") for s in srcs):
            return None  # a directory copy: the file could be in it
    return None
