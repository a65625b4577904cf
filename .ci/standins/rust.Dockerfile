# tags: rust:1.63-bookworm rust:1.63
# Stand-in for the official rust image (buildpack-deps:bookworm + rustup in /usr/local/cargo),
# made from Debian's rustc and cargo (1.63) with gcc (the linker), curl and CA certificates.
FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends rustc cargo gcc libc6-dev \
        ca-certificates curl \
    && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin
ENV RUSTUP_HOME=/usr/local/rustup CARGO_HOME=/usr/local/cargo PATH=/usr/local/cargo/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin RUST_VERSION=1.63.0
RUN mkdir -p /usr/local/cargo/bin /usr/local/rustup
