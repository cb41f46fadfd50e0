package io.aphelion.server.session;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import io.aphelion.server.handshake.HandshakeService;
import io.aphelion.server.handshake.ServedProtocol;
import io.aphelion.server.session.TransportMetrics;
import io.aphelion.server.testing.FakeSink;
import io.aphelion.server.testing.ManualScheduler;
import io.aphelion.wire.CloseCodes;
import io.aphelion.wire.InitPacket;
import io.aphelion.wire.SessionToken;
import io.aphelion.wire.WireFormat;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Sessions and connections as state machines, with a manual clock and recording sinks: every
 * timeout at {@code limit - 1} and at {@code limit}, routing, re-sending and the send buffer.
 */
class SessionStateTest {

    private static final Duration MS = Duration.ofMillis(1);

    private final ManualScheduler scheduler = new ManualScheduler();
    private TransportSettings settings = new TransportSettings(Duration.ofSeconds(10), Duration.ofSeconds(20),
            Duration.ofSeconds(20), Duration.ofMillis(2), Duration.ofSeconds(30), Duration.ofSeconds(10), Duration.ofSeconds(30), 3,
            1000, 10);
    private final List<String> events = new ArrayList<>();
    private final List<String> messages = new ArrayList<>();
    private SessionRegistry registry;
    private HandshakeService handshake;
    private final AckFlusher ackFlusher = new AckFlusher(scheduler, Duration.ofMillis(2));
    private final Keepalive keepalive = new Keepalive(scheduler, settings.pingInterval(), settings.pongTimeout());

    /** Records lifecycle events; a payload decodes to its bytes as a string. */
    private final SessionListener<String> listener = new SessionListener<String>() {
        @Override
        public String decode(ByteBuffer payload) {
            byte[] bytes = new byte[payload.remaining()];
            payload.get(bytes);
            return new String(bytes);
        }

        @Override
        public void onMessage(PlayerSession session, ClientConnection connection, String message) {
            messages.add(message);
        }

        @Override
        public void sessionStarted(PlayerSession session) {
            events.add("started");
        }

        @Override
        public void connectionAdded(PlayerSession session, ClientConnection connection) {
            events.add("added");
        }

        @Override
        public void connectionLost(PlayerSession session, ClientConnection connection, int closeCode) {
            events.add("lost " + closeCode);
        }

        @Override
        public void sessionResumed(PlayerSession session, ClientConnection connection) {
            events.add("resumed");
        }

        @Override
        public void sessionEnded(PlayerSession session, SessionEndReason reason) {
            events.add("ended " + reason);
        }
    };

    private void start() {
        registry = new SessionRegistry(scheduler, settings, TransportMetrics.NONE);
        handshake = new HandshakeService(registry, List.of(new ServedProtocol(WireFormat.PROTOCOL_GAME, 1, 3, listener)));
    }

    private ClientConnection open(FakeSink sink) {
        if (registry == null) {
            start();
        }
        ClientConnection connection = new ClientConnection(sink, handshake, scheduler, settings, TransportMetrics.NONE, ackFlusher, keepalive);
        connection.opened();
        return connection;
    }

    private ClientConnection connect(FakeSink sink, SessionToken token) {
        ClientConnection connection = open(sink);
        connection.onFrame(ByteBuffer.wrap(new InitPacket(WireFormat.PROTOCOL_GAME, 1, token).encode()));
        return connection;
    }

    private static SessionToken token(FakeSink sink) {
        return InitPacket.decodeReply(ByteBuffer.wrap(sink.frames().get(0)));
    }

    /** The payloads (after the ack byte) of the packets a sink got, skipping the init reply and ack-only packets. */
    private static List<String> payloads(FakeSink sink) {
        List<byte[]> frames = sink.frames();
        List<String> payloads = new ArrayList<>();
        for (byte[] frame : frames.subList(1, frames.size())) {
            if (frame.length > 1) {
                payloads.add(new String(frame, 1, frame.length - 1));
            }
        }
        return payloads;
    }

    /** A connection of a session whose client acked once: its packets are retained until acked. */
    private ClientConnection ackingConnection(FakeSink sink) {
        ClientConnection connection = connect(sink, null);
        connection.session().send("warm".getBytes(), Delivery.RELIABLE);
        packet(connection, 1, "");
        return connection;
    }

    private static void packet(ClientConnection connection, int ack, String payload) {
        byte[] bytes = payload.getBytes();
        byte[] frame = new byte[bytes.length + 1];
        frame[0] = (byte) ack;
        System.arraycopy(bytes, 0, frame, 1, bytes.length);
        connection.onFrame(ByteBuffer.wrap(frame));
    }

    @Test
    void aReplyGoesOnTheConnectionThatOwesTheAckOfWhatItAnswersAndCarriesIt() {
        FakeSink a = new FakeSink();
        FakeSink b = new FakeSink();
        ClientConnection first = connect(a, null);
        ClientConnection second = connect(b, token(a));
        PlayerSession session = first.session();

        // Three requests, two of them in a row on the same connection: rotation alone would alternate.
        packet(second, 0, "q1");
        session.send("r1".getBytes(), Delivery.VOLATILE);
        packet(first, 0, "q2");
        session.send("r2".getBytes(), Delivery.VOLATILE);
        packet(first, 0, "q3");
        session.send("r3".getBytes(), Delivery.VOLATILE);

        assertThat(payloads(b)).containsExactly("r1");
        assertThat(payloads(a)).containsExactly("r2", "r3");
        List<byte[]> onA = a.frames();
        assertThat(onA.subList(1, onA.size())).extracting(frame -> (int) frame[0]).as("each reply acks its request")
                .containsExactly(1, 1);
        assertThat(b.frames().get(1)[0]).isEqualTo((byte) 1);
    }

    @Test
    void initTimeoutClosesWith4004AtTheLimitNotBefore() {
        FakeSink sink = new FakeSink();
        open(sink);
        scheduler.advance(Duration.ofSeconds(10).minus(MS));
        assertThat(sink.closeCode()).isZero();
        scheduler.advance(MS);
        assertThat(sink.closeCode()).isEqualTo(CloseCodes.INIT_TIMEOUT);
    }

    @Test
    void initTimeoutCountsFromTheAcceptSoTheUpgradesOwnTimeIsPartOfIt() {
        FakeSink sink = new FakeSink();
        start();
        ClientConnection connection = new ClientConnection(sink, handshake, scheduler, settings, TransportMetrics.NONE, ackFlusher, keepalive);
        connection.opened(Duration.ofSeconds(9)); // the HTTP upgrade took 9 of the 10 s
        scheduler.advance(Duration.ofSeconds(1).minus(MS));
        assertThat(sink.closeCode()).isZero();
        scheduler.advance(MS);
        assertThat(sink.closeCode()).isEqualTo(CloseCodes.INIT_TIMEOUT);
    }

    @Test
    void framesPastTheBurstAtOnceCloseWith4104AndTheSessionLivesOn() {
        settings = rateLimited(10, 5);
        FakeSink sink = new FakeSink();
        ClientConnection connection = connect(sink, null);
        for (int i = 0; i < 5; i++) {
            packet(connection, 0, "m" + i);
        }
        assertThat(sink.closeCode()).isZero();

        packet(connection, 0, "one too many");

        assertThat(sink.closeCode()).isEqualTo(CloseCodes.RATE_LIMITED);
        assertThat(messages).containsExactly("m0", "m1", "m2", "m3", "m4");
        assertThat(connection.session().state()).isEqualTo(PlayerSession.State.DETACHED);
    }

    @Test
    void framesAtTheSustainedRateAreNeverLimited() {
        settings = rateLimited(10, 5);
        FakeSink sink = new FakeSink();
        ClientConnection connection = connect(sink, null);
        for (int i = 0; i < 200; i++) {
            packet(connection, 0, "m" + i);
            connection.countFrame();
            scheduler.advance(Duration.ofMillis(300)); // up to 3 frames (packet, ping, pong) per 300 ms: the rate
            if (sink.lastPing() != null) {
                connection.onPong(sink.lastPing());
            }
        }
        assertThat(sink.closeCode()).isZero();
        assertThat(messages).hasSize(200);
    }

    @Test
    void unsolicitedPongsCountAgainstTheRateLimit() {
        settings = rateLimited(10, 5);
        FakeSink sink = new FakeSink();
        ClientConnection connection = connect(sink, null);
        for (int i = 0; i < 6; i++) {
            connection.onPong(ByteBuffer.allocate(0));
        }
        assertThat(sink.closeCode()).isEqualTo(CloseCodes.RATE_LIMITED);
    }

    @Test
    void piecesOfFragmentedMessagesAndPingsBeforeTheInitPacketCountAgainstTheRateLimit() {
        settings = rateLimited(10, 5);
        FakeSink sink = new FakeSink();
        ClientConnection connection = open(sink);
        for (int i = 0; i < 3; i++) {
            connection.countFrame();
            connection.countFrame();
        }
        assertThat(sink.closeCode()).isEqualTo(CloseCodes.RATE_LIMITED);
    }

    @Test
    void websocketPingsCountAgainstTheRateLimit() {
        settings = rateLimited(10, 5);
        FakeSink sink = new FakeSink();
        ClientConnection connection = connect(sink, null);
        for (int i = 0; i < 6; i++) {
            connection.countFrame();
        }
        assertThat(sink.closeCode()).isEqualTo(CloseCodes.RATE_LIMITED);
    }

    private TransportSettings rateLimited(int perSecond, int burst) {
        return new TransportSettings(settings.initTimeout(), settings.pingInterval(), settings.pongTimeout(),
                settings.ackDelay(), settings.ackTimeout(), settings.nonAckingGrace(), settings.expiry(),
                settings.maxConnections(), settings.maxBufferedBytes(), settings.maxBufferedMessages(),
                new TransportSettings.RateLimit(perSecond, burst));
    }

    @Test
    void initPacketInTimeCancelsTheInitTimeout() {
        FakeSink sink = new FakeSink();
        connect(sink, null);
        scheduler.advance(Duration.ofSeconds(11));
        assertThat(sink.closeCode()).isZero();
        assertThat(sink.frames().get(0)).hasSize(32);
    }

    @Test
    void sessionExpiresAtExpiryAfterItsLastConnectionNotBefore() {
        FakeSink sink = new FakeSink();
        ClientConnection connection = connect(sink, null);
        PlayerSession session = connection.session();
        connection.onClosed(1006);
        scheduler.advance(Duration.ofSeconds(30).minus(MS));
        assertThat(session.state()).isEqualTo(PlayerSession.State.DETACHED);
        assertThat(registry.liveSessions(WireFormat.PROTOCOL_GAME)).isEqualTo(1);
        scheduler.advance(MS);
        assertThat(session.state()).isEqualTo(PlayerSession.State.ENDED);
        assertThat(registry.liveSessions(WireFormat.PROTOCOL_GAME)).isZero();
        assertThat(events).containsExactly("started", "added", "lost 1006", "ended EXPIRED");
    }

    @Test
    void reconnectingBeforeExpiryResumesTheSessionWithTheSameToken() {
        FakeSink first = new FakeSink();
        ClientConnection connection = connect(first, null);
        SessionToken token = token(first);
        connection.onClosed(1006);
        scheduler.advance(Duration.ofSeconds(30).minus(MS));
        FakeSink second = new FakeSink();
        ClientConnection resumed = connect(second, token);
        assertThat(token(second)).isEqualTo(token);
        assertThat(resumed.session()).isSameAs(connection.session());
        scheduler.advance(Duration.ofSeconds(31));
        assertThat(resumed.session().state()).isEqualTo(PlayerSession.State.LIVE);
        assertThat(events).containsExactly("started", "added", "lost 1006", "resumed", "added");
    }

    @Test
    void expiredTokenStartsNewSession() {
        FakeSink first = new FakeSink();
        connect(first, null).onClosed(1006);
        scheduler.advance(Duration.ofSeconds(30));
        FakeSink second = new FakeSink();
        connect(second, token(first));
        assertThat(token(second)).isNotEqualTo(token(first));
    }

    @Test
    void connectionPastMaxConnectionsIsRefusedWith4100AndSessionIsUnaffected() {
        FakeSink first = new FakeSink();
        ClientConnection connection = connect(first, null);
        connect(new FakeSink(), token(first));
        connect(new FakeSink(), token(first));
        FakeSink fourth = new FakeSink();
        connect(fourth, token(first));
        assertThat(fourth.closeCode()).isEqualTo(CloseCodes.SESSION_FULL);
        assertThat(connection.session().connectionCount()).isEqualTo(3);
    }

    @Test
    void ackOnlyPacketGoesOutAfterTheAckDelayWhenNothingElseIsSent() {
        FakeSink sink = new FakeSink();
        ClientConnection connection = connect(sink, null);
        packet(connection, 0, "a");
        packet(connection, 0, "b");
        assertThat(sink.frames()).hasSize(1);
        scheduler.advance(Duration.ofMillis(2));
        assertThat(sink.frames()).hasSize(2);
        assertThat(sink.frames().get(1)).containsExactly(2);
        assertThat(messages).containsExactly("a", "b");
    }

    @Test
    void ackRidesOnTheNextOutgoingPacket() {
        FakeSink sink = new FakeSink();
        ClientConnection connection = connect(sink, null);
        packet(connection, 0, "a");
        connection.session().send("reply".getBytes(), Delivery.RELIABLE);
        assertThat(sink.frames().get(1)[0]).isEqualTo((byte) 1);
        scheduler.advance(Duration.ofMillis(5));
        assertThat(sink.frames()).hasSize(2);
    }

    @Test
    void ackOnlyPacketsAreNotCounted() {
        FakeSink sink = new FakeSink();
        ClientConnection connection = connect(sink, null);
        connection.onFrame(ByteBuffer.wrap(new byte[] { 0 }));
        scheduler.advance(Duration.ofMillis(10));
        assertThat(sink.frames()).hasSize(1);
    }

    @Test
    void ackLargerThanOutstandingClosesWith1002() {
        FakeSink sink = new FakeSink();
        ClientConnection connection = connect(sink, null);
        connection.session().send("x".getBytes(), Delivery.RELIABLE);
        packet(connection, 2, "");
        assertThat(sink.closeCode()).isEqualTo(CloseCodes.PROTOCOL_ERROR);
    }

    /** Sends a message and has whichever connection got it ack it at once, as a live client does. */
    private static void sendAndAck(PlayerSession session, String message, ClientConnection first, FakeSink a, ClientConnection second,
            FakeSink b) {
        int beforeA = payloads(a).size();
        int beforeB = payloads(b).size();
        session.send(message.getBytes(), Delivery.RELIABLE);
        if (payloads(a).size() > beforeA) {
            packet(first, 1, "");
        }
        if (payloads(b).size() > beforeB) {
            packet(second, 1, "");
        }
    }

    @Test
    void tiesBetweenEquallyLoadedConnectionsRotate() {
        FakeSink a = new FakeSink();
        ClientConnection first = connect(a, null);
        FakeSink b = new FakeSink();
        ClientConnection second = connect(b, token(a));
        PlayerSession session = first.session();
        for (int i = 0; i < 8; i++) {
            sendAndAck(session, "m" + i, first, a, second, b);
        }
        assertThat(payloads(a)).hasSize(4);
        assertThat(payloads(b)).hasSize(4);
    }

    @Test
    void messagesGoToTheConnectionWithFewestUnacked() {
        FakeSink a = new FakeSink();
        ClientConnection first = connect(a, null);
        FakeSink b = new FakeSink();
        ClientConnection second = connect(b, token(a));
        PlayerSession session = first.session();
        sendAndAck(session, "warm1", first, a, second, b);
        sendAndAck(session, "warm2", first, a, second, b);
        int warmOnB = payloads(b).size();
        // b stops reading: what it was given stays unacked, so everything else goes to a.
        b.stall();
        for (int i = 0; i < 10; i++) {
            int before = payloads(a).size();
            session.send(("m" + i).getBytes(), Delivery.RELIABLE);
            if (payloads(a).size() > before) {
                packet(first, 1, "");
            }
        }
        assertThat(payloads(a).size() + payloads(b).size() - warmOnB - 1).isGreaterThanOrEqualTo(9);
        assertThat(payloads(b).size() - warmOnB).isLessThanOrEqualTo(1);
    }

    @Test
    void reliableMessagesOfALostConnectionAreSentAgainInOrderOnAnother() {
        TwoConnections two = twoAckingConnections();
        FakeSink a = two.a();
        FakeSink b = two.b();
        ClientConnection second = two.second();
        PlayerSession session = two.session();

        b.stall();
        a.stall();
        List<String> sent = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            sent.add("r" + i);
            session.send(("r" + i).getBytes(), Delivery.RELIABLE);
            session.send(("v" + i).getBytes(), Delivery.VOLATILE);
        }
        List<String> onB = payloads(b).subList(1, payloads(b).size());
        second.onClosed(1006);
        a.completeWrites();
        List<String> onA = payloads(a);
        // Every reliable message reached the surviving connection; volatile ones of the lost one are gone.
        assertThat(onA).containsAll(sent);
        List<String> reliableOnA = onA.stream().filter(sent::contains).toList();
        assertThat(reliableOnA).doesNotHaveDuplicates();
        assertThat(onB).isNotEmpty();
        assertThat(events).contains("lost 1006");
    }

    @Test
    void messagesSentAgainAfterLostConnectionsComeInTheOrderTheyWereFirstSent() {
        TwoConnections two = twoAckingConnections();
        FakeSink a = two.a();
        FakeSink b = two.b();
        ClientConnection first = two.first();
        ClientConnection second = two.second();
        PlayerSession session = two.session();
        // Written on both connections (routing alternates) and never acked.
        List<String> sent = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            sent.add("m" + i);
            session.send(("m" + i).getBytes(), Delivery.RELIABLE);
        }
        assertThat(payloads(a).stream().filter(sent::contains)).isNotEmpty();
        assertThat(payloads(b).stream().filter(sent::contains)).isNotEmpty();

        second.onClosed(1006); // b's share goes to a, which sent its own share already
        for (int i = 8; i < 10; i++) {
            sent.add("m" + i);
            session.send(("m" + i).getBytes(), Delivery.RELIABLE);
        }
        FakeSink c = new FakeSink();
        ClientConnection third = connect(c, token(a));
        first.onClosed(1006); // everything a held, in the session's order, goes to c

        List<String> onC = payloads(c).stream().filter(sent::contains).toList();
        assertThat(onC).containsExactlyElementsOf(sent);
        assertThat(third.isOpen()).isTrue();
    }

    /** One session's two connections, each with a packet acked: the client is an acking one. */
    private record TwoConnections(FakeSink a, ClientConnection first, FakeSink b, ClientConnection second) {

        PlayerSession session() {
            return first.session();
        }
    }

    private TwoConnections twoAckingConnections() {
        FakeSink a = new FakeSink();
        ClientConnection first = connect(a, null);
        FakeSink b = new FakeSink();
        ClientConnection second = connect(b, token(a));
        PlayerSession session = first.session();
        session.send("warm-a".getBytes(), Delivery.RELIABLE);
        session.send("warm-b".getBytes(), Delivery.RELIABLE);
        packet(first, 1, "");
        packet(second, 1, "");
        return new TwoConnections(a, first, b, second);
    }

    @Test
    void reliableMessagesWaitForTheConnectionThatResumes() {
        FakeSink a = new FakeSink();
        ClientConnection connection = connect(a, null);
        PlayerSession session = connection.session();
        session.send("warm".getBytes(), Delivery.RELIABLE);
        packet(connection, 1, "");
        a.stall();
        session.send("one".getBytes(), Delivery.RELIABLE);
        session.send("gone".getBytes(), Delivery.VOLATILE);
        connection.onClosed(1006);
        session.send("two".getBytes(), Delivery.RELIABLE);
        FakeSink b = new FakeSink();
        connect(b, token(a));
        assertThat(payloads(b)).containsExactly("one", "two");
    }

    @Test
    void messagesWaitForTheResumingConnectionAgainAfterASecondDrop() {
        FakeSink a = new FakeSink();
        ClientConnection connection = connect(a, null);
        PlayerSession session = connection.session();
        connection.onClosed(1006);
        session.send("one".getBytes(), Delivery.RELIABLE);
        FakeSink b = new FakeSink();
        ClientConnection resumed = connect(b, token(a));
        assertThat(payloads(b)).containsExactly("one");
        resumed.onClosed(1006);
        session.send("two".getBytes(), Delivery.RELIABLE);
        session.send("three".getBytes(), Delivery.RELIABLE);
        FakeSink c = new FakeSink();
        connect(c, token(a));
        assertThat(payloads(c)).containsExactly("one", "two", "three"); // "one" was never acked: sent again, first
    }

    @Test
    void anOwedAckIsNeverLostWithTheVolatileAnswersItWouldHaveRiddenOn() {
        FakeSink sink = new FakeSink();
        ClientConnection connection = ackingConnection(sink);
        PlayerSession session = connection.session();
        sink.stall(); // a client that floods and does not read: answers pile up, most are dropped
        int dropped = 0;
        for (int i = 0; i < 300; i++) {
            packet(connection, 0, "c" + i);
            dropped += session.send(("answer" + i).getBytes(), Delivery.VOLATILE) ? 0 : 1;
        }
        assertThat(dropped).as("volatile answers dropped for the full buffer").isGreaterThan(250);

        sink.completeWrites();
        scheduler.advance(Duration.ofMillis(10)); // the ack delay, for what is left to go alone

        List<byte[]> frames = sink.frames();
        int acked = 0;
        for (byte[] frame : frames.subList(1, frames.size())) {
            assertThat((int) frame[0]).as("one ack byte carries at most 127").isBetween(0, 127);
            acked += frame[0];
        }
        assertThat(acked).as("every payload packet acked exactly once").isEqualTo(300);
    }

    @Test
    void fullBufferDropsVolatileMessages() {
        FakeSink sink = new FakeSink();
        ClientConnection connection = ackingConnection(sink);
        sink.stall();
        PlayerSession session = connection.session();
        int accepted = 0;
        for (int i = 0; i < 20; i++) {
            accepted += session.send(("v" + i).getBytes(), Delivery.VOLATILE) ? 1 : 0;
        }
        assertThat(accepted).isEqualTo(10);
        assertThat(session.bufferedMessages()).isEqualTo(10);
        assertThat(session.state()).isEqualTo(PlayerSession.State.LIVE);
    }

    @Test
    void reliableMessageEvictsQueuedVolatileOnesBeforeOverflowing() {
        FakeSink sink = new FakeSink();
        ClientConnection connection = ackingConnection(sink);
        sink.stall();
        PlayerSession session = connection.session();
        for (int i = 0; i < 10; i++) {
            session.send(("v" + i).getBytes(), Delivery.VOLATILE);
        }
        assertThat(session.send("r".getBytes(), Delivery.RELIABLE)).isTrue();
        assertThat(session.state()).isEqualTo(PlayerSession.State.LIVE);
        assertThat(session.bufferedMessages()).isLessThanOrEqualTo(10);
    }

    @Test
    void reliableOverflowEndsTheSessionWith4101() {
        FakeSink sink = new FakeSink();
        ClientConnection connection = ackingConnection(sink);
        sink.stall();
        PlayerSession session = connection.session();
        boolean last = true;
        for (int i = 0; i < 11; i++) {
            last = session.send(("r" + i).getBytes(), Delivery.RELIABLE);
        }
        assertThat(last).isFalse();
        assertThat(sink.closeCode()).isEqualTo(CloseCodes.SEND_BUFFER_OVERFLOW);
        assertThat(session.state()).isEqualTo(PlayerSession.State.ENDED);
        assertThat(session.endReason()).isEqualTo(SessionEndReason.SEND_BUFFER_OVERFLOW);
        assertThat(events).endsWith("ended SEND_BUFFER_OVERFLOW");
        assertThat(registry.liveSessions()).isZero();
    }

    @Test
    void bufferIsBoundedInBytesToo() {
        FakeSink sink = new FakeSink();
        ClientConnection connection = ackingConnection(sink);
        sink.stall();
        PlayerSession session = connection.session();
        assertThat(session.send(new byte[600], Delivery.VOLATILE)).isTrue();
        assertThat(session.send(new byte[600], Delivery.VOLATILE)).isFalse();
        assertThat(session.bufferedBytes()).isEqualTo(600);
    }

    @Test
    void unackedPacketPastTheAckTimeoutClosesWith4102AtThatMomentWhateverThePingInterval() {
        FakeSink sink = new FakeSink();
        ClientConnection connection = ackingConnection(sink);
        PlayerSession session = connection.session();
        scheduler.advance(Duration.ofSeconds(5));
        session.send("never acked".getBytes(), Delivery.RELIABLE);
        // The ping at 20 s (15 s after the send) is answered: liveness is not the question.
        scheduler.advance(Duration.ofSeconds(15));
        connection.onPong(sink.lastPing());
        scheduler.advance(Duration.ofSeconds(15).minus(MS));
        assertThat(sink.closeCode()).isZero();
        scheduler.advance(MS);
        assertThat(sink.closeCode()).isEqualTo(CloseCodes.ACK_TIMEOUT);
    }

    @Test
    void ackTimeoutFollowsTheOldestUnackedPacketAsAcksArrive() {
        FakeSink sink = new FakeSink();
        ClientConnection connection = ackingConnection(sink);
        PlayerSession session = connection.session();
        session.send("first".getBytes(), Delivery.RELIABLE);
        scheduler.advance(Duration.ofSeconds(10));
        session.send("second".getBytes(), Delivery.RELIABLE);
        scheduler.advance(Duration.ofSeconds(19));
        packet(connection, 1, ""); // acks "first" at 29 s: "second" is 19 s old
        connection.onPong(sink.lastPing());
        scheduler.advance(Duration.ofSeconds(11).minus(MS));
        assertThat(sink.closeCode()).isZero();
        scheduler.advance(MS);
        assertThat(sink.closeCode()).isEqualTo(CloseCodes.ACK_TIMEOUT);
    }

    @Test
    void clientThatNeverAcksIsNotCutOffForAcks() {
        FakeSink sink = new FakeSink();
        ClientConnection connection = connect(sink, null);
        PlayerSession session = connection.session();
        for (int i = 0; i < 50; i++) {
            session.send(("m" + i).getBytes(), Delivery.RELIABLE);
            packet(connection, 0, "c" + i);
        }
        for (int i = 0; i < 5; i++) {
            scheduler.advance(Duration.ofSeconds(20));
            connection.onPong(sink.lastPing());
        }
        assertThat(sink.closeCode()).isZero();
        assertThat(session.bufferedMessages()).isZero();
    }

    @Test
    void secondConnectionDroppedBeforeItsFirstAckLosesNothingOfAnAckingSession() {
        FakeSink a = new FakeSink();
        ClientConnection first = ackingConnection(a);
        PlayerSession session = first.session();
        FakeSink b = new FakeSink();
        ClientConnection second = connect(b, token(a));
        a.stall(); // a's messages wait unacked: the rest is routed to b, which never acks
        List<String> sent = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            sent.add("r" + i);
            session.send(("r" + i).getBytes(), Delivery.RELIABLE);
        }
        assertThat(payloads(b)).isNotEmpty();

        second.onClosed(CloseCodes.ABNORMAL);
        a.completeWrites();

        assertThat(payloads(a)).containsAll(sent);
    }

    @Test
    void connectionDroppedBeforeAnyAckOfTheSessionHasItsMessagesReplayedOnResume() {
        FakeSink a = new FakeSink();
        ClientConnection connection = connect(a, null);
        PlayerSession session = connection.session();
        session.send("one".getBytes(), Delivery.RELIABLE);
        session.send("two".getBytes(), Delivery.RELIABLE);
        scheduler.advance(Duration.ofSeconds(9));
        connection.onClosed(CloseCodes.ABNORMAL);

        FakeSink b = new FakeSink();
        connect(b, token(a));

        assertThat(payloads(b)).containsExactly("one", "two");
    }

    @Test
    void sessionThatNeverAcksWithinTheGraceIsServedAsNonAcking() {
        FakeSink a = new FakeSink();
        ClientConnection connection = connect(a, null);
        PlayerSession session = connection.session();
        session.send("one".getBytes(), Delivery.RELIABLE);
        scheduler.advance(Duration.ofSeconds(10).minus(MS));
        assertThat(session.bufferedMessages()).as("kept during the grace").isEqualTo(1);
        scheduler.advance(MS);
        assertThat(session.bufferedMessages()).as("delivered once written, after the grace").isZero();
        session.send("two".getBytes(), Delivery.RELIABLE);
        assertThat(session.bufferedMessages()).isZero();
        connection.onClosed(CloseCodes.ABNORMAL);

        FakeSink b = new FakeSink();
        connect(b, token(a));

        assertThat(payloads(b)).as("nothing replayed to a non-acking client").isEmpty();
        // No ack timeout applies to it either.
        scheduler.advance(Duration.ofSeconds(100));
        assertThat(b.closeCode()).isNotEqualTo(CloseCodes.ACK_TIMEOUT);
    }

    @Test
    void unackedPacketsThatWouldOverflowBeforeTheFirstAckMakeTheSessionNonAcking() {
        FakeSink sink = new FakeSink();
        ClientConnection connection = connect(sink, null);
        PlayerSession session = connection.session();
        // Buffer of 10 messages; writes complete, nothing is acked.
        for (int i = 0; i < 25; i++) {
            assertThat(session.send(("r" + i).getBytes(), Delivery.RELIABLE)).as("send %d", i).isTrue();
        }
        assertThat(session.state()).isEqualTo(PlayerSession.State.LIVE);
        assertThat(sink.closeCode()).isZero();
        assertThat(payloads(sink)).hasSize(25);
        assertThat(session.bufferedMessages()).isZero();
    }

    @Test
    void ackOnAnyConnectionMakesTheWholeSessionAcking() {
        FakeSink a = new FakeSink();
        ClientConnection first = connect(a, null);
        PlayerSession session = first.session();
        FakeSink b = new FakeSink();
        ClientConnection second = connect(b, token(a));
        session.send("warm".getBytes(), Delivery.RELIABLE);
        packet(payloads(a).isEmpty() ? second : first, 1, "");
        scheduler.advance(Duration.ofSeconds(11)); // past the grace: the session acks, nothing is forgotten
        a.stall();
        b.stall();
        session.send("x".getBytes(), Delivery.RELIABLE);
        session.send("y".getBytes(), Delivery.RELIABLE);
        assertThat(session.bufferedMessages()).isEqualTo(2);
    }

    @Test
    void clientClosingTheLastConnectionWith1000EndsTheSessionAtOnce() {
        FakeSink sink = new FakeSink();
        ClientConnection connection = connect(sink, null);
        PlayerSession session = connection.session();
        SessionToken token = token(sink);

        connection.onClosed(CloseCodes.NORMAL);

        assertThat(session.state()).isEqualTo(PlayerSession.State.ENDED);
        assertThat(session.endReason()).isEqualTo(SessionEndReason.CLOSED_BY_CLIENT);
        assertThat(events).containsExactly("started", "added", "lost 1000", "ended CLOSED_BY_CLIENT");
        assertThat(registry.liveSessions()).isZero();
        FakeSink again = new FakeSink();
        connect(again, token);
        assertThat(token(again)).isNotEqualTo(token);
    }

    @Test
    void clientClosingOneOfTwoConnectionsWith1000KeepsTheSession() {
        FakeSink a = new FakeSink();
        ClientConnection first = connect(a, null);
        FakeSink b = new FakeSink();
        connect(b, token(a));

        first.onClosed(CloseCodes.NORMAL);

        assertThat(first.session().state()).isEqualTo(PlayerSession.State.LIVE);
    }

    @Test
    void goingAwayOrADropKeepsTheSessionUntilExpiry() {
        for (int code : new int[] { CloseCodes.GOING_AWAY, CloseCodes.ABNORMAL, CloseCodes.NEW_SESSION_CLOSING_OLD }) {
            FakeSink sink = new FakeSink();
            ClientConnection connection = connect(sink, null);
            connection.onClosed(code);
            assertThat(connection.session().state()).as("after %d", code).isEqualTo(PlayerSession.State.DETACHED);
        }
    }

    @Test
    void serverClosingWith1000DoesNotCountAsTheClientLeaving() {
        FakeSink sink = new FakeSink();
        ClientConnection connection = connect(sink, null);

        connection.close(CloseCodes.NORMAL, "server says so");
        connection.onClosed(CloseCodes.NORMAL); // the client's echo

        assertThat(connection.session().state()).isEqualTo(PlayerSession.State.DETACHED);
    }

    @Test
    void pongWithAnotherPayloadThanThePingsDoesNotCountForLiveness() {
        FakeSink sink = new FakeSink();
        ClientConnection connection = connect(sink, null);
        scheduler.advance(Duration.ofSeconds(20));
        connection.onPong(ByteBuffer.allocate(0));
        connection.onPong(ByteBuffer.wrap(new byte[] { 1, 2, 3, 4, 5, 6, 7, 8 }));
        scheduler.advance(Duration.ofSeconds(20));
        assertThat(sink.closeCode()).isEqualTo(CloseCodes.PONG_TIMEOUT);
    }

    @Test
    void listenerThrowingAnErrorNeverLeavesASessionWithoutConnectionsAndWithoutExpiry() {
        SessionListener<String> broken = new SessionListener<String>() {
            @Override
            public String decode(ByteBuffer payload) {
                return "x";
            }

            @Override
            public void onMessage(PlayerSession session, ClientConnection connection, String message) {
                throw new NoClassDefFoundError("io/example/Missing");
            }

            @Override
            public void sessionStarted(PlayerSession session) {
                throw new NoClassDefFoundError("io/example/Missing");
            }

            @Override
            public void connectionLost(PlayerSession session, ClientConnection connection, int closeCode) {
                throw new IllegalStateException("no handle");
            }
        };
        registry = new SessionRegistry(scheduler, settings, TransportMetrics.NONE);
        handshake = new HandshakeService(registry, List.of(new ServedProtocol(WireFormat.PROTOCOL_GAME, 1, 3, broken)));
        FakeSink sink = new FakeSink();
        ClientConnection connection = connect(sink, null);
        assertThat(token(sink)).as("the session exists despite its listener").isNotNull();

        packet(connection, 0, "boom");

        assertThat(sink.closeCode()).isEqualTo(CloseCodes.INTERNAL_ERROR);
        PlayerSession session = connection.session();
        assertThat(session.state()).isEqualTo(PlayerSession.State.DETACHED);
        scheduler.advance(Duration.ofSeconds(30));
        assertThat(session.state()).isEqualTo(PlayerSession.State.ENDED);
        assertThat(registry.liveSessions()).isZero();
        assertThat(registry.connectedSessions(WireFormat.PROTOCOL_GAME)).isZero();
    }

    @Test
    void anEmptyPayloadIsRefusedBecauseTheClientWouldReadItAsAnAck() {
        FakeSink sink = new FakeSink();
        ClientConnection connection = connect(sink, null);

        assertThatThrownBy(() -> connection.session().send(new byte[0], Delivery.RELIABLE))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("0 bytes");
        assertThat(connection.session().bufferedMessages()).isZero();
    }

    @Test
    void closeIfDetachedEndsOnlyASessionWithNoConnection() {
        FakeSink sink = new FakeSink();
        ClientConnection connection = connect(sink, null);
        PlayerSession session = connection.session();

        assertThat(session.closeIfDetached(SessionEndReason.CLOSED_BY_SERVER)).as("live: left alone").isFalse();
        assertThat(session.state()).isEqualTo(PlayerSession.State.LIVE);
        assertThat(sink.closeCode()).isZero();

        connection.onClosed(CloseCodes.ABNORMAL);
        assertThat(session.closeIfDetached(SessionEndReason.CLOSED_BY_SERVER)).isTrue();
        assertThat(session.endReason()).isEqualTo(SessionEndReason.CLOSED_BY_SERVER);
        assertThat(session.closeIfDetached(SessionEndReason.CLOSED_BY_SERVER)).as("ended: nothing to do").isFalse();
        assertThat(events).endsWith("ended CLOSED_BY_SERVER");
    }

    @Test
    void anAckArrivingAfterTheSessionEndedIsIgnoredNotAProtocolError() {
        FakeSink sink = new FakeSink();
        ClientConnection connection = ackingConnection(sink);
        PlayerSession session = connection.session();
        session.send("m".getBytes(), Delivery.RELIABLE);
        session.close(SessionEndReason.CLOSED_BY_SERVER, "bye");
        assertThat(sink.closeCode()).isEqualTo(CloseCodes.NORMAL);

        session.packetReceived(connection, 1, false); // the client's ack of "m", racing the close

        assertThat(session.endReason()).isEqualTo(SessionEndReason.CLOSED_BY_SERVER);
    }

    @Test
    void missingPongClosesWith4103AtThePongTimeout() {
        FakeSink sink = new FakeSink();
        connect(sink, null);
        scheduler.advance(Duration.ofSeconds(20));
        assertThat(sink.pings()).isEqualTo(1);
        scheduler.advance(Duration.ofSeconds(20).minus(MS));
        assertThat(sink.closeCode()).isZero();
        scheduler.advance(MS);
        assertThat(sink.closeCode()).isEqualTo(CloseCodes.PONG_TIMEOUT);
    }

    @Test
    void answeredPingsKeepTheConnection() {
        FakeSink sink = new FakeSink();
        ClientConnection connection = connect(sink, null);
        for (int i = 0; i < 10; i++) {
            scheduler.advance(Duration.ofSeconds(20));
            connection.onPong(sink.lastPing());
        }
        assertThat(sink.closeCode()).isZero();
        assertThat(sink.pings()).isEqualTo(10);
    }

    @Test
    void closingTheSessionClosesEveryConnectionOnceAndFiresEndedOnce() {
        FakeSink a = new FakeSink();
        ClientConnection first = connect(a, null);
        FakeSink b = new FakeSink();
        connect(b, token(a));
        first.session().close(SessionEndReason.SHUTDOWN, "bye");
        first.session().close(SessionEndReason.CLOSED_BY_SERVER, "again");
        assertThat(a.closeCode()).isEqualTo(CloseCodes.GOING_AWAY);
        assertThat(b.closeCode()).isEqualTo(CloseCodes.GOING_AWAY);
        assertThat(events.stream().filter(e -> e.startsWith("ended"))).containsExactly("ended SHUTDOWN");
        assertThat(scheduler.pending()).as("the keepalive's tick alone: its closed connections wait in their slot")
                .isEqualTo(1);
        scheduler.advance(settings.pingInterval().plus(keepalive.tick()));
        assertThat(keepalive.size()).isZero();
        assertThat(scheduler.pending()).isZero();
    }

    @Test
    void tokenOfAnotherProtocolStartsANewSession() {
        registry = new SessionRegistry(scheduler, settings, TransportMetrics.NONE);
        handshake = new HandshakeService(registry, List.of(
                new ServedProtocol(WireFormat.PROTOCOL_GAME, 1, 1, listener),
                new ServedProtocol(WireFormat.PROTOCOL_PING, 1, 1, listener)));
        FakeSink game = new FakeSink();
        connect(game, null);
        FakeSink ping = new FakeSink();
        ClientConnection connection = new ClientConnection(ping, handshake, scheduler, settings, TransportMetrics.NONE, ackFlusher, keepalive);
        connection.opened();
        connection.onFrame(ByteBuffer.wrap(new InitPacket(WireFormat.PROTOCOL_PING, 1, token(game)).encode()));
        assertThat(token(ping)).isNotEqualTo(token(game));
        assertThat(registry.liveSessions()).isEqualTo(2);
    }
}
