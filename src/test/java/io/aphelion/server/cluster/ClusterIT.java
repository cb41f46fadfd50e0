package io.aphelion.server.cluster;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import java.util.stream.LongStream;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import com.google.protobuf.InvalidProtocolBufferException;

import io.aphelion.client.AphelionClient;
import io.aphelion.client.AphelionConnection;
import io.aphelion.proto.game.Authenticate;
import io.aphelion.proto.game.AuthenticateResponse;
import io.aphelion.proto.game.C2S;
import io.aphelion.proto.game.LocalChatMessage;
import io.aphelion.proto.game.S2C;
import io.aphelion.proto.game.SendLocalChat;
import io.aphelion.proto.game.TimeRequest;
import io.aphelion.proto.game.TimeResponse;
import io.aphelion.server.testing.LocalCluster;
import io.aphelion.server.testing.LocalClusterExtension;
import io.aphelion.server.testing.RawWebSocket;
import io.aphelion.server.testing.RecordingListener;
import io.aphelion.wire.CloseCodes;
import io.aphelion.wire.SessionToken;
import io.aphelion.wire.WireFormat;

import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Cluster mode as PRODUCT.md ("Cluster") promises it, over real sockets against a
 * {@link LocalCluster}: three node processes sharing one Redis, behind HAProxy balancing round
 * robin with no stickiness. Any node serves any session (resume and extra connections on any
 * node), reliable messages survive lost connections on several nodes, chat reaches each session
 * of the cluster once, nicknames are unique across nodes, and node-to-node relay upgrades are
 * authenticated by the shared secret.
 *
 * <p>The lobby game (protocol 2) is the application: its chat is the reliable, numbered traffic
 * and its nicknames the cluster-wide uniqueness under test. Bounds are generous (slow shared
 * machines); nothing here asserts a duration.
 */
class ClusterIT {

    /** Acks are withheld on purpose in one test: keep connections from being cut for that (4102). */
    @RegisterExtension
    static final LocalClusterExtension CLUSTER = new LocalClusterExtension(3, "--aphelion.session.ack-timeout=5m");

    private static final Duration WAIT = Duration.ofSeconds(30);

    private final List<AphelionClient> clients = new ArrayList<>();

    @AfterEach
    void closeClients() {
        clients.forEach(AphelionClient::close);
        clients.clear();
    }

    // --- a. resume through the balancer --------------------------------------------------------------

    @Test
    void sessionCreatedThroughTheBalancerIsResumedThirtyTimesThroughItWithTheSameToken() {
        LocalCluster cluster = CLUSTER.cluster();
        Player first = connect(balancer(), null);
        SessionToken token = first.connection.token();
        assertThat(first.connection.isNewSession()).isTrue();
        first.assertTimeRoundTrip(1);
        Player previous = first;
        for (int i = 1; i <= 30; i++) {
            previous.connection.abort(); // a lost network, not a 1000 close (which would end the session)
            Player resumed = connect(balancer(), token);
            assertThat(resumed.connection.token())
                    .as("resume %d of 30 through the balancer (round robin over %d nodes) got back", i, cluster.nodeCount())
                    .isEqualTo(token);
            assertThat(resumed.connection.isNewSession()).as("resume %d started a new session", i).isFalse();
            resumed.assertTimeRoundTrip(i + 1);
            previous = resumed;
        }
        previous.connection.close(CloseCodes.NORMAL, "done");
    }

    // --- b. one session, a connection on each node -----------------------------------------------------

    @Test
    void oneSessionWithAConnectionOnEachNodeCarriesTrafficOnAllThree() {
        LocalCluster cluster = CLUSTER.cluster();
        List<Player> connections = sessionOnEveryNode(connect(node(0), null), true);

        // Each connection asks; answers are routed over the session's connections. Ask again
        // until every connection has carried an answer, so both directions are seen on each node.
        long[] asked = { 0 };
        await().atMost(WAIT).pollInterval(Duration.ofMillis(200)).until(() -> {
            for (Player player : connections) {
                player.send(C2S.newBuilder().addTimeRequest(TimeRequest.newBuilder().setClientTime(++asked[0])).build());
            }
            return connections.stream().allMatch(player -> !player.timeResponses().isEmpty());
        });
        await().atMost(WAIT).untilAsserted(() -> {
            Set<Long> answered = new LinkedHashSet<>();
            connections.forEach(player -> answered.addAll(player.timeResponses()));
            assertThat(answered).as("time requests sent on the connections to nodes 1..%d, answered on any",
                    cluster.nodeCount()).containsAll(LongStream.rangeClosed(1, asked[0]).boxed().toList());
        });
        assertThat(connections).allMatch(player -> player.connection.isOpen());
    }

    // --- c. reliable messages while connections on several nodes drop ----------------------------------

    @Test
    void reliableMessagesHeldUnackedOnConnectionsOfEveryNodeAllArriveInOrderAsTheyDrop() {
        LocalCluster cluster = CLUSTER.cluster();
        Player sender = connect(balancer(), null);
        String senderName = uniqueNickname("Sender");
        assertThat(sender.authenticate(senderName)).isEqualTo(AuthenticateResponse.Error.OK);

        // The receiver: authenticated on node 1 and seen to ack once (so the session counts as
        // acking and keeps what it sends until acked); then joined on every other node, and from
        // then on no connection of it acks.
        Player r1 = connect(node(0), null);
        assertThat(r1.authenticate(uniqueNickname("Receiver"))).isEqualTo(AuthenticateResponse.Error.OK);
        r1.assertTimeRoundTrip(1); // its packet carries the ack of the authenticate response
        r1.connection.autoAck(false);
        List<Player> receiver = sessionOnEveryNode(r1, false);

        int total = 90;
        int perStep = total / cluster.nodeCount();
        int sent = 0;
        for (int step = 0; step < cluster.nodeCount(); step++) {
            for (int i = 0; i < perStep; i++) {
                sender.chat(Integer.toString(++sent));
            }
            if (step < cluster.nodeCount() - 1) {
                receiver.get(step).connection.abort(); // node (step + 1)'s connection drops; the others remain
            }
        }
        List<Integer> expected = IntStream.rangeClosed(1, total).boxed().toList();
        // Everything has reached the receiver before its last original connection drops, so the new
        // connection gets nothing but what is re-sent.
        await().atMost(WAIT).untilAsserted(() -> assertThat(union(receiver, senderName))
                .as("numbers that reached the receiver's connections on nodes 1..%d while they dropped one by one",
                        cluster.nodeCount())
                .containsAll(expected));

        Player last = connect(balancer(), r1.connection.token());
        assertThat(last.connection.isNewSession()).as("the receiver resumed through the balancer").isFalse();
        receiver.get(cluster.nodeCount() - 1).connection.abort();

        await().atMost(WAIT).untilAsserted(() -> assertThat(new LinkedHashSet<>(last.numbers(senderName)))
                .as("numbers re-sent on the new connection, duplicates removed: none of them was ever acked")
                .containsExactlyElementsOf(expected));
        sender.connection.close(CloseCodes.NORMAL, "done");
        last.connection.close(CloseCodes.NORMAL, "done");
    }

    // --- d. broadcast --------------------------------------------------------------------------------

    @Test
    void chatFromNodeOneReachesAClientOnEachNodeExactlyOnce() {
        LocalCluster cluster = CLUSTER.cluster();
        List<Player> listeners = new ArrayList<>();
        for (int i = 0; i < cluster.nodeCount(); i++) {
            Player player = connect(node(i), null);
            assertThat(player.authenticate(uniqueNickname("Listener" + (i + 1)))).isEqualTo(AuthenticateResponse.Error.OK);
            listeners.add(player);
        }
        Player speaker = listeners.get(0);
        String senderName = speaker.nickname;
        String text = "hello-" + System.nanoTime();
        String marker = "marker-" + System.nanoTime();
        speaker.chat(text);
        speaker.chat(marker); // after it, a late duplicate of `text` would show
        for (int i = 0; i < listeners.size(); i++) {
            Player listener = listeners.get(i);
            int node = i + 1;
            await().atMost(WAIT).untilAsserted(() -> assertThat(listener.chats(senderName))
                    .as("chat from node 1 seen by the client on node %d", node).contains(marker));
            assertThat(listener.chats(senderName)).as("chat from node 1 seen by the client on node %d", node)
                    .containsExactly(text, marker);
        }
        listeners.forEach(player -> player.connection.close(CloseCodes.NORMAL, "done"));
    }

    // --- e. nickname uniqueness across nodes -----------------------------------------------------------

    @Test
    void twoNodesRacingForOneNicknameInDifferentCaseGiveExactlyOneOk() throws Exception {
        LocalCluster cluster = CLUSTER.cluster();
        ExecutorService racers = Executors.newFixedThreadPool(2);
        try {
            for (int round = 0; round < 100; round++) {
                int nodeA = round % cluster.nodeCount();
                int nodeB = (round + 1) % cluster.nodeCount();
                Player a = connect(node(nodeA), null);
                Player b = connect(node(nodeB), null);
                String nickname = "Racer" + round;
                CountDownLatch go = new CountDownLatch(1);
                CompletableFuture<AuthenticateResponse.Error> first = CompletableFuture.supplyAsync(() -> {
                    awaitLatch(go);
                    return a.authenticate(nickname);
                }, racers);
                CompletableFuture<AuthenticateResponse.Error> second = CompletableFuture.supplyAsync(() -> {
                    awaitLatch(go);
                    return b.authenticate(nickname.toLowerCase(java.util.Locale.ROOT));
                }, racers);
                go.countDown();
                List<AuthenticateResponse.Error> answers = List.of(first.get(WAIT.toSeconds(), TimeUnit.SECONDS),
                        second.get(WAIT.toSeconds(), TimeUnit.SECONDS));
                assertThat(answers)
                        .as("round %d: %s on node %d vs %s on node %d", round, nickname, nodeA + 1,
                                nickname.toLowerCase(java.util.Locale.ROOT), nodeB + 1)
                        .containsExactlyInAnyOrder(AuthenticateResponse.Error.OK, AuthenticateResponse.Error.NICKNAME_IN_USE);
                a.connection.close(CloseCodes.NORMAL, "round over");
                b.connection.close(CloseCodes.NORMAL, "round over");
                a.client.close();
                b.client.close();
                clients.remove(a.client);
                clients.remove(b.client);
            }
        }
        finally {
            racers.shutdownNow();
        }
    }

    // --- f. relay link authentication -------------------------------------------------------------------

    @Test
    void relayUpgradesAreRefusedWith403UnlessTheirHeaderVerifiesWithTheSecret() throws Exception {
        LocalCluster cluster = CLUSTER.cluster();
        int port = cluster.nodePort(1);
        long now = System.currentTimeMillis();
        String nodeId = "relay-probe";
        String client = "127.0.0.1:5555";

        // Every case is checked and reported, also when an earlier one fails.
        SoftAssertions softly = new SoftAssertions();
        softly.assertThat(RawWebSocket.upgradeStatus(port, "/aphelion", relayHeaders(nodeId, now, "n1", client, "not-the-secret")))
                .as("relay upgrade with a MAC computed from a wrong secret").startsWith("HTTP/1.1 403");
        softly.assertThat(RawWebSocket.upgradeStatus(port, "/aphelion", "Aphelion-Relay: garbage", "Aphelion-Relay-Client: " + client))
                .as("relay upgrade with a malformed header").startsWith("HTTP/1.1 403");
        softly.assertThat(RawWebSocket.upgradeStatus(port, "/aphelion", "Aphelion-Relay: " + nodeId + ";" + now + ";n2;",
                "Aphelion-Relay-Client: " + client))
                .as("relay upgrade with an empty MAC").startsWith("HTTP/1.1 403");
        String[] signed = relayHeaders(nodeId, now, "n3", client, cluster.secret());
        softly.assertThat(RawWebSocket.upgradeStatus(port, "/aphelion", signed[0].replace(";" + now + ";", ";" + (now + 1) + ";"),
                signed[1]))
                .as("relay upgrade whose time is not the one its MAC signs").startsWith("HTTP/1.1 403");
        softly.assertThat(RawWebSocket.upgradeStatus(port, "/aphelion", signed[0], "Aphelion-Relay-Client: 127.0.0.9:5555"))
                .as("relay upgrade whose client address is not the one its MAC signs").startsWith("HTTP/1.1 403");
        softly.assertThat(RawWebSocket.upgradeStatus(port, "/aphelion",
                relayHeaders(nodeId, now - Duration.ofMinutes(5).toMillis(), "n4", client, cluster.secret())))
                .as("relay upgrade signed 5 minutes ago (beyond the 60 s window)").startsWith("HTTP/1.1 403");
        String[] fresh = relayHeaders(nodeId, now, "n5", client, cluster.secret());
        softly.assertThat(RawWebSocket.upgradeStatus(port, "/aphelion", fresh))
                .as("relay upgrade signed with the cluster's secret").startsWith("HTTP/1.1 101");
        softly.assertThat(RawWebSocket.upgradeStatus(port, "/aphelion", fresh))
                .as("the same signed headers replayed").startsWith("HTTP/1.1 403");
        softly.assertThat(RawWebSocket.upgradeStatus(port, "/aphelion"))
                .as("an upgrade without the header (an ordinary client)").startsWith("HTTP/1.1 101");
        softly.assertAll();
    }

    /**
     * The two header lines of a relay upgrade, computed here from the documented format (not with
     * the server's own class): {@code Aphelion-Relay: <node>;<unix millis>;<nonce>;<mac>} with the
     * MAC the base64url (no padding) HMAC-SHA256 under the secret of
     * {@code <node>;<unix millis>;<nonce>;<client>}, and {@code Aphelion-Relay-Client: <client>}.
     */
    static String[] relayHeaders(String nodeId, long unixMillis, String nonce, String client, String secret)
            throws GeneralSecurityException {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        String signed = nodeId + ";" + unixMillis + ";" + nonce;
        byte[] digest = mac.doFinal((signed + ";" + client).getBytes(StandardCharsets.UTF_8));
        return new String[] { "Aphelion-Relay: " + signed + ";" + Base64.getUrlEncoder().withoutPadding().encodeToString(digest),
                "Aphelion-Relay-Client: " + client };
    }

    // --- drain: a stopped node hands its sessions over ---------------------------------------------------

    @Test
    void aStoppedNodeHandsItsSessionsOverAndTheirClientsResumeElsewhereWithTheirUnackedMessages() throws Exception {
        LocalCluster cluster = CLUSTER.cluster();
        int stopped = cluster.nodeCount() - 1;
        Player sender = connect(node(0), null);
        assertThat(sender.authenticate(uniqueNickname("DrainSender"))).isEqualTo(AuthenticateResponse.Error.OK);
        // The receiver's session lives on the node that stops. It acks its authentication (so it is
        // an acking client, whose packets are retained), then no more.
        Player receiver = connect(node(stopped), null);
        String nickname = uniqueNickname("Drained");
        assertThat(receiver.authenticate(nickname)).isEqualTo(AuthenticateResponse.Error.OK);
        receiver.assertTimeRoundTrip(1); // its packet carries the ack of the authenticate response
        receiver.connection.autoAck(false);
        List<Integer> expected = IntStream.rangeClosed(1, 20).boxed().toList();
        expected.forEach(number -> sender.chat(String.valueOf(number)));
        await().atMost(WAIT).untilAsserted(() -> assertThat(receiver.numbers(sender.nickname)).containsAll(expected));

        int exit = cluster.stop(stopped); // SIGTERM; returns once the process exited
        assertThat(receiver.connection.closeFuture().get(WAIT.toSeconds(), TimeUnit.SECONDS).code())
                .as("the stopping node's client hears 1001").isEqualTo(CloseCodes.GOING_AWAY);
        assertThat(exit).as("exit status after SIGTERM (0, or 143 for the JVM's own SIGTERM exit)").isIn(0, 143);

        Player back = connect(balancer(), receiver.connection.token());
        assertThat(back.connection.isNewSession()).as("the session lives on: handed over, not ended").isFalse();
        await().atMost(WAIT).untilAsserted(() -> assertThat(new LinkedHashSet<>(back.numbers(sender.nickname)))
                .as("the unacked messages, again, in order").containsExactlyElementsOf(expected));
        // No SHUTDOWN for it: it still holds its nickname, and a newcomer cannot take it.
        Player newcomer = connect(balancer(), null);
        assertThat(newcomer.authenticate(nickname.toLowerCase())).isEqualTo(AuthenticateResponse.Error.NICKNAME_IN_USE);
        sender.chat("after");
        await().atMost(WAIT).untilAsserted(() -> assertThat(back.chats(sender.nickname)).contains("after"));
        for (Player player : List.of(sender, back, newcomer)) {
            player.connection.close(CloseCodes.NORMAL, "done");
        }
    }

    // --- helpers -------------------------------------------------------------------------------------

    private URI balancer() {
        return URI.create("ws://127.0.0.1:" + CLUSTER.cluster().balancerPort() + "/aphelion");
    }

    private URI node(int i) {
        return URI.create("ws://127.0.0.1:" + CLUSTER.cluster().nodePort(i) + "/aphelion");
    }

    /**
     * {@code first}'s session (started on node 1) joined with its token on every other node
     * (directly, not through the balancer), the new connections acking or not; fails unless each
     * node gives the same token back.
     */
    private List<Player> sessionOnEveryNode(Player first, boolean autoAck) {
        LocalCluster cluster = CLUSTER.cluster();
        List<Player> players = new ArrayList<>();
        players.add(first);
        SessionToken token = first.connection.token();
        for (int i = 1; i < cluster.nodeCount(); i++) {
            Player joined = connect(node(i), token, autoAck);
            assertThat(joined.connection.token())
                    .as("node %d joined the session node 1 started (token back from node %d)", i + 1, i + 1)
                    .isEqualTo(token);
            assertThat(joined.connection.isNewSession()).as("node %d started a new session", i + 1).isFalse();
            players.add(joined);
        }
        return players;
    }

    private Player connect(URI uri, SessionToken token) {
        return connect(uri, token, true);
    }

    private Player connect(URI uri, SessionToken token, boolean autoAck) {
        AphelionClient client = AphelionClient.builder(uri).protocol(WireFormat.PROTOCOL_GAME).version(1)
                .autoAck(autoAck).build();
        clients.add(client);
        RecordingListener listener = new RecordingListener();
        CompletableFuture<AphelionConnection> future = token == null ? client.connect(listener)
                : client.connect(token, listener);
        try {
            return new Player(client, future.get(WAIT.toSeconds(), TimeUnit.SECONDS), listener);
        }
        catch (Exception ex) {
            throw new AssertionError("Handshake with " + uri + " failed: " + ex, ex);
        }
    }

    private static String uniqueNickname(String prefix) {
        return prefix + Long.toString(System.nanoTime() % 1_000_000_000L, 36);
    }

    private static List<Integer> union(List<Player> players, String sender) {
        List<Integer> all = new ArrayList<>();
        players.forEach(player -> all.addAll(player.numbers(sender)));
        return all;
    }

    private static void awaitLatch(CountDownLatch latch) {
        try {
            latch.await();
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(ex);
        }
    }

    /** One connection of a lobby session and what arrived on it. */
    private static final class Player {

        final AphelionClient client;
        final AphelionConnection connection;
        final RecordingListener listener;
        String nickname;

        Player(AphelionClient client, AphelionConnection connection, RecordingListener listener) {
            this.client = client;
            this.connection = connection;
            this.listener = listener;
        }

        void send(C2S message) {
            connection.send(message.toByteArray());
        }

        /** Asks for a nickname and returns the answer (the first authenticate_response on this connection). */
        AuthenticateResponse.Error authenticate(String nickname) {
            send(C2S.newBuilder().addAuthenticate(Authenticate.newBuilder().setNickname(nickname)).build());
            List<AuthenticateResponse> answers = new ArrayList<>();
            await().atMost(WAIT).until(() -> {
                answers.clear();
                messages().forEach(message -> answers.addAll(message.getAuthenticateResponseList()));
                return !answers.isEmpty();
            });
            if (answers.get(0).getError() == AuthenticateResponse.Error.OK) {
                this.nickname = nickname;
            }
            return answers.get(0).getError();
        }

        void chat(String text) {
            send(C2S.newBuilder().addSendLocalChat(SendLocalChat.newBuilder().setMessage(text)).build());
        }

        /** Sends a time request and waits for its answer on this connection (the session's only one). */
        void assertTimeRoundTrip(long clientTime) {
            send(C2S.newBuilder().addTimeRequest(TimeRequest.newBuilder().setClientTime(clientTime)).build());
            await().atMost(WAIT).untilAsserted(() -> assertThat(timeResponses())
                    .as("time response on %s", connection.token()).contains(clientTime));
        }

        List<S2C> messages() {
            List<S2C> messages = new ArrayList<>();
            for (byte[] payload : listener.received()) {
                if (payload.length == 0) {
                    continue;
                }
                try {
                    messages.add(S2C.parseFrom(payload));
                }
                catch (InvalidProtocolBufferException ex) {
                    throw new AssertionError("Not an S2C of protocol 2: " + ex.getMessage(), ex);
                }
            }
            return messages;
        }

        List<Long> timeResponses() {
            return messages().stream().flatMap(message -> message.getTimeResponseList().stream())
                    .map(TimeResponse::getClientTime).toList();
        }

        /** Chat texts from {@code sender}, in arrival order. */
        List<String> chats(String sender) {
            return messages().stream().flatMap(message -> message.getLocalChatMessageList().stream())
                    .filter(chat -> chat.getSender().equals(sender)).map(LocalChatMessage::getMessage).toList();
        }

        /** Numbered chat from {@code sender}, in arrival order (duplicates kept). */
        List<Integer> numbers(String sender) {
            return chats(sender).stream().map(Integer::valueOf).toList();
        }
    }
}
