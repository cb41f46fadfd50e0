package io.aphelion.server.observability;

import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import io.aphelion.client.AphelionClient;
import io.aphelion.client.AphelionConnection;
import io.aphelion.server.AphelionServerApplication;
import io.aphelion.server.testing.RecordingListener;
import io.aphelion.server.testing.ServerProcesses;
import io.aphelion.wire.CloseCodes;
import io.aphelion.wire.WireFormat;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * SIGTERM to a real server process, as an orchestrator sends it: every client gets close 1001
 * (not 1006) and the process exits within {@code aphelion.shutdown.timeout} plus the web
 * server's stop. The server runs in its own JVM on the main classpath (test classes left out, so
 * it is the server as packaged).
 */
class GracefulShutdownProcessTest {

    private static final Duration SHUTDOWN_TIMEOUT = Duration.ofSeconds(5);

    /** What the JVM needs beyond the shutdown timeout to stop Jetty and exit. */
    private static final Duration EXIT_MARGIN = Duration.ofSeconds(10);

    /** Start-up of a whole server JVM on a loaded 2-core machine. */
    private static final Duration STARTUP = Duration.ofSeconds(120);

    private static final Duration WAIT = Duration.ofSeconds(15);

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final List<AphelionClient> clients = new ArrayList<>();
    private Process server;
    private Path log;

    @AfterEach
    void stopEverything() {
        clients.forEach(AphelionClient::close);
        if (server != null) {
            server.destroyForcibly();
        }
    }

    @Test
    void sigtermClosesEveryClientWithGoingAwayAndExitsWithinTheBound() throws Exception {
        int port = ServerProcesses.freePort();
        startServer(port);
        try {
            await().atMost(STARTUP).pollInterval(Duration.ofMillis(250)).until(() -> ServerProcesses.isReady(http, port));
            List<AphelionConnection> connections = new ArrayList<>();
            for (int protocol : new int[] { WireFormat.PROTOCOL_GAME, WireFormat.PROTOCOL_GAME, WireFormat.PROTOCOL_PING }) {
                AphelionClient client = AphelionClient.builder(URI.create("ws://127.0.0.1:" + port + "/aphelion"))
                        .protocol(protocol).version(1).build();
                clients.add(client);
                connections.add(client.connect(new RecordingListener()).get(WAIT.toSeconds(), TimeUnit.SECONDS));
            }

            server.destroy(); // SIGTERM

            boolean exited = server.waitFor(SHUTDOWN_TIMEOUT.plus(EXIT_MARGIN).toMillis(), TimeUnit.MILLISECONDS);
            assertThat(exited).as("server exited within %s", SHUTDOWN_TIMEOUT.plus(EXIT_MARGIN)).isTrue();
            for (AphelionConnection connection : connections) {
                AphelionConnection.CloseStatus status = connection.closeFuture().get(WAIT.toSeconds(), TimeUnit.SECONDS);
                assertThat(status.code()).as("close code seen by a client").isEqualTo(CloseCodes.GOING_AWAY);
            }
            assertThat(Files.readString(log)).contains("Shutting down: ended 3 sessions");
        }
        catch (AssertionError | Exception ex) {
            throw new AssertionError(ex.getMessage() + "\n--- server log ---\n" + Files.readString(log), ex);
        }
    }

    private void startServer(int port) throws IOException {
        log = Files.createTempFile("aphelion-shutdown-", ".log");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = List.of(java, "-Xmx256m", "-cp", serverClasspath(),
                AphelionServerApplication.class.getName(), "--server.port=" + port, "--server.address=127.0.0.1",
                "--aphelion.shutdown.timeout=" + SHUTDOWN_TIMEOUT.toSeconds() + "s");
        server = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    /**
     * The test JVM's classpath without the test classes: surefire puts the real one in
     * {@code surefire.test.class.path} (its own {@code java.class.path} may be a manifest jar).
     */
    private static String serverClasspath() {
        String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        return Arrays.stream(classpath.split(File.pathSeparator))
                .filter(entry -> !Path.of(entry).getFileName().toString().equals("test-classes"))
                .collect(Collectors.joining(File.pathSeparator));
    }

}
