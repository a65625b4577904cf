# apk. Models:
#   update            writes an index in /var/cache/apk
#   add/upgrade/fix   need an index: one in /var/cache/apk, or one fetched: with --no-cache
#                     (kept in memory), -U / --update-cache, or -- as apk-tools' autoupdate
#                     does (is_index_stale: a missing cached index is stale) -- by default,
#                     written to the cache. With --no-network nothing is fetched: without a
#                     cached index (or with --no-cache) "unable to select packages", exit 1.
#                     add writes /var/lib/harness/apk/<pkg> (and the --virtual name); local .apk
#                     files must exist
#   del               removes the markers
#   cache clean       empties /var/cache/apk
h_call "$h_name" "$h_name" "$@"
h_scan apk "$@"
root=
h_val -p --root && root=$h_v
C=$root/var/cache/apk
M=$root/var/lib/harness/apk
h_val --cache-dir && C=$h_v

have_index() {
  for f in $C/APKINDEX.*; do [ -e "$f" ] && return 0; done
  return 1
}
fetch_index() {
  h_has --no-cache && return 0
  /bin/mkdir -p $C && echo "harness apk index" > $C/APKINDEX.harness.tar.gz
}
need_index() {
  if h_has --no-network; then  # nothing can be fetched: only a cached index (not with --no-cache)
    h_has --no-cache && return 1
    have_index; return
  fi
  if h_has -U --update-cache --update; then fetch_index; return 0; fi
  h_has --no-cache && return 0
  have_index && return 0
  fetch_index  # autoupdate: a missing index is fetched
}

case $h_sub in
  update)
    fetch_index; exit 0;;  # a clean-up-class command (not counted): prints nothing
  add|upgrade|fix)
    if ! need_index; then
      echo "ERROR: unable to select packages:" >&2
      h_save_ifs=$IFS; IFS=$h_nl; for p in $h_ops; do echo "  $p (no such package)" >&2; done; IFS=$h_save_ifs
      exit 1
    fi
    [ "$h_sub" = add ] || { h_mark "$M/.upgraded" upgraded; exit 0; }
    h_save_ifs=$IFS; IFS=$h_nl
    for p in $h_ops; do
      case $p in
        */*|*.apk) [ -e "$p" ] || { IFS=$h_save_ifs; echo "ERROR: $p: No such file or directory" >&2; exit 1; }
                   b=${p##*/}; p=${b%%-[0-9]*};;
      esac
      p=${p%%[=<>~]*}
      h_mark "$M/$p" "installed $p"
      echo "(1/1) Installing $p (1.0)"
    done
    IFS=$h_save_ifs
    if h_val -t --virtual; then h_mark "$M/$h_v" "virtual $h_v"; fi
    exit 0;;
  del)
    h_save_ifs=$IFS; IFS=$h_nl
    for p in $h_ops; do /bin/rm -f "$M/$p"; done
    IFS=$h_save_ifs
    exit 0;;
  cache)
    case $h_sub2 in clean|purge) /bin/rm -rf $C/*;; esac
    exit 0;;
  *) exit 0;;
esac
