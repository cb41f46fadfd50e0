package io.aphelion.loadtest;

import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import io.aphelion.server.testing.BuildOutput;
import io.aphelion.server.testing.ServerProcesses;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A one-minute smoke of the soak ({@link SoakRun}, {@code scripts/soak.sh}) against the packaged
 * jar in a process of its own, on loopback, with modest load: a few dozen acking game clients
 * chatting, dropping and resuming connections, two slow readers and a ping flooder. No reliable
 * chat line may be lost or come out of order, no session may end unexpectedly, and it must really
 * have moved messages. Counts, not timings: nothing here depends on how fast the machine is.
 */
class SoakIT {

    /** Start-up of a whole server JVM on a loaded 2-core machine. */
    private static final Duration STARTUP = Duration.ofSeconds(120);

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private Process server;
    private Path log;

    @AfterEach
    void stopServer() throws InterruptedException {
        if (server != null) {
            server.destroy();
            if (!server.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)) {
                server.destroyForcibly();
            }
        }
    }

    @Test
    void soakLosesNothingReordersNothingAndMovesMessages() throws Exception {
        int port = ServerProcesses.freePort();
        log = Files.createTempFile("aphelion-soak-", ".log");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        server = new ProcessBuilder(java, "-Xmx512m", "-jar", BuildOutput.runnableJar().toString(), "--server.port=" + port,
                "--server.address=127.0.0.1").redirectErrorStream(true).redirectOutput(log.toFile()).start();
        await().atMost(STARTUP).pollInterval(Duration.ofMillis(250)).until(() -> ServerProcesses.isReady(http, port));

        SoakOptions options = new SoakOptions();
        options.url = URI.create("ws://127.0.0.1:" + port + "/aphelion");
        options.metrics = "http://127.0.0.1:" + port;
        options.duration = Duration.ofSeconds(45);
        options.sessions = 30;
        options.twoConnections = 0.3;
        options.chatRate = 2;
        options.dropsPerMinute = 4;
        options.slowReaders = 2;
        options.flooders = 1;
        options.seed = 20_261_210L;
        options.validate();
        SoakRun.Result result = new SoakRun(options).run();
        String report = result.report();
        System.out.print(report);

        try {
            assertThat(result.ready()).as("clients authenticated").isEqualTo(options.sessions);
            assertThat(result.sent()).as("chat lines sent").isGreaterThan(500);
            assertThat(result.received()).as("chat lines received").isGreaterThan(500L * options.sessions);
            assertThat(result.drops()).as("connections dropped").isPositive();
            assertThat(result.lost()).as("reliable chat lines lost").isZero();
            assertThat(result.outOfOrder()).as("chat lines out of order (one-connection clients)").isZero();
            assertThat(result.endedUnexpectedly()).as("sessions ended unexpectedly").isEmpty();
            assertThat(result.errors()).as("client errors").isEmpty();
        }
        catch (AssertionError ex) {
            throw new AssertionError(ex.getMessage() + "\n--- soak ---\n" + report, ex);
        }
    }

}
