# Aphelion server image.
#
# Build the jar first, then the image (from the repository's top level):
#   ./mvnw -B -DskipTests package
#   podman build --format docker -t aphelion-server .        (or: docker build -t aphelion-server .)
#   docker run --rm -p 127.0.0.1:80:80 aphelion-server
#   podman run --rm --sysctl net.ipv4.ip_unprivileged_port_start=0 -p 127.0.0.1:80:80 aphelion-server
#
# Base image: built locally by scripts/container-engine.sh, no registry involved:
# `debootstrap --variant=minbase bookworm` + openjdk-17-jre-headless + curl, imported as
# localhost/jre-base:17 and tagged localhost/aphelion/jre-base:17, the name used below. The name is
# fully qualified on purpose: a Docker-compatible API resolves a short name against Docker Hub.
# Any Debian/Ubuntu-based Java 17 JRE image with curl and useradd can be substituted.

# --- stage 1: split the Spring Boot jar into its layers (dependencies change rarely, the
# application often: each layer is a separate image layer, so rebuilds reuse the big ones).
FROM localhost/aphelion/jre-base:17 AS extract
WORKDIR /build
ARG JAR_FILE=target/aphelion-server-1.0.0-SNAPSHOT-exec.jar
COPY ${JAR_FILE} app.jar
RUN java -Djarmode=tools -jar app.jar extract --layers --launcher --destination extracted

# --- stage 2: runtime
FROM localhost/aphelion/jre-base:17
RUN useradd --system --uid 10001 --user-group --no-create-home --home-dir /app \
        --shell /usr/sbin/nologin aphelion
WORKDIR /app
COPY --from=extract /build/extracted/dependencies/ ./
COPY --from=extract /build/extracted/spring-boot-loader/ ./
COPY --from=extract /build/extracted/snapshot-dependencies/ ./
COPY --from=extract /build/extracted/application/ ./

# Port: the server listens on the spec's port 80 as an unprivileged user. Docker (20.10+) sets
# net.ipv4.ip_unprivileged_port_start=0 in every container, so this just works there; Podman
# needs `--sysctl net.ipv4.ip_unprivileged_port_start=0` (Kubernetes: the same sysctl in the pod's
# securityContext, a "safe" sysctl). Or pick a high port: `-e SERVER_PORT=8080`; the HEALTHCHECK
# follows SERVER_PORT. (setcap on the java binary is not an option: it breaks the launcher's
# $ORIGIN library lookup.) Probe endpoints are switched on here because Spring Boot turns them
# on by itself only on Kubernetes.
ENV SERVER_PORT=80 \
    MANAGEMENT_ENDPOINT_HEALTH_PROBES_ENABLED=true \
    JAVA_OPTS="-XX:MaxRAMPercentage=75 -XX:+ExitOnOutOfMemoryError"
EXPOSE 80

USER 10001:10001

# Docker runs this by itself; Podman only with systemd timers or `podman healthcheck run`, so
# tests should wait on the HTTP endpoint rather than on the container's health status.
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 \
    CMD curl -fsS -o /dev/null "http://127.0.0.1:${SERVER_PORT}/actuator/health/liveness" || exit 1

# SIGTERM starts Spring's graceful shutdown; `exec` makes java PID 1 so it receives it.
# JVM options go in JAVA_OPTS; arguments after the image name go to the application,
# e.g. `--aphelion.websocket.path=/game`.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/bin/sh", "-c", "exec java $JAVA_OPTS org.springframework.boot.loader.launch.JarLauncher \"$@\"", "aphelion-server"]
