# yarn (1.x). Models:
#   (no subcommand)/install/add/global add: --offline needs a filled cache (exit 1); writes
#       node_modules (--cwd, --modules-folder; the global folder for `global add`) and, unless
#       offline, the cache (/usr/local/share/.cache/yarn for root, YARN_CACHE_FOLDER,
#       --cache-folder)
#   cache clean   empties the cache
h_call "$h_name" "$h_name" "$@"
h_scan yarn "$@"
cache=${YARN_CACHE_FOLDER:-/usr/local/share/.cache/yarn}
h_val --cache-folder --preferred-cache-folder && cache=$h_v
dir=.
h_val --cwd && dir=$h_v
nm=$dir/node_modules
h_val --modules-folder && nm=$h_v
offline=
h_has --offline && offline=1

cache_filled() {
  for f in "$cache"/v6/*; do [ -e "$f" ] && return 0; done
  return 1
}
install() {
  if [ -n "$offline" ] && ! cache_filled; then
    echo "error Couldn't find any versions in the offline mirror/cache" >&2; exit 1
  fi
  h_save_ifs=$IFS; IFS=$h_nl
  for p in $1; do
    h_safe "${p%@*}"; n=$h_r
    if [ "$p" = "(lockfile)" ]; then h_mark "$nm/.yarn-integrity" "harness"
    else h_mark "$nm/$n/package.json" "{\"name\": \"$n\"}"; fi
    [ -n "$offline" ] || h_mark "$cache/v6/$n" "cached $n"
  done
  IFS=$h_save_ifs
  echo "Done."
  exit 0
}

case $h_sub in
  ""|install) install "(lockfile)$h_nl";;
  add) install "$h_ops";;
  global)
    [ "$h_sub2" = add ] || exit 0
    nm=/usr/local/share/.config/yarn/global/node_modules
    install "${h_ops#*"$h_nl"}";;
  cache)
    [ "$h_sub2" = clean ] && /bin/rm -rf "$cache"/*
    exit 0;;
  *) exit 0;;
esac
