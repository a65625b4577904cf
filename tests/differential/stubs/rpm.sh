# yum / dnf / microdnf. Models:
#   install/update/remove/group/module/... ask "Is this ok [y/N]" and abort (exit 1) without
#       -y/--assumeyes/--setopt=assumeyes=1 (microdnf never asks; --assumeno always aborts)
#   -C/--cacheonly needs the metadata in the cache (exit 1)
#   otherwise writes the metadata cache (<installroot>/var/cache/{yum,dnf}; microdnf: yum),
#       the packages there with --downloadonly (and no marker), else a marker per package in
#       <installroot>/var/lib/harness/rpm
#   makecache writes the metadata; clean all|metadata|packages|... empties the cache
h_call "$h_name" "$h_name" "$@"
h_scan "$h_name" "$@"
root=
h_val --installroot && root=$h_v
case $h_name in yum|microdnf) C=$root/var/cache/yum;; *) C=$root/var/cache/dnf;; esac
M=$root/var/lib/harness/rpm
yes=; no=
h_has -y --assumeyes && yes=1
h_has --assumeno && no=1
h_save_ifs=$IFS; IFS=$h_nl
for o in $h_opts; do
  case $o in
    --setopt=assumeyes=*) case ${o#--setopt=assumeyes=} in 1|[Tt]rue|[Yy]es) yes=1;; *) no=1;; esac;;
    -*y*) case $o in --*|-*=*) ;; *) yes=1;; esac;;
  esac
done
IFS=$h_save_ifs
[ "$h_name" = microdnf ] && yes=1
[ -n "$no" ] && yes=

meta_ok() { [ -e "$C/repodata/primary.xml" ]; }
write_meta() { h_mark "$C/repodata/primary.xml" "harness metadata"; }
prompt() {
  [ -n "$yes" ] && return 0
  echo "Is this ok [y/N]: Operation aborted."
  exit 1
}

case $h_sub in
  install|groupinstall|localinstall|reinstall|update|upgrade|update-minimal|upgrade-minimal|downgrade|distro-sync|distrosync|dsync|group|groups|groupupdate|builddep|swap|module|in|up|remove|erase|autoremove|rm)
    if h_has -C --cacheonly; then
      meta_ok || { echo "Error: Cache-only enabled but no cache for 'harness'" >&2; exit 1; }
    else
      write_meta
    fi
    h_save_ifs=$IFS; IFS=$h_nl
    for p in $h_ops; do
      case $h_sub in
        localinstall) [ -e "$p" ] || { IFS=$h_save_ifs; echo "Error: No such file: $p" >&2; exit 1; };;
        *) case $p in */*|*.rpm) [ -e "$p" ] || { IFS=$h_save_ifs; echo "Error: No such file: $p" >&2; exit 1; };; esac;;
      esac
    done
    IFS=$h_save_ifs
    prompt
    ops=$h_ops
    case $h_sub in group|groups|module) ops=${h_ops#*"$h_nl"};; esac
    [ -n "$ops" ] || ops="(${h_sub})$h_nl"
    h_save_ifs=$IFS; IFS=$h_nl
    for p in $ops; do
      h_safe "${p##*/}"; n=$h_r
      case $h_sub in
        remove|erase|rm|autoremove) /bin/rm -f "$M/$n";;
        *)
          if h_has --downloadonly; then h_mark "$C/packages/$n.rpm" "rpm $n"
          else h_mark "$M/$n" "$h_sub $n"; echo "Installed: $n"; fi;;
      esac
    done
    IFS=$h_save_ifs
    exit 0;;
  makecache) write_meta; exit 0;;
  clean)
    case $h_sub2 in
      all|"") /bin/rm -rf "$C"/*;;
      metadata|expire-cache|dbcache) /bin/rm -rf "$C/repodata";;
      packages) /bin/rm -rf "$C/packages";;
    esac
    exit 0;;
  *) exit 0;;
esac
