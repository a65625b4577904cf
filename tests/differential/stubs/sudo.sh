# sudo: runs the command (as root: USER is only recorded); -u/-g/-H/-E/-n/... accepted,
# VAR=value words set the environment.
h_call "$h_name" "$h_name" "$@"
while [ $# -gt 0 ]; do
  case $1 in
    -u|-g|-C|-D|-h|-p|-r|-t|-U|-T) shift; [ $# -gt 0 ] && shift;;
    --) shift; break;;
    -*) shift;;
    *=*) export "$1"; shift;;
    *) break;;
  esac
done
[ $# -gt 0 ] || { echo "usage: sudo command" >&2; exit 1; }
exec "$@"
