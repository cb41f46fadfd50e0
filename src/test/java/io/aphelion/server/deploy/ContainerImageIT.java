package io.aphelion.server.deploy;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.model.ExposedPort;
import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.api.model.PortBinding;
import com.github.dockerjava.api.model.Ports;
import io.aphelion.server.testing.BuildOutput;
import io.aphelion.client.AphelionClient;
import io.aphelion.client.AphelionConnection;
import io.aphelion.proto.ping.C2S;
import io.aphelion.proto.ping.S2C;
import io.aphelion.server.testing.RecordingListener;
import io.aphelion.wire.CloseCodes;
import io.aphelion.wire.WireFormat;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.images.builder.ImageFromDockerfile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The top-level {@code Dockerfile}, built and run for real: the image is built from the jar that
 * {@code package} just made, started with its port published on 127.0.0.1 only, and checked from
 * outside as an operator would (health probes, a handshake and a ping through the mapped port,
 * the user it runs as), then stopped as an orchestrator stops it (SIGTERM): the connected client
 * gets 1001.
 *
 * <p>Needs a Docker-compatible engine. On our machines that is rootful Podman set up by
 * {@code scripts/container-engine.sh} (as {@code .ci/run} does); without one the test fails, it
 * never skips. Ryuk is off there, so the container and the image are removed here.
 *
 * <p>The methods run in order on one container: the last one stops it.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ContainerImageIT {

    /** The port the image listens on (the spec's default). */
    private static final int IMAGE_PORT = 80;

    /** The image's non-root user (Dockerfile: {@code USER 10001:10001}). */
    private static final String IMAGE_UID = "10001";

    /** Passed as an application argument, to check that arguments reach the application. */
    private static final Duration SHUTDOWN_TIMEOUT = Duration.ofSeconds(5);

    /** Build (layered jar extraction, two stages) and a JVM start on a loaded 2-core machine. */
    private static final Duration STARTUP = Duration.ofMinutes(3);

    /** What the JVM needs beyond the shutdown timeout to stop Jetty and exit. */
    private static final Duration EXIT_MARGIN = Duration.ofSeconds(15);

    private static final Duration WAIT = Duration.ofSeconds(15);

    private static final String ENGINE_HINT = "No Docker-compatible container engine answers (DOCKER_HOST="
            + System.getenv("DOCKER_HOST") + "). Run `sudo scripts/container-engine.sh` and "
            + "`source /var/tmp/aphelion-podman/env` (it exports DOCKER_HOST, TESTCONTAINERS_RYUK_DISABLED and "
            + "TESTCONTAINERS_HOST_OVERRIDE), or use .ci/run, which does both.";

    private static final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private static String imageName;
    private static GenericContainer<?> container;
    private static AphelionClient client;
    private static AphelionConnection connection;

    @BeforeAll
    static void buildAndStartTheImage() {
        if (!DockerClientFactory.instance().isDockerAvailable()) {
            throw new AssertionError(ENGINE_HINT);
        }
        Path jar = BuildOutput.runnableJar();
        imageName = "localhost/aphelion-server-it:" + UUID.randomUUID().toString().substring(0, 8);
        // A build context of two files, whatever the build folder: the Dockerfile and the jar,
        // named by the Dockerfile's JAR_FILE argument.
        ImageFromDockerfile image = new ImageFromDockerfile(imageName, false)
                .withFileFromPath("Dockerfile", projectDir().resolve("Dockerfile"))
                .withFileFromPath("app.jar", jar)
                .withBuildArg("JAR_FILE", "app.jar");
        container = new GenericContainer<>(image)
                .withExposedPorts(IMAGE_PORT)
                // JVM options through JAVA_OPTS: here a system property that shows health components.
                .withEnv("JAVA_OPTS", "-XX:MaxRAMPercentage=75 -XX:+ExitOnOutOfMemoryError "
                        + "-Dmanagement.endpoint.health.show-components=always")
                .withCommand("--aphelion.shutdown.timeout=" + SHUTDOWN_TIMEOUT.toSeconds() + "s")
                .withCreateContainerCmdModifier(create -> {
                    HostConfig host = create.getHostConfig();
                    // Published on loopback only, on a free host port.
                    host.withPortBindings(new PortBinding(Ports.Binding.bindIp("127.0.0.1"), ExposedPort.tcp(IMAGE_PORT)));
                    // Port 80 as uid 10001: Docker sets this by itself, Podman does not.
                    host.withSysctls(Map.of("net.ipv4.ip_unprivileged_port_start", "0"));
                })
                // Not Wait.forHealthcheck(): Podman runs HEALTHCHECK only with systemd timers.
                .waitingFor(Wait.forHttp("/actuator/health/liveness").forPort(IMAGE_PORT).forStatusCode(200)
                        .withStartupTimeout(STARTUP));
        container.start();
    }

    @AfterAll
    static void removeContainerAndImage() {
        if (client != null) {
            client.close();
        }
        if (container != null) {
            container.stop();
        }
        if (imageName != null && DockerClientFactory.instance().isDockerAvailable()) {
            DockerClient docker = DockerClientFactory.instance().client();
            if (!docker.listImagesCmd().withImageNameFilter(imageName).exec().isEmpty()) {
                docker.removeImageCmd(imageName).withForce(true).exec();
            }
        }
    }

    @Test
    @Order(1)
    void portIsPublishedOnLoopbackOnly() {
        Ports.Binding[] bindings = container.getContainerInfo().getNetworkSettings().getPorts().getBindings()
                .get(ExposedPort.tcp(IMAGE_PORT));
        assertThat(bindings).isNotEmpty().allSatisfy(binding -> assertThat(binding.getHostIp()).isEqualTo("127.0.0.1"));
    }

    @Test
    @Order(1)
    void runsAsTheNonRootUserWithJavaAsPidOne() throws Exception {
        GenericContainer.ExecResult uid = container.execInContainer("id", "-u");
        assertThat(uid.getExitCode()).isZero();
        assertThat(uid.getStdout().trim()).isEqualTo(IMAGE_UID);
        // `exec java` in the entrypoint: java is PID 1, so it receives the engine's SIGTERM itself.
        GenericContainer.ExecResult pidOne = container.execInContainer("cat", "/proc/1/comm");
        assertThat(pidOne.getStdout().trim()).isEqualTo("java");
    }

    @Test
    @Order(2)
    void probesAndTheAphelionHealthComponentAreUp() throws Exception {
        HttpResponse<String> liveness = get("/actuator/health/liveness");
        assertThat(liveness.statusCode()).isEqualTo(200);
        assertThat(liveness.body()).contains("\"UP\"");

        HttpResponse<String> readiness = get("/actuator/health/readiness");
        assertThat(readiness.statusCode()).as(readiness.body()).isEqualTo(200);
        assertThat(readiness.body()).contains("\"status\":\"UP\"");
        // Components are listed only because JAVA_OPTS reached the JVM (show-components=always).
        assertThat(readiness.body()).as("JAVA_OPTS applied").contains("\"components\"");
        if (readiness.body().contains("\"aphelion\"")) {
            assertThat(readiness.body()).containsPattern(Pattern.compile("\"aphelion\"\\s*:\\s*\\{\\s*\"status\"\\s*:\\s*\"UP\""));
        }
    }

    @Test
    @Order(3)
    void handshakeAndPingThroughTheMappedPort() throws Exception {
        URI uri = URI.create("ws://127.0.0.1:" + container.getMappedPort(IMAGE_PORT) + "/aphelion");
        client = AphelionClient.builder(uri).protocol(WireFormat.PROTOCOL_PING).version(1).build();
        RecordingListener listener = new RecordingListener();
        connection = client.connect(listener).get(WAIT.toSeconds(), TimeUnit.SECONDS);
        assertThat(connection.token()).isNotNull();
        assertThat(connection.isNewSession()).isTrue();

        connection.send(C2S.newBuilder().setClientTime(424242).build().toByteArray());
        S2C answer = S2C.parseFrom(listener.next(WAIT));

        assertThat(answer.getClientTime()).isEqualTo(424242);
        assertThat(answer.hasServerTime()).isTrue();
        await().atMost(WAIT).until(() -> listener.acked() == 1);
    }

    @Test
    @Order(4)
    void stopSendsSigtermAndTheClientGetsGoingAway() {
        assertThat(connection).as("connection of the previous test").isNotNull();
        DockerClient docker = DockerClientFactory.instance().client();
        String id = container.getContainerId();
        long started = System.nanoTime();

        // docker stop: the image's STOPSIGNAL (SIGTERM), then SIGKILL after the timeout.
        docker.stopContainerCmd(id).withTimeout((int) SHUTDOWN_TIMEOUT.plus(EXIT_MARGIN).toSeconds()).exec();

        Duration took = Duration.ofNanos(System.nanoTime() - started);
        String logs = container.getLogs();
        AphelionConnection.CloseStatus status = join(connection.closeFuture());
        InspectContainerResponse.ContainerState state = docker.inspectContainerCmd(id).exec().getState();
        assertThat(status.code()).as("close code seen by the client; container log:%n%s", logs)
                .isEqualTo(CloseCodes.GOING_AWAY);
        assertThat(state.getRunning()).isFalse();
        // 137 would mean SIGKILL: the JVM did not exit by itself within the stop timeout.
        assertThat(state.getExitCodeLong()).as("exit code; stopped in %s; log:%n%s", took, logs).isNotEqualTo(137L);
        assertThat(took).as("stop; log:%n%s", logs).isLessThan(SHUTDOWN_TIMEOUT.plus(EXIT_MARGIN));
    }

    private static HttpResponse<String> get(String path) throws IOException, InterruptedException {
        URI uri = URI.create("http://127.0.0.1:" + container.getMappedPort(IMAGE_PORT) + path);
        return http.send(HttpRequest.newBuilder(uri).timeout(WAIT).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static <T> T join(java.util.concurrent.CompletableFuture<T> future) {
        try {
            return future.get(WAIT.toSeconds(), TimeUnit.SECONDS);
        }
        catch (Exception ex) {
            throw new AssertionError(ex);
        }
    }

    /** The project's top level (failsafe runs in it and also passes it as {@code basedir}). */
    private static Path projectDir() {
        return Path.of(System.getProperty("basedir", System.getProperty("user.dir")));
    }

}
