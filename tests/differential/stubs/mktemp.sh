# mktemp with deterministic names (/tmp/tmp.harnessN): the same calls make the same names.
h_call "$h_name" "$h_name" "$@"
dir=; base=${TMPDIR:-/tmp}; tmpl=; dry=
while [ $# -gt 0 ]; do
  case $1 in
    -d|--directory) dir=1;;
    -u|--dry-run) dry=1;;
    -q|--quiet|-t) ;;
    -p|--tmpdir) shift; base=${1-};;
    --tmpdir=*) base=${1#*=};;
    -*) ;;
    *) tmpl=$1;;
  esac
  shift
done
h_seq
case $tmpl in
  "") path=$base/tmp.harness$h_s;;
  */*) path=${tmpl%%XXX*}harness$h_s;;
  *) path=$base/${tmpl%%XXX*}harness$h_s;;
esac
if [ -z "$dry" ]; then
  if [ -n "$dir" ]; then /bin/mkdir -m 700 "$path" || exit 1; else (umask 077; : > "$path") || exit 1; fi
fi
echo "$path"
