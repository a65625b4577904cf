# ok ARGS: log, exit 0.   fail ARGS: log, exit 1.   noop tools (git, make, gcc, ...): log, exit 0.
h_call "$h_name" "$h_name" "$@"
[ "$h_name" = fail ] && exit 1
exit 0
