package io.aphelion.server.deploy;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import io.aphelion.client.AphelionClient;
import io.aphelion.client.AphelionConnection;
import io.aphelion.client.AphelionHandshakeException;
import io.aphelion.proto.game.ConnectionReady;
import io.aphelion.proto.ping.C2S;
import io.aphelion.proto.ping.S2C;
import io.aphelion.server.session.SessionRegistry;
import io.aphelion.server.testing.RawWebSocket;
import io.aphelion.server.testing.RecordingListener;
import io.aphelion.server.testing.ServerProcesses;
import io.aphelion.server.testing.ServerTestSupport;
import io.aphelion.wire.CloseCodes;
import io.aphelion.wire.InitPacket;
import io.aphelion.wire.SessionToken;
import io.aphelion.wire.WireFormat;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.util.FileSystemUtils;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The transport through a real Varnish running the shipped VCL ({@code deploy/proxies/varnish/
 * aphelion.vcl}, started by {@code scripts/varnish.sh} in front of this test's server): the
 * handshake, acks, close codes and reasons, resume, keepalive and X-Forwarded-For must all come
 * through the proxy unchanged.
 *
 * <p>Varnish runs with a {@code pipe_timeout} of {@value #PIPE_TIMEOUT_SECONDS} s, three ping
 * intervals: a connection survives an idle period longer than that only because the server's
 * pings keep the piped connection busy. Without varnishd (and no root to install it) the test
 * fails; {@code .ci/run} installs it.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "aphelion.websocket.ping-interval=1s",
        "aphelion.websocket.init-timeout=1s",
        "aphelion.websocket.trusted-proxies=127.0.0.1" })
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class VarnishProxyTest extends ServerTestSupport {

    /** Varnish's idle limit of a piped connection here: 3 ping intervals. */
    static final int PIPE_TIMEOUT_SECONDS = 3;

    /** Start-up of varnishd (it compiles the VCL with the C compiler), or its installation. */
    private static final Duration VARNISH_START = Duration.ofSeconds(120);

    /** A client address that is not the proxy's: loopback, but not 127.0.0.1. */
    private static final String CLIENT_ADDRESS = "127.0.0.2";

    @Autowired
    private SessionRegistry sessions;

    private Process varnish;
    private Path varnishLog;
    private int proxyPort;

    @BeforeAll
    void startVarnish() throws IOException {
        Path script = projectDir().resolve("scripts/varnish.sh");
        proxyPort = ServerProcesses.freePort();
        varnishLog = Files.createTempFile("aphelion-varnish-", ".log");
        varnish = new ProcessBuilder("bash", script.toString(), String.valueOf(port), String.valueOf(proxyPort),
                "-p", "pipe_timeout=" + PIPE_TIMEOUT_SECONDS)
                .redirectErrorStream(true).redirectOutput(varnishLog.toFile()).start();
        await().atMost(VARNISH_START).pollInterval(Duration.ofMillis(100))
                .until(() -> !varnish.isAlive() || ServerProcesses.accepts(proxyPort));
        if (!varnish.isAlive()) {
            throw new AssertionError("varnishd did not start (exit " + varnish.exitValue() + "); it must be installed "
                    + "(apt-get install varnish; .ci/run does it). Output of " + script + ":\n" + varnishLog());
        }
    }

    @AfterAll
    void stopVarnish() throws Exception {
        if (varnish == null) {
            return;
        }
        // The manager and its worker child: both, so that no varnishd outlives the test.
        List<ProcessHandle> tree = varnish.descendants().toList();
        varnish.destroy();
        tree.forEach(ProcessHandle::destroy);
        if (!varnish.waitFor(10, TimeUnit.SECONDS)) {
            varnish.destroyForcibly();
        }
        for (ProcessHandle process : tree) {
            try {
                process.onExit().get(10, TimeUnit.SECONDS);
            }
            catch (java.util.concurrent.TimeoutException ex) {
                process.destroyForcibly();
            }
        }
        // scripts/varnish.sh's work folder.
        String tmp = System.getenv().getOrDefault("TMPDIR", "/tmp");
        FileSystemUtils.deleteRecursively(Path.of(tmp, "aphelion-varnish-" + proxyPort));
        Files.deleteIfExists(varnishLog);
    }

    @Test
    void handshakeAndPingRoundTripThroughVarnish() throws Exception {
        RecordingListener listener = new RecordingListener();
        AphelionConnection connection = connect(proxied(WireFormat.PROTOCOL_PING), listener);
        assertThat(connection.token()).isNotNull();
        assertThat(connection.isNewSession()).isTrue();

        connection.send(C2S.newBuilder().setClientTime(77).build().toByteArray());

        assertThat(S2C.parseFrom(listener.next()).getClientTime()).isEqualTo(77);
        await().atMost(WAIT).until(() -> listener.acked() == 1);
    }

    @Test
    void pingAnswerCarriesTheAckOfThePing() throws Exception {
        try (RawWebSocket ws = RawWebSocket.connect(proxyPort, "/aphelion")) {
            handshake(ws, WireFormat.PROTOCOL_PING);
            ws.sendBinary(packet(C2S.newBuilder().setClientTime(5).build().toByteArray()));

            RawWebSocket.Frame answer = ws.readUntil(RawWebSocket.BINARY);

            assertThat(answer).isNotNull();
            assertThat(answer.payload()[0]).as("ack byte").isEqualTo((byte) 1);
            byte[] payload = Arrays.copyOfRange(answer.payload(), WireFormat.ACK_LENGTH, answer.payload().length);
            assertThat(S2C.parseFrom(payload).getClientTime()).isEqualTo(5);
        }
    }

    @Test
    void packetTheServerDoesNotAnswerIsAckedInAnAckOnlyPacket() throws Exception {
        try (RawWebSocket ws = RawWebSocket.connect(proxyPort, "/aphelion")) {
            handshake(ws, WireFormat.PROTOCOL_GAME);
            // The default lobby answers nothing to connection_ready.
            ws.sendBinary(packet(io.aphelion.proto.game.C2S.newBuilder()
                    .addConnectionReady(ConnectionReady.getDefaultInstance()).build().toByteArray()));

            RawWebSocket.Frame ack = ws.readUntil(RawWebSocket.BINARY);

            assertThat(ack).isNotNull();
            assertThat(ack.payload()).containsExactly(1);
        }
    }

    @Test
    void handshakeRefusalsArriveWithTheSameCodeAndReason() {
        byte[] unknownProtocol = InitPacket.newSession(9, 1).encode();
        byte[] shortInit = new byte[WireFormat.C2S_INIT_LENGTH - 1];

        AphelionConnection.CloseStatus badProtocol = refusal(proxyUri(), unknownProtocol);
        AphelionConnection.CloseStatus badLength = refusal(proxyUri(), shortInit);

        assertThat(badProtocol.code()).isEqualTo(CloseCodes.INVALID_PROTOCOL);
        assertThat(badProtocol).isEqualTo(refusal(uri(), unknownProtocol));
        assertThat(badLength.code()).isEqualTo(CloseCodes.MALFORMED_INIT);
        assertThat(badLength).isEqualTo(refusal(uri(), shortInit));
    }

    @Test
    void initTimeoutCloseArrivesWithTheSameCodeAndReason() throws Exception {
        RawWebSocket.Frame direct;
        try (RawWebSocket ws = RawWebSocket.connect(port, "/aphelion")) {
            direct = ws.readUntilClose();
        }
        try (RawWebSocket ws = RawWebSocket.connect(proxyPort, "/aphelion")) {
            RawWebSocket.Frame proxied = ws.readUntilClose();

            assertThat(proxied).isNotNull();
            assertThat(proxied.closeCode()).isEqualTo(CloseCodes.INIT_TIMEOUT);
            assertThat(proxied.payload()).isEqualTo(direct.payload());
        }
    }

    @Test
    void droppedConnectionResumesItsSessionWithItsTokenThroughVarnish() throws Exception {
        AphelionClient client = proxied(WireFormat.PROTOCOL_PING);
        AphelionConnection first = connect(client, new RecordingListener());
        first.abort();

        RecordingListener listener = new RecordingListener();
        AphelionConnection resumed = connect(client, first.token(), listener);

        assertThat(resumed.isNewSession()).isFalse();
        assertThat(resumed.token()).isEqualTo(first.token());
        resumed.send(C2S.newBuilder().setClientTime(9).build().toByteArray());
        assertThat(S2C.parseFrom(listener.next()).getClientTime()).isEqualTo(9);
    }

    @Test
    void idleConnectionOutlivesThePipeTimeoutBecauseTheServerPings() throws Exception {
        RecordingListener listener = new RecordingListener();
        // java.net.http answers the server's pings with pongs by itself.
        AphelionConnection connection = connect(proxied(WireFormat.PROTOCOL_PING), listener);
        Duration idle = Duration.ofSeconds(2L * PIPE_TIMEOUT_SECONDS).plusMillis(500);

        await("connection open through Varnish for " + idle + " (pipe_timeout " + PIPE_TIMEOUT_SECONDS + " s)")
                .during(idle).atMost(idle.plus(WAIT)).until(connection::isOpen);

        connection.send(C2S.newBuilder().setClientTime(3).build().toByteArray());
        assertThat(S2C.parseFrom(listener.next()).getClientTime()).isEqualTo(3);
    }

    @Test
    void serverPingFramesReachTheClientThroughVarnish() throws Exception {
        try (RawWebSocket ws = RawWebSocket.connect(proxyPort, "/aphelion")) {
            handshake(ws, WireFormat.PROTOCOL_PING);

            RawWebSocket.Frame ping = ws.readUntil(RawWebSocket.PING);

            assertThat(ping).as("a ping frame within the read timeout").isNotNull();
            ws.send(RawWebSocket.PONG, ping.payload());
        }
    }

    @Test
    void clientAddressComesFromTheForwardedForThatVarnishAppends() throws Exception {
        InetAddress client = InetAddress.getByName(CLIENT_ADDRESS);
        // A forged entry to the left: Varnish appends the real peer, which the server takes.
        try (RawWebSocket ws = RawWebSocket.connectFrom(client, proxyPort, "/aphelion",
                "X-Forwarded-For: 198.51.100.7")) {
            SessionToken token = handshake(ws, WireFormat.PROTOCOL_PING);

            InetSocketAddress remote = remoteAddress(token);

            assertThat(remote).as("session of the token").isNotNull();
            assertThat(remote.getAddress()).isEqualTo(client);
        }
    }

    private AphelionClient proxied(int protocol) {
        return client(AphelionClient.builder(proxyUri()).protocol(protocol).version(1));
    }

    private URI proxyUri() {
        return URI.create("ws://127.0.0.1:" + proxyPort + "/aphelion");
    }

    /** Sends a new-session init packet and reads the token of the reply. */
    private static SessionToken handshake(RawWebSocket ws, int protocol) throws IOException {
        ws.sendBinary(InitPacket.newSession(protocol, 1).encode());
        RawWebSocket.Frame reply = ws.readUntil(RawWebSocket.BINARY);
        assertThat(reply).as("init reply").isNotNull();
        assertThat(reply.payload()).hasSize(WireFormat.S2C_INIT_LENGTH);
        return SessionToken.of(reply.payload());
    }

    /** A packet with ack 0 and a payload. */
    private static byte[] packet(byte[] payload) {
        byte[] frame = new byte[WireFormat.ACK_LENGTH + payload.length];
        System.arraycopy(payload, 0, frame, WireFormat.ACK_LENGTH, payload.length);
        return frame;
    }

    /** How the server refuses {@code init} at {@code uri}: the close code and reason, as the client sees them. */
    private AphelionConnection.CloseStatus refusal(URI uri, byte[] init) {
        AphelionClient client = client(AphelionClient.builder(uri).protocol(WireFormat.PROTOCOL_GAME).version(1));
        try {
            client.connect(init, null, new RecordingListener()).get(WAIT.toSeconds(), TimeUnit.SECONDS);
            throw new AssertionError("Handshake at " + uri + " was accepted");
        }
        catch (ExecutionException ex) {
            assertThat(ex.getCause()).isInstanceOf(AphelionHandshakeException.class);
            AphelionHandshakeException refused = (AphelionHandshakeException) ex.getCause();
            return new AphelionConnection.CloseStatus(refused.closeCode(), refused.getMessage());
        }
        catch (Exception ex) {
            throw new AssertionError(ex);
        }
    }

    private InetSocketAddress remoteAddress(SessionToken token) {
        AtomicReference<InetSocketAddress> found = new AtomicReference<>();
        sessions.forEach(WireFormat.PROTOCOL_PING, session -> {
            if (session.token().equals(token)) {
                found.set(session.remoteAddress());
            }
        });
        return found.get();
    }

    private String varnishLog() {
        try {
            return Files.readString(varnishLog, StandardCharsets.UTF_8);
        }
        catch (IOException ex) {
            return "(no log: " + ex + ")";
        }
    }

    /** The project's top level (surefire runs in it and also passes it as {@code basedir}). */
    private static Path projectDir() {
        return Path.of(System.getProperty("basedir", System.getProperty("user.dir")));
    }
}
