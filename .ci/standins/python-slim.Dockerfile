# tags: python:3.11-slim-bookworm python:3.11-slim
# Stand-in for the official python slim image: Debian's python3.11 and pip, no compiler.
FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends python3 python3-pip python-is-python3 \
        ca-certificates \
    && rm -f /usr/lib/python3.11/EXTERNALLY-MANAGED \
    && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /usr/share/doc/*
ENV LANG=C.UTF-8 PYTHON_VERSION=3.11
CMD ["python3"]
