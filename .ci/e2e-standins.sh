#!/usr/bin/env bash
# Local stand-ins for the official images the multi-stage rule names, for the end-to-end builds
# (tests/e2e, cases multistage-*): no registry is reachable here, so each image is built once
# from the debootstrap base (.ci/e2e-setup.sh) and Debian packages, tagged with the official
# names, and kept as an OCI archive in the cache dir. Recipes: .ci/standins/*.Dockerfile (the
# first line names the tags); an archive is rebuilt when its recipe changes (sha256 stamp).
#
#   bash .ci/e2e-standins.sh golang:1.19-bookworm gcr.io/distroless/static-debian12 ...
#   bash .ci/e2e-standins.sh --all
#   bash .ci/e2e-standins.sh --list          # the tags each recipe provides
#
# Only the recipes providing the named images are built (tests ask for what their cases use).
# Prints one line per image:  STANDIN <ref>=oci-archive:<path>   (tests/e2e/conftest.py reads
# them).  Needs the base archive from .ci/e2e-setup.sh (run that first; same cache dir).
#   DOCKEROPT_E2E_CACHE  cache dir (default: ${TMPDIR:-/tmp}/dockeropt-e2e-cache)
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
RECIPES="$HERE/standins"
CACHE="${DOCKEROPT_E2E_CACHE:-${TMPDIR:-/tmp}/dockeropt-e2e-cache}"
BASE_ARCHIVE="$CACHE/debian-bookworm-slim.oci.tar"
OUT="$CACHE/standins"
BASE_REF="docker.io/library/debian:bookworm-slim"

log() { printf '[e2e-standins] %s\n' "$*" >&2; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# recipe name -> generated Dockerfile text (distroless variants come from one template)
recipe_text() {
  case "$1" in
    distroless-static) sed -e 's/@LIBS@//g' -e '1i # tags: gcr.io/distroless/static-debian12' "$RECIPES/distroless.Dockerfile.in" ;;
    distroless-base) sed -e 's/@LIBS@/libc6 libssl3/g' -e '1i # tags: gcr.io/distroless/base-debian12' "$RECIPES/distroless.Dockerfile.in" ;;
    distroless-cc) sed -e 's/@LIBS@/libc6 libssl3 libgcc-s1 libstdc++6/g' -e '1i # tags: gcr.io/distroless/cc-debian12' "$RECIPES/distroless.Dockerfile.in" ;;
    *) cat "$RECIPES/$1.Dockerfile" ;;
  esac
}
recipes() {
  for f in "$RECIPES"/*.Dockerfile; do basename "$f" .Dockerfile; done
  echo distroless-static; echo distroless-base; echo distroless-cc
}
tags_of() { recipe_text "$1" | awk 'NR==1 && /^# tags:/ { for (i = 3; i <= NF; i++) print $i; exit }'; }
full_ref() {  # docker.io/library/x:tag for short names, as buildah stores them
  local r="$1" first="${1%%/*}"
  if [[ "$r" != */* ]]; then r="docker.io/library/$r"
  elif [[ "$first" != *.* && "$first" != *:* && "$first" != localhost ]]; then r="docker.io/$r"; fi
  [[ "${r##*/}" == *:* ]] || r="$r:latest"
  printf '%s\n' "$r"
}

want=()
case "${1:-}" in
  --list) for r in $(recipes); do echo "$r: $(tags_of "$r" | tr '\n' ' ')"; done; exit 0 ;;
  --all) mapfile -t want < <(recipes) ;;
  "") echo "usage: $0 IMAGE... | --all | --list" >&2; exit 2 ;;
  *)
    for img in "$@"; do
      found=""
      for r in $(recipes); do
        for t in $(tags_of "$r"); do
          if [ "$(full_ref "$t")" = "$(full_ref "$img")" ]; then found=$r; fi
        done
      done
      if [ -z "$found" ]; then log "no stand-in recipe provides $img"; exit 1; fi
      [[ " ${want[*]:-} " == *" $found "* ]] || want+=("$found")
    done ;;
esac

if [ ! -s "$BASE_ARCHIVE" ]; then
  log "base image archive missing: $BASE_ARCHIVE (run .ci/e2e-setup.sh first)"
  exit 1
fi
mkdir -p "$OUT"
exec 8>"$OUT/.lock"
flock 8

T_ALL=$(now)
WORK=""
B=()
cleanup() {
  if [ -n "$WORK" ]; then
    "${B[@]}" rm --all >/dev/null 2>&1 || true
    "${B[@]}" umount --all >/dev/null 2>&1 || true
    grep -o " $WORK/[^ ]*" /proc/self/mounts | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
    rm -rf "$WORK"
  fi
}
trap cleanup EXIT

for r in "${want[@]}"; do
  archive="$OUT/$r.oci.tar"
  stamp="$OUT/$r.stamp"
  sum=$(recipe_text "$r" | cat - "$RECIPES/maven-settings.xml" | sha256sum | cut -c1-16)
  if [ -s "$archive" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$sum" ]; then
    log "$r: cached ($(du -h "$archive" | cut -f1))"
  else
    if [ -z "$WORK" ]; then
      WORK=$(mktemp -d "$CACHE/standins-build.XXXXXX")
      driver=vfs
      if buildah --root "$WORK/probe" --runroot "$WORK/probe-run" --storage-driver overlay from scratch >/dev/null 2>&1; then
        driver=overlay
      fi
      buildah --root "$WORK/probe" --runroot "$WORK/probe-run" --storage-driver overlay rm --all >/dev/null 2>&1 || true
      B=(buildah --root "$WORK/root" --runroot "$WORK/runroot" --storage-driver "$driver")
      T=$(now)
      id=$("${B[@]}" pull -q "oci-archive:$BASE_ARCHIVE" | tail -1)
      "${B[@]}" tag "$id" "$BASE_REF"
      log "build store ($driver) ready in $(since "$T") s"
    fi
    T=$(now)
    ctx="$WORK/ctx-$r"
    mkdir -p "$ctx"
    recipe_text "$r" >"$ctx/Dockerfile"
    cp "$RECIPES/maven-settings.xml" "$ctx/"
    mapfile -t tags < <(tags_of "$r")
    log "$r: building ${tags[*]}"
    if ! "${B[@]}" bud -q --pull=never --isolation chroot --format docker --layers=false \
        -t "$(full_ref "${tags[0]}")" -f "$ctx/Dockerfile" "$ctx" >"$WORK/$r.log" 2>&1; then
      tail -40 "$WORK/$r.log" >&2
      log "$r: build failed"
      exit 1
    fi
    args=()
    for t in "${tags[@]}"; do args+=("$(full_ref "$t")"); done
    rm -f "$archive"
    # one archive, every tag of the recipe in it (oci-archive keeps one ref name: the first)
    "${B[@]}" push -q "$(full_ref "${tags[0]}")" "oci-archive:$archive.part:$(full_ref "${tags[0]}")" >/dev/null
    mv "$archive.part" "$archive"
    echo "$sum" >"$stamp"
    log "$r: built and saved in $(since "$T") s ($(du -h "$archive" | cut -f1))"
  fi
done

for r in "${want[@]}"; do
  for t in $(tags_of "$r"); do
    echo "STANDIN $(full_ref "$t")=oci-archive:$OUT/$r.oci.tar"
  done
done
log "done in $(since "$T_ALL") s"
