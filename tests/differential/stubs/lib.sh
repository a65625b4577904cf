# Sourced by the logging shim and by every stub (always run by /bin/dash, whatever /bin/sh is).
#
# Per-build state lives in /.harness/state, a bind mount from outside the image (never part of the
# compared file tree):
#   count     counted calls so far          fail_at   K: counted call number K fails (0 = never)
#   rec/N     one record per call (N: order of logging; slot: next free N, a hint)
#   seq       counter for deterministic names (mktemp)
#
# A record is  \036 KIND \037 N \037 NAME \037 CWD\n \037 UMASK\n (\037 ARG)* \035 `export -p` \034 \n
# (CWD is empty when the working directory no longer exists)
# KIND: C counted call, F counted call failed by injection, U clean-up, P concurrent (see h_call).
# Only builtins here: every external program a stub needs is called by its absolute path.

HS=/.harness/state

# Paths of the package-manager caches the rules are designed to delete (the allowance list;
# keep in sync with ALLOWANCE in harness.py).
h_cache_path() {
  case $1 in
    */var/lib/apt/lists|*/var/lib/apt/lists/*|*/var/cache/apt|*/var/cache/apt/*) return 0;;
    */var/cache/apk|*/var/cache/apk/*) return 0;;
    */var/cache/yum|*/var/cache/yum/*|*/var/cache/dnf|*/var/cache/dnf/*) return 0;;
    */var/cache/libdnf5|*/var/cache/libdnf5/*|*/var/cache/zypp|*/var/cache/zypp/*) return 0;;
    */.cache/pip|*/.cache/pip/*|*/.npm|*/.npm/*|*/.cache/yarn|*/.cache/yarn/*) return 0;;
  esac
  return 1
}

# Options that take a separate value, per program (as in dockeropt's pkg_common.ARG_OPTIONS).
h_vopts() {
  case $1 in
    apt|apt-get|aptitude|apt-cache) h_vo=' -o -c -t -a --option --config-file --target-release --default-release --host-architecture --target ';;
    apk) h_vo=' -X -p -t --repository --root --arch --cache-dir --keys-dir --repositories-file --virtual --timeout --progress-fd --cache-max-age --wait ';;
    pip*) h_vo=' -r -c -e -i -f -t -C --requirement --constraint --editable --index-url --extra-index-url --find-links --target --prefix --root --cache-dir --log --proxy --retries --timeout --trusted-host --src --upgrade-strategy --python --platform --python-version --implementation --abi --only-binary --no-binary --config-settings --global-option --progress-bar --report --exists-action --cert --client-cert --log-file --keyring-provider --use-feature --use-deprecated --build-option --install-option --group -d --dest -w --wheel-dir ';;
    yum|dnf|microdnf) h_vo=' -c -x -d -e -R --config --installroot --releasever --enablerepo --disablerepo --exclude --repo --repoid --setopt --repofrompath --downloaddir --destdir --forcearch --color --comment --rpmverbosity --debuglevel --errorlevel ';;
    zypper) h_vo=' -c -R -D -C -p -r -t --config --root --installroot --reposd-dir --cache-dir --raw-cache-dir --solv-cache-dir --pkg-cache-dir --userdata --plus-repo --plus-content --releasever --repo --from --type --download ';;
    npm) h_vo=' -C -w --prefix --cache --registry --loglevel --userconfig --globalconfig --workspace --omit --include --tag --location --only --also --install-strategy ';;
    yarn) h_vo=' --cwd --cache-folder --modules-folder --network-timeout --mutex --registry --global-folder --link-folder --preferred-cache-folder --use-yarnrc --network-concurrency --https-proxy --proxy --otp ';;
    *) h_vo=' ';;
  esac
}

# h_scan PROG ARGS...: h_sub = first operand (the subcommand), h_sub2 = second operand,
# h_ops = operands after the subcommand (newline-separated), h_opts = options as "name=value"
# or "name" (newline-separated), h_pre = options before the subcommand (same form).
h_nl='
'
h_scan() {
  h_prog=$1; shift
  h_vopts "$h_prog"
  h_sub=; h_sub2=; h_ops=; h_opts=; h_pre=; h_dd=
  while [ $# -gt 0 ]; do
    h_w=$1; shift
    if [ -z "$h_dd" ]; then
      case $h_w in
        --) h_dd=1; continue;;
        --*=*|-?=*) h_opts="$h_opts$h_w$h_nl"; [ -z "$h_sub" ] && h_pre="$h_pre$h_w$h_nl"; continue;;
        -?*)
          case $h_vo in
            *" $h_w "*) h_v=${1-}; [ $# -gt 0 ] && shift; h_w="$h_w=$h_v";;
          esac
          h_opts="$h_opts$h_w$h_nl"; [ -z "$h_sub" ] && h_pre="$h_pre$h_w$h_nl"; continue;;
      esac
    fi
    if [ -z "$h_sub" ]; then h_sub=$h_w
    else
      [ -z "$h_sub2" ] && h_sub2=$h_w
      h_ops="$h_ops$h_w$h_nl"
    fi
  done
}

# h_has NAME...: one of the options was given (h_scan must have run)
h_has() {
  for h_x; do
    case "$h_nl$h_opts" in *"$h_nl$h_x$h_nl"*|*"$h_nl$h_x="*) return 0;; esac
  done
  return 1
}
# h_val NAME...: the value of the last matching option, in h_v (empty when none); status 1 when absent
h_val() {
  h_v=; h_found=1
  h_save_ifs=$IFS; IFS=$h_nl
  for h_o in $h_opts; do
    for h_x; do
      case $h_o in "$h_x="*) h_v=${h_o#*=}; h_found=0;; esac
    done
  done
  IFS=$h_save_ifs
  return $h_found
}

# h_is_cleanup ARGV...: does this command only clean a package-manager cache? (the clean-ups the
# rules append; they are neither counted nor made to fail, and the comparison ignores them)
h_is_cleanup() {
  h_p=${1##*/}; shift
  case $h_p in
    rm)
      h_any=
      for h_a; do
        case $h_a in -*) ;; *) h_cache_path "$h_a" || return 1; h_any=1;; esac
      done
      [ -n "$h_any" ]; return;;
    sudo)
      while [ $# -gt 0 ]; do
        case $1 in
          -u|-g|-C|-D|-h|-p|-r|-t|-U|-T) shift; [ $# -gt 0 ] && shift;;
          --) shift; break;;
          -*) shift;;
          *=*) shift;;
          *) break;;
        esac
      done
      [ $# -gt 0 ] && h_is_cleanup "$@"; return;;
    env)
      while [ $# -gt 0 ]; do case $1 in -*|*=*) shift;; *) break;; esac; done
      [ $# -gt 0 ] && h_is_cleanup "$@"; return;;
  esac
  h_scan "$h_p" "$@"
  case $h_p in
    apt|apt-get|aptitude) case $h_sub in clean|autoclean|auto-clean) return 0;; esac;;
    apk) case $h_sub in update) return 0;; cache) case $h_sub2 in clean|purge) return 0;; esac;; esac;;
    npm) case $h_sub in cache) case $h_sub2 in clean|clear|rm) return 0;; esac;; esac;;
    yarn) case $h_sub in cache) case $h_sub2 in clean) return 0;; esac;; esac;;
    yum|dnf|microdnf) case $h_sub in clean) return 0;; esac;;
    zypper) case $h_sub in clean|cc) return 0;; esac;;
  esac
  return 1
}

# h_detached: this process is not in the RUN's session (setsid, or a child of a setsid'ed
# process): it runs alongside the RUN. session: the RUN's session id, written before it starts
# (/proc's numbering, as /proc/self/stat: the RUN has a PID namespace of its own, not $$'s)
h_detached() {
  read -r h_st < /proc/self/stat 2>/dev/null || return 1
  read -r h_sess < $HS/session 2>/dev/null || return 1
  h_st=${h_st##*) }
  set -f; set -- $h_st; set +f
  [ "${4-}" != "$h_sess" ]
}

# h_call NAME ARGV...: log the call (ARGV[0] is the program as typed), count it, inject a failure.
# Kinds: U a clean-up (see h_is_cleanup); P a call that may run concurrently with others: its
# stdin is a pipe (a pipeline member after the first) or /dev/null (a background job: the RUN's
# own stdin is an empty regular file), or it leads its own session (setsid) -- logged, compared
# as a multiset, never counted or failed;
# C every other call: counted in order, call number K (fail_at) fails with exit 1 (kind F).
# Only C calls touch the counter, and they never run concurrently, so numbering is deterministic.
# Each record goes to its own file rec/<slot> (slots claimed atomically with noclobber).
h_call() {
  h_nm=$1; shift
  h_kind=C; h_n=0
  if h_is_cleanup "$@"; then h_kind=U
  elif [ -p /dev/stdin ] || [ -c /dev/stdin ] || h_detached; then h_kind=P
  fi
  if [ $h_kind = C ]; then
    read h_n < $HS/count || h_n=0
    h_n=$((h_n + 1))
    echo $h_n > $HS/count
    read h_k < $HS/fail_at || h_k=0
    [ "$h_n" = "$h_k" ] && h_kind=F
  fi
  shift  # ARGV[0]
  read h_i < $HS/slot || h_i=0
  set -C
  while ! true 2>/dev/null > "$HS/rec/$h_i"; do h_i=$((h_i + 1)); done
  set +C
  echo $((h_i + 1)) > $HS/slot  # only a hint for the next call
  {  # builtins writing straight into the record: no subshell
    printf '\036%s\037%s\037%s\037' "$h_kind" "$h_n" "$h_nm"
    pwd -P 2>/dev/null
    printf '\037'
    umask
    for h_a; do printf '\037%s' "$h_a"; done
    printf '\035'
    export -p
    printf '\034\n'
  } >> "$HS/rec/$h_i"
  if [ $h_kind = F ]; then
    echo "harness: call $h_n ($h_nm) fails by injection" >&2
    exit 1
  fi
}

# deterministic per-build sequence number (mktemp names)
h_seq() {
  read h_s < $HS/seq || h_s=0
  h_s=$((h_s + 1)); echo $h_s > $HS/seq
}

h_mark() {  # h_mark FILE CONTENT: write a marker file (parents created)
  case $1 in */*) [ -d "${1%/*}" ] || /bin/mkdir -p "${1%/*}" || return;; esac
  printf '%s\n' "$2" > "$1"
}

h_safe() {  # h_safe STR: h_r = STR with / space ( ) replaced by _ (a file name), no subshell
  h_r=; h_t=$1
  while [ -n "$h_t" ]; do
    h_c=${h_t%"${h_t#?}"}; h_t=${h_t#?}
    case $h_c in [/\ \(\)]) h_r="${h_r}_";; *) h_r="$h_r$h_c";; esac
  done
}
