# tags: maven:3-eclipse-temurin-17 maven:3.8-eclipse-temurin-17
# Stand-in for the official maven image on Eclipse Temurin 17, made from Debian's maven and
# OpenJDK 17. Maven Central is out of reach, so the global settings point Maven, offline, at
# Debian's packaged repository (/usr/share/maven-repo: compiler, resources, jar, surefire,
# install plugins). JAVA_HOME is where the real image has it.
FROM debian:bookworm-slim
RUN mkdir -p /usr/share/man/man1 \
    && apt-get update && apt-get install -y --no-install-recommends openjdk-17-jdk-headless maven \
        libmaven-compiler-plugin-java libmaven-resources-plugin-java libmaven-jar-plugin-java \
        libsurefire-java libmaven-install-plugin-java ca-certificates curl \
    && mkdir -p /opt/java && ln -s /usr/lib/jvm/java-17-openjdk-amd64 /opt/java/openjdk \
    && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin
COPY maven-settings.xml /usr/share/maven/conf/settings.xml
ENV JAVA_HOME=/opt/java/openjdk MAVEN_HOME=/usr/share/maven MAVEN_CONFIG=/root/.m2 JAVA_VERSION=17
CMD ["mvn"]
