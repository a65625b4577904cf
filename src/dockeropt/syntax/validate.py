"""The checks BuildKit makes after splitting lines: errors its parser and its instruction
parser (frontend/dockerfile/instructions) raise for a file, reported at the instruction's line.

Only rules that hold across BuildKit versions are checked here; flags that newer frontends add
(``RUN --device``, ``ADD --unpack`` ...) are not rejected, since a `# syntax=` line can select a
newer frontend than the one we mirror.
"""

from __future__ import annotations

import re

from dockeropt.syntax import buildkit as bk
from dockeropt.syntax import nodes as n
from dockeropt.syntax.errors import DockerfileSyntaxError

STAGE_NAME_RE = re.compile(r"^[a-z][a-z0-9\-_.]*$")
NOT_ONBUILD = {"FROM", "MAINTAINER"}
# Flags each instruction accepts in the current Dockerfile frontend (labs flags included, since a
# `# syntax=` line may select it). A flag outside these is a typo BuildKit rejects.
KNOWN_FLAGS = {
    "FROM": {"platform"},
    "RUN": {"mount", "network", "security", "device"},
    "COPY": {"from", "chown", "chmod", "link", "parents", "exclude"},
    "ADD": {"chown", "chmod", "link", "keep-git-dir", "checksum", "exclude", "unpack", "parents"},
    "HEALTHCHECK": {"interval", "timeout", "start-period", "start-interval", "retries"},
}
BOOL_FLAGS = {"link", "parents", "keep-git-dir", "unpack"}


def _fail(ins: n.Instruction, message: str) -> DockerfileSyntaxError:
    return DockerfileSyntaxError(message, ins.start_line or 1, len(ins.indent) + 1)


def check_parser_level(tree: n.Dockerfile) -> None:
    """What BuildKit's parser (parser.Parse) rejects."""
    if not tree.instructions:
        code = tree.code
        lines = code.count("\n") + (0 if code.endswith("\n") or not code else 1)
        raise DockerfileSyntaxError("file with no instructions", max(lines, 1), 1)
    for ins in tree.instructions:
        _check_parser_level(ins, ins)


def check_instructions(tree: n.Dockerfile, only: set[int] | None = None) -> None:
    """What BuildKit's instruction parser rejects once the parser accepted the file.

    ``only``: ids of the instructions to check one by one (the file-level checks always run).
    """
    seen_from = False
    for ins in tree.instructions:
        if only is None or id(ins) in only:
            _check_instruction(ins, ins)
        if isinstance(ins, n.From):
            seen_from = True
        elif not seen_from and not isinstance(ins, n.Arg):
            raise _fail(ins, "no build stage in current context")
    if not seen_from:
        raise DockerfileSyntaxError("dockerfile contains no stages to build", 1, 1)


def _check_parser_level(ins: n.Instruction, at: n.Instruction) -> None:
    kw = ins.keyword
    if kw in ("ENV", "LABEL") and bk.go_strip(ins.rest):
        words = n.parse_words(ins.rest)
        if words and "=" not in words[0]:
            if len(bk.WHITESPACE_RE.split(bk.go_strip(ins.rest), 1)) < 2:
                raise _fail(at, f"{kw} must have two arguments")
        else:
            for w in words:
                if "=" not in w:
                    raise _fail(
                        at, f'Syntax error - can\'t find = in "{w}". Must be of the form: name=value'
                    )
    elif kw in ("RUN", "CMD", "ENTRYPOINT", "SHELL", "COPY", "ADD", "VOLUME") and "[" in ins.line and "[" in ins.rest:
        try:
            bk.parse_json_array(ins.rest)
        except bk.NotStringArray as e:
            raise _fail(at, str(e)) from None
    elif kw == "HEALTHCHECK" and isinstance(ins, n.Healthcheck):
        try:
            bk.parse_json_array(ins.command)
        except bk.NotStringArray as e:
            raise _fail(at, str(e)) from None
    elif kw == "ONBUILD" and isinstance(ins, n.Onbuild) and ins.trigger is not None:
        _check_parser_level(ins.trigger, at)


def _check_instruction(ins: n.Instruction, at: n.Instruction) -> None:
    kw = ins.keyword
    if isinstance(ins, n.Unknown):
        word = ins.keyword
        import difflib  # only on this error path: start-up matters

        hint = difflib.get_close_matches(word, list(n.INSTRUCTION_CLASSES), n=1, cutoff=0.6)
        suffix = f" (did you mean {hint[0].lower()}?)" if hint else ""
        raise _fail(at, f"unknown instruction: {word}{suffix}")
    known = KNOWN_FLAGS.get(kw, set())
    for flag in ins.flags:
        if flag.name not in known:
            raise _fail(at, f"unknown flag: {flag.name}")
        if flag.value is None and flag.name not in BOOL_FLAGS:
            raise _fail(at, f"missing a value on flag: {flag.name}")
    words = ins.words if kw in ("FROM", "COPY", "ADD", "HEALTHCHECK") else ()
    if kw == "FROM":
        if len(words) not in (1, 3):
            raise _fail(at, "FROM requires either one or three arguments")
        if len(words) == 3:
            if words[1].upper() != "AS":
                raise _fail(at, 'When using FROM with 3 arguments, the second argument must be "AS"')
            name = words[2].lower()
            if "$" not in name and not STAGE_NAME_RE.match(name):
                raise _fail(
                    at,
                    f'invalid name for build stage: "{words[2]}", '
                    "name can't start with a number or contain symbols",
                )
    elif kw in ("COPY", "ADD"):
        paths = ins.json_args if ins.json_args is not None else words
        if len(paths) < 2:
            raise _fail(at, f"{kw} requires at least two arguments, but only one was provided. Destination could not be determined")
    elif kw in ("WORKDIR", "USER", "STOPSIGNAL", "MAINTAINER"):
        if not bk.go_strip(ins.rest):
            raise _fail(at, f"{kw} requires exactly one argument")
    elif kw in ("ENV", "LABEL", "EXPOSE", "VOLUME", "ARG", "SHELL", "ONBUILD", "HEALTHCHECK"):
        if not bk.go_strip(ins.rest):
            raise _fail(at, f"{kw} requires at least one argument")
        if kw == "SHELL" and ins.json_args is None:
            raise _fail(at, "SHELL requires the arguments to be in JSON form")
        if kw == "HEALTHCHECK":
            kind = words[0].upper()
            if kind not in ("NONE", "CMD"):
                raise _fail(at, f'Unknown type "{kind}" in HEALTHCHECK (try CMD)')
            if kind == "NONE" and len(words) > 1:
                raise _fail(at, "HEALTHCHECK NONE takes no arguments")
            if kind == "CMD" and len(words) == 1:
                raise _fail(at, "Missing command after HEALTHCHECK CMD")
            _check_health_flags(ins, at)
        if kw == "ONBUILD" and isinstance(ins, n.Onbuild):
            trigger = ins.trigger_keyword
            if trigger == "ONBUILD":
                raise _fail(at, "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed")
            if trigger in NOT_ONBUILD:
                raise _fail(at, f"{trigger} isn't allowed as an ONBUILD trigger")
            # unknown keywords inside ONBUILD are only checked by a child build
            if ins.trigger is not None and not isinstance(ins.trigger, n.Unknown):
                _check_instruction(ins.trigger, at)


_DURATION = re.compile(r"[-+]?(?:(?:\d+\.?\d*|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+\Z")
DURATION_FLAGS = ("interval", "timeout", "start-period", "start-interval")


def _check_health_flags(ins: n.Instruction, at: n.Instruction) -> None:
    """HEALTHCHECK durations parse as Go durations (unit required but for 0); retries >= 1."""
    for name in DURATION_FLAGS:
        value = ins.flag(name)
        if value is not None and value != "0" and not _DURATION.match(value):
            raise _fail(at, f'time: missing unit in duration "{value}"' if re.fullmatch(r"[-+]?[\d.]+", value)
                        else f'time: invalid duration "{value}"')
    retries = ins.flag("retries")
    if retries is not None:
        try:
            count = int(retries, 10)
        except ValueError:
            raise _fail(at, f'strconv.ParseInt: parsing "{retries}": invalid syntax') from None
        if count < 1:
            raise _fail(at, f"--retries must be at least 1 (not {count})")
