#!/usr/bin/env bash
# Prepare what the end-to-end tests (tests/e2e, `pytest -m e2e`) need to build real images without a
# Docker daemon or a registry:
#
#   1. buildah, runc, debootstrap and skopeo (apt-get, only when missing);
#   2. a local `docker.io/library/debian:bookworm-slim` base image, made once with debootstrap
#      (minbase, from the mirror in /etc/apt/sources.list.d/debian.sources) and saved as an OCI
#      archive in the cache dir, so every test's fresh buildah store can load it in about a second.
#
# Idempotent: a second run finds the tools and the archive and does nothing (well under a second).
# The multi-stage cases also need stand-ins of golang, rust, maven, node, python and distroless
# images: .ci/e2e-standins.sh builds them from this base, lazily (tests/e2e/test_multistage.py
# asks for the ones its cases use), into the same cache dir.
#
#   DOCKEROPT_E2E_CACHE  cache dir (default: ${TMPDIR:-/tmp}/dockeropt-e2e-cache)
#   --force              rebuild the base image even when the archive exists
#   --measure            also time the ways of giving a fresh store the base image
#
# Prints on its last line:  DOCKEROPT_E2E_BASE=oci-archive:<path>   (what tests/e2e/conftest.py reads)
set -euo pipefail

FORCE=0
MEASURE=0
for arg in "$@"; do
  case "$arg" in
    --force) FORCE=1 ;;
    --measure) MEASURE=1 ;;
    *) echo "usage: $0 [--force] [--measure]" >&2; exit 2 ;;
  esac
done

CACHE="${DOCKEROPT_E2E_CACHE:-${TMPDIR:-/tmp}/dockeropt-e2e-cache}"
REF="docker.io/library/debian:bookworm-slim"
ARCHIVE="$CACHE/debian-bookworm-slim.oci.tar"
STAMP="$CACHE/debian-bookworm-slim.stamp"
# Bump when the way the base is made changes, so old caches are rebuilt.
RECIPE=1

log() { printf '[e2e-setup] %s\n' "$*" >&2; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

T_ALL=$(now)
mkdir -p "$CACHE"
# One setup at a time per cache dir (pytest-xdist workers, two terminals).
exec 9>"$CACHE/.lock"
flock 9

# --- 1. tools ----------------------------------------------------------------------------------
need=()
command -v buildah >/dev/null 2>&1 || need+=(buildah)
command -v runc >/dev/null 2>&1 || need+=(runc)
command -v debootstrap >/dev/null 2>&1 || need+=(debootstrap)
command -v skopeo >/dev/null 2>&1 || need+=(skopeo)
if ((${#need[@]})); then
  if [ "$(id -u)" != 0 ]; then
    log "missing: ${need[*]}; run as root or install them: apt-get install -y ${need[*]}"
    exit 1
  fi
  T=$(now)
  log "installing ${need[*]} with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" ca-certificates >/dev/null
  log "tools installed in $(since "$T") s"
else
  log "tools present: $(buildah --version)"
fi

# --- 2. base image -----------------------------------------------------------------------------
if [ "$FORCE" = 0 ] && [ -s "$ARCHIVE" ] && [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$RECIPE" ]; then
  log "base image cached: $ARCHIVE ($(du -h "$ARCHIVE" | cut -f1))"
else
  rm -f "$ARCHIVE" "$STAMP"
  WORK=$(mktemp -d "$CACHE/build.XXXXXX")
  cleanup() {
    if [ -n "${CTR:-}" ]; then
      buildah --root "$WORK/root" --runroot "$WORK/runroot" --storage-driver vfs umount "$CTR" >/dev/null 2>&1 || true
    fi
    rm -rf "$WORK"
  }
  trap cleanup EXIT

  SOURCES=/etc/apt/sources.list.d/debian.sources
  MIRROR=""
  if [ -f "$SOURCES" ]; then
    MIRROR=$(awk '/^URIs:/ { print $2; exit }' "$SOURCES")
  fi
  MIRROR="${MIRROR:-http://deb.debian.org/debian}"
  ROOTFS="$WORK/rootfs"

  T=$(now)
  log "debootstrap --variant=minbase bookworm from $MIRROR"
  debootstrap --variant=minbase bookworm "$ROOTFS" "$MIRROR" >"$WORK/debootstrap.log" 2>&1 || {
    tail -30 "$WORK/debootstrap.log" >&2
    exit 1
  }
  log "debootstrap took $(since "$T") s"

  # apt inside builds uses the same mirror and settings as this machine.
  if [ -f "$SOURCES" ]; then
    rm -f "$ROOTFS/etc/apt/sources.list"
    cp "$SOURCES" "$ROOTFS/etc/apt/sources.list.d/debian.sources"
  fi
  if [ -d /etc/apt/apt.conf.d ]; then
    cp -a /etc/apt/apt.conf.d/. "$ROOTFS/etc/apt/apt.conf.d/"
  fi
  # Slim it the way debian:*-slim is slim (no docs, man pages, locales, apt lists or .debs).
  rm -rf "$ROOTFS"/usr/share/doc/* "$ROOTFS"/usr/share/man/* "$ROOTFS"/usr/share/info/* \
    "$ROOTFS"/usr/share/locale/* "$ROOTFS"/var/lib/apt/lists/* \
    "$ROOTFS"/var/cache/apt/*.bin "$ROOTFS"/var/cache/apt/archives/*.deb \
    "$ROOTFS"/var/log/*.log "$ROOTFS"/var/log/apt/* "$ROOTFS"/tmp/* "$ROOTFS"/var/tmp/*
  mkdir -p "$ROOTFS/var/lib/apt/lists/partial"

  T=$(now)
  B=(buildah --root "$WORK/root" --runroot "$WORK/runroot" --storage-driver vfs)
  CTR=$("${B[@]}" from scratch)
  MNT=$("${B[@]}" mount "$CTR")
  tar -C "$ROOTFS" --numeric-owner -cf - . | tar -C "$MNT" --numeric-owner -xpf -
  "${B[@]}" umount "$CTR" >/dev/null
  "${B[@]}" config --cmd '["bash"]' \
    --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    --os linux --arch amd64 "$CTR"
  "${B[@]}" commit -q --format docker "$CTR" "$REF" >/dev/null
  CTR=""
  "${B[@]}" push -q "$REF" "oci-archive:$ARCHIVE.part:$REF" >/dev/null
  mv "$ARCHIVE.part" "$ARCHIVE"
  echo "$RECIPE" >"$STAMP"
  log "imported and saved in $(since "$T") s: $ARCHIVE ($(du -h "$ARCHIVE" | cut -f1))"
  cleanup
  trap - EXIT
fi

# --- 3. optional: how fast can a fresh store get the base, and build? ----------------------------
# Measured on the project's 2-core machine (idle / with a load average of ~10):
#   loading the archive into a fresh store: ~6 s / ~7-14 s, whatever the transport (oci-archive,
#   oci dir, dir) -- so the e2e tests load it once into one session store and build with --no-cache;
#   3-RUN trivial build: overlay ~1.5 s, vfs ~10-15 s (overlay works on this kernel);
#   export: `buildah push oci:` re-tars and gzips the 77 MB base every time (3-6 s per image);
#   `skopeo copy --dest-oci-accept-uncompressed-layers` into one shared layout writes it once
#   (then ~0.2 s per image) -- what BuildahEngine(fast_export=True) does.
if [ "$MEASURE" = 1 ]; then
  printf 'FROM %s\nRUN echo a > /a\nRUN echo b > /b\nRUN echo c > /c\n' "$REF" >"$CACHE/measure.Dockerfile"
  for driver in overlay vfs; do
    M=$(mktemp -d "$CACHE/measure.XXXXXX")
    B=(buildah --root "$M/root" --runroot "$M/runroot" --storage-driver "$driver")
    T=$(now)
    if ! "${B[@]}" pull -q "oci-archive:$ARCHIVE" >/dev/null 2>&1; then
      log "measure: $driver: cannot load the base (driver unusable here)"
      rm -rf "$M"
      continue
    fi
    log "measure: $driver: load base into a fresh store: $(since "$T") s"
    T=$(now)
    "${B[@]}" bud -q --layers --no-cache --pull=never --isolation chroot --format docker \
      -t m1 -f "$CACHE/measure.Dockerfile" "$M" >/dev/null
    log "measure: $driver: 3-RUN build, --no-cache: $(since "$T") s"
    T=$(now)
    "${B[@]}" push -q m1 "oci:$M/pushed" >/dev/null
    log "measure: $driver: buildah push oci: (gzip): $(since "$T") s"
    if command -v skopeo >/dev/null; then
      for i in 1 2; do
        T=$(now)
        skopeo copy -q --dest-oci-accept-uncompressed-layers \
          "containers-storage:[$driver@$M/root+$M/runroot]localhost/m1:latest" "oci:$M/shared:m$i" >/dev/null
        log "measure: $driver: skopeo copy, uncompressed, shared layout, #$i: $(since "$T") s"
      done
    fi
    "${B[@]}" rmi -a -f >/dev/null 2>&1 || true
    grep -o " $M/[^ ]*" /proc/self/mounts | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
    rm -rf "$M"
  done
  rm -f "$CACHE/measure.Dockerfile"
fi

log "done in $(since "$T_ALL") s"
echo "DOCKEROPT_E2E_BASE=oci-archive:$ARCHIVE"
