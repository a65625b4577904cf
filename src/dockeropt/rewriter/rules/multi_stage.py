"""multi-stage: split a single-stage build into a builder stage and a small runtime stage.

A stage that installs a toolchain and builds an artifact ships the toolchain with it. The
builder stage keeps every step of the original up to and including the build (named
``AS build``); a runtime stage on a smaller base of the same family gets only what runs: the
artifact, and the image settings the container needs.

Before::

    FROM golang:1.22-bookworm
    WORKDIR /src
    COPY . .
    RUN CGO_ENABLED=0 go build -o /out/server ./cmd/server
    EXPOSE 8080
    CMD ["/out/server"]

After::

    FROM golang:1.22-bookworm AS build
    WORKDIR /src
    COPY . .
    RUN CGO_ENABLED=0 go build -o /out/server ./cmd/server

    # Runtime stage (dockeropt multi-stage): gcr.io/distroless/static-debian12, ...
    FROM gcr.io/distroless/static-debian12 AS runtime
    WORKDIR /src
    COPY --from=build /out/server /out/server
    EXPOSE 8080
    CMD ["/out/server"]

Stacks and what the runtime stage gets (the base-image table is ``rewriter/split/bases.py``):

- Go: the ``go build -o`` binaries; ``CGO_ENABLED=0`` -> ``gcr.io/distroless/static-debian12``,
  cgo -> ``distroless/base-debian<N>`` of the builder's Debian release.
- Rust: ``target/<profile>/<name>`` of ``cargo build`` (the name from ``--bin``, Cargo.toml in
  the build context, or the CMD/ENTRYPOINT) -> ``distroless/cc-debian<N>``.
- Java: the jar that ``java -jar`` runs, from Maven's ``target/`` or Gradle's ``build/libs``
  -> ``eclipse-temurin:<J>-jre``.
- Node: the application directory (the final WORKDIR) after ``npm prune --omit=dev`` in the
  builder -> ``node:<same tag>-slim``.
- Python: a virtual environment (made in the builder before the first ``pip install`` when
  there is none) and the application directory -> ``python:<same version>-slim``.

Go and Rust get ``debian:<release>-slim`` instead of distroless when the container needs a
shell (a shell-form CMD, ENTRYPOINT or HEALTHCHECK, an entrypoint script: distroless has no
/bin/sh) or packages. Carried into the runtime stage: ARG (those the carried instructions
read), ENV (but build-only ones such as ``CGO_ENABLED``, ``GOFLAGS``, ``PIP_*``), WORKDIR,
USER (``/etc/passwd`` and ``/etc/group`` copied from the builder when the build creates the
user, its home when it has one), VOLUME, EXPOSE, LABEL, HEALTHCHECK, STOPSIGNAL, ENTRYPOINT, CMD;
the runtime packages (those the build installs that are not compilers, ``-dev`` packages mapped
to their libraries — ``libpq-dev`` -> ``libpq5`` —, and curl/wget when a runtime command runs
them); COPYs of data files from the build context (config, templates, static assets,
migrations); paths the RUNs write outside the build (``mkdir /data``), with the owners the build
gave. Instructions that only configure the image (EXPOSE, LABEL, CMD, ENTRYPOINT, HEALTHCHECK,
STOPSIGNAL) move to the runtime stage with their comments; the rest of the file is left as it
was.

The fix is **unsafe**: the runtime image has other files than the original (that is the
point), and a program may read files at run time that nothing in the Dockerfile names. Prove
it with ``dockeropt verify --unsafe-fixes --smoke "CMD"``.

Left alone, with the reason (one sentence): several stages already; no CMD/ENTRYPOINT, or a
shell or ``sleep`` as the command (a development container); a container that runs the
toolchain (``go run``, ``cargo``, ``mvn``, ``npm run dev``, ``pip``, ``ts-node``...); a base
image not in the table, pinned by digest, or whose tag does not name the Debian release a
linked binary needs; ``go build`` without ``-o`` or into a directory, ``go install``, a Cargo
binary whose name is nowhere to be read; a jar not run with ``java -jar``; yarn, pnpm, poetry,
pipenv; ``pip install --user/--target/--prefix``; a RUN whose effect dockeropt cannot follow
(an unknown program, a download piped to a shell, a symbolic link outside the build, exec form
or heredoc); an entrypoint script that cannot be read (no build context) or runs something the
runtime lacks; a ``-dev`` package with an unknown runtime library; a USER from the builder
image; ONBUILD, SHELL. Silent when the base image is not a builder image at all.
"""

from __future__ import annotations

from dockeropt.rewriter.base import Context, Diagnostic, Fix, Rule, UNSAFE
from dockeropt.rewriter.split.plan import Refusal, analyse, describe, render


class MultiStage(Rule):
    id = "multi-stage"
    summary = "Split a single-stage build into a builder stage and a small runtime stage"
    hadolint = ()
    safe = False
    docs = __doc__ or ""

    def check(self, ctx: Context) -> list[Diagnostic]:
        result = analyse(ctx)
        if isinstance(result, Refusal):
            if result.quiet:
                return []
            line = ctx.orig_line(result.line)
            return [Diagnostic(self.id, line, f"not split into builder and runtime stages: {result.reason}",
                               None, line)]
        edits = tuple(render(ctx, result))
        return [Diagnostic(self.id, ctx.orig_line(result.line), describe(result), Fix(edits, UNSAFE),
                           ctx.orig_line(result.end_line))]
