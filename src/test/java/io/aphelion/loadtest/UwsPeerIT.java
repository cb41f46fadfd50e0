package io.aphelion.loadtest;

import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.aphelion.server.testing.BuildOutput;
import io.aphelion.server.testing.NodeProcess;
import io.aphelion.server.testing.ServerProcesses;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The bench's uWebSockets.js peer ({@code scripts/bench-peers/uws-server.mjs}), installed as
 * {@code scripts/bench.sh} installs it ({@code npm ci}) and run by Node.js on a free loopback port:
 * it speaks the Netty baseline's framing to the byte and serves the load client, as
 * {@link BenchPeersTest} checks for the JVM peers, and its resident memory can be read after a
 * garbage collection. Needs Node.js and npm ({@code .ci/run} installs them): fails without, never
 * skips.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class UwsPeerIT {

    private static final File PEERS = BuildOutput.projectDir().resolve("scripts/bench-peers").toFile();

    private static final Duration INSTALL = Duration.ofMinutes(3);

    private static final Duration STARTUP = Duration.ofSeconds(30);

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private Process peer;
    private Path log;
    private int port;

    @BeforeAll
    static void install() throws Exception {
        NodeProcess.run(PEERS, INSTALL, List.of("npm", "ci", "--no-audit", "--no-fund", "--omit=optional"));
    }

    @BeforeEach
    void startPeer() throws Exception {
        port = ServerProcesses.freePort();
        log = Files.createTempFile("aphelion-uws-peer-", ".log");
        peer = new ProcessBuilder("node", "--expose-gc", "uws-server.mjs", Integer.toString(port)).directory(PEERS)
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        await().atMost(STARTUP).pollInterval(Duration.ofMillis(100)).until(() -> {
            assertThat(peer.isAlive()).as("uws-server.mjs still running; it printed:%n%s", Files.readString(log)).isTrue();
            return isReady();
        });
    }

    @AfterEach
    void stopPeer() throws Exception {
        if (peer != null) {
            peer.destroy();
            if (!peer.waitFor(10, TimeUnit.SECONDS)) {
                peer.destroyForcibly();
            }
        }
        if (log != null) {
            Files.deleteIfExists(log);
        }
    }

    @Test
    void uwsPeerSpeaksTheBaselineFraming() throws Exception {
        PeerChecks.speaksTheBaselineFraming(port);
    }

    @Test
    void uwsPeerServesTheLoadClientAndItsResidentMemoryAfterGc() throws Exception {
        PeerChecks.servesTheLoadClient(port);
        HttpResponse<String> gc = get("/gc");
        assertThat(gc.statusCode()).as("GET /gc: %s", gc.body()).isEqualTo(200);
        assertThat(gc.body()).contains("\"rss\":");
        long rss = new ResidentMemory(peer.pid(), "http://127.0.0.1:" + port).bytesAfterGc();
        assertThat(rss).as("resident set of the node process").isGreaterThan(1024 * 1024);
        assertThat(Files.readString(log)).as("what the peer printed").doesNotContainIgnoringCase("fall");
    }

    private boolean isReady() throws InterruptedException {
        try {
            return get("/health").statusCode() == 200;
        }
        catch (IOException notYet) {
            return false;
        }
    }

    private HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
