#!/bin/sh
set -e
pip install -r /app/requirements-extra.txt
exec "$@"
