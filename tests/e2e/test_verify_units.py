"""Fast tests of dockeropt.verify's machinery without a build engine: layer tars with whiteouts,
OCI layouts and docker-save archives made here, a fake engine for the exit-status rules."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
from pathlib import Path

import pytest

from dockeropt.verify import (
    DEFAULT_IGNORES,
    BuiltImage,
    Engine,
    VerifyEnvironmentError,
    diff_trees,
    external_images,
    measure,
    normalize_ref,
    read_docker_archive,
    read_oci_layout,
    run_verify,
    verify,
)
from dockeropt.verify.errors import BuildFailed
from dockeropt.verify.tree import apply_layer, is_ignored, read_layer

# --- helpers: layer tars and OCI layouts -------------------------------------------------------


def layer_tar(members: list[tuple]) -> bytes:
    """members: ("file", path, content[, mode]) | ("dir", path) | ("symlink", path, target)
    | ("hardlink", path, target) | ("whiteout", path) | ("opaque", dir)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tf:
        for m in members:
            kind, path = m[0], m[1]
            if kind == "whiteout":
                head, _, base = path.rpartition("/")
                path, kind, m = (f"{head}/.wh.{base}" if head else f".wh.{base}"), "file", ("file", "", b"")
            elif kind == "opaque":
                path, kind, m = f"{path}/.wh..wh..opq", "file", ("file", "", b"")
            ti = tarfile.TarInfo(path)
            ti.mtime = 1700000000
            if kind == "file":
                data = m[2] if isinstance(m[2], bytes) else m[2].encode()
                ti.size = len(data)
                ti.mode = m[3] if len(m) > 3 else 0o644
                tf.addfile(ti, io.BytesIO(data))
                continue
            if kind == "dir":
                ti.type, ti.mode = tarfile.DIRTYPE, 0o755
            elif kind == "symlink":
                ti.type, ti.linkname = tarfile.SYMTYPE, m[2]
            elif kind == "hardlink":
                ti.type, ti.linkname = tarfile.LNKTYPE, m[2]
            tf.addfile(ti)
    return buf.getvalue()


def write_oci(root: Path, layers: list[bytes], config_extra: dict | None = None, history=None) -> Path:
    blobs = root / "blobs" / "sha256"
    blobs.mkdir(parents=True)

    def put(data: bytes) -> str:
        d = hashlib.sha256(data).hexdigest()
        (blobs / d).write_bytes(data)
        return "sha256:" + d

    descs, diff_ids = [], []
    for raw in layers:
        gz = gzip.compress(raw, mtime=0)
        descs.append({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": put(gz), "size": len(gz)})
        diff_ids.append("sha256:" + hashlib.sha256(raw).hexdigest())
    config = {
        "config": {"Env": ["PATH=/usr/bin"], **(config_extra or {})},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": history or [{"created_by": f"layer {i}"} for i in range(len(layers))],
    }
    cd = put(json.dumps(config).encode())
    manifest = {"schemaVersion": 2, "config": {"digest": cd, "size": 1}, "layers": descs}
    md = put(json.dumps(manifest).encode())
    (root / "index.json").write_text(json.dumps({"schemaVersion": 2, "manifests": [{"digest": md, "size": 1}]}))
    (root / "oci-layout").write_text('{"imageLayoutVersion": "1.0.0"}')
    return root


BASE = layer_tar([
    ("dir", "etc"), ("file", "etc/os-release", "debian\n"), ("dir", "usr"), ("dir", "usr/bin"),
    ("file", "usr/bin/sh", "ELF", 0o755), ("dir", "var/lib/apt/lists"), ("dir", "tmp"),
    ("dir", "opt"), ("dir", "opt/old"), ("file", "opt/old/a", "a"), ("file", "opt/old/b", "b"),
])


# --- tree ----------------------------------------------------------------------------------------


def test_whiteouts_opaque_and_hardlinks():
    tree: dict = {}
    apply_layer(tree, read_layer(io.BytesIO(BASE)))
    top = layer_tar([
        ("whiteout", "etc/os-release"),
        ("opaque", "opt/old"), ("file", "opt/old/new", "n"),
        ("file", "usr/bin/bash", "BASH", 0o755), ("hardlink", "usr/bin/rbash", "usr/bin/bash"),
        ("symlink", "usr/bin/sh2", "bash"),
    ])
    changes = read_layer(io.BytesIO(top))
    assert changes.whiteouts == ["etc/os-release"] and changes.opaques == ["opt/old"]
    assert changes.uncompressed_bytes == len(top)
    apply_layer(tree, changes)
    assert "etc/os-release" not in tree and "etc" in tree
    assert {p for p in tree if p.startswith("opt/old/")} == {"opt/old/new"}
    assert tree["usr/bin/rbash"] == tree["usr/bin/bash"]
    assert tree["usr/bin/bash"].sha256 == hashlib.sha256(b"BASH").hexdigest()
    assert tree["usr/bin/bash"].mode == 0o755
    assert tree["usr/bin/sh2"].target == "bash"


def test_whiteout_of_a_directory_removes_its_subtree():
    tree: dict = {}
    apply_layer(tree, read_layer(io.BytesIO(BASE)))
    apply_layer(tree, read_layer(io.BytesIO(layer_tar([("whiteout", "opt/old")]))))
    assert not any(p.startswith("opt/old") for p in tree)
    assert "opt" in tree


def test_ignore_patterns():
    pats = [p for p, _ in DEFAULT_IGNORES]
    assert is_ignored("var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_InRelease", pats)
    assert not is_ignored("var/lib/apt/lists", pats)  # the directory itself still counts
    assert is_ignored("var/lib/dpkg/status-old", pats)
    assert not is_ignored("var/lib/dpkg/status", pats)
    assert is_ignored("var/log/apt/history.log", pats)
    assert is_ignored("tmp/x", pats) and not is_ignored("tmp", pats)
    assert is_ignored("root/.cache/pip/http/a/b", pats)
    assert not is_ignored("usr/lib/python3/dist-packages/x.py", pats)


def test_diff_trees_names_paths_and_fields():
    a: dict = {}
    apply_layer(a, read_layer(io.BytesIO(BASE)))
    b = dict(a)
    apply_layer(b, read_layer(io.BytesIO(layer_tar([
        ("file", "usr/bin/sh", "ELF", 0o700), ("file", "tmp/b", "x"), ("file", "new", "x"),
        ("file", "var/lib/apt/lists/junk", "j"),
    ]))))
    apply_layer(b, read_layer(io.BytesIO(layer_tar([("whiteout", "etc/os-release")]))))
    d = diff_trees(a, b, [p for p, _ in DEFAULT_IGNORES])
    assert d.added == ["new"]
    assert d.removed == ["etc/os-release"]
    assert d.changed == {"usr/bin/sh": ["mode: 0755 -> 0700"]}
    assert d.ignored_count == 2


# --- image layouts -------------------------------------------------------------------------------


def test_read_oci_layout_and_measure(tmp_path):
    top = layer_tar([("file", "hello", "hi")])
    img = read_oci_layout(write_oci(tmp_path / "oci", [BASE, top],
                                    history=[{"created_by": "base"}, {"created_by": "ENV", "empty_layer": True},
                                             {"created_by": "RUN echo"}]))
    m = measure(img)
    assert m.layers == 2
    assert m.uncompressed_bytes == len(BASE) + len(top)
    assert m.compressed_bytes == sum(layer.size for layer in img.layers)
    assert not m.compressed_estimated
    assert [li.created_by for li in m.layer_info] == ["base", "RUN echo"]
    assert m.tree["hello"].size == 2


def test_read_docker_archive_legacy(tmp_path):
    top = layer_tar([("file", "hello", "hi")])
    arch = tmp_path / "save.tar"
    config = {"config": {}, "rootfs": {"diff_ids": ["sha256:" + hashlib.sha256(x).hexdigest() for x in (BASE, top)]}}
    with tarfile.open(arch, "w") as tf:
        for name, data in [
            ("manifest.json", json.dumps([{"Config": "c.json", "Layers": ["l0/layer.tar", "l1/layer.tar"]}]).encode()),
            ("c.json", json.dumps(config).encode()),
            ("l0/layer.tar", BASE), ("l1/layer.tar", top),
        ]:
            ti = tarfile.TarInfo(name)
            ti.size = len(data)
            tf.addfile(ti, io.BytesIO(data))
    img = read_docker_archive(arch, tmp_path / "x")
    assert not img.compressed
    m = measure(img)
    assert m.layers == 2 and m.compressed_estimated
    assert 0 < m.compressed_bytes < m.uncompressed_bytes
    assert "hello" in m.tree


# --- Dockerfile base images ------------------------------------------------------------------


def test_external_images():
    text = (
        "# escape=`\nARG BASE=debian\nFROM ${BASE}:bookworm-slim AS build\nRUN echo `\n  hi\n"
        "FROM build AS second\nCOPY --from=build /a /b\nCOPY --from=busybox:1.36 /bin/sh /sh\n"
        "COPY --from=0 /a /c\nFROM scratch\nRUN <<EOF\nFROM not-an-image\nEOF\n"
        "FROM --platform=linux/amd64 python:3.11-slim\r\n"
    )
    assert external_images(text) == ["debian:bookworm-slim", "busybox:1.36", "python:3.11-slim"]


def test_normalize_ref():
    assert normalize_ref("debian:bookworm-slim") == "docker.io/library/debian:bookworm-slim"
    assert normalize_ref("debian") == "docker.io/library/debian:latest"
    assert normalize_ref("me/app:1") == "docker.io/me/app:1"
    assert normalize_ref("quay.io/x/y") == "quay.io/x/y:latest"
    assert normalize_ref("localhost:5000/y:2") == "localhost:5000/y:2"


# --- verify() with a fake engine ---------------------------------------------------------------


class FakeEngine(Engine):
    """'Builds' by looking the Dockerfile text up in ``images``: text -> list of layer members,
    or an exception message for a failing build."""

    name = "fake"

    def __init__(self, images: dict, have: set[str] | None = None, ok: bool = True):
        self.images = images
        self.have = have if have is not None else {"debian:bookworm-slim"}
        self.ok = ok
        self.built: dict[str, list] = {}
        self.removed: list[str] = []

    def available(self):
        return self.ok

    def install_hint(self):
        return "install the fake engine"

    def has_image(self, ref):
        return ref in self.have

    def build(self, dockerfile_text, context_dir, tag, *, ignorefile_text=None, progress=None):
        spec = self.images[dockerfile_text]
        if isinstance(spec, str):
            raise BuildFailed("fake build failed", spec)
        self.built[tag] = spec
        return BuiltImage(tag, "id", 1.5, "")

    def export(self, tag, dest=None):
        import tempfile

        dest = dest or Path(tempfile.mkdtemp(prefix="fake-export-")) / "oci"
        spec = self.built[tag]
        layers = [BASE] + [layer_tar(members) for members in spec["layers"]]
        return read_oci_layout(write_oci(dest, layers, spec.get("config")))

    def remove(self, tag):
        self.removed.append(tag)


ORIG = "FROM debian:bookworm-slim\nRUN a\nRUN b\n"
NEW = "FROM debian:bookworm-slim\nRUN a && b\n"
TWO = {"layers": [[("file", "a", "1")], [("file", "b", "2")]]}
ONE = {"layers": [[("file", "a", "1"), ("file", "b", "2")]]}


def test_verify_ok_and_report_renderings(tmp_path):
    eng = FakeEngine({ORIG: TWO, NEW: ONE})
    r = verify(ORIG, NEW, engine=eng, context_dir=tmp_path)
    assert r.exit_code == 0, r.to_text()
    assert r.original.layers == 3 and r.rewritten.layers == 2
    assert r.headline().startswith("verified: -1 layers")
    assert "| layers | 3 | 2 | -1 |" in r.to_markdown()
    assert json.loads(r.to_json())["verified"] is True
    assert sorted(eng.removed) == sorted(eng.built)  # both images removed


def test_verify_tree_difference_is_exit_1(tmp_path):
    wrong = {"layers": [[("file", "a", "1"), ("dir", "tmp"), ("file", "tmp/b", "2")]]}
    r = verify(ORIG, NEW, engine=FakeEngine({ORIG: TWO, NEW: wrong}), context_dir=tmp_path)
    assert r.exit_code == 1
    assert r.tree_diff.removed == ["b"]
    assert "/b" in r.to_text() and "NOT verified" in r.to_text()


def test_verify_bigger_or_more_layers_is_exit_1(tmp_path):
    bigger = {"layers": [[("file", "a", "1")], [("file", "b", "2")], [("file", "c", "")]]}
    r = verify(ORIG, NEW, engine=FakeEngine({ORIG: TWO, NEW: bigger}), context_dir=tmp_path)
    assert r.exit_code == 1
    assert any("more layers" in p for p in r.problems)


def test_verify_config_difference_is_exit_1(tmp_path):
    moved = {"layers": ONE["layers"], "config": {"WorkingDir": "/tmp"}}
    r = verify(ORIG, NEW, engine=FakeEngine({ORIG: TWO, NEW: moved}), context_dir=tmp_path)
    assert r.exit_code == 1 and "WorkingDir" in r.config_diff


def test_verify_rewritten_build_failure_is_exit_1(tmp_path):
    r = verify(ORIG, NEW, engine=FakeEngine({ORIG: TWO, NEW: "sh: 1: b: not found"}), context_dir=tmp_path)
    assert r.exit_code == 1
    assert "does not build" in r.to_text() and "b: not found" in r.to_text()


def test_verify_identical_builds_nothing(tmp_path):
    eng = FakeEngine({})
    r = verify(ORIG, ORIG, engine=eng, context_dir=tmp_path)
    assert r.exit_code == 0 and r.identical and not eng.built


def test_run_verify_exit_2_original_does_not_build(tmp_path):
    (tmp_path / "Dockerfile").write_text(ORIG)
    code, out = run_verify(tmp_path / "Dockerfile", engine=FakeEngine({ORIG: "boom", NEW: ONE}), rewritten_text=NEW)
    assert code == 2 and "original" in out and "boom" in out and "Traceback" not in out


def test_run_verify_exit_2_missing_base_image(tmp_path):
    (tmp_path / "Dockerfile").write_text(ORIG)
    code, out = run_verify(tmp_path / "Dockerfile", engine=FakeEngine({ORIG: TWO, NEW: ONE}, have=set()),
                           rewritten_text=NEW, fmt="json")
    assert code == 2
    err = json.loads(out)["error"]
    assert "debian:bookworm-slim" in err and "pull" in err


def test_run_verify_exit_2_engine_unavailable(tmp_path):
    (tmp_path / "Dockerfile").write_text(ORIG)
    code, out = run_verify(tmp_path / "Dockerfile", engine=FakeEngine({}, ok=False), rewritten_text=NEW)
    assert code == 2 and "install the fake engine" in out


def test_run_verify_exit_2_no_engine_at_all(tmp_path, monkeypatch):
    (tmp_path / "Dockerfile").write_text(ORIG)
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    code, out = run_verify(tmp_path / "Dockerfile", rewritten_text=NEW, fmt="markdown")
    assert code == 2
    assert "no container build engine found" in out and "buildah" in out
    code, out = run_verify(tmp_path / "Dockerfile", engine="podman", rewritten_text=NEW)
    assert code == 2 and "podman is not usable here" in out and "apt-get install" in out


def test_run_verify_unreadable_file(tmp_path):
    code, out = run_verify(tmp_path / "nope", rewritten_text=NEW)
    assert code == 2 and "cannot read" in out


def test_run_verify_rejects_unknown_format(tmp_path):
    with pytest.raises(ValueError):
        run_verify(tmp_path / "Dockerfile", rewritten_text=NEW, fmt="yaml")


def test_environment_error_is_a_verify_error():
    from dockeropt.verify import VerifyError

    assert issubclass(VerifyEnvironmentError, VerifyError)


def test_pyc_source_mtime_is_masked():
    import importlib.util

    body = b"\xe3" + b"code" * 10
    magic = importlib.util.MAGIC_NUMBER
    pyc1 = magic + b"\0\0\0\0" + (1700000000).to_bytes(4, "little") + (12).to_bytes(4, "little") + body
    pyc2 = magic + b"\0\0\0\0" + (1700000999).to_bytes(4, "little") + (12).to_bytes(4, "little") + body
    hashed = magic + b"\x01\0\0\0" + b"12345678" + body  # hash-based: compared as is
    trees = []
    for stamp, h in ((pyc1, hashed), (pyc2, hashed[:-1] + b"!")):
        t: dict = {}
        apply_layer(t, read_layer(io.BytesIO(layer_tar([("file", "m.cpython-311.pyc", stamp), ("file", "h.pyc", h)]))))
        trees.append(t)
    d = diff_trees(*trees)
    assert list(d.changed) == ["h.pyc"]
