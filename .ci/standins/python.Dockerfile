# tags: python:3.11-bookworm python:3.11
# Stand-in for the official python image (buildpack-deps:bookworm + CPython): Debian's python3.11
# with venv, pip, headers and a C compiler. Like the official image it is not "externally
# managed" (pip installs system-wide without --break-system-packages).
FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends python3 python3-venv python3-pip \
        python3-dev python-is-python3 gcc libc6-dev make ca-certificates curl \
    && rm -f /usr/lib/python3.11/EXTERNALLY-MANAGED \
    && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin
ENV LANG=C.UTF-8 PYTHON_VERSION=3.11
CMD ["python3"]
