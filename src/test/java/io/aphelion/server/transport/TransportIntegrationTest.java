package io.aphelion.server.transport;

import java.util.HashSet;
import java.util.Set;

import io.aphelion.client.AphelionClient;
import io.aphelion.client.AphelionConnection;
import io.aphelion.client.AphelionHandshakeException;
import io.aphelion.proto.game.ConnectionReady;
import io.aphelion.proto.ping.C2S;
import io.aphelion.proto.ping.S2C;
import io.aphelion.server.testing.RawWebSocket;
import io.aphelion.server.testing.RecordingListener;
import io.aphelion.server.testing.ServerTestSupport;
import io.aphelion.wire.CloseCodes;
import io.aphelion.wire.InitPacket;
import io.aphelion.wire.SessionToken;
import io.aphelion.wire.WireFormat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * The transport over real websockets: every close code of the handshake, the frame rules, acks,
 * tokens, keepalive and socket options, against the whole server on a random port.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "aphelion.websocket.init-timeout=1s",
        "aphelion.websocket.max-message-size=1KB",
        "aphelion.websocket.ping-interval=700ms",
        "aphelion.websocket.pong-timeout=1s",
        "aphelion.protocols.game.min-version=2",
        "aphelion.protocols.game.max-version=3" })
class TransportIntegrationTest extends ServerTestSupport {

    @Autowired
    private TcpNoDelayListener tcpNoDelay;

    private AphelionConnection.CloseStatus refused(byte[] init) {
        AphelionClient client = client(WireFormat.PROTOCOL_GAME);
        try {
            client.connect(init, null, new RecordingListener()).get(15, java.util.concurrent.TimeUnit.SECONDS);
            throw new AssertionError("Handshake was accepted");
        }
        catch (java.util.concurrent.ExecutionException ex) {
            assertThat(ex.getCause()).isInstanceOf(AphelionHandshakeException.class);
            AphelionHandshakeException refused = (AphelionHandshakeException) ex.getCause();
            return new AphelionConnection.CloseStatus(refused.closeCode(), refused.getMessage());
        }
        catch (Exception ex) {
            throw new AssertionError(ex);
        }
    }

    /** Game protocol clients here ask for version 2: this context serves 2..3. */
    private AphelionClient gameClient() {
        return client(AphelionClient.builder(uri()).protocol(WireFormat.PROTOCOL_GAME).version(2));
    }

    private static byte[] init(int protocol, int version) {
        return InitPacket.newSession(protocol, version).encode();
    }

    @ParameterizedTest(name = "protocol {0} version {1} -> {2}")
    @CsvSource({
            "0, 1, 4000", "3, 1, 4000", "-1, 1, 4000", "300, 0, 4000",
            "2, 1, 4001", "2, -5, 4001", "2, 4, 4002", "1, 2, 4002",
            "3, 99, 4000" })
    void handshakeRefusalsCarryTheSpecCloseCodes(int protocol, int version, int code) {
        assertThat(refused(init(protocol, version)).code()).isEqualTo(code);
    }

    @Test
    void initPacketOfWrongLengthIsRefusedWith4003BeforeAnyOtherCheck() {
        byte[] badProtocolShort = new byte[38];
        badProtocolShort[1] = 9;
        assertThat(refused(badProtocolShort).code()).isEqualTo(CloseCodes.MALFORMED_INIT);
        assertThat(refused(new byte[40]).code()).isEqualTo(CloseCodes.MALFORMED_INIT);
    }

    @Test
    void versionZeroBypassesTheCheckAndServedVersionsPass() {
        for (int version : new int[] { 0, 2, 3 }) {
            AphelionConnection connection = connect(
                    client(AphelionClient.builder(uri()).protocol(WireFormat.PROTOCOL_GAME).version(version)),
                    new RecordingListener());
            assertThat(connection.token()).isNotNull();
            assertThat(connection.isNewSession()).isTrue();
        }
    }

    @Test
    void clientThatSendsNoInitPacketIsClosedWith4004() throws Exception {
        try (RawWebSocket ws = RawWebSocket.connect(port, "/aphelion")) {
            RawWebSocket.Frame close = ws.readUntilClose();
            assertThat(close).isNotNull();
            assertThat(close.closeCode()).isEqualTo(CloseCodes.INIT_TIMEOUT);
        }
    }

    @Test
    void tokensAreUniqueAndTheSameTokenJoinsTheSameSession() {
        AphelionClient client = client(WireFormat.PROTOCOL_PING);
        Set<SessionToken> tokens = new HashSet<>();
        for (int i = 0; i < 20; i++) {
            tokens.add(connect(client, new RecordingListener()).token());
        }
        assertThat(tokens).hasSize(20);
        SessionToken token = tokens.iterator().next();
        AphelionConnection joined = connect(client, token, new RecordingListener());
        assertThat(joined.token()).isEqualTo(token);
        assertThat(joined.isNewSession()).isFalse();
    }

    @Test
    void unknownTokenStartsANewSession() {
        SessionToken unknown = SessionToken.of(new byte[32]);
        AphelionConnection connection = connect(client(WireFormat.PROTOCOL_PING), unknown, new RecordingListener());
        assertThat(connection.isNewSession()).isTrue();
        assertThat(connection.token()).isNotEqualTo(unknown);
    }

    @Test
    void tokenOfAnotherProtocolStartsANewSession() {
        SessionToken pingToken = connect(client(WireFormat.PROTOCOL_PING), new RecordingListener()).token();
        AphelionConnection game = connect(gameClient(), pingToken, new RecordingListener());
        assertThat(game.isNewSession()).isTrue();
    }

    @Test
    void clientClosingWith4005IsAnOrdinaryCloseAndTheSessionCanBeResumed() {
        AphelionClient client = client(WireFormat.PROTOCOL_PING);
        AphelionConnection first = connect(client, new RecordingListener());
        join(first.close(CloseCodes.NEW_SESSION_CLOSING_OLD, "closing old"));
        AphelionConnection again = connect(client, first.token(), new RecordingListener());
        assertThat(again.isNewSession()).isFalse();
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({ "empty frame, '', 1002", "ack beyond outstanding, 05, 1002", "invalid protobuf, 00ffff, 1007" })
    void badFramesCloseWithTheirCodes(String name, String hex, int code) {
        AphelionConnection connection = connect(client(WireFormat.PROTOCOL_PING), new RecordingListener());
        connection.sendRaw(java.util.HexFormat.of().parseHex(hex));
        assertThat(closeStatus(connection).code()).isEqualTo(code);
    }

    @Test
    void textFrameClosesWith1003() {
        AphelionConnection connection = connect(client(WireFormat.PROTOCOL_PING), new RecordingListener());
        connection.sendText("hello");
        assertThat(closeStatus(connection).code()).isEqualTo(CloseCodes.UNSUPPORTED_DATA);
    }

    @Test
    void frameLargerThanMaxMessageSizeClosesWith1009() {
        AphelionConnection connection = connect(client(WireFormat.PROTOCOL_PING), new RecordingListener());
        connection.sendRaw(new byte[2048]);
        assertThat(closeStatus(connection).code()).isEqualTo(CloseCodes.MESSAGE_TOO_BIG);
    }

    @Test
    void oneBytePacketIsALegalAckOnlyPacket() {
        RecordingListener listener = new RecordingListener();
        AphelionConnection connection = connect(client(WireFormat.PROTOCOL_PING), listener);
        connection.sendRaw(new byte[] { 0 });
        connection.send(C2S.newBuilder().setClientTime(42).build().toByteArray());
        assertThat(listener.next()).isNotEmpty();
        assertThat(connection.isOpen()).isTrue();
    }

    @Test
    void pingProtocolEchoesClientTimeAndAlwaysWritesServerTime() throws Exception {
        RecordingListener listener = new RecordingListener();
        AphelionConnection connection = connect(client(WireFormat.PROTOCOL_PING), listener);
        connect(gameClient(), new RecordingListener());
        connection.send(C2S.newBuilder().setClientTime(0).build().toByteArray());
        byte[] payload = listener.next();
        S2C answer = S2C.parseFrom(payload);
        assertThat(answer.hasClientTime()).isTrue();
        assertThat(answer.getClientTime()).isZero();
        assertThat(answer.hasServerTime()).isTrue();
        assertThat(answer.getPlayers()).isGreaterThanOrEqualTo(1);
        // Field 1 (sfixed64, tag 0x09) is on the wire even though it is zero.
        assertThat(payload[0]).isEqualTo((byte) 0x09);
        // The answer acked the ping.
        await().atMost(WAIT).until(() -> listener.acked() == 1);
    }

    @Test
    void serverAcksCountsAbove127OverSeveralPacketsNoneAbove127() throws Exception {
        try (RawWebSocket ws = RawWebSocket.connect(port, "/aphelion")) {
            ws.sendBinary(InitPacket.newSession(WireFormat.PROTOCOL_GAME, 0).encode());
            assertThat(ws.readUntil(RawWebSocket.BINARY).payload()).hasSize(32);
            byte[] ready = io.aphelion.proto.game.C2S.newBuilder()
                    .addConnectionReady(ConnectionReady.getDefaultInstance()).build().toByteArray();
            byte[] frame = new byte[ready.length + 1];
            System.arraycopy(ready, 0, frame, 1, ready.length);
            for (int i = 0; i < 600; i++) {
                ws.sendBinary(frame);
            }
            int acked = 0;
            while (acked < 600) {
                RawWebSocket.Frame next = ws.readUntil(RawWebSocket.BINARY);
                assertThat(next).as("acks so far: %d", acked).isNotNull();
                assertThat(next.payload()).hasSize(1);
                // The original client reads the ack byte signed: never above 127.
                assertThat((int) next.payload()[0]).isBetween(1, 127);
                acked += next.payload()[0];
            }
            assertThat(acked).isEqualTo(600);
        }
    }

    @Test
    void serverPingsEveryConnectionAndClosesOneThatNeverPongsWith4103() throws Exception {
        try (RawWebSocket ws = RawWebSocket.connect(port, "/aphelion")) {
            ws.sendBinary(InitPacket.newSession(WireFormat.PROTOCOL_PING, 1).encode());
            assertThat(ws.readUntil(RawWebSocket.PING)).isNotNull();
            RawWebSocket.Frame close = ws.readUntilClose();
            assertThat(close).isNotNull();
            assertThat(close.closeCode()).isEqualTo(CloseCodes.PONG_TIMEOUT);
        }
    }

    @Test
    void connectionThatAnswersPingsStaysOpen() throws Exception {
        RecordingListener listener = new RecordingListener();
        AphelionConnection connection = connect(client(WireFormat.PROTOCOL_PING), listener);
        await().pollDelay(java.time.Duration.ofMillis(2500)).atMost(WAIT).until(connection::isOpen);
        connection.send(C2S.newBuilder().setClientTime(1).build().toByteArray());
        assertThat(listener.next()).isNotEmpty();
    }

    @Test
    void otherPathsAreNotUpgraded() throws Exception {
        assertThat(RawWebSocket.upgradeStatus(port, "/elsewhere")).doesNotContain("101");
        assertThat(RawWebSocket.upgradeStatus(port, "/aphelion")).contains("101");
    }

    @Test
    void acceptedSocketsHaveTcpNoDelay() {
        long before = tcpNoDelay.confirmed();
        connect(client(WireFormat.PROTOCOL_PING), new RecordingListener());
        assertThat(tcpNoDelay.confirmed()).isGreaterThan(before);
        assertThat(tcpNoDelay.failed()).isZero();
    }

    @Test
    void misbehavingClientDoesNotAffectAnotherSession() {
        RecordingListener good = new RecordingListener();
        AphelionConnection healthy = connect(client(WireFormat.PROTOCOL_PING), good);
        for (int i = 0; i < 5; i++) {
            AphelionConnection bad = connect(client(WireFormat.PROTOCOL_PING), new RecordingListener());
            bad.sendRaw(new byte[] { (byte) 200 });
            assertThat(closeStatus(bad).code()).isEqualTo(CloseCodes.PROTOCOL_ERROR);
        }
        healthy.send(C2S.newBuilder().setClientTime(7).build().toByteArray());
        assertThat(good.next()).isNotEmpty();
        assertThat(healthy.isOpen()).isTrue();
    }

    @Test
    void refusedHandshakeTellsTheClient() {
        assertThatThrownBy(() -> join(client(AphelionClient.builder(uri()).protocol(9)).connect(new RecordingListener())))
                .hasCauseInstanceOf(AphelionHandshakeException.class);
    }

}
