"""dockerignore: what the build context sends that no instruction needs.

A build sends its context to the builder before the first step; ``.git``, ``node_modules``,
``.venv``, caches and logs make every build slower, and local secrets (``.env``, ``*.pem``,
``id_rsa``) reach the builder — and with ``COPY .``, the image.

This rule reports what a generated .dockerignore would leave out (``rewriter/dockerignore.py``
decides the entries and checks each against every COPY/ADD source of every stage).
``dockeropt --dockerignore`` shows the .dockerignore as a diff with the files and bytes sent
before and after, and writes it with ``--write``; the Dockerfile itself is never changed.

Before (context: Dockerfile, requirements.txt, src/, .git/, .env, node_modules/)::

    FROM python:3.12-slim
    COPY requirements.txt .
    RUN pip install -r requirements.txt
    COPY src/ ./src/

After (``.dockerignore``)::

    # --- added by dockeropt --dockerignore ... ---
    # VCS metadata
    .git
    # local secrets
    .env
    ...

Left alone: without a build context (stdin), nothing is said. A normal run does not go into
directories it proposes whole (node_modules, .git, .venv ...) and looks at 5,000 paths at most
(so that a huge context does not slow it down), and says so when there are more; ``--dockerignore`` looks at all of them. An entry that would exclude something an
explicit COPY/ADD source needs is never proposed; one that changes what ``COPY .`` puts in the
image is unsafe (``--unsafe-fixes``).
"""

from __future__ import annotations

from dockeropt.model.context import BudgetExceeded, ContextError
from dockeropt.rewriter.base import Context, Diagnostic, Rule

BUDGET = 5000


class Dockerignore(Rule):
    id = "dockerignore"
    summary = "Report what the build context sends that no COPY needs (dockeropt --dockerignore writes .dockerignore)"
    hadolint = ()
    safe = True
    docs = __doc__ or ""

    def check(self, ctx: Context) -> list[Diagnostic]:
        bc = ctx.build_context
        if bc is None or not ctx.tree.instructions:
            return []
        from dockeropt.rewriter.dockerignore import propose

        first = ctx.tree.instructions[0]
        try:
            p = propose(ctx.tree, ctx.model, bc, dockerfile=bc.dockerfile, unsafe=ctx.options.unsafe,
                        budget=BUDGET, sizes=False, label_line=ctx.orig_line, prune=True, only_if_more=True)
        except ContextError as e:
            return [self.change(first, f"the build context cannot be checked: {e}", ())]
        except BudgetExceeded:
            return [self.change(first, f"the build context has more than {BUDGET:,} paths; "
                                       "`dockeropt --dockerignore` checks all of them", ())]
        if all(c.category == "the Dockerfile and its ignore file" for c in p.applied + p.held):
            return []  # nothing worth a message on its own
        shown = ", ".join(c.pattern for c in p.applied + p.held)
        secrets = [c.pattern for c in p.applied + p.held if c.category == "local secrets"]
        msg = (f"the build context sends what no COPY needs: {shown}"
               + (f" (secrets: {', '.join(secrets)})" if secrets else "")
               + "; `dockeropt --dockerignore --write` adds them to " + _name(p.ignore_path))
        if p.held:
            msg += f" ({len(p.held)} only with --unsafe-fixes: {p.held[0].unsafe})"
        return [self.change(first, msg, ())]


def _name(path: str) -> str:
    import os

    return os.path.basename(path)
