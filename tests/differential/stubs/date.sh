# date at a fixed time (1970-01-01 UTC) unless a date is given.
h_call "$h_name" "$h_name" "$@"
for a; do case $a in -d|--date|--date=*|-d*|-r|--reference*|-s|--set*) exec /usr/bin/date "$@";; esac; done
exec /usr/bin/date -u -d @0 "$@"
