# tags: golang:1.19-bookworm golang:1.19
# Stand-in for the official golang image (buildpack-deps:bookworm + Go in /usr/local/go), made
# from Debian's golang-go (1.19) with the C toolchain cgo needs, curl and CA certificates.
FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends golang-go gcc libc6-dev pkg-config \
        ca-certificates curl netbase \
    && ln -s /usr/lib/go-1.19 /usr/local/go \
    && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin
ENV GOLANG_VERSION=1.19 GOPATH=/go PATH=/go/bin:/usr/local/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
RUN mkdir -p /go/src /go/bin && chmod -R 1777 /go
WORKDIR /go
