package io.aphelion.server.delivery;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

import com.google.protobuf.InvalidProtocolBufferException;

import io.aphelion.client.AphelionClient;
import io.aphelion.client.AphelionConnection;
import io.aphelion.proto.game.C2S;
import io.aphelion.proto.game.Command;
import io.aphelion.proto.game.LocalChatMessage;
import io.aphelion.proto.game.S2C;
import io.aphelion.proto.game.TimeRequest;
import io.aphelion.server.protocol.game.GameMessageService;
import io.aphelion.server.protocol.game.GameSession;
import io.aphelion.server.session.SessionEndReason;
import io.aphelion.server.testing.RawWebSocket;
import io.aphelion.server.testing.RecordingListener;
import io.aphelion.server.testing.ServerTestSupport;
import io.aphelion.wire.InitPacket;
import io.aphelion.wire.WireFormat;

import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Delivery as PRODUCT.md promises it, over real sockets: reliable messages survive a lost
 * connection, a client that reads nothing is cut off at the send-buffer bound, and other
 * sessions do not notice.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "aphelion.session.send-buffer.max-bytes=256KB",
        "aphelion.session.send-buffer.max-messages=100000" })
class DeliveryIntegrationTest extends ServerTestSupport {

    /** A game that remembers its sessions and what happened to them; "hello" commands are answered. */
    static final class ScriptedGame implements GameMessageService {

        final Map<Long, GameSession> sessions = new ConcurrentHashMap<>();
        final Map<Long, SessionEndReason> ended = new ConcurrentHashMap<>();

        @Override
        public void sessionStarted(GameSession session) {
            sessions.put(session.id(), session);
        }

        @Override
        public void sessionEnded(GameSession session, SessionEndReason reason) {
            ended.put(session.id(), reason);
        }

        @Override
        public void onMessage(GameSession session, C2S message) {
            for (TimeRequest request : message.getTimeRequestList()) {
                session.sendVolatile(S2C.newBuilder()
                        .addTimeResponse(io.aphelion.proto.game.TimeResponse.newBuilder()
                                .setClientTime(request.getClientTime()).setServerTime(System.nanoTime()))
                        .build());
            }
            for (Command command : message.getCommandList()) {
                if (command.getName().equals("hello")) {
                    session.send(numbered(-1));
                }
            }
        }
    }

    @TestConfiguration
    static class Game {
        @Bean
        ScriptedGame scriptedGame() {
            return new ScriptedGame();
        }
    }

    @Autowired
    private ScriptedGame game;

    @Autowired
    private io.aphelion.server.session.SessionRegistry registry;

    private static S2C numbered(int n) {
        return S2C.newBuilder().addLocalChatMessage(LocalChatMessage.newBuilder().setMessage(Integer.toString(n))).build();
    }

    private static int number(byte[] payload) {
        try {
            return Integer.parseInt(S2C.parseFrom(payload).getLocalChatMessage(0).getMessage());
        }
        catch (InvalidProtocolBufferException ex) {
            throw new AssertionError(ex);
        }
    }

    private static byte[] hello() {
        return C2S.newBuilder().addCommand(Command.newBuilder().setName("hello")).build().toByteArray();
    }

    /** Runs {@code connect} and returns the one game session it started. */
    private GameSession newSession(Runnable connect) {
        java.util.Set<Long> before = new java.util.HashSet<>(game.sessions.keySet());
        connect.run();
        await().atMost(WAIT).until(() -> game.sessions.keySet().stream().anyMatch(id -> !before.contains(id)));
        return game.sessions.values().stream().filter(session -> !before.contains(session.id())).findFirst().orElseThrow();
    }

    private static List<Integer> numbers(RecordingListener listener) {
        List<Integer> numbers = new ArrayList<>();
        for (byte[] payload : listener.received()) {
            int n = number(payload);
            if (n >= 0) {
                numbers.add(n);
            }
        }
        return numbers;
    }

    @Test
    void reliableMessagesOfAConnectionThatStopsAckingAndDropsReachTheSessionInOrder() {
        AphelionClient client = client(WireFormat.PROTOCOL_GAME);
        RecordingListener onA = new RecordingListener();
        RecordingListener onB = new RecordingListener();
        AphelionConnection[] first = new AphelionConnection[1];
        GameSession session = newSession(() -> first[0] = connect(client, onA));
        AphelionConnection a = first[0];
        AphelionConnection b = connect(client, a.token(), onB);
        await().atMost(WAIT).until(() -> session.connectionCount() == 2);
        // Both connections ack once (so the server retains what it sends them until acked).
        session.send(numbered(-1));
        session.send(numbered(-1));
        a.send(hello());
        b.send(hello());
        await().atMost(WAIT).until(() -> onA.received().size() + onB.received().size() >= 4
                && a.unacked() == 0 && b.unacked() == 0);

        b.autoAck(false);
        int total = 300;
        for (int i = 0; i < total; i++) {
            session.send(numbered(i));
        }
        await().atMost(WAIT).until(() -> numbers(onA).size() + numbers(onB).size() >= total);
        List<Integer> seenOnB = numbers(onB);
        assertThat(seenOnB).as("some messages went to the connection that stopped acking").isNotEmpty();
        b.abort();

        await().atMost(WAIT).until(() -> numbers(onA).containsAll(seenOnB));
        List<Integer> all = new ArrayList<>(numbers(onA));
        all.addAll(seenOnB);
        assertThat(all).containsAll(java.util.stream.IntStream.range(0, total).boxed().toList());
        // Per connection, in order: B's own sequence, A's own, and the re-sent ones among A's.
        assertThat(seenOnB).isSorted();
        List<Integer> resentOnA = numbers(onA).stream().filter(seenOnB::contains).toList();
        List<Integer> ownOnA = numbers(onA).stream().filter(n -> !seenOnB.contains(n)).toList();
        assertThat(resentOnA).isSorted().containsExactlyElementsOf(seenOnB);
        assertThat(ownOnA).isSorted();
        assertThat(session.isOpen()).isTrue();
    }

    @Test
    void clientThatReadsNothingIsCutOffAtTheSendBufferBoundAndOthersKeepTheirLatency() throws Exception {
        try (RawWebSocket silent = RawWebSocket.connect(port, "/aphelion")) {
            GameSession stalled = newSession(() -> {
                try {
                    silent.sendBinary(InitPacket.newSession(WireFormat.PROTOCOL_GAME, 1).encode());
                    assertThat(silent.readUntil(RawWebSocket.BINARY).payload()).hasSize(32);
                }
                catch (java.io.IOException ex) {
                    throw new AssertionError(ex);
                }
            });
            RecordingListener healthyListener = new RecordingListener();
            AphelionConnection[] connection = new AphelionConnection[1];
            GameSession reader = newSession(() -> connection[0] = connect(client(WireFormat.PROTOCOL_GAME), healthyListener));
            AphelionConnection healthy = connection[0];

            // The silent client reads nothing from here on; both get the same paced flood (~3 MB/s).
            S2C kilobyte = S2C.newBuilder().addLocalChatMessage(LocalChatMessage.newBuilder()
                    .setMessage("x".repeat(1000))).build();
            List<Long> latencies = new CopyOnWriteArrayList<>();
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            long sentToStalled = 0;
            int round = 0;
            while (stalled.isOpen() && System.nanoTime() < deadline) {
                for (int i = 0; i < 32; i++) {
                    if (stalled.send(kilobyte)) {
                        sentToStalled += 1000;
                    }
                    reader.send(kilobyte);
                }
                if (round++ % 10 == 0) {
                    long started = System.nanoTime();
                    healthy.send(C2S.newBuilder().addTimeRequest(TimeRequest.newBuilder().setClientTime(round)).build()
                            .toByteArray());
                    awaitTimeResponse(healthyListener, round);
                    latencies.add(System.nanoTime() - started);
                }
                Thread.sleep(10);
            }
            assertThat(stalled.isOpen()).as("the silent client was cut off").isFalse();
            await().atMost(WAIT).until(() -> game.ended.get(stalled.id()) != null);
            assertThat(game.ended.get(stalled.id())).isEqualTo(SessionEndReason.SEND_BUFFER_OVERFLOW);
            assertThat(sentToStalled).as("bytes the server took for the silent client").isGreaterThan(256_000);
            // The healthy session stayed connected, got its flood and answered quickly throughout.
            assertThat(healthy.isOpen()).isTrue();
            assertThat(reader.isOpen()).isTrue();
            latencies.sort(null);
            assertThat(latencies).isNotEmpty();
            assertThat(Duration.ofNanos(latencies.get(latencies.size() / 2))).isLessThan(Duration.ofMillis(250));
        }
    }

    @Test
    void concurrentSendersFromManyThreadsDeliverEveryMessageExactlyOnceAndAcksBalance() throws Exception {
        AphelionClient client = client(WireFormat.PROTOCOL_GAME);
        RecordingListener onA = new RecordingListener();
        RecordingListener onB = new RecordingListener();
        AphelionConnection[] first = new AphelionConnection[1];
        GameSession session = newSession(() -> first[0] = connect(client, onA));
        AphelionConnection second = connect(client, first[0].token(), onB);
        await().atMost(WAIT).until(() -> session.connectionCount() == 2);
        // Both connections show they ack, so the server keeps what it sends until acked.
        session.send(numbered(-1));
        session.send(numbered(-1));
        first[0].send(hello());
        second.send(hello());

        int threads = 4;
        int perThread = 500;
        java.util.concurrent.ExecutorService senders = java.util.concurrent.Executors.newFixedThreadPool(threads);
        java.util.concurrent.CountDownLatch start = new java.util.concurrent.CountDownLatch(1);
        for (int t = 0; t < threads; t++) {
            int base = t * perThread;
            senders.execute(() -> {
                try {
                    start.await();
                }
                catch (InterruptedException ex) {
                    Thread.currentThread().interrupt();
                }
                for (int i = 0; i < perThread; i++) {
                    session.send(numbered(base + i));
                }
            });
        }
        start.countDown();
        senders.shutdown();
        assertThat(senders.awaitTermination(30, java.util.concurrent.TimeUnit.SECONDS)).isTrue();

        int total = threads * perThread;
        await().atMost(WAIT).until(() -> numbers(onA).size() + numbers(onB).size() >= total);
        List<Integer> all = new ArrayList<>(numbers(onA));
        all.addAll(numbers(onB));
        assertThat(all).hasSize(total).doesNotHaveDuplicates();
        // Every packet got acked and the server's send buffer of the session drained to zero.
        var core = registry.find(session.id()).orElseThrow();
        await().atMost(WAIT).until(() -> core.bufferedMessages() == 0 && core.bufferedBytes() == 0);
        await().atMost(WAIT).until(() -> first[0].unacked() == 0 && second.unacked() == 0);
        assertThat(session.roundTripTime()).isPresent();
    }

    private static void awaitTimeResponse(RecordingListener listener, int clientTime) {
        while (true) {
            try {
                S2C message = S2C.parseFrom(listener.next());
                if (message.getTimeResponseCount() > 0 && message.getTimeResponse(0).getClientTime() == clientTime) {
                    return;
                }
            }
            catch (InvalidProtocolBufferException ex) {
                throw new AssertionError(ex);
            }
        }
    }
}
