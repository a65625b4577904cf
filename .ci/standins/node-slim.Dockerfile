# tags: node:18-bookworm-slim node:18-slim
# Stand-in for the official node slim image: Debian's nodejs 18 and npm without recommends.
FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends nodejs npm \
    && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /usr/share/doc/*
ENV NODE_VERSION=18
CMD ["node"]
