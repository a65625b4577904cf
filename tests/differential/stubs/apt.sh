# apt-get / apt / aptitude / apt-cache (h_name says which). Models:
#   update       writes the package lists (/var/lib/apt/lists) and pkgcache.bin
#   install ...  needs the lists (E: Unable to locate package, exit 100); aborts at the
#                confirmation prompt (stdin is not a tty) unless -y/--yes/--assume-yes/-qq/-q=2/
#                -o APT::Get::Assume-Yes=true; writes /var/lib/harness/apt/<pkg> and a .deb in
#                /var/cache/apt/archives (only the .deb with --download-only)
#   upgrade ...  without lists: nothing to do; with lists: prompt, then a marker
#   remove/purge prompt when something is installed, remove the marker
#   clean / autoclean   delete the .debs (and pkgcache.bin)
#   apt-cache show/depends/...: need the lists (exit 100)
h_call "$h_name" "$h_name" "$@"
h_scan "$h_name" "$@"
L=/var/lib/apt/lists
C=/var/cache/apt
M=/var/lib/harness/apt

lists_ok() {
  for f in $L/*; do
    case ${f##*/} in lock|partial|'*') ;; *) return 0;; esac
  done
  return 1
}

yes=; q=0; no=; trivial=
h_save_ifs=$IFS; IFS=$h_nl
for o in $h_opts; do
  case $o in
    -y|--yes|--assume-yes|--force-yes) yes=1;;
    --assume-no|--no-yes|--no-assume-yes) no=1;;
    --trivial-only) trivial=1;;
    -q|--quiet|--silent) q=$((q + 1));;
    -q=*|--quiet=*) q=${o#*=};;
    -o=*|--option=*)
      kv=${o#*=}
      case $kv in
        [Aa][Pp][Tt]::[Gg]et::[Aa]ssume-[Yy]es=*)
          case ${kv#*=} in [Tt]rue|1|[Yy]es|[Oo]n) yes=1;; *) no=1;; esac;;
      esac;;
    --*) ;;
    -*=*) ;;
    -*)
      cl=${o#-}
      while [ -n "$cl" ]; do
        rest=${cl#?}; c=${cl%"$rest"}; cl=$rest
        case $c in y) yes=1;; q) q=$((q + 1));; esac
      done;;
  esac
done
IFS=$h_save_ifs
[ "$q" -ge 2 ] 2>/dev/null && yes=1
[ -n "$no" ] && yes=

prompt() {  # the confirmation prompt apt shows before changing the system
  if [ -n "$trivial" ]; then
    echo "E: Trivial Only specified but this is not a trivial operation." >&2; exit 100
  fi
  if [ -z "$yes" ]; then
    echo "Do you want to continue? [Y/n] Abort."
    exit 1
  fi
}

pkgname() {  # strip =version, /release, :arch: in pn
  pn=${1%%=*}; pn=${pn%%/*}; pn=${pn%%:*}
}

if [ "$h_name" = apt-cache ]; then
  case $h_sub in
    policy|stats|gencaches|dump|pkgnames) exit 0;;
    search) lists_ok && printf '%s - harness package\n' "$h_sub2"; exit 0;;
    "") exit 0;;
    *)
      if ! lists_ok; then echo "E: No packages found" >&2; exit 100; fi
      echo "Package: $h_sub2"; exit 0;;
  esac
fi

case $h_sub in
  update)
    [ -d $L/partial ] || /bin/mkdir -p $L/partial
    [ -d $C/archives/partial ] || /bin/mkdir -p $C/archives/partial
    : > $L/lock
    for f in deb.debian.org_debian_dists_stable_InRelease deb.debian.org_debian_dists_stable_main_binary-amd64_Packages; do
      echo "harness list $f" > $L/$f
    done
    echo "harness pkgcache" > $C/pkgcache.bin
    echo "harness srcpkgcache" > $C/srcpkgcache.bin
    echo "Reading package lists... Done"
    exit 0;;
  install|reinstall|build-dep|satisfy|source|download)
    pkgs=
    h_save_ifs=$IFS; IFS=$h_nl
    for p in $h_ops; do
      case $p in
        */*|*.deb)
          if [ ! -e "$p" ]; then IFS=$h_save_ifs; echo "E: Unsupported file $p given on commandline" >&2; exit 100; fi
          b=${p##*/}; pkgs="$pkgs${b%%_*}$h_nl";;
        *)
          if ! lists_ok; then IFS=$h_save_ifs; echo "E: Unable to locate package $p" >&2; exit 100; fi
          pkgname "$p"; pkgs="$pkgs$pn$h_nl";;
      esac
    done
    IFS=$h_save_ifs
    [ -n "$pkgs" ] || { echo "0 upgraded, 0 newly installed, 0 to remove and 0 not upgraded."; exit 0; }
    case $h_sub in
      download)
        IFS=$h_nl; for p in $pkgs; do echo "harness deb $p" > "./${p}_1.0_all.deb"; done; exit 0;;
      source|build-dep) ;;
    esac
    prompt
    h_has -d --download-only && donly=1 || donly=
    [ -d $C/archives/partial ] || /bin/mkdir -p $C/archives/partial
    IFS=$h_nl
    for p in $pkgs; do
      echo "harness deb $p" > "$C/archives/${p}_1.0_all.deb"
      if [ -z "$donly" ]; then
        h_mark "$M/$p" "installed $p"
        echo "Setting up $p (1.0) ..."
      fi
    done
    exit 0;;
  upgrade|dist-upgrade|full-upgrade)
    lists_ok || { echo "0 upgraded, 0 newly installed, 0 to remove and 0 not upgraded."; exit 0; }
    prompt
    h_mark "$M/.upgraded" "upgraded"
    echo "harness: upgraded"
    exit 0;;
  remove|purge)
    any=
    h_save_ifs=$IFS; IFS=$h_nl
    for p in $h_ops; do pkgname "$p"; [ -e "$M/$pn" ] && any=1; done
    IFS=$h_save_ifs
    [ -n "$any" ] || exit 0
    prompt
    IFS=$h_nl
    for p in $h_ops; do pkgname "$p"; /bin/rm -f "$M/$pn"; done
    exit 0;;
  clean)
    /bin/rm -rf $C/archives/*.deb $C/*.bin
    exit 0;;
  autoclean|auto-clean)
    /bin/rm -rf $C/archives/*.deb
    exit 0;;
  show|policy|search|list|depends|rdepends|madison|showsrc)
    case $h_sub in policy|list) exit 0;; esac
    lists_ok || { echo "E: No packages found" >&2; exit 100; }
    echo "Package: $h_sub2"
    exit 0;;
  *) exit 0;;
esac
