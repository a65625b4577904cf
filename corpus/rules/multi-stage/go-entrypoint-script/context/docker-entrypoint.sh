#!/bin/sh
set -e
if [ -n "$WAIT" ]; then sleep "$WAIT"; fi
exec "$@"
