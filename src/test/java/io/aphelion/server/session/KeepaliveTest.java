package io.aphelion.server.session;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import io.aphelion.server.handshake.HandshakeService;
import io.aphelion.server.handshake.ServedProtocol;
import io.aphelion.server.testing.FakeSink;
import io.aphelion.server.testing.ManualScheduler;
import io.aphelion.wire.CloseCodes;
import io.aphelion.wire.InitPacket;
import io.aphelion.wire.WireFormat;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The keepalive wheel on a manual clock, through real connections: one timer for any number of
 * connections and none for zero, pings and 4103s at the ticks they are due (rounded up to the
 * tick, never before), and closed connections dropped at their slot.
 */
class KeepaliveTest {

    private static final Duration MS = Duration.ofMillis(1);
    private static final Duration SECOND = Duration.ofSeconds(1);
    private static final Duration INTERVAL = Duration.ofSeconds(20);

    private final ManualScheduler scheduler = new ManualScheduler();
    private Keepalive keepalive;
    private TransportSettings settings;
    private HandshakeService handshake;
    private AckFlusher ackFlusher;

    private void start(Duration pingInterval, Duration pongTimeout) {
        settings = new TransportSettings(Duration.ofSeconds(10), pingInterval, pongTimeout, Duration.ofMillis(2),
                Duration.ofSeconds(30), Duration.ofSeconds(10), Duration.ofSeconds(30), 3, 1000, 10);
        SessionRegistry registry = new SessionRegistry(scheduler, settings, TransportMetrics.NONE);
        SessionListener<String> listener = new SessionListener<>() {
            @Override
            public String decode(ByteBuffer payload) {
                return "";
            }

            @Override
            public void onMessage(PlayerSession session, ClientConnection connection, String message) {
            }
        };
        handshake = new HandshakeService(registry, List.of(new ServedProtocol(WireFormat.PROTOCOL_GAME, 1, 1, listener)));
        ackFlusher = new AckFlusher(scheduler, settings.ackDelay());
        keepalive = new Keepalive(scheduler, pingInterval, pongTimeout);
    }

    private ClientConnection connect(FakeSink sink) {
        if (keepalive == null) {
            start(INTERVAL, INTERVAL);
        }
        ClientConnection connection = new ClientConnection(sink, handshake, scheduler, settings, TransportMetrics.NONE,
                ackFlusher, keepalive);
        connection.opened();
        connection.onFrame(ByteBuffer.wrap(InitPacket.newSession(WireFormat.PROTOCOL_GAME, 1).encode()));
        return connection;
    }

    /** Advances to {@code at} after the start of the test's clock. */
    private void advanceTo(Duration at, long startNanos) {
        scheduler.advance(Duration.ofNanos(startNanos + at.toNanos() - scheduler.nanoTime()));
    }

    @Test
    void tickIsOneSecondOrASixteenthOfTheShorterSetting() {
        assertThat(Keepalive.tickFor(INTERVAL, INTERVAL)).isEqualTo(SECOND);
        assertThat(Keepalive.tickFor(Duration.ofSeconds(16), Duration.ofMinutes(5))).isEqualTo(SECOND);
        assertThat(Keepalive.tickFor(Duration.ofMillis(700), Duration.ofSeconds(1))).isEqualTo(Duration.ofNanos(43_750_000));
        assertThat(Keepalive.tickFor(Duration.ofSeconds(20), Duration.ofSeconds(8))).isEqualTo(Duration.ofMillis(500));
    }

    @Test
    void thousandsOfConnectionsShareOneTimerThatWakesAtMostOncePerTick() {
        start(INTERVAL, INTERVAL);
        List<FakeSink> sinks = new ArrayList<>();
        List<ClientConnection> connections = new ArrayList<>();
        scheduler.advance(Duration.ofMillis(2));
        for (int i = 0; i < 5000; i++) {
            FakeSink sink = new FakeSink();
            sinks.add(sink);
            connections.add(connect(sink));
            scheduler.advance(Duration.ofMillis(4)); // 250 a second for 20 s: a deadline in every slot
        }
        assertThat(scheduler.pending()).as("one timer, the wheel's").isEqualTo(1);
        long ranBefore = scheduler.ran();

        for (int round = 0; round < 3; round++) {
            for (int second = 0; second < 20; second++) {
                scheduler.advance(SECOND);
                for (int i = 0; i < connections.size(); i++) {
                    ByteBuffer ping = sinks.get(i).lastPing();
                    if (ping != null) {
                        connections.get(i).onPong(ping);
                    }
                }
            }
        }

        assertThat(scheduler.ran() - ranBefore).as("one wake-up per tick, whatever the connections").isEqualTo(60);
        assertThat(sinks).allSatisfy(sink -> assertThat(sink.pings()).isEqualTo(3));
        assertThat(sinks).allSatisfy(sink -> assertThat(sink.closeCode()).isZero());
        assertThat(keepalive.size()).isEqualTo(5000);
        assertThat(scheduler.pending()).isEqualTo(1);
    }

    @Test
    void timerWakesOnlyAtTicksWhereADeadlineFalls() {
        start(INTERVAL, INTERVAL);
        List<FakeSink> sinks = new ArrayList<>();
        List<ClientConnection> connections = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            FakeSink sink = new FakeSink();
            sinks.add(sink);
            connections.add(connect(sink)); // all at once: all due in one slot
        }
        long ranBefore = scheduler.ran();

        for (int round = 0; round < 3; round++) {
            scheduler.advance(INTERVAL);
            for (int i = 0; i < connections.size(); i++) {
                connections.get(i).onPong(sinks.get(i).lastPing());
            }
        }

        assertThat(scheduler.ran() - ranBefore).as("the arrivals' sweep, then one at 20, 40 and 60 s").isEqualTo(4);
        assertThat(sinks).allSatisfy(sink -> assertThat(sink.pings()).isEqualTo(3));
    }

    @Test
    void pingGoesOutAtTheFirstTickAfterThePingIntervalAndNotBefore() {
        start(INTERVAL, INTERVAL);
        long start = scheduler.nanoTime();
        scheduler.advance(Duration.ofMillis(300));
        FakeSink sink = new FakeSink();
        ClientConnection connection = connect(sink); // at 0.3 s: the first ping is due at 20.3 s, tick 21

        advanceTo(Duration.ofSeconds(21).minus(MS), start);
        assertThat(sink.pings()).isZero();
        advanceTo(Duration.ofSeconds(21), start);
        assertThat(sink.pings()).isEqualTo(1);

        scheduler.advance(Duration.ofSeconds(5));
        connection.onPong(sink.lastPing()); // answered at 26 s: the next ping is due 20 s after the last, at 41 s
        advanceTo(Duration.ofSeconds(41).minus(MS), start);
        assertThat(sink.pings()).isEqualTo(1);
        advanceTo(Duration.ofSeconds(41), start);
        assertThat(sink.pings()).isEqualTo(2);
        assertThat(sink.lastPing().getLong()).as("the payload is the ping's time").isEqualTo(start + Duration.ofSeconds(41).toNanos());
    }

    @Test
    void missingPongClosesWith4103AtTheFirstTickAfterThePongTimeoutNotBefore() {
        start(INTERVAL, Duration.ofMillis(30_500)); // tick 1 s: the deadline falls between two ticks
        long start = scheduler.nanoTime();
        FakeSink sink = new FakeSink();
        ClientConnection connection = connect(sink);
        advanceTo(INTERVAL, start);
        assertThat(sink.pings()).isEqualTo(1);

        advanceTo(Duration.ofSeconds(51).minus(MS), start); // deadline 50.5 s
        assertThat(sink.closeCode()).isZero();
        assertThat(sink.pings()).as("no ping while one is unanswered").isEqualTo(1);
        advanceTo(Duration.ofSeconds(51), start);

        assertThat(sink.closeCode()).isEqualTo(CloseCodes.PONG_TIMEOUT);
        assertThat(sink.closeReason()).isEqualTo("No pong within 30500 ms");
        assertThat(connection.session().state()).isEqualTo(PlayerSession.State.DETACHED);
        assertThat(keepalive.size()).isZero();
        assertThat(scheduler.pending()).as("the session's expiry alone: the wheel is empty, its timer stopped").isEqualTo(1);
    }

    @Test
    void pongWithAStalePayloadDoesNotAnswerTheNewPing() {
        start(INTERVAL, INTERVAL);
        FakeSink sink = new FakeSink();
        ClientConnection connection = connect(sink);
        scheduler.advance(INTERVAL);
        ByteBuffer first = sink.lastPing();
        connection.onPong(first);
        scheduler.advance(INTERVAL);
        assertThat(sink.pings()).isEqualTo(2);

        connection.onPong(first); // the first ping's pong again
        scheduler.advance(INTERVAL);

        assertThat(sink.closeCode()).isEqualTo(CloseCodes.PONG_TIMEOUT);
    }

    @Test
    void unansweredPingSkipsThePingsDueMeanwhileAndTheIntervalKeepsItsPhase() {
        start(Duration.ofSeconds(10), Duration.ofSeconds(25));
        long start = scheduler.nanoTime();
        FakeSink sink = new FakeSink();
        ClientConnection connection = connect(sink);
        advanceTo(Duration.ofSeconds(10), start);
        assertThat(sink.pings()).isEqualTo(1);

        advanceTo(Duration.ofSeconds(22), start); // the ping due at 20 s is skipped: the first is unanswered
        assertThat(sink.pings()).isEqualTo(1);
        connection.onPong(sink.lastPing());
        advanceTo(Duration.ofSeconds(30).minus(MS), start);
        assertThat(sink.pings()).isEqualTo(1);
        advanceTo(Duration.ofSeconds(30), start);
        assertThat(sink.pings()).isEqualTo(2);
        assertThat(sink.closeCode()).isZero();
    }

    @Test
    void noTimerIsScheduledWhileNoConnectionIsRegistered() {
        start(INTERVAL, INTERVAL);
        scheduler.advance(Duration.ofMinutes(5));
        assertThat(scheduler.ran()).as("no wake-up without connections").isZero();

        FakeSink sink = new FakeSink();
        ClientConnection connection = new ClientConnection(sink, handshake, scheduler, settings, TransportMetrics.NONE,
                ackFlusher, keepalive);
        connection.opened();
        assertThat(scheduler.pending()).as("awaiting its init packet: the init timeout alone").isEqualTo(1);
        connection.onFrame(ByteBuffer.wrap(InitPacket.newSession(WireFormat.PROTOCOL_GAME, 1).encode()));
        assertThat(scheduler.pending()).as("open: the wheel's tick alone").isEqualTo(1);

        connection.onClosed(CloseCodes.NORMAL);
        scheduler.advance(INTERVAL);
        assertThat(keepalive.size()).isZero();
        assertThat(scheduler.pending()).isZero();
        long ran = scheduler.ran();
        scheduler.advance(Duration.ofMinutes(5));
        assertThat(scheduler.ran()).as("stopped: no wake-up at all").isEqualTo(ran);

        FakeSink again = new FakeSink();
        connect(again);
        scheduler.advance(INTERVAL);
        assertThat(again.pings()).as("the timer starts again with the next connection").isEqualTo(1);
    }

    @Test
    void connectionThatNeverGotItsInitPacketIsNeverInTheWheel() {
        start(INTERVAL, INTERVAL);
        FakeSink sink = new FakeSink();
        ClientConnection connection = new ClientConnection(sink, handshake, scheduler, settings, TransportMetrics.NONE,
                ackFlusher, keepalive);
        connection.opened();
        scheduler.advance(Duration.ofSeconds(10));
        assertThat(sink.closeCode()).isEqualTo(CloseCodes.INIT_TIMEOUT);
        assertThat(scheduler.pending()).isZero();
        assertThat(sink.pings()).isZero();
    }

    @Test
    void closedConnectionIsDroppedAtItsSlotAndTheOthersStay() {
        start(INTERVAL, INTERVAL);
        FakeSink a = new FakeSink();
        ClientConnection closing = connect(a);
        FakeSink b = new FakeSink();
        connect(b);
        scheduler.advance(SECOND);
        assertThat(keepalive.size()).isEqualTo(2);

        closing.onClosed(CloseCodes.NORMAL);
        scheduler.advance(Duration.ofSeconds(19).minus(MS));
        assertThat(keepalive.size()).as("held, closed, until its slot comes round").isEqualTo(2);
        scheduler.advance(MS);

        assertThat(keepalive.size()).isEqualTo(1);
        assertThat(a.pings()).isZero();
        assertThat(b.pings()).isEqualTo(1);
        assertThat(scheduler.pending()).isEqualTo(1);
    }

    @Test
    void connectionClosingAndOneOpeningInTheSameSlotBeforeItsSweep() {
        start(INTERVAL, INTERVAL);
        long start = scheduler.nanoTime();
        scheduler.advance(Duration.ofMillis(200));
        FakeSink a = new FakeSink();
        ClientConnection closing = connect(a); // due at 20.2 s: tick 21
        scheduler.advance(SECOND);
        assertThat(keepalive.size()).isEqualTo(1);

        advanceTo(Duration.ofMillis(20_600), start);
        closing.close(CloseCodes.NORMAL, "bye");
        FakeSink b = new FakeSink();
        ClientConnection opening = connect(b); // due at 40.6 s: tick 41, the same slot of a 32-slot wheel
        advanceTo(Duration.ofSeconds(21), start);

        assertThat(keepalive.size()).as("the closed one dropped, the new one in").isEqualTo(1);
        assertThat(a.pings()).isZero();
        advanceTo(Duration.ofSeconds(41).minus(MS), start);
        assertThat(b.pings()).isZero();
        advanceTo(Duration.ofSeconds(41), start);
        assertThat(b.pings()).isEqualTo(1);
        assertThat(opening.isOpen()).isTrue();
    }

    @Test
    void connectionThatClosesBeforeItsFirstSweepLeavesNoTimerBehind() {
        start(INTERVAL, INTERVAL);
        FakeSink sink = new FakeSink();
        ClientConnection connection = connect(sink);
        connection.onClosed(CloseCodes.NORMAL); // still among the arrivals
        scheduler.advance(SECOND);
        assertThat(keepalive.size()).isEqualTo(1);
        scheduler.advance(INTERVAL);
        assertThat(keepalive.size()).isZero();
        assertThat(scheduler.pending()).isZero();
        assertThat(sink.pings()).isZero();
    }

    @Test
    void sweepThatComesLateCatchesUpOnEverySlotItMissed() {
        HeldScheduler held = new HeldScheduler();
        Keepalive wheel = new Keepalive(held, INTERVAL, INTERVAL);
        List<FakeSink> sinks = new ArrayList<>();
        List<ClientConnection> connections = new ArrayList<>();
        start(INTERVAL, INTERVAL);
        for (int i = 0; i < 40; i++) {
            FakeSink sink = new FakeSink();
            ClientConnection connection = new ClientConnection(sink, handshake, held, settings, TransportMetrics.NONE,
                    ackFlusher, wheel);
            connection.opened();
            connection.onFrame(ByteBuffer.wrap(InitPacket.newSession(WireFormat.PROTOCOL_GAME, 1).encode()));
            sinks.add(sink);
            connections.add(connection);
            held.runLate(Duration.ofMillis(450)); // spread over 18 s: first pings due from 20 to 37.6 s, over most slots
        }
        assertThat(wheel.size()).isEqualTo(40);
        assertThat(sinks).allSatisfy(sink -> assertThat(sink.pings()).isZero());

        held.runLate(Duration.ofSeconds(40)); // the timer thread stalled: its next tick comes 40 s late, at 58 s

        assertThat(sinks).as("each due once, in the one late sweep").allSatisfy(sink -> assertThat(sink.pings()).isEqualTo(1));
        for (int i = 0; i < connections.size(); i++) {
            connections.get(i).onPong(sinks.get(i).lastPing());
        }
        held.runLate(Duration.ofSeconds(20));
        assertThat(sinks).allSatisfy(sink -> assertThat(sink.pings()).isEqualTo(2));
        assertThat(sinks).allSatisfy(sink -> assertThat(sink.closeCode()).isZero());
    }

    /** A scheduler whose one pending task runs only when the test says, as late as it likes. */
    private static final class HeldScheduler implements io.aphelion.server.support.Scheduler {

        long now = 5_000_000_000L;
        private final List<Runnable> tasks = new ArrayList<>();

        @Override
        public long nanoTime() {
            return now;
        }

        @Override
        public Cancellable schedule(Runnable task, Duration delay) {
            tasks.add(task);
            return () -> tasks.remove(task);
        }

        @Override
        public Cancellable scheduleAtFixedRate(Runnable task, Duration period) {
            throw new UnsupportedOperationException();
        }

        /** Moves time by {@code by}, then runs what was scheduled (at most one task is expected: the tick). */
        void runLate(Duration by) {
            now += by.toNanos();
            List<Runnable> due = new ArrayList<>(tasks);
            tasks.clear();
            assertThat(due).hasSizeLessThanOrEqualTo(1);
            due.forEach(Runnable::run);
        }
    }
}
