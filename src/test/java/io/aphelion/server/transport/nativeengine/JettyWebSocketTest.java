package io.aphelion.server.transport.nativeengine;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.reflect.Field;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;

import com.google.protobuf.InvalidProtocolBufferException;

import io.aphelion.proto.ping.C2S;
import io.aphelion.proto.ping.S2C;
import io.aphelion.server.handshake.HandshakeService;
import io.aphelion.server.handshake.ServedProtocol;
import io.aphelion.server.session.FrameSink;
import io.aphelion.server.session.TransportMetrics;
import io.aphelion.server.protocol.ping.PingProtocol;
import io.aphelion.server.session.AckFlusher;
import io.aphelion.server.session.ClientConnection;
import io.aphelion.server.session.Delivery;
import io.aphelion.server.session.Keepalive;
import io.aphelion.server.session.PlayerSession;
import io.aphelion.server.session.SessionListener;
import io.aphelion.server.session.SessionRegistry;
import io.aphelion.server.session.TransportSettings;
import io.aphelion.server.testing.ManualScheduler;
import io.aphelion.server.transport.rfc6455.WebSocketProtocol;
import io.aphelion.wire.CloseCodes;
import io.aphelion.wire.InitPacket;
import io.aphelion.wire.WireFormat;
import io.aphelion.server.transport.AphelionWebSocketHandler;
import io.aphelion.server.transport.OpenWebSockets;
import io.aphelion.server.transport.AdmissionWebSocketHandlerDecorator;
import io.aphelion.server.transport.ClientConnectionFactory;

import org.eclipse.jetty.io.AbstractConnection;
import org.eclipse.jetty.io.ArrayByteBufferPool;
import org.eclipse.jetty.io.ByteArrayEndPoint;
import org.eclipse.jetty.util.thread.ScheduledExecutorScheduler;
import org.eclipse.jetty.util.thread.Scheduler;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import org.springframework.web.socket.BinaryMessage;
import org.springframework.web.socket.CloseStatus;
import org.springframework.web.socket.PingMessage;
import org.springframework.web.socket.PongMessage;
import org.springframework.web.socket.TextMessage;
import org.springframework.web.socket.WebSocketHandler;
import org.springframework.web.socket.WebSocketMessage;
import org.springframework.web.socket.WebSocketSession;
import org.springframework.web.socket.handler.WebSocketHandlerDecorator;

import static io.aphelion.server.testing.Bytes.concat;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;
import static org.awaitility.Awaitility.await;

/**
 * {@link JettyWebSocket} on Jetty's in-memory {@link ByteArrayEndPoint}, driven as Jetty drives it:
 * {@code setConnection} and {@code onOpen} (or {@code upgrade}), then client bytes with
 * {@code addInput}, which runs the websocket's fillable callback on the calling (test) thread. So
 * the test thread is the reading thread, every write completes (or stalls) inside the call that
 * made it, and only the tests that say so involve another thread.
 *
 * <p>Behind the websocket is a real {@link ClientConnection} with a real session registry and handshake
 * on a manual clock: protocol 1 is the real ping protocol; protocol 2 is a test protocol whose
 * messages run {@link #game} on the reading thread. Every test ends with every pooled buffer back
 * in the pool.
 */
class JettyWebSocketTest {

    private static final InetSocketAddress CLIENT = new InetSocketAddress("203.0.113.7", 40000);
    private static final URI PATH = URI.create("/aphelion");
    private static final int MAX_MESSAGE_SIZE = 1024;
    private static final Duration IDLE_TIMEOUT = Duration.ofMinutes(1);
    /** Under the settings' non-acking grace, so a session's messages stay retained meanwhile. */
    private static final Duration SEND_TIME_LIMIT = Duration.ofSeconds(5);
    /** RFC 6455 5.7's example masking key: every client frame here is masked with it. */
    private static final byte[] MASK = {0x37, (byte) 0xfa, 0x21, 0x3d};

    private static final int TEXT = WebSocketProtocol.OPCODE_TEXT;
    private static final int BINARY = WebSocketProtocol.OPCODE_BINARY;
    private static final int CLOSE = WebSocketProtocol.OPCODE_CLOSE;
    private static final int PING = WebSocketProtocol.OPCODE_PING;
    private static final int PONG = WebSocketProtocol.OPCODE_PONG;

    private final ManualScheduler scheduler = new ManualScheduler();
    private final TransportSettings settings = new TransportSettings(Duration.ofSeconds(10), Duration.ofSeconds(20),
            Duration.ofSeconds(20), Duration.ofMillis(2), Duration.ofSeconds(30), Duration.ofSeconds(10), Duration.ofSeconds(30), 3,
            1_000_000, 1000);
    private final SessionRegistry registry = new SessionRegistry(scheduler, settings, TransportMetrics.NONE);

    /** What a protocol-2 message does, on the reading thread; nothing unless a test says so. */
    private volatile GameHandler game = (session, connection, message) -> { };

    /** Protocol 2 here: a payload decodes to its bytes as UTF-8, handled by {@link #game}. */
    private final SessionListener<String> gameListener = new SessionListener<String>() {
        @Override
        public String decode(ByteBuffer payload) {
            return StandardCharsets.UTF_8.decode(payload).toString();
        }

        @Override
        public void onMessage(PlayerSession session, ClientConnection connection, String message) {
            game.onMessage(session, connection, message);
        }
    };

    private final HandshakeService handshake = new HandshakeService(registry, List.of(
            new ServedProtocol(WireFormat.PROTOCOL_PING, 1, 1, new PingProtocol(registry, scheduler)),
            new ServedProtocol(WireFormat.PROTOCOL_GAME, 1, 1, gameListener)));
    private final AckFlusher ackFlusher = new AckFlusher(scheduler, settings.ackDelay());
    private final Keepalive keepalive = new Keepalive(scheduler, settings.pingInterval(), settings.pongTimeout());
    /** Every connection the factory made, in order. */
    private final List<ClientConnection> connections = new CopyOnWriteArrayList<>();
    private final ClientConnectionFactory connectionFactory = sink -> {
        ClientConnection connection = new ClientConnection(sink, handshake, scheduler, settings, TransportMetrics.NONE, ackFlusher, keepalive);
        connections.add(connection);
        return connection;
    };
    private final OpenWebSockets openWebSockets = new OpenWebSockets();
    /** The endpoint's handler chain, as both engines build it: admission, then the Aphelion handler. */
    private final WebSocketHandler handler = new AdmissionWebSocketHandlerDecorator(
            new AphelionWebSocketHandler(connectionFactory, AphelionWebSocketHandler.ContainerFrameSinks.NONE), openWebSockets);
    /** Remembers every buffer taken and not returned. */
    private final ArrayByteBufferPool.Tracking pool = new ArrayByteBufferPool.Tracking();
    /** The websocket runs nothing on its executor; whatever it would, runs inline. */
    private final Executor executor = Runnable::run;

    private TestEndPoint endPoint = new TestEndPoint(null);
    private JettyWebSocket webSocket;

    /** The test protocol's message handler. */
    @FunctionalInterface
    private interface GameHandler {
        void onMessage(PlayerSession session, ClientConnection connection, String message);
    }

    @AfterEach
    void everyPooledBufferIsReturnedOnceTheSocketIsClosed() {
        endPoint.close();
        assertThat(pool.getLeaks()).as("pooled buffers never released: %s", pool.dumpLeaks()).isEmpty();
    }

    // ---- 1. Coalescing

    @Test
    void eightPingPacketsReadInOneBatchAreAnsweredInOrderInOneWrite() {
        openSession(WireFormat.PROTOCOL_PING);
        byte[][] pings = new byte[8][];
        for (int i = 0; i < pings.length; i++) {
            pings[i] = pingPacket(100 + i);
        }

        receive(pings);

        assertThat(endPoint.flushes()).as("writes for the batch").hasSize(1);
        List<Frame> answers = takeFrames();
        assertThat(answers).extracting(Frame::opcode).containsExactly(BINARY, BINARY, BINARY, BINARY,
                BINARY, BINARY, BINARY, BINARY);
        assertThat(answers).extracting(JettyWebSocketTest::answeredClientTime)
                .containsExactly(100L, 101L, 102L, 103L, 104L, 105L, 106L, 107L);
        assertThat(answers).extracting(Frame::ack).as("the first answer acks all eight pings")
                .containsExactly(8, 0, 0, 0, 0, 0, 0, 0);
    }

    @Test
    void aClientThatSendsWithoutPauseIsReadInTurnsAndEveryPacketIsAnswered() {
        openSession(WireFormat.PROTOCOL_PING);
        int count = 6_000;
        byte[][] pings = new byte[count][];
        for (int i = 0; i < count; i++) {
            pings[i] = pingPacket(i);
        }
        int bytes = concat(pings).length;
        assertThat(bytes).as("more than one turn's worth").isGreaterThan(
                JettyWebSocket.MAX_FILLS_PER_TURN * JettyWebSocket.INPUT_BUFFER_SIZE);

        endPoint.runs.set(0);
        receive(pings);

        // The first turn comes with the input; every later one was handed back to the selector.
        assertThat(endPoint.runs.get()).as("later read turns: the socket gave the thread up and was read again")
                .isGreaterThan(0);
        List<Frame> answers = takeFrames();
        assertThat(answers).hasSize(count);
        assertThat(answers).extracting(JettyWebSocketTest::answeredClientTime)
                .containsExactlyElementsOf(java.util.stream.LongStream.range(0, count).boxed().toList());
    }

    @Test
    void pingPacketsReadInSeparateBatchesAreAnsweredInSeparateWrites() {
        openSession(WireFormat.PROTOCOL_PING);

        receive(pingPacket(1));
        receive(pingPacket(2));

        List<byte[]> writes = endPoint.flushes();
        assertThat(writes).hasSize(2);
        assertThat(parse(writes.get(0))).extracting(JettyWebSocketTest::answeredClientTime).containsExactly(1L);
        assertThat(parse(writes.get(1))).extracting(JettyWebSocketTest::answeredClientTime).containsExactly(2L);
    }

    @Test
    void answersBeyondMaxCorkedBytesLeaveInMoreThanOneBoundedWriteInOrder() {
        openSession(WireFormat.PROTOCOL_GAME);
        // 7005 bytes per frame on the wire: two fit under MAX_WRITE_BYTES (16 KiB), three do not.
        game = (session, connection, message) -> {
            for (char c = 'a'; c <= 'd'; c++) {
                session.send(connection, repeat(c, 7000), Delivery.RELIABLE);
            }
        };

        receive(packet(0, "go"));

        List<byte[]> writes = endPoint.flushes();
        assertThat(writes).hasSizeGreaterThan(1);
        assertThat(writes).allSatisfy(write -> assertThat(write.length).isLessThanOrEqualTo(JettyWebSocket.MAX_WRITE_BYTES));
        assertThat(parse(writes.get(0))).as("the first write still gathers what fits").hasSize(2);
        List<Frame> frames = takeFrames();
        assertThat(frames).extracting(frame -> frame.text().charAt(0)).containsExactly('a', 'b', 'c', 'd');
        assertThat(frames).extracting(frame -> frame.text().length()).containsOnly(7000);
    }

    // ---- 2. Frames from other threads

    @Test
    void aSendFromAnotherThreadDuringABatchTakesWhatWaitsAndTheOrderOfEveryFrameIsKept() {
        openSession(WireFormat.PROTOCOL_GAME);
        game = (session, connection, message) -> {
            session.send(connection, bytes("first"), Delivery.RELIABLE);
            Thread other = new Thread(() -> session.send(connection, bytes("other"), Delivery.RELIABLE), "other-writer");
            other.start();
            join(other);
            session.send(connection, bytes("second"), Delivery.RELIABLE);
        };

        receive(packet(0, "go"));

        // The other thread found the writer idle and pulled what waited, the batch's first answer
        // included; the batch's end pulled the rest. One queue, so one order.
        List<byte[]> writes = endPoint.flushes();
        assertThat(writes).hasSize(2);
        assertThat(parse(writes.get(0))).extracting(Frame::text).containsExactly("first", "other");
        assertThat(parse(writes.get(1))).extracting(Frame::text).containsExactly("second");
        assertThat(takeFrames()).extracting(Frame::ack).as("the ack rides on the first frame out").containsExactly(1, 0, 0);
    }

    @Test
    void framesPulledOutsideABatchAreWrittenAtOnceEachInItsOwnWriteEncodedOnce() {
        open();
        RawSource raw = new RawSource(webSocket);

        raw.send(new byte[] {1, 2, 3});
        assertThat(raw.pulled()).isEqualTo(1);
        assertThat(endPoint.flushes()).hasSize(1);
        raw.send(new byte[] {4});

        assertThat(raw.pulled()).isEqualTo(2);
        assertThat(endPoint.flushes()).hasSize(2);
        assertThat(takeBytes()).containsExactly(0x82, 0x03, 1, 2, 3, 0x82, 0x01, 4);
    }

    // ---- 3. Ping

    @Test
    void clientPingIsAnsweredWithAPongCarryingTheSamePayload() {
        open();

        receive(clientFrame(PING, bytes("abc")));

        assertThat(takeBytes()).containsExactly(0x8A, 0x03, 'a', 'b', 'c');
        assertThat(endPoint.isOpen()).isTrue();
    }

    @Test
    void aClientThatPingsAndNeverReadsHoldsAtMostOnePongAndGetsTheLatest() {
        open();
        endPoint.stall();
        for (int i = 0; i < 100; i++) {
            receive(clientFrame(PING, bytes("p" + i)));
        }

        endPoint.resume();

        List<Frame> frames = takeFrames();
        assertThat(frames).extracting(Frame::opcode).containsOnly(PONG);
        assertThat(frames).as("the pong in flight, then only the latest").hasSizeLessThanOrEqualTo(2);
        assertThat(text(frames.get(frames.size() - 1).payload())).isEqualTo("p99");
        assertThat(pool.getLeaks()).as("replaced pongs went back to the pool: %s", pool.dumpLeaks()).isEmpty();
    }

    // ---- 4, 5. Close handshake

    @Test
    void clientCloseIsEchoedWithItsCodeThenTheSocketClosesAndTheConnectionHasThatCode() {
        ClientConnection connection = openSession(WireFormat.PROTOCOL_PING);

        receive(clientFrame(CLOSE, WebSocketProtocol.closePayload(1000, "bye")));

        assertThat(takeBytes()).containsExactly(0x88, 0x02, 0x03, 0xE8);
        assertThat(endPoint.isOpen()).isFalse();
        assertThat(connection.state()).isEqualTo(ClientConnection.State.CLOSED);
        assertThat(connection.closeCode()).isEqualTo(CloseCodes.NORMAL);
        assertThat(openWebSockets.count()).isZero();
    }

    @Test
    void clientCloseWithoutACodeIsEchoedWithoutOne() {
        ClientConnection connection = openSession(WireFormat.PROTOCOL_PING);

        receive(clientFrame(CLOSE, new byte[0]));

        assertThat(takeBytes()).containsExactly(0x88, 0x00);
        assertThat(endPoint.isOpen()).isFalse();
        assertThat(connection.closeCode()).isEqualTo(CloseCodes.NO_STATUS);
    }

    @Test
    void answersReadBeforeAClientCloseLeaveBeforeTheEchoedClose() {
        openSession(WireFormat.PROTOCOL_PING);

        receive(pingPacket(7), clientFrame(CLOSE, WebSocketProtocol.closePayload(1000, "")));

        List<Frame> frames = takeFrames();
        assertThat(frames).extracting(Frame::opcode).containsExactly(BINARY, CLOSE);
        assertThat(answeredClientTime(frames.get(0))).isEqualTo(7L);
        assertThat(frames.get(1).closeCode()).isEqualTo(1000);
        assertThat(endPoint.isOpen()).isFalse();
    }

    @Test
    void serverCloseSendsItsCodeAndReasonAndTheSocketStaysOpenUntilTheClientsCloseFrame() {
        ClientConnection connection = openSession(WireFormat.PROTOCOL_PING);

        webSocket.close(4007, "reason");

        assertThat(takeBytes()).containsExactly(0x88, 0x08, 0x0F, 0xA7, 'r', 'e', 'a', 's', 'o', 'n');
        assertThat(endPoint.isOpen()).isTrue();
        assertThat(endPoint.getIdleTimeout()).as("waits at most the close handshake timeout")
                .isEqualTo(JettyWebSocket.CLOSE_HANDSHAKE_TIMEOUT.toMillis());
        assertThat(openWebSockets.count()).isEqualTo(1);

        receive(clientFrame(CLOSE, WebSocketProtocol.closePayload(4007, "")));

        assertThat(endPoint.isOpen()).isFalse();
        assertThat(takeBytes()).as("no second close frame").isEmpty();
        assertThat(connection.closeCode()).isEqualTo(4007);
        assertThat(openWebSockets.count()).isZero();
    }

    @Test
    void closeHandshakeTimeoutClosesTheSocketWhenTheClientNeverAnswers() {
        ClientConnection connection = openSession(WireFormat.PROTOCOL_PING);
        connection.close(CloseCodes.GOING_AWAY, "Server shutting down");
        assertThat(takeFrames()).extracting(Frame::closeCode).containsExactly(1001);

        // Jetty's idle expiry, as CLOSE_HANDSHAKE_TIMEOUT passes with no close frame from the client.
        endPoint.expireIdle();

        assertThat(endPoint.isOpen())
                .as("closed once CLOSE_HANDSHAKE_TIMEOUT passed (output shut down: %s)", endPoint.isOutputShutdown())
                .isFalse();
        assertThat(openWebSockets.count()).isZero();
    }

    // ---- 6, 7, 8. Violations and unsupported data

    @Test
    void unmaskedClientFrameGetsClose1002AndTheSocketClosesWithoutWaitingForTheClient() {
        ClientConnection connection = openSession(WireFormat.PROTOCOL_PING);

        receive(frame(0x80 | BINARY, new byte[] {0, 1}, false));

        List<Frame> frames = takeFrames();
        assertThat(frames).extracting(Frame::opcode).containsExactly(CLOSE);
        assertThat(frames.get(0).closeCode()).isEqualTo(1002);
        assertThat(frames.get(0).closeReason()).isEqualTo("Client frames must be masked");
        assertThat(endPoint.isOpen()).isFalse();
        assertThat(connection.closeCode()).isEqualTo(CloseCodes.PROTOCOL_ERROR);
        assertThat(openWebSockets.count()).isZero();
    }

    @Test
    void protocolViolationWhileAWriteIsPendingClosesTheSocketOnceItsCloseFrameIsOut() {
        openSession(WireFormat.PROTOCOL_PING);
        endPoint.stall();
        RawSource raw = new RawSource(webSocket);
        raw.send(bytes("slow"));

        receive(frame(0x80 | BINARY, new byte[] {0, 1}, false));
        assertThat(endPoint.isOpen()).as("the close frame waits behind the pending write").isTrue();
        endPoint.resume();

        assertThat(raw.pulled()).isEqualTo(1);
        List<Frame> frames = takeFrames();
        assertThat(frames).extracting(Frame::opcode).containsExactly(BINARY, CLOSE);
        assertThat(frames.get(1).closeCode()).isEqualTo(1002);
        assertThat(endPoint.isOpen()).as("closed without waiting for the client").isFalse();
    }

    @Test
    void aClientThatKeepsStreamingAfterOurCloseCannotPushTheCloseDeadlineBack() {
        openSession(WireFormat.PROTOCOL_PING);
        receive(clientFrame(TEXT, bytes("hello")));
        assertThat(takeFrames()).extracting(Frame::closeCode).containsExactly(1003);

        for (int i = 0; i < 49; i++) {
            scheduler.advance(Duration.ofMillis(100));
            receive(clientFrame(BINARY, repeat('x', 1000)));
        }
        assertThat(endPoint.isOpen()).as("4.9 s after our close").isTrue();
        scheduler.advance(Duration.ofMillis(100));

        assertThat(endPoint.isOpen()).as("closed at the close handshake's deadline").isFalse();
        assertThat(takeBytes()).as("nothing answered after our close").isEmpty();
    }

    @Test
    void textFrameGetsClose1003AndTheSocketWaitsForTheClientsClose() {
        ClientConnection connection = openSession(WireFormat.PROTOCOL_PING);

        receive(clientFrame(TEXT, bytes("hello")));

        List<Frame> frames = takeFrames();
        assertThat(frames).extracting(Frame::opcode).containsExactly(CLOSE);
        assertThat(frames.get(0).closeCode()).isEqualTo(1003);
        assertThat(frames.get(0).closeReason()).isEqualTo("Text frames are not supported");
        assertThat(connection.closeCode()).isEqualTo(CloseCodes.UNSUPPORTED_DATA);
        assertThat(endPoint.isOpen()).isTrue();

        receive(clientFrame(CLOSE, WebSocketProtocol.closePayload(1003, "")));

        assertThat(endPoint.isOpen()).isFalse();
        assertThat(takeBytes()).isEmpty();
    }

    @Test
    void messageOverTheMaximumSizeGetsClose1009AndTheSocketCloses() {
        ClientConnection connection = openSession(WireFormat.PROTOCOL_GAME);
        List<String> delivered = new ArrayList<>();
        game = (session, conn, message) -> delivered.add(message);

        receive(packet(0, "x".repeat(MAX_MESSAGE_SIZE - 1)));
        assertThat(delivered).as("a message of exactly the maximum passes").hasSize(1);
        assertThat(endPoint.isOpen()).isTrue();
        takeBytes();

        receive(packet(0, "x".repeat(MAX_MESSAGE_SIZE)));

        assertThat(delivered).hasSize(1);
        List<Frame> frames = takeFrames();
        assertThat(frames).extracting(Frame::opcode).containsExactly(CLOSE);
        assertThat(frames.get(0).closeCode()).isEqualTo(1009);
        assertThat(frames.get(0).closeReason()).isEqualTo("Message over the maximum of " + MAX_MESSAGE_SIZE + " bytes");
        assertThat(endPoint.isOpen()).isFalse();
        assertThat(connection.closeCode()).isEqualTo(CloseCodes.MESSAGE_TOO_BIG);
    }

    // ---- 9. End of stream

    @Test
    void endOfStreamWithoutACloseFrameClosesTheSocketAndTheConnectionWith1006() {
        ClientConnection connection = openSession(WireFormat.PROTOCOL_PING);
        assertThat(openWebSockets.count()).isEqualTo(1);

        endPoint.addInputEOF();

        assertThat(endPoint.isOpen()).isFalse();
        assertThat(connection.state()).isEqualTo(ClientConnection.State.CLOSED);
        assertThat(connection.closeCode()).isEqualTo(CloseCodes.ABNORMAL);
        assertThat(openWebSockets.count()).isZero();
        assertThat(takeBytes()).isEmpty();
    }

    // ---- 10, 11. Writes after the close frame, and a client that reads nothing

    @Test
    void nothingIsPulledOrWrittenAfterTheCloseFrame() {
        open();
        webSocket.close(1000, "done");
        RawSource raw = new RawSource(webSocket);

        raw.send(new byte[] {1});
        webSocket.sendPing(ByteBuffer.allocate(0));
        receive(clientFrame(PING, bytes("late")));

        assertThat(raw.pulled()).as("what waits stays with its connection").isZero();
        assertThat(takeBytes()).as("the close frame and nothing after it")
                .containsExactly(0x88, 0x06, 0x03, 0xE8, 'd', 'o', 'n', 'e');
    }

    @Test
    void whileTheClientTakesNoBytesNothingMoreIsPulledAndWhatWaitsStaysWithItsConnectionWhenTheSocketCloses() {
        open();
        endPoint.stall();
        RawSource raw = new RawSource(webSocket);

        raw.send(bytes("one"));
        raw.send(bytes("two"));

        assertThat(raw.pulled()).as("only the write in flight was pulled").isEqualTo(1);
        assertThat(endPoint.flushes()).isEmpty();

        endPoint.close();

        assertThat(raw.pulled()).isEqualTo(1);
        assertThat(endPoint.flushes()).isEmpty();
    }

    @Test
    void framesWaitingBehindASlowWriteFollowItInOrderWhenTheClientCatchesUp() {
        open();
        endPoint.stall();
        RawSource raw = new RawSource(webSocket);
        raw.send(bytes("one"));
        raw.send(bytes("two"));

        endPoint.resume();

        assertThat(raw.pulled()).isEqualTo(2);
        assertThat(endPoint.flushes()).as("the write in flight, then what waited behind it").hasSize(2);
        assertThat(takeFrames()).extracting(frame -> text(frame.payload())).containsExactly("one", "two");
    }

    @Test
    void aWriteThatMakesNoProgressWithinTheSendTimeLimitDropsTheSocketAs1006() {
        ClientConnection connection = openSession(WireFormat.PROTOCOL_PING);
        endPoint.stall();

        connection.session().send(bytes("stuck"), Delivery.RELIABLE);
        scheduler.advance(SEND_TIME_LIMIT.minusMillis(1));
        assertThat(endPoint.isOpen()).as("just under the limit").isTrue();
        scheduler.advance(Duration.ofMillis(1));

        assertThat(endPoint.isOpen()).as("dropped at the send-time limit").isFalse();
        assertThat(connection.closeCode()).isEqualTo(CloseCodes.ABNORMAL);
        assertThat(connection.session().state()).as("resumable, as after any drop")
                .isEqualTo(io.aphelion.server.session.PlayerSession.State.DETACHED);
        assertThat(connection.session().bufferedMessages()).as("the unacked message waits for the resume").isEqualTo(1);
    }

    @Test
    void aWriteThatCompletesInTimeLeavesNoSendTimerBehind() {
        ClientConnection connection = openSession(WireFormat.PROTOCOL_PING);
        endPoint.stall();
        connection.session().send(bytes("slow"), Delivery.RELIABLE);

        scheduler.advance(SEND_TIME_LIMIT.dividedBy(2));
        endPoint.resume();
        scheduler.advance(SEND_TIME_LIMIT);

        assertThat(endPoint.isOpen()).isTrue();
        assertThat(takeFrames()).extracting(Frame::text).containsExactly("slow");
    }

    // ---- 12. Bytes behind the upgrade

    @Test
    void bytesSentRightBehindTheUpgradeAreReadWhenTheWebSocketOpens() {
        byte[] leftover = concat(initFrame(WireFormat.PROTOCOL_PING), pingPacket(42));
        endPoint.setConnection(new UpgradingConnection(endPoint, executor, ByteBuffer.wrap(leftover)));
        webSocket = newWebSocket(IDLE_TIMEOUT);

        // As Jetty does once the 101 is written: onUpgradeTo(leftover bytes), then onOpen.
        endPoint.upgrade(webSocket);

        assertThat(connections).singleElement().extracting(ClientConnection::state).isEqualTo(ClientConnection.State.OPEN);
        assertThat(endPoint.flushes()).as("init reply and answer in one write").hasSize(1);
        List<Frame> frames = takeFrames();
        assertThat(frames).extracting(Frame::opcode).containsExactly(BINARY, BINARY);
        assertThat(frames.get(0).payload()).hasSize(WireFormat.S2C_INIT_LENGTH);
        assertThat(answeredClientTime(frames.get(1))).isEqualTo(42L);
    }

    // ---- 13. Admission

    @Test
    void webSocketOpeningWhileNotAdmittingGetsClose1001AndNeverAConnection() {
        openWebSockets.stopAdmitting();

        open();

        byte[] reason = bytes("Server shutting down");
        assertThat(AdmissionWebSocketHandlerDecorator.SHUTTING_DOWN.getReason()).isEqualTo("Server shutting down");
        assertThat(takeBytes()).containsExactly(concat(new byte[] {(byte) 0x88, (byte) (2 + reason.length), 0x03, (byte) 0xE9},
                reason));
        assertThat(connections).isEmpty();
        assertThat(openWebSockets.count()).as("tracked until it closes").isEqualTo(1);

        receive(initFrame(WireFormat.PROTOCOL_PING));
        assertThat(connections).isEmpty();
        assertThat(takeBytes()).isEmpty();

        receive(clientFrame(CLOSE, WebSocketProtocol.closePayload(1001, "")));

        assertThat(endPoint.isOpen()).isFalse();
        assertThat(openWebSockets.count()).isZero();
    }

    // ---- Idle timeout

    @Test
    void silencePastTheIdleTimeoutGetsClose1001ThenTheClientsCloseClosesTheSocket() throws Exception {
        ScheduledExecutorScheduler timers = new ScheduledExecutorScheduler("jws-test-timers", true);
        timers.start();
        try {
            endPoint = new TestEndPoint(timers);
            open(Duration.ofMillis(100));
            ClientConnection connection = connections.get(0);

            await().atMost(Duration.ofSeconds(10)).until(() -> !endPoint.flushes().isEmpty());

            List<Frame> frames = takeFrames();
            assertThat(frames).extracting(Frame::opcode).containsExactly(CLOSE);
            assertThat(frames.get(0).closeCode()).isEqualTo(1001);
            assertThat(frames.get(0).closeReason()).isEqualTo("Idle timeout");
            assertThat(connection.closeCode()).isEqualTo(CloseCodes.GOING_AWAY);
            assertThat(endPoint.isOpen()).as("waits for the client's close frame").isTrue();

            receive(clientFrame(CLOSE, WebSocketProtocol.closePayload(1001, "")));

            // The close frame's write completes on the timer thread: it may close the socket.
            await().atMost(Duration.ofSeconds(10)).until(() -> !endPoint.isOpen());
            assertThat(openWebSockets.count()).isZero();
            assertThat(takeBytes()).as("no second close frame").isEmpty();
        }
        finally {
            endPoint.close();
            timers.stop();
        }
    }

    @Test
    void idleExpiryFirstSendsACloseFrameThenClosesTheSocket() {
        open();

        assertThat(webSocket.onIdleExpired(new TimeoutException("idle"))).as("open: the websocket closes itself").isFalse();
        assertThat(takeFrames()).extracting(Frame::closeCode).containsExactly(1001);
        assertThat(endPoint.isOpen()).as("waits for the client's close frame").isTrue();

        webSocket.onIdleExpired(new TimeoutException("idle"));

        assertThat(endPoint.isOpen()).as("closing: the socket is closed at the second expiry").isFalse();
        assertThat(openWebSockets.count()).isZero();
        assertThat(takeBytes()).isEmpty();
    }

    @Test
    void aWriteThatFailsBecauseTheClientVanishedCountsAsAnAbnormalDropNotAsGoingAway() {
        ClientConnection connection = openSession(WireFormat.PROTOCOL_PING);
        endPoint.failFlushes();

        connection.session().send("lost".getBytes(), io.aphelion.server.session.Delivery.RELIABLE);

        assertThat(connection.closeCode()).as("the drop is 1006, not the 1001 of a close of ours").isEqualTo(CloseCodes.ABNORMAL);
        assertThat(endPoint.isOpen()).isFalse();
        assertThat(connection.session().state()).isEqualTo(io.aphelion.server.session.PlayerSession.State.DETACHED);
    }

    // ---- Buffers

    @Test
    void bufferHoldingAPartialFrameGoesBackToThePoolWhenAFailedWriteClosesTheSocket() {
        open();
        byte[] ping = clientFrame(PING, bytes("abc"));
        receive(Arrays.copyOf(ping, 4));
        assertThat(takeBytes()).isEmpty();
        endPoint.failFlushes();

        new RawSource(webSocket).send(bytes("lost"));

        assertThat(endPoint.isOpen()).isFalse();
        assertThat(openWebSockets.count()).isZero();
        assertThat(pool.getLeaks()).as("pooled buffers never released: %s", pool.dumpLeaks()).isEmpty();
    }

    // ---- 14. Spring's session: the handler chain both engines share

    @Test
    void framesReachTheHandlerChainAsSpringEventsAndTheCloseFrameOnce() {
        RecordingDecorator recorder = new RecordingDecorator(new AphelionWebSocketHandler(connectionFactory, AphelionWebSocketHandler.ContainerFrameSinks.NONE));
        open(chain(recorder));
        receive(initFrame(WireFormat.PROTOCOL_PING));
        takeBytes();

        receive(pingPacket(5), clientFrame(PONG, bytes("abc")), clientFrame(PING, bytes("p")),
                clientFrame(CLOSE, WebSocketProtocol.closePayload(1000, "bye")));

        assertThat(recorder.events()).containsExactly("established", "binary 39", "binary " + pingPacketLength(5),
                "pong 3", "closed 1000 bye");
        assertThat(connections).singleElement().extracting(ClientConnection::closeCode).isEqualTo(CloseCodes.NORMAL);
        assertThat(takeFrames()).extracting(Frame::opcode).as("the pong (control frames lead a write), the answer, the echoed close")
                .containsExactly(PONG, BINARY, CLOSE);
        assertThat(endPoint.isOpen()).isFalse();
        assertThat(openWebSockets.count()).isZero();
    }

    @Test
    void textFrameReachesTheHandlersAsAnEmptyTextMessageAndClosesWith1003() {
        RecordingDecorator recorder = new RecordingDecorator(new AphelionWebSocketHandler(connectionFactory, AphelionWebSocketHandler.ContainerFrameSinks.NONE));
        open(chain(recorder));

        receive(clientFrame(TEXT, bytes("hello")));

        assertThat(recorder.events()).containsExactly("established", "text ''");
        assertThat(takeFrames()).extracting(Frame::closeCode).containsExactly(1003);
    }

    @Test
    void protocolViolationReachesTheHandlersAsACloseWithOurCode() {
        RecordingDecorator recorder = new RecordingDecorator(new AphelionWebSocketHandler(connectionFactory, AphelionWebSocketHandler.ContainerFrameSinks.NONE));
        open(chain(recorder));

        receive(frame(0x80 | BINARY, new byte[] {0, 1}, false));

        assertThat(recorder.events()).containsExactly("established", "closed 1002 Client frames must be masked");
        assertThat(connections).singleElement().extracting(ClientConnection::closeCode).isEqualTo(CloseCodes.PROTOCOL_ERROR);
        assertThat(endPoint.isOpen()).isFalse();
        assertThat(openWebSockets.count()).isZero();
    }

    @Test
    void socketEndingWithoutACloseFrameIsAnAbnormalCloseForTheHandlers() {
        RecordingDecorator recorder = new RecordingDecorator(new AphelionWebSocketHandler(connectionFactory, AphelionWebSocketHandler.ContainerFrameSinks.NONE));
        open(chain(recorder));

        endPoint.addInputEOF();

        assertThat(recorder.events()).containsExactly("established", "closed 1006");
        assertThat(openWebSockets.count()).isZero();
    }

    @Test
    void decoratorThatRejectsTheWebSocketClosesItWithItsCodeAndNoConnectionIsEverMade() {
        WebSocketHandler rejecting = new WebSocketHandlerDecorator(new AphelionWebSocketHandler(connectionFactory, AphelionWebSocketHandler.ContainerFrameSinks.NONE)) {
            @Override
            public void afterConnectionEstablished(WebSocketSession session) throws Exception {
                session.close(CloseStatus.POLICY_VIOLATION.withReason("not you"));
            }
        };
        open(chain(rejecting));

        assertThat(takeFrames()).extracting(Frame::closeCode, Frame::closeReason).containsExactly(tuple(1008, "not you"));
        receive(initFrame(WireFormat.PROTOCOL_PING));
        assertThat(connections).isEmpty();
        assertThat(takeBytes()).isEmpty();

        receive(clientFrame(CLOSE, WebSocketProtocol.closePayload(1008, "")));

        assertThat(endPoint.isOpen()).isFalse();
        assertThat(openWebSockets.count()).isZero();
    }

    @Test
    void handlerThatThrowsClosesTheWebSocketWith1011() {
        WebSocketHandler throwing = new WebSocketHandlerDecorator(new AphelionWebSocketHandler(connectionFactory, AphelionWebSocketHandler.ContainerFrameSinks.NONE)) {
            @Override
            public void handleMessage(WebSocketSession session, WebSocketMessage<?> message) {
                throw new IllegalStateException("broken decorator");
            }
        };
        open(chain(throwing));

        receive(initFrame(WireFormat.PROTOCOL_PING));

        assertThat(takeFrames()).extracting(Frame::closeCode).containsExactly(1011);
        assertThat(connections).singleElement().extracting(ClientConnection::closeCode).isEqualTo(CloseCodes.INTERNAL_ERROR);
    }

    @Test
    void messagesAHandlerSendsAreWrittenThroughTheEngineInTheOrderOfTheWrites() throws IOException {
        openSession(WireFormat.PROTOCOL_GAME);
        WebSocketSession session = webSocket.session();
        byte[] payload = bytes("own");

        session.sendMessage(new BinaryMessage(payload));
        payload[0] = 'X';
        connections.get(0).session().send(bytes("packet"), Delivery.RELIABLE);
        session.sendMessage(new PingMessage(ByteBuffer.wrap(bytes("hi"))));

        List<Frame> frames = takeFrames();
        assertThat(frames).extracting(Frame::opcode).containsExactly(BINARY, BINARY, PING);
        assertThat(text(frames.get(0).payload())).as("copied when sent, no ack byte added").isEqualTo("own");
        assertThat(frames.get(1).text()).isEqualTo("packet");
        assertThat(text(frames.get(2).payload())).isEqualTo("hi");
        assertThatThrownBy(() -> session.sendMessage(new TextMessage("hello"))).isInstanceOf(IOException.class)
                .hasMessageContaining("binary and ping messages only");
        assertThatThrownBy(() -> session.sendMessage(new BinaryMessage(new byte[1], false))).isInstanceOf(IOException.class);
    }

    @Test
    void closingTheSessionClosesItsConnectionWithTheCodeAsAServerClose() throws IOException {
        ClientConnection connection = openSession(WireFormat.PROTOCOL_PING);

        webSocket.session().close(new CloseStatus(4200, "policy"));

        assertThat(takeFrames()).extracting(Frame::closeCode, Frame::closeReason).containsExactly(tuple(4200, "policy"));
        assertThat(connection.state()).isEqualTo(ClientConnection.State.CLOSED);
        assertThat(connection.closeCode()).isEqualTo(4200);
        assertThat(connection.session().state()).as("the session waits for a resume: a server close, not the client leaving")
                .isEqualTo(io.aphelion.server.session.PlayerSession.State.DETACHED);
        assertThat(webSocket.session().isOpen()).as("until the client's close frame").isTrue();

        receive(clientFrame(CLOSE, WebSocketProtocol.closePayload(4200, "")));

        assertThat(webSocket.session().isOpen()).isFalse();
        assertThatThrownBy(() -> webSocket.session().sendMessage(new BinaryMessage(new byte[1])))
                .isInstanceOf(IOException.class).hasMessageContaining("closed");
    }

    @Test
    void sessionDescribesTheWebSocketWithoutKeepingTheRequestOrAMap() throws Exception {
        open();
        NativeWebSocketSession session = webSocket.session();
        Field attributes = NativeWebSocketSession.class.getDeclaredField("attributes");
        attributes.setAccessible(true);

        assertThat(session.getRemoteAddress()).isEqualTo(CLIENT);
        assertThat(session.getUri()).isSameAs(PATH);
        assertThat(session.getHandshakeHeaders().isEmpty()).isTrue();
        assertThat(session.getPrincipal()).isNull();
        assertThat(session.getAcceptedProtocol()).isNull();
        assertThat(session.getExtensions()).isEmpty();
        assertThat(session.getBinaryMessageSizeLimit()).isEqualTo(MAX_MESSAGE_SIZE);
        assertThat(session.getTextMessageSizeLimit()).isEqualTo(MAX_MESSAGE_SIZE);
        assertThat(session.isOpen()).isTrue();
        assertThat(attributes.get(session)).as("no attributes map until someone asks for one").isNull();

        session.getAttributes().put("game.player", "ada");

        assertThat(session.getAttributes()).containsEntry("game.player", "ada");
        assertThat(session.getId()).isEqualTo(session.getId())
                .isNotEqualTo(newWebSocket(IDLE_TIMEOUT).session().getId());
    }

    @Test
    void pingsAndPiecesOfFragmentedMessagesCountAgainstTheRateLimitThoughNoHandlerHearsOfThem() {
        TransportSettings limited = new TransportSettings(settings.initTimeout(), settings.pingInterval(),
                settings.pongTimeout(), settings.ackDelay(), settings.ackTimeout(), settings.nonAckingGrace(),
                settings.expiry(), settings.maxConnections(), settings.maxBufferedBytes(), settings.maxBufferedMessages(),
                new TransportSettings.RateLimit(10, 3));
        RecordingDecorator recorder = new RecordingDecorator(new AphelionWebSocketHandler(sink -> {
            ClientConnection connection = new ClientConnection(sink, handshake, scheduler, limited, TransportMetrics.NONE, ackFlusher, keepalive);
            connections.add(connection);
            return connection;
        }, AphelionWebSocketHandler.ContainerFrameSinks.NONE));
        open(chain(recorder));

        byte[] init = InitPacket.newSession(WireFormat.PROTOCOL_PING, 1).encode();

        // Three frames of the bucket's three: a ping, then the init packet in two pieces; the next ping is one too many.
        receive(clientFrame(PING, bytes("1")), frame(BINARY, Arrays.copyOfRange(init, 0, 20), true),
                frame(0x80, Arrays.copyOfRange(init, 20, init.length), true), clientFrame(PING, bytes("2")));

        assertThat(recorder.events()).as("the fragmented message arrives whole; the pings reach no handler")
                .containsExactly("established", "binary 39");
        assertThat(takeFrames()).extracting(Frame::opcode).as("the first pong, the init reply, the close")
                .containsExactly(PONG, BINARY, CLOSE);
        assertThat(connections.get(0).closeCode()).isEqualTo(CloseCodes.RATE_LIMITED);
    }

    // ---- Driving the websocket

    private JettyWebSocket newWebSocket(Duration idleTimeout) {
        return newWebSocket(idleTimeout, handler);
    }

    private JettyWebSocket newWebSocket(Duration idleTimeout, WebSocketHandler handler) {
        NativeEndpoint endpoint = new NativeEndpoint(handler, PATH, MAX_MESSAGE_SIZE, idleTimeout.toMillis(), SEND_TIME_LIMIT);
        return new JettyWebSocket(endPoint, executor, pool, scheduler, endpoint, CLIENT, PATH);
    }

    private void open() {
        open(IDLE_TIMEOUT);
    }

    /** Opens with this handler chain instead of the default one. */
    private void open(WebSocketHandler handler) {
        webSocket = newWebSocket(IDLE_TIMEOUT, handler);
        endPoint.setConnection(webSocket);
        webSocket.onOpen();
    }

    /** Admission in front of {@code inner}, as both engines build the chain. */
    private WebSocketHandler chain(WebSocketHandler inner) {
        return new AdmissionWebSocketHandlerDecorator(inner, openWebSockets);
    }

    /** As Jetty opens a connection: set it on the endpoint, then onOpen. */
    private void open(Duration idleTimeout) {
        webSocket = newWebSocket(idleTimeout);
        endPoint.setConnection(webSocket);
        webSocket.onOpen();
    }

    /** Opens, sends an init packet for the protocol and takes the init reply. */
    private ClientConnection openSession(int protocol) {
        open();
        receive(initFrame(protocol));
        List<Frame> reply = takeFrames();
        assertThat(reply).extracting(Frame::opcode).containsExactly(BINARY);
        assertThat(reply.get(0).payload()).hasSize(WireFormat.S2C_INIT_LENGTH);
        endPoint.clearFlushes();
        assertThat(connections).hasSize(1);
        ClientConnection connection = connections.get(0);
        assertThat(connection.state()).isEqualTo(ClientConnection.State.OPEN);
        return connection;
    }

    /** Client bytes arriving in one read: the websocket handles them as one batch, on this thread. */
    private void receive(byte[]... frames) {
        endPoint.addInput(ByteBuffer.wrap(concat(frames)));
    }

    private List<Frame> takeFrames() {
        return parse(takeBytes());
    }

    private byte[] takeBytes() {
        ByteBuffer output = endPoint.takeOutput();
        byte[] bytes = new byte[output.remaining()];
        output.get(bytes);
        return bytes;
    }

    private static void join(Thread thread) {
        try {
            thread.join();
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(ex);
        }
    }

    // ---- Client frames and packets

    private static byte[] initFrame(int protocol) {
        return clientFrame(BINARY, InitPacket.newSession(protocol, 1).encode());
    }

    private static byte[] pingPacket(long clientTime) {
        return packet(0, C2S.newBuilder().setClientTime(clientTime).build().toByteArray());
    }

    /** The payload length of a ping packet's frame: ack byte plus message. */
    private static int pingPacketLength(long clientTime) {
        return 1 + C2S.newBuilder().setClientTime(clientTime).build().getSerializedSize();
    }

    private static byte[] packet(int ack, String payload) {
        return packet(ack, bytes(payload));
    }

    /** A binary frame carrying one packet: the ack byte, then the payload. */
    private static byte[] packet(int ack, byte[] payload) {
        return clientFrame(BINARY, concat(new byte[] {(byte) ack}, payload));
    }

    /** A final, masked client frame. */
    private static byte[] clientFrame(int opcode, byte[] payload) {
        return frame(0x80 | opcode, payload, true);
    }

    /** A frame with this first byte, its length in the shortest form, masked with {@link #MASK} or not. */
    private static byte[] frame(int b0, byte[] payload, boolean masked) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(b0);
        int maskBit = masked ? 0x80 : 0;
        int length = payload.length;
        if (length < 126) {
            out.write(maskBit | length);
        }
        else if (length <= 0xFFFF) {
            out.write(maskBit | 126);
            out.write(length >> 8);
            out.write(length);
        }
        else {
            out.write(maskBit | 127);
            out.writeBytes(ByteBuffer.allocate(8).putLong(length).array());
        }
        if (masked) {
            out.writeBytes(MASK);
            for (int i = 0; i < length; i++) {
                out.write(payload[i] ^ MASK[i % 4]);
            }
        }
        else {
            out.writeBytes(payload);
        }
        return out.toByteArray();
    }

    // ---- Server frames

    /** One frame the server wrote. */
    private record Frame(int opcode, byte[] payload) {

        int closeCode() {
            return ((payload[0] & 0xFF) << 8) | (payload[1] & 0xFF);
        }

        String closeReason() {
            return new String(payload, 2, payload.length - 2, StandardCharsets.UTF_8);
        }

        /** A packet's ack byte. */
        int ack() {
            return payload[0] & 0xFF;
        }

        /** A packet's payload, after its ack byte, as UTF-8. */
        String text() {
            return new String(payload, 1, payload.length - 1, StandardCharsets.UTF_8);
        }
    }

    /** Server frames: FIN set, no RSV bit, never masked, a 7, 16 or 64-bit length, then the payload. */
    private static List<Frame> parse(byte[] bytes) {
        ByteBuffer buffer = ByteBuffer.wrap(bytes);
        List<Frame> frames = new ArrayList<>();
        while (buffer.hasRemaining()) {
            int b0 = buffer.get() & 0xFF;
            int b1 = buffer.get() & 0xFF;
            assertThat(b0 & 0xF0).as("FIN set, RSV clear").isEqualTo(0x80);
            assertThat(b1 & 0x80).as("server frames are not masked").isZero();
            long length = b1 & 0x7F;
            if (length == 126) {
                length = buffer.getShort() & 0xFFFF;
            }
            else if (length == 127) {
                length = buffer.getLong();
            }
            byte[] payload = new byte[(int) length];
            buffer.get(payload);
            frames.add(new Frame(b0 & 0x0F, payload));
        }
        return frames;
    }

    /** The client_time a ping-protocol answer echoes. */
    private static long answeredClientTime(Frame frame) {
        assertThat(frame.opcode()).isEqualTo(BINARY);
        try {
            return S2C.parseFrom(Arrays.copyOfRange(frame.payload(), 1, frame.payload().length)).getClientTime();
        }
        catch (InvalidProtocolBufferException ex) {
            throw new AssertionError("Not a ping answer: " + Arrays.toString(frame.payload()), ex);
        }
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static String text(byte[] bytes) {
        return new String(bytes, StandardCharsets.UTF_8);
    }

    private static byte[] repeat(char c, int count) {
        byte[] bytes = new byte[count];
        Arrays.fill(bytes, (byte) c);
        return bytes;
    }


    // ---- Test doubles

    /** A decorator that records each event as a line ("binary 39", "closed 1000 bye"), then passes it on. */
    private static final class RecordingDecorator extends WebSocketHandlerDecorator {

        private final List<String> events = new CopyOnWriteArrayList<>();

        RecordingDecorator(WebSocketHandler delegate) {
            super(delegate);
        }

        @Override
        public void afterConnectionEstablished(WebSocketSession session) throws Exception {
            events.add("established");
            super.afterConnectionEstablished(session);
        }

        @Override
        public void handleMessage(WebSocketSession session, WebSocketMessage<?> message) throws Exception {
            events.add(message instanceof BinaryMessage ? "binary " + message.getPayloadLength()
                    : message instanceof PongMessage ? "pong " + message.getPayloadLength()
                    : "text '" + message.getPayload() + "'");
            super.handleMessage(session, message);
        }

        @Override
        public void afterConnectionClosed(WebSocketSession session, CloseStatus status) throws Exception {
            events.add(("closed " + status.getCode() + " " + (status.getReason() == null ? "" : status.getReason())).trim());
            super.afterConnectionClosed(session, status);
        }

        List<String> events() {
            return List.copyOf(events);
        }
    }

    /**
     * A {@link FrameSink.Source} that takes over a websocket's pulls, for frames of raw bytes (no
     * ack byte): what a test sends waits here until the websocket pulls it. Thread-safe.
     */
    private static final class RawSource implements FrameSink.Source {

        private final JettyWebSocket webSocket;
        private final java.util.ArrayDeque<byte[]> waiting = new java.util.ArrayDeque<>();
        private int pulled;

        RawSource(JettyWebSocket webSocket) {
            this.webSocket = webSocket;
            webSocket.bind(this);
        }

        /** Queues a frame and wakes the websocket, as a connection does. */
        void send(byte[] payload) {
            synchronized (this) {
                waiting.add(payload);
            }
            webSocket.wake();
        }

        @Override
        public synchronized void pull(FrameSink.Writer out) {
            for (byte[] next; (next = waiting.peek()) != null && out.fits(next.length); ) {
                out.binary(FrameSink.Writer.NO_ACK, waiting.poll());
                pulled++;
            }
        }

        synchronized int pulled() {
            return pulled;
        }
    }

    /**
     * Jetty's in-memory endpoint, plus what a socket endpoint does and a test needs to see:
     * <ul>
     * <li>each {@code flush} that wrote bytes is recorded, so a test counts the writes;
     * <li>{@link #stall()} makes flushes write nothing (a client that reads nothing) until
     * {@link #resume()}; {@link #failFlushes()} makes them fail;
     * <li>closing it tells its connection ({@code onClose}), as Jetty's selector does for a socket
     * (here at once, on the closing thread);
     * <li>a task Jetty would run on another thread (fill interest registered while input waits)
     * runs inline;
     * <li>{@link #expireIdle()} runs Jetty's idle expiry now.
     * </ul>
     */
    private static final class TestEndPoint extends ByteArrayEndPoint {

        private final List<byte[]> flushes = new CopyOnWriteArrayList<>();
        private volatile boolean stalled;
        private volatile boolean failing;

        TestEndPoint(Scheduler scheduler) {
            super(scheduler, 0, (ByteBuffer) null, -1, false);
        }

        @Override
        public boolean flush(ByteBuffer... buffers) throws IOException {
            if (failing) {
                throw new IOException("Connection reset by peer");
            }
            if (stalled) {
                if (!isOpen()) {
                    throw new IOException("CLOSED");
                }
                return false;
            }
            int[] before = new int[buffers.length];
            for (int i = 0; i < buffers.length; i++) {
                before[i] = buffers[i].position();
            }
            boolean flushed = super.flush(buffers);
            ByteArrayOutputStream written = new ByteArrayOutputStream();
            for (int i = 0; i < buffers.length; i++) {
                ByteBuffer view = buffers[i].duplicate();
                view.limit(view.position()).position(before[i]);
                byte[] bytes = new byte[view.remaining()];
                view.get(bytes);
                written.writeBytes(bytes);
            }
            if (written.size() > 0) {
                flushes.add(written.toByteArray());
            }
            return flushed;
        }

        /** The bytes of each flush that wrote any, in order. */
        List<byte[]> flushes() {
            return List.copyOf(flushes);
        }

        void clearFlushes() {
            flushes.clear();
        }

        void stall() {
            stalled = true;
        }

        /** From now on every flush fails, as on a socket the client reset. */
        void failFlushes() {
            failing = true;
        }

        /** The client reads again: the pending write completes. */
        void resume() {
            stalled = false;
            getWriteFlusher().completeWrite();
        }

        void expireIdle() {
            onIdleExpired(new TimeoutException("Idle timeout expired"));
        }

        @Override
        protected void execute(Runnable task) {
            runs.incrementAndGet();
            task.run();
        }

        /** Tasks Jetty's endpoint ran (read turns, as the selector would run them); reset by the caller. */
        final java.util.concurrent.atomic.AtomicInteger runs = new java.util.concurrent.atomic.AtomicInteger();

        @Override
        public void onClose(Throwable cause) {
            super.onClose(cause);
            org.eclipse.jetty.io.Connection connection = getConnection();
            if (connection != null) {
                connection.onClose(cause);
            }
        }
    }

    /** The connection a websocket is upgraded from (HTTP/1.1 in Jetty), holding bytes read past the request. */
    private static final class UpgradingConnection extends AbstractConnection
            implements org.eclipse.jetty.io.Connection.UpgradeFrom {

        private final ByteBuffer leftover;

        UpgradingConnection(ByteArrayEndPoint endPoint, Executor executor, ByteBuffer leftover) {
            super(endPoint, executor);
            this.leftover = leftover;
        }

        @Override
        public void onFillable() {
        }

        @Override
        public ByteBuffer onUpgradeFrom() {
            return leftover;
        }
    }
}
