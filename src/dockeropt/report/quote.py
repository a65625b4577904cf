"""Text that reaches a terminal or a patch tool: control characters escaped, paths quoted as git does.

A file's content or name can hold terminal escape sequences (``ESC [ 2 J``, ``ESC ] 0 ; title``),
bidirectional-override characters, or newlines that would forge lines of a diff. Messages show
them escaped; paths are left as they are when harmless and otherwise written the way git writes
them (``core.quotePath``): in double quotes, with C escapes (``\\n``, ``\\t``, ``\\"``, ``\\\\``) and
other bytes in octal (``\\033``), so ``git apply`` and GNU ``patch`` read the real name back.
"""

from __future__ import annotations

import re

# C0 and C1 controls, DEL, line/paragraph separators, bidi embeddings/overrides/isolates/marks,
# and lone surrogates (undecodable bytes kept by surrogateescape)
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_C_ESCAPES = {0x07: "\\a", 0x08: "\\b", 0x09: "\\t", 0x0A: "\\n", 0x0B: "\\v", 0x0C: "\\f", 0x0D: "\\r",
              0x22: '\\"', 0x5C: "\\\\"}
_TEXT_ESCAPES = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def _escape_char(m: re.Match) -> str:
    ch = m.group(0)
    if ch in _TEXT_ESCAPES:
        return _TEXT_ESCAPES[ch]
    code = ord(ch)
    if 0xDC80 <= code <= 0xDCFF:  # an undecodable byte
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def escape(text: str) -> str:
    """Message text with control characters as ``\\n``, ``\\x1b``, ``\\u202e``; the rest as is."""
    return _UNSAFE.sub(_escape_char, text) if _UNSAFE.search(text) else text


def _c_quote(text: str, non_ascii: bool) -> str:
    out = ['"']
    for ch in text:
        code = ord(ch)
        if code < 0x80:
            if code in _C_ESCAPES:
                out.append(_C_ESCAPES[code])
            elif code < 0x20 or code == 0x7F:
                out.append(f"\\{code:03o}")
            else:
                out.append(ch)
        elif non_ascii or _UNSAFE.match(ch):
            out.extend(f"\\{b:03o}" for b in ch.encode("utf-8", "surrogateescape"))
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def quote_path(path: str) -> str:
    """A path for a message: as is, or git-quoted when it holds control characters."""
    return _c_quote(path, non_ascii=False) if _UNSAFE.search(path) else path


def git_quote(name: str) -> str:
    """A name for a diff header, exactly as git quotes it (``core.quotePath`` on, the default):
    quoted when it holds ``"``, ``\\``, a control character or a non-ASCII byte."""
    if name.isascii() and not any(c in name for c in '"\\') and not _UNSAFE.search(name):
        return name
    return _c_quote(name, non_ascii=True)
