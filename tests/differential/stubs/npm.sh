# npm. Models:
#   install/i/add/ci/update (and npm's other spellings): ci needs package-lock.json or
#       npm-shrinkwrap.json (exit 1); --offline / NPM_CONFIG_OFFLINE=true need a filled cache
#       (ENOTCACHED, exit 1); writes node_modules (the prefix's, /usr/local/lib/node_modules
#       with -g) and, unless offline, the cache ~/.npm/_cacache (--cache, npm_config_cache)
#   cache clean --force   empties the cache (without --force: exit 1, as npm >= 5)
h_call "$h_name" "$h_name" "$@"
h_scan npm "$@"
[ -z "${HOME-}" ] && HOME=/
cache=${npm_config_cache:-${NPM_CONFIG_CACHE:-$HOME/.npm}}
h_val --cache && cache=$h_v
prefix=.
h_val --prefix -C && prefix=$h_v
offline=
case ${npm_config_offline:-${NPM_CONFIG_OFFLINE-}} in true|1) offline=1;; esac
h_has --offline && offline=1
h_has --offline=true && offline=1

cache_filled() {
  for f in "$cache"/_cacache/index-v5/*; do [ -e "$f" ] && return 0; done
  return 1
}

case $h_sub in
  install|i|in|ins|inst|insta|instal|isnt|isnta|isntal|isntall|add|ci|clean-install|ic|install-clean|isntall-clean|update|up|upgrade|udpate)
    case $h_sub in
      ci|clean-install|ic|install-clean|isntall-clean)
        [ -f "$prefix/package-lock.json" ] || [ -f "$prefix/npm-shrinkwrap.json" ] || {
          echo "npm ERR! code EUSAGE" >&2
          echo "npm ERR! The \`npm ci\` command can only install with an existing package-lock.json" >&2
          exit 1; };;
    esac
    if [ -n "$offline" ] && ! cache_filled; then
      echo "npm ERR! code ENOTCACHED" >&2; exit 1
    fi
    nm=$prefix/node_modules
    if h_has -g --global; then nm=/usr/local/lib/node_modules; fi
    pkgs=$h_ops
    [ -n "$pkgs" ] || pkgs="(lockfile)$h_nl"
    h_save_ifs=$IFS; IFS=$h_nl
    for p in $pkgs; do
      n=${p%@*}; [ -n "$n" ] || n=$p
      h_safe "$n"; n=$h_r
      h_mark "$nm/$n/package.json" "{\"name\": \"$n\"}"
      [ -n "$offline" ] || h_mark "$cache/_cacache/index-v5/$n" "cached $n"
    done
    IFS=$h_save_ifs
    echo "added ${h_sub} packages"
    exit 0;;
  cache)
    case $h_sub2 in
      clean|clear|rm)
        h_has --force -f || { echo "npm ERR! As of npm@5, the npm cache self-heals... use --force" >&2; exit 1; }
        /bin/rm -rf "$cache/_cacache"; exit 0;;
    esac
    exit 0;;
  *) exit 0;;
esac
