"""Read an exported image (an OCI image layout directory, or a ``docker save`` archive) and measure
it: layer count, compressed and uncompressed bytes, config, history and file tree."""

from __future__ import annotations

import gzip
import json
import tarfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from .errors import VerifyError
from .tree import LayerChanges, Tree, apply_layer, read_layer

_GZIP_MAGIC = b"\x1f\x8b"
_REF_NAME = "org.opencontainers.image.ref.name"
ESTIMATE_LEVEL = 1  # zlib level for estimating the compressed size of uncompressed layers
_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"


@dataclass
class LayerBlob:
    path: Path
    media_type: str
    size: int  # bytes of the blob as stored (compressed size for a compressed blob)
    digest: str
    diff_id: str = ""  # digest of the uncompressed tar, from the config


@dataclass
class ExportedImage:
    """An image written out by :meth:`Engine.export`.  ``compressed`` is False when the layers
    were exported uncompressed (``docker save``, buildah's fast export): compressed sizes are then
    estimated here with zlib at level 1 (``gzip -1``): on the Debian base layer that came out 2.4%
    above the Go gzip that ``buildah push``/``docker push`` write, where level 6 came out 6% below
    it and took 4x as long."""

    layers: list[LayerBlob]
    config: dict[str, Any]
    compressed: bool = True
    layout: Path | None = None  # the OCI layout holding it, if any
    ref_name: str = ""
    own_blobs: list[str] = field(default_factory=list)  # manifest and config digests

    @property
    def history(self) -> list[dict[str, Any]]:
        return list(self.config.get("history") or [])


@dataclass
class LayerInfo:
    created_by: str
    compressed_bytes: int
    uncompressed_bytes: int


@dataclass
class ImageMeasure:
    layers: int
    uncompressed_bytes: int
    compressed_bytes: int
    compressed_estimated: bool
    tree: Tree
    config: dict[str, Any]
    layer_info: list[LayerInfo] = field(default_factory=list)


def _read_json(path: Path) -> Any:
    with open(path, "rb") as f:
        return json.load(f)


def _blob(root: Path, digest: str) -> Path:
    algo, _, hexd = digest.partition(":")
    return root / "blobs" / algo / hexd


def read_oci_layout(root: Path, ref_name: str | None = None) -> ExportedImage:
    """index.json -> (nested index ->) manifest -> config and layers.  ``ref_name`` picks the
    manifest annotated with that ``org.opencontainers.image.ref.name``; default: the first."""
    root = Path(root)
    try:
        index = _read_json(root / "index.json")
    except OSError as e:
        raise VerifyError(f"not an OCI image layout: {root}: {e}") from e
    descs = index.get("manifests") or []
    if ref_name is not None:
        descs = [d for d in descs if (d.get("annotations") or {}).get(_REF_NAME) == ref_name]
    if not descs:
        raise VerifyError(f"no image {ref_name or ''} in OCI layout {root}")
    desc = descs[0]
    own = [desc["digest"]]
    doc = _read_json(_blob(root, desc["digest"]))
    while "manifests" in doc:  # an image index: take the first (only) manifest
        own.append(doc["manifests"][0]["digest"])
        doc = _read_json(_blob(root, doc["manifests"][0]["digest"]))
    own.append(doc["config"]["digest"])
    config = _read_json(_blob(root, doc["config"]["digest"]))
    diff_ids = (config.get("rootfs") or {}).get("diff_ids") or []
    layers = []
    for i, ld in enumerate(doc.get("layers") or []):
        layers.append(
            LayerBlob(
                path=_blob(root, ld["digest"]),
                media_type=ld.get("mediaType", ""),
                size=int(ld["size"]),
                digest=ld["digest"],
                diff_id=diff_ids[i] if i < len(diff_ids) else "",
            )
        )
    compressed = all(_is_compressed(layer.path) for layer in layers)
    return ExportedImage(layers=layers, config=config, compressed=compressed, layout=root,
                         ref_name=ref_name or "", own_blobs=own)


def discard_from_layout(images: list[ExportedImage]) -> None:
    """Delete what ``images`` added to their shared OCI layout: index entries, manifests, configs,
    and the layers they do not have in common (the common base stays for the next export)."""
    if not images or any(i.layout is None for i in images):
        return
    common: list[str] = []
    for layers in zip(*(i.layers for i in images)):
        if len({layer.digest for layer in layers}) != 1:
            break
        common.append(layers[0].digest)
    keep = set(common)
    for img in images:
        assert img.layout is not None
        for layer in img.layers:
            if layer.digest not in keep:
                layer.path.unlink(missing_ok=True)
        for d in img.own_blobs:
            _blob(img.layout, d).unlink(missing_ok=True)
    layout = images[0].layout
    assert layout is not None
    names = {i.ref_name for i in images if i.ref_name}
    index_path = layout / "index.json"
    index = _read_json(index_path)
    index["manifests"] = [
        d for d in index.get("manifests") or [] if (d.get("annotations") or {}).get(_REF_NAME) not in names
    ]
    tmp = index_path.with_suffix(".tmp")
    tmp.write_text(json.dumps(index))
    tmp.replace(index_path)


def read_docker_archive(archive: Path, dest: Path) -> ExportedImage:
    """Unpack a ``docker save`` tar into ``dest`` and read it (Docker >= 25 writes an OCI layout
    inside; older versions only ``manifest.json``)."""
    dest.mkdir(parents=True, exist_ok=True)
    with tarfile.open(archive) as tf:
        tf.extractall(dest, filter="data")
    if (dest / "index.json").exists() and (dest / "blobs").is_dir():
        return read_oci_layout(dest)
    manifest = _read_json(dest / "manifest.json")[0]
    config = _read_json(dest / manifest["Config"])
    diff_ids = (config.get("rootfs") or {}).get("diff_ids") or []
    layers = []
    for i, rel in enumerate(manifest["Layers"]):
        p = dest / rel
        layers.append(
            LayerBlob(p, "application/vnd.docker.image.rootfs.diff.tar", p.stat().st_size,
                      diff_ids[i] if i < len(diff_ids) else "", diff_ids[i] if i < len(diff_ids) else "")
        )
    compressed = all(_is_compressed(layer.path) for layer in layers)
    return ExportedImage(layers=layers, config=config, compressed=compressed)


def _is_compressed(path: Path) -> bool:
    with open(path, "rb") as f:
        head = f.read(4)
    return head.startswith(_GZIP_MAGIC) or head.startswith(_ZSTD_MAGIC)


class _GzipSizer:
    """Pass-through reader that also gzips what it reads, to estimate a compressed size."""

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw = raw
        self.z = zlib.compressobj(ESTIMATE_LEVEL, zlib.DEFLATED, 31)
        self.compressed = 0

    def read(self, n: int = -1) -> bytes:
        data = self.raw.read(n)
        if data:
            self.compressed += len(self.z.compress(data))
        return data

    def finish(self) -> int:
        self.compressed += len(self.z.flush())
        return self.compressed


def _read_blob(blob: LayerBlob, estimate_compressed: bool) -> tuple[LayerChanges, int]:
    """-> (layer changes, compressed bytes)."""
    with open(blob.path, "rb") as raw:
        head = raw.read(4)
        raw.seek(0)
        if head.startswith(_GZIP_MAGIC):
            with gzip.GzipFile(fileobj=raw) as g:
                return read_layer(g), blob.size
        if head.startswith(_ZSTD_MAGIC):
            try:
                import zstandard  # type: ignore[import-not-found]
            except ImportError as e:  # pragma: no cover - depends on the engine's settings
                raise VerifyError(
                    f"layer {blob.digest} is zstd-compressed; install 'zstandard' to read it"
                ) from e
            with zstandard.ZstdDecompressor().stream_reader(raw) as z:
                return read_layer(z), blob.size
        if estimate_compressed:
            sizer = _GzipSizer(raw)
            changes = read_layer(sizer)
            return changes, sizer.finish()
        return read_layer(raw), blob.size


class LayerCache:
    """Layers already read, by uncompressed digest (or blob digest): the base image's layers are
    the same in the original and the rewritten image and are read once."""

    def __init__(self) -> None:
        self._d: dict[str, tuple[LayerChanges, int]] = {}

    def get(self, blob: LayerBlob, estimate_compressed: bool) -> tuple[LayerChanges, int]:
        key = blob.diff_id or blob.digest
        hit = self._d.get(key) if key else None
        if hit is None:
            hit = _read_blob(blob, estimate_compressed)
            if key:
                self._d[key] = hit
        return hit


def measure(image: ExportedImage, cache: LayerCache | None = None) -> ImageMeasure:
    cache = cache or LayerCache()
    tree: Tree = {}
    total_u = total_c = 0
    estimated = not image.compressed
    infos: list[LayerInfo] = []
    non_empty = [h for h in image.history if not h.get("empty_layer")]
    for i, blob in enumerate(image.layers):
        changes, csize = cache.get(blob, estimated)
        apply_layer(tree, changes)
        total_u += changes.uncompressed_bytes
        total_c += csize
        created_by = non_empty[i].get("created_by", "") if i < len(non_empty) else ""
        infos.append(LayerInfo(created_by, csize, changes.uncompressed_bytes))
    return ImageMeasure(
        layers=len(image.layers),
        uncompressed_bytes=total_u,
        compressed_bytes=total_c,
        compressed_estimated=estimated,
        tree=tree,
        config=image.config,
        layer_info=infos,
    )
