package io.aphelion.server.cluster;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import com.google.protobuf.InvalidProtocolBufferException;

import io.aphelion.proto.game.Authenticate;
import io.aphelion.proto.game.AuthenticateResponse;
import io.aphelion.proto.game.C2S;
import io.aphelion.proto.game.S2C;
import io.aphelion.proto.game.SendLocalChat;
import io.aphelion.server.AphelionServerApplication;
import io.aphelion.server.protocol.game.GameSessions;
import io.aphelion.server.testing.RawWebSocket;
import io.aphelion.server.testing.RedisServerProcess;
import io.aphelion.server.transport.RelayCredentials;
import io.aphelion.wire.CloseCodes;
import io.aphelion.wire.InitPacket;
import io.aphelion.wire.SessionToken;
import io.aphelion.wire.WireFormat;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Cluster mode in one JVM: two nodes (two Spring Boot applications on their own ports) and a real
 * Redis. What it checks over real sockets: a token from one node resumes its session on the other
 * (relayed to the owner), lobby chat and nicknames are cluster-wide, counts are too, relay links
 * need the secret, and a node that loses Redis says so (4105, readiness 503) and recovers by
 * itself. The three-node cluster behind HAProxy, with processes, is {@code ClusterIT}'s.
 */
class ClusterModeTest {

    private static final String SECRET = "cluster-mode-test-secret";

    private static RedisServerProcess redis;
    private static ConfigurableApplicationContext nodeA;
    private static ConfigurableApplicationContext nodeB;
    private static final HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    static void startCluster() throws IOException {
        redis = RedisServerProcess.start();
        nodeA = node();
        nodeB = node();
        await().atMost(Duration.ofSeconds(20)).until(() -> ready(port(nodeA)) && ready(port(nodeB)));
    }

    private static ConfigurableApplicationContext node() {
        return new SpringApplicationBuilder(AphelionServerApplication.class).run(
                "--server.port=0", "--server.address=127.0.0.1",
                "--aphelion.cluster.enabled=true", "--aphelion.cluster.secret=" + SECRET,
                "--aphelion.cluster.heartbeat-interval=200ms", "--aphelion.cluster.node-timeout=2s",
                "--spring.data.redis.port=" + redis.port(), "--spring.data.redis.timeout=1s",
                "--aphelion.session.expiry=30s", "--aphelion.websocket.ack-delay=10ms");
    }

    @AfterAll
    static void stopCluster() throws InterruptedException {
        if (nodeA != null) {
            nodeA.close();
        }
        if (nodeB != null) {
            nodeB.close();
        }
        if (redis != null) {
            redis.close();
        }
    }

    private static int port(ConfigurableApplicationContext node) {
        return ((WebServerApplicationContext) node).getWebServer().getPort();
    }

    private static boolean ready(int port) {
        return status(port, "/actuator/health/readiness") == 200;
    }

    private static int status(int port, String path) {
        try {
            return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode();
        }
        catch (IOException ex) {
            return -1;
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    /** A client connection: its websocket and the token the server answered. */
    record Client(RawWebSocket ws, SessionToken token) implements AutoCloseable {

        void send(C2S message) throws IOException {
            byte[] payload = message.toByteArray();
            byte[] frame = new byte[payload.length + 1];
            System.arraycopy(payload, 0, frame, 1, payload.length);
            ws.sendBinary(frame);
        }

        /** The next game message with a payload (ack-only packets skipped); null when none came within the read timeout. */
        S2C next() throws IOException {
            while (true) {
                RawWebSocket.Frame frame = ws.readUntil(RawWebSocket.BINARY);
                if (frame == null) {
                    return null;
                }
                if (frame.payload().length > 1) {
                    try {
                        return S2C.parseFrom(ByteBuffer.wrap(frame.payload(), 1, frame.payload().length - 1));
                    }
                    catch (InvalidProtocolBufferException ex) {
                        throw new AssertionError(ex);
                    }
                }
            }
        }

        @Override
        public void close() throws IOException {
            ws.close();
        }
    }

    private static Client connect(ConfigurableApplicationContext node, int protocol, SessionToken token) throws IOException {
        RawWebSocket ws = RawWebSocket.connect(port(node), "/aphelion");
        ws.sendBinary(new InitPacket(protocol, 1, token).encode());
        RawWebSocket.Frame reply = ws.read();
        assertThat(reply.opcode()).as("init reply, not close %s", reply.closeCode()).isEqualTo(RawWebSocket.BINARY);
        return new Client(ws, InitPacket.decodeReply(ByteBuffer.wrap(reply.payload())));
    }

    private static C2S authenticate(String nickname) {
        return C2S.newBuilder().addAuthenticate(Authenticate.newBuilder().setNickname(nickname)).build();
    }

    private static C2S chat(String text) {
        return C2S.newBuilder().addSendLocalChat(SendLocalChat.newBuilder().setMessage(text)).build();
    }

    @Test
    void aTokenFromOneNodeResumesItsSessionOnTheOtherThroughTheOwner() throws IOException {
        try (Client first = connect(nodeA, WireFormat.PROTOCOL_GAME, null)) {
            first.send(authenticate("Wanderer"));
            assertThat(first.next().getAuthenticateResponse(0).getError()).isEqualTo(AuthenticateResponse.Error.OK);

            try (Client second = connect(nodeB, WireFormat.PROTOCOL_GAME, first.token())) {
                assertThat(second.token()).isEqualTo(first.token());
                // The same session: it already has its nickname, whichever node the connection is on.
                second.send(authenticate("Other"));
                assertThat(nextAuthentication(first, second)).isEqualTo(AuthenticateResponse.Error.ALREADY_AUTHENTICATED);
            }
        }
    }

    /** The answer to an authenticate sent on one of a session's connections: it may come on either. */
    private static AuthenticateResponse.Error nextAuthentication(Client... connections) throws IOException {
        for (Client connection : connections) {
            connection.ws().setReadTimeout(1500);
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        while (System.nanoTime() < deadline) {
            for (Client connection : connections) {
                S2C message = connection.next();
                if (message != null && message.getAuthenticateResponseCount() > 0) {
                    return message.getAuthenticateResponse(0).getError();
                }
            }
        }
        throw new AssertionError("No authenticate response on any connection");
    }

    @Test
    void aSessionWithoutConnectionsMovesToTheNodeItsClientComesBackToWithWhatWaitedForIt() throws IOException {
        try (Client speaker = connect(nodeB, WireFormat.PROTOCOL_GAME, null)) {
            speaker.send(authenticate("Mover-Speaker"));
            assertThat(speaker.next().getAuthenticateResponse(0).getError()).isEqualTo(AuthenticateResponse.Error.OK);
            SessionToken token;
            long id;
            try (Client first = connect(nodeA, WireFormat.PROTOCOL_GAME, null)) {
                first.send(authenticate("Mover"));
                assertThat(first.next().getAuthenticateResponse(0).getError()).isEqualTo(AuthenticateResponse.Error.OK);
                token = first.token();
                id = lastSessionId(nodeA);
            } // dropped without a close frame: the session waits on A
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> nodeA.getBean(GameSessions.class).findLocal(id).map(s -> s.connectionCount() == 0).orElse(false));
            await().atMost(Duration.ofSeconds(10)).until(() -> "detached".equals(
                    nodeB.getBean(GameSessions.class).find(id).map(s -> s.connectionCount() == 0 ? "detached" : "live").orElse("")));
            // Chat while it has no connection: it waits in the session, and must come along.
            speaker.send(chat("while-you-were-away"));
            assertThat(speaker.next().getLocalChatMessage(0).getMessage()).isEqualTo("while-you-were-away");

            double relaysBefore = relaysOpened(nodeB);
            try (Client back = connect(nodeB, WireFormat.PROTOCOL_GAME, token)) {
                assertThat(back.token()).isEqualTo(token);
                // The first chat on it is the one that waited (the unacked answer to its authenticate comes again first:
                // this client never acks, so every reliable message stays owed, as on one node).
                assertThat(nextChat(back)).isEqualTo("while-you-were-away");
                assertThat(nodeB.getBean(GameSessions.class).findLocal(id)).as("the session lives on B now").isPresent();
                assertThat(nodeA.getBean(GameSessions.class).findLocal(id)).as("and no longer on A").isEmpty();
                assertThat(relaysOpened(nodeB)).as("no relay: the session came to the connection").isEqualTo(relaysBefore);
                // The lobby restored its player: it still has its nickname, and chat reaches it.
                back.send(authenticate("Someone-Else"));
                assertThat(back.next().getAuthenticateResponse(0).getError())
                        .isEqualTo(AuthenticateResponse.Error.ALREADY_AUTHENTICATED);
                speaker.send(chat("welcome-back"));
                assertThat(nextChat(back)).isEqualTo("welcome-back");
                // Its nickname is still held: a new player cannot take it.
                try (Client rival = connect(nodeA, WireFormat.PROTOCOL_GAME, null)) {
                    rival.send(authenticate("mover"));
                    assertThat(rival.next().getAuthenticateResponse(0).getError())
                            .isEqualTo(AuthenticateResponse.Error.NICKNAME_IN_USE);
                }
            }
        }
    }

    /** The text of the next chat message, skipping other messages. */
    private static String nextChat(Client client) throws IOException {
        for (S2C message = client.next(); message != null; message = client.next()) {
            if (message.getLocalChatMessageCount() > 0) {
                return message.getLocalChatMessage(0).getMessage();
            }
        }
        throw new AssertionError("No chat message came");
    }

    private static double relaysOpened(ConfigurableApplicationContext node) {
        return node.getBean(io.micrometer.core.instrument.MeterRegistry.class).counter("aphelion.cluster.relays.opened").count();
    }

    @Test
    void theClusterMetricsInClusterMdAreScraped() throws IOException {
        try (Client onA = connect(nodeA, WireFormat.PROTOCOL_PING, null);
                Client relayed = connect(nodeB, WireFormat.PROTOCOL_PING, onA.token())) {
            assertThat(relayed.token()).isEqualTo(onA.token());
            String scrape = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port(nodeB) + "/actuator/prometheus"))
                    .build(), HttpResponse.BodyHandlers.ofString()).body();
            java.util.regex.Matcher documented = java.util.regex.Pattern.compile("^\\| `(aphelion_cluster_[a-z_]+)` \\|",
                    java.util.regex.Pattern.MULTILINE).matcher(java.nio.file.Files.readString(java.nio.file.Path.of("docs/CLUSTER.md")));
            int count = 0;
            while (documented.find()) {
                String name = documented.group(1);
                assertThat(scrape).as(name + " in docs/CLUSTER.md").containsPattern("(?m)^" + name + "(_count)?[{ ]");
                count++;
            }
            assertThat(count).isEqualTo(5);
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new AssertionError(ex);
        }
    }

    @Test
    void packetsSentRightBehindAnInitPacketThatWaitsForTheClusterAreAnsweredInOrder() throws IOException {
        try (Client owner = connect(nodeA, WireFormat.PROTOCOL_PING, null)) {
            for (SessionToken token : new SessionToken[] { null, owner.token() }) { // a new session; one relayed to A
                try (RawWebSocket ws = RawWebSocket.connect(port(nodeB), "/aphelion")) {
                    ws.sendBinary(new InitPacket(WireFormat.PROTOCOL_PING, 1, token).encode());
                    for (int i = 1; i <= 3; i++) { // before the init reply: they wait for the accept, in order
                        byte[] ping = io.aphelion.proto.ping.C2S.newBuilder().setClientTime(i).build().toByteArray();
                        byte[] packet = new byte[ping.length + 1]; // ack byte 0
                        System.arraycopy(ping, 0, packet, 1, ping.length);
                        ws.sendBinary(packet);
                    }
                    RawWebSocket.Frame reply = ws.readUntil(RawWebSocket.BINARY);
                    assertThat(reply.payload()).hasSize(WireFormat.S2C_INIT_LENGTH);
                    if (token != null) {
                        assertThat(InitPacket.decodeReply(ByteBuffer.wrap(reply.payload()))).isEqualTo(token);
                    }
                    for (int i = 1; i <= 3; i++) {
                        RawWebSocket.Frame answer = ws.readUntil(RawWebSocket.BINARY);
                        assertThat(answer).as("answer %d", i).isNotNull();
                        io.aphelion.proto.ping.S2C pong = io.aphelion.proto.ping.S2C.parseFrom(
                                ByteBuffer.wrap(answer.payload(), 1, answer.payload().length - 1));
                        assertThat(pong.getClientTime()).isEqualTo(i);
                    }
                }
            }
        }
    }

    @Test
    void chatReachesEveryAuthenticatedSessionOnEveryNodeOnce() throws IOException {
        try (Client onA = connect(nodeA, WireFormat.PROTOCOL_GAME, null);
                Client onB = connect(nodeB, WireFormat.PROTOCOL_GAME, null)) {
            onA.send(authenticate("Speaker"));
            assertThat(onA.next().getAuthenticateResponse(0).getError()).isEqualTo(AuthenticateResponse.Error.OK);
            onB.send(authenticate("Listener"));
            assertThat(onB.next().getAuthenticateResponse(0).getError()).isEqualTo(AuthenticateResponse.Error.OK);

            onA.send(chat("one"));
            onA.send(chat("two"));

            for (Client client : List.of(onA, onB)) {
                assertThat(client.next().getLocalChatMessage(0).getMessage()).isEqualTo("one");
                assertThat(client.next().getLocalChatMessage(0).getMessage()).isEqualTo("two");
                client.ws().setReadTimeout(500);
                assertThat(nothingMore(client)).as("no second copy").isTrue();
                client.ws().setReadTimeout(15_000);
            }
        }
    }

    private static boolean nothingMore(Client client) throws IOException {
        S2C extra = client.next();
        return extra == null || extra.getLocalChatMessageCount() == 0;
    }

    @Test
    void twoNodesRacingForOneNicknameGiveItToExactlyOne() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            for (int round = 0; round < 20; round++) {
                String name = "Racer" + round;
                try (Client onA = connect(nodeA, WireFormat.PROTOCOL_GAME, null);
                        Client onB = connect(nodeB, WireFormat.PROTOCOL_GAME, null)) {
                    Callable<AuthenticateResponse.Error> a = () -> {
                        onA.send(authenticate(name));
                        return onA.next().getAuthenticateResponse(0).getError();
                    };
                    Callable<AuthenticateResponse.Error> b = () -> {
                        onB.send(authenticate(name.toLowerCase()));
                        return onB.next().getAuthenticateResponse(0).getError();
                    };
                    Future<AuthenticateResponse.Error> first = pool.submit(a);
                    Future<AuthenticateResponse.Error> second = pool.submit(b);
                    assertThat(List.of(first.get(), second.get())).as("round %d", round)
                            .containsExactlyInAnyOrder(AuthenticateResponse.Error.OK, AuthenticateResponse.Error.NICKNAME_IN_USE);
                    onA.ws().send(RawWebSocket.CLOSE, new byte[] { 0x03, (byte) 0xE8 }); // 1000: the sessions end, their names are freed
                    onB.ws().send(RawWebSocket.CLOSE, new byte[] { 0x03, (byte) 0xE8 });
                }
            }
        }
        finally {
            pool.shutdownNow();
        }
    }

    @Test
    void countsAndLookUpsAreClusterWide() throws IOException {
        GameSessions sessionsOfA = nodeA.getBean(GameSessions.class);
        GameSessions sessionsOfB = nodeB.getBean(GameSessions.class);
        try (Client onB = connect(nodeB, WireFormat.PROTOCOL_GAME, null)) {
            long idOnB = lastSessionId(nodeB);
            assertThat(sessionsOfA.findLocal(idOnB)).isEmpty();
            assertThat(sessionsOfA.find(idOnB)).hasValueSatisfying(session -> assertThat(session.isOpen()).isTrue());
            // A's count is A's sessions and B's at B's last heartbeat: the same as B's count, once B has beaten.
            await().atMost(Duration.ofSeconds(10)).until(() -> sessionsOfA.count() == sessionsOfB.count()
                    && sessionsOfA.count() >= 1 + countLocal(nodeA));
        }
    }

    private static int countLocal(ConfigurableApplicationContext node) {
        int[] count = { 0 };
        node.getBean(GameSessions.class).forEach(session -> count[0]++);
        return count[0];
    }

    private static long lastSessionId(ConfigurableApplicationContext node) {
        long[] max = { -1 };
        node.getBean(GameSessions.class).forEach(session -> max[0] = Math.max(max[0], session.id()));
        return max[0];
    }

    @Test
    void aRelayUpgradeWithoutTheSecretIsRefused() throws IOException {
        RelayCredentials stranger = new RelayCredentials("intruder", "not-the-secret-of-this-cluster", System::currentTimeMillis);
        java.net.InetSocketAddress client = new java.net.InetSocketAddress("127.0.0.1", 5555);
        String[] forged = { RelayCredentials.RELAY_HEADER + ": " + stranger.sign(client),
                RelayCredentials.CLIENT_HEADER + ": " + RelayCredentials.clientHeader(client) };
        assertThat(upgradeStatus(port(nodeA), forged)).startsWith("HTTP/1.1 403");
        assertThat(upgradeStatus(port(nodeA), RelayCredentials.RELAY_HEADER + ": garbage")).startsWith("HTTP/1.1 403");

        RelayCredentials member = new RelayCredentials("member", SECRET, System::currentTimeMillis);
        assertThat(upgradeStatus(port(nodeA), RelayCredentials.RELAY_HEADER + ": " + member.sign(client),
                RelayCredentials.CLIENT_HEADER + ": " + RelayCredentials.clientHeader(client))).startsWith("HTTP/1.1 101");
    }

    private static String upgradeStatus(int port, String... headers) throws IOException {
        return RawWebSocket.upgradeStatus(port, "/aphelion", headers);
    }

    @Test
    void withoutRedisNewSessionsGet4105AndReadinessSaysSoUntilRedisIsBack() throws Exception {
        redis.kill();
        try {
            await().atMost(Duration.ofSeconds(15)).until(() -> status(port(nodeA), "/actuator/health/readiness") == 503);
            try (RawWebSocket ws = RawWebSocket.connect(port(nodeA), "/aphelion")) {
                ws.sendBinary(InitPacket.newSession(WireFormat.PROTOCOL_GAME, 1).encode());
                assertThat(ws.readUntilClose().closeCode()).isEqualTo(CloseCodes.CLUSTER_UNAVAILABLE);
            }
        }
        finally {
            redis.startAgain();
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> ready(port(nodeA)) && ready(port(nodeB)));
        try (Client again = connect(nodeA, WireFormat.PROTOCOL_GAME, null)) {
            assertThat(again.token()).isNotNull();
        }
    }
}
