"""The concrete syntax tree: immutable nodes that own every byte of a Dockerfile.

In the spirit of libcst: ``node.code`` prints a node back exactly as it was read, trivia (comments,
blank lines, continuations, indentation, newlines) belongs to nodes, and a changed tree is built
with ``node.with_changes(...)``. Positions (``start_line``/``end_line``) are metadata recorded by
the parser; they take no part in equality and are 0 on nodes built by hand.

Instruction arguments are kept as written (``pieces``: text and continuations); the typed views
(``From.image``, ``Run.flags``, ``Copy.sources`` ...) are computed from the *logical* line, i.e.
the text BuildKit sees once continuations and the comment lines inside them are removed.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from functools import cached_property
from typing import Iterator, Union

from dockeropt.syntax import buildkit as bk


@dataclass(frozen=True)
class Node:
    """Base class of every node."""

    def _codegen(self, out: list[str]) -> None:
        raise NotImplementedError

    @property
    def code(self) -> str:
        out: list[str] = []
        self._codegen(out)
        return "".join(out)

    def with_changes(self, **changes) -> "Node":
        return dataclasses.replace(self, **changes)

    def children(self) -> Iterator["Node"]:
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if isinstance(value, Node):
                yield value
            elif isinstance(value, tuple):
                for item in value:
                    if isinstance(item, Node):
                        yield item


# --- trivia -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EmptyLine(Node):
    """A line with nothing but whitespace."""

    whitespace: str = ""
    newline: str = "\n"

    def _codegen(self, out):
        out.append(self.whitespace)
        out.append(self.newline)


@dataclass(frozen=True)
class Comment(Node):
    """A comment line: ``indent`` + ``text`` (which starts with ``#``) + ``newline``."""

    text: str
    indent: str = ""
    newline: str = "\n"

    def _codegen(self, out):
        out.append(self.indent)
        out.append(self.text)
        out.append(self.newline)


Line = Union[EmptyLine, Comment]


@dataclass(frozen=True)
class Directive(Node):
    """A parser directive at the top of the file (``# syntax=...``, ``# escape=...``, ``# check=...``)."""

    text: str
    newline: str = "\n"

    def _codegen(self, out):
        out.append(self.text)
        out.append(self.newline)

    @property
    def name(self) -> str:
        m = bk.DIRECTIVE_RE.match(self.text, bk.lstrip_len(self.text))
        return m.group(1).lower() if m else ""

    @property
    def value(self) -> str:
        m = bk.DIRECTIVE_RE.match(self.text, bk.lstrip_len(self.text))
        return m.group(2) if m else ""


@dataclass(frozen=True)
class Text(Node):
    """Argument text on one physical line."""

    value: str

    def _codegen(self, out):
        out.append(self.value)


@dataclass(frozen=True)
class Continuation(Node):
    """A line continuation: ``marker`` is the escape character with any blanks after it; the
    comment and blank lines that BuildKit skips inside the continuation follow it."""

    marker: str = "\\"
    newline: str = "\n"
    lines: tuple[Line, ...] = ()

    def _codegen(self, out):
        out.append(self.marker)
        out.append(self.newline)
        for line in self.lines:
            line._codegen(out)


Piece = Union[Text, Continuation]


@dataclass(frozen=True)
class Heredoc(Node):
    """A heredoc body and the line that ends it."""

    body: str
    end: str  # the terminator line with its newline

    def _codegen(self, out):
        out.append(self.body)
        out.append(self.end)


# --- instructions -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Flag:
    """``--name=value`` as BuildKit reads it (quotes removed); ``value`` is None for ``--name``."""

    name: str
    value: str | None

    @classmethod
    def from_word(cls, word: str) -> "Flag":
        name, eq, value = word[2:].partition("=")
        return cls(name, value if eq else None)

    def __str__(self) -> str:
        return f"--{self.name}" if self.value is None else f"--{self.name}={self.value}"


@dataclass(frozen=True)
class Instruction(Node):
    """One instruction with the comment/blank lines above it (``leading_lines``).

    ``keyword_raw`` is the instruction word as written; ``pieces`` is everything after it up to the
    newline that ends the instruction, then come the heredoc bodies.
    """

    keyword_raw: str
    pieces: tuple[Piece, ...] = ()
    newline: str = "\n"
    heredocs: tuple[Heredoc, ...] = ()
    indent: str = ""
    leading_lines: tuple[Line, ...] = ()
    start_line: int = field(default=0, compare=False)
    end_line: int = field(default=0, compare=False)

    def _codegen(self, out):
        for line in self.leading_lines:
            line._codegen(out)
        self._codegen_own(out)

    def _codegen_own(self, out):
        out.append(self.indent)
        out.append(self.keyword_raw)
        for piece in self.pieces:
            piece._codegen(out)
        out.append(self.newline)
        for h in self.heredocs:
            h._codegen(out)

    @cached_property
    def own_code(self) -> str:
        """The instruction's text without its leading comment/blank lines."""
        out: list[str] = []
        self._codegen_own(out)
        return "".join(out)

    # -- the logical line ----------------------------------------------------------------------

    @cached_property
    def line(self) -> str:
        """The logical line as BuildKit sees it: keyword and arguments, continuations removed."""
        return self.keyword_raw + "".join(p.value for p in self.pieces if isinstance(p, Text))

    @cached_property
    def _split(self) -> tuple[str, int]:
        return bk.split_command(self.line)

    @property
    def keyword(self) -> str:
        """The instruction word, upper-case (``RUN``)."""
        return self._split[0].upper()

    @property
    def args(self) -> str:
        """The arguments after the instruction word, as on the logical line."""
        return self.line[self._split[1] :]

    @cached_property
    def _flags(self) -> tuple[tuple[Flag, ...], int]:
        words, rest = bk.extract_builder_flags(self.args)
        return tuple(Flag.from_word(w) for w in words), self._split[1] + rest

    @property
    def flags(self) -> tuple[Flag, ...]:
        return self._flags[0]

    def flag(self, name: str) -> str | None:
        """The value of the last ``--name`` flag (BuildKit keeps the last), None when absent."""
        value = None
        for f in self.flags:
            if f.name == name:
                value = f.value if f.value is not None else ""
        return value

    @property
    def rest_offset(self) -> int:
        """Offset in ``line`` where the arguments after the flags start."""
        return self._flags[1]

    @property
    def rest(self) -> str:
        """The arguments after the flags."""
        return self.line[self.rest_offset :]

    def raw_offset(self, logical: int) -> int:
        """Map an offset in ``line`` to an offset in ``own_code``.

        An offset at the boundary between two physical lines maps to the end of the earlier one.
        """
        raw = len(self.indent)
        pos = 0
        chunks = [self.keyword_raw] + [p for p in self.pieces]
        for chunk in chunks:
            if isinstance(chunk, Continuation):
                raw += len(chunk.code)
                continue
            value = chunk if isinstance(chunk, str) else chunk.value
            if logical <= pos + len(value):
                return raw + (logical - pos)
            pos += len(value)
            raw += len(value)
        raise IndexError(f"logical offset {logical} past the end of the line ({pos})")

    @property
    def args_end_offset(self) -> int:
        """Offset in ``own_code`` just after the last argument text (before the final newline)."""
        return len(self.indent) + len(self.keyword_raw) + sum(len(p.code) for p in self.pieces)

    # -- exec vs shell form --------------------------------------------------------------------

    @cached_property
    def json_args(self) -> list[str] | None:
        """The argument list when the instruction uses JSON (exec) form."""
        try:
            return bk.parse_json_array(self.rest)
        except bk.NotStringArray:
            return None

    @property
    def is_exec_form(self) -> bool:
        return self.json_args is not None

    @cached_property
    def heredoc_specs(self) -> list[bk.HeredocSpec]:
        if not self.heredocs:
            return []
        return bk.heredocs_from_line(self.line)[: len(self.heredocs)]

    @property
    def words(self) -> list[str]:
        """The arguments after the flags split on whitespace (shell form)."""
        return bk.fields(self.rest)


class Unknown(Instruction):
    """An instruction word BuildKit does not know (the validator rejects it)."""


class _ExecOrShell(Instruction):
    """RUN, CMD, ENTRYPOINT: a JSON exec form or a shell command."""

    @property
    def command(self) -> str | None:
        """The shell command (shell form only)."""
        return None if self.is_exec_form else self.rest


class Run(_ExecOrShell):
    @property
    def mounts(self) -> list[dict[str, str]]:
        """The ``--mount`` flags as key/value maps (``type`` defaults to ``bind``)."""
        out = []
        for f in self.flags:
            if f.name == "mount" and f.value is not None:
                opts: dict[str, str] = {"type": "bind"}
                for part in f.value.split(","):
                    k, _, v = part.partition("=")
                    opts[k.strip().lower()] = v.strip()
                out.append(opts)
        return out


class Cmd(_ExecOrShell):
    pass


class Entrypoint(_ExecOrShell):
    pass


class From(Instruction):
    @property
    def image(self) -> str:
        words = self.words
        return words[0] if words else ""

    @property
    def alias(self) -> str | None:
        words = self.words
        if len(words) == 3 and words[1].upper() == "AS":
            return words[2]
        return None

    @property
    def platform(self) -> str | None:
        return self.flag("platform")

    @property
    def tag(self) -> str | None:
        ref = self.image.split("@", 1)[0]
        name_end = ref.rfind("/")
        colon = ref.rfind(":")
        return ref[colon + 1 :] if colon > name_end else None

    @property
    def digest(self) -> str | None:
        _, at, digest = self.image.partition("@")
        return digest if at else None


class _CopyLike(Instruction):
    @cached_property
    def _paths(self) -> list[str]:
        args = self.json_args
        return args if args is not None else self.words

    @property
    def sources(self) -> list[str]:
        return self._paths[:-1]

    @property
    def destination(self) -> str | None:
        return self._paths[-1] if self._paths else None


class Copy(_CopyLike):
    @property
    def from_stage(self) -> str | None:
        return self.flag("from")


class Add(_CopyLike):
    pass


def parse_words(rest: str) -> list[str]:
    """parseWords (ENV/LABEL/ARG): split on whitespace outside quotes, keeping quotes and escapes."""
    words: list[str] = []
    word: list[str] = []
    quote = ""
    in_word = False
    i, n = 0, len(rest)
    while i < n:
        ch = rest[i]
        if not in_word and ch in bk.GO_SPACE:
            i += 1
            continue
        in_word = True
        if not quote and ch in bk.GO_SPACE:
            words.append("".join(word))
            word, in_word = [], False
            i += 1
            continue
        if ch == quote:
            quote = ""
        elif not quote and ch in "'\"":
            quote = ch
        elif ch == "\\" and quote != "'" and i + 1 < n:
            word.append(ch)
            i += 1
            ch = rest[i]
        word.append(ch)
        i += 1
    if in_word and word:
        words.append("".join(word))
    return words


class _KeyValue(Instruction):
    """ENV and LABEL: ``key=value ...`` or the legacy ``key value``."""

    @cached_property
    def pairs(self) -> list[tuple[str, str]]:
        words = parse_words(self.rest)
        if not words:
            return []
        if "=" not in words[0]:
            parts = bk.WHITESPACE_RE.split(bk.go_strip(self.rest), 1)
            return [(parts[0], parts[1] if len(parts) > 1 else "")]
        return [tuple(w.split("=", 1)) for w in words if "=" in w]  # type: ignore[misc]


class Env(_KeyValue):
    pass


class Label(_KeyValue):
    pass


class Arg(Instruction):
    @cached_property
    def pairs(self) -> list[tuple[str, str | None]]:
        out: list[tuple[str, str | None]] = []
        for word in parse_words(self.rest):
            name, eq, default = word.partition("=")
            out.append((name, default if eq else None))
        return out


class _Single(Instruction):
    @property
    def value(self) -> str:
        return bk.go_strip(self.rest)


class Workdir(_Single):
    pass


class User(_Single):
    pass


class Stopsignal(_Single):
    pass


class Maintainer(_Single):
    pass


class Expose(Instruction):
    @property
    def ports(self) -> list[str]:
        return self.words


class Volume(Instruction):
    @property
    def paths(self) -> list[str]:
        args = self.json_args
        return args if args is not None else self.words


class Shell(Instruction):
    @property
    def shell(self) -> list[str] | None:
        return self.json_args


class Healthcheck(Instruction):
    @property
    def kind(self) -> str:
        words = self.words
        return words[0].upper() if words else ""

    @property
    def command(self) -> str:
        rest = bk.go_strip(self.rest)
        words = bk.fields(rest)
        return rest[len(words[0]) :] if words else ""


class Onbuild(Instruction):
    @property
    def trigger_keyword(self) -> str:
        return bk.split_command(self.rest)[0].upper()

    @cached_property
    def trigger(self) -> Instruction | None:
        """The wrapped instruction, read from the logical line (not part of the byte layout)."""
        rest = self.rest[bk.lstrip_len(self.rest) :]
        if not rest:
            return None
        word = bk.split_command(rest)[0]
        cls = INSTRUCTION_CLASSES.get(word.upper(), Unknown)
        return cls(keyword_raw=word, pieces=(Text(rest[len(word) :]),), newline="")


INSTRUCTION_CLASSES: dict[str, type[Instruction]] = {
    "FROM": From,
    "RUN": Run,
    "CMD": Cmd,
    "ENTRYPOINT": Entrypoint,
    "COPY": Copy,
    "ADD": Add,
    "ENV": Env,
    "ARG": Arg,
    "LABEL": Label,
    "WORKDIR": Workdir,
    "USER": User,
    "EXPOSE": Expose,
    "VOLUME": Volume,
    "HEALTHCHECK": Healthcheck,
    "SHELL": Shell,
    "STOPSIGNAL": Stopsignal,
    "ONBUILD": Onbuild,
    "MAINTAINER": Maintainer,
}


# --- the file -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Stage:
    """A build stage: its FROM and the instructions up to the next FROM."""

    index: int
    from_: From
    instructions: tuple[Instruction, ...]

    @property
    def alias(self) -> str | None:
        return self.from_.alias

    @property
    def name(self) -> str:
        """How later stages refer to it: the alias, or the index."""
        return self.alias.lower() if self.alias else str(self.index)


@dataclass(frozen=True)
class Dockerfile(Node):
    """The root: BOM, parser directives, instructions (each with its leading lines) and the
    comment/blank lines after the last instruction (``footer``)."""

    instructions: tuple[Instruction, ...] = ()
    directives: tuple[Directive, ...] = ()
    footer: tuple[Line, ...] = ()
    bom: str = ""

    def _codegen(self, out):
        out.append(self.bom)
        for d in self.directives:
            d._codegen(out)
        for ins in self.instructions:
            ins._codegen(out)
        for line in self.footer:
            line._codegen(out)

    @property
    def escape(self) -> str:
        for d in self.directives:
            if d.name == "escape":
                return d.value
        return "\\"

    @property
    def global_args(self) -> tuple[Instruction, ...]:
        """Instructions before the first FROM (ARGs)."""
        out = []
        for ins in self.instructions:
            if isinstance(ins, From):
                break
            out.append(ins)
        return tuple(out)

    @cached_property
    def stages(self) -> tuple[Stage, ...]:
        stages: list[Stage] = []
        current: list[Instruction] = []
        for ins in self.instructions:
            if isinstance(ins, From):
                if current and isinstance(current[0], From):
                    stages.append(Stage(len(stages), current[0], tuple(current)))  # type: ignore[arg-type]
                current = [ins]
            elif current:
                current.append(ins)
        if current and isinstance(current[0], From):
            stages.append(Stage(len(stages), current[0], tuple(current)))  # type: ignore[arg-type]
        return tuple(stages)

    @cached_property
    def offsets(self) -> tuple[tuple[int, int], ...]:
        """(start, end) character offsets in ``code`` of each instruction's own text
        (after its leading lines, through its newline and heredocs)."""
        pos = len(self.bom) + sum(len(d.code) for d in self.directives)
        out = []
        for ins in self.instructions:
            pos += sum(len(line.code) for line in ins.leading_lines)
            own = len(ins.own_code)
            out.append((pos, pos + own))
            pos += own
        return tuple(out)
