# tags: eclipse-temurin:17-jre
# Stand-in for the official eclipse-temurin JRE image: Debian's OpenJDK 17 JRE (headless).
FROM debian:bookworm-slim
RUN mkdir -p /usr/share/man/man1 \
    && apt-get update && apt-get install -y --no-install-recommends openjdk-17-jre-headless ca-certificates \
    && mkdir -p /opt/java && ln -s /usr/lib/jvm/java-17-openjdk-amd64 /opt/java/openjdk \
    && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin
ENV JAVA_HOME=/opt/java/openjdk JAVA_VERSION=17 PATH=/opt/java/openjdk/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
