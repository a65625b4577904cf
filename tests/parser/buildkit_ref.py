"""Reference behaviour: what BuildKit (via the ``dockerfile`` package) and ``dockerfile-parse`` do.

The ``dockerfile`` package wraps BuildKit v0.12.5's *parser* (level 1, see BUILDKIT_NOTES.md).
``buildkit_verdict`` adds a small mirror of BuildKit's *instruction-level* checks (level 2:
``instructions.Parse`` and dockerfile2llb), restricted to rules that can be decided from the
package's output, so tests can say "BuildKit rejects this file, at this line".

Pitfalls handled here (see BUILDKIT_NOTES.md):
- ``dockerfile.parse_string`` segfaults on lone surrogates and stops at NUL, so we always go
  through ``parse_file`` with the exact bytes.
- ``parse_file`` raises ``UnicodeDecodeError`` when converting results of non-UTF-8 input back
  to Python; undecodable bytes are replaced by U+FFFD first (never whitespace or a special
  character for BuildKit, so line spans do not change).
"""

from __future__ import annotations

import io
import json
import os
import re
import tempfile
from dataclasses import dataclass
from functools import lru_cache

import dockerfile

KNOWN = frozenset(dockerfile.all_cmds())  # lower-case keywords BuildKit dispatches

Span = tuple[str, int, int]


def to_bytes(text: str) -> bytes:
    """The bytes a text came from (the parser contract: decoded with surrogateescape)."""
    return text.encode("utf-8", "surrogateescape")


def _safe_bytes(data: bytes) -> bytes:
    try:
        data.decode("utf-8")
        return data
    except UnicodeDecodeError:
        return data.decode("utf-8", "replace").encode("utf-8")


_TMPDIR = tempfile.mkdtemp(prefix="dockeropt-bk-")


@lru_cache(maxsize=4096)
def _parse_bytes_cached(data: bytes):
    path = os.path.join(_TMPDIR, f"Dockerfile.{os.getpid()}")
    with open(path, "wb") as f:
        f.write(_safe_bytes(data))
    return dockerfile.parse_file(path)


def bk_parse(data: bytes | str):
    """BuildKit level-1 parse of exact bytes -> tuple of dockerfile.Command.

    Raises dockerfile.GoParseError for level-1 errors.
    """
    if isinstance(data, str):
        data = to_bytes(data)
    return _parse_bytes_cached(data)


def keyword(cmd: dockerfile.Command) -> str:
    return (cmd.cmd or "").upper()


def bk_spans(data: bytes | str) -> list[Span]:
    return [(keyword(c), c.start_line, c.end_line) for c in bk_parse(data)]


# --------------------------------------------------------------------------- level 1 errors


def _split_nl(data: bytes) -> list[bytes]:
    """Lines as BuildKit's scanner sees them: split after b"\n" only (lone CR is no break)."""
    out = []
    start = 0
    while True:
        i = data.find(b"\n", start)
        if i < 0:
            if start < len(data):
                out.append(data[start:])
            return out
        out.append(data[start : i + 1])
        start = i + 1


def _level1_error(data: bytes) -> str | None:
    try:
        bk_parse(data)
    except dockerfile.GoParseError as e:
        return str(e)
    return None


def level1_error_line(data: bytes, message: str) -> int:
    """Line of a level-1 error, as BuildKit's parser locates it (the package gives no line).

    K = the first line from which every prefix of the file fails with this message.
    - Directive errors (bad/duplicate directive) are on line K itself. (BuildKit reports K - 1,
      an off-by-one bug, see BUILDKIT_NOTES.md; we expect the real line.)
    - "file with no instructions": BuildKit reports the number of lines read; we use max(1, n).
    - Otherwise the failing instruction starts at the largest S <= K such that lines S..K fail
      on their own with the same message, lines before S blanked except comment lines (kept so
      that directives keep their effect and line numbers stay the same).
    """
    lines = _split_nl(data)
    if message == "file with no instructions":
        return max(1, len(lines))
    k_ok = 0
    for k in range(len(lines), 0, -1):
        if _level1_error(b"".join(lines[:k])) != message:
            k_ok = k
            break
    K = k_ok + 1
    if message.startswith(("only one ", "invalid escape token")):
        return K
    for S in range(K, 0, -1):
        head = [ln if ln.lstrip().startswith(b"#") else b"\n" for ln in lines[: S - 1]]
        if _level1_error(b"".join(head + lines[S - 1 : K])) == message:
            return S
    return K


# --------------------------------------------------------------------------- level 2 (mirror)

# Flags BuildKit's instructions accept (modern frontend, a superset of v0.12.5's).
# value: True = string flag (needs "=value"), False = bool flag.
_FLAGS = {
    "run": {"mount": True, "network": True, "security": True},
    "copy": {"from": True, "chown": True, "chmod": True, "link": False, "parents": False,
             "exclude": True},
    "add": {"chown": True, "chmod": True, "link": False, "keep-git-dir": False,
            "checksum": True, "exclude": True, "unpack": False},
    "from": {"platform": True},
    "healthcheck": {"interval": True, "timeout": True, "start-period": True,
                    "start-interval": True, "retries": True},
}


@dataclass(frozen=True)
class Verdict:
    accepted: bool
    line: int | None = None  # None: BuildKit gives no location
    message: str = ""
    level: int = 0  # 1 = parser (exact, from the package), 2 = instruction-level mirror


def _flag_error(kw: str, flags: tuple[str, ...]) -> str | None:
    allowed = _FLAGS.get(kw, {})
    for f in flags:
        if f == "--":
            break
        name, eq, _value = f[2:].partition("=")
        if name not in allowed:
            return f"unknown flag: {name}"
        if allowed[name] and not eq:
            return f"missing a value on flag: {name}"
    return None


def _instruction_error(c: dockerfile.Command) -> str | None:
    """Mirror of instructions.ParseInstruction for one command (subset, see module doc)."""
    kw = (c.cmd or "").lower()
    args = c.value
    if kw not in KNOWN:
        return f"unknown instruction: {c.cmd or ''}"
    if kw == "onbuild":
        if not args:
            return "ONBUILD requires at least one argument"
        trigger = (c.sub_cmd or "").upper()
        if trigger == "ONBUILD":
            return "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed"
        if trigger in ("FROM", "MAINTAINER"):
            return f"{trigger} isn't allowed as an ONBUILD trigger"
        return None
    err = _flag_error(kw, c.flags)
    if err:
        return err
    if kw in ("env", "label", "arg", "expose", "volume", "healthcheck") and not args:
        return f"{kw.upper()} requires at least one argument"
    if kw in ("maintainer", "workdir", "user", "stopsignal") and len(args) != 1:
        return f"{kw.upper()} requires exactly one argument"
    if kw == "from":
        if not (len(args) == 1 or (len(args) == 3 and args[1].lower() == "as")):
            return "FROM requires either one or three arguments"
    if kw in ("copy", "add") and len(args) < 2:
        return f"{kw.upper()} requires at least two arguments"
    if kw == "shell" and not c.json:
        return "SHELL requires the arguments to be in JSON form"
    if kw == "healthcheck":
        typ = args[0].upper()
        if typ == "NONE" and len(args) > 1:
            return "HEALTHCHECK NONE takes no arguments"
        if typ not in ("NONE", "CMD"):
            return f'Unknown type "{typ}" in HEALTHCHECK (try CMD)'
        if typ == "CMD" and len(args) == 1:
            return "Missing command after HEALTHCHECK CMD"
        if typ == "CMD":
            for f in c.flags:
                name, _, value = f[2:].partition("=")
                if name == "retries" and value:
                    if not re.fullmatch(r"[+-]?[0-9]+", value):
                        return f'strconv.ParseInt: parsing "{value}": invalid syntax'
                    if int(value) < 1:
                        return f"--retries must be at least 1 (not {int(value)})"
                elif name != "retries" and value:
                    d = _go_duration(value)
                    if d is None:
                        if re.fullmatch(r"[+-]?[0-9.]+", value):
                            return f'time: missing unit in duration "{value}"'
                        return f'time: invalid duration "{value}"'
                    if 0 < d < 1e-3:
                        return f'Interval "{name}" cannot be less than 1ms'
    return None


_DURATION_UNITS = {"ns": 1e-9, "us": 1e-6, "\u00b5s": 1e-6, "\u03bcs": 1e-6, "ms": 1e-3, "s": 1.0,
                   "m": 60.0, "h": 3600.0}
_DURATION_PART = re.compile(r"([0-9]*(?:\.[0-9]*)?)([a-z\u00b5\u03bc]+)")


def _go_duration(s: str) -> float | None:
    """Go's time.ParseDuration, in seconds; None when Go rejects it."""
    t = s.lstrip("+-")
    if t == "0":
        return 0.0
    if not t:
        return None
    total, pos = 0.0, 0
    while pos < len(t):
        m = _DURATION_PART.match(t, pos)
        if not m or m.group(1) in ("", ".") or m.group(2) not in _DURATION_UNITS:
            return None
        total += float(m.group(1)) * _DURATION_UNITS[m.group(2)]
        pos = m.end()
    return -total if s.startswith("-") else total


def buildkit_verdict(data: bytes | str) -> Verdict:
    """Would `docker build` (BuildKit) accept this file? And where does it point if not?

    Level 1 comes from the real BuildKit parser. Level 2 mirrors the documented checks of
    instructions.Parse + dockerfile2llb that can be decided from the level-1 output, in file
    order: unknown instruction; argument counts; flags; SHELL needs JSON; HEALTHCHECK types;
    ONBUILD triggers; any instruction but ARG before the first FROM ("no build stage in current
    context", at that instruction); no FROM at all ("dockerfile contains no stages to build",
    BuildKit gives no line).
    """
    if isinstance(data, str):
        data = to_bytes(data)
    try:
        cmds = bk_parse(data)
    except dockerfile.GoParseError as e:
        msg = str(e)
        return Verdict(False, level1_error_line(data, msg), msg, 1)
    seen_from = False
    for c in cmds:
        err = _instruction_error(c)
        if err:
            return Verdict(False, c.start_line, err, 2)
        kw = (c.cmd or "").lower()
        if kw == "from":
            seen_from = True
        elif kw != "arg" and not seen_from:
            return Verdict(False, c.start_line, "no build stage in current context", 2)
    if not seen_from:
        return Verdict(False, None, "dockerfile contains no stages to build", 2)
    return Verdict(True)


# --------------------------------------------------------------------------- dockerfile-parse


def dfp_spans(data: bytes) -> list[Span]:
    """dockerfile-parse's instructions (COMMENT entries dropped), 1-based like BuildKit."""
    from dockerfile_parse import DockerfileParser

    p = DockerfileParser(fileobj=io.BytesIO(_safe_bytes(data)), cache_content=True)
    return [
        (d["instruction"], d["startline"] + 1, d["endline"] + 1)
        for d in p.structure
        if d["instruction"] != "COMMENT"
    ]


def is_json_array_of_strings(s: str) -> bool:
    try:
        v = json.loads(s)
    except ValueError:
        return False
    return isinstance(v, list) and all(isinstance(x, str) for x in v)
