"""Which runtime image a builder image maps to: one table, keyed by the builder image and its tag.

Rules of the table:

- The runtime image is of the same family as the builder (``node:18-bookworm`` ->
  ``node:18-bookworm-slim``, ``python:3.11`` -> ``python:3.11-slim``, ``maven:3-eclipse-temurin-21``
  -> ``eclipse-temurin:21-jre``) and keeps the builder's version as written, ARG references
  included (``python:${PY}-bookworm`` -> ``python:${PY}-slim-bookworm``).
- Where the artifact links against libc (Go with cgo, Rust, native Node/Python modules) the
  runtime is of the same Debian release as the builder; a tag that does not name the release
  (``rust:1.75``, ``golang:1.22`` with cgo) cannot be mapped, because the release behind it
  moves (bullseye, bookworm, trixie...).
- A static Go binary (``CGO_ENABLED=0``) runs anywhere: ``gcr.io/distroless/static-debian12``.
- A builder pinned by digest (``@sha256:...``) is not mapped: nothing here knows the digest of
  the matching runtime image, and an unpinned runtime would drop the pin.
- Images that are already small (``-slim``, ``-alpine``, ``-jre``) are not split.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional

DEBIAN = {"bookworm": "12", "bullseye": "11", "trixie": "13"}
# Version words: digits and dots, an ARG reference, or a moving name.
_VER = r"(?:[0-9][0-9A-Za-z._]*|\$\{?[A-Za-z_][A-Za-z0-9_]*\}?|latest|lts|current)"


@dataclass(frozen=True)
class ImageRef:
    """``[registry/]name[:tag][@digest]`` split up; ``name`` is the official-library short name
    (``golang``) when the reference is to Docker Hub's library, else the whole path."""

    text: str
    name: str
    tag: str
    digest: str
    official: bool


def parse_ref(ref: str) -> ImageRef:
    name, _, digest = ref.partition("@")
    tag = ""
    slash = name.rfind("/")
    colon = name.rfind(":")
    if colon > slash:
        name, tag = name[:colon], name[colon + 1 :]
    low = name.lower()
    official = False
    for prefix in ("docker.io/library/", "index.docker.io/library/", "library/", "docker.io/"):
        if low.startswith(prefix) and "/" not in low[len(prefix):]:
            low = low[len(prefix):]
            break
    if "/" not in low:
        official = True
    return ImageRef(ref, low, tag, digest, official)


@dataclass(frozen=True)
class Runtime:
    """A runtime image choice: ``image`` (None: not mappable, ``why`` says why), whether it has a
    shell and a package manager, and the Debian release it shares with the builder (if known)."""

    image: Optional[str]
    why: str
    shell: bool = True
    apt: bool = True
    release: Optional[str] = None  # "bookworm", ...


def _split_variant(tag: str, variants: tuple[str, ...]) -> tuple[str, str]:
    """``1.22-bookworm`` -> ("1.22", "bookworm"); ``bookworm`` -> ("", "bookworm")."""
    for v in variants:
        m = re.fullmatch(rf"(?:({_VER})-)?({v})", tag)
        if m:
            return m.group(1) or "", m.group(2)
    if tag == "" or re.fullmatch(_VER, tag):
        return tag, ""
    return tag, "?"


def go_runtime(ref: ImageRef, cgo: bool, shell: bool, packages: bool) -> Runtime:
    ver, variant = _split_variant(ref.tag, (r"bookworm", r"bullseye", r"trixie", r"alpine[0-9.]*"))
    if variant == "?":
        return Runtime(None, f"the tag {ref.tag!r} of golang is not one dockeropt knows")
    release = variant if variant in DEBIAN else None
    if not cgo and not shell and not packages:
        return Runtime("gcr.io/distroless/static-debian12", "a static binary (CGO_ENABLED=0) needs no libc",
                       shell=False, apt=False)
    if variant.startswith("alpine"):
        return Runtime(None, "a runtime for an Alpine Go build with cgo or a shell is not in dockeropt's table")
    if cgo and release is None:
        return Runtime(None, f"golang:{ref.tag or 'latest'} does not name the Debian release the cgo binary "
                             "links against (use e.g. golang:1.22-bookworm)")
    release = release or "bookworm"  # a static binary: any release
    if not shell and not packages:
        return Runtime(f"gcr.io/distroless/base-debian{DEBIAN[release]}", "glibc for the cgo binary, no shell",
                       shell=False, apt=False, release=release)
    return Runtime(f"debian:{release}-slim", "a shell or packages are needed at run time", release=release)


def rust_runtime(ref: ImageRef, shell: bool, packages: bool) -> Runtime:
    ver, variant = _split_variant(ref.tag, (r"slim-bookworm", r"slim-bullseye", r"bookworm", r"bullseye",
                                            r"trixie", r"slim-trixie", r"alpine[0-9.]*", r"slim"))
    if variant == "?":
        return Runtime(None, f"the tag {ref.tag!r} of rust is not one dockeropt knows")
    release = variant.replace("slim-", "")
    if release not in DEBIAN:
        return Runtime(None, f"rust:{ref.tag or 'latest'} does not name the Debian release the binary links "
                             "against (use e.g. rust:1.75-bookworm)")
    if not shell and not packages:
        return Runtime(f"gcr.io/distroless/cc-debian{DEBIAN[release]}", "glibc and libgcc for the binary, no shell",
                       shell=False, apt=False, release=release)
    return Runtime(f"debian:{release}-slim", "a shell or packages are needed at run time", release=release)


_JRE_OS = ("alpine", "focal", "jammy", "noble")


def java_runtime(ref: ImageRef) -> Runtime:
    tag = ref.tag
    java = os_ = None
    if ref.name == "maven":
        m = re.fullmatch(rf"(?:{_VER}-)?(?:eclipse-temurin-|openjdk-|jdk-)({_VER})(?:-(slim|{'|'.join(_JRE_OS)}))?", tag)
        if m:
            java, os_ = m.group(1), m.group(2)
    elif ref.name == "gradle":
        m = re.fullmatch(rf"(?:{_VER}-)?jdk({_VER})(?:-({'|'.join(_JRE_OS)}))?", tag)
        if m:
            java, os_ = m.group(1), m.group(2)
    elif ref.name == "eclipse-temurin":
        m = re.fullmatch(rf"({_VER})(?:-jdk)?(?:-({'|'.join(_JRE_OS)}))?", tag)
        if m and not tag.startswith(("latest",)):
            java, os_ = m.group(1), m.group(2)
        if "jre" in tag:
            return Runtime(None, f"eclipse-temurin:{tag} is already a runtime image")
    elif ref.name == "openjdk":
        m = re.fullmatch(rf"({_VER})(?:-jdk)?(?:-(slim|bullseye|bookworm|buster|slim-bullseye|slim-bookworm))?", tag)
        if m:
            java, os_ = m.group(1), None
    if java is None or java in ("latest", "lts", "current"):
        return Runtime(None, f"{ref.name}:{tag or 'latest'} does not name its Java version, so the matching JRE "
                             "is unknown")
    os_ = os_ if os_ in _JRE_OS else None
    return Runtime(f"eclipse-temurin:{java}-jre" + (f"-{os_}" if os_ else ""),
                   f"the Java {java} runtime (JRE) of the JDK that built the jar")


def node_runtime(ref: ImageRef) -> Runtime:
    ver, variant = _split_variant(ref.tag, (r"bookworm", r"bullseye", r"buster", r"trixie",
                                            r"(?:bookworm-|bullseye-|buster-|trixie-)?slim", r"alpine[0-9.]*"))
    if variant == "?":
        return Runtime(None, f"the tag {ref.tag!r} of node is not one dockeropt knows")
    if variant.endswith("slim") or variant.startswith("alpine"):
        return Runtime(None, f"node:{ref.tag} is already a small image")
    parts = [p for p in (ver, variant, "slim") if p]
    return Runtime("node:" + "-".join(parts), "the same Node.js on the slim variant of the same release",
                   release=variant or None)


def python_runtime(ref: ImageRef) -> Runtime:
    ver, variant = _split_variant(ref.tag, (r"bookworm", r"bullseye", r"buster", r"trixie",
                                            r"slim(?:-bookworm|-bullseye|-buster|-trixie)?", r"alpine[0-9.]*",
                                            r"windowsservercore.*"))
    if variant == "?":
        return Runtime(None, f"the tag {ref.tag!r} of python is not one dockeropt knows")
    if variant.startswith(("slim", "alpine")):
        return Runtime(None, f"python:{ref.tag} is already a small image")
    if variant.startswith("windows"):
        return Runtime(None, "Windows images are not split")
    parts = [p for p in (ver, "slim", variant) if p]
    return Runtime("python:" + "-".join(parts), "the same Python on the slim variant of the same release",
                   release=variant or None)


BUILDER_IMAGES = {
    "go": ("golang",),
    "rust": ("rust",),
    "java": ("maven", "gradle", "eclipse-temurin", "openjdk"),
    "node": ("node",),
    "python": ("python",),
}


def table_rows() -> list[tuple[str, str, str]]:
    """The table as documentation rows (builder, runtime, condition): README and tests."""
    return [
        ("golang:<v>[-bookworm|-bullseye|-alpine]", "gcr.io/distroless/static-debian12", "CGO_ENABLED=0, no shell or packages needed"),
        ("golang:<v>-bookworm", "gcr.io/distroless/base-debian12", "cgo, no shell or packages needed"),
        ("golang:<v>-<release>", "debian:<release>-slim", "shell-form CMD/HEALTHCHECK, an entrypoint script or runtime packages"),
        ("rust:<v>-[slim-]<release>", "gcr.io/distroless/cc-debian<N>", "no shell or packages needed"),
        ("rust:<v>-[slim-]<release>", "debian:<release>-slim", "otherwise"),
        ("maven:<v>-eclipse-temurin-<J>[-<os>]", "eclipse-temurin:<J>-jre[-<os>]", ""),
        ("maven:<v>-openjdk-<J> / -jdk-<J>", "eclipse-temurin:<J>-jre", ""),
        ("gradle:<v>-jdk<J>[-<os>]", "eclipse-temurin:<J>-jre[-<os>]", ""),
        ("eclipse-temurin:<J>[-jdk][-<os>]", "eclipse-temurin:<J>-jre[-<os>]", ""),
        ("openjdk:<J>[-jdk][-slim]", "eclipse-temurin:<J>-jre", ""),
        ("node:<v>[-<release>]", "node:<v>[-<release>]-slim", ""),
        ("python:<v>[-<release>]", "python:<v>-slim[-<release>]", ""),
    ]
