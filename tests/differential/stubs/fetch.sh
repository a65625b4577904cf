# curl / wget: write deterministic content for each URL (to -o/-O FILE, -O = the URL's basename,
# or stdout); --version prints a fixed line. Never touches the network.
h_call "$h_name" "$h_name" "$@"
out=; remote=; url=; ver=
while [ $# -gt 0 ]; do
  a=$1; shift
  case $h_name:$a in
    *:--version|*:-V) ver=1;;
    curl:-o|curl:--output) out=${1-}; shift;;
    curl:--output=*) out=${a#*=};;
    curl:-O|curl:--remote-name) remote=1;;
    wget:-O|wget:--output-document) out=${1-}; shift;;
    wget:--output-document=*) out=${a#*=};;
    wget:-O*) out=${a#-O};;
    wget:-qO*) out=${a#-qO};;
    *:-H|*:--header|*:-u|*:--user|*:-d|*:--data|*:-X|*:--request|*:-A|*:--user-agent|*:--retry|*:-w|*:--connect-timeout|*:--max-time|*:-m|*:--tries|*:-T|*:--timeout|*:-P) shift;;
    curl:-*o)  out=${1-}; shift;;
    *:-*) ;;
    *) url=$a;;
  esac
done
if [ -n "$ver" ]; then echo "$h_name 8.0.0 (harness)"; exit 0; fi
[ -n "$url" ] || { echo "$h_name: no URL specified" >&2; exit 2; }
if [ -z "$out" ] && { [ -n "$remote" ] || [ "$h_name" = wget ]; }; then out=${url##*/}; [ -n "$out" ] || out=index.html; fi
if [ -z "$out" ] || [ "$out" = - ]; then echo "content of $url"
else echo "content of $url" > "$out" || exit 23; fi
exit 0
