# tags: node:18-bookworm node:18
# Stand-in for the official node image (buildpack-deps:bookworm + node): Debian's nodejs 18 and
# npm, with the compilers and python3 node-gyp uses.
FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y nodejs npm ca-certificates curl gcc g++ make python3 \
    && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin
ENV NODE_VERSION=18
CMD ["node"]
