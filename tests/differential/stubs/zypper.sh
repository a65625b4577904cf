# zypper. Models:
#   install/in/update/dist-upgrade/patch/remove/...: without --non-interactive/-n (before the
#       subcommand) or -y/--no-confirm (after it) the prompt gets no answer: exit 1;
#       --no-refresh needs the metadata in the cache (exit 104); writes the metadata
#       (<root>/var/cache/zypp/raw) and a marker per package (<root>/var/lib/harness/zypp);
#       -d/--download-only: the packages in the cache instead
#   refresh/ref writes the metadata; clean/cc [-a] empties the cache
h_call "$h_name" "$h_name" "$@"
h_scan zypper "$@"
root=
h_val -R --root --installroot && root=$h_v
C=$root/var/cache/zypp
h_val -C --cache-dir && C=$h_v
M=$root/var/lib/harness/zypp
nonint=
case "$h_nl$h_pre" in *"$h_nl-n$h_nl"*|*"$h_nl--non-interactive$h_nl"*) nonint=1;; esac
h_has -y --no-confirm && nonint=1
meta_ok() { [ -e "$C/raw/repo/repomd.xml" ]; }
write_meta() { h_mark "$C/raw/repo/repomd.xml" "harness"; h_mark "$C/solv/repo/solv" "harness"; }

case $h_sub in
  install|in|update|up|dist-upgrade|dup|patch|source-install|si|install-new-recommends|inr|remove|rm)
    if case "$h_nl$h_pre" in *"$h_nl--no-refresh$h_nl"*) true;; *) false;; esac; then
      meta_ok || { echo "Repository 'harness' is out-of-date. No packages found." >&2; exit 104; }
    else
      write_meta
    fi
    [ -n "$nonint" ] || { echo "Continue? [y/n/v/...? shows all options] (y): "; echo "ABORT: no answer" >&2; exit 1; }
    ops=$h_ops; [ -n "$ops" ] || ops="(${h_sub})$h_nl"
    h_save_ifs=$IFS; IFS=$h_nl
    for p in $ops; do
      h_safe "$p"; n=$h_r
      case $h_sub in
        remove|rm) /bin/rm -f "$M/$n";;
        *) if h_has -d --download-only; then h_mark "$C/packages/$n.rpm" "rpm $n"
           else h_mark "$M/$n" "$h_sub $n"; fi;;
      esac
    done
    IFS=$h_save_ifs
    exit 0;;
  refresh|ref) write_meta; exit 0;;
  clean|cc) /bin/rm -rf "$C"/*; exit 0;;
  *) exit 0;;
esac
