"""Hypothesis strategies: Dockerfiles made of small shell programs (see test_diff_properties.py).

The grammar (kept small so that a program makes few external calls; every call is then made to
fail in turn):

- instructions: RUN (mostly, often several in a row), ENV, WORKDIR, USER, ARG, ONBUILD RUN, a
  SHELL change, exec-form and `RUN <<EOF` heredoc RUNs, sometimes a second stage FROM the first;
  a SHELL at the top: default, ["/bin/bash","-eo","pipefail","-c"] or ["/bin/sh","-e","-c"]
- shell: lists joined by `;` `&&` `||` (also across line continuations), `if`/`for`/`case`/`{ }`/
  `( )`/a function, `set -e`/`set -eux`/`set -o errexit`/`set +e`, `cd`, `export`, `exit`,
  `trap ... EXIT` (and `trap ... ERR`, `set -o pipefail` under bash), `hash -r`, `umask`, a
  background job (followed by `wait`), `!`
- commands: `ok`/`fail` (the generic stubs), `touch`/`rm`/`mkdir` on relative paths, `echo`,
  `test`; with ``pm``: apt-get update/install (with -y; without it too when ``prompts``), apk
  add/update, pip install (`-U pip` too), python -m pip, npm install/ci (`--offline` too).
"""

from __future__ import annotations

from hypothesis import strategies as st

WORDS = ("a", "b", "c")
FILES = ("f1", "f2", "d1/f3")
DIRS = ("d1", "d2")
PKGS = ("curl", "jq")

SIMPLE = (
    "ok", "ok {w}", "fail", "fail {w}", "true", "false", "! fail", "! ok",
    "touch {f}", "rm -f {f}", "mkdir -p {d}", "rm -rf {d}", "test -e {f}", "[ -d {d} ]",
    "echo {w}", "echo {w} > {f}", 'echo "${{V:-unset}}"', 'ok "$V"',
    "cd {d}", "cd ..", "export V={w}", "V={w}",
    "exit 0", "exit 3",
    "set -e", "set -eux", "set -o errexit", "set +e",
    "hash -r", "umask 077", "trap 'ok trapped' EXIT",
    "ok bg & wait", "fail bg & wait $!",
)
BASH_ONLY = ("trap 'ok err' ERR", "set -o pipefail")
PM = (
    "apt-get update", "apt-get install -y {p}", "apt-get -qq install {p}",
    "apk update", "apk add {p}", "apk add --no-cache {p}",
    "pip install {p}", "pip install -U pip", "pip install --no-cache-dir {p}", "python -m pip install {p}",
    "npm install {p}", "npm install --offline {p}", "touch package-lock.json && npm ci", "npm ci --offline",
)
PROMPTS = ("apt-get install {p}", "yum install {p}", "dnf install {p}", "zypper install {p}")
SEPARATORS = ("; ", " && ", " || ", " && \\\n    ", "; \\\n    ")


class Grammar:
    """``exclude`` (for explore.py): command templates, compound kinds ("if", "for", "case",
    "group", "subshell", "function"), instruction kinds ("ENV", "ONBUILD", ...), top SHELLs
    ("shell-e", "shell-bash"), separators (their text) to leave out."""

    def __init__(self, pm: bool = False, prompts: bool = False, exclude=(), plain: bool = False):
        self.pm = pm
        self.prompts = prompts
        # the plain fallback sandbox (no overlay) runs one stage and no child image
        self.exclude = frozenset(exclude) | (frozenset({"STAGE", "ONBUILD"}) if plain else frozenset())

    def _keep(self, items):
        return tuple(x for x in items if x not in self.exclude)

    @st.composite
    def simple(draw, self, bash: bool) -> str:  # noqa: N805 (hypothesis composite on a method)
        pool = list(SIMPLE) + (list(BASH_ONLY) if bash else [])
        if self.pm:
            pool += list(PM) * 2
        if self.prompts:
            pool += list(PROMPTS)
        tmpl = draw(st.sampled_from(self._keep(pool)))
        return tmpl.format(w=draw(st.sampled_from(WORDS)), f=draw(st.sampled_from(FILES)),
                           d=draw(st.sampled_from(DIRS)), p=draw(st.sampled_from(PKGS)))

    @st.composite
    def item(draw, self, bash: bool, depth: int) -> str:  # noqa: N805
        if depth <= 0 or draw(st.integers(0, 4)) > 0:
            return draw(self.simple(bash))
        inner = self.script(bash, depth - 1)
        kinds = self._keep(("if", "ifelse", "for", "case", "group", "subshell", "function"))
        if not kinds:
            return draw(self.simple(bash))
        kind = draw(st.sampled_from(kinds))
        a = draw(inner)
        if kind == "if":
            return f"if {draw(self.simple(bash))}; then {a}; fi"
        if kind == "ifelse":
            return f"if {draw(self.simple(bash))}; then {a}; else {draw(inner)}; fi"
        if kind == "for":
            return f"for i in 1 2; do {a}; done"
        if kind == "case":
            return f"case {draw(st.sampled_from(WORDS))} in a) {a};; *) {draw(inner)};; esac"
        if kind == "group":
            return f"{{ {a}; }}"
        if kind == "subshell":
            return f"( {a} )"
        return f"f() {{ {a}; }}; f"

    @st.composite
    def script(draw, self, bash: bool, depth: int = 2) -> str:  # noqa: N805
        n = draw(st.integers(1, 3))
        out = draw(self.item(bash, depth))
        for _ in range(n - 1):
            out += draw(st.sampled_from(self._keep(SEPARATORS))) + draw(self.item(bash, depth))
        return out

    @st.composite
    def dockerfile(draw, self) -> str:  # noqa: N805
        shells = [None, None]
        if "shell-bash" not in self.exclude:
            shells.append('["/bin/bash", "-eo", "pipefail", "-c"]')
        if "shell-e" not in self.exclude:
            shells.append('["/bin/sh", "-e", "-c"]')
        shell = draw(st.sampled_from(shells))
        bash = shell is not None and "bash" in shell
        lines = ["FROM debian:bookworm-slim AS base" if draw(st.booleans()) else "FROM debian:bookworm-slim"]
        if shell:
            lines.append(f"SHELL {shell}")
        if self.pm and not self.prompts:
            lines.append("RUN apt-get update && apk update")  # the indexes the installs below need
        stage2 = False
        for _ in range(draw(st.integers(2, 5))):
            kind = draw(st.sampled_from(("RUN",) * 12 + self._keep(("ENV", "WORKDIR", "USER", "ARG", "ONBUILD", "SHELL",
                                                                    "EXEC", "HEREDOC", "STAGE"))))
            if kind == "RUN":
                lines.append("RUN " + draw(self.script(bash)))
            elif kind == "ENV":
                lines.append(f"ENV V={draw(st.sampled_from(WORDS))}")
            elif kind == "WORKDIR":
                lines.append(f"WORKDIR {draw(st.sampled_from(('/w', 'sub', '/')))}")
            elif kind == "USER":
                lines.append(f"USER {draw(st.sampled_from(('nobody', 'root')))}")
            elif kind == "ARG":
                lines.append(f"ARG V={draw(st.sampled_from(WORDS))}")
            elif kind == "ONBUILD":
                lines.append("ONBUILD RUN " + draw(self.script(bash, 1)))
            elif kind == "SHELL":
                new = draw(st.sampled_from(('["/bin/bash", "-c"]', '["/bin/sh", "-c"]')))
                bash = "bash" in new
                lines.append(f"SHELL {new}")
            elif kind == "EXEC":
                lines.append(f'RUN ["{draw(st.sampled_from(("ok", "fail")))}", "{draw(st.sampled_from(WORDS))}"]')
            elif kind == "HEREDOC":
                body = "\n".join(draw(self.simple(bash)) for _ in range(draw(st.integers(1, 3))))
                lines.append(f"RUN <<EOF\n{body}\nEOF")
            elif kind == "STAGE" and not stage2 and lines[0].endswith(" AS base"):
                stage2 = True
                lines.append("FROM base")
                if shell:
                    lines.append(f"SHELL {shell}")
                    bash = "bash" in shell
        return "\n".join(lines) + "\n"
